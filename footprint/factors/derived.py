"""The factor base with a collectivité's own values in place of the values of its files: a copy,
in a new in-memory database of the same DuckDB instance, whose wide tables hold the new values in
their canonical units and whose long ``factor_*`` rows say "Valeur propre à la collectivité :
justification" with the value they replace in the note. Its version is ``files_version+hash``.

Owns: building that copy (from checked overrides, ``overrides``), its version, the list of what
it applied (``FactorBase.overrides``), and a small cache of such copies per base of the files.

Must not: check an override (``overrides``), touch the store, or hold a number.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import weakref

import pandas as pd

from core.errors import InputError
from footprint.factors.connection import SharedConnection, attach_copy, detach
from footprint.factors.overrides import check_records, finite_number, french_number, is_blank, override_records
from footprint.factors.shape import FactorTables

# The source text of a factor replaced by the authority's own value (followed by the justification).
LOCAL_SOURCE = "Valeur propre à la collectivité"
# Columns of ``FactorBase.overrides``: what was applied, and what it replaced.
APPLIED_COLUMNS = ("id", "table_name", "key", "parameter", "value", "unit", "year", "justification",
                   "canonical_value", "canonical_unit", "replaced_value", "replaced_unit", "replaced_source")
# Derived bases kept per base of the files (a dashboard switches between a few sets at most).
OVERRIDE_CACHE_SIZE = 4
_CATALOG_NUMBERS = itertools.count(1)


def _digest(records: list[dict]) -> str:
    """8 hexadecimal digits of what the overrides change (their factor, value, unit, year and
    justification), whatever their order."""
    content = sorted(json.dumps([r["table"], json.dumps(r["key"], sort_keys=True, default=str), r["parameter"],
                                 repr(finite_number(r["value"])),
                                 r["unit"], None if r["year"] is None else str(r["year"]), r["justification"]],
                                ensure_ascii=False) for r in records)
    return hashlib.sha256("\n".join(content).encode()).hexdigest()[:8]


def with_overrides(base: FactorTables, overrides: pd.DataFrame) -> FactorTables:
    """``FactorBase.with_overrides``: the base of the files of ``base`` with ``overrides`` (rows of
    ``Store.factor_overrides``) in place of their values; the base of the files when none is
    active. Built once per set, under the lock of the base of the files, kept in its cache."""
    origin = base._origin
    records = [r for r in override_records(overrides) if not r["deleted"]]
    if not records:
        return origin
    digest = _digest(records)
    cache_key = (origin.version, digest, tuple(r["id"] for r in records))
    with origin._with_overrides_lock:
        found = origin._with_overrides.get(cache_key)
        if found is not None:
            return found
        problems, resolved = check_records(origin, records)
        if problems:
            raise InputError(problems)
        derived = _apply(origin, resolved, digest)
        origin._with_overrides[cache_key] = derived
        while len(origin._with_overrides) > OVERRIDE_CACHE_SIZE:
            origin._with_overrides.pop(next(iter(origin._with_overrides)))
        return derived


def _apply(origin: FactorTables, resolved: list[dict], digest: str) -> FactorTables:
    """A copy of ``origin`` with ``resolved`` overrides applied, in a new in-memory database.

    The database is attached to ``origin``'s DuckDB instance (``attach_copy``). The new base's
    cursors (one per thread, and those of ``con.cursor()``) read it by default; they are closed
    and it is detached when the new base is garbage-collected. Called under the origin's lock:
    one thread builds it."""
    catalog = f"overrides_{digest}_{next(_CATALOG_NUMBERS)}"
    con = attach_copy(origin.con, catalog)
    version = f"{origin.version}+{digest}"
    applied = []
    for r in resolved:
        old = r["replaced"]
        shown_old = f"{french_number(old['value'])} {old['unit']} ({old['year']}, {old['source']}"
        shown_old += f", {old['source_url']})" if old["source_url"] else ")"
        who = f" saisie par {r['created_by']}" if not is_blank(r["created_by"]) else ""
        note = (f"Valeur propre {r['id']}{who} ; remplace la valeur de la base de facteurs {origin.version} : "
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
    derived = type(origin)(SharedConnection(con, catalog), dataclasses.replace(origin.info, version=version),
                          origin=origin, overrides=pd.DataFrame(applied, columns=list(APPLIED_COLUMNS)),
                          build_lookups=any(r["table"] == "electricity_mix" for r in resolved))
    weakref.finalize(derived, detach, origin.con, con, catalog)
    return derived
