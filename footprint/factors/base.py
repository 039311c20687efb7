"""The factor base as the engine sees it: a DuckDB database holding the validated tables,
plus the lookups the engine and the CLI need (names, aliases, suggestions, the products of the
catalogue, constants, the electricity factor chosen for a zone and a year, and the list of
factors behind a result).

``FactorBase`` is the one object callers hold; the rooms behind it: ``cache`` opens the
validated tables (from a cache file when it can), ``connection`` gives each thread its own
cursor (one base is shared by every thread of a process: the dashboard caches one for all its
sessions), ``mix`` chooses the electricity factors, ``products`` reads the catalogue of
products, ``overrides`` checks a collectivité's own values and ``derived`` builds the base
where they replace the files' values.

Must not: hold any number (they are rows of ``emission_factors/``), or compute an impact.
"""

from __future__ import annotations

import difflib
import threading
from functools import cached_property
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pint

from core.errors import InputError, Problem
from core.units import ureg
from emission_factors.checks import name_key
from emission_factors.loader import FactorBaseInfo
from emission_factors.schema import FACTOR_DIR, TableSpec
from footprint.factors.cache import open_validated
from footprint.factors.connection import SharedConnection
from footprint.factors.derived import APPLIED_COLUMNS
from footprint.factors.derived import with_overrides as _with_overrides
from footprint.factors.mix import MixFactor, chosen_mix, data_years, resolve_all_mixes
from footprint.factors.mix import mix_sql as _mix_sql
from footprint.factors.overrides import check_override as _check_override
from footprint.factors.overrides import check_records, override_records, unknown_table
from footprint.factors.products import Catalogue, Product


def gpu_key_sql(expression: str) -> str:
    """SQL that normalises a GPU name (``expression``) into its lookup key: lower case, without
    any separator, so that "a100 sxm4", "A100-SXM4" and "a100_sxm4" all match."""
    return f"regexp_replace(lower({expression}), '[^a-z0-9]', '', 'g')"


# Lookup tables of normalised names, built once after loading: lower case (GPUs: gpu_key_sql).
_KEY_TABLES_SQL = f"""
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
    SELECT {gpu_key_sql('gpu')} AS key, gpu FROM gpus
    UNION ALL
    SELECT {gpu_key_sql("unnest(string_split(aliases, '|'))")} AS key, gpu
    FROM gpus WHERE aliases <> ''
  ) WHERE key <> '';
"""


def closest(wanted: str, shown_by_key: dict[str, str], count: int = 5) -> list[str]:
    """The names closest to ``wanted`` (a lookup key), closest first, each once: ``shown_by_key``
    maps the key of each known name to what is shown for it (difflib's close matches)."""
    close = difflib.get_close_matches(wanted, list(shown_by_key), n=len(shown_by_key), cutoff=0.4)
    return list(dict.fromkeys(shown_by_key[key] for key in close))[:count]


def _key_of(spec: TableSpec, row: dict) -> dict:
    return {k: int(row[k]) if k == "year" else row[k] for k in spec.keys}


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
        self.mix_years = data_years(self.con)
        if build_lookups:
            self.con.execute(_KEY_TABLES_SQL)
            resolve_all_mixes(self.con, self.mix_years)

    @classmethod
    def load(cls, directory: Path = FACTOR_DIR) -> FactorBase:
        """The factor base of ``directory``, validated. A validated copy is kept in a cache file
        named after the factor-base version (a hash of the files), so that later starts skip
        the row-by-row validation; any change to a file changes the version, hence the cache."""
        return cls(*open_validated(directory))

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
        rows = [(p, m) for p, m in rows if provider is None or p == provider] or rows
        by_key: dict[str, str] = {}
        for p, m in rows:
            by_key.setdefault(m.lower(), f"{p}/{m}")
        return closest(model.lower(), by_key, count)

    @cached_property
    def _catalogue(self) -> Catalogue:
        spec = self.info.tables["products"]
        return Catalogue(self._query("SELECT * FROM products", [], frame=True).to_dict("records"), spec.parameters)

    def product_id(self, text: str) -> str | None:
        """The product of the catalogue ``text`` names (id, label or alias; any case, accents,
        spaces or punctuation), or None."""
        return self._catalogue.product_id(text)

    def product(self, product_id: str, year: int | None = None) -> Product:
        """A product of the catalogue as it is in ``year`` (the latest row set when None)."""
        return self._catalogue.valid(product_id, year)

    def products(self, year: int | None = None) -> list[Product]:
        """Every product of the catalogue, as it is in ``year``, by label."""
        return self._catalogue.products(year)

    def suggest_products(self, text: str, count: int = 5) -> list[str]:
        """The closest products (« Le Chat Pro (le_chat_pro) »), for an unknown name."""
        return closest(name_key(text or ""), self._catalogue.shown_by_key(), count)

    def gpu_id(self, text: str) -> str | None:
        found = self._column(
            f"SELECT gpu FROM gpu_keys WHERE key = {gpu_key_sql('?')}", text)
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
        """Hosting profile of each row of a table with ``kind``, ``hosting`` and ``provider`` (and
        optionally ``product`` and ``year``): as declared (any case), else its product's hosting (a
        language model or a task product), else, for an LLM, its provider's default; None when
        there is none."""
        provider_default = dict(self.con.execute(
            "SELECT key, default_hosting FROM provider_keys JOIN providers USING (provider)").fetchall())
        hostings = {h.lower(): h for h in self.hostings()}
        products = declarations["product"] if "product" in declarations else [None] * len(declarations)
        years = declarations["year"] if "year" in declarations else [None] * len(declarations)
        product_hosting: dict[tuple, str | None] = {}
        found = []
        for kind, hosting, provider, product, year in zip(declarations["kind"], declarations["hosting"],
                                                          declarations["provider"], products, years):
            if isinstance(hosting, str) and hosting.strip():
                found.append(hostings.get(hosting.strip().lower(), hosting.strip()))
            elif kind in ("llm", "task") and isinstance(product, str) and self.product_id(product):
                key = (product, None if pd.isna(year) else int(year))
                if key not in product_hosting:
                    product_hosting[key] = self.product(self.product_id(product), key[1]).hosting
                found.append(product_hosting[key])
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
        return _mix_sql(wanted_relation)

    def mix(self, zone: str, dataset: str | None = None, year: int | None = None) -> dict[str, MixFactor]:
        """The electricity factors used for one zone (see ``mix_sql``)."""
        return chosen_mix(self.con, zone, dataset, year)

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
            raise InputError([unknown_table(self, table)])
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
        return _check_override(self, table, key, parameter, value, unit, year)

    def check_overrides(self, overrides: pd.DataFrame) -> list[Problem]:
        """The problems of a whole set of overrides (rows as ``Store.factor_overrides`` gives
        them), checked together against the factor files: each one as ``check_override`` does,
        a missing justification, and low/high pairs with both ends replaced."""
        return check_records(self._origin, override_records(overrides))[0]

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
        return _with_overrides(self, overrides)

    def _query(self, sql: str, params: list, frame: bool = False) -> list[tuple] | pd.DataFrame:
        """Rows (or a DataFrame) of one query (on this thread's cursor)."""
        result = self.con.execute(sql, params)
        return result.df() if frame else result.fetchall()

    # -- labels, and where each product is processed (the register of AI uses) --------------

    def labels(self, table: str, key: str, label: str = "label") -> dict[str, str]:
        """``key`` -> ``label`` of a table of the base: a catalogue (``labels("providers",
        "provider")``) or the entities of a table of factors (``labels("gpus", "gpu")``). A key
        written on several rows (a zone and its aliases) takes the label of its last row, in the
        order of the files. ``InputError`` (French) for a table or a column the schema does not
        declare."""
        spec = self.info.tables.get(table)
        known = [] if spec is None else spec.keys + (spec.columns if spec.is_catalogue else spec.attributes)
        if spec is None or key not in known or label not in known:
            raise InputError.single("table ou colonne inconnue de la base de facteurs", column=table,
                                    value=f"{key}, {label}")
        order = ' ORDER BY "file", "line"' if spec.is_catalogue else ""
        rows = self.con.execute(f'SELECT "{key}", "{label}" FROM "{table}"{order}').fetchall()
        return {str(k): v for k, v in rows if k is not None}

    @cached_property
    def _jurisdictions(self) -> dict[str, dict]:
        frame = self._query("SELECT * FROM jurisdictions", [], frame=True).drop(columns=["file", "line"])
        return {row["product"]: {k: (v.strip() or None) if isinstance(v, str) else None for k, v in row.items()}
                for row in frame.to_dict("records")}

    def jurisdiction(self, product: str) -> dict | None:
        """Where the catalogue product ``product`` (its id) is processed and under which law its
        provider falls, as the jurisdictions table sources them: ``provider_name``,
        ``provider_country``, ``hosting_region`` (« UE », « hors UE », « UE (option) »),
        ``hosting_location``, ``applicable_law``, ``source``, ``source_url``, ``year``,
        ``law_source``, ``law_source_url``, ``note`` (None where the table leaves it empty); None
        for a product the table does not name."""
        found = self._jurisdictions.get(product)
        return None if found is None else dict(found)


def load_with_overrides(store, factors: FactorBase | None = None) -> FactorBase:
    """The factor base (``factors``, else loaded from its files) with the store's active
    overrides applied: what every command working on a store computes with."""
    base = factors if factors is not None else FactorBase.load()
    return base.with_overrides(store.factor_overrides())
