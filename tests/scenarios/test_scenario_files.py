"""Scenario files: the three built-ins load with a source for every lever, and a broken file is
refused with a French message naming the file and the lever."""

import numpy as np
import pytest

from core.errors import InputError
from scenarios.definitions import LEVERS, built_in_scenarios, parse_scenario


def test_built_in_scenarios_load_and_every_lever_has_a_source():
    scenarios = {s.id: s for s in built_in_scenarios()}
    assert set(scenarios) == {"sobre", "tendanciel", "intensif"}
    for scenario in scenarios.values():
        assert scenario.levers
        for lever in scenario.levers.values():
            assert lever.source.strip(), (scenario.id, lever.name)
    assert scenarios["tendanciel"].lever("volume_growth").at(np.array([2027]))[0] == pytest.approx(0.15)
    assert scenarios["sobre"].lever("efficiency_gain").at(np.array([2030]))[0] == pytest.approx(0.10)


def test_paths_are_interpolated_and_held_flat_outside_their_years():
    scenario = parse_scenario("""
        [levers.small_model_share]
        path = { 2026 = 0.2, 2030 = 0.6 }
        unit = "percent"
        target = "mistralai/ministral-8b-latest"
        source = "test"
    """.replace("0.2", "20").replace("0.6", "60"), "essai.toml")
    lever = scenario.lever("small_model_share")
    assert lever.at(np.array([2025, 2026, 2028, 2030, 2040])).tolist() == pytest.approx([0.2, 0.2, 0.4, 0.6, 0.6])


def test_absent_levers_are_neutral():
    scenario = parse_scenario("", "vide.toml")
    assert scenario.lever("volume_growth").at(np.array([2030]))[0] == 0
    assert scenario.lever("adoption").at(np.array([2030]))[0] == 1


@pytest.mark.parametrize("text, lever, fragment", [
    ('[levers.croissance]\nvalue = 1\nunit = "1 / year"\nsource = "x"', "croissance", "levier inconnu"),
    ('[levers.volume_growth]\nvalue = 1\nunit = "kWh"\nsource = "x"', "volume_growth", "mauvaise dimension"),
    ('[levers.adoption]\nvalue = 1.2\nunit = "dimensionless"\nsource = "x"', "adoption", "part supérieure à 100 %"),
    ('[levers.adoption]\npath = { 2060 = 0.5 }\nunit = "dimensionless"\nsource = "x"', "adoption",
     "hors de l'horizon"),
    ('[levers.efficiency_gain]\nvalue = 0.1\nunit = "1 / year"', "efficiency_gain", "source manquante"),
    ('[levers.small_model_share]\npath = { 2030 = 0.5 }\nunit = "dimensionless"\nsource = "x"', "small_model_share",
     "précisez target"),
    ('[levers.small_model_share]\npath = { 2030 = 0.7 }\nunit = "dimensionless"\nsource = "x"\ntarget = "a/b"\n'
     '[levers.frontier_model_share]\npath = { 2030 = 0.5 }\nunit = "dimensionless"\nsource = "x"\ntarget = "c/d"',
     "small_model_share", "parts cumulées supérieures à 100 %"),
    ('[levers.small_model_share]\nvalue = 0.5\nunit = "dimensionless"\nsource = "x"\ntarget = "a/b"',
     "small_model_share", "trajectoire"),
    ('[levers.grid_trend]\nvalue = 0.3\nunit = "dimensionless"\nsource = "x"', "grid_trend", "1 (appliquer"),
    ('[levers.small_model_share]\npath = { 2030 = 0.5 }\nunit = "dimensionless"\nsource = "x"\ntarget = 5',
     "small_model_share", "target doit être un texte"),
    ('levers = 5', "levers", "table de leviers"),
    ('[levers.pue_change]\nvalue = "beaucoup"\nunit = "1 / year"\nsource = "x"', "pue_change", "non numérique"),
])
def test_a_broken_scenario_names_its_file_and_lever(text, lever, fragment):
    with pytest.raises(InputError) as caught:
        parse_scenario(text, "mon-scenario.toml")
    problems = [p for p in caught.value.problems if p.column == lever]
    assert problems, str(caught.value)
    assert problems[0].file == "mon-scenario.toml" and fragment in str(caught.value)


def test_unreadable_toml_is_refused():
    with pytest.raises(InputError, match="fichier TOML illisible"):
        parse_scenario("[levers\nvalue =", "casse.toml")


def test_every_lever_has_a_french_label():
    assert all(spec.label and spec.unit for spec in LEVERS.values())
