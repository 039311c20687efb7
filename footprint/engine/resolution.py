"""The SQL that joins the workloads with the factor base: models and providers (by group of LLM
rows), hosting profiles, electricity mixes, GPUs and tasks; the French problems of names the
base does not know, and the warnings about the factors it used instead of those asked for.

Owns every query of the engine. Must not compute an impact (``llm`` and ``kinds`` do, from the
columns fetched here) nor hold a factor: every number comes from the base's tables.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from core.errors import InputError, Problem
from footprint.engine.workloads import MAX_LISTED_PROBLEMS, register
from footprint.factors import FactorBase
from footprint.factors.base import gpu_key_sql


def floats(values: np.ndarray) -> np.ndarray:
    """A fetched column as float64, NULL as NaN."""
    if isinstance(values, np.ma.MaskedArray):
        return values.astype("float64").filled(np.nan)
    return np.asarray(values, dtype="float64")


def fetch(con, sql: str) -> dict[str, np.ndarray]:
    return con.execute(sql).fetchnumpy()


def unknown(con, sql: str, column: str, message: str, suggest=None) -> list[Problem]:
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


# -- electricity mixes and hosting ------------------------------------------------------------

MIX_JOIN = """LEFT JOIN mix_resolved x ON x.zone = r.zone AND x.mix_dataset = coalesce(r.mix_dataset, '')
              AND x.year = CASE WHEN coalesce(r.year, 0) = 0 THEN 0 ELSE least(greatest(CAST(r.year AS INTEGER),
                  (SELECT min(year) FROM mix_resolved WHERE year > 0)), (SELECT max(year) FROM mix_resolved)) END"""
# A dataset's own primary energy where the base replaced it for breaking a physical bound
# (``pe_published``): used only when the row asks for that dataset by name, with a warning.
PUBLISHED_JOIN = """LEFT JOIN electricity_mix xp ON xp.zone = x.zone AND xp.dataset = x.pe_dataset
              AND xp.year = x.pe_year AND xp.dataset = r.mix_dataset AND xp.pe_published IS NOT NULL"""
# The mix factors of a row, named as the ``electricity_mix`` parameters whose units they have.
MIX_COLUMNS = "x.gwp, x.adpe, coalesce(xp.pe_published, x.pe) AS pe, x.wue_offsite"


def check_hosting_and_zone(con, kind: str, resolved: str, zone_needed: str = "TRUE") -> list[Problem]:
    """Unknown hosting profiles and zones of the resolved rows, and rows with neither a zone
    nor a hosting profile (where ``zone_needed`` holds)."""
    problems = unknown(con, f"SELECT row_id, hosting_in FROM {resolved} WHERE hosting_in IS NOT NULL "
                            "AND hosting_found IS NULL ORDER BY row_id", "hosting",
                       "profil d'hébergement inconnu (connus : "
                       + ", ".join(r[0] for r in con.execute("SELECT hosting FROM hosting_profiles ORDER BY 1")
                                   .fetchall()) + ")")
    problems += unknown(con, f"SELECT r.row_id, r.zone FROM {resolved} r {MIX_JOIN} WHERE r.zone IS NOT NULL "
                             "AND x.gwp IS NULL ORDER BY r.row_id", "zone",
                        "zone électrique inconnue (code ISO 3166 alpha-3 attendu, par exemple FRA)")
    problems += unknown(con, f"SELECT row_id, '' FROM {resolved} WHERE zone IS NULL AND hosting_found IS NULL "
                             f"AND {zone_needed} ORDER BY row_id", "zone",
                        f"précisez la zone électrique ou un profil d'hébergement pour cette charge « {kind} »")
    return problems


def mix_warnings(con, resolved: str) -> list[str]:
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


# -- llm: one resolution per group of rows that share their factors -------------------------

# Rows that share these keys share every factor: they are resolved once per group, so the
# joins and the per-model arithmetic cost what the distinct groups cost, not the rows.
LLM_GROUP_KEYS = ("provider", "model", "hosting", "zone", "pue", "wue", "mix_dataset", "year")

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


def resolve_llm(con, factors: FactorBase, llm_rows: pa.Table, first: np.ndarray) -> list[str]:
    """Resolve the groups of LLM rows (``first``: the first row of each group, by gid) into the
    temporary table ``_llm``, after checking every name; the warnings about the factors used.
    Raises ``InputError`` for unknown providers, models, hostings and zones."""
    present = [k for k in LLM_GROUP_KEYS if k in llm_rows.column_names]
    group_table = llm_rows.select(["row_id", *present]).take(first).append_column(
        "gid", pa.array(np.arange(len(first), dtype=np.int32)))
    register(con, "_llm_groups", group_table.rename_columns(["first_row", *present, "gid"]), LLM_GROUP_KEYS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _llm AS {LLM_SQL}")
    problems = unknown(con, "SELECT row_id, provider_in FROM _llm WHERE provider IS NULL ORDER BY row_id",
                       "provider", f"fournisseur inconnu (connus : {', '.join(factors.providers())})")
    problems += unknown(con, "SELECT row_id, provider || '/' || model_in FROM _llm WHERE provider IS NOT NULL "
                             "AND model IS NULL ORDER BY row_id", "model", "modèle inconnu",
                        suggest=lambda v: factors.suggest_models(v.split("/", 1)[0], v.split("/", 1)[1]))
    # A row with neither hosting nor PUE/WUE gets the message below, which also asks for the zone.
    problems += check_hosting_and_zone(con, "llm", "_llm", "pue_min IS NOT NULL AND wue_min IS NOT NULL")
    warnings = mix_warnings(con, "_llm") + _model_warnings(con)
    problems += unknown(con, "SELECT row_id, provider FROM _llm WHERE provider IS NOT NULL AND hosting_in IS NULL "
                             "AND (pue_min IS NULL OR wue_min IS NULL OR zone IS NULL) ORDER BY row_id",
                        "hosting", "ce fournisseur n'a pas d'hébergement par défaut : précisez un profil "
                                   "d'hébergement, ou bien le PUE, le WUE et la zone électrique")
    if problems:
        raise InputError(problems)
    return warnings


def llm_groups(con) -> dict[str, np.ndarray]:
    """The factors of each resolved LLM group, in gid order, as float arrays (NaN for missing)."""
    groups = fetch(con, f"""SELECT r.pue_min, r.pue_max, r.wue_min, r.wue_max, r.total_parameters_min,
        r.total_parameters_max, r.active_parameters_min, r.active_parameters_max, r.tps, r.ttft,
        {MIX_COLUMNS} FROM _llm r {MIX_JOIN} {PUBLISHED_JOIN} ORDER BY r.gid""")
    return {k: floats(v) for k, v in groups.items()}


# -- gpu, task, measured: row by row in SQL, with their hosting ------------------------------

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


def _resolve_hosted(con, kind: str, select: str = "", joins: str = "",
                    named: tuple[str, str, list[str]] | None = None) -> tuple[dict[str, np.ndarray], list[str]]:
    """Rows of one kind joined with their hosting, zone and mix factors (and, for ``named`` =
    (column, French label, known names), the table that names them), after checking that
    every name is known; with the warnings about the electricity factors used."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _{kind} AS {_hosted_sql(select, joins, kind)}")
    problems: list[Problem] = []
    if named:
        column, label, known = named
        problems += unknown(con, f"SELECT row_id, {column}_in FROM _{kind} WHERE {column}_found IS NULL "
                                 "ORDER BY row_id", column, f"{label} (connus : {', '.join(known)})")
    problems += check_hosting_and_zone(con, kind, f"_{kind}")
    if problems:
        raise InputError(problems)
    cols = fetch(con, f"SELECT r.*, {MIX_COLUMNS} FROM _{kind} r {MIX_JOIN} {PUBLISHED_JOIN}")
    return cols, mix_warnings(con, f"_{kind}")


def resolve_gpu(con, factors: FactorBase) -> tuple[dict[str, np.ndarray], list[str]]:
    """``gpu`` rows with their GPU's TDP and embodied impacts per GPU, hosting and mix."""
    return _resolve_hosted(
        con, "gpu",
        """g.gpu AS gpu_found, w.gpu AS gpu_in, g.tdp, g.embodied_gwp, g.embodied_adpe, g.embodied_pe, w.gpus,
           w.hours, w.utilization, w.server_overhead_w, w.cpu_cores, w.cpu_power_w, w.memory_gb,
           coalesce(w.embodied, true) AS with_embodied""",
        f"""LEFT JOIN gpu_keys gk ON gk.key = {gpu_key_sql('w.gpu')}
           LEFT JOIN gpus g ON g.gpu = gk.gpu""",
        ("gpu", "GPU inconnu", factors.gpus()))


def resolve_task(con, factors: FactorBase) -> tuple[dict[str, np.ndarray], list[str]]:
    """``task`` rows with their task's energy per unit and its reference GPU, hosting and mix."""
    return _resolve_hosted(
        con, "task",
        """t.task AS task_found, w.task AS task_in, t.energy_per_unit, t.unit_of_work, g.tdp, g.embodied_gwp,
           g.embodied_adpe, g.embodied_pe, w.units, coalesce(w.units_high, w.units) AS units_high""",
        """LEFT JOIN tasks t ON lower(t.task) = lower(trim(w.task))
           LEFT JOIN gpus g ON g.gpu = t.reference_gpu""",
        ("task", "tâche inconnue", factors.tasks()))


def resolve_measured(con) -> tuple[dict[str, np.ndarray], list[str]]:
    """``measured`` rows with their energy, hosting and mix."""
    return _resolve_hosted(con, "measured", "w.energy_kwh")
