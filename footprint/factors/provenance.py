"""Which factors a result used, with value, unit, year, source and link: the "factors" list of
``estimate --json`` and of the exports. Reads the long factor tables; computes nothing.
"""

from __future__ import annotations

from footprint.factors.base import FactorBase

LLM_CONSTANTS = ["gpu_energy_alpha", "gpu_energy_beta", "gpu_energy_gamma", "latency_alpha", "latency_beta",
                 "latency_gamma", "batch_size", "model_quantization", "model_memory_overhead", "gpu_memory",
                 "server_gpu_count", "server_power", "llm_gpu_embodied_gwp", "llm_gpu_embodied_adpe",
                 "llm_gpu_embodied_pe", "server_embodied_gwp", "server_embodied_adpe", "server_embodied_pe",
                 "hardware_lifespan"]
PREFILL_CONSTANTS = ["flop_per_parameter_per_token", "prefill_gpu_peak_throughput", "prefill_gpu_power",
                     "prefill_flops_utilization"]
GPU_HOUR_CONSTANTS = ["server_gpu_count", "server_embodied_gwp", "server_embodied_adpe", "server_embodied_pe",
                      "hardware_lifespan"]


def _entry(table: str, key: str, row: dict) -> dict:
    return {"name": row["parameter"], "table": table, "key": key, "value": row["value"], "unit": row["unit"],
            "year": row["year"], "source": row["source"], "source_url": row["source_url"]}


def _user_entry(name: str, value: float, unit: str) -> dict:
    return {"name": name, "table": "saisie", "key": "", "value": value, "unit": unit, "year": None,
            "source": "valeur saisie par l'utilisateur", "source_url": ""}


def _rows(factors: FactorBase, table: str, key_label: str, where: str, params: list) -> list[dict]:
    return [_entry(table, key_label, row) for row in factors.source_rows(table, where, params)]


def _hosting(factors: FactorBase, hosting: str | None, pue: float | None, wue: float | None,
             default_pue: str | None) -> list[dict]:
    entries: list[dict] = []
    if pue is not None:
        entries.append(_user_entry("pue", pue, "dimensionless"))
    if wue is not None:
        entries.append(_user_entry("wue_onsite", wue, "L / kWh"))
    if hosting:
        wanted = [p for p, given in (("pue", pue), ("wue_onsite", wue)) if given is None]
        for prefix in wanted:
            entries += _rows(factors, "hosting_profiles", hosting, "hosting = ? AND parameter LIKE ?",
                             [hosting, prefix + "%"])
    elif pue is None and default_pue:
        entries += [_entry("constants", "", row) for row in factors.constant_sources([default_pue])]
    return entries


def _mix(factors: FactorBase, zone: str, dataset: str | None, year: int | None) -> list[dict]:
    entries = []
    for indicator, chosen in factors.mix(zone, dataset, year).items():
        where = "zone = ? AND dataset = ? AND year = ? AND parameter = ?"
        key, params = f"{zone} / {chosen.dataset} / {chosen.year}", [zone, chosen.dataset, chosen.year]
        # A dataset asked for by name gives its own published primary energy, even where the base
        # replaced it as physically impossible (the engine warns; see electricity_mix_replacements).
        published = (_rows(factors, "electricity_mix", key, where, [*params, f"{indicator}_published"])
                     if dataset and dataset.strip().lower() == chosen.dataset else [])
        entries += ([entry | {"name": indicator} for entry in published] if published
                    else _rows(factors, "electricity_mix", key, where, [*params, indicator]))
    return entries


def factors_used(factors: FactorBase, workload: dict, include_input_tokens: bool = False) -> list[dict]:
    """Every factor behind the impacts of one workload (a dict of workload columns, names
    already resolved: provider id, model as spelled in the base, GPU id)."""
    kind = workload["kind"]
    hosting = workload.get("hosting")
    entries: list[dict] = []
    if kind == "llm":
        provider = workload["provider"]
        # A set of models (a product of the catalogue) stands for one model: each one's rows.
        models = [workload["model"]] if workload.get("model") else str(workload.get("models") or "").split("|")
        hosting = hosting or factors.default_hosting(provider)
        for model in models:
            entries += _rows(factors, "models", f"{provider}/{model}", "provider = ? AND model = ?",
                             [provider, model])
        entries += _hosting(factors, hosting, workload.get("pue"), workload.get("wue"), None)
        names = LLM_CONSTANTS + (PREFILL_CONSTANTS if include_input_tokens else [])
        entries += [_entry("constants", "", row) for row in factors.constant_sources(names)]
    elif kind == "gpu":
        entries += _rows(factors, "gpus", workload["gpu"], "gpu = ?", [workload["gpu"]])
        entries += _hosting(factors, hosting, workload.get("pue"), workload.get("wue"), "gpu_default_pue")
        for name, unit in (("utilization", "dimensionless"), ("server_overhead_w", "W / gpu"),
                           ("cpu_cores", "cpu_core"), ("cpu_power_w", "W / cpu_core"), ("memory_gb", "GB")):
            if workload.get(name) is not None:
                entries.append(_user_entry(name, workload[name], unit))
        names = (list(GPU_HOUR_CONSTANTS) if workload.get("embodied", True) else []) + ["memory_power"]
        if workload.get("utilization") is None:
            names.append("gpu_default_utilization")
        if workload.get("server_overhead_w") is None:
            names.append("gpu_server_overhead")
        entries += [_entry("constants", "", row) for row in factors.constant_sources(names)]
    elif kind == "task":
        entries += _rows(factors, "tasks", workload["task"], "task = ?", [workload["task"]])
        reference = factors.con.execute("SELECT reference_gpu FROM tasks WHERE task = ?", [workload["task"]]).fetchall()
        if reference and reference[0][0]:
            entries += _rows(factors, "gpus", reference[0][0], "gpu = ? AND parameter <> 'memory'", [reference[0][0]])
        entries += _hosting(factors, hosting, workload.get("pue"), workload.get("wue"), "gpu_default_pue")
        entries += [_entry("constants", "", row) for row in factors.constant_sources(GPU_HOUR_CONSTANTS)]
    else:
        entries += _hosting(factors, hosting, workload.get("pue"), workload.get("wue"), None)
    zone = workload.get("zone") or (factors.hosting_zone(hosting) if hosting else None)
    if zone:
        entries += _mix(factors, zone, workload.get("mix_dataset"), workload.get("year"))
    return entries

