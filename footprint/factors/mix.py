"""The electricity factors chosen for a zone, a preferred dataset and a year: the one rule of that
choice, written once in SQL, used for a single zone (``chosen_mix``), for every zone and year at
once (``resolve_all_mixes``, the ``mix_resolved`` table the engine joins) and by the engine on
its own rows (``mix_sql``).

``MIX_INDICATORS`` are the parameters of the factor table ``electricity_mix`` that a consumed
kWh is multiplied by (not impacts: the engine turns them into ``footprint.vocabulary`` impacts).

Must not: hold a factor (they are rows of ``electricity_mix``), or compute an impact.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

# Parameters of ``electricity_mix`` chosen for each zone (``pe_published`` is not one: see
# ``electricity_mix_replacements``).
MIX_INDICATORS = ("gwp", "adpe", "pe", "wue_offsite")

# For each wanted (zone, preferred dataset, year), pick each indicator from the preferred
# dataset if it has it, else from the default datasets in their priority order; within a
# dataset, the latest year not after the wanted one (the earliest year if all are later;
# the latest of all when no year is wanted, coded 0).
MIX_RESOLUTION_SQL = """
WITH candidates AS (
  SELECT w.zone, w.mix_dataset, w.year AS wanted_year, m.dataset, m.year,
         {indicators},
         (CASE WHEN m.dataset = w.mix_dataset THEN 0 ELSE CAST(d.default_priority AS INTEGER) END) * 100000
         + CASE WHEN w.year = 0 THEN 3000 - m.year
                WHEN m.year <= w.year THEN w.year - m.year
                ELSE 1000 + m.year - w.year END AS rank
  FROM {wanted} w
  JOIN electricity_mix m ON m.zone = w.zone
  JOIN electricity_mix_datasets d ON d.dataset = m.dataset
  WHERE m.dataset = w.mix_dataset OR d.default_priority <> ''
)
SELECT zone, mix_dataset, wanted_year AS year,
  {picks}
FROM candidates GROUP BY zone, mix_dataset, wanted_year
"""


@dataclass(frozen=True)
class MixFactor:
    """One indicator of the electricity mix chosen for a zone and year."""

    indicator: str
    value: float
    dataset: str
    year: int


def _mix_picks() -> str:
    parts = []
    for indicator in MIX_INDICATORS:
        condition = f"FILTER (WHERE {indicator} IS NOT NULL)"
        parts.append(f"arg_min({indicator}, rank) {condition} AS {indicator}")
        parts.append(f"arg_min(dataset, rank) {condition} AS {indicator}_dataset")
        parts.append(f"arg_min(year, rank) {condition} AS {indicator}_year")
    return ",\n  ".join(parts)


def mix_sql(wanted_relation: str) -> str:
    """SQL giving the mix factors for each (zone, mix_dataset, year) row of ``wanted_relation``
    (a table or view name, or a subquery in parentheses). ``mix_dataset`` '' means the default
    order; ``year`` 0 the latest. Each indicator ``i`` gives the columns ``i``, ``i_dataset`` and
    ``i_year``."""
    return MIX_RESOLUTION_SQL.format(wanted=wanted_relation, picks=_mix_picks(),
                                     indicators=", ".join(f"m.{i}" for i in MIX_INDICATORS))


def data_years(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """The years ``resolve_all_mixes`` covers: from just before the first data year of
    ``electricity_mix`` to just after the last."""
    first, last = con.execute("SELECT min(year), max(year) FROM electricity_mix").fetchall()[0]
    return int(first) - 1, int(last) + 1


def resolve_all_mixes(con: duckdb.DuckDBPyConnection, years: tuple[int, int]) -> None:
    """``mix_resolved``: the factors of every zone for each preferred dataset ('' for the default
    order) and each year of ``years`` (other years give the same choice as the nearest of these;
    0 stands for "the latest"); ``mix_series``: how many years each (zone, dataset) has."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _wanted_all AS
        SELECT z.zone, d.mix_dataset, y.year
        FROM (SELECT DISTINCT zone FROM electricity_mix) z,
             (SELECT '' AS mix_dataset UNION ALL SELECT dataset FROM electricity_mix_datasets) d,
             (SELECT 0 AS year UNION ALL SELECT range AS year FROM range({years[0]}, {years[1] + 1})) y""")
    con.execute(f"CREATE OR REPLACE TABLE mix_resolved AS {mix_sql('_wanted_all')}")
    con.execute("DROP TABLE _wanted_all")
    con.execute("""CREATE OR REPLACE TABLE mix_series AS
        SELECT zone, dataset, count(DISTINCT year) AS years FROM electricity_mix GROUP BY ALL""")


def chosen_mix(con: duckdb.DuckDBPyConnection, zone: str, dataset: str | None,
               year: int | None) -> dict[str, MixFactor]:
    """The electricity factors used for one zone (any case), by indicator; empty for an unknown
    zone. ``dataset``: the preferred one (None: the default order); ``year``: None for the latest."""
    wanted = "(SELECT ? AS zone, ? AS mix_dataset, CAST(? AS INTEGER) AS year)"
    row = (con.execute(mix_sql(wanted), [zone.upper(), dataset or "", year or 0]).fetchall() or [None])[0]
    if row is None:
        return {}
    names = ["zone", "mix_dataset", "year"] + [f"{i}{s}" for i in MIX_INDICATORS for s in ("", "_dataset", "_year")]
    values = dict(zip(names, row))
    return {i: MixFactor(i, values[i], values[f"{i}_dataset"], values[f"{i}_year"])
            for i in MIX_INDICATORS if values[i] is not None}
