"""The Scénarios page: the scenarios offered and compared (``schema.toml`` [defaults]), the
GWP trajectories with the target path, the split by kind of workload, what the sober scenario
avoids, and the custom scenario derived from the sliders (its TOML text, what the store keeps).

Must not: import Streamlit, project anything itself (``scenarios.projection``), or write to the
store except through ``save_scenario`` (``scenarios.definitions.save_custom``).
The scenario file itself (its TOML text, the checks of a new id) is ``scenarios.definitions``
(``derive``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from dashboard.views.common import convert, equivalences
from emission_factors.schema import read_defaults
from footprint.factors import FactorBase
from footprint.store import Store
from footprint.vocabulary import IMPACT_UNITS, KIND_LABELS, KINDS_FR
from scenarios.definitions import DEFAULT_TO_YEAR, HORIZON, LEVERS, Scenario, derive, parse_scenario, save_custom
from scenarios.projection import Projection

__all__ = ["DEFAULT_TO_YEAR", "HORIZON", "SAVINGS_EQUIVALENCES", "SLIDERS", "Slider", "by_kind", "compared",
           "custom_ids", "default_scenarios", "derive_scenario", "derived_scenario", "save_scenario", "savings",
           "slider_values", "trajectories"]

TARGET = "Trajectoire cible"
SAVINGS_EQUIVALENCES = ("voiture_thermique", "tgv", "streaming_video")


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
    """GWP by scenario and year in tCO2e (low, central, high) with the target path."""
    totals = projection.totals()
    labels_by_id = {s.id: s.label for s in projection.scenarios}
    table = pd.DataFrame({"scenario": totals["scenario"].map(labels_by_id), "annee": totals["year"],
                          "tco2e_bas": _tco2e(totals["gwp_kgco2e_low"]), "tco2e": _tco2e(totals["gwp_kgco2e_central"]),
                          "tco2e_haut": _tco2e(totals["gwp_kgco2e_high"]), "mwh": _mwh(totals["energy_kwh_central"])})
    path = pd.DataFrame({"scenario": TARGET, "annee": projection.years.astype(int), "tco2e_bas": _tco2e(target),
                         "tco2e": _tco2e(target), "tco2e_haut": _tco2e(target), "mwh": np.nan})
    return pd.concat([table, path], ignore_index=True)


def by_kind(projection: Projection, scenario_id: str) -> pd.DataFrame:
    """Central GWP (tCO2e) of one scenario by kind of workload and year, for stacked areas."""
    totals = projection.totals("type")
    chosen = totals[totals["scenario"] == scenario_id]
    kinds = {KINDS_FR[k]: label for k, label in KIND_LABELS.items()}
    return pd.DataFrame({"annee": chosen["year"], "type": chosen["group"].map(lambda g: kinds.get(g, g)),
                         "tco2e": _tco2e(chosen["gwp_kgco2e_central"])}).reset_index(drop=True)


def savings(projection: Projection, factors: FactorBase, sober: str | None = None, other: str | None = None) -> dict:
    """What ``sober`` avoids over the period compared with ``other`` (by default the pair of
    ``schema.toml`` [defaults] ``compare``): tCO2e, MWh and equivalences."""
    default_sober, default_other = read_defaults().compare
    saving = projection.saving(sober or default_sober, other or default_other)
    gwp = saving["gwp_kgco2e"]["central"]
    return {"tco2e": _tco2e(gwp), "tco2e_bas": _tco2e(saving["gwp_kgco2e"]["low"]),
            "tco2e_haut": _tco2e(saving["gwp_kgco2e"]["high"]), "mwh": _mwh(saving["energy_kwh"]["central"]),
            "equivalences": equivalences(gwp, factors, SAVINGS_EQUIVALENCES)}


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
