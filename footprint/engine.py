"""The vectorised impact engine: a table of workloads in, a table of impacts out.

Owns: validating a workload table, joining it with the factor base in DuckDB (models,
hosting profiles, electricity mixes, GPUs, tasks), applying the formulas of ``llm``, ``gpu``
and ``impacts`` to whole columns at once, and assembling, for every row, each impact as
low / central / high. Central is the midpoint of the range, as compar:IA does.

Must not: loop over rows in Python, hold a factor, or know about files, the store or the UI.

Workload columns (any missing one is taken as empty):
  kind                 'llm', 'gpu', 'task' or 'measured'
  hosting, zone        hosting profile id and/or electricity zone (ISO 3166 alpha-3)
  pue, wue             user overrides of the PUE and of the on-site WUE [L/kWh]
  mix_dataset, year    preferred electricity dataset and the year of the factor
  llm:      provider, model, requests, output_tokens_per_request, input_tokens_per_request,
            request_latency_s
  gpu:      gpu, gpus, hours, utilization, server_overhead_w (per GPU), cpu_cores,
            cpu_power_w (per core), memory_gb, embodied (bool, default true)
  task:     task, units
  measured: energy_kwh (measured at the plug of the IT equipment)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from emission_factors.errors import InputError, Problem
from emission_factors.units import ureg
from footprint import gpu as gpu_formulas
from footprint import impacts, llm
from footprint.factor_base import FactorBase

KINDS = ("llm", "gpu", "task", "measured")
IMPACT_KEYS = ("energy_kwh", "gwp_kgco2e", "gwp_usage_kgco2e", "gwp_embodied_kgco2e", "water_l", "adpe_kgsbeq",
               "pe_mj")
ENDS = ("low", "central", "high")

TEXT_COLUMNS = ("kind", "provider", "model", "hosting", "zone", "mix_dataset", "gpu", "task")
NUMBER_COLUMNS = ("year", "pue", "wue", "requests", "output_tokens_per_request", "input_tokens_per_request",
                  "request_latency_s", "gpus", "hours", "utilization", "server_overhead_w", "cpu_cores",
                  "cpu_power_w", "memory_gb", "units", "energy_kwh")
BOOL_COLUMNS = ("embodied",)

REQUIRED_BY_KIND = {
    "llm": ("provider", "model", "output_tokens_per_request"),
    "gpu": ("gpu", "gpus", "hours"),
    "task": ("task", "units"),
    "measured": ("energy_kwh",),
}
# Plausible bounds of user inputs (validation of what people type, not factors).
BOUNDS = {"pue": (1.0, 5.0), "utilization": (0.0, 1.0), "year": (1990, 2100)}
MAX_LISTED_PROBLEMS = 20


@dataclass
class _Partial:
    """Impacts of the rows of one kind, by end of the range: row ids and arrays."""

    row_id: np.ndarray
    low: dict[str, np.ndarray]
    high: dict[str, np.ndarray]
    warnings: list[str] = field(default_factory=list)


def empty_workloads() -> pd.DataFrame:
    """A workload table with every column and no row."""
    columns = {c: pd.Series(dtype="string") for c in TEXT_COLUMNS}
    columns |= {c: pd.Series(dtype="float64") for c in NUMBER_COLUMNS}
    columns |= {c: pd.Series(dtype="boolean") for c in BOOL_COLUMNS}
    return pd.DataFrame(columns)


def _to_arrow(workloads: pd.DataFrame) -> pa.Table:
    """The workload table with every known column, typed, plus ``row_id`` (0-based position)."""
    n = len(workloads)
    arrays, names = [pa.array(np.arange(n, dtype=np.int64))], ["row_id"]
    for column in TEXT_COLUMNS:
        if column in workloads:
            arrays.append(pa.Array.from_pandas(workloads[column].astype("string")).cast(pa.string()))
        else:
            arrays.append(pa.nulls(n, pa.string()))
        names.append(column)
    for column in NUMBER_COLUMNS:
        if column in workloads:
            values = pd.to_numeric(workloads[column], errors="coerce").astype("float64").to_numpy(na_value=np.nan)
            arrays.append(pa.array(values, type=pa.float64(), from_pandas=True))
        else:
            arrays.append(pa.nulls(n, pa.float64()))
        names.append(column)
    for column in BOOL_COLUMNS:
        if column in workloads:
            arrays.append(pa.array(workloads[column].astype("boolean"), type=pa.bool_(), from_pandas=True))
        else:
            arrays.append(pa.nulls(n, pa.bool_()))
        names.append(column)
    return pa.Table.from_arrays(arrays, names=names)


def _rows(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask)[:MAX_LISTED_PROBLEMS]


def _validate(table: pa.Table, workloads: pd.DataFrame) -> None:
    """Refuse unknown kinds, missing required values, and negative, infinite or out-of-bound numbers."""
    problems: list[Problem] = []
    if "kind" not in workloads:
        raise InputError.single("colonne « kind » manquante : type de charge (llm, gpu, task, measured)")
    kind = np.asarray(table.column("kind").to_numpy(zero_copy_only=False), dtype=object)
    known = np.isin(kind, KINDS)
    for i in _rows(~known):
        problems.append(Problem(f"type de charge inconnu (attendus : {', '.join(KINDS)})", line=int(i) + 1,
                                column="kind", value=kind[i]))
    for column in NUMBER_COLUMNS:
        if column not in workloads:
            continue
        raw = workloads[column]
        values = table.column(column).to_numpy(zero_copy_only=False)
        given = raw.notna().to_numpy()
        not_numeric = given & np.isnan(values)
        for i in _rows(not_numeric):
            problems.append(Problem("valeur non numérique", line=int(i) + 1, column=column, value=raw.iloc[i]))
        with np.errstate(invalid="ignore"):
            infinite = np.isinf(values)
            negative = values < 0
        for i in _rows(infinite):
            problems.append(Problem("valeur infinie", line=int(i) + 1, column=column, value=raw.iloc[i]))
        for i in _rows(negative):
            problems.append(Problem("valeur négative", line=int(i) + 1, column=column, value=raw.iloc[i]))
        if column in BOUNDS:
            low, high = BOUNDS[column]
            with np.errstate(invalid="ignore"):
                outside = ~negative & ((values < low) | (values > high))
            for i in _rows(outside):
                reason = ("le PUE ne peut pas être inférieur à 1" if column == "pue" and values[i] < 1
                          else f"valeur hors de l'intervalle attendu [{low:g} ; {high:g}]")
                problems.append(Problem(reason, line=int(i) + 1, column=column, value=raw.iloc[i]))
    for kind_name, required in REQUIRED_BY_KIND.items():
        of_kind = kind == kind_name
        if not of_kind.any():
            continue
        for column in required:
            missing = of_kind & ~(workloads[column].notna().to_numpy() if column in workloads else np.zeros_like(of_kind))
            for i in _rows(missing):
                problems.append(Problem(f"valeur obligatoire pour une charge « {kind_name} »", line=int(i) + 1,
                                        column=column))
    if problems:
        raise InputError(problems)


def _floats(values: np.ndarray) -> np.ndarray:
    """A fetched column as float64, NULL as NaN."""
    if isinstance(values, np.ma.MaskedArray):
        return values.astype("float64").filled(np.nan)
    return np.asarray(values, dtype="float64")


def _fetch(con, sql: str) -> dict[str, np.ndarray]:
    return con.execute(sql).fetchnumpy()


def _unknown(con, sql: str, column: str, message: str, suggest=None) -> list[Problem]:
    """Problems for the rows that ``sql`` returns (row_id, value), listed once per distinct value."""
    rows = con.execute(sql).fetchall()
    problems, seen = [], set()
    for row_id, value in rows:
        if value in seen:
            continue
        seen.add(value)
        hint = ""
        if suggest is not None:
            close = suggest(value)
            hint = f" ; noms proches : {', '.join(close)}" if close else ""
        problems.append(Problem(message + hint, line=int(row_id) + 1, column=column, value=value))
        if len(problems) >= MAX_LISTED_PROBLEMS:
            break
    return problems


def _mix_table(con, factors: FactorBase) -> None:
    """Resolve the electricity factors of every zone for each (dataset, year) wanted."""
    con.execute("""CREATE OR REPLACE TEMP TABLE _wanted_mix AS
        SELECT z.zone, k.mix_dataset, k.year FROM (SELECT DISTINCT zone FROM electricity_mix) z,
        (SELECT DISTINCT coalesce(mix_dataset, '') AS mix_dataset, CAST(coalesce(year, 0) AS INTEGER) AS year
         FROM workloads) k""")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _mix AS {factors.mix_sql('_wanted_mix')}")


MIX_JOIN = """LEFT JOIN _mix x ON x.zone = r.zone AND x.mix_dataset = coalesce(r.mix_dataset, '')
              AND x.year = CAST(coalesce(r.year, 0) AS INTEGER)"""


def _check_hosting_and_zone(con, kind: str, resolved: str) -> list[Problem]:
    problems = _unknown(con, f"SELECT row_id, hosting_in FROM {resolved} WHERE hosting_in IS NOT NULL "
                             "AND hosting_found IS NULL ORDER BY row_id", "hosting",
                        "profil d'hébergement inconnu (voir le tableau des hébergements)")
    problems += _unknown(con, f"SELECT r.row_id, r.zone FROM {resolved} r {MIX_JOIN} WHERE r.zone IS NOT NULL "
                              "AND x.gwp IS NULL ORDER BY r.row_id", "zone",
                         "zone électrique inconnue (code ISO 3166 alpha-3 attendu, par exemple FRA)")
    problems += _unknown(con, f"SELECT row_id, '' FROM {resolved} WHERE zone IS NULL AND hosting_found IS NULL "
                              "ORDER BY row_id", "zone",
                         f"précisez la zone électrique (zone) ou un hébergement (hosting) pour la charge « {kind} »")
    return problems


def _usage(energy, it_energy, pue, wue, x) -> dict:
    mix = {
        "gwp": ureg.Quantity(_floats(x["gwp"]), "kgCO2e/kWh"),
        "adpe": ureg.Quantity(_floats(x["adpe"]), "kgSbeq/kWh"),
        "pe": ureg.Quantity(_floats(x["pe"]), "MJ/kWh"),
        "wue": ureg.Quantity(_floats(x["wue_offsite"]), "L/kWh"),
    }
    return {
        "gwp_usage": impacts.usage_gwp(energy, mix["gwp"]),
        "adpe_usage": impacts.usage_adpe(energy, mix["adpe"]),
        "pe_usage": impacts.usage_pe(energy, mix["pe"]),
        "water": impacts.usage_water(it_energy, wue, pue, mix["wue"]),
    }


def _assemble(energy, usage: dict, embodied_gwp, embodied_adpe, embodied_pe, scale: np.ndarray) -> dict:
    """Impact arrays of one end of the range, in the output units, times ``scale`` (requests)."""
    gwp_usage = usage["gwp_usage"].to("kgCO2e").m * scale
    gwp_embodied = embodied_gwp.to("kgCO2e").m * scale
    return {
        "energy_kwh": energy.to("kWh").m * scale,
        "gwp_usage_kgco2e": gwp_usage,
        "gwp_embodied_kgco2e": gwp_embodied,
        "gwp_kgco2e": gwp_usage + gwp_embodied,
        "water_l": usage["water"].to("L").m * scale,
        "adpe_kgsbeq": (usage["adpe_usage"] + embodied_adpe).to("kgSbeq").m * scale,
        "pe_mj": (usage["pe_usage"] + embodied_pe).to("MJ").m * scale,
    }


# -- llm ------------------------------------------------------------------------------------

LLM_SQL = """
WITH w AS (
  SELECT w.row_id, pk.provider, mk.model, w.provider AS provider_in, w.model AS model_in,
         coalesce(nullif(trim(w.hosting), ''), p.default_hosting) AS hosting_id, nullif(trim(w.hosting), '') AS hosting_in,
         upper(nullif(trim(w.zone), '')) AS zone_in, w.pue, w.wue, w.mix_dataset, w.year, w.requests,
         w.output_tokens_per_request, w.input_tokens_per_request, w.request_latency_s
  FROM workloads w
  LEFT JOIN provider_keys pk ON pk.key = lower(trim(w.provider))
  LEFT JOIN providers p ON p.provider = pk.provider
  LEFT JOIN model_keys mk ON mk.provider = pk.provider AND mk.key = lower(trim(w.model))
  WHERE w.kind = 'llm'
)
SELECT w.*, h.hosting AS hosting_found, coalesce(w.zone_in, h.zone) AS zone,
       coalesce(w.pue, h.pue_min) AS pue_min, coalesce(w.pue, h.pue_max) AS pue_max,
       coalesce(w.wue, h.wue_onsite_min) AS wue_min, coalesce(w.wue, h.wue_onsite_max) AS wue_max,
       m.total_parameters_min, m.total_parameters_max, m.active_parameters_min, m.active_parameters_max,
       m.tps, m.ttft
FROM w LEFT JOIN hosting_profiles h ON h.hosting = w.hosting_id
LEFT JOIN models m ON m.provider = w.provider AND m.model = w.model
"""


def _llm(con, factors: FactorBase, include_input_tokens: bool) -> _Partial:
    con.execute(f"CREATE OR REPLACE TEMP TABLE _llm AS {LLM_SQL}")
    problems = _unknown(con, "SELECT row_id, provider_in FROM _llm WHERE provider IS NULL ORDER BY row_id",
                        "provider", f"fournisseur inconnu (connus : {', '.join(factors.providers())})")
    problems += _unknown(con, "SELECT row_id, provider || '/' || model_in FROM _llm WHERE provider IS NOT NULL "
                              "AND model IS NULL ORDER BY row_id", "model", "modèle inconnu",
                         suggest=lambda v: factors.suggest_models(v.split("/", 1)[0], v.split("/", 1)[1]))
    problems += _check_hosting_and_zone(con, "llm", "_llm")
    problems += _unknown(con, "SELECT row_id, provider FROM _llm WHERE provider IS NOT NULL AND "
                              "(pue_min IS NULL OR wue_min IS NULL) AND hosting_found IS NULL ORDER BY row_id",
                         "hosting", "aucun hébergement par défaut pour ce fournisseur : précisez un profil "
                                    "d'hébergement (hosting), ou le PUE, le WUE et la zone")
    if problems:
        raise InputError(problems)
    cols = _fetch(con, f"""SELECT r.row_id, r.requests, r.output_tokens_per_request, r.input_tokens_per_request,
        r.request_latency_s, r.pue_min, r.pue_max, r.wue_min, r.wue_max, r.total_parameters_min,
        r.total_parameters_max, r.active_parameters_min, r.active_parameters_max, r.tps, r.ttft,
        x.gwp, x.adpe, x.pe, x.wue_offsite FROM _llm r {MIX_JOIN}""")
    c = factors.constant
    batch = c("batch_size")
    requests = _floats(cols["requests"])
    requests = np.where(np.isnan(requests), 1.0, requests)
    output_tokens = ureg.Quantity(_floats(cols["output_tokens_per_request"]), "token")
    input_tokens = ureg.Quantity(np.nan_to_num(_floats(cols["input_tokens_per_request"]), nan=0.0), "token")
    request_latency = ureg.Quantity(np.nan_to_num(_floats(cols["request_latency_s"]), nan=np.inf), "s")
    tps = factors.quantity("models", "tps", _floats(cols["tps"]))
    ttft = factors.quantity("models", "ttft", _floats(cols["ttft"]))
    ends = {}
    for end in ("min", "max"):
        active = factors.quantity("models", f"active_parameters_{end}", _floats(cols[f"active_parameters_{end}"]))
        total = factors.quantity("models", f"total_parameters_{end}", _floats(cols[f"total_parameters_{end}"]))
        pue = ureg.Quantity(_floats(cols[f"pue_{end}"]), "dimensionless")
        wue = ureg.Quantity(_floats(cols[f"wue_{end}"]), "L/kWh")
        per_token = llm.gpu_energy_per_token(active, batch, c("gpu_energy_alpha"), c("gpu_energy_beta"),
                                             c("gpu_energy_gamma"))
        gpu_energy = llm.gpu_energy(output_tokens, per_token)
        latency = llm.generation_latency(
            output_tokens,
            llm.latency_per_token(active, batch, c("latency_alpha"), c("latency_beta"), c("latency_gamma"), tps),
            ttft, request_latency)
        gpus = llm.gpu_required_count(
            llm.model_required_memory(total, c("model_quantization"), c("model_memory_overhead")), c("gpu_memory"))
        server = llm.server_energy(latency, c("server_power"), gpus, c("server_gpu_count"), batch)
        it_energy = llm.request_it_energy(server, gpus, gpu_energy)
        embodied = {name: llm.request_embodied(
            llm.server_gpu_embodied(gpus, c("server_gpu_count"), c(f"server_embodied_{name}"), c(f"llm_gpu_embodied_{name}")),
            c("hardware_lifespan"), latency, batch) for name in ("gwp", "adpe", "pe")}
        if include_input_tokens:
            prefill_time = llm.prefill_latency(
                llm.prefill_flops(input_tokens, active, c("flop_per_parameter_per_token")), gpus,
                c("prefill_gpu_peak_throughput"), c("prefill_flops_utilization"))
            one = ureg.Quantity(1.0, "dimensionless")
            it_energy = it_energy + llm.prefill_gpu_energy(prefill_time, gpus, c("prefill_gpu_power")) + \
                llm.server_energy(prefill_time, c("server_power"), gpus, c("server_gpu_count"), one)
            for name in embodied:
                embodied[name] = embodied[name] + llm.request_embodied(
                    llm.server_gpu_embodied(gpus, c("server_gpu_count"), c(f"server_embodied_{name}"),
                                   c(f"llm_gpu_embodied_{name}")), c("hardware_lifespan"), prefill_time, one)
        energy = impacts.facility_energy(it_energy, pue)
        usage = _usage(energy, it_energy, pue, wue, cols)
        ends[end] = _assemble(energy, usage, embodied["gwp"], embodied["adpe"], embodied["pe"], requests)
    return _Partial(cols["row_id"], ends["min"], ends["max"])


# -- gpu, task, measured ---------------------------------------------------------------------

def _hosted_sql(select: str, joins: str, kind: str) -> str:
    """Rows of one kind with their hosting profile, zone and PUE/WUE (user values first)."""
    return f"""
SELECT w.row_id, nullif(trim(w.hosting), '') AS hosting_in, h.hosting AS hosting_found,
       coalesce(upper(nullif(trim(w.zone), '')), h.zone) AS zone, w.mix_dataset, w.year,
       coalesce(w.pue, h.pue_min) AS pue_min, coalesce(w.pue, h.pue_max) AS pue_max,
       coalesce(w.wue, h.wue_onsite_min) AS wue_min, coalesce(w.wue, h.wue_onsite_max) AS wue_max,
       {select}
FROM workloads w LEFT JOIN hosting_profiles h ON h.hosting = nullif(trim(w.hosting), '')
{joins}
WHERE w.kind = '{kind}'"""


def _hosting_ranges(cols: dict, default_pue: float | None, warnings: list[str], label: str):
    """PUE and on-site WUE arrays for both ends, with the documented fallbacks."""
    pue = {end: _floats(cols[f"pue_{end}"]) for end in ("min", "max")}
    wue = {end: _floats(cols[f"wue_{end}"]) for end in ("min", "max")}
    no_pue = np.isnan(pue["min"])
    if no_pue.any():
        fallback = default_pue if default_pue is not None else 1.0
        for end in pue:
            pue[end] = np.where(no_pue, fallback, pue[end])
        warnings.append(f"{label} : {int(no_pue.sum())} ligne(s) sans PUE ni hébergement ; "
                        + ("PUE par défaut des heures GPU appliqué." if default_pue is not None
                           else "énergie mesurée prise telle quelle (aucun PUE appliqué)."))
    no_wue = np.isnan(wue["min"])
    if no_wue.any():
        for end in wue:
            wue[end] = np.where(no_wue, 0.0, wue[end])
        warnings.append(f"{label} : {int(no_wue.sum())} ligne(s) sans WUE ni hébergement ; "
                        "eau consommée sur site non comptée (seule l'eau de la production d'électricité l'est).")
    return ({e: ureg.Quantity(v, "dimensionless") for e, v in pue.items()},
            {e: ureg.Quantity(v, "L/kWh") for e, v in wue.items()})


def _gpu_hour_embodied(factors: FactorBase, gpu_hours, embodied_per_gpu: dict) -> dict:
    c = factors.constant
    return {name: impacts.embodied_per_gpu_hour(embodied_per_gpu[name], c(f"server_embodied_{name}"),
                                                c("server_gpu_count"), c("hardware_lifespan")) * gpu_hours
            for name in ("gwp", "adpe", "pe")}


def _gpu(con, factors: FactorBase) -> _Partial:
    sql = _hosted_sql("""g.gpu AS gpu_found, w.gpu AS gpu_in, g.tdp, g.embodied_gwp, g.embodied_adpe,
        g.embodied_pe, w.gpus, w.hours, w.utilization, w.server_overhead_w, w.cpu_cores, w.cpu_power_w,
        w.memory_gb, coalesce(w.embodied, true) AS with_embodied""",
                      """LEFT JOIN gpu_keys gk ON gk.key = regexp_replace(lower(w.gpu), '[^a-z0-9]', '', 'g')
                         LEFT JOIN gpus g ON g.gpu = gk.gpu""", "gpu")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _gpu AS {sql}")
    problems = _unknown(con, "SELECT row_id, gpu_in FROM _gpu WHERE gpu_found IS NULL ORDER BY row_id", "gpu",
                        f"GPU inconnu (connus : {', '.join(factors.gpus())})")
    problems += _check_hosting_and_zone(con, "gpu", "_gpu")
    if problems:
        raise InputError(problems)
    cols = _fetch(con, f"SELECT r.*, x.gwp, x.adpe, x.pe, x.wue_offsite FROM _gpu r {MIX_JOIN}")
    c = factors.constant
    warnings: list[str] = []
    pue, wue = _hosting_ranges(cols, c("gpu_default_pue").m, warnings, "Heures GPU")
    utilization = _floats(cols["utilization"])
    utilization = ureg.Quantity(np.where(np.isnan(utilization), c("gpu_default_utilization").m, utilization), "")
    overhead = _floats(cols["server_overhead_w"])
    overhead = ureg.Quantity(np.where(np.isnan(overhead), c("gpu_server_overhead").m, overhead), "W/gpu")
    power = gpu_formulas.gpu_power(factors.quantity("gpus", "tdp", _floats(cols["tdp"])), utilization, overhead)
    host = gpu_formulas.host_power(
        ureg.Quantity(np.nan_to_num(_floats(cols["cpu_cores"])), "cpu_core"),
        ureg.Quantity(np.nan_to_num(_floats(cols["cpu_power_w"])), "W/cpu_core"),
        ureg.Quantity(np.nan_to_num(_floats(cols["memory_gb"])), "GB"), c("memory_power"))
    count = ureg.Quantity(_floats(cols["gpus"]), "gpu")
    duration = ureg.Quantity(_floats(cols["hours"]), "hour")
    it_energy = gpu_formulas.it_energy(count, power, host, duration)
    with_embodied = np.asarray(cols["with_embodied"], dtype=bool)
    gpu_hours = gpu_formulas.gpu_hours(count, duration) * with_embodied
    embodied = _gpu_hour_embodied(factors, gpu_hours, {
        name: factors.quantity("gpus", f"embodied_{name}", _floats(cols[f"embodied_{name}"]))
        for name in ("gwp", "adpe", "pe")})
    ends = {}
    for end in ("min", "max"):
        energy = impacts.facility_energy(it_energy, pue[end])
        usage = _usage(energy, it_energy, pue[end], wue[end], cols)
        ends[end] = _assemble(energy, usage, embodied["gwp"], embodied["adpe"], embodied["pe"], 1.0)
    return _Partial(cols["row_id"], ends["min"], ends["max"], warnings)


def _task(con, factors: FactorBase) -> _Partial:
    sql = _hosted_sql("""t.task AS task_found, w.task AS task_in, t.energy_per_unit, t.unit_of_work,
        g.tdp, g.embodied_gwp, g.embodied_adpe, g.embodied_pe, w.units""",
                      """LEFT JOIN tasks t ON lower(t.task) = lower(trim(w.task))
                         LEFT JOIN gpus g ON g.gpu = t.reference_gpu""", "task")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _task AS {sql}")
    problems = _unknown(con, "SELECT row_id, task_in FROM _task WHERE task_found IS NULL ORDER BY row_id", "task",
                        f"tâche inconnue (connues : {', '.join(factors.tasks())})")
    problems += _check_hosting_and_zone(con, "task", "_task")
    if problems:
        raise InputError(problems)
    cols = _fetch(con, f"SELECT r.*, x.gwp, x.adpe, x.pe, x.wue_offsite FROM _task r {MIX_JOIN}")
    warnings: list[str] = []
    pue, wue = _hosting_ranges(cols, factors.constant("gpu_default_pue").m, warnings, "Tâches à l'unité")
    # Units of work differ by task (image, page, ...); the energy column is per unit of each row.
    it_energy = ureg.Quantity(_floats(cols["energy_per_unit"]) * _floats(cols["units"]), "kWh")
    tdp = _floats(cols["tdp"])
    has_gpu = ~np.isnan(tdp)
    gpu_hours = gpu_formulas.equivalent_gpu_hours(
        it_energy, ureg.Quantity(np.where(has_gpu, tdp, 1.0), "W/gpu")) * has_gpu
    embodied = _gpu_hour_embodied(factors, gpu_hours, {
        name: factors.quantity("gpus", f"embodied_{name}", np.nan_to_num(_floats(cols[f"embodied_{name}"])))
        for name in ("gwp", "adpe", "pe")})
    ends = {}
    for end in ("min", "max"):
        energy = impacts.facility_energy(it_energy, pue[end])
        usage = _usage(energy, it_energy, pue[end], wue[end], cols)
        ends[end] = _assemble(energy, usage, embodied["gwp"], embodied["adpe"], embodied["pe"], 1.0)
    return _Partial(cols["row_id"], ends["min"], ends["max"], warnings)


def _measured(con, factors: FactorBase) -> _Partial:
    con.execute(f"CREATE OR REPLACE TEMP TABLE _measured AS {_hosted_sql('w.energy_kwh', '', 'measured')}")
    problems = _check_hosting_and_zone(con, "measured", "_measured")
    if problems:
        raise InputError(problems)
    cols = _fetch(con, f"SELECT r.*, x.gwp, x.adpe, x.pe, x.wue_offsite FROM _measured r {MIX_JOIN}")
    warnings: list[str] = []
    pue, wue = _hosting_ranges(cols, None, warnings, "Mesures")
    it_energy = ureg.Quantity(_floats(cols["energy_kwh"]), "kWh")
    zero = {name: ureg.Quantity(np.zeros(len(it_energy.m)), unit)
            for name, unit in (("gwp", "kgCO2e"), ("adpe", "kgSbeq"), ("pe", "MJ"))}
    ends = {}
    for end in ("min", "max"):
        energy = impacts.facility_energy(it_energy, pue[end])
        usage = _usage(energy, it_energy, pue[end], wue[end], cols)
        ends[end] = _assemble(energy, usage, zero["gwp"], zero["adpe"], zero["pe"], 1.0)
    warnings.append("Mesures : la fabrication du matériel mesuré n'est pas comptée (matériel non décrit).")
    return _Partial(cols["row_id"], ends["min"], ends["max"], warnings)


def compute_impacts(workloads: pd.DataFrame, factors: FactorBase, *, include_input_tokens: bool = False
                    ) -> pd.DataFrame:
    """Impacts of every workload row, each as ``<impact>_low``, ``_central`` and ``_high``.

    ``workloads``: a table with the columns listed in this module's docstring.
    ``include_input_tokens``: add the prefill term for input tokens (off by default, as in
    EcoLogits). Returns a DataFrame aligned with ``workloads`` (same order, same index), whose
    ``attrs`` carry ``factor_base_version`` and ``warnings`` (French sentences). Raises
    ``InputError`` for bad rows, naming the row (``ligne``, 1-based) and the column.
    """
    table = _to_arrow(workloads)
    _validate(table, workloads)
    n = table.num_rows
    low = {key: np.zeros(n) for key in IMPACT_KEYS}
    high = {key: np.zeros(n) for key in IMPACT_KEYS}
    warnings: list[str] = []
    con = factors.con.cursor()
    try:
        con.register("workloads", table)
        _mix_table(con, factors)
        present = set(table.column("kind").unique().to_pylist())
        steps = {"llm": lambda: _llm(con, factors, include_input_tokens), "gpu": lambda: _gpu(con, factors),
                 "task": lambda: _task(con, factors), "measured": lambda: _measured(con, factors)}
        problems: list[Problem] = []
        for kind in KINDS:
            if kind not in present:
                continue
            try:
                partial = steps[kind]()
            except InputError as error:
                problems.extend(error.problems)
                continue
            rows = np.asarray(partial.row_id, dtype=np.int64)
            for key in IMPACT_KEYS:
                low[key][rows] = partial.low[key]
                high[key][rows] = partial.high[key]
            warnings.extend(partial.warnings)
        if problems:
            raise InputError(problems)
    finally:
        con.close()
    columns = {}
    for key in IMPACT_KEYS:
        columns[f"{key}_low"] = low[key]
        columns[f"{key}_central"] = (low[key] + high[key]) / 2
        columns[f"{key}_high"] = high[key]
    result = pd.DataFrame(columns, index=workloads.index)
    result.attrs["factor_base_version"] = factors.version
    result.attrs["warnings"] = warnings
    return result


def totals(result: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Sum of each impact over the rows, as ``{impact: {"low", "central", "high"}}``."""
    return {key: {end: float(result[f"{key}_{end}"].sum()) for end in ENDS} for key in IMPACT_KEYS}
