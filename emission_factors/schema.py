"""The schema of the factor base (``schema.toml``), read: its tables with their keys, columns and
parameters (canonical unit, plausible range, physical bounds), the plausible ranges of what a user
types (``[inputs]``) and the defaults of the method (``[defaults]``).

Owns: reading ``schema.toml`` and refusing an inconsistent schema (a parameter without physical
bounds, a plausible range beyond them, a ``not_above`` or ``required`` naming nothing), and the
rule for the year a factor applies to (``YEAR_RANGE``).

Must not: read the CSV tables or check their rows (``checks``), write anything (``loader``), or
hold a factor or a bound of one: they come from ``schema.toml`` (the years a source can be
dated too: ``[factor_years]``).
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from core.errors import InputError, Problem
from core.units import parse_unit, ureg

FACTOR_DIR = Path(__file__).parent
SCHEMA_FILE = "schema.toml"
LONG_COLUMNS = ["parameter", "value", "unit", "year", "source", "source_url", "note"]
# The years a factor may apply to (the ``year`` of a row, or of a collectivité's own value).
def _section(directory: Path, name: str) -> dict:
    """One section of ``schema.toml`` (empty when it is not there)."""
    return tomllib.loads((directory / SCHEMA_FILE).read_text(encoding="utf-8")).get(name, {})


_YEARS = _section(FACTOR_DIR, "factor_years")
YEAR_RANGE = (int(_YEARS["min"]), int(_YEARS["max"]))
YEAR_EXPECTED = f"attendu un entier entre {YEAR_RANGE[0]} et {YEAR_RANGE[1]}"


def is_factor_year(number: float | None) -> bool:
    """Whether ``number`` (already read as a number; None when it is not one) is a whole year
    within ``YEAR_RANGE``."""
    return number is not None and number == int(number) and YEAR_RANGE[0] <= number <= YEAR_RANGE[1]


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
    """The plausible range of each value a user types, by name (``[inputs]``)."""
    return {name: InputBound(float(b["min"]), float(b["max"]), bool(b.get("integer", False)))
            for name, b in _section(directory, "inputs").items()}


@dataclass(frozen=True)
class Defaults:
    """What the tool assumes when nobody says (``schema.toml``, section ``defaults``): a choice of
    method, changed there once for every screen, command and export."""

    zone: str
    hosting: str
    scenarios: tuple[str, ...]
    compare: tuple[str, str]
    horizon: int
    horizon_range: tuple[int, int]


@lru_cache(maxsize=4)
def read_defaults(directory: Path = FACTOR_DIR) -> Defaults:
    """The defaults of the method (``[defaults]``). Raises ``InputError`` (French, naming
    ``schema.toml``) when the section is incomplete or ``compare`` names an unknown scenario."""
    raw = _section(directory, "defaults")
    try:
        compare = tuple(str(s) for s in raw["compare"])
        first, last = (int(y) for y in raw["horizon_range"])
        defaults = Defaults(str(raw["zone"]), str(raw["hosting"]), tuple(str(s) for s in raw["scenarios"]),
                            (compare[0], compare[1]), int(raw["horizon"]), (first, last))
    except (KeyError, IndexError, TypeError, ValueError) as error:
        raise InputError.single(f"section « defaults » incomplète ({error})", file=SCHEMA_FILE) from None
    if not defaults.horizon_range[0] < defaults.horizon <= defaults.horizon_range[1]:
        raise InputError.single("« horizon » hors de « horizon_range »", file=SCHEMA_FILE, column="defaults.horizon",
                                value=defaults.horizon)
    if not set(defaults.compare) <= set(defaults.scenarios):
        raise InputError.single("« compare » nomme un scénario absent de « scenarios »", file=SCHEMA_FILE,
                                column="defaults.compare", value=", ".join(defaults.compare))
    return defaults
