"""Scenario definitions: the built-in ones (the ids of ``schema.toml`` [defaults] ``scenarios``,
each a ``<id>.toml`` file of this folder) and the custom ones, read and checked.

A scenario is a set of levers. Each lever has either a ``value`` (the same every year) or a
``path`` (values by year, linearly interpolated, held flat before the first and after the last
year), a ``unit`` that Pint converts to the lever's unit, and a ``source``. A broken file gets a
French message naming the file and the lever; nothing of it is used.

Must not: project anything (that is the projection module) or hold a number of its own: every
value is in a scenario file, with its source.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.errors import InputError, Problem
from core.units import ureg
from emission_factors.schema import SCHEMA_FILE, read_defaults

SCENARIO_DIR = Path(__file__).parent
# The built-in scenarios, in the order they are shown: a policy default of the factor base.
BUILT_IN: tuple[str, ...] = read_defaults().scenarios
HORIZON = read_defaults().horizon_range  # the years a scenario may describe
DEFAULT_TO_YEAR = read_defaults().horizon  # the last year projected when nobody says


@dataclass(frozen=True)
class LeverSpec:
    """What a lever means and the values it may take (structure of the files, not a factor)."""

    label: str
    unit: str
    minimum: float
    maximum: float
    target: str | None = None  # "model" or "hosting": the lever moves volume towards it


LEVERS: dict[str, LeverSpec] = {
    "volume_growth": LeverSpec("Croissance annuelle des volumes d'usage", "1 / year", -0.5, 2.0),
    "adoption": LeverSpec("Part des agents qui utilisent l'IA", "dimensionless", 0.0, 1.0),
    "small_model_share": LeverSpec("Part des tokens déplacée vers un petit modèle", "dimensionless", 0.0, 1.0,
                                   "model"),
    "frontier_model_share": LeverSpec("Part des tokens déplacée vers un modèle de pointe ou de raisonnement",
                                      "dimensionless", 0.0, 1.0, "model"),
    "french_hosting_share": LeverSpec("Part déplacée vers un hébergement en France ou dans l'UE", "dimensionless",
                                      0.0, 1.0, "hosting"),
    "us_hosting_share": LeverSpec("Part déplacée vers un hyperscaler américain", "dimensionless", 0.0, 1.0,
                                  "hosting"),
    "efficiency_gain": LeverSpec("Gain d'efficacité annuel par token et par heure GPU", "1 / year", 0.0, 0.9),
    "pue_change": LeverSpec("Évolution annuelle du PUE", "1 / year", -0.3, 0.3),
    "grid_trend": LeverSpec("Application des trajectoires d'intensité carbone de l'électricité (1 : oui, 0 : non)",
                            "dimensionless", 0.0, 1.0),
}
SHARE_GROUPS = (("small_model_share", "frontier_model_share"), ("french_hosting_share", "us_hosting_share"))


@dataclass(frozen=True)
class Lever:
    name: str
    years: tuple[int, ...]
    values: tuple[float, ...]  # in the lever's unit
    source: str
    target: str | None = None

    def at(self, years: np.ndarray) -> np.ndarray:
        """The lever's value for each year (linear between the given years, flat outside)."""
        return np.interp(years, self.years, self.values)


@dataclass(frozen=True)
class Scenario:
    id: str
    label: str
    description: str
    levers: dict[str, Lever] = field(default_factory=dict)
    origin: str = ""

    def lever(self, name: str) -> Lever:
        """The lever, or its neutral value (no growth, no shift, no gain) when the file omits it."""
        if name in self.levers:
            return self.levers[name]
        neutral = 1.0 if name in ("adoption", "grid_trend") else 0.0
        return Lever(name, (HORIZON[0],), (neutral,), "valeur neutre (levier absent du scénario)")


def _lever(name: str, raw: object, file_name: str, problems: list[Problem]) -> Lever | None:
    def bad(message: str, value: object = None) -> None:
        problems.append(Problem(message, file=file_name, column=name, value=value))

    spec = LEVERS.get(name)
    if spec is None:
        bad(f"levier inconnu (leviers possibles : {', '.join(LEVERS)})")
        return None
    if not isinstance(raw, dict):
        bad("un levier est une table avec value ou path, unit et source")
        return None
    stray = sorted(set(raw) - {"value", "path", "unit", "source", "target"})
    if stray:
        bad(f"clé(s) inconnue(s) dans le levier : {', '.join(stray)} (attendues : value ou path, unit, source, target)")
    if "target" in raw and not isinstance(raw["target"], str):
        bad("target doit être un texte (fournisseur/modèle ou profil d'hébergement)", raw["target"])
        return None
    if spec.target and "value" in raw:
        bad("un déplacement se décrit par une trajectoire : path = { 2025 = 0, 2030 = 0.5 } (une valeur constante "
            "ne déplacerait rien)")
        return None
    if not str(raw.get("source", "")).strip():
        bad("source manquante : chaque levier doit citer sa source ou son hypothèse")
    unit = str(raw.get("unit", ""))
    try:
        factor = float(ureg.Quantity(ureg.parse_expression(unit or "1")).to(spec.unit).magnitude)
    except Exception:  # Pint raises several types for a wrong or unreadable unit
        bad(f"unité absente, illisible ou de mauvaise dimension (attendu : convertible en « {spec.unit} »)", unit)
        return None
    if ("value" in raw) == ("path" in raw):
        bad("donnez soit value (une valeur pour toutes les années), soit path (des valeurs par année)")
        return None
    points = {HORIZON[0]: raw["value"]} if "value" in raw else raw["path"]
    if not isinstance(points, dict) or not points:
        bad("path doit associer des années à des valeurs, par exemple { 2025 = 0.5, 2030 = 0.8 }")
        return None
    years, values = [], []
    for year_text, value in sorted(points.items(), key=lambda item: str(item[0])):
        try:
            year = int(str(year_text))
        except ValueError:
            bad("année illisible", year_text)
            continue
        if not HORIZON[0] <= year <= HORIZON[1]:
            bad(f"année hors de l'horizon {HORIZON[0]}–{HORIZON[1]}", year)
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
            bad(f"valeur non numérique pour {year}", value)
            continue
        converted = float(value) * factor
        if name == "grid_trend" and converted not in (0.0, 1.0):
            bad("1 (appliquer les trajectoires) ou 0 (intensité constante) attendu", value)
            continue
        if not spec.minimum <= converted <= spec.maximum:
            reason = ("part supérieure à 100 %" if spec.unit == "dimensionless" and converted > 1
                      else f"valeur hors de l'intervalle [{spec.minimum:g} ; {spec.maximum:g}] {spec.unit}")
            bad(f"{reason} pour {year}", value)
            continue
        years.append(year)
        values.append(converted)
    target = raw.get("target")
    if spec.target and not target:
        what = "modèle (fournisseur/modèle)" if spec.target == "model" else "profil d'hébergement"
        bad(f"précisez target : le {what} vers lequel ce levier déplace les usages")
    if not years:
        return None
    order = np.argsort(years)
    return Lever(name, tuple(np.asarray(years)[order].tolist()), tuple(np.asarray(values)[order].tolist()),
                 str(raw.get("source", "")), target)


def parse_scenario(text: str, file_name: str, scenario_id: str | None = None) -> Scenario:
    """A scenario from the text of a TOML file; ``InputError`` naming the file and each bad lever."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError.single(f"fichier TOML illisible ({error})", file=file_name) from None
    problems: list[Problem] = []
    unknown = sorted(set(raw) - {"id", "label", "description", "levers"})
    if unknown:
        problems.append(Problem(f"clé(s) inconnue(s) : {', '.join(unknown)} (attendues : id, label, description, "
                                "levers)", file=file_name))
    identifier = raw.get("id") or scenario_id or Path(file_name).stem
    if not isinstance(identifier, str) or not identifier.strip():
        problems.append(Problem("id doit être un texte non vide", file=file_name, column="id", value=identifier))
        identifier = Path(file_name).stem
    identifier = identifier.strip()
    levers_raw = raw.get("levers") or {}
    if not isinstance(levers_raw, dict):
        problems.append(Problem("levers doit être une table de leviers ([levers.nom])", file=file_name,
                                column="levers", value=levers_raw))
        levers_raw = {}
    levers = {}
    for name, lever_raw in levers_raw.items():
        lever = _lever(name, lever_raw, file_name, problems)
        if lever is not None:
            levers[name] = lever
    for group in SHARE_GROUPS:
        present = [levers[n] for n in group if n in levers]
        if len(present) == 2:
            years = np.array(sorted(set(present[0].years) | set(present[1].years)))
            total = present[0].at(years) + present[1].at(years)
            if (total > 1 + 1e-9).any():
                problems.append(Problem(f"parts cumulées supérieures à 100 % ({' + '.join(group)})", file=file_name,
                                        column=group[0]))
    if problems:
        raise InputError(problems)
    return Scenario(identifier, str(raw.get("label") or identifier), str(raw.get("description") or ""), levers,
                    file_name)


def load_scenario(path: Path | str) -> Scenario:
    path = Path(path)
    if not path.is_file():
        raise InputError.single("fichier de scénario introuvable", file=path.name)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError.single("fichier non encodé en UTF-8 : enregistrez-le en UTF-8", file=path.name) from None
    return parse_scenario(text, path.name)


def built_in_scenarios() -> list[Scenario]:
    """The built-in scenarios, in the order of ``BUILT_IN``; ``InputError`` naming ``schema.toml``
    when one of its ids has no file of that name here, or a file that gives another id."""
    found = []
    for identifier in BUILT_IN:
        path = SCENARIO_DIR / f"{identifier}.toml"
        if Path(identifier).name != identifier or identifier.startswith("."):
            raise InputError.single("identifiant de scénario intégré invalide : un nom de fichier sans dossier est "
                                    "attendu", file=SCHEMA_FILE, column="defaults.scenarios", value=identifier)
        if not path.is_file():
            raise InputError.single(f"scénario intégré sans fichier : ajoutez {identifier}.toml au dossier "
                                    "scenarios/, ou retirez-le de la liste", file=SCHEMA_FILE,
                                    column="defaults.scenarios", value=identifier)
        scenario = load_scenario(path)
        if scenario.id != identifier:
            raise InputError.single(f"le fichier {path.name} décrit le scénario « {scenario.id} » : son id doit être "
                                    "le nom du fichier", file=SCHEMA_FILE, column="defaults.scenarios",
                                    value=identifier)
        found.append(scenario)
    return found


def available(store) -> dict[str, Scenario]:
    """Built-in and saved scenarios (those of ``store``, a ``footprint.store.Store``), by id."""
    found = {s.id: s for s in built_in_scenarios()}
    for row in store.scenarios().itertuples(index=False):
        found[row.id] = parse_scenario(row.definition, f"{row.id} (base)", row.id)
    return found


def check_targets(scenario: Scenario, factors) -> None:
    """The models and hosting profiles a scenario moves usage to exist in ``factors`` (the factor
    base); ``InputError`` naming the scenario's file and lever otherwise."""
    problems = []
    for lever in scenario.levers.values():
        if not lever.target:
            continue
        if "model" in lever.name:
            provider, _, model = lever.target.partition("/")
            provider_id = factors.provider_id(provider)
            if provider_id is None or factors.model_name(provider_id, model) is None:
                problems.append(Problem("modèle cible inconnu (fournisseur/modèle attendu)", file=scenario.origin,
                                        column=lever.name, value=lever.target))
        elif lever.target not in factors.hostings():
            problems.append(Problem(f"hébergement cible inconnu (connus : {', '.join(factors.hostings())})",
                                    file=scenario.origin, column=lever.name, value=lever.target))
    if problems:
        raise InputError(problems)


def save_custom(store, scenario: Scenario, text: str, factors) -> int:
    """Save a custom scenario (``text``: its TOML) in ``store`` once its targets exist in
    ``factors`` and its id is not a built-in one; nothing is saved otherwise. Saving over an
    existing id keeps the previous versions (``Store.scenario_history``); returns the version."""
    check_targets(scenario, factors)
    if scenario.id in BUILT_IN:
        raise InputError([Problem("identifiant réservé à un scénario intégré : changez « id »",
                                  file=scenario.origin, column="id", value=scenario.id)])
    return store.save_scenario(scenario.id, scenario.label, text)


def derive(base: Scenario, identifier: str, label: str, changes: dict[str, dict], source: str,
           file_name: str) -> tuple[Scenario, str]:
    """A scenario of the collectivité derived from ``base``: its levers, with ``changes`` (lever
    -> ``{"value": v}`` or ``{"path": {year: v}}``, in the lever's unit) in place of some, each
    change sourced ``source``. A share lever keeps ``base``'s target (else a built-in scenario's).
    Returns the scenario read back from its TOML text (checked as a file is, under
    ``file_name``) and that text, which the store keeps and ``scenarios save`` reads."""
    identifier = identifier.strip()
    if not identifier or not identifier.replace("-", "").replace("_", "").isalnum() or not identifier.isascii():
        raise InputError([Problem("identifiant attendu : lettres sans accents, chiffres, - ou _", column="id",
                                  value=identifier)])
    levers = {name: _lever_fields(lever) for name, lever in base.levers.items()}
    for name, change in changes.items():
        target = {"target": _target(base, name)} if LEVERS[name].target else {}
        levers[name] = dict(change) | target | {"unit": LEVERS[name].unit, "source": source}
    lines = [f"id = {_toml(identifier)}", f"label = {_toml(label.strip() or identifier)}",
             f"description = {_toml(f'Dérivé de « {base.label} » : ' + base.description)}"]
    for name, fields in levers.items():
        lines += ["", f"[levers.{name}]"] + [f"{field} = {_toml(value)}" for field, value in fields.items()]
    text = "\n".join(lines) + "\n"
    return parse_scenario(text, file_name, identifier), text


def _lever_fields(lever: Lever) -> dict:
    """A lever of a scenario as the fields of its TOML table."""
    fields = {"value": lever.values[0]} if len(lever.years) == 1 else {"path": dict(zip(lever.years, lever.values))}
    return fields | ({"target": lever.target} if lever.target else {}) | {"unit": LEVERS[lever.name].unit,
                                                                          "source": lever.source}


def _toml(value: object) -> str:
    """A TOML value: a basic string, a float, or an inline table of years."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{year} = {float(v)!r}" for year, v in value.items()) + " }"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON string escapes are TOML's
    return repr(float(value))


def _target(base: Scenario, lever: str) -> str:
    """Where a share lever moves usage: the base scenario's target, else a built-in scenario's."""
    for scenario in (base, *built_in_scenarios()):
        if lever in scenario.levers and scenario.levers[lever].target:
            return scenario.levers[lever].target
    raise InputError([Problem("aucune cible connue pour ce levier", column=lever)])

