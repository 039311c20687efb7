"""The factor base as the engine sees it: a DuckDB connection holding the validated tables,
plus the lookups the engine and the CLI need (names, aliases, suggestions, constants, the
electricity factor chosen for a zone and a year, and the list of factors behind a result).

Must not: hold any number (they are rows of ``emission_factors/``), or compute an impact.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import duckdb
import numpy as np
import pint

from emission_factors.loader import FACTOR_DIR, FactorBaseInfo, factor_base_version, load_factor_base, read_schema
from emission_factors.units import ureg

MIX_INDICATORS = ("gwp", "adpe", "pe", "wue_offsite")

# Lookup tables of normalised names, built once after loading: lower case, and for GPUs
# without any separator, so that "a100 sxm4", "A100-SXM4" and "a100_sxm4" all match.
_KEY_TABLES_SQL = r"""
CREATE OR REPLACE TABLE provider_keys AS
  SELECT DISTINCT key, provider FROM (
    SELECT lower(provider) AS key, provider FROM providers
    UNION ALL
    SELECT lower(trim(unnest(string_split(aliases, '|')))) AS key, provider FROM providers WHERE aliases <> ''
  ) WHERE key <> '';
CREATE OR REPLACE TABLE model_keys AS
  SELECT provider, lower(model) AS key, model FROM models;
CREATE OR REPLACE TABLE gpu_keys AS
  SELECT DISTINCT key, gpu FROM (
    SELECT regexp_replace(lower(gpu), '[^a-z0-9]', '', 'g') AS key, gpu FROM gpus
    UNION ALL
    SELECT regexp_replace(lower(unnest(string_split(aliases, '|'))), '[^a-z0-9]', '', 'g') AS key, gpu
    FROM gpus WHERE aliases <> ''
  ) WHERE key <> '';
"""

# For each wanted (zone, preferred dataset, year), pick each indicator from the preferred
# dataset if it has it, else from the default datasets in their priority order; within a
# dataset, the latest year not after the wanted one (the earliest year if all are later;
# the latest of all when no year is wanted, coded 0).
MIX_RESOLUTION_SQL = """
WITH candidates AS (
  SELECT w.zone, w.mix_dataset, w.year AS wanted_year, m.dataset, m.year,
         m.gwp, m.adpe, m.pe, m.wue_offsite,
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


def _mix_picks() -> str:
    parts = []
    for indicator in MIX_INDICATORS:
        condition = f"FILTER (WHERE {indicator} IS NOT NULL)"
        parts.append(f"arg_min({indicator}, rank) {condition} AS {indicator}")
        parts.append(f"arg_min(dataset, rank) {condition} AS {indicator}_dataset")
        parts.append(f"arg_min(year, rank) {condition} AS {indicator}_year")
    return ",\n  ".join(parts)


def _cache_folder() -> Path | None:
    """Where validated factor bases are cached (``FOOTPRINT_CACHE``, else the user's cache folder);
    None when caching is turned off (``FOOTPRINT_CACHE=off``)."""
    import os

    setting = os.environ.get("FOOTPRINT_CACHE")
    if setting == "off":
        return None
    if setting:
        return Path(setting)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "empreinte-ia"


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    return [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ?",
                                      [catalog]).fetchall()]


def _copy_tables(cache: Path, con: duckdb.DuckDBPyConnection, into_memory: bool) -> bool:
    """Copy every table between the cache file and the in-memory database; False on any failure
    (then the factor base is simply validated and loaded from its files)."""
    try:
        con.execute(f"ATTACH '{cache}' AS cached" + (" (READ_ONLY)" if into_memory else ""))
        try:
            source, target = ("cached", "memory") if into_memory else ("memory", "cached")
            for table in _tables(con, source):
                con.execute(f'CREATE TABLE {target}.main."{table}" AS SELECT * FROM {source}.main."{table}"')
        finally:
            con.execute("DETACH cached")
        return True
    except (duckdb.Error, OSError):
        return False


def _write_cache(con: duckdb.DuckDBPyConnection, cache: Path) -> None:
    """Write the validated tables to the cache file, under a temporary name then renamed."""
    import os
    import uuid

    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache.with_name(f".{cache.name}.{uuid.uuid4().hex}.tmp")
        if _copy_tables(temporary, con, into_memory=False):
            os.replace(temporary, cache)
        else:
            temporary.unlink(missing_ok=True)
    except OSError:
        pass  # no writable cache: the next start validates again, nothing else changes


@dataclass(frozen=True)
class MixFactor:
    """One indicator of the electricity mix chosen for a zone and year."""

    indicator: str
    value: float
    dataset: str
    year: int


class FactorBase:
    """The loaded, validated factor base (an in-memory DuckDB database) and its lookups."""

    def __init__(self, con: duckdb.DuckDBPyConnection, info: FactorBaseInfo):
        self.con = con
        self.info = info
        con.execute(_KEY_TABLES_SQL)
        self._resolve_all_mixes()

    def _resolve_all_mixes(self) -> None:
        """``mix_resolved``: the factors of every zone for each preferred dataset ('' for the
        default order) and each year from just before the first data year to just after the last
        (other years give the same choice as the nearest of these; 0 stands for "the latest")."""
        first, last = self.con.execute("SELECT min(year), max(year) FROM electricity_mix").fetchall()[0]
        self.mix_years = (int(first) - 1, int(last) + 1)
        self.con.execute(f"""CREATE OR REPLACE TEMP TABLE _wanted_all AS
            SELECT z.zone, d.mix_dataset, y.year
            FROM (SELECT DISTINCT zone FROM electricity_mix) z,
                 (SELECT '' AS mix_dataset UNION ALL SELECT dataset FROM electricity_mix_datasets) d,
                 (SELECT 0 AS year UNION ALL SELECT range AS year FROM range({self.mix_years[0]},
                  {self.mix_years[1] + 1})) y""")
        self.con.execute(f"CREATE OR REPLACE TABLE mix_resolved AS {self.mix_sql('_wanted_all')}")
        self.con.execute("DROP TABLE _wanted_all")
        self.con.execute("""CREATE OR REPLACE TABLE mix_series AS
            SELECT zone, dataset, count(DISTINCT year) AS years FROM electricity_mix GROUP BY ALL""")

    @classmethod
    def load(cls, directory: Path = FACTOR_DIR) -> FactorBase:
        """The factor base of ``directory``, validated. A validated copy is kept in a cache file
        named after the factor-base version (a hash of the files), so that later starts skip
        the row-by-row validation; any change to a file changes the version, hence the cache."""
        con = duckdb.connect(":memory:")
        version = factor_base_version(directory)
        cache = _cache_folder() / f"factor-base-{version}.duckdb" if _cache_folder() else None
        if cache is not None and cache.exists() and _copy_tables(cache, con, into_memory=True):
            return cls(con, FactorBaseInfo(version=version, tables=read_schema(directory), directory=directory))
        info = load_factor_base(con, directory)
        if cache is not None:
            _write_cache(con, cache)
        return cls(con, info)

    @property
    def version(self) -> str:
        return self.info.version

    # -- quantities --------------------------------------------------------------------------

    def unit(self, table: str, parameter: str) -> str:
        """Canonical unit of a parameter of a table (the unit its wide column is stored in)."""
        return self.info.tables[table].parameters[parameter].unit

    def quantity(self, table: str, parameter: str, values: np.ndarray | float) -> pint.Quantity:
        """Wrap values of a wide column in their canonical unit."""
        return ureg.Quantity(values, self.unit(table, parameter))

    @cached_property
    def _constants(self) -> dict[str, float]:
        row = self.con.execute("SELECT * FROM constants").fetchall()[0]
        columns = [d[0] for d in self.con.description]
        return dict(zip(columns, row))

    def constant(self, name: str) -> pint.Quantity:
        """A methodological constant, as a Pint quantity in its canonical unit."""
        return ureg.Quantity(self._constants[name], self.unit("constants", name))

    # -- names -------------------------------------------------------------------------------

    def _column(self, sql: str, *params: object) -> list:
        return [row[0] for row in self.con.execute(sql, list(params)).fetchall()]

    def provider_id(self, text: str) -> str | None:
        found = self._column("SELECT provider FROM provider_keys WHERE key = lower(trim(?))", text)
        return found[0] if found else None

    def providers(self) -> list[str]:
        return self._column("SELECT provider FROM providers ORDER BY provider")

    def model_name(self, provider: str, model: str) -> str | None:
        found = self._column("SELECT model FROM model_keys WHERE provider = ? AND key = lower(trim(?))",
                             provider, model)
        return found[0] if found else None

    def suggest_models(self, provider: str | None, model: str, count: int = 5) -> list[str]:
        """Closest known model names (``provider/model``), for an unknown one."""
        rows = self.con.execute("SELECT provider, model FROM models ORDER BY provider, model").fetchall()
        names = {f"{p}/{m}": m.lower() for p, m in rows if provider is None or p == provider}
        if not names:
            names = {f"{p}/{m}": m.lower() for p, m in rows}
        close = difflib.get_close_matches(model.lower(), list(names.values()), n=count, cutoff=0.4)
        by_key = {}
        for full, key in names.items():
            by_key.setdefault(key, full)
        return [by_key[key] for key in close]

    def gpu_id(self, text: str) -> str | None:
        found = self._column(
            "SELECT gpu FROM gpu_keys WHERE key = regexp_replace(lower(?), '[^a-z0-9]', '', 'g')", text)
        return found[0] if found else None

    def gpus(self) -> list[str]:
        return self._column("SELECT gpu FROM gpus ORDER BY gpu")

    def zones(self) -> list[str]:
        return self._column("SELECT DISTINCT zone FROM electricity_mix ORDER BY zone")

    def hostings(self) -> list[str]:
        return self._column("SELECT hosting FROM hosting_profiles ORDER BY hosting")

    def tasks(self) -> list[str]:
        return self._column("SELECT task FROM tasks ORDER BY task")

    def zone_aliases(self) -> dict[str, str]:
        return dict(self.con.execute("SELECT upper(alias), zone FROM zone_aliases").fetchall())

    def mix_datasets(self) -> list[str]:
        return self._column("SELECT dataset FROM electricity_mix_datasets ORDER BY dataset")

    def default_hosting(self, provider: str) -> str | None:
        found = self._column("SELECT default_hosting FROM providers WHERE provider = ?", provider)
        return found[0] or None if found else None

    def hostings_of(self, declarations) -> list[str | None]:
        """Hosting profile of each row of a table with ``kind``, ``hosting`` and ``provider``: as
        declared (any case), else, for an LLM, its provider's default; None when there is none."""
        provider_default = dict(self.con.execute(
            "SELECT key, default_hosting FROM provider_keys JOIN providers USING (provider)").fetchall())
        hostings = {h.lower(): h for h in self.hostings()}
        found = []
        for kind, hosting, provider in zip(declarations["kind"], declarations["hosting"], declarations["provider"]):
            if isinstance(hosting, str) and hosting.strip():
                found.append(hostings.get(hosting.strip().lower(), hosting.strip()))
            elif kind == "llm" and isinstance(provider, str):
                found.append(provider_default.get(provider.strip().lower()) or None)
            else:
                found.append(None)
        return found

    def hosting_zone(self, hosting: str) -> str | None:
        found = self._column("SELECT zone FROM hosting_profiles WHERE hosting = ?", hosting)
        return found[0] if found else None

    # -- electricity -------------------------------------------------------------------------

    @staticmethod
    def mix_sql(wanted_relation: str) -> str:
        """SQL giving the mix factors for each (zone, mix_dataset, year) row of ``wanted_relation``
        (a table or view name). ``mix_dataset`` '' means the default order; ``year`` 0 the latest."""
        return MIX_RESOLUTION_SQL.format(wanted=wanted_relation, picks=_mix_picks())

    def mix(self, zone: str, dataset: str | None = None, year: int | None = None) -> dict[str, MixFactor]:
        """The electricity factors used for one zone (see ``mix_sql``)."""
        con = self.con.cursor()
        try:
            con.execute("CREATE TEMP TABLE _wanted_mix AS SELECT ? AS zone, ? AS mix_dataset, "
                        "CAST(? AS INTEGER) AS year", [zone.upper(), dataset or "", year or 0])
            row = (con.execute(self.mix_sql("_wanted_mix")).fetchall() or [None])[0]
        finally:
            con.close()
        if row is None:
            return {}
        names = ["zone", "mix_dataset", "year"] + [f"{i}{s}" for i in MIX_INDICATORS
                                                   for s in ("", "_dataset", "_year")]
        values = dict(zip(names, row))
        return {i: MixFactor(i, values[i], values[f"{i}_dataset"], values[f"{i}_year"])
                for i in MIX_INDICATORS if values[i] is not None}

    # -- provenance --------------------------------------------------------------------------

    def source_rows(self, table: str, where: str, params: list[object]) -> list[dict]:
        """Rows of a long factor table (with unit, year, source and link) matching ``where``."""
        cursor = self.con.execute(
            f'SELECT parameter, value, unit, year, source, source_url FROM "factor_{table}" WHERE {where} '
            "ORDER BY parameter", params)
        return [dict(zip(("parameter", "value", "unit", "year", "source", "source_url"), row))
                for row in cursor.fetchall()]

    def constant_sources(self, names: list[str]) -> list[dict]:
        placeholders = ", ".join("?" for _ in names)
        return self.source_rows("constants", f"parameter IN ({placeholders})", list(names))
