"""The vectorised kernel of the ``llm`` kind: EcoLogits' chain (``footprint.methods.llm``) turned
into per-group rates, then applied to every row in chunks of plain NumPy arithmetic.

Owns the grouping of LLM rows, the rates of a group and the row kernel. Must not query the
factor base beyond ``resolution``, nor loop over rows in Python: a loop runs over the ends of
the range, the impacts and chunks of ``CHUNK_ROWS`` rows.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core.units import ureg
from footprint.engine.resolution import LLM_GROUP_KEYS, llm_groups, resolve_llm
from footprint.engine.results import (
    EMBODIED,
    LINEAR_IMPACTS,
    Partial,
    impacts_of,
    magnitudes,
    mix_factors,
    no_embodied,
    row_selector,
    write_sums,
)
from footprint.engine.workloads import HIGH_END, column, group_rows
from footprint.factors import FactorBase
from footprint.methods import llm as llm_formulas
from footprint.vocabulary import IMPACT_KEYS, USAGE_SPLIT_KEYS

LLM_ROW_COLUMNS = ("requests", "output_tokens_per_request", "input_tokens_per_request", "request_latency_s",
                   *HIGH_END.values())
CHUNK_ROWS = 1 << 16


def llm_kind(con, factors: FactorBase, table: pa.Table, include_input_tokens: bool, views: dict,
             check_only: bool) -> Partial | None:
    """Impacts of the ``llm`` rows of ``table``, written straight into ``views`` (the output
    block's ``{"min"|"max": {impact: array}}``) when they are all its rows, in order. Raises
    ``InputError`` for unknown names; returns None when ``check_only``."""
    is_llm = pc.fill_null(pc.equal(table.column("kind"), "llm"), False)
    llm_rows = table if pc.all(is_llm).as_py() else table.filter(is_llm)
    gid, first = group_rows(llm_rows, LLM_GROUP_KEYS)
    row_id = llm_rows.column("row_id").to_numpy()
    warnings = resolve_llm(con, factors, llm_rows, first)
    if check_only:
        return None
    groups = llm_groups(con)
    selector = row_selector(row_id, table.num_rows)
    rows = {c: column(table, c)[selector] for c in LLM_ROW_COLUMNS}
    # When the llm rows are all the rows, in order, results go straight into the output block.
    out = views if isinstance(selector, slice) else None
    low, high = compute_llm(groups, gid, rows, factors, include_input_tokens, out)
    return Partial(row_id, low, high, warnings, written=out is not None)


def llm_coefficients(groups: dict[str, np.ndarray], end: str, factors: FactorBase,
                     include_input_tokens: bool = False) -> dict[str, np.ndarray]:
    """Per-group rates of one end of the range, from EcoLogits' chain.

    Within a group (same model, hosting and mix), a request's impacts are linear in its
    generation time and in its output tokens (and, with the prefill term, its input tokens):
    EcoLogits' server energy and embodied share are proportional to the generation time, the
    GPUs' energy to the output tokens. This returns those rates, computed with the formulas of
    ``footprint.methods.llm`` and checked by Pint, as magnitudes: ``latency_per_token``
    [s/token], ``ttft`` [s], and for each output impact ``<impact>_per_second``,
    ``<impact>_per_token`` and, with input tokens, ``<impact>_per_input_token`` (impact units
    per s or per token).
    """
    c = factors.constant
    batch = c("batch_size")
    active = factors.quantity("models", f"active_parameters_{end}", groups[f"active_parameters_{end}"])
    total = factors.quantity("models", f"total_parameters_{end}", groups[f"total_parameters_{end}"])
    gpus = llm_formulas.gpu_required_count(
        llm_formulas.model_required_memory(total, c("model_quantization"), c("model_memory_overhead")),
        c("gpu_memory"))
    pue = ureg.Quantity(groups[f"pue_{end}"], "dimensionless")
    wue = ureg.Quantity(groups[f"wue_{end}"], "L/kWh")
    mix = mix_factors(groups, factors)
    second, token = ureg.Quantity(1.0, "s"), ureg.Quantity(1.0, "token")
    hardware = {name: llm_formulas.server_gpu_embodied(gpus, c("server_gpu_count"), c(f"server_embodied_{name}"),
                                                       c(f"llm_gpu_embodied_{name}")) for name in EMBODIED}
    # Impacts of one second of generation (server share, embodied share) ...
    per_second = impacts_of(
        llm_formulas.server_energy(second, c("server_power"), gpus, c("server_gpu_count"), batch) / second,
        pue, wue, mix,
        {name: llm_formulas.request_embodied(hardware[name], c("hardware_lifespan"), second, batch) / second
         for name in EMBODIED})
    # ... and of one output token (the GPUs' energy; no embodied share: that follows the time).
    gpu_energy_per_token = llm_formulas.gpu_energy_per_token(active, batch, c("gpu_energy_alpha"),
                                                             c("gpu_energy_beta"), c("gpu_energy_gamma"))
    no_server_energy = ureg.Quantity(0.0, "kWh")
    per_token = impacts_of(
        llm_formulas.request_it_energy(no_server_energy, gpus,
                                       llm_formulas.gpu_energy(token, gpu_energy_per_token)) / token,
        pue, wue, mix, no_embodied(0.0, per="token"))
    rates = {
        "latency_per_token": llm_formulas.latency_per_token(
            active, batch, c("latency_alpha"), c("latency_beta"), c("latency_gamma"),
            factors.quantity("models", "tps", groups["tps"])).m_as("s/token"),
        "ttft": np.nan_to_num(factors.quantity("models", "ttft", groups["ttft"]).m_as("s"), nan=0.0),
    }
    rates |= {f"{k}_per_second": v for k, v in magnitudes(per_second, per="s").items()}
    rates |= {f"{k}_per_token": v for k, v in magnitudes(per_token, per="token").items()}
    if include_input_tokens:
        # The prompt is processed with the GPUs saturated by this request alone (no batch sharing).
        alone = ureg.Quantity(1.0, "dimensionless")
        prefill_seconds = llm_formulas.prefill_latency(
            llm_formulas.prefill_flops(token, active, c("flop_per_parameter_per_token")),
            gpus, c("prefill_gpu_peak_throughput"), c("prefill_flops_utilization"))
        per_input_token = impacts_of(
            (llm_formulas.prefill_gpu_energy(prefill_seconds, gpus, c("prefill_gpu_power"))
             + llm_formulas.server_energy(prefill_seconds, c("server_power"), gpus, c("server_gpu_count"), alone))
            / token,
            pue, wue, mix,
            {name: llm_formulas.request_embodied(hardware[name], c("hardware_lifespan"), prefill_seconds, alone)
             / token for name in EMBODIED})
        rates |= {f"{k}_per_input_token": v for k, v in magnitudes(per_input_token, per="token").items()}
    return {name: np.broadcast_to(np.asarray(v, dtype="float64"), groups["pue_min"].shape) for name, v in
            rates.items()}


def compute_llm(groups: dict[str, np.ndarray], gid: np.ndarray, rows: dict[str, np.ndarray], factors: FactorBase,
                include_input_tokens: bool = False, out: dict | None = None
                ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Impacts (low end, high end) of LLM rows whose factors are resolved by group.

    ``groups``: float arrays, one element per group (NaN for missing): ``pue_min``/``pue_max``,
    ``wue_min``/``wue_max`` [L/kWh], ``total_parameters_min``/``_max`` and
    ``active_parameters_min``/``_max`` [billion parameters], ``tps`` [token/s], ``ttft`` [s], and
    the mix factors ``gwp`` [kgCO2e/kWh], ``adpe`` [kgSbeq/kWh], ``pe`` [MJ/kWh], ``wue_offsite`` [L/kWh].
    ``gid``: the group of each row. ``rows``: float arrays, one element per row: ``requests``
    (1 if NaN), ``output_tokens_per_request``, ``input_tokens_per_request`` (0 if NaN) and
    ``request_latency_s`` (no cap if NaN); optionally ``requests_high``,
    ``output_tokens_per_request_high`` and ``input_tokens_per_request_high``, the values at the high
    end where the volume is a range (NaN: the same as at the low end). ``out``: optional
    ``{"min"|"max": {impact: array}}`` to write into.

    Per request, EcoLogits' generation time is ``tokens x time per token + ttft``, capped by the
    measured latency; a row's impacts are ``requests x (time x rate per second + tokens x rate
    per token)``, the rates coming from ``llm_coefficients``. The low end uses the minimum
    parameter counts, PUE and WUE, the high end the maximum ones, as EcoLogits does. Rows are
    processed in chunks so that intermediates stay small.
    """
    n = len(gid)
    ends = ("min", "max")
    if out is None:
        out = {end: {key: np.empty(n) for key in (*IMPACT_KEYS, *USAGE_SPLIT_KEYS)} for end in ends}
    linear = [key for key in LINEAR_IMPACTS if key in out["min"]]
    rates = {end: llm_coefficients(groups, end, factors, include_input_tokens) for end in ends}
    cap = rows["request_latency_s"]
    capped = bool(np.any(np.isfinite(cap)))
    # The volume at each end: the high end's own values where a row gives them.
    volume = {"min": {name: rows[name] for name in HIGH_END}, "max": {}}
    for name, high in HIGH_END.items():
        given = rows.get(high)
        ranged = given is not None and bool(np.any(np.isfinite(given)))
        volume["max"][name] = np.where(np.isnan(given), rows[name], given) if ranged else rows[name]
    prefill = include_input_tokens and any(bool(np.nansum(v["input_tokens_per_request"]) > 0)
                                           for v in volume.values())
    for start in range(0, n, CHUNK_ROWS):
        chunk = slice(start, min(start + CHUNK_ROWS, n))
        g = gid[chunk]
        for end in ends:
            count = np.nan_to_num(volume[end]["requests"][chunk], nan=1.0)
            tokens = volume[end]["output_tokens_per_request"][chunk]
            tokens_total = tokens * count
            if prefill:
                input_total = np.nan_to_num(volume[end]["input_tokens_per_request"][chunk], nan=0.0) * count
            rate = rates[end]
            latency = tokens * np.take(rate["latency_per_token"], g, mode="clip")
            latency += np.take(rate["ttft"], g, mode="clip")
            if capped:
                np.fmin(latency, cap[chunk], out=latency)
            latency *= count
            for key in linear:
                target = out[end][key][chunk]
                np.multiply(latency, np.take(rate[f"{key}_per_second"], g, mode="clip"), out=target)
                target += tokens_total * np.take(rate[f"{key}_per_token"], g, mode="clip")
                if prefill:
                    target += input_total * np.take(rate[f"{key}_per_input_token"], g, mode="clip")
            write_sums(out[end], chunk)
    return out["min"], out["max"]
