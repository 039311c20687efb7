"""The vectorised impact engine: a table of workloads in, a table of impacts out.

Owns the orchestration: the workload table checked (``workloads``), each kind resolved against
the factor base (``resolution``) and computed on whole columns (``llm``, ``kinds``), every
result written into one preallocated block, each impact as low / central / high (the ends of
``footprint.vocabulary.ENDS``); central is the midpoint of the range, as compar:IA does. Also
the totals of a result.

Must not: loop over rows in Python, hold a factor, or know about files, the store or the UI.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from core.errors import InputError
from footprint.engine.kinds import gpu_kind, measured_kind, task_kind
from footprint.engine.llm import llm_kind
from footprint.engine.results import row_selector
from footprint.engine.workloads import (
    expand_model_sets,
    normalise,
    register,
    to_arrow,
    unknown_datasets,
    validate,
)
from footprint.factors import FactorBase
from footprint.vocabulary import ENDS, IMPACT_KEYS, IMPACTS, KINDS, USAGE_SPLIT, USAGE_SPLIT_KEYS


def compute_impacts(workloads: pd.DataFrame, factors: FactorBase, *, include_input_tokens: bool = False,
                    usage_split: bool = False) -> pd.DataFrame:
    """Impacts of every workload row, each as ``<impact>_low``, ``_central`` and ``_high``.

    ``workloads``: a table with the columns listed in ``footprint.engine.workloads``.
    ``include_input_tokens``: add the prefill term for input tokens (off by default, as in
    EcoLogits). ``usage_split``: also give the usage parts of ADPe and primary energy
    (``adpe_usage_kgsbeq``, ``pe_usage_mj``). Returns a DataFrame aligned with ``workloads`` (same
    order, same index), whose
    ``attrs`` carry ``factor_base_version`` and ``warnings`` (French sentences). Raises
    ``InputError`` for bad rows, naming the row (``ligne``, 1-based) and the column.

    A row with a set of models (``models``, where ``model`` is empty) is computed once per
    model: its low end is the lowest low of its models, its high end the highest high.
    """
    sets = expand_model_sets(workloads)
    if sets is not None:
        return _over_model_sets(workloads, *sets, factors, include_input_tokens, usage_split)
    table = normalise(to_arrow(workloads), factors)
    # Bad values are listed together with unknown names: the factors are still looked up.
    problems = validate(table, workloads) + unknown_datasets(table, factors)
    n = table.num_rows
    # One preallocated block holds every output column, so the result frame wraps it without copying.
    keys = (*IMPACT_KEYS, *USAGE_SPLIT_KEYS) if usage_split else IMPACT_KEYS
    low, central, high = ENDS
    columns = [f"{key}_{end}" for key in keys for end in ENDS]
    block = np.zeros((len(columns), n))
    position = {name: i for i, name in enumerate(columns)}
    warnings: list[str] = []
    con = factors.con.cursor()
    try:
        register(con, "workloads", table)
        present = set(table.column("kind").unique().to_pylist())
        views = {end: {key: block[position[f"{key}_{suffix}"]] for key in keys}
                 for end, suffix in (("min", low), ("max", high))}
        check_only = bool(problems)
        steps = {"llm": lambda: llm_kind(con, factors, table, include_input_tokens, views, check_only),
                 "gpu": lambda: gpu_kind(con, factors, check_only),
                 "task": lambda: task_kind(con, factors, check_only),
                 "measured": lambda: measured_kind(con, factors, check_only)}
        for kind in KINDS:
            if kind not in present:
                continue
            try:
                partial = steps[kind]()
            except InputError as error:
                problems.extend(error.problems)
                continue
            if partial is None:
                continue
            warnings.extend(partial.warnings)
            if partial.written:
                continue
            rows = row_selector(partial.row_id, n)
            for key in keys:
                block[position[f"{key}_{low}"], rows] = partial.low[key]
                block[position[f"{key}_{high}"], rows] = partial.high[key]
        if problems:
            raise InputError(problems)
    finally:
        con.close()
    for key in keys:
        midpoint = block[position[f"{key}_{central}"]]
        np.multiply(block[position[f"{key}_{low}"]], 0.5, out=midpoint)
        midpoint += 0.5 * block[position[f"{key}_{high}"]]
    result = pd.DataFrame(block.T, columns=columns, index=workloads.index, copy=False)
    result.attrs["factor_base_version"] = factors.version
    result.attrs["warnings"] = warnings
    return result


def _over_model_sets(workloads: pd.DataFrame, expanded: pd.DataFrame, origin: np.ndarray, factors: FactorBase,
                     include_input_tokens: bool, usage_split: bool) -> pd.DataFrame:
    """The impacts of ``workloads`` from those of ``expanded`` (one row per model of a set;
    ``origin``: the row of ``workloads`` each comes from, in order): per row, the lowest low, the
    highest high and their midpoint; the parts of an impact come from the model that gives its
    end (they add up to it). A problem names the row of ``workloads``, once."""
    try:
        inner = compute_impacts(expanded, factors, include_input_tokens=include_input_tokens,
                                usage_split=usage_split)
    except InputError as error:
        problems = [replace(p, line=int(origin[p.line - 1]) + 1) if p.line else p for p in error.problems]
        raise InputError(list(dict.fromkeys(problems))) from None
    low, central, high = ENDS
    keys = [c.removesuffix(f"_{low}") for c in inner.columns if c.endswith(f"_{low}")]
    parent = {i.key: i.part_of for i in (*IMPACTS, *USAGE_SPLIT) if i.part_of}
    # Each impact's low end is the lowest of its models, its high end the highest; a part (usage,
    # manufacturing) is taken from the model whose total gives that end, so that parts add up.
    chosen = {}
    for key in keys:
        if key in parent:
            continue
        for end, sign in ((low, 1.0), (high, -1.0)):
            values = inner[f"{key}_{end}"].to_numpy()
            order = np.lexsort((sign * values, origin))  # by row of ``workloads``, then best value first
            chosen[(key, end)] = order[np.r_[True, origin[order][1:] != origin[order][:-1]]]
    data = {}
    for key in keys:
        source = parent.get(key, key)
        lowest = inner[f"{key}_{low}"].to_numpy()[chosen[(source, low)]]
        highest = inner[f"{key}_{high}"].to_numpy()[chosen[(source, high)]]
        data |= {f"{key}_{low}": lowest, f"{key}_{central}": 0.5 * (lowest + highest), f"{key}_{high}": highest}
    result = pd.DataFrame(data, columns=list(inner.columns), index=workloads.index)
    result.attrs["factor_base_version"] = factors.version
    result.attrs["warnings"] = list(dict.fromkeys(inner.attrs.get("warnings", [])))
    return result


def totals(result: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Sum of each impact over the rows, as ``{impact: {"low", "central", "high"}}``."""
    return {key: {end: float(result[f"{key}_{end}"].sum()) for end in ENDS} for key in IMPACT_KEYS}
