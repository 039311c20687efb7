"""The checks of the factor base's rows, before anything is written: each CSV file named by the
schema, row by row, then each table as a whole and the tables together.

Owns: reading a table's CSV files (encoding, header, column count), checking each row (keys
filled, a ``valid_from`` a year, known parameter, number, year, source and link, unit of the
right dimension converted to the canonical unit, physical then plausible bounds), each entity
(consistent attributes, required parameters, min <= max, ``not_above``), duplicate keys, the
references between tables (a cell holding a set referring name by name; a product's set of
models included, and its names each leading to one product: ``name_key``), the hosting and law of
each product (``HOSTING_REGIONS``, ``check_jurisdictions``: a known region, a source for what a
row says) and the defaults of ``schema.toml``. Every problem is a ``Problem`` naming file, line,
column.

Must not: write into DuckDB (``loader``), read ``schema.toml`` itself (``schema``), or compute
an impact.
"""

from __future__ import annotations

import csv
import math
import unicodedata
from functools import lru_cache
from pathlib import Path

from core.errors import Problem
from core.units import parse_unit, ureg
from emission_factors.schema import SCHEMA_FILE, YEAR_EXPECTED, TableSpec, is_factor_year, read_defaults

# A key column of this name holds the first year its rows apply to (a product's dated rows).
VALID_FROM = "valid_from"
# The separator of a set of names in one cell (aliases, the models of a product).
SET_SEPARATOR = "|"
# A reference target written ``table.column[]``: the referencing cell holds a set of names
# (separated by SET_SEPARATOR), each of which must be a value of the target (the products a
# disclosure concerns).
SET_REFERENCE = "[]"


def name_key(text: str) -> str:
    """The key a name typed by a person is matched by: lower case, without accents, spaces or
    punctuation (shared by the checks of the catalogue and the lookups of ``footprint.factors``).

    >>> {name_key(t) for t in ("Le Chat", "lechat", "LE-CHAT", "Le Chat ")}
    {'lechat'}
    >>> name_key("Modèle Général")
    'modelegeneral'
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


def split_set(text: str | None) -> list[str]:
    """The names of a cell holding a set (``gpt-4o|gpt-4o-mini``), stripped, empty ones dropped."""
    return [name.strip() for name in (text or "").split(SET_SEPARATOR) if name.strip()]


@lru_cache(maxsize=512)
def unit_conversion(unit_text: str, canonical: str) -> float | str:
    """Factor from ``unit_text`` to ``canonical``, or a French reason why there is none."""
    try:
        # parse_expression accepts a scale inside the unit, as in "kWh / (1000 * image)".
        quantity = ureg.Quantity(ureg.parse_expression(unit_text.strip()))
    except Exception:  # Pint raises several types for unparsable text
        return "unité illisible"
    target = parse_unit(canonical)
    if quantity.dimensionality != ureg.Quantity(1, target).dimensionality:
        return f"unité de mauvaise dimension : attendu une grandeur convertible en « {canonical} »"
    return float(quantity.to(target).magnitude)


def _parse_number(text: str) -> float | None:
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _read_rows(path: Path, spec: TableSpec, problems: list[Problem]) -> list[tuple[int, dict[str, str]]]:
    name = path.name
    if not path.exists():
        problems.append(Problem("fichier introuvable", file=name))
        return []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        problems.append(Problem("le fichier n'est pas encodé en UTF-8", file=name))
        return []
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if not _header_fits(header, spec):
        problems.append(Problem(f"en-tête inattendu : attendu « {','.join(spec.header)} »", file=name, line=1,
                                value=",".join(header or [])))
        return []
    rows = []
    for line_number, values in enumerate(reader, start=2):
        if not values:
            continue
        if len(values) != len(header):
            problems.append(Problem(f"{len(values)} colonnes au lieu de {len(header)}", file=name, line=line_number))
            continue
        rows.append((line_number, {column: value.strip() for column, value in zip(header, values)}))
    return rows


def _header_fits(header: list[str] | None, spec: TableSpec) -> bool:
    """Whether a file's header is the table's: its columns in order, the keys and attributes of a
    table of factors in any order among themselves (``product, label, …, valid_from``)."""
    if header is None or header == spec.header or spec.is_catalogue:
        return header == spec.header
    entity = len(spec.keys) + len(spec.attributes)
    return sorted(header[:entity]) == sorted(spec.header[:entity]) and header[entity:] == spec.header[entity:]


def _check_long_row(name: str, line: int, row: dict[str, str], spec: TableSpec,
                    problems: list[Problem]) -> dict | None:
    before = len(problems)
    for column in spec.keys:
        if not row[column]:
            problems.append(Problem("valeur manquante", file=name, line=line, column=column))
        elif column == VALID_FROM and not is_factor_year(_parse_number(row[column])):
            problems.append(Problem(f"première année d'application invalide ({YEAR_EXPECTED})", file=name,
                                    line=line, column=column, value=row[column]))
    parameter = spec.parameters.get(row["parameter"])
    if parameter is None:
        problems.append(Problem(f"paramètre inconnu pour la table « {spec.name} » (attendus : "
                                f"{', '.join(spec.parameters)})", file=name, line=line, column="parameter",
                                value=row["parameter"]))
        return None
    value = _parse_number(row["value"])
    if value is None:
        problems.append(Problem("valeur non numérique", file=name, line=line, column="value", value=row["value"]))
    year = _parse_number(row["year"])
    if not is_factor_year(year):
        problems.append(Problem(f"année invalide ({YEAR_EXPECTED})", file=name, line=line, column="year",
                                value=row["year"]))
    if not row["source"]:
        problems.append(Problem("source manquante : chaque valeur doit citer sa source", file=name, line=line,
                                column="source"))
    if not row["source_url"].startswith(("https://", "http://")):
        problems.append(Problem("lien vers la source manquant ou invalide", file=name, line=line,
                                column="source_url", value=row["source_url"]))
    try:
        canonical = parameter.unit.format(**row)
    except KeyError:
        canonical = parameter.unit
    if "{" in parameter.unit and not all(row.get(a) for a in spec.attributes if "{" + a + "}" in parameter.unit):
        problems.append(Problem("unité de travail manquante", file=name, line=line, column="unit_of_work"))
        return None
    factor = unit_conversion(row["unit"], canonical) if row["unit"] else "unité manquante"
    if isinstance(factor, str):
        problems.append(Problem(factor, file=name, line=line, column="unit", value=row["unit"]))
    elif value is not None:
        converted = value * factor
        impossible = parameter.physical_problem(converted, canonical)
        if impossible:
            problems.append(Problem(impossible, file=name, line=line, column="value", value=row["value"]))
        elif not parameter.minimum <= converted <= parameter.maximum:
            problems.append(Problem(
                f"valeur hors de l'intervalle plausible [{parameter.minimum:g} ; {parameter.maximum:g}] "
                f"{canonical} pour « {parameter.name} »", file=name, line=line, column="value", value=row["value"]))
        elif len(problems) == before:
            return {**row, "value": value, "year": int(year), "canonical_value": converted,
                    "canonical_unit": canonical, "file": name, "line": line}
    return None


def check_table(spec: TableSpec, directory: Path, problems: list[Problem]) -> list[dict]:
    """The rows of one table, from each of its files, that pass every check (dicts with their
    ``file`` and ``line``; a long table's with ``canonical_value`` and ``canonical_unit``); the
    problems of the others are added to ``problems``."""
    records: list[dict] = []
    seen: dict[tuple, tuple[str, int]] = {}
    refused: set[tuple] = set()
    for file_name in spec.files:
        for line, row in _read_rows(directory / file_name, spec, problems):
            if spec.is_catalogue:
                missing = [k for k in spec.keys if not row[k]]
                for column in missing:
                    problems.append(Problem("valeur manquante", file=file_name, line=line, column=column))
                if missing:
                    continue
                _check_required_columns(spec, file_name, line, row, problems)
                record = {**row, "file": file_name, "line": line}
                key = tuple(row[k] for k in spec.keys)
            else:
                record = _check_long_row(file_name, line, row, spec, problems)
                if record is None:
                    # Already reported: do not report the entity's parameter as missing too.
                    refused.add((*(row[k] for k in spec.keys), row["parameter"]))
                    continue
                key = (*(row[k] for k in spec.keys), row["parameter"])
            if key in seen:
                first_file, first_line = seen[key]
                problems.append(Problem(f"clé en double ({' / '.join(key)}), déjà définie en {first_file} "
                                        f"ligne {first_line}", file=file_name, line=line))
                continue
            seen[key] = (file_name, line)
            records.append(record)
    if not spec.is_catalogue:
        _check_entities(spec, records, problems, refused)
    return records


def _check_required_columns(spec: TableSpec, file_name: str, line: int, row: dict[str, str],
                            problems: list[Problem]) -> None:
    """The required columns of a catalogue row are filled, its required links are http(s) links."""
    for column in spec.required_columns:
        if not row[column]:
            problems.append(Problem("valeur manquante : cette colonne est obligatoire (schema.toml, « required »)",
                                    file=file_name, line=line, column=column))
        elif column.endswith("source_url") and not row[column].startswith(("https://", "http://")):
            problems.append(Problem("lien vers la source invalide (attendu un lien http ou https)", file=file_name,
                                    line=line, column=column, value=row[column]))


def _check_entities(spec: TableSpec, records: list[dict], problems: list[Problem], refused: set[tuple]) -> None:
    """Attributes agree within an entity, required parameters are there, min <= max, and no
    parameter exceeds the one it is bounded by (``not_above``)."""
    entities: dict[tuple, list[dict]] = {}
    for record in records:
        entities.setdefault(tuple(record[k] for k in spec.keys), []).append(record)
    for key, rows in entities.items():
        first = rows[0]
        where = {"file": first["file"], "line": first["line"]}
        label = " / ".join(map(str, key)) if key else spec.name
        for attribute in spec.attributes:
            values = {r[attribute] for r in rows}
            if len(values) > 1:
                problems.append(Problem(f"« {label} » : l'attribut « {attribute} » diffère d'une ligne à l'autre",
                                        column=attribute, value=" | ".join(sorted(values)), **where))
        by_parameter = {r["parameter"]: r for r in rows}
        raw_key = tuple(str(k) for k in key)
        missing = [p.name for p in spec.parameters.values()
                   if p.required and p.name not in by_parameter and (*raw_key, p.name) not in refused]
        if missing:
            problems.append(Problem(f"« {label} » : paramètre(s) obligatoire(s) manquant(s) : {', '.join(missing)}",
                                    **where))
        for name, low in by_parameter.items():
            if name.endswith("_min") and (high := by_parameter.get(name[:-4] + "_max")):
                if low["canonical_value"] > high["canonical_value"]:
                    problems.append(Problem(f"« {label} » : {name} est supérieur à {high['parameter']}",
                                            file=low["file"], line=low["line"], column="value", value=low["value"]))
        for name, bound_name in spec.not_above.items():
            row, bound = by_parameter.get(name), by_parameter.get(bound_name)
            if row and bound and row["canonical_value"] > bound["canonical_value"]:
                problems.append(Problem(f"« {label} » : {name} ({row['canonical_value']:g}) dépasse {bound_name} "
                                        f"({bound['canonical_value']:g}), ce qui est physiquement impossible",
                                        file=row["file"], line=row["line"], column="value", value=row["value"]))


def check_references(tables: dict[str, TableSpec], checked: dict[str, list[dict]]) -> list[Problem]:
    """Every value of a referencing column exists in the table it refers to (empty: no reference),
    and the catalogue of products agrees with the models (``check_products``)."""
    problems = []
    for name, spec in tables.items():
        for column, target in spec.references.items():
            table, target_column = target.removesuffix(SET_REFERENCE).split(".")
            known = {str(r[target_column]) for r in checked[table]}
            reported = set()
            for record in checked[name]:
                cell = str(record.get(column) or "")
                for value in split_set(cell) if target.endswith(SET_REFERENCE) else [cell]:
                    if value and value not in known and (record["file"], value) not in reported:
                        reported.add((record["file"], value))
                        problems.append(Problem(f"référence inconnue : « {value} » n'existe pas dans la table {table}",
                                                file=record["file"], line=record["line"], column=column, value=value))
    return problems + check_products(checked) + check_jurisdictions(checked)


# The kinds a product may be, and the parameters each requires (``name_min`` and ``name_max``).
PRODUCT_KINDS = {"llm": ("input_tokens_per_message", "output_tokens_per_message", "messages_per_user_per_day"),
                 "task": ("units_per_user_per_day",)}


def check_products(checked: dict[str, list[dict]]) -> list[Problem]:
    """The catalogue of products against the other tables: a known kind (``PRODUCT_KINDS``) and
    its parameters; every name of a product's set is a model of its provider in the models table
    (``llm``) or a task of the tasks table (``task``); and no name people type (id, label or
    alias, as ``name_key`` matches them) leads to two products. Once per product and valid_from."""
    models = {(r["provider"], r["model"]) for r in checked.get("models", [])}
    tasks = {r["task"] for r in checked.get("tasks", [])}
    given: dict[tuple[str, str], set[str]] = {}
    for record in checked.get("products", []):
        given.setdefault((record["product"], record[VALID_FROM]), set()).add(record["parameter"])
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    owners: dict[str, str] = {}
    for record in checked.get("products", []):
        product, provider = record["product"], record["provider"]
        if (product, record[VALID_FROM]) in seen:
            continue
        seen.add((product, record[VALID_FROM]))
        where = {"file": record["file"], "line": record["line"]}
        kind = record["kind"]
        if kind not in PRODUCT_KINDS:
            problems.append(Problem(f"« {product} » : sorte de produit inconnue (attendues : "
                                    f"{', '.join(PRODUCT_KINDS)})", column="kind", value=kind, **where))
            continue
        missing = [f"{name}_{end}" for name in PRODUCT_KINDS[kind] for end in ("min", "max")
                   if f"{name}_{end}" not in given[(product, record[VALID_FROM])]]
        if missing:
            problems.append(Problem(f"« {product} » : paramètre(s) obligatoire(s) pour un produit « {kind} » "
                                    f"manquant(s) : {', '.join(missing)}", column="parameter", **where))
        names = split_set(record["models"])
        what = "modèle" if kind == "llm" else "tâche"
        if kind == "task" and len(names) > 1:
            problems.append(Problem(f"« {product} » : une seule tâche par produit « task »", column="models",
                                    value=record["models"], **where))
        if not names:
            problems.append(Problem(f"« {product} » : aucun {what} (attendu au moins un {what}, séparés par "
                                    f"{SET_SEPARATOR})", column="models", **where))
        for name in names:
            if kind == "llm" and (provider, name) not in models:
                problems.append(Problem(f"« {product} » : modèle inconnu du fournisseur « {provider} » dans la table "
                                        "models", column="models", value=name, **where))
            elif kind == "task" and name not in tasks:
                problems.append(Problem(f"« {product} » : tâche inconnue de la table tasks", column="models",
                                        value=name, **where))
        for typed in (product, record["label"], *split_set(record["aliases"])):
            owner = owners.setdefault(name_key(typed), product)
            if owner != product:
                problems.append(Problem(f"« {product} » : le nom « {typed} » désigne déjà le produit « {owner} » "
                                        "(un nom tapé doit mener à un seul produit)", column="aliases", value=typed,
                                        **where))
    return problems


# Where a product of the catalogue is processed (the ``hosting_region`` of the jurisdictions
# table): in the EU as its provider commits to; with no commitment that the data stay in the EU;
# in the EU only with an offer or a setting the customer chooses.
IN_EU = "UE"
OUTSIDE_EU = "hors UE"
EU_OPTION = "UE (option)"
HOSTING_REGIONS = (IN_EU, OUTSIDE_EU, EU_OPTION)


def _is_link(text: str) -> bool:
    return text.startswith(("https://", "http://"))


def check_jurisdictions(checked: dict[str, list[dict]]) -> list[Problem]:
    """The hosting and law of each product (the jurisdictions table): a region among
    ``HOSTING_REGIONS``; a region or a location that cites its source, an http(s) link and the
    year of the source; a law that cites its own source and link; a row that gives none of them
    says why in its note (« non renseigné : … »), rather than staying silently empty."""
    problems: list[Problem] = []
    for record in checked.get("jurisdictions", []):
        where = {"file": record["file"], "line": record["line"]}
        region, location, law = record["hosting_region"], record["hosting_location"], record["applicable_law"]
        if region and region not in HOSTING_REGIONS:
            problems.append(Problem("région d'hébergement inconnue (valeurs possibles : " + ", ".join(HOSTING_REGIONS)
                                    + ")", column="hosting_region", value=region, **where))
        if region or location:
            if not record["source"]:
                problems.append(Problem("source manquante : une région ou une localisation d'hébergement cite sa "
                                        "source", column="source", **where))
            if not _is_link(record["source_url"]):
                problems.append(Problem("lien vers la source manquant ou invalide (attendu un lien http ou https)",
                                        column="source_url", value=record["source_url"] or None, **where))
        if (region or location or record["year"]) and not is_factor_year(_parse_number(record["year"] or "")):
            problems.append(Problem(f"année de la source invalide ({YEAR_EXPECTED})", column="year",
                                    value=record["year"] or None, **where))
        if law:
            if not record["law_source"]:
                problems.append(Problem("source manquante : le droit applicable cite sa source", column="law_source",
                                        **where))
            if not _is_link(record["law_source_url"]):
                problems.append(Problem("lien vers la source du droit applicable manquant ou invalide (attendu un "
                                        "lien http ou https)", column="law_source_url",
                                        value=record["law_source_url"] or None, **where))
        if not (region or location or law) and not record["note"]:
            problems.append(Problem("ligne sans hébergement ni droit applicable : la note dit pourquoi (« non "
                                    "renseigné : … »)", column="note", **where))
    return problems

def check_defaults(directory: Path, checked: dict[str, list[dict]]) -> list[Problem]:
    """The default zone and hosting name rows of the base (a zone of ``electricity_mix``, a profile
    of ``hosting_profiles``)."""
    defaults = read_defaults(directory)
    known = {"zone": {r["zone"] for r in checked.get("electricity_mix", [])},
             "hosting": {r["hosting"] for r in checked.get("hosting_profiles", [])}}
    return [Problem(f"valeur par défaut inconnue de la table « {table} »", file=SCHEMA_FILE,
                    column=f"defaults.{name}", value=getattr(defaults, name))
            for name, table in (("zone", "electricity_mix"), ("hosting", "hosting_profiles"))
            if getattr(defaults, name) not in known[name]]
