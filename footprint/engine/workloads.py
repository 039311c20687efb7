"""The workload table the engine reads: its columns, their conversion to typed Arrow columns,
their exposure to DuckDB, the grouping of rows that share their factors, and the French
problems of values that cannot be computed.

Owns the engine's input contract. Must not look a factor up (``resolution`` joins the factor
base), compute an impact, or loop over rows in Python (only over problems, at most
``MAX_LISTED_PROBLEMS`` per check, and over the few distinct names of a column).

Workload columns (any missing one is taken as empty):
  kind                 'llm', 'gpu', 'task' or 'measured' (``footprint.vocabulary.KINDS``)
  hosting, zone        hosting profile id and/or electricity zone (ISO 3166 alpha-3)
  pue, wue             user overrides of the PUE and of the on-site WUE [L/kWh]
  mix_dataset, year    preferred electricity dataset and the year of the factor
  llm:      provider, model, requests, output_tokens_per_request, input_tokens_per_request,
            request_latency_s;
            models: when ``model`` is empty, the set of models of ``provider`` that may stand behind
            the use (separated by ``|``, a product of the catalogue): the range spans them;
            requests_high, output_tokens_per_request_high, input_tokens_per_request_high: the
            values at the high end of the range when the volume itself is known as a range (a
            product's messages per user, its tokens per message); the plain columns are then the
            values at the low end. Empty: the same value at both ends.
  gpu:      gpu, gpus, hours, utilization, server_overhead_w (per GPU), cpu_cores,
            cpu_power_w (per core), memory_gb, embodied (bool, default true)
  task:     task, units; units_high: the units at the high end of the range, when they are a
            range (a product's units per user and day); empty: the same at both ends
  measured: energy_kwh (IT energy estimated by CodeCarbon or read on a power meter)

Problems name a column by these names; callers rename them for their readers
(``footprint.vocabulary.for_audience``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.errors import InputError, Problem
from emission_factors.schema import read_input_bounds
from footprint.factors import FactorBase
from footprint.vocabulary import KINDS

TEXT_COLUMNS = ("kind", "provider", "model", "models", "hosting", "zone", "mix_dataset", "gpu", "task")
# The columns whose value may differ at the high end of the range, and the name of that value.
HIGH_END = {"requests": "requests_high", "output_tokens_per_request": "output_tokens_per_request_high",
            "input_tokens_per_request": "input_tokens_per_request_high"}
# The same for the units of a task (a product's minutes of audio, pages or images per user).
UNITS_HIGH = "units_high"
NUMBER_COLUMNS = ("year", "pue", "wue", "requests", "output_tokens_per_request", "input_tokens_per_request",
                  *HIGH_END.values(), "request_latency_s", "gpus", "hours", "utilization", "server_overhead_w",
                  "cpu_cores", "cpu_power_w", "memory_gb", "units", UNITS_HIGH, "energy_kwh")
BOOL_COLUMNS = ("embodied",)
SQL_TYPES = {**dict.fromkeys(TEXT_COLUMNS, "VARCHAR"), **dict.fromkeys(NUMBER_COLUMNS, "DOUBLE"),
             **dict.fromkeys(BOOL_COLUMNS, "BOOLEAN")}

REQUIRED_BY_KIND = {
    "llm": ("provider", "model", "output_tokens_per_request"),
    "gpu": ("gpu", "gpus", "hours"),
    "task": ("task", "units"),
    "measured": ("energy_kwh",),
}
BOUNDS = read_input_bounds()  # plausible ranges of what users type (schema.toml, [inputs])
BOUNDS |= {high: BOUNDS[low] for low, high in {**HIGH_END, "units": UNITS_HIGH}.items() if low in BOUNDS}
MAX_LISTED_PROBLEMS = 20


def to_arrow(workloads: pd.DataFrame) -> pa.Table:
    """The known columns present in the workload table, typed, plus ``row_id`` (0-based position).

    Absent columns are not materialised (a million NULLs per absent column would cost memory
    for nothing): ``register`` adds them as typed NULLs in the DuckDB view.
    """
    n = len(workloads)
    arrays, names = [pa.array(np.arange(n, dtype=np.int64))], ["row_id"]
    for column in TEXT_COLUMNS:
        if column in workloads:
            values = workloads[column]
            if not isinstance(values.dtype, pd.StringDtype):
                values = values.astype("string")
            arrays.append(pa.Array.from_pandas(values))
            names.append(column)
    for column in NUMBER_COLUMNS:
        if column in workloads:
            values = pd.to_numeric(workloads[column], errors="coerce").astype("float64").to_numpy(na_value=np.nan)
            arrays.append(pa.array(values, type=pa.float64(), from_pandas=True))
            names.append(column)
    for column in BOOL_COLUMNS:
        if column in workloads:
            arrays.append(pa.array(workloads[column].astype("boolean"), type=pa.bool_(), from_pandas=True))
            names.append(column)
    return pa.Table.from_arrays(arrays, names=names)


def normalise(table: pa.Table, factors: FactorBase) -> pa.Table:
    """Names as the factor base spells them, whatever the case or spacing people used: kinds,
    zones (with their aliases: FR, EU…), hosting profiles and electricity datasets. Unknown
    names are kept as typed, to be reported."""
    aliases = factors.zone_aliases()
    hostings = {h.lower(): h for h in factors.hostings()}
    datasets = {d.lower(): d for d in factors.mix_datasets()}
    rules = {
        "kind": lambda v: v.strip().lower(),
        "zone": lambda v: aliases.get(v.strip().upper(), v.strip().upper()),
        "hosting": lambda v: hostings.get(v.strip().lower(), v.strip()),
        "mix_dataset": lambda v: datasets.get(v.strip().lower(), v.strip()),
    }
    for column, rule in rules.items():
        if column not in table.column_names:
            continue
        encoded = pc.dictionary_encode(table.column(column)).combine_chunks()
        mapped = pa.array([None if v is None else rule(v) for v in encoded.dictionary.to_pylist()],
                          type=pa.large_string())
        # Kept dictionary-encoded: only the few distinct names are rewritten, never a million rows.
        values = pa.DictionaryArray.from_arrays(encoded.indices, mapped)
        table = table.set_column(table.column_names.index(column), column, values)
    return table


def register(con, view: str, table: pa.Table, columns: Sequence[str] = tuple(SQL_TYPES)) -> None:
    """Expose ``table`` to DuckDB as the view ``view``, with each of ``columns`` it lacks as a
    typed NULL (the workload table: every known column)."""
    con.register(f"{view}_data", table)
    missing = [f"CAST(NULL AS {SQL_TYPES[column]}) AS {column}" for column in columns
               if column not in table.column_names]
    extra = ", " + ", ".join(missing) if missing else ""
    con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT *{extra} FROM {view}_data")


def listed_rows(mask: np.ndarray) -> np.ndarray:
    """The first rows of ``mask`` worth a problem each."""
    return np.flatnonzero(mask)[:MAX_LISTED_PROBLEMS]


def column(table: pa.Table, name: str) -> np.ndarray:
    """A numeric column of the workload table as float64, NULL (or absent) as NaN."""
    if name not in table.column_names:
        return np.full(table.num_rows, np.nan)
    return table.column(name).to_numpy(zero_copy_only=False).astype("float64", copy=False)


def validate(table: pa.Table, workloads: pd.DataFrame) -> list[Problem]:
    """Refuse unknown kinds, missing required values, and negative, infinite or out-of-bound numbers."""
    problems: list[Problem] = []
    if "kind" not in workloads:
        raise InputError.single(f"colonne « kind » manquante : type de charge ({', '.join(KINDS)})")
    kind_column = table.column("kind")
    unknown = pc.invert(pc.fill_null(pc.is_in(kind_column, value_set=pa.array(KINDS)), False))
    for i in listed_rows(unknown.to_numpy(zero_copy_only=False)):
        problems.append(Problem(f"type de charge inconnu (attendus : {', '.join(KINDS)})", line=int(i) + 1,
                                column="kind", value=kind_column[int(i)].as_py()))
    for name in NUMBER_COLUMNS:
        if name not in workloads:
            continue
        raw = workloads[name]
        values = column(table, name)
        bound = BOUNDS.get(name)
        with np.errstate(invalid="ignore"):
            suspicious = ~(values >= 0) | np.isinf(values)
            if bound is not None:
                suspicious |= (values < bound.minimum) | (values > bound.maximum)
                if bound.integer:
                    suspicious |= values != np.round(values)
        if not suspicious.any():
            continue
        given = raw.notna().to_numpy()
        for i in listed_rows(suspicious & (given | ~np.isnan(values))):
            problems.append(Problem(number_problem(name, values[i], bound), line=int(i) + 1, column=name,
                                    value=raw.iloc[i]))
    if "cpu_cores" in table.column_names:
        cores, power = column(table, "cpu_cores"), column(table, "cpu_power_w")
        for i in listed_rows((cores > 0) & np.isnan(power)):
            problems.append(Problem("précisez aussi la puissance par cœur de processeur (en W)", line=int(i) + 1,
                                    column="cpu_power_w"))
    for kind_name, required in REQUIRED_BY_KIND.items():
        of_kind = pc.fill_null(pc.equal(kind_column, kind_name), False).to_numpy(zero_copy_only=False)
        if not of_kind.any():
            continue
        for name in required:
            if name not in table.column_names:
                given = np.zeros(table.num_rows, dtype=bool)
            else:
                given = table.column(name).is_valid().to_numpy(zero_copy_only=False)
            if name == "model" and "models" in table.column_names:  # a set of models stands for one
                given = given | table.column("models").is_valid().to_numpy(zero_copy_only=False)
            if name in NUMBER_COLUMNS:
                given = given & ~np.isnan(column(table, name))
            for i in listed_rows(of_kind & ~given):
                problems.append(Problem(f"valeur obligatoire pour une charge « {kind_name} »", line=int(i) + 1,
                                        column=name))
    return problems


def unknown_datasets(table: pa.Table, factors: FactorBase) -> list[Problem]:
    """Electricity datasets the factor base does not know, once each, at their first row."""
    if "mix_dataset" not in table.column_names:
        return []
    known = set(factors.mix_datasets())
    datasets = table.column("mix_dataset")
    problems = []
    for value in pc.unique(datasets).to_pylist():  # a few distinct values, not a million rows
        if value and value not in known:
            row = pc.index(datasets.cast(pa.large_string()), value).as_py()
            problems.append(Problem(f"jeu de facteurs d'électricité inconnu (connus : {', '.join(sorted(known))})",
                                    line=row + 1, column="mix_dataset", value=value))
    return problems


def expand_model_sets(workloads: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray] | None:
    """One row per model of each row's set (``models``, used where ``model`` is empty), the other
    rows as they are, in order; and the position in ``workloads`` of each row. None when no row
    has a set. Vectorised: one split and one explode over the column.

    >>> frame = pd.DataFrame({"kind": ["llm", "gpu"], "model": [None, None], "models": ["a|b", None]})
    >>> rows, origin = expand_model_sets(frame)
    >>> rows["model"].fillna("-").tolist(), origin.tolist()
    (['a', 'b', '-'], [0, 0, 1])
    """
    if "models" not in workloads:
        return None
    model = workloads["model"].astype("string") if "model" in workloads else pd.Series(
        pd.NA, index=workloads.index, dtype="string")
    sets = workloads["models"].astype("string").where(model.isna() | (model.str.strip() == ""))
    if not sets.notna().any():
        return None
    split = sets.str.split("|")
    expanded = workloads.drop(columns="models").assign(_origin=np.arange(len(workloads)), _model=split)
    expanded = expanded.explode("_model", ignore_index=True)
    chosen = expanded["_model"].astype("string").str.strip()
    expanded["model"] = chosen.where(chosen.notna() & (chosen != ""), expanded.get("model")).astype("string")
    origin = expanded.pop("_origin").to_numpy(dtype=np.int64)
    return expanded.drop(columns="_model"), origin


def number_problem(name: str, value: float, bound) -> str:
    """Why a typed number is refused, in French."""
    if np.isnan(value):
        return "valeur non numérique"
    if np.isinf(value):
        return "valeur infinie"
    if value < 0:
        return "valeur négative"
    if name == "pue" and value < 1:
        return "le PUE ne peut pas être inférieur à 1"
    if bound is not None and bound.integer and value != round(value):
        return "un nombre entier est attendu"
    return f"valeur invraisemblable (attendue entre {bound.minimum:g} et {bound.maximum:g})"


# -- rows that share their factors -----------------------------------------------------------

def _codes(values: pa.ChunkedArray) -> np.ndarray:
    """Integer code of each value of a column (NULL has its own code)."""
    if values.null_count == len(values):
        return np.zeros(len(values), dtype=np.int64)
    if pa.types.is_floating(values.type):
        return pd.factorize(values.to_numpy(zero_copy_only=False), use_na_sentinel=False)[0].astype(np.int64)
    if pa.types.is_dictionary(values.type):
        encoded = values.combine_chunks()
        return pc.fill_null(encoded.indices, len(encoded.dictionary)).to_numpy().astype(np.int64)
    encoded = pc.dictionary_encode(values, null_encoding="encode").combine_chunks()
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)


def group_rows(table: pa.Table, keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Group the rows of ``table`` that share the values of ``keys`` (NULLs equal).

    Returns (gid of each row, first row of each group), groups numbered by first appearance.
    Hash-based (Arrow dictionary encoding, pandas factorize): linear in the rows.
    """
    n = table.num_rows
    gid = np.zeros(n, dtype=np.int64)
    count = 1
    for key in keys:
        if key not in table.column_names:
            continue
        codes = _codes(table.column(key))
        width = int(codes.max()) + 1 if n else 1
        if width == 1:
            continue
        gid, uniques = pd.factorize(gid * width + codes)
        count = len(uniques)
    if count == 1 and n:
        gid = np.zeros(n, dtype=np.int64)
    # First row of each group: write positions backwards, so that the earliest one stays.
    first = np.empty(count, dtype=np.int64)
    first[gid[::-1]] = np.arange(n - 1, -1, -1, dtype=np.int64)
    return gid.astype(np.intp), first
