"""Load the factor base (the CSV tables of this folder) into DuckDB, validating every row.

Owns: reading ``schema.toml`` and the CSV files it names, checking each row (unit and its
dimension, physical bounds, plausibility bounds, source and link, year, duplicate keys,
consistent attributes, required parameters and columns, min <= max, a parameter not above the
one it is bounded by), converting each value to its canonical unit, and writing the tables into
a DuckDB connection. It also computes the factor-base version, a short hash of
the files, that every result carries.

Must not: compute any impact (that is ``footprint``), or hold any factor in code.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import math
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import duckdb
import pyarrow as pa

from core.errors import InputError, Problem
from core.units import parse_unit, ureg

FACTOR_DIR = Path(__file__).parent
SCHEMA_FILE = "schema.toml"
LONG_COLUMNS = ["parameter", "value", "unit", "year", "source", "source_url", "note"]
YEAR_RANGE = (1990, 2100)


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter of a table of factors. ``minimum``/``maximum``: the plausibility range (a
    judgement); ``physical_minimum``/``physical_maximum``: what the nature of the quantity
    imposes (``schema.toml`` ``[physical]``), both in the canonical unit ``unit``."""

    name: str
    unit: str
    minimum: float
    maximum: float
    required: bool
    label: str
    physical_kind: str = ""
    physical_minimum: float = -math.inf
    physical_maximum: float = math.inf
    physical_reason: str = ""

    def physical_problem(self, value: float, unit: str | None = None) -> str | None:
        """French reason why ``value`` (in the canonical unit, ``unit`` when the canonical unit
        has a placeholder) is physically impossible; None when it is possible."""
        shown_unit = unit or self.unit
        if value < self.physical_minimum:
            side, bound = "en dessous du minimum", self.physical_minimum
        elif value > self.physical_maximum:
            side, bound = "au-dessus du maximum", self.physical_maximum
        else:
            return None
        return (f"valeur physiquement impossible pour « {self.name} » ({self.label}) : {value:g} {shown_unit}, "
                f"{side} physique {bound:g} {shown_unit} ; {self.physical_reason}")


@dataclass(frozen=True)
class TableSpec:
    name: str
    description: str
    files: list[str]
    keys: list[str]
    attributes: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    parameters: dict[str, ParameterSpec] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)
    required_columns: list[str] = field(default_factory=list)  # catalogue columns no row may leave empty
    not_above: dict[str, str] = field(default_factory=dict)  # parameter -> the parameter it cannot exceed

    @property
    def is_catalogue(self) -> bool:
        return not self.parameters

    @property
    def entity_columns(self) -> list[str]:
        return [k for k in self.keys if k != "year"] if not self.is_catalogue else self.keys

    @property
    def header(self) -> list[str]:
        if self.is_catalogue:
            return self.keys + self.columns
        long = [c for c in LONG_COLUMNS if not ("year" in self.keys and c == "year")]
        return self.keys + self.attributes + long


@dataclass(frozen=True)
class FactorBaseInfo:
    """What ``load_factor_base`` loaded: its version and the tables, by name."""

    version: str
    tables: dict[str, TableSpec]
    directory: Path


def _physical_bound(text: object, canonical: str) -> float | str:
    """A physical bound of ``schema.toml`` (a number with its unit, as text) in the canonical
    unit ``canonical``; a bare 0 fits any unit. A French reason when it does not convert."""
    try:
        quantity = ureg.Quantity(ureg.parse_expression(str(text).strip()))
    except Exception:  # Pint raises several types for unparsable text
        return f"borne physique illisible : « {text} »"
    if quantity.dimensionless and quantity.magnitude == 0:
        return 0.0
    if "{" in canonical:
        return f"borne physique « {text} » non nulle pour une unité qui dépend de la ligne ({canonical})"
    target = parse_unit(canonical)
    if quantity.dimensionality != ureg.Quantity(1, target).dimensionality:
        return f"borne physique « {text} » de mauvaise dimension : attendu une grandeur convertible en « {canonical} »"
    return float(quantity.to(target).magnitude)


def _parameter_spec(table: str, name: str, raw: dict, kinds: dict, problems: list[Problem]) -> ParameterSpec:
    """One parameter of ``schema.toml`` with its physical bounds, checked: the kind is declared,
    its bounds convert to the parameter's unit, and the plausible range lies inside them."""
    spec = ParameterSpec(name, raw["unit"], float(raw["min"]), float(raw["max"]), bool(raw.get("required", True)),
                         raw.get("label", name))
    where = {"file": SCHEMA_FILE, "column": f"tables.{table}.parameters.{name}"}
    kind = raw.get("physical")
    if kind not in kinds:
        problems.append(Problem(f"borne physique non déclarée ou inconnue (attendu « physical » parmi : "
                                f"{', '.join(kinds)})", value=kind, **where))
        return spec
    bounds = {}
    for side, default in (("min", -math.inf), ("max", math.inf)):
        text = kinds[kind].get(side)
        bound = default if text is None else _physical_bound(text, spec.unit)
        if isinstance(bound, str):
            problems.append(Problem(bound, **where))
            bound = default
        bounds[side] = bound
    if not bounds["min"] <= spec.minimum <= spec.maximum <= bounds["max"]:
        problems.append(Problem(f"intervalle plausible [{spec.minimum:g} ; {spec.maximum:g}] hors des bornes "
                                f"physiques [{bounds['min']:g} ; {bounds['max']:g}] (« {kind} »)", **where))
    return dataclasses.replace(spec, physical_kind=kind, physical_minimum=bounds["min"],
                               physical_maximum=bounds["max"], physical_reason=kinds[kind].get("reason", ""))


@lru_cache(maxsize=8)
def _schema(text: str) -> dict[str, TableSpec]:
    raw = tomllib.loads(text)
    kinds = raw.get("physical", {})
    problems: list[Problem] = []
    tables = {}
    for name, spec in raw["tables"].items():
        parameters = {pname: _parameter_spec(name, pname, p, kinds, problems)
                      for pname, p in spec.get("parameters", {}).items()}
        not_above = dict(spec.get("not_above", {}))
        for low, high in not_above.items():
            if low not in parameters or high not in parameters:
                problems.append(Problem(f"« not_above » nomme un paramètre inconnu de la table « {name} »",
                                        file=SCHEMA_FILE, column=f"tables.{name}.not_above", value=f"{low} / {high}"))
        columns = list(spec.get("columns", []))
        required = list(spec.get("required", []))
        if unknown := [c for c in required if c not in columns]:
            problems.append(Problem(f"« required » nomme une colonne inconnue de la table « {name} »",
                                    file=SCHEMA_FILE, column=f"tables.{name}.required", value=", ".join(unknown)))
        tables[name] = TableSpec(name, spec.get("description", ""), list(spec["files"]), list(spec["keys"]),
                                 list(spec.get("attributes", [])), columns, parameters,
                                 dict(spec.get("references", {})), required, not_above)
    if problems:
        raise InputError(problems)
    return tables


def read_schema(directory: Path = FACTOR_DIR) -> dict[str, TableSpec]:
    """The tables of ``schema.toml``, with their parameters and physical bounds. Raises
    ``InputError`` (French, naming ``schema.toml`` and the entry) when the schema itself is
    inconsistent: a parameter without physical bounds, or plausible beyond physical."""
    return dict(_schema((directory / SCHEMA_FILE).read_text(encoding="utf-8")))


@dataclass(frozen=True)
class InputBound:
    """Plausible range of a value a user types (``schema.toml``, section ``inputs``)."""

    minimum: float
    maximum: float
    integer: bool = False


@lru_cache(maxsize=4)
def read_input_bounds(directory: Path = FACTOR_DIR) -> dict[str, InputBound]:
    raw = tomllib.loads((directory / SCHEMA_FILE).read_text(encoding="utf-8")).get("inputs", {})
    return {name: InputBound(float(b["min"]), float(b["max"]), bool(b.get("integer", False)))
            for name, b in raw.items()}


@dataclass(frozen=True)
class Defaults:
    """What the tool assumes when nobody says (``schema.toml``, section ``defaults``): a choice of
    method, changed there once for every screen, command and export."""

    zone: str
    hosting: str
    scenarios: tuple[str, ...]
    compare: tuple[str, str]


@lru_cache(maxsize=4)
def read_defaults(directory: Path = FACTOR_DIR) -> Defaults:
    raw = tomllib.loads((directory / SCHEMA_FILE).read_text(encoding="utf-8")).get("defaults", {})
    try:
        compare = tuple(str(s) for s in raw["compare"])
        defaults = Defaults(str(raw["zone"]), str(raw["hosting"]), tuple(str(s) for s in raw["scenarios"]),
                            (compare[0], compare[1]))
    except (KeyError, IndexError, TypeError) as error:
        raise InputError.single(f"section « defaults » incomplète ({error})", file=SCHEMA_FILE) from None
    if not set(defaults.compare) <= set(defaults.scenarios):
        raise InputError.single("« compare » nomme un scénario absent de « scenarios »", file=SCHEMA_FILE,
                                column="defaults.compare", value=", ".join(defaults.compare))
    return defaults


def _check_defaults(directory: Path, checked: dict[str, list[dict]]) -> list[Problem]:
    """The default zone and hosting name rows of the base (a zone of ``electricity_mix``, a profile
    of ``hosting_profiles``)."""
    defaults = read_defaults(directory)
    known = {"zone": {r["zone"] for r in checked.get("electricity_mix", [])},
             "hosting": {r["hosting"] for r in checked.get("hosting_profiles", [])}}
    return [Problem(f"valeur par défaut inconnue de la table « {table} »", file=SCHEMA_FILE,
                    column=f"defaults.{name}", value=getattr(defaults, name))
            for name, table in (("zone", "electricity_mix"), ("hosting", "hosting_profiles"))
            if getattr(defaults, name) not in known[name]]


def factor_base_version(directory: Path = FACTOR_DIR) -> str:
    """A short hash of the schema and every CSV file of the factor base (name and bytes)."""
    digest = hashlib.sha256()
    for path in sorted([directory / SCHEMA_FILE, *directory.glob("*.csv")], key=lambda p: p.name):
        digest.update(path.name.encode())
        digest.update(b"\0")
        # Line endings normalised: a Windows checkout (CRLF) has the same version as a Linux one.
        digest.update(path.read_bytes().replace(b"\r\n", b"\n"))
    return digest.hexdigest()[:12]


@lru_cache(maxsize=512)
def _conversion(unit_text: str, canonical: str) -> float | str:
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
    if header != spec.header:
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


def _check_long_row(name: str, line: int, row: dict[str, str], spec: TableSpec,
                    problems: list[Problem]) -> dict | None:
    before = len(problems)
    for column in spec.keys:
        if not row[column]:
            problems.append(Problem("valeur manquante", file=name, line=line, column=column))
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
    if year is None or year != int(year) or not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        problems.append(Problem(f"année invalide (attendu un entier entre {YEAR_RANGE[0]} et {YEAR_RANGE[1]})",
                                file=name, line=line, column="year", value=row["year"]))
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
    factor = _conversion(row["unit"], canonical) if row["unit"] else "unité manquante"
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


def _check_table(spec: TableSpec, directory: Path, problems: list[Problem]) -> list[dict]:
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


def _check_references(tables: dict[str, TableSpec], checked: dict[str, list[dict]]) -> list[Problem]:
    """Every value of a referencing column exists in the table it refers to (empty: no reference)."""
    problems = []
    for name, spec in tables.items():
        for column, target in spec.references.items():
            table, target_column = target.split(".")
            known = {str(r[target_column]) for r in checked[table]}
            reported = set()
            for record in checked[name]:
                value = str(record.get(column) or "")
                if value and value not in known and (record["file"], value) not in reported:
                    reported.add((record["file"], value))
                    problems.append(Problem(f"référence inconnue : « {value} » n'existe pas dans la table {table}",
                                            file=record["file"], line=record["line"], column=column, value=value))
    return problems


def _write_table(con: duckdb.DuckDBPyConnection, spec: TableSpec, records: list[dict]) -> None:
    if spec.is_catalogue:
        columns = spec.keys + spec.columns + ["file", "line"]
        types = [pa.string()] * (len(columns) - 1) + [pa.int32()]
    else:
        columns = [k for k in spec.keys if k != "year"] + spec.attributes + [
            "parameter", "value", "unit", "canonical_value", "canonical_unit", "year", "source", "source_url",
            "note", "file", "line"]
        types = [pa.string()] * (len(columns) - 11) + [
            pa.string(), pa.float64(), pa.string(), pa.float64(), pa.string(), pa.int32(), pa.string(), pa.string(),
            pa.string(), pa.string(), pa.int32()]
    arrow = pa.table({c: pa.array([r[c] for r in records], type=t) for c, t in zip(columns, types)})
    table_name = f"factor_{spec.name}" if not spec.is_catalogue else spec.name
    con.register("_incoming", arrow)
    con.execute(f'CREATE OR REPLACE TABLE "{table_name}" AS SELECT * FROM _incoming')
    con.unregister("_incoming")
    if not spec.is_catalogue:
        _write_wide_table(con, spec)


def _write_wide_table(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    """One row per entity, one column per parameter (in its canonical unit), for the engine's joins."""
    group = spec.keys + spec.attributes
    pivots = ", ".join(
        f"max(canonical_value) FILTER (WHERE parameter = '{p}') AS \"{p}\"" for p in spec.parameters)
    group_sql = ", ".join(f'"{c}"' for c in group)
    select_group = group_sql + ", " if group else ""
    group_by = f"GROUP BY {group_sql}" if group else ""
    con.execute(f'CREATE OR REPLACE TABLE "{spec.name}" AS '
                f'SELECT {select_group}{pivots} FROM "factor_{spec.name}" {group_by}')


def load_factor_base(con: duckdb.DuckDBPyConnection, directory: Path = FACTOR_DIR) -> FactorBaseInfo:
    """Validate every table of the factor base and write it into ``con``, all or nothing.

    Returns the version and table specs. Raises ``InputError`` listing every bad row (file,
    line, column, French reason); nothing is written in that case.
    """
    tables = read_schema(directory)
    problems: list[Problem] = []
    checked = {name: _check_table(spec, directory, problems) for name, spec in tables.items()}
    problems += _check_references(tables, checked)
    problems += _check_defaults(directory, checked)
    if problems:
        raise InputError(problems)
    version = factor_base_version(directory)
    con.execute("BEGIN TRANSACTION")
    try:
        for name, spec in tables.items():
            _write_table(con, spec, checked[name])
        con.execute("CREATE OR REPLACE TABLE factor_base_meta AS SELECT ? AS version", [version])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return FactorBaseInfo(version=version, tables=tables, directory=directory)
