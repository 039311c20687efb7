"""The Scénarios page: the scenarios offered and compared (``schema.toml`` [defaults]), the
GWP trajectories with the target path and the realised inventory years, the verdict of each
scenario against the target (the collectivité's PCAET objective, else the SNBC pace), the split by
kind of workload, what the sober scenario avoids against the trend (the reference stated), and
the custom scenario derived from the sliders (its TOML text, what the store keeps).

Must not: import Streamlit, project anything itself (``scenarios.projection``), judge a scenario
itself (``scenarios.verdict``), or write to the store except through ``save_scenario``
(``scenarios.definitions.save_custom``) and ``save_target`` (the profile, through
``views.collectivite.save_profile``).
The scenario file itself (its TOML text, the checks of a new id) is ``scenarios.definitions``
(``derive``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from dashboard.views.collectivite import ProfileSaved, save_profile
from dashboard.views.common import convert, percent, scaled_equivalences
from emission_factors.schema import read_defaults
from footprint.factors import FactorBase
from footprint.inventory import Inventory
from footprint.inventory.authority import Profile
from footprint.io.formatting import format_number, format_quantity, format_range, scale_for
from footprint.store import Store
from footprint.vocabulary import IMPACT_UNITS, KIND_LABELS, KINDS_FR
from scenarios.definitions import DEFAULT_TO_YEAR, HORIZON, LEVERS, Scenario, derive, parse_scenario, save_custom
from scenarios.projection import Projection
from scenarios.verdict import VERDICTS, Target, target_of, verdicts

__all__ = ["DEFAULT_TO_YEAR", "HORIZON", "REALISED", "SLIDERS", "TARGET", "TARGET_ID", "VERDICTS", "Slider", "Target",
           "by_kind", "compared", "custom_ids", "default_scenarios", "derive_scenario", "derived_scenario", "realised",
           "save_scenario", "save_target", "savings", "slider_values", "target_defaults", "target_from", "target_of",
           "trajectories", "verdict_table"]

TARGET = "Trajectoire cible"
TARGET_ID = "cible"  # the id of the target path in the trajectories table (no scenario may take it: see charts)
REALISED = "Réalisé"


def default_scenarios(known: dict[str, Scenario]) -> list[str]:
    """The built-in scenarios shown by default, in their order (those of ``known``)."""
    return [i for i in read_defaults().scenarios if i in known]


def custom_ids(known: dict[str, Scenario]) -> list[str]:
    """The scenarios of ``known`` that the authority saved (not built in)."""
    return [i for i in known if i not in read_defaults().scenarios]


def compared(chosen: list[str]) -> tuple[str, str] | None:
    """The pair of scenarios whose difference the page shows (``schema.toml`` [defaults]
    ``compare``: the sober one against the trend), when both are chosen."""
    pair = read_defaults().compare
    return pair if set(pair) <= set(chosen) else None


def _tco2e(values):
    return convert(values, IMPACT_UNITS["gwp_kgco2e"], "tCO2e")


def _mwh(values):
    return convert(values, IMPACT_UNITS["energy_kwh"], "MWh")


def trajectories(projection: Projection, target: np.ndarray) -> pd.DataFrame:
    """GWP by scenario and year in tCO2e (low, central, high) with the target path: scenario
    (its label), id (its id; ``TARGET_ID`` for the target), annee, tco2e_bas, tco2e, tco2e_haut, mwh."""
    totals = projection.totals()
    labels_by_id = {s.id: s.label for s in projection.scenarios}
    table = pd.DataFrame({"scenario": totals["scenario"].map(labels_by_id), "id": totals["scenario"],
                          "annee": totals["year"],
                          "tco2e_bas": _tco2e(totals["gwp_kgco2e_low"]), "tco2e": _tco2e(totals["gwp_kgco2e_central"]),
                          "tco2e_haut": _tco2e(totals["gwp_kgco2e_high"]), "mwh": _mwh(totals["energy_kwh_central"])})
    path = pd.DataFrame({"scenario": TARGET, "id": TARGET_ID, "annee": projection.years.astype(int),
                         "tco2e_bas": _tco2e(target), "tco2e": _tco2e(target), "tco2e_haut": _tco2e(target),
                         "mwh": np.nan})
    return pd.concat([table, path], ignore_index=True)


def _signed_percent(fraction: float) -> str:
    """A change as the French write it: « −12,3 % », « +4 % », « 0 % »."""
    value = float(percent(fraction))
    sign = "−" if value < 0 else "+" if value > 0 else ""
    return f"{sign}{format_number(abs(value))} %"


def _span(ends: dict[str, float], unit: str) -> str:
    """« de 260 à 300 kgCO2e »: a range in the unit that reads well for its central value."""
    factor, shown = scale_for(ends["central"], unit)
    return f"de {format_number(ends['low'] * factor)} à {format_number(ends['high'] * factor)} {shown}"


def target_defaults(profile: Profile | None, to_year: int) -> tuple[float | None, int]:
    """What the page's target fields start from: the collectivité's PCAET objective (reduction in
    %, year) when its profile sets one, else no reduction (the SNBC pace) by the horizon."""
    if profile is not None and profile.target is not None:
        return profile.target_reduction_pct, profile.target_year
    return None, to_year


def target_from(reduction_pct: float | None, year: int | None) -> Target:
    """The target the page's fields set: a PCAET objective of ``reduction_pct`` (%) by ``year``,
    or the SNBC pace when no reduction is given."""
    if reduction_pct is None:
        return Target()
    return Target(float(convert(reduction_pct, "percent", "dimensionless")), year)


def verdict_table(projection: Projection, target: Target) -> pd.DataFrame:
    """Each scenario judged against ``target`` in the last projected year (``scenarios.verdict``):
    scenario (label), id, annee, tco2e_bas, tco2e, tco2e_haut, valeur (the central value and its
    range in the unit that reads well), evolution_pct (change from the inventory year, %),
    evolution (the same in words), permis_tco2e (what the target allows that year), verdict (one
    of ``VERDICTS``) and explication (the verdict in a sentence)."""
    found = verdicts(projection, target)
    return pd.DataFrame({
        "scenario": [v.label for v in found], "id": [v.scenario for v in found], "annee": [v.year for v in found],
        "tco2e_bas": [_tco2e(v.low) for v in found], "tco2e": [_tco2e(v.central) for v in found],
        "tco2e_haut": [_tco2e(v.high) for v in found],
        "valeur": [format_range(v.low, v.central, v.high, IMPACT_UNITS["gwp_kgco2e"]) for v in found],
        "evolution_pct": [float(percent(v.change)) for v in found],
        "evolution": [f"{_signed_percent(v.change)} par rapport à {int(projection.years[0])}" for v in found],
        "permis_tco2e": [_tco2e(v.allowed) for v in found],
        "verdict": [v.verdict for v in found], "explication": [v.text for v in found]},
        columns=["scenario", "id", "annee", "tco2e_bas", "tco2e", "tco2e_haut", "valeur", "evolution_pct",
                 "evolution", "permis_tco2e", "verdict", "explication"])


def save_target(store: Store, reduction_pct: float | None, year: int | None) -> ProfileSaved:
    """Record ``reduction_pct`` (%) by ``year`` as the collectivité's PCAET objective, checked like
    the Collectivité page's form over the profile held (refused, with the field's label, when
    there is no profile yet: its name is required)."""
    return save_profile(store, {"objectif_baisse_pct": reduction_pct, "annee_objectif": year})


def realised(inventories: list[Inventory]) -> pd.DataFrame:
    """The realised inventory years (those with declarations), oldest first: annee, tco2e_bas,
    tco2e, tco2e_haut, evolution_pct (change of the central value from the previous inventory
    year, %; NaN for the first) and evolution (the same in words, with that year)."""
    rows = []
    for inventory in sorted(inventories, key=lambda found: found.year):
        if inventory.declarations.empty:
            continue
        gwp = inventory.total()["gwp_kgco2e"]
        rows.append({"annee": int(inventory.year), "tco2e_bas": _tco2e(gwp["low"]), "tco2e": _tco2e(gwp["central"]),
                     "tco2e_haut": _tco2e(gwp["high"])})
    table = pd.DataFrame(rows, columns=["annee", "tco2e_bas", "tco2e", "tco2e_haut"])
    previous = table["tco2e"].shift(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(previous > 0, table["tco2e"] / previous - 1.0, np.nan)
    table["evolution_pct"] = [float(percent(c)) if np.isfinite(c) else np.nan for c in change]
    table["evolution"] = [
        f"{_signed_percent(c)} par rapport à {int(year)}" if np.isfinite(c) else
        ("première année d'inventaire" if index == 0 else "année précédente sans émissions")
        for index, (c, year) in enumerate(zip(change, table["annee"].shift(1)))]
    return table


def by_kind(projection: Projection, scenario_id: str) -> pd.DataFrame:
    """Central GWP (tCO2e) of one scenario by kind of workload and year, for stacked areas."""
    totals = projection.totals("type")
    chosen = totals[totals["scenario"] == scenario_id]
    kinds = {KINDS_FR[k]: label for k, label in KIND_LABELS.items()}
    return pd.DataFrame({"annee": chosen["year"], "type": chosen["group"].map(lambda g: kinds.get(g, g)),
                         "tco2e": _tco2e(chosen["gwp_kgco2e_central"])}).reset_index(drop=True)


def savings(projection: Projection, factors: FactorBase, sober: str | None = None, other: str | None = None) -> dict:
    """What ``sober`` avoids over the period compared with ``other`` (by default the pair of
    ``schema.toml`` [defaults] ``compare``: the sober scenario against the trend): tCO2e, MWh,
    the same in the units that read well (``quantity``, ``range``), the reference in words
    (« par rapport au scénario Tendanciel ») and equivalences of a sensible order of magnitude."""
    default_sober, default_other = read_defaults().compare
    sober, other = sober or default_sober, other or default_other
    saving = projection.saving(sober, other)
    gwp = saving["gwp_kgco2e"]
    labels_by_id = {s.id: s.label for s in projection.scenarios}
    return {"tco2e": _tco2e(gwp["central"]), "tco2e_bas": _tco2e(gwp["low"]), "tco2e_haut": _tco2e(gwp["high"]),
            "mwh": _mwh(saving["energy_kwh"]["central"]),
            "quantity": format_quantity(gwp["central"], IMPACT_UNITS["gwp_kgco2e"]),
            "range": _span(gwp, IMPACT_UNITS["gwp_kgco2e"]),
            "energy": format_quantity(saving["energy_kwh"]["central"], IMPACT_UNITS["energy_kwh"]),
            "reference": f"par rapport au scénario {labels_by_id.get(other, other)}",
            "equivalences": scaled_equivalences(gwp["central"], factors)}


class Slider(NamedTuple):
    """A lever offered as a slider: its label, its unit as shown and as Pint reads it, and the
    slider's bounds in that unit."""

    lever: str
    label: str
    shown: str
    low: float
    high: float
    unit: str


SLIDERS = (Slider("volume_growth", "Croissance annuelle des volumes", "%/an", -20.0, 60.0, "percent / year"),
           Slider("small_model_share", "Part des tokens servie par un petit modèle en fin de période", "%", 0.0, 100.0,
                  "percent"),
           Slider("french_hosting_share", "Part hébergée en France en fin de période", "%", 0.0, 100.0, "percent"),
           Slider("efficiency_gain", "Gain d'efficacité annuel du matériel et des modèles", "%/an", 0.0, 30.0,
                  "percent / year"),
           Slider("pue_change", "Évolution annuelle du PUE", "%/an", -10.0, 10.0, "percent / year"))


def slider_values(scenario: Scenario, to_year: int) -> dict[str, float]:
    """The value of each slider lever in ``scenario`` (end value for shares), in the slider's unit."""
    return {s.lever: convert(float(scenario.lever(s.lever).at(np.array([to_year]))[0]), LEVERS[s.lever].unit, s.unit)
            for s in SLIDERS}


def derived_scenario(text: str, identifier: str) -> Scenario:
    """The scenario of a TOML text written by ``derive_scenario``."""
    return parse_scenario(text, f"{identifier} (tableau de bord)", identifier)


def derive_scenario(base: Scenario, identifier: str, label: str, values: dict[str, float], start_year: int,
                    to_year: int, author: str) -> tuple[Scenario, str]:
    """A custom scenario: ``base`` with the slider levers set to ``values`` (in the sliders'
    units); shares move linearly from 0 in the inventory year to their value in ``to_year``.
    Returns the scenario and its TOML text (what the store keeps and what ``scenarios save``
    reads)."""
    changes = {}
    for slider in SLIDERS:
        spec = LEVERS[slider.lever]
        value = convert(values[slider.lever], slider.unit, spec.unit)
        changes[slider.lever] = {"value": value} if not spec.target else {"path": {start_year: 0.0, to_year: value}}
    source = f"Choix de la collectivité ({author}), dérivé du scénario « {base.label} » dans le tableau de bord"
    return derive(base, identifier, label, changes, source, f"{identifier.strip()} (tableau de bord)")


def save_scenario(store: Store, scenario: Scenario, text: str, factors: FactorBase) -> int:
    """Save a derived scenario (refused for a built-in id or an unknown target); its version."""
    return save_custom(store, scenario, text, factors)
