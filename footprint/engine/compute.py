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
  measured: energy_kwh (IT energy estimated by CodeCarbon or read on a power meter)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.errors import InputError, Problem
from core.units import ureg
from emission_factors.loader import read_input_bounds
from footprint.factors import FactorBase
from footprint.methods import gpu as gpu_formulas
from footprint.methods import impacts, llm

KINDS = ("llm", "gpu", "task", "measured")
IMPACT_KEYS = ("energy_kwh", "gwp_kgco2e", "gwp_usage_kgco2e", "gwp_embodied_kgco2e", "water_l", "adpe_kgsbeq",
               "pe_mj")
USAGE_SPLIT_KEYS = ("adpe_usage_kgsbeq", "pe_usage_mj")  # on request: the usage parts, for projections
ENDS = ("low", "central", "high")
EMBODIED = ("gwp", "adpe", "pe")

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
BOUNDS = read_input_bounds()  # plausible ranges of what users type (schema.toml, [inputs])
MAX_LISTED_PROBLEMS = 20


@dataclass
class _Partial:
    """Impacts of the rows of one kind, by end of the range: row ids and arrays."""

    row_id: np.ndarray
    low: dict[str, np.ndarray]
    high: dict[str, np.ndarray]
    warnings: list[str] = field(default_factory=list)
    written: bool = False  # results already in the output block


def _to_arrow(workloads: pd.DataFrame) -> pa.Table:
    """The known columns present in the workload table, typed, plus ``row_id`` (0-based position).

    Absent columns are not materialised (a million NULLs per absent column would cost memory
    for nothing): ``_register`` adds them as typed NULLs in the DuckDB view.
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


def _normalise(table: pa.Table, factors: FactorBase) -> pa.Table:
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


def _register(con, table: pa.Table) -> None:
    """Expose the workload table to DuckDB as ``workloads``, with every known column."""
    con.register("_workload_data", table)
    missing = [f"CAST(NULL AS {sql_type}) AS {column}" for columns, sql_type in
               ((TEXT_COLUMNS, "VARCHAR"), (NUMBER_COLUMNS, "DOUBLE"), (BOOL_COLUMNS, "BOOLEAN"))
               for column in columns if column not in table.column_names]
    extra = ", " + ", ".join(missing) if missing else ""
    con.execute(f"CREATE OR REPLACE TEMP VIEW workloads AS SELECT *{extra} FROM _workload_data")


def _rows(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask)[:MAX_LISTED_PROBLEMS]


def _column(table: pa.Table, name: str) -> np.ndarray:
    """A numeric column of the workload table as float64, NULL (or absent) as NaN."""
    if name not in table.column_names:
        return np.full(table.num_rows, np.nan)
    return table.column(name).to_numpy(zero_copy_only=False).astype("float64", copy=False)


def _validate(table: pa.Table, workloads: pd.DataFrame) -> list[Problem]:
    """Refuse unknown kinds, missing required values, and negative, infinite or out-of-bound numbers."""
    problems: list[Problem] = []
    if "kind" not in workloads:
        raise InputError.single("colonne « kind » manquante : type de charge (llm, gpu, task, measured)")
    kind_column = table.column("kind")
    unknown = pc.invert(pc.fill_null(pc.is_in(kind_column, value_set=pa.array(KINDS)), False))
    for i in _rows(unknown.to_numpy(zero_copy_only=False)):
        problems.append(Problem(f"type de charge inconnu (attendus : {', '.join(KINDS)})", line=int(i) + 1,
                                column="kind", value=kind_column[int(i)].as_py()))
    for column in NUMBER_COLUMNS:
        if column not in workloads:
            continue
        raw = workloads[column]
        values = _column(table, column)
        bound = BOUNDS.get(column)
        with np.errstate(invalid="ignore"):
            suspicious = ~(values >= 0) | np.isinf(values)
            if bound is not None:
                suspicious |= (values < bound.minimum) | (values > bound.maximum)
                if bound.integer:
                    suspicious |= values != np.round(values)
        if not suspicious.any():
            continue
        given = raw.notna().to_numpy()
        for i in _rows(suspicious & (given | ~np.isnan(values))):
            problems.append(Problem(_number_problem(column, values[i], bound), line=int(i) + 1, column=column,
                                    value=raw.iloc[i]))
    if "cpu_cores" in table.column_names:
        cores, power = _column(table, "cpu_cores"), _column(table, "cpu_power_w")
        for i in _rows((cores > 0) & np.isnan(power)):
            problems.append(Problem("précisez aussi la puissance par cœur de processeur (en W)", line=int(i) + 1,
                                    column="cpu_power_w"))
    for kind_name, required in REQUIRED_BY_KIND.items():
        of_kind = pc.fill_null(pc.equal(kind_column, kind_name), False).to_numpy(zero_copy_only=False)
        if not of_kind.any():
            continue
        for column in required:
            if column not in table.column_names:
                given = np.zeros(table.num_rows, dtype=bool)
            else:
                given = table.column(column).is_valid().to_numpy(zero_copy_only=False)
            if column in NUMBER_COLUMNS:
                given = given & ~np.isnan(_column(table, column))
            for i in _rows(of_kind & ~given):
                problems.append(Problem(f"valeur obligatoire pour une charge « {kind_name} »", line=int(i) + 1,
                                        column=column))
    return problems


def _unknown_datasets(table: pa.Table, factors: FactorBase) -> list[Problem]:
    if "mix_dataset" not in table.column_names:
        return []
    known = set(factors.mix_datasets())
    column = table.column("mix_dataset")
    problems = []
    for value in pc.unique(column).to_pylist():  # a few distinct values, not a million rows
        if value and value not in known:
            row = pc.index(column.cast(pa.large_string()), value).as_py()
            problems.append(Problem(f"jeu de facteurs d'électricité inconnu (connus : {', '.join(sorted(known))})",
                                    line=row + 1, column="mix_dataset", value=value))
    return problems


def _number_problem(column: str, value: float, bound) -> str:
    """Why a typed number is refused, in French."""
    if np.isnan(value):
        return "valeur non numérique"
    if np.isinf(value):
        return "valeur infinie"
    if value < 0:
        return "valeur négative"
    if column == "pue" and value < 1:
        return "le PUE ne peut pas être inférieur à 1"
    if bound is not None and bound.integer and value != round(value):
        return "un nombre entier est attendu"
    return f"valeur invraisemblable (attendue entre {bound.minimum:g} et {bound.maximum:g})"


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


MIX_JOIN = """LEFT JOIN mix_resolved x ON x.zone = r.zone AND x.mix_dataset = coalesce(r.mix_dataset, '')
              AND x.year = CASE WHEN coalesce(r.year, 0) = 0 THEN 0 ELSE least(greatest(CAST(r.year AS INTEGER),
                  (SELECT min(year) FROM mix_resolved WHERE year > 0)), (SELECT max(year) FROM mix_resolved)) END"""
# A dataset's own primary energy where the base replaced it for breaking a physical bound
# (``pe_published``): used only when the row asks for that dataset by name, with a warning.
PUBLISHED_JOIN = """LEFT JOIN electricity_mix xp ON xp.zone = x.zone AND xp.dataset = x.pe_dataset
              AND xp.year = x.pe_year AND xp.dataset = r.mix_dataset AND xp.pe_published IS NOT NULL"""
MIX_COLUMNS = "x.gwp, x.adpe, coalesce(xp.pe_published, x.pe) AS pe, x.wue_offsite"


def _check_hosting_and_zone(con, kind: str, resolved: str, zone_needed: str = "TRUE") -> list[Problem]:
    problems = _unknown(con, f"SELECT row_id, hosting_in FROM {resolved} WHERE hosting_in IS NOT NULL "
                             "AND hosting_found IS NULL ORDER BY row_id", "hosting",
                        "profil d'hébergement inconnu (connus : "
                        + ", ".join(r[0] for r in con.execute("SELECT hosting FROM hosting_profiles ORDER BY 1")
                                    .fetchall()) + ")")
    problems += _unknown(con, f"SELECT r.row_id, r.zone FROM {resolved} r {MIX_JOIN} WHERE r.zone IS NOT NULL "
                              "AND x.gwp IS NULL ORDER BY r.row_id", "zone",
                         "zone électrique inconnue (code ISO 3166 alpha-3 attendu, par exemple FRA)")
    problems += _unknown(con, f"SELECT row_id, '' FROM {resolved} WHERE zone IS NULL AND hosting_found IS NULL "
                              f"AND {zone_needed} ORDER BY row_id", "zone",
                         f"précisez la zone électrique ou un profil d'hébergement pour cette charge « {kind} »")
    return problems


def _mix_warnings(con, resolved: str) -> list[str]:
    """Say when the electricity factor used is not the one asked for: another dataset (the asked
    one has no factor for the zone) or another year (no factor for that year in a yearly series)."""
    rows = con.execute(f"""
        WITH used AS (SELECT DISTINCT r.zone, coalesce(r.mix_dataset, '') AS wanted_dataset,
                             CAST(coalesce(r.year, 0) AS INTEGER) AS wanted_year, x.gwp_dataset, x.gwp_year
                      FROM {resolved} r {MIX_JOIN} WHERE x.gwp IS NOT NULL)
        SELECT u.* FROM used u JOIN mix_series s ON s.zone = u.zone AND s.dataset = u.gwp_dataset
        WHERE (u.wanted_dataset <> '' AND u.wanted_dataset <> u.gwp_dataset)
           OR (u.wanted_year <> 0 AND u.wanted_year <> u.gwp_year AND s.years > 1)
        ORDER BY ALL""").fetchall()
    warnings = []
    for zone, wanted_dataset, wanted_year, dataset, year in rows:
        if wanted_dataset and wanted_dataset != dataset:
            warnings.append(f"Électricité {zone} : le jeu « {wanted_dataset} » n'a pas de facteur pour cette zone ; "
                            f"facteur « {dataset} » ({year}) utilisé.")
        else:
            warnings.append(f"Électricité {zone} : pas de facteur « {dataset} » pour {wanted_year} ; "
                            f"facteur {year} utilisé (le plus proche disponible).")
    published = con.execute(f"""SELECT DISTINCT r.zone, xp.dataset, xp.pe_published, x.pe FROM {resolved} r
        {MIX_JOIN} {PUBLISHED_JOIN} WHERE xp.pe_published IS NOT NULL ORDER BY ALL""").fetchall()
    for zone, dataset, value, replacing in published:
        shown, default = (format(v, "g").replace(".", ",") for v in (value, replacing))
        warnings.append(f"Électricité {zone} : énergie primaire telle que la publie le jeu « {dataset} » demandé "
                        f"({shown} MJ/kWh), physiquement impossible (moins que l'énergie du kWh livré) ; par "
                        f"défaut, la base la remplace par {default} MJ/kWh (voir la note du facteur).")
    return warnings


MODEL_WARNINGS = {"model-arch-not-released": "architecture non publiée, paramètres estimés par EcoLogits",
                  "model-arch-multimodal": "modèle multimodal, estimation moins précise"}


def _model_warnings(con) -> list[str]:
    """EcoLogits' own precision warnings on the models used, in French."""
    rows = con.execute("""SELECT DISTINCT m.provider || '/' || m.model, m.warnings FROM _llm r
        JOIN models m ON m.provider = r.provider AND m.model = r.model WHERE m.warnings <> '' ORDER BY 1""").fetchall()
    by_warning: dict[str, list[str]] = {}
    for name, codes in rows:
        for code in codes.split("|"):
            by_warning.setdefault(code, []).append(name)
    warnings = []
    for code, names in by_warning.items():
        shown = ", ".join(names[:8]) + (f" et {len(names) - 8} autre(s)" if len(names) > 8 else "")
        warnings.append(f"Précision : {MODEL_WARNINGS.get(code, code)} ({shown}).")
    return warnings


def _mix(x: dict) -> dict:
    """The mix columns ``gwp``, ``adpe``, ``pe``, ``wue_offsite`` as quantities."""
    return {
        "gwp": ureg.Quantity(_floats(x["gwp"]), "kgCO2e/kWh"),
        "adpe": ureg.Quantity(_floats(x["adpe"]), "kgSbeq/kWh"),
        "pe": ureg.Quantity(_floats(x["pe"]), "MJ/kWh"),
        "wue": ureg.Quantity(_floats(x["wue_offsite"]), "L/kWh"),
    }


def _impacts_of(it_energy, pue, wue, mix: dict, embodied: dict) -> dict:
    """Every output impact (but the GWP total) from the IT energy, the hosting and the mix.

    Works on totals (kWh) as well as on rates (kWh per second, per token): units follow.
    """
    energy = impacts.facility_energy(it_energy, pue)
    return {
        "energy_kwh": energy,
        "gwp_usage_kgco2e": impacts.usage_gwp(energy, mix["gwp"]),
        "gwp_embodied_kgco2e": embodied["gwp"],
        "water_l": impacts.usage_water(it_energy, wue, pue, mix["wue"]),
        "adpe_kgsbeq": impacts.usage_adpe(energy, mix["adpe"]) + embodied["adpe"],
        "pe_mj": impacts.usage_pe(energy, mix["pe"]) + embodied["pe"],
        "adpe_usage_kgsbeq": impacts.usage_adpe(energy, mix["adpe"]),
        "pe_usage_mj": impacts.usage_pe(energy, mix["pe"]),
    }


OUTPUT_UNITS = {"energy_kwh": "kWh", "gwp_usage_kgco2e": "kgCO2e", "gwp_embodied_kgco2e": "kgCO2e",
                "water_l": "L", "adpe_kgsbeq": "kgSbeq", "pe_mj": "MJ", "adpe_usage_kgsbeq": "kgSbeq",
                "pe_usage_mj": "MJ"}


def _magnitudes(quantities: dict, per: str = "") -> dict[str, np.ndarray]:
    """Magnitudes in the output units (``per`` a unit to divide them by, for rates), with the GWP total."""
    out = {key: quantities[key].m_as(f"{unit} / {per}" if per else unit) for key, unit in OUTPUT_UNITS.items()}
    if not per:
        out["gwp_kgco2e"] = out["gwp_usage_kgco2e"] + out["gwp_embodied_kgco2e"]
    return out


# -- llm ------------------------------------------------------------------------------------

LLM_GROUP_KEYS = ("provider", "model", "hosting", "zone", "pue", "wue", "mix_dataset", "year")

# Rows that share these keys share every factor: they are resolved once per group, so the
# joins and the per-model arithmetic cost what the distinct groups cost, not the rows.


def _codes(column: pa.ChunkedArray) -> np.ndarray:
    """Integer code of each value of a column (NULL has its own code)."""
    if column.null_count == len(column):
        return np.zeros(len(column), dtype=np.int64)
    if pa.types.is_floating(column.type):
        return pd.factorize(column.to_numpy(zero_copy_only=False), use_na_sentinel=False)[0].astype(np.int64)
    if pa.types.is_dictionary(column.type):
        encoded = column.combine_chunks()
        return pc.fill_null(encoded.indices, len(encoded.dictionary)).to_numpy().astype(np.int64)
    encoded = pc.dictionary_encode(column, null_encoding="encode").combine_chunks()
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


LLM_SQL = """
WITH w AS (
  SELECT w.gid, w.first_row AS row_id, pk.provider, mk.model, w.provider AS provider_in, w.model AS model_in,
         coalesce(nullif(trim(w.hosting), ''), p.default_hosting) AS hosting_id,
         nullif(trim(w.hosting), '') AS hosting_in,
         upper(nullif(trim(w.zone), '')) AS zone_in, w.pue, w.wue, w.mix_dataset, w.year
  FROM _llm_groups w
  LEFT JOIN provider_keys pk ON pk.key = lower(trim(w.provider))
  LEFT JOIN providers p ON p.provider = pk.provider
  LEFT JOIN model_keys mk ON mk.provider = pk.provider AND mk.key = lower(trim(w.model))
)
SELECT w.*, h.hosting AS hosting_found, coalesce(w.zone_in, h.zone) AS zone,
       coalesce(w.pue, h.pue_min) AS pue_min, coalesce(w.pue, h.pue_max) AS pue_max,
       coalesce(w.wue, h.wue_onsite_min) AS wue_min, coalesce(w.wue, h.wue_onsite_max) AS wue_max,
       m.total_parameters_min, m.total_parameters_max, m.active_parameters_min, m.active_parameters_max,
       m.tps, m.ttft
FROM w LEFT JOIN hosting_profiles h ON h.hosting = w.hosting_id
LEFT JOIN models m ON m.provider = w.provider AND m.model = w.model
"""
LLM_ROW_COLUMNS = ("requests", "output_tokens_per_request", "input_tokens_per_request", "request_latency_s")


def _llm(con, factors: FactorBase, table: pa.Table, include_input_tokens: bool, views: dict,
         check_only: bool) -> _Partial | None:
    # Rows that share these keys share every factor: they are resolved once per group, so the
    # joins and the per-model arithmetic cost what the distinct groups cost, not the rows.
    is_llm = pc.fill_null(pc.equal(table.column("kind"), "llm"), False)
    llm_rows = table if pc.all(is_llm).as_py() else table.filter(is_llm)
    gid, first = group_rows(llm_rows, LLM_GROUP_KEYS)
    row_id = llm_rows.column("row_id").to_numpy()
    present = [k for k in LLM_GROUP_KEYS if k in llm_rows.column_names]
    group_table = llm_rows.select(["row_id", *present]).take(first).append_column(
        "gid", pa.array(np.arange(len(first), dtype=np.int32)))
    con.register("_llm_group_data", group_table.rename_columns(["first_row", *present, "gid"]))
    absent = [f"CAST(NULL AS {'DOUBLE' if k in NUMBER_COLUMNS else 'VARCHAR'}) AS {k}"
              for k in LLM_GROUP_KEYS if k not in present]
    con.execute("CREATE OR REPLACE TEMP VIEW _llm_groups AS SELECT *" + "".join(", " + a for a in absent)
                + " FROM _llm_group_data")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _llm AS {LLM_SQL}")
    problems = _unknown(con, "SELECT row_id, provider_in FROM _llm WHERE provider IS NULL ORDER BY row_id",
                        "provider", f"fournisseur inconnu (connus : {', '.join(factors.providers())})")
    problems += _unknown(con, "SELECT row_id, provider || '/' || model_in FROM _llm WHERE provider IS NOT NULL "
                              "AND model IS NULL ORDER BY row_id", "model", "modèle inconnu",
                         suggest=lambda v: factors.suggest_models(v.split("/", 1)[0], v.split("/", 1)[1]))
    # A row with neither hosting nor PUE/WUE gets the message below, which also asks for the zone.
    problems += _check_hosting_and_zone(con, "llm", "_llm", "pue_min IS NOT NULL AND wue_min IS NOT NULL")
    warnings = _mix_warnings(con, "_llm") + _model_warnings(con)
    problems += _unknown(con, "SELECT row_id, provider FROM _llm WHERE provider IS NOT NULL AND hosting_in IS NULL "
                              "AND (pue_min IS NULL OR wue_min IS NULL OR zone IS NULL) ORDER BY row_id",
                         "hosting", "ce fournisseur n'a pas d'hébergement par défaut : précisez un profil "
                                    "d'hébergement, ou bien le PUE, le WUE et la zone électrique")
    if problems:
        raise InputError(problems)
    if check_only:
        return None
    groups = _fetch(con, f"""SELECT r.pue_min, r.pue_max, r.wue_min, r.wue_max, r.total_parameters_min,
        r.total_parameters_max, r.active_parameters_min, r.active_parameters_max, r.tps, r.ttft,
        {MIX_COLUMNS} FROM _llm r {MIX_JOIN} {PUBLISHED_JOIN} ORDER BY r.gid""")
    selector = _row_selector(row_id, table.num_rows)
    rows = {c: _column(table, c)[selector] for c in LLM_ROW_COLUMNS}
    # When the llm rows are all the rows, in order, results go straight into the output block.
    out = views if isinstance(selector, slice) else None
    low, high = compute_llm({k: _floats(v) for k, v in groups.items()}, gid, rows, factors, include_input_tokens,
                            out)
    return _Partial(row_id, low, high, warnings, written=out is not None)


LINEAR_IMPACTS = tuple(OUTPUT_UNITS)
CHUNK_ROWS = 1 << 16


def llm_coefficients(groups: dict[str, np.ndarray], end: str, factors: FactorBase,
                     include_input_tokens: bool = False) -> dict[str, np.ndarray]:
    """Per-group rates of one end of the range, from EcoLogits' chain.

    Within a group (same model, hosting and mix), a request's impacts are linear in its
    generation time and in its output tokens (and, with the prefill term, its input tokens):
    EcoLogits' server energy and embodied share are proportional to the generation time, the
    GPUs' energy to the output tokens. This returns those rates, computed with the formulas of
    ``footprint.llm`` and checked by Pint, as magnitudes: ``latency_per_token`` [s/token],
    ``ttft`` [s], and for each output impact ``<impact>_per_second``, ``<impact>_per_token``
    and, with input tokens, ``<impact>_per_input_token`` (impact units per s or per token).
    """
    c = factors.constant
    batch = c("batch_size")
    active = factors.quantity("models", f"active_parameters_{end}", groups[f"active_parameters_{end}"])
    total = factors.quantity("models", f"total_parameters_{end}", groups[f"total_parameters_{end}"])
    gpus = llm.gpu_required_count(
        llm.model_required_memory(total, c("model_quantization"), c("model_memory_overhead")), c("gpu_memory"))
    pue = ureg.Quantity(groups[f"pue_{end}"], "dimensionless")
    wue = ureg.Quantity(groups[f"wue_{end}"], "L/kWh")
    mix = _mix(groups)
    second, token = ureg.Quantity(1.0, "s"), ureg.Quantity(1.0, "token")
    hardware = {name: llm.server_gpu_embodied(gpus, c("server_gpu_count"), c(f"server_embodied_{name}"),
                                              c(f"llm_gpu_embodied_{name}")) for name in EMBODIED}
    # Impacts of one second of generation (server share, embodied share) ...
    per_second = _impacts_of(
        llm.server_energy(second, c("server_power"), gpus, c("server_gpu_count"), batch) / second, pue, wue, mix,
        {name: llm.request_embodied(hardware[name], c("hardware_lifespan"), second, batch) / second
         for name in EMBODIED})
    # ... and of one output token (the GPUs' energy; no embodied share: that follows the time).
    gpu_energy_per_token = llm.gpu_energy_per_token(active, batch, c("gpu_energy_alpha"), c("gpu_energy_beta"),
                                                    c("gpu_energy_gamma"))
    no_server_energy = ureg.Quantity(0.0, "kWh")
    per_token = _impacts_of(
        llm.request_it_energy(no_server_energy, gpus, llm.gpu_energy(token, gpu_energy_per_token)) / token,
        pue, wue, mix, {"gwp": ureg.Quantity(0.0, "kgCO2e/token"), "adpe": ureg.Quantity(0.0, "kgSbeq/token"),
                        "pe": ureg.Quantity(0.0, "MJ/token")})
    rates = {
        "latency_per_token": llm.latency_per_token(active, batch, c("latency_alpha"), c("latency_beta"),
                                                   c("latency_gamma"), factors.quantity("models", "tps", groups["tps"])
                                                   ).m_as("s/token"),
        "ttft": np.nan_to_num(factors.quantity("models", "ttft", groups["ttft"]).m_as("s"), nan=0.0),
    }
    rates |= {f"{k}_per_second": v for k, v in _magnitudes(per_second, per="s").items()}
    rates |= {f"{k}_per_token": v for k, v in _magnitudes(per_token, per="token").items()}
    if include_input_tokens:
        # The prompt is processed with the GPUs saturated by this request alone (no batch sharing).
        alone = ureg.Quantity(1.0, "dimensionless")
        prefill_seconds = llm.prefill_latency(llm.prefill_flops(token, active, c("flop_per_parameter_per_token")),
                                              gpus, c("prefill_gpu_peak_throughput"), c("prefill_flops_utilization"))
        per_input_token = _impacts_of(
            (llm.prefill_gpu_energy(prefill_seconds, gpus, c("prefill_gpu_power"))
             + llm.server_energy(prefill_seconds, c("server_power"), gpus, c("server_gpu_count"), alone)) / token,
            pue, wue, mix,
            {name: llm.request_embodied(hardware[name], c("hardware_lifespan"), prefill_seconds, alone) / token
             for name in EMBODIED})
        rates |= {f"{k}_per_input_token": v for k, v in _magnitudes(per_input_token, per="token").items()}
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
    ``request_latency_s`` (no cap if NaN). ``out``: optional ``{"min"|"max": {impact: array}}``
    to write into.

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
    requests = rows["requests"]
    output_tokens = rows["output_tokens_per_request"]
    cap = rows["request_latency_s"]
    capped = bool(np.any(np.isfinite(cap)))
    prefill = include_input_tokens and bool(np.nansum(rows["input_tokens_per_request"]) > 0)
    for start in range(0, n, CHUNK_ROWS):
        chunk = slice(start, min(start + CHUNK_ROWS, n))
        g = gid[chunk]
        count = np.nan_to_num(requests[chunk], nan=1.0)
        tokens = output_tokens[chunk]
        tokens_total = tokens * count
        if prefill:
            input_total = np.nan_to_num(rows["input_tokens_per_request"][chunk], nan=0.0) * count
        for end in ends:
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
            np.add(out[end]["gwp_usage_kgco2e"][chunk], out[end]["gwp_embodied_kgco2e"][chunk],
                   out=out[end]["gwp_kgco2e"][chunk])
    return out["min"], out["max"]


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
                        + (f"PUE par défaut appliqué : {default_pue:g} (Uptime Institute 2024, voir la base de "
                           "facteurs)." if default_pue is not None
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
            for name in EMBODIED}


def _resolve_hosted(con, factors: FactorBase, kind: str, select: str = "", joins: str = "",
                    named: tuple[str, str, list[str]] | None = None) -> tuple[dict[str, np.ndarray], list[str]]:
    """Rows of one kind joined with their hosting, zone and mix factors (and, for ``named`` =
    (column, French label, known names), the table that names them), after checking that
    every name is known; with the warnings about the electricity factors used."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _{kind} AS {_hosted_sql(select, joins, kind)}")
    problems: list[Problem] = []
    if named:
        column, label, known = named
        problems += _unknown(con, f"SELECT row_id, {column}_in FROM _{kind} WHERE {column}_found IS NULL "
                                  "ORDER BY row_id", column, f"{label} (connus : {', '.join(known)})")
    problems += _check_hosting_and_zone(con, kind, f"_{kind}")
    if problems:
        raise InputError(problems)
    cols = _fetch(con, f"SELECT r.*, {MIX_COLUMNS} FROM _{kind} r {MIX_JOIN} {PUBLISHED_JOIN}")
    return cols, _mix_warnings(con, f"_{kind}")


def _both_ends(cols: dict, it_energy, pue: dict, wue: dict, embodied: dict, warnings: list[str]) -> _Partial:
    """Impacts at both ends of the PUE/WUE range, from the IT energy and the embodied impacts."""
    ends = {end: _magnitudes(_impacts_of(it_energy, pue[end], wue[end], _mix(cols), embodied))
            for end in ("min", "max")}
    return _Partial(cols["row_id"], ends["min"], ends["max"], warnings)


def _gpu(con, factors: FactorBase, check_only: bool) -> _Partial | None:
    cols, warnings = _resolve_hosted(
        con, factors, "gpu",
        """g.gpu AS gpu_found, w.gpu AS gpu_in, g.tdp, g.embodied_gwp, g.embodied_adpe, g.embodied_pe, w.gpus,
           w.hours, w.utilization, w.server_overhead_w, w.cpu_cores, w.cpu_power_w, w.memory_gb,
           coalesce(w.embodied, true) AS with_embodied""",
        """LEFT JOIN gpu_keys gk ON gk.key = regexp_replace(lower(w.gpu), '[^a-z0-9]', '', 'g')
           LEFT JOIN gpus g ON g.gpu = gk.gpu""",
        ("gpu", "GPU inconnu", factors.gpus()))
    if check_only:
        return None
    c = factors.constant
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
    gpu_hours = gpu_formulas.gpu_hours(count, duration) * np.asarray(cols["with_embodied"], dtype=bool)
    embodied = _gpu_hour_embodied(factors, gpu_hours, {
        name: factors.quantity("gpus", f"embodied_{name}", _floats(cols[f"embodied_{name}"])) for name in EMBODIED})
    return _both_ends(cols, it_energy, pue, wue, embodied, warnings)


def _task(con, factors: FactorBase, check_only: bool) -> _Partial | None:
    cols, warnings = _resolve_hosted(
        con, factors, "task",
        """t.task AS task_found, w.task AS task_in, t.energy_per_unit, t.unit_of_work, g.tdp, g.embodied_gwp,
           g.embodied_adpe, g.embodied_pe, w.units""",
        """LEFT JOIN tasks t ON lower(t.task) = lower(trim(w.task))
           LEFT JOIN gpus g ON g.gpu = t.reference_gpu""",
        ("task", "tâche inconnue", factors.tasks()))
    if check_only:
        return None
    pue, wue = _hosting_ranges(cols, factors.constant("gpu_default_pue").m, warnings, "Tâches à l'unité")
    # Units of work differ by task (image, page, ...); the energy column is per unit of each row.
    it_energy = ureg.Quantity(_floats(cols["energy_per_unit"]) * _floats(cols["units"]), "kWh")
    tdp = _floats(cols["tdp"])
    has_gpu = ~np.isnan(tdp)
    gpu_hours = gpu_formulas.equivalent_gpu_hours(
        it_energy, ureg.Quantity(np.where(has_gpu, tdp, 1.0), "W/gpu")) * has_gpu
    embodied = _gpu_hour_embodied(factors, gpu_hours, {
        name: factors.quantity("gpus", f"embodied_{name}", np.nan_to_num(_floats(cols[f"embodied_{name}"])))
        for name in EMBODIED})
    return _both_ends(cols, it_energy, pue, wue, embodied, warnings)


def _measured(con, factors: FactorBase, check_only: bool) -> _Partial | None:
    cols, warnings = _resolve_hosted(con, factors, "measured", "w.energy_kwh")
    if check_only:
        return None
    pue, wue = _hosting_ranges(cols, None, warnings, "Mesures")
    it_energy = ureg.Quantity(_floats(cols["energy_kwh"]), "kWh")
    no_embodied = {name: ureg.Quantity(np.zeros(len(it_energy.m)), unit)
                   for name, unit in (("gwp", "kgCO2e"), ("adpe", "kgSbeq"), ("pe", "MJ"))}
    warnings.append("Mesures : la fabrication du matériel mesuré n'est pas comptée (matériel non décrit).")
    return _both_ends(cols, it_energy, pue, wue, no_embodied, warnings)


def compute_impacts(workloads: pd.DataFrame, factors: FactorBase, *, include_input_tokens: bool = False,
                    usage_split: bool = False) -> pd.DataFrame:
    """Impacts of every workload row, each as ``<impact>_low``, ``_central`` and ``_high``.

    ``workloads``: a table with the columns listed in this module's docstring.
    ``include_input_tokens``: add the prefill term for input tokens (off by default, as in
    EcoLogits). ``usage_split``: also give the usage parts of ADPe and primary energy
    (``adpe_usage_kgsbeq``, ``pe_usage_mj``). Returns a DataFrame aligned with ``workloads`` (same
    order, same index), whose
    ``attrs`` carry ``factor_base_version`` and ``warnings`` (French sentences). Raises
    ``InputError`` for bad rows, naming the row (``ligne``, 1-based) and the column.
    """
    table = _normalise(_to_arrow(workloads), factors)
    # Bad values are listed together with unknown names: the factors are still looked up.
    problems = _validate(table, workloads) + _unknown_datasets(table, factors)
    n = table.num_rows
    # One preallocated block holds every output column, so the result frame wraps it without copying.
    keys = (*IMPACT_KEYS, *USAGE_SPLIT_KEYS) if usage_split else IMPACT_KEYS
    columns = [f"{key}_{end}" for key in keys for end in ENDS]
    block = np.zeros((len(columns), n))
    position = {name: i for i, name in enumerate(columns)}
    warnings: list[str] = []
    con = factors.con.cursor()
    try:
        _register(con, table)
        present = set(table.column("kind").unique().to_pylist())
        views = {end: {key: block[position[f"{key}_{suffix}"]] for key in keys}
                 for end, suffix in (("min", "low"), ("max", "high"))}
        check_only = bool(problems)
        steps = {"llm": lambda: _llm(con, factors, table, include_input_tokens, views, check_only),
                 "gpu": lambda: _gpu(con, factors, check_only),
                 "task": lambda: _task(con, factors, check_only),
                 "measured": lambda: _measured(con, factors, check_only)}
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
            rows = _row_selector(partial.row_id, n)
            for key in keys:
                block[position[f"{key}_low"], rows] = partial.low[key]
                block[position[f"{key}_high"], rows] = partial.high[key]
        if problems:
            raise InputError(problems)
    finally:
        con.close()
    for key in keys:
        central = block[position[f"{key}_central"]]
        np.multiply(block[position[f"{key}_low"]], 0.5, out=central)
        central += 0.5 * block[position[f"{key}_high"]]
    result = pd.DataFrame(block.T, columns=columns, index=workloads.index, copy=False)
    result.attrs["factor_base_version"] = factors.version
    result.attrs["warnings"] = warnings
    return result


def _row_selector(row_id: np.ndarray, n: int) -> slice | np.ndarray:
    """Where a kind's results go in the output: a slice when its rows are all rows, in order."""
    row_id = np.asarray(row_id, dtype=np.int64)
    if len(row_id) == n and (n == 0 or (row_id[0] == 0 and row_id[-1] == n - 1 and np.all(np.diff(row_id) == 1))):
        return slice(None)
    return row_id


def totals(result: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Sum of each impact over the rows, as ``{impact: {"low", "central", "high"}}``."""
    return {key: {end: float(result[f"{key}_{end}"].sum()) for end in ENDS} for key in IMPACT_KEYS}
