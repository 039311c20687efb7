"""A collectivité's own values ("valeurs propres", kept in the store): one factor of the base
replaced by a value it measured or was given, with its unit, year and justification.

Owns: what is wrong with one (unknown table, key or parameter, unit Pint cannot read or of the
wrong dimension, value outside the plausible range, year, missing justification, two for one
factor, a low end above its high end once replaced), read from a store's rows or a form; and
saving or deleting them through the store, checked together with those already there. Every
problem is French and names the column of the form (``cle``, ``parametre``, ``valeur``…).

Must not: build the base they are applied to (``derived``), write SQL of the store (``Store``
does), or hold a number: the bounds are those of ``schema.toml``.
"""

from __future__ import annotations

import difflib
import json
import math

import pandas as pd

from core.errors import InputError, Problem
from emission_factors.checks import unit_conversion
from emission_factors.schema import YEAR_EXPECTED, is_factor_year
from footprint.factors.shape import FactorTables


def is_blank(value: object) -> bool:
    """Nothing there: None, NaN, NA or a text of spaces."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def finite_number(value: object) -> float | None:
    """A finite number from a number or a text (decimal comma accepted); None otherwise."""
    try:
        number = float(value.replace(",", ".").strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def french_number(value: float) -> str:
    """``value`` as French text: six significant digits, decimal comma."""
    return format(value, ".6g").replace(".", ",")


def override_records(overrides: pd.DataFrame) -> list[dict]:
    """Rows of overrides as dicts with every field (a frame of ``Store.factor_overrides``, or one
    with at least ``table_name`` (or ``table``), ``key`` (or ``key_json``), ``parameter``,
    ``value``, ``unit``)."""
    records = []
    for row in overrides.to_dict("records"):
        key = row.get("key")
        if not isinstance(key, dict):
            key = json.loads(row["key_json"]) if isinstance(row.get("key_json"), str) else key
        deleted = row.get("deleted")
        records.append({"id": "" if is_blank(row.get("id")) else str(row["id"]),
                        "table": row.get("table_name", row.get("table")), "key": key,
                        "parameter": row.get("parameter"), "value": row.get("value"), "unit": row.get("unit"),
                        "year": None if is_blank(row.get("year")) else row.get("year"),
                        "justification": "" if is_blank(row.get("justification")) else str(row["justification"]),
                        "created_by": None if is_blank(row.get("created_by")) else row["created_by"],
                        "created_at": row.get("created_at"), "deleted": False if is_blank(deleted) else bool(deleted)})
    return records


def identity(override: dict) -> tuple[str, str, str]:
    """What one override replaces: table, key (as sorted JSON) and parameter."""
    return override["table"], json.dumps(override["key"], sort_keys=True), override["parameter"]


def _about(record: dict, problem: Problem) -> Problem:
    """A problem of a stored override, saying which one and that it no longer applies."""
    if not record["id"]:
        return problem
    value = f" (valeur : « {problem.value} »)" if not is_blank(problem.value) else ""
    return Problem(f"la valeur propre {record['id']} ({record['table']}, "
                   f"{json.dumps(record['key'], ensure_ascii=False, default=str)}, {record['parameter']}) ne "
                   f"s'applique pas à la base de facteurs : {problem.message}{value} ; supprimez-la ou "
                   "enregistrez-la de nouveau")


def unknown_table(base: FactorTables, table: str) -> Problem:
    """``table`` is not a table of numeric factors of ``base``."""
    return Problem(f"table de facteurs inconnue (tables modifiables : {', '.join(base.parameter_tables())})",
                   column="table", value=table)


def check_override(base: FactorTables, table: str, key: dict, parameter: str, value: float, unit: str,
                   year: int | None = None) -> list[Problem]:
    """``FactorBase.check_override``: the problems of replacing one factor of ``base``, each
    alone (``check_one``) then with the other end of its low/high pair."""
    problems, resolved = check_one(base, table, key, parameter, value, unit, year)
    if resolved is None:
        return problems
    return problems + [p for _, p in inverted_pairs([resolved], origin=base)]


def check_one(base: FactorTables, table: str, key: dict, parameter: str, value: object, unit: str | None,
              year: object) -> tuple[list[Problem], dict | None]:
    """Problems of one override, and what applying it needs (None when it cannot be applied)."""
    spec = base.info.tables.get(table)
    if spec is None or spec.is_catalogue:
        return [unknown_table(base, table)], None
    expected = ", ".join(spec.keys) or "aucune colonne, la table n'a qu'une ligne"
    given = {str(k).strip(): v for k, v in key.items()} if isinstance(key, dict) else None
    if given is None or sorted(given) != sorted(spec.keys) or any(is_blank(v) for v in given.values()):
        return [Problem(f"clé de la table « {table} » incomplète ou inattendue (colonnes attendues : {expected})",
                        column="cle", value=json.dumps(key, ensure_ascii=False, default=str))], None
    try:
        key = {k: int(given[k]) if k == "year" else str(given[k]).strip() for k in spec.keys}
    except (TypeError, ValueError):
        return [Problem("année de la clé invalide", column="cle", value=given.get("year"))], None
    label = " / ".join(str(key[k]) for k in spec.keys) or table
    where = " AND ".join(f'"{k}" = ?' for k in spec.keys) or "true"
    rows = base._query(f"""SELECT parameter, value, unit, canonical_value, canonical_unit, year, source,
        source_url FROM "factor_{table}" WHERE {where}""", list(key.values()))
    if not rows:
        columns = ", ".join(f'"{k}"' for k in spec.keys)
        known = [" / ".join(str(v) for v in row)
                 for row in base._query(f'SELECT DISTINCT {columns} FROM "factor_{table}"', [])]
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
    number = None if isinstance(value, bool) else finite_number(value)
    if number is None:
        problems.append(Problem("valeur non numérique", column="valeur", value=value))
    factor = unit_conversion(unit, canonical) if isinstance(unit, str) and unit.strip() else (
        f"unité manquante : attendu une unité convertible en « {canonical} »")
    if isinstance(factor, str):
        problems.append(Problem(factor, column="unite", value=unit))
    converted = None
    if number is not None and not isinstance(factor, str):
        converted = number * factor
        bounds = spec.parameters[parameter]
        if not bounds.minimum <= converted <= bounds.maximum:
            problems.append(Problem(
                f"valeur hors de l'intervalle plausible [{french_number(bounds.minimum)} ; "
                f"{french_number(bounds.maximum)}] {canonical} pour « {parameter} » ({bounds.label})",
                column="valeur", value=value))
    if "year" in spec.keys:
        if not is_blank(year) and finite_number(year) != key["year"]:
            problems.append(Problem(f"l'année fait partie de la clé de la table « {table} » : {key['year']} "
                                    "attendu", column="annee", value=year))
        year = key["year"]
    else:
        number_year = None if is_blank(year) else finite_number(year)
        if not is_factor_year(number_year):
            problems.append(Problem(f"année de la valeur manquante ou invalide ({YEAR_EXPECTED})", column="annee",
                                    value=year))
        else:
            year = int(number_year)
    if problems:
        return problems, None
    return [], {"table": table, "key": key, "label": label, "where": where, "parameter": parameter,
                "value": number, "unit": unit.strip(), "year": year, "canonical_value": converted,
                "canonical_unit": canonical, "replaced": replaced}


def _check_record(base: FactorTables, record: dict) -> tuple[list[Problem], dict | None]:
    """``check_one`` on a record of ``override_records``."""
    return check_one(base, record["table"], record["key"], record["parameter"], record["value"], record["unit"],
                     record["year"])


def current(base: FactorTables, resolved: dict, parameter: str) -> float | None:
    """The canonical value of another parameter of the same entity, in this base."""
    found = base._query(
        f'SELECT canonical_value FROM "factor_{resolved["table"]}" WHERE {resolved["where"]} AND parameter = ?',
        [*resolved["key"].values(), parameter])
    return found[0][0] if found else None


def inverted_pairs(resolved: list[dict], origin: FactorTables) -> list[tuple[dict, Problem]]:
    """Low values above their high ones once ``resolved`` replace the values of ``origin``:
    (the override concerned, the problem)."""
    replacing = {identity(r): r for r in resolved}
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
            ends[name] = other["canonical_value"] if other else current(origin, r, name)
        low, high = ends[f"{stem}_min"], ends[f"{stem}_max"]
        if low is not None and high is not None and low > high:
            found.append((r, Problem(
                f"« {r['label']} » : {stem}_min ({french_number(low)}) serait supérieur à {stem}_max "
                f"({french_number(high)}) ; donnez une valeur propre aux deux bornes (la même pour une valeur unique)",
                column="valeur", value=r["value"])))
    return found


def check_records(base: FactorTables, records: list[dict], pairs: bool = True) -> tuple[list[Problem], list[dict]]:
    """``check_overrides`` on records (of the files' base): problems, and what to apply;
    ``pairs`` False leaves out the check of low/high pairs."""
    problems, resolved, seen = [], [], set()
    for record in records:
        found, applied = _check_record(base, record)
        if is_blank(record["justification"]):
            found.append(Problem("justification manquante : dites d'où vient la valeur (mesure, facture, "
                                 "étude…)", column="justification"))
            applied = None
        if applied is not None and identity(applied) in seen:
            found.append(Problem("deux valeurs propres pour le même facteur : gardez-en une",
                                 column="parametre", value=applied["parameter"]))
            applied = None
        if applied is not None:
            seen.add(identity(applied))
            resolved.append(applied | {"id": record["id"], "justification": record["justification"].strip(),
                                       "created_by": record["created_by"], "created_at": record["created_at"]})
        problems += [_about(record, p) for p in found]
    if pairs:
        problems += [_about(r, p) for r, p in inverted_pairs(resolved, origin=base)]
    return problems, resolved



def save_overrides(store, factors: FactorTables, overrides: list[dict], user: str | None = None) -> list[str]:
    """Check overrides (dicts with ``table``, ``key``, ``parameter``, ``value``, ``unit``,
    ``year``, ``justification``) together with those already in the store, then save them in
    one transaction; returns their ids. Raises ``InputError`` (French) and saves nothing when
    one is wrong. An override of a factor that already has one replaces it."""
    origin = factors._origin
    fresh = [{"id": "", "created_by": user, "created_at": None, "deleted": False,
              "year": None, "justification": ""} | dict(o) for o in overrides]
    problems, resolved = check_records(origin, fresh, pairs=False)
    if problems:
        raise InputError(problems)
    replaced = {identity(r) for r in resolved}
    kept = [r for r in override_records(store.factor_overrides()) if identity(r) not in replaced]
    problems, _ = check_records(origin, kept + fresh)
    if problems:
        raise InputError(problems)
    return store.save_factor_overrides(
        [{"table": r["table"], "key": r["key"], "parameter": r["parameter"], "value": r["value"], "unit": r["unit"],
          "year": r["year"], "justification": r["justification"]} for r in resolved], user)


def save_override(store, factors: FactorTables, table: str, key: dict, parameter: str, value: float, unit: str,
                  year: int | None, justification: str, user: str | None = None) -> str:
    """``save_overrides`` for one override; returns its id (``VL-nnnnn``)."""
    return save_overrides(store, factors, [{"table": table, "key": key, "parameter": parameter, "value": value,
                                            "unit": unit, "year": year, "justification": justification}], user)[0]


def delete_override(store, factors: FactorTables, identifier: str, user: str | None = None) -> None:
    """Delete an override (it stays in the store's history): the factor takes its files' value
    again. Refused (``InputError``) for an unknown id, or when the files' value would fall on the
    wrong side of the other end of its range (delete or change that one first)."""
    records = override_records(store.factor_overrides())
    chosen = next((r for r in records if r["id"] == identifier), None)
    if chosen is None:
        raise InputError([Problem("valeur propre inconnue ou déjà supprimée", column="id", value=identifier)])
    origin = factors._origin
    _, deleted = _check_record(origin, chosen)
    stem, _, end = chosen["parameter"].rpartition("_")
    if deleted is not None and end in ("min", "max"):
        other_end = f"{stem}_{'max' if end == 'min' else 'min'}"
        other = [applied for record in records if record["parameter"] == other_end
                 for _, applied in [_check_record(origin, record)]
                 if applied is not None and identity(applied)[:2] == identity(deleted)[:2]]
        other_value = other[0]["canonical_value"] if other else current(origin, deleted, other_end)
        restored = deleted["replaced"]["canonical_value"]
        low, high = (restored, other_value) if end == "min" else (other_value, restored)
        if other_value is not None and low > high:
            raise InputError([Problem(
                f"supprimer cette valeur propre ramènerait {chosen['parameter']} à la valeur de la base de facteurs "
                f"({french_number(restored)}), de l'autre côté de {other_end} ({french_number(other_value)}) : "
                f"supprimez ou modifiez d'abord la valeur propre de {other_end}", column="id", value=identifier)])
    store.delete_factor_override(identifier, user)
