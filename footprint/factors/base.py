"""The factor base as the engine sees it: a DuckDB database holding the validated tables,
plus the lookups the engine and the CLI need (names, aliases, suggestions, constants, the
electricity factor chosen for a zone and a year, and the list of factors behind a result).

Also owns the authority's own values ("valeurs propres", kept in the store): checking one,
and a copy of the factor base where they replace the values of the files, with a version
that says so (``with_overrides``, ``load_with_overrides``, ``save_override``).

One factor base is shared by every thread of a process (the dashboard caches one for all its
sessions): ``FactorBase.con`` gives each thread a DuckDB cursor of its own, since a DuckDB
connection serves one call at a time and refuses the others (``ResourceInUseException``).

Must not: hold any number (they are rows of ``emission_factors/``), or compute an impact.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import itertools
import json
import math
import threading
import weakref
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pint

from core.errors import InputError, Problem
from core.units import ureg
from emission_factors.loader import (
    FACTOR_DIR,
    YEAR_RANGE,
    FactorBaseInfo,
    TableSpec,
    _conversion,
    factor_base_version,
    load_factor_base,
    read_schema,
)

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
    """The loaded, validated factor base (an in-memory DuckDB database) and its lookups; safe to
    use from several threads at once (its tables never change once it is built)."""

    def __init__(self, con: duckdb.DuckDBPyConnection | SharedConnection, info: FactorBaseInfo, *,
                 origin: FactorBase | None = None, overrides: pd.DataFrame | None = None,
                 build_lookups: bool = True):
        """``con``: the connection holding the tables (no longer to be used directly: every
        query goes through ``self.con``, one cursor per thread). ``origin``, ``overrides``: for a
        base derived by ``with_overrides`` (whose copied lookup tables are rebuilt only when
        ``build_lookups``)."""
        self.con = con if isinstance(con, SharedConnection) else SharedConnection(con)
        self.info = info
        # The base of the files this one derives from (itself when no local value is applied).
        self._origin = origin or self
        self.overrides = overrides if overrides is not None else pd.DataFrame(columns=list(APPLIED_COLUMNS))
        self._with_overrides: dict[tuple, FactorBase] = {}
        self._with_overrides_lock = threading.Lock()
        first, last = self.con.execute("SELECT min(year), max(year) FROM electricity_mix").fetchall()[0]
        self.mix_years = (int(first) - 1, int(last) + 1)
        if build_lookups:
            self.con.execute(_KEY_TABLES_SQL)
            self._resolve_all_mixes()

    def _resolve_all_mixes(self) -> None:
        """``mix_resolved``: the factors of every zone for each preferred dataset ('' for the
        default order) and each year from just before the first data year to just after the last
        (other years give the same choice as the nearest of these; 0 stands for "the latest")."""
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
        """Version of the factor base; ``files+hash`` when the authority's own values replace some."""
        return self.info.version

    @property
    def base_version(self) -> str:
        """Version of the factor files alone (a hash of the files)."""
        return self._origin.info.version

    # -- quantities --------------------------------------------------------------------------

    def unit(self, table: str, parameter: str) -> str:
        """Canonical unit of a parameter of a table (the unit its wide column is stored in)."""
        return self.info.tables[table].parameters[parameter].unit

    def quantity(self, table: str, parameter: str, values: np.ndarray | float) -> pint.Quantity:
        """Wrap values of a wide column in their canonical unit."""
        return ureg.Quantity(values, self.unit(table, parameter))

    @cached_property
    def _constants(self) -> dict[str, float]:
        result = self.con.execute("SELECT * FROM constants")
        columns = [d[0] for d in result.description]  # of this thread's cursor, the one that ran the query
        return dict(zip(columns, result.fetchall()[0]))

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
        (a table or view name, or a subquery in parentheses). ``mix_dataset`` '' means the
        default order; ``year`` 0 the latest."""
        return MIX_RESOLUTION_SQL.format(wanted=wanted_relation, picks=_mix_picks())

    def mix(self, zone: str, dataset: str | None = None, year: int | None = None) -> dict[str, MixFactor]:
        """The electricity factors used for one zone (see ``mix_sql``)."""
        wanted = "(SELECT ? AS zone, ? AS mix_dataset, CAST(? AS INTEGER) AS year)"
        row = (self.con.execute(self.mix_sql(wanted), [zone.upper(), dataset or "", year or 0]).fetchall()
               or [None])[0]
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

    def parameter_tables(self) -> list[str]:
        """The tables of numeric factors (those whose values an override can replace)."""
        return [name for name, spec in self.info.tables.items() if not spec.is_catalogue]

    def parameter_rows(self, table: str) -> pd.DataFrame:
        """Every factor of a table of numeric factors, one row per value: the key columns, a
        ``key`` dict (what ``save_override`` takes), parameter, label, value, unit, year, source,
        source_url, note, the value in the canonical unit and the plausible range in that unit."""
        spec = self.info.tables.get(table)
        if spec is None or spec.is_catalogue:
            raise InputError([Problem(f"table de facteurs inconnue (tables modifiables : "
                                      f"{', '.join(self.parameter_tables())})", column="table", value=table)])
        keys = [f'"{k}", ' for k in spec.keys if k != "year"]
        order = "".join(keys) + ("year, " if "year" in spec.keys else "") + "parameter"
        frame = self._query(f"SELECT {''.join(keys)}parameter, value, unit, year, source, source_url, note, "
                            f'canonical_value, canonical_unit FROM "factor_{table}" ORDER BY {order}', [], frame=True)
        frame.insert(0, "key", [_key_of(spec, row) for row in frame.to_dict("records")])
        parameters = spec.parameters
        frame.insert(frame.columns.get_loc("parameter") + 1, "label",
                     frame["parameter"].map(lambda p: parameters[p].label))
        frame["plausible_min"] = frame["parameter"].map(lambda p: parameters[p].minimum)
        frame["plausible_max"] = frame["parameter"].map(lambda p: parameters[p].maximum)
        return frame

    # -- the authority's own values (overrides) ----------------------------------------------

    def check_override(self, table: str, key: dict, parameter: str, value: float, unit: str,
                       year: int | None = None) -> list[Problem]:
        """What is wrong with replacing one factor of this base by ``value`` ``unit`` (French
        problems; empty when it can be applied): unknown table, key or parameter, unit that Pint
        cannot read or of the wrong dimension, value outside the plausible range of the schema,
        year missing or invalid, and a low value above its high one (``pue_min`` > ``pue_max``)
        once replaced. ``year``: of the value; for a table whose key has a year (electricity),
        that of the key."""
        problems, resolved = self._check_one(table, key, parameter, value, unit, year)
        if resolved is None:
            return problems
        return problems + [p for _, p in self._inverted_pairs([resolved], origin=self)]

    def check_overrides(self, overrides: pd.DataFrame) -> list[Problem]:
        """The problems of a whole set of overrides (rows as ``Store.factor_overrides`` gives
        them), checked together against the factor files: each one as ``check_override`` does,
        a missing justification, and low/high pairs with both ends replaced."""
        return self._origin._check_records(_override_records(overrides))[0]

    def with_overrides(self, overrides: pd.DataFrame) -> FactorBase:
        """The factor base of the files with the authority's active overrides (rows as
        ``Store.factor_overrides`` gives them; deleted ones are skipped) in place of their values.

        The base of the files (``self`` for it) when there is none. Otherwise a new base, in a new
        in-memory database, whose wide tables hold the new values in their canonical units and
        whose long ``factor_*`` rows say "Valeur propre à la collectivité : justification" with
        the value they replace in the note; its version is ``files_version+hash``. The overrides
        replace any applied to ``self``. Kept in a small cache, so that asking again is cheap.
        Raises ``InputError`` naming each override that no longer applies, and why.
        """
        origin = self._origin
        records = [r for r in _override_records(overrides) if not r["deleted"]]
        if not records:
            return origin
        digest = _digest(records)
        cache_key = (origin.version, digest, tuple(r["id"] for r in records))
        with origin._with_overrides_lock:
            found = origin._with_overrides.get(cache_key)
            if found is not None:
                return found
            problems, resolved = origin._check_records(records)
            if problems:
                raise InputError(problems)
            derived = origin._apply(resolved, digest)
            origin._with_overrides[cache_key] = derived
            while len(origin._with_overrides) > OVERRIDE_CACHE_SIZE:
                origin._with_overrides.pop(next(iter(origin._with_overrides)))
            return derived

    def _check_one(self, table: str, key: dict, parameter: str, value: object, unit: str | None,
                   year: object) -> tuple[list[Problem], dict | None]:
        """Problems of one override, and what applying it needs (None when it cannot be applied)."""
        spec = self.info.tables.get(table)
        if spec is None or spec.is_catalogue:
            return [Problem(f"table de facteurs inconnue (tables modifiables : {', '.join(self.parameter_tables())})",
                            column="table", value=table)], None
        expected = ", ".join(spec.keys) or "aucune colonne, la table n'a qu'une ligne"
        given = {str(k).strip(): v for k, v in key.items()} if isinstance(key, dict) else None
        if given is None or sorted(given) != sorted(spec.keys) or any(_blank(v) for v in given.values()):
            return [Problem(f"clé de la table « {table} » incomplète ou inattendue (colonnes attendues : {expected})",
                            column="cle", value=json.dumps(key, ensure_ascii=False, default=str))], None
        try:
            key = {k: int(given[k]) if k == "year" else str(given[k]).strip() for k in spec.keys}
        except (TypeError, ValueError):
            return [Problem("année de la clé invalide", column="cle", value=given.get("year"))], None
        label = " / ".join(str(key[k]) for k in spec.keys) or table
        where = " AND ".join(f'"{k}" = ?' for k in spec.keys) or "true"
        rows = self._query(f"""SELECT parameter, value, unit, canonical_value, canonical_unit, year, source,
            source_url FROM "factor_{table}" WHERE {where}""", list(key.values()))
        if not rows:
            columns = ", ".join(f'"{k}"' for k in spec.keys)
            known = [" / ".join(str(v) for v in row)
                     for row in self._query(f'SELECT DISTINCT {columns} FROM "factor_{table}"', [])]
            close = difflib.get_close_matches(label, known, n=5, cutoff=0.5)
            hint = f" (proches : {', '.join(close)})" if close else ""
            return [Problem(f"clé inconnue dans la table « {table} »{hint}", column="cle", value=label)], None
        if parameter not in spec.parameters:
            return [Problem(f"paramètre inconnu pour la table « {table} » (attendus : {', '.join(spec.parameters)})",
                            column="parametre", value=parameter)], None
        by_parameter = {row[0]: dict(zip(("parameter", "value", "unit", "canonical_value", "canonical_unit", "year",
                                          "source", "source_url"), row)) for row in rows}
        replaced = by_parameter.get(parameter)
        if replaced is None:
            return [Problem(f"« {label} » n'a pas de valeur de « {parameter} » dans la base : une valeur propre "
                            "remplace une valeur existante", column="parametre", value=parameter)], None
        problems = []
        canonical = replaced["canonical_unit"]
        number = None if isinstance(value, bool) else _number(value)
        if number is None:
            problems.append(Problem("valeur non numérique", column="valeur", value=value))
        factor = _conversion(unit, canonical) if isinstance(unit, str) and unit.strip() else (
            f"unité manquante : attendu une unité convertible en « {canonical} »")
        if isinstance(factor, str):
            problems.append(Problem(factor, column="unite", value=unit))
        converted = None
        if number is not None and not isinstance(factor, str):
            converted = number * factor
            bounds = spec.parameters[parameter]
            if not bounds.minimum <= converted <= bounds.maximum:
                problems.append(Problem(
                    f"valeur hors de l'intervalle plausible [{_shown(bounds.minimum)} ; {_shown(bounds.maximum)}] "
                    f"{canonical} pour « {parameter} » ({bounds.label})", column="valeur", value=value))
        if "year" in spec.keys:
            if not _blank(year) and _number(year) != key["year"]:
                problems.append(Problem(f"l'année fait partie de la clé de la table « {table} » : {key['year']} "
                                        "attendu", column="annee", value=year))
            year = key["year"]
        else:
            number_year = None if _blank(year) else _number(year)
            if number_year is None or number_year != int(number_year) or not (
                    YEAR_RANGE[0] <= number_year <= YEAR_RANGE[1]):
                problems.append(Problem(f"année de la valeur manquante ou invalide (attendu un entier entre "
                                        f"{YEAR_RANGE[0]} et {YEAR_RANGE[1]})", column="annee", value=year))
            else:
                year = int(number_year)
        if problems:
            return problems, None
        return [], {"table": table, "key": key, "label": label, "where": where, "parameter": parameter,
                    "value": number, "unit": unit.strip(), "year": year, "canonical_value": converted,
                    "canonical_unit": canonical, "replaced": replaced}

    def _current(self, resolved: dict, parameter: str) -> float | None:
        """The canonical value of another parameter of the same entity, in this base."""
        found = self._query(
            f'SELECT canonical_value FROM "factor_{resolved["table"]}" WHERE {resolved["where"]} AND parameter = ?',
            [*resolved["key"].values(), parameter])
        return found[0][0] if found else None

    def _query(self, sql: str, params: list, frame: bool = False) -> list[tuple] | pd.DataFrame:
        """Rows (or a DataFrame) of one query (on this thread's cursor)."""
        result = self.con.execute(sql, params)
        return result.df() if frame else result.fetchall()

    @staticmethod
    def _inverted_pairs(resolved: list[dict], origin: FactorBase) -> list[tuple[dict, Problem]]:
        """Low values above their high ones once ``resolved`` replace the values of ``origin``:
        (the override concerned, the problem)."""
        replacing = {_identity(r): r for r in resolved}
        found, seen = [], set()
        for r in resolved:
            stem, _, end = r["parameter"].rpartition("_")
            pair = (r["table"], json.dumps(r["key"], sort_keys=True), stem)
            if end not in ("min", "max") or pair in seen:
                continue
            seen.add(pair)
            ends = {}
            for name in (f"{stem}_min", f"{stem}_max"):
                other = replacing.get(pair[:2] + (name,))
                ends[name] = other["canonical_value"] if other else origin._current(r, name)
            low, high = ends[f"{stem}_min"], ends[f"{stem}_max"]
            if low is not None and high is not None and low > high:
                found.append((r, Problem(
                    f"« {r['label']} » : {stem}_min ({_shown(low)}) serait supérieur à {stem}_max ({_shown(high)}) ; "
                    "donnez une valeur propre aux deux bornes (la même pour une valeur unique)",
                    column="valeur", value=r["value"])))
        return found

    def _check_records(self, records: list[dict], pairs: bool = True) -> tuple[list[Problem], list[dict]]:
        """``check_overrides`` on records (of the files' base): problems, and what to apply;
        ``pairs`` False leaves out the check of low/high pairs."""
        problems, resolved, seen = [], [], set()
        for record in records:
            found, applied = self._check_one(record["table"], record["key"], record["parameter"], record["value"],
                                              record["unit"], record["year"])
            if _blank(record["justification"]):
                found.append(Problem("justification manquante : dites d'où vient la valeur (mesure, facture, "
                                     "étude…)", column="justification"))
                applied = None
            if applied is not None and _identity(applied) in seen:
                found.append(Problem("deux valeurs propres pour le même facteur : gardez-en une",
                                     column="parametre", value=applied["parameter"]))
                applied = None
            if applied is not None:
                seen.add(_identity(applied))
                resolved.append(applied | {"id": record["id"], "justification": record["justification"].strip(),
                                           "created_by": record["created_by"], "created_at": record["created_at"]})
            problems += [_about(record, p) for p in found]
        if pairs:
            problems += [_about(r, p) for r, p in self._inverted_pairs(resolved, origin=self)]
        return problems, resolved

    def _apply(self, resolved: list[dict], digest: str) -> FactorBase:
        """A copy of this base with ``resolved`` overrides applied, in a new in-memory database.

        The database is attached to this base's DuckDB instance: copying the tables there costs
        a tenth of a copy into another instance. The new base's cursors (one per thread, and those
        of ``con.cursor()``) read it by default; they are closed and it is detached when the new
        base is garbage-collected. Called under the origin's lock: one thread builds it."""
        catalog = f"overrides_{digest}_{next(_CATALOG_NUMBERS)}"
        con = self.con.cursor()
        con.execute(f"ATTACH ':memory:' AS {catalog}")
        for table in _tables(con, "memory"):
            con.execute(f'CREATE TABLE {catalog}.main."{table}" AS SELECT * FROM memory.main."{table}"')
        con.execute(f"USE {catalog}")
        version = f"{self.version}+{digest}"
        applied = []
        for r in resolved:
            old = r["replaced"]
            shown_old = f"{_shown(old['value'])} {old['unit']} ({old['year']}, {old['source']}"
            shown_old += f", {old['source_url']})" if old["source_url"] else ")"
            who = f" saisie par {r['created_by']}" if not _blank(r["created_by"]) else ""
            note = (f"Valeur propre {r['id']}{who} ; remplace la valeur de la base de facteurs {self.version} : "
                    f"{shown_old}")
            params = list(r["key"].values())
            con.execute(f"""UPDATE "factor_{r['table']}" SET value = ?, unit = ?, canonical_value = ?, year = ?,
                source = ?, source_url = '', note = ? WHERE {r['where']} AND parameter = ?""",
                        [r["value"], r["unit"], r["canonical_value"], r["year"],
                         f"{LOCAL_SOURCE} : {r['justification']}", note.replace("  ", " "), *params, r["parameter"]])
            con.execute(f'UPDATE "{r["table"]}" SET "{r["parameter"]}" = ? WHERE {r["where"]}',
                        [r["canonical_value"], *params])
            applied.append({"id": r["id"], "table_name": r["table"], "key": r["key"], "parameter": r["parameter"],
                            "value": r["value"], "unit": r["unit"], "year": r["year"],
                            "justification": r["justification"], "canonical_value": r["canonical_value"],
                            "canonical_unit": r["canonical_unit"], "replaced_value": old["value"],
                            "replaced_unit": old["unit"], "replaced_source": old["source"]})
        con.execute("UPDATE factor_base_meta SET version = ?", [version])
        # The lookups of names never change (names are not factors); the electricity choices do.
        derived = FactorBase(SharedConnection(con, catalog), dataclasses.replace(self.info, version=version),
                             origin=self, overrides=pd.DataFrame(applied, columns=list(APPLIED_COLUMNS)),
                             build_lookups=any(r["table"] == "electricity_mix" for r in resolved))
        weakref.finalize(derived, _detach, self.con, con, catalog)
        return derived


class SharedConnection:
    """The connection of a factor base, safe to share between threads: each thread queries
    through a DuckDB cursor of its own, opened on its first query and kept for the thread's life
    (a DuckDB connection serves one call at a time and refuses the others; its cursors are
    independent connections to the same database). So ``con.execute(...)`` then
    ``con.description`` or ``.fetchall()`` read the cursor that ran the query, in each thread.

    ``catalog``: the attached database of a derived base, made the default of every cursor
    (DuckDB's ``USE`` holds for one connection only). The cursors are opened from ``parent``;
    closing ``parent`` closes them all."""

    def __init__(self, parent: duckdb.DuckDBPyConnection, catalog: str | None = None):
        self._parent = parent
        self._catalog = catalog
        self._opening = threading.Lock()
        self._local = threading.local()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor, for a caller that registers its own temporary tables or views (the
        engine); reads the derived database when there is one. Close it after use."""
        with self._opening:  # the parent is shared: one thread at a time opens a cursor from it
            cursor = self._parent.cursor()
        if self._catalog:
            cursor.execute(f"USE {self._catalog}")
        return cursor

    def _mine(self) -> duckdb.DuckDBPyConnection:
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._local.cursor = self.cursor()
        return cursor

    def execute(self, *args, **kwargs) -> duckdb.DuckDBPyConnection:
        """Run a query on this thread's cursor; returns that cursor (fetch from it)."""
        return self._mine().execute(*args, **kwargs)

    def sql(self, *args, **kwargs) -> duckdb.DuckDBPyRelation:
        return self._mine().sql(*args, **kwargs)

    @property
    def description(self) -> list | None:
        """The columns of this thread's last query."""
        return self._mine().description

    def close(self) -> None:
        """Close this thread's cursor (its next query opens another); other threads keep theirs."""
        cursor = getattr(self._local, "cursor", None)
        if cursor is not None:
            del self._local.cursor
            cursor.close()

    def __getattr__(self, name: str):
        return getattr(self._mine(), name)


def _detach(con: SharedConnection, used: duckdb.DuckDBPyConnection, catalog: str) -> None:
    """Free the database of a derived base: close the cursor that uses it (and with it the
    cursors of every thread, opened from it), then detach it."""
    try:
        used.close()
        cursor = con.cursor()
        cursor.execute(f"DETACH DATABASE IF EXISTS {catalog}")
        cursor.close()
    except duckdb.Error:
        pass  # still in use or already closed: freed with the connection


_CATALOG_NUMBERS = itertools.count(1)

# The source text of a factor replaced by the authority's own value (followed by the justification).
LOCAL_SOURCE = "Valeur propre à la collectivité"
# Columns of ``FactorBase.overrides``: what was applied, and what it replaced.
APPLIED_COLUMNS = ("id", "table_name", "key", "parameter", "value", "unit", "year", "justification",
                   "canonical_value", "canonical_unit", "replaced_value", "replaced_unit", "replaced_source")
# Derived bases kept per base of the files (a dashboard switches between a few sets at most).
OVERRIDE_CACHE_SIZE = 4


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _number(value: object) -> float | None:
    """A finite number from a number or a text (decimal comma accepted); None otherwise."""
    try:
        number = float(value.replace(",", ".").strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _shown(value: float) -> str:
    return format(value, ".6g").replace(".", ",")


def _key_of(spec: TableSpec, row: dict) -> dict:
    return {k: int(row[k]) if k == "year" else row[k] for k in spec.keys}


def _override_records(overrides: pd.DataFrame) -> list[dict]:
    """Rows of overrides as dicts with every field (a frame of ``Store.factor_overrides``, or one
    with at least ``table_name`` (or ``table``), ``key`` (or ``key_json``), ``parameter``,
    ``value``, ``unit``)."""
    records = []
    for row in overrides.to_dict("records"):
        key = row.get("key")
        if not isinstance(key, dict):
            key = json.loads(row["key_json"]) if isinstance(row.get("key_json"), str) else key
        deleted = row.get("deleted")
        records.append({"id": "" if _blank(row.get("id")) else str(row["id"]),
                        "table": row.get("table_name", row.get("table")), "key": key,
                        "parameter": row.get("parameter"), "value": row.get("value"), "unit": row.get("unit"),
                        "year": None if _blank(row.get("year")) else row.get("year"),
                        "justification": "" if _blank(row.get("justification")) else str(row["justification"]),
                        "created_by": None if _blank(row.get("created_by")) else row["created_by"],
                        "created_at": row.get("created_at"), "deleted": False if _blank(deleted) else bool(deleted)})
    return records


def _identity(override: dict) -> tuple[str, str, str]:
    """What one override replaces: table, key (as sorted JSON) and parameter."""
    return override["table"], json.dumps(override["key"], sort_keys=True), override["parameter"]


def _about(record: dict, problem: Problem) -> Problem:
    """A problem of a stored override, saying which one and that it no longer applies."""
    if not record["id"]:
        return problem
    value = f" (valeur : « {problem.value} »)" if not _blank(problem.value) else ""
    return Problem(f"la valeur propre {record['id']} ({record['table']}, "
                   f"{json.dumps(record['key'], ensure_ascii=False, default=str)}, {record['parameter']}) ne "
                   f"s'applique pas à la base de facteurs : {problem.message}{value} ; supprimez-la ou "
                   "enregistrez-la de nouveau")


def _digest(records: list[dict]) -> str:
    """8 hexadecimal digits of what the overrides change (their factor, value, unit, year and
    justification), whatever their order."""
    content = sorted(json.dumps([r["table"], json.dumps(r["key"], sort_keys=True, default=str), r["parameter"],
                                 repr(_number(r["value"])),
                                 r["unit"], None if r["year"] is None else str(r["year"]), r["justification"]],
                                ensure_ascii=False) for r in records)
    return hashlib.sha256("\n".join(content).encode()).hexdigest()[:8]


def load_with_overrides(store, factors: FactorBase | None = None) -> FactorBase:
    """The factor base (``factors``, else loaded from its files) with the store's active
    overrides applied: what every command working on a store computes with."""
    base = factors if factors is not None else FactorBase.load()
    return base.with_overrides(store.factor_overrides())


def save_overrides(store, factors: FactorBase, overrides: list[dict], user: str | None = None) -> list[str]:
    """Check overrides (dicts with ``table``, ``key``, ``parameter``, ``value``, ``unit``,
    ``year``, ``justification``) together with those already in the store, then save them in
    one transaction; returns their ids. Raises ``InputError`` (French) and saves nothing when
    one is wrong. An override of a factor that already has one replaces it."""
    origin = factors._origin
    fresh = [{"id": "", "created_by": user, "created_at": None, "deleted": False,
              "year": None, "justification": ""} | dict(o) for o in overrides]
    problems, resolved = origin._check_records(fresh, pairs=False)
    if problems:
        raise InputError(problems)
    replaced = {_identity(r) for r in resolved}
    kept = [r for r in _override_records(store.factor_overrides()) if _identity(r) not in replaced]
    problems, _ = origin._check_records(kept + fresh)
    if problems:
        raise InputError(problems)
    return store.save_factor_overrides(
        [{"table": r["table"], "key": r["key"], "parameter": r["parameter"], "value": r["value"], "unit": r["unit"],
          "year": r["year"], "justification": r["justification"]} for r in resolved], user)


def save_override(store, factors: FactorBase, table: str, key: dict, parameter: str, value: float, unit: str,
                  year: int | None, justification: str, user: str | None = None) -> str:
    """``save_overrides`` for one override; returns its id (``VL-nnnnn``)."""
    return save_overrides(store, factors, [{"table": table, "key": key, "parameter": parameter, "value": value,
                                            "unit": unit, "year": year, "justification": justification}], user)[0]


def delete_override(store, factors: FactorBase, identifier: str, user: str | None = None) -> None:
    """Delete an override (it stays in the store's history): the factor takes its files' value
    again. Refused (``InputError``) for an unknown id, or when the files' value would fall on the
    wrong side of the other end of its range (delete or change that one first)."""
    records = _override_records(store.factor_overrides())
    chosen = next((r for r in records if r["id"] == identifier), None)
    if chosen is None:
        raise InputError([Problem("valeur propre inconnue ou déjà supprimée", column="id", value=identifier)])
    origin = factors._origin
    _, deleted = origin._check_one(chosen["table"], chosen["key"], chosen["parameter"], chosen["value"],
                                   chosen["unit"], chosen["year"])
    stem, _, end = chosen["parameter"].rpartition("_")
    if deleted is not None and end in ("min", "max"):
        other_end = f"{stem}_{'max' if end == 'min' else 'min'}"
        other = [applied for record in records if record["parameter"] == other_end
                 for _, applied in [origin._check_one(record["table"], record["key"], record["parameter"],
                                                      record["value"], record["unit"], record["year"])]
                 if applied is not None and _identity(applied)[:2] == _identity(deleted)[:2]]
        other_value = other[0]["canonical_value"] if other else origin._current(deleted, other_end)
        restored = deleted["replaced"]["canonical_value"]
        low, high = (restored, other_value) if end == "min" else (other_value, restored)
        if other_value is not None and low > high:
            raise InputError([Problem(
                f"supprimer cette valeur propre ramènerait {chosen['parameter']} à la valeur de la base de facteurs "
                f"({_shown(restored)}), de l'autre côté de {other_end} ({_shown(other_value)}) : supprimez ou "
                f"modifiez d'abord la valeur propre de {other_end}", column="id", value=identifier)])
    store.delete_factor_override(identifier, user)
