"""The collectivité's profile, set once: its name, SIREN, population, head-count, its latest BEGES
total and year, optionally its territorial (PCAET) total, and its PCAET reduction target. With it,
the AI footprint is put in perspective: per agent, per inhabitant, and as a share of the BEGES
and of the territory's emissions.

Owns: ``FIELDS`` (each field: its French name for files and the command line, its label, its
plausible range in ``schema.toml`` [inputs]), ``check_profile`` (French messages naming the
field and the value; a SIREN is 9 digits whose Luhn sum is right, as INSEE assigns them),
``Profile`` (read only, safe to share between sessions) and ``perspective``.

Must not: read or write the store (``Store.authority_profile`` / ``save_authority_profile``
hold the rows); hold a number of its own (bounds in ``schema.toml``, units through Pint).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

from core.errors import InputError, Problem
from core.units import convert
from emission_factors.schema import read_input_bounds
from footprint.io.cells import has_control_characters, is_missing, number_problem, parse_number


@dataclass(frozen=True)
class Field:
    """One field of the profile: the store's column, its French name, its label, and the name of
    its bounds in ``schema.toml`` [inputs] (None for text fields)."""

    key: str
    name: str
    label: str
    bound: str | None = None
    integer: bool = False


FIELDS = (
    Field("name", "nom", "Nom de la collectivité"),
    Field("siren", "siren", "SIREN"),
    Field("population", "population", "Population (habitants)", "population", True),
    Field("agents", "agents", "Nombre d'agents de la collectivité", "authority_agents", True),
    Field("beges_tco2e", "beges_tco2e", "Total du dernier BEGES (tCO2e par an)", "beges_tco2e"),
    Field("beges_year", "annee_beges", "Année de ce BEGES", "year", True),
    Field("territory_tco2e", "territoire_tco2e", "Émissions du territoire, inventaire du PCAET (tCO2e par an)",
          "territory_tco2e"),
    Field("territory_year", "annee_territoire", "Année de l'inventaire territorial", "year", True),
    Field("target_reduction_pct", "objectif_baisse_pct", "Objectif de baisse du PCAET (%)", "target_reduction_pct"),
    Field("target_year", "annee_objectif", "Année de l'objectif", "year", True),
)
BY_NAME = {f.name: f for f in FIELDS}
BY_KEY = {f.key: f for f in FIELDS}
# A name longer than this is not a collectivité's name (the longest official names of EPCI are
# under 150 characters, INSEE's code officiel géographique).
NAME_LENGTH = 200
_SIREN = re.compile(r"\d{9}")


@dataclass(frozen=True)
class Profile:
    """The collectivité's profile; every field but ``name`` may be unknown (None)."""

    name: str
    siren: str | None = None
    population: int | None = None
    agents: int | None = None
    beges_tco2e: float | None = None
    beges_year: int | None = None
    territory_tco2e: float | None = None
    territory_year: int | None = None
    target_reduction_pct: float | None = None
    target_year: int | None = None

    def values(self) -> dict:
        """The fields by store column (what ``Store.save_authority_profile`` takes)."""
        return asdict(self)

    @property
    def target(self) -> tuple[float, int] | None:
        """The PCAET target as (reduction as a fraction, year), when both are set."""
        if self.target_reduction_pct is None or self.target_year is None:
            return None
        return convert(self.target_reduction_pct, "percent", "dimensionless"), self.target_year


def _luhn(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _number(field: Field, value: object, problems: list[Problem]) -> float | int | None:
    try:
        number = parse_number(value)
    except ValueError as error:
        problems.append(Problem(number_problem(error), column=field.name, value=value))
        return None
    if number is None:
        return None
    bound = read_input_bounds()[field.bound]
    if field.integer and not float(number).is_integer():
        problems.append(Problem("un nombre entier est attendu", column=field.name, value=value))
        return None
    if not bound.minimum <= number <= bound.maximum:
        problems.append(Problem(f"hors des bornes plausibles ({bound.minimum:g} à {bound.maximum:g})",
                                column=field.name, value=value))
        return None
    return int(number) if field.integer else float(number)


def check_profile(values: Mapping[str, object], current: Mapping[str, object] | None = None) -> Profile:
    """The profile ``values`` describe (by French name, ``nom``, ``population``…, or by store
    column), over ``current`` (the profile held now: a field not given keeps its value; one given
    empty is cleared). Raises ``InputError`` whose problems name the field by its French name
    (``column``; ``BY_NAME`` gives its label), with nothing changed."""
    merged = {key: value for key, value in (current or {}).items() if key in BY_KEY}
    problems: list[Problem] = []
    for name, value in values.items():
        field = BY_NAME.get(name) or BY_KEY.get(name)
        if field is None:
            problems.append(Problem(f"champ inconnu (connus : {', '.join(BY_NAME)})", column=str(name), value=value))
            continue
        merged[field.key] = None if is_missing(value) or str(value).strip() == "" else value
    checked: dict[str, object] = {}
    for field in FIELDS:
        value = merged.get(field.key)
        if value is None:
            checked[field.key] = None
        elif field.bound is None:
            text = str(value).strip()
            if has_control_characters(text) or len(text) > NAME_LENGTH:
                problems.append(Problem(f"texte illisible ou trop long (au plus {NAME_LENGTH} caractères)",
                                        column=field.name, value=value))
            elif field.key == "siren":
                text = text.replace(" ", "").replace("\u202f", "").replace("\u00a0", "")
                if not _SIREN.fullmatch(text) or not _luhn(text):
                    problems.append(Problem("9 chiffres attendus, dont la clé de contrôle (Luhn) est juste",
                                            column=field.name, value=value))
            checked[field.key] = text
        else:
            checked[field.key] = _number(field, value, problems)
    if not checked.get("name"):
        problems.append(Problem("obligatoire", column="nom"))
    for amount, year in (("beges_tco2e", "beges_year"), ("territory_tco2e", "territory_year"),
                         ("target_reduction_pct", "target_year")):
        if (checked.get(amount) is None) != (checked.get(year) is None) and not any(
                p.column in (BY_KEY[amount].name, BY_KEY[year].name) for p in problems):
            missing = BY_KEY[year] if checked.get(year) is None else BY_KEY[amount]
            problems.append(Problem(f"à donner avec « {BY_KEY[amount].label} »",
                                    column=missing.name))
    if problems:
        raise InputError(problems)
    return Profile(**{f.name: checked[f.name] for f in fields(Profile)})


def profile_of(stored: Mapping[str, object] | None) -> Profile | None:
    """The ``Profile`` of a row of the store (``Store.authority_profile``), None when none was set."""
    if not stored:
        return None
    values = {f.name: stored.get(f.name) for f in fields(Profile)}
    for field in FIELDS:
        if field.integer and values[field.key] is not None:
            values[field.key] = int(values[field.key])
    return Profile(**values)


@dataclass(frozen=True)
class Perspective:
    """The year's AI emissions beside the collectivité: per agent (kgCO2e), per inhabitant
    (kgCO2e), share of the BEGES and of the territory's emissions (fractions); each as
    (low, central, high), None where the profile lacks the figure."""

    per_agent_kgco2e: tuple[float, float, float] | None
    per_inhabitant_kgco2e: tuple[float, float, float] | None
    beges_share: tuple[float, float, float] | None
    territory_share: tuple[float, float, float] | None


def perspective(gwp_kgco2e: Mapping[str, float], profile: Profile | None) -> Perspective:
    """``gwp_kgco2e`` (the year's total, ``low``/``central``/``high`` in kgCO2e) in perspective."""
    ends = tuple(float(gwp_kgco2e[end]) for end in ("low", "central", "high"))
    if profile is None:
        return Perspective(None, None, None, None)

    def per(count: float | None) -> tuple[float, float, float] | None:
        return tuple(v / count for v in ends) if count else None

    def share(total_tco2e: float | None) -> tuple[float, float, float] | None:
        return per(convert(total_tco2e, "tCO2e", "kgCO2e")) if total_tco2e else None

    return Perspective(per(profile.agents), per(profile.population), share(profile.beges_tco2e),
                       share(profile.territory_tco2e))
