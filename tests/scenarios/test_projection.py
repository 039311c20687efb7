"""Projections to 2030 on the example inventory: the invariants of the issue, the target paths,
custom scenarios in the store, the command line, and the sobriety recommendations."""

import io
import json

import numpy as np
import pandas as pd
import pytest

from cli.main import main
from core.errors import InputError
from footprint.inventory import compute_inventory
from footprint.inventory.declarations import read_declarations
from footprint.store import Store
from scenarios.definitions import built_in_scenarios, parse_scenario
from scenarios.projection import OUTPUT, project
from scenarios.recommendations import recommend
from tests.stores import new_store


@pytest.fixture(scope="module")
def inventory(factors, tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("store") / "s.duckdb")
    store.save(read_declarations("examples/declarations.csv", factors))
    return compute_inventory(store, factors, 2025)


FLAT = """
id = "plat"
[levers.volume_growth]
value = 0
unit = "1 / year"
source = "test"
[levers.grid_trend]
value = 0
unit = "dimensionless"
source = "test"
"""


def test_the_first_year_of_every_scenario_is_the_inventory(inventory, factors):
    projection = project(inventory, built_in_scenarios(), factors)
    first = projection.totals().query("year == 2025")
    for key in OUTPUT:
        for end in ("low", "central", "high"):
            expected = inventory.impacts[f"{key}_{end}"].sum()
            assert np.allclose(first[f"{key}_{end}"], expected, rtol=1e-9), (key, end)


def test_no_growth_no_shift_and_a_flat_grid_give_a_flat_trajectory(inventory, factors):
    projection = project(inventory, [parse_scenario(FLAT, "plat.toml")], factors, to_year=2035)
    totals = projection.totals()
    for key in OUTPUT:
        assert np.allclose(totals[f"{key}_central"], totals[f"{key}_central"].iloc[0], rtol=1e-12), key


def test_sober_is_below_trend_which_is_below_intensive_from_the_second_year(inventory, factors):
    totals = project(inventory, built_in_scenarios(), factors).totals().set_index(["scenario", "year"])
    for year in range(2026, 2031):
        for key in ("gwp_kgco2e", "energy_kwh"):
            sober, trend, intensive = (totals.loc[(s, year), f"{key}_central"] for s in
                                       ("sobre", "tendanciel", "intensif"))
            assert sober < trend < intensive, (year, key)


def test_ranges_contain_the_central_value_and_keep_their_width(inventory, factors):
    totals = project(inventory, built_in_scenarios(), factors).totals(by="service")
    for key in OUTPUT:
        assert (totals[f"{key}_low"] <= totals[f"{key}_central"] * (1 + 1e-12)).all()
        assert (totals[f"{key}_central"] <= totals[f"{key}_high"] * (1 + 1e-12)).all()
    # The inventory has a real range (model sizes, PUE): no scenario year may collapse it to a point.
    overall = project(inventory, built_in_scenarios(), factors).totals()
    assert (overall["gwp_kgco2e_high"] > overall["gwp_kgco2e_low"] * 1.01).all()
    assert (overall["energy_kwh_high"] > overall["energy_kwh_low"] * 1.01).all()


def test_breakdowns_add_up_to_the_totals(inventory, factors):
    projection = project(inventory, built_in_scenarios(), factors)
    totals = projection.totals().set_index(["scenario", "year"])["gwp_kgco2e_central"]
    for by in ("type", "service", "cas_usage"):
        grouped = projection.totals(by).groupby(["scenario", "year"])["gwp_kgco2e_central"].sum()
        assert np.allclose(grouped.loc[totals.index], totals)


def test_growth_alone_compounds_each_year(inventory, factors):
    text = FLAT.replace("value = 0\nunit = \"1 / year\"", "value = 10\nunit = \"percent / year\"")
    totals = project(inventory, [parse_scenario(text, "croissance.toml")], factors).totals()
    ratio = totals["energy_kwh_central"].to_numpy() / totals["energy_kwh_central"].iloc[0]
    assert np.allclose(ratio, 1.1 ** np.arange(6))


def test_snbc_path_and_a_pcaet_target(inventory, factors):
    projection = project(inventory, built_in_scenarios(), factors)
    start = inventory.total()["gwp_kgco2e"]["central"]
    assert np.allclose(projection.target_path(), start * 0.95 ** np.arange(6))
    pcaet = projection.target_path(reduction=0.4, target_year=2030)
    assert pcaet[0] == pytest.approx(start) and pcaet[-1] == pytest.approx(start * 0.6)


def test_sobriety_saving_is_the_difference_of_cumulated_totals(inventory, factors):
    projection = project(inventory, built_in_scenarios(), factors)
    cumulative = projection.cumulative().set_index("scenario")
    saving = projection.saving("sobre", "intensif")["gwp_kgco2e"]["central"]
    assert saving == pytest.approx(cumulative.loc["intensif", "gwp_kgco2e_central"]
                                   - cumulative.loc["sobre", "gwp_kgco2e_central"])
    assert saving > 0


def test_an_empty_inventory_or_a_bad_horizon_is_refused(inventory, factors, tmp_path):
    with pytest.raises(InputError, match="horizon invalide"):
        project(inventory, built_in_scenarios(), factors, to_year=2060)
    empty = compute_inventory(Store(tmp_path / "vide.duckdb"), factors, 2025)
    with pytest.raises(InputError, match="vide"):
        project(empty, built_in_scenarios(), factors)


def test_recommendations_are_ranked_and_each_states_its_assumption(inventory, factors):
    found = recommend(inventory, factors)
    savings = [r.gwp_saved_kgco2e for r in found if r.gwp_saved_kgco2e > 0]
    assert savings == sorted(savings, reverse=True) and len(savings) >= 5
    assert all(r.assumption.strip() for r in found)
    smaller = next(r for r in found if r.declaration_id == "IA-00001" and "mistral-small" in r.action)
    assert smaller.gwp_saved_kgco2e > 0
    assert any("Mesurer" in r.action for r in found)


def _db(tmp_path) -> str:
    db = new_store(tmp_path / "s.duckdb")
    assert main(["declarations", "import", "examples/declarations.csv", "--db", db]) == 0
    return db


def test_scenarios_run_json_and_csv(capsys, tmp_path):
    db = _db(tmp_path)
    capsys.readouterr()
    assert main(["scenarios", "run", "--year", "2025", "--json", "--db", db]) == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == 3 * 6
    assert set(records[0]) >= {"scenario", "year", "energy_kwh", "gwp_kgco2e", "water_l"}
    assert set(records[0]["gwp_kgco2e"]) == {"low", "central", "high"}
    assert main(["scenarios", "run", "--year", "2025", "--csv", "--by", "type", "--db", db]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out), sep=";", decimal=",")
    assert {"scenario", "annee", "groupe", "ges_kgco2e_central"} <= set(table.columns)
    assert main(["scenarios", "run", "--year", "2025", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "trajectoire SNBC (−5 %/an)" in out and "La sobriété évite" in out and "km en voiture thermique" in out
    assert main(["scenarios", "run", "--year", "2025", "--by", "type", "--db", db]) == 0
    assert "Par type en 2030" in capsys.readouterr().out


def test_custom_scenarios_are_saved_listed_used_and_deleted(capsys, tmp_path):
    db = _db(tmp_path)
    custom = tmp_path / "mutualisation.toml"
    custom.write_text('id = "mutualisation"\nlabel = "Mutualisation"\n' + FLAT, encoding="utf-8")
    custom.write_text(custom.read_text().replace('id = "plat"\n', ""), encoding="utf-8")
    assert main(["scenarios", "save", str(custom), "--db", db]) == 0
    capsys.readouterr()
    assert main(["scenarios", "list", "--db", db]) == 0
    assert "mutualisation (personnalisé)" in capsys.readouterr().out
    assert main(["scenarios", "run", "--year", "2025", "--scenario", "mutualisation", "--json", "--db", db]) == 0
    assert {r["scenario"] for r in json.loads(capsys.readouterr().out)} == {"mutualisation"}
    assert main(["scenarios", "delete", "mutualisation", "--db", db]) == 0
    assert main(["scenarios", "run", "--year", "2025", "--scenario", "mutualisation", "--db", db]) == 2


def test_a_broken_custom_scenario_is_refused_naming_file_and_lever(capsys, tmp_path):
    db = _db(tmp_path)
    broken = tmp_path / "casse.toml"
    broken.write_text('[levers.small_model_share]\npath = { 2030 = 150 }\nunit = "percent"\nsource = "x"\n'
                      'target = "a/b"\n')
    assert main(["scenarios", "save", str(broken), "--db", db]) == 2
    err = capsys.readouterr().err
    assert "casse.toml" in err and "small_model_share" in err and "part supérieure à 100 %" in err
    unknown = tmp_path / "cible.toml"
    unknown.write_text('[levers.small_model_share]\npath = { 2030 = 50 }\nunit = "percent"\nsource = "x"\n'
                       'target = "openai/gpt-99"\n')
    assert main(["scenarios", "run", "--year", "2025", "--file", str(unknown), "--db", db]) == 2
    assert "modèle cible inconnu" in capsys.readouterr().err


def test_recommend_command(capsys, tmp_path):
    db = _db(tmp_path)
    capsys.readouterr()
    assert main(["recommend", "--year", "2025", "--json", "--db", db]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found[0]["gwp_saved_kgco2e"] >= found[1]["gwp_saved_kgco2e"] > 0
    assert main(["recommend", "--year", "2025", "--db", db]) == 0
    assert "Hypothèse" in capsys.readouterr().out


def test_projected_impacts_are_never_negative_and_shifts_multiply(inventory, factors):
    projection = project(inventory, built_in_scenarios(), factors, to_year=2050)
    assert (projection.values >= 0).all()


def test_a_scenario_asked_twice_or_a_misused_target_is_refused(capsys, tmp_path):
    db = _db(tmp_path)
    capsys.readouterr()
    assert main(["scenarios", "run", "--scenario", "sobre", "--scenario", "sobre", "--db", db]) == 2
    assert "deux fois" in capsys.readouterr().err
    assert main(["scenarios", "run", "--target-year", "2030", "--db", db]) == 2
    assert "--target-reduction" in capsys.readouterr().err
    assert main(["scenarios", "run", "--target-reduction", "40", "--target-year", "2020", "--db", db]) == 2
    assert "postérieure" in capsys.readouterr().err
