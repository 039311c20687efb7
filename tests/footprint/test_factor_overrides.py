"""The collectivité's own factor values ("valeurs propres"): checked, kept in a real store,
applied on top of the factor files wherever a store is used, and shown in the exports."""

import json

import pandas as pd
import pytest

from cli.main import main
from core.errors import InputError
from footprint.engine import compute_impacts
from footprint.factors import (
    LOCAL_SOURCE,
    delete_override,
    load_with_overrides,
    save_override,
    save_overrides,
)
from footprint.store import Store
from tests.stores import new_store

SERVER_ROOM = {"table": "hosting_profiles", "key": {"hosting": "salle_serveurs"}}
GPU_IN_SERVER_ROOM = {"kind": "gpu", "gpu": "L40S", "gpus": 2, "hours": 100, "hosting": "salle_serveurs"}
MEASURED_IN_FRANCE = {"kind": "measured", "energy_kwh": 1000, "zone": "FRA", "year": 2025}


def _own_pue(store, factors, value=1.2, justification="Mesure du compteur de la salle serveurs, 2024"):
    return save_overrides(store, factors, [
        SERVER_ROOM | {"parameter": parameter, "value": value, "unit": "dimensionless", "year": 2024,
                       "justification": justification} for parameter in ("pue_min", "pue_max")])


def _server_room_pue(factors) -> tuple[float, float]:
    return factors.con.execute("SELECT pue_min, pue_max FROM hosting_profiles WHERE hosting = 'salle_serveurs'"
                               ).fetchall()[0]


def test_own_pue_scales_the_energy_of_a_gpu_in_the_server_room_by_its_ratio(tmp_path, factors):
    store = Store(tmp_path / "s.duckdb")
    low, high = _server_room_pue(factors)
    before = compute_impacts(pd.DataFrame([GPU_IN_SERVER_ROOM]), factors)
    _own_pue(store, factors)
    local = load_with_overrides(store, factors)
    after = compute_impacts(pd.DataFrame([GPU_IN_SERVER_ROOM]), local)
    ratio = after["energy_kwh_central"][0] / before["energy_kwh_central"][0]
    assert ratio == pytest.approx(1.2 / ((low + high) / 2), rel=1e-12)
    assert after["energy_kwh_low"][0] == pytest.approx(after["energy_kwh_high"][0], rel=1e-12)
    assert _server_room_pue(local) == (1.2, 1.2)


def test_the_factor_files_base_is_left_unchanged_and_the_version_says_local_values(tmp_path, factors):
    store = Store(tmp_path / "s.duckdb")
    files_pue, files_version = _server_room_pue(factors), factors.version
    _own_pue(store, factors)
    local = load_with_overrides(store, factors)
    assert _server_room_pue(factors) == files_pue and factors.version == files_version
    assert factors.overrides.empty and factors.base_version == files_version
    base, _, digest = local.version.partition("+")
    assert base == files_version == local.base_version and len(digest) == 8
    assert int(digest, 16) >= 0
    assert sorted(local.overrides["parameter"]) == ["pue_max", "pue_min"]
    cursor = local.con.cursor()  # the engine's cursors read the local values too
    assert cursor.execute("SELECT pue_min FROM hosting_profiles WHERE hosting = 'salle_serveurs'").fetchall() == [
        (1.2,)]


def test_without_override_the_files_base_itself_is_used_and_a_set_is_built_once(tmp_path, factors):
    store = Store(tmp_path / "s.duckdb")
    assert load_with_overrides(store, factors) is factors
    _own_pue(store, factors)
    first = load_with_overrides(store, factors)
    assert load_with_overrides(store, factors) is first
    assert first.with_overrides(store.factor_overrides()) is first  # from a derived base too


def test_the_long_row_gives_the_local_value_its_justification_and_what_it_replaced(tmp_path, factors):
    store = Store(tmp_path / "s.duckdb")
    [first, _] = _own_pue(store, factors)
    rows = load_with_overrides(store, factors).parameter_rows("hosting_profiles")
    row = rows[(rows["hosting"] == "salle_serveurs") & (rows["parameter"] == "pue_min")].iloc[0]
    files = factors.parameter_rows("hosting_profiles")
    old = files[(files["hosting"] == "salle_serveurs") & (files["parameter"] == "pue_min")].iloc[0]
    assert (row["value"], row["unit"], row["year"]) == (1.2, "dimensionless", 2024)
    assert row["source"] == f"{LOCAL_SOURCE} : Mesure du compteur de la salle serveurs, 2024"
    assert row["source_url"] == ""
    assert first in row["note"] and old["source"] in row["note"] and "1,5" in row["note"]
    assert row["key"] == {"hosting": "salle_serveurs"}


@pytest.mark.parametrize(("override", "fragment"), [
    ({"key": {"hosting": "salle_serveur"}}, "clé inconnue dans la table « hosting_profiles » (proches : "
                                            "salle_serveurs"),
    ({"key": {"zone": "FRA"}}, "colonnes attendues : hosting"),
    ({"table": "hebergements"}, "table de facteurs inconnue"),
    ({"parameter": "pue"}, "paramètre inconnu pour la table « hosting_profiles » (attendus : pue_min"),
    ({"unit": "kg"}, "unité de mauvaise dimension : attendu une grandeur convertible en « dimensionless »"),
    ({"unit": "pas une unité"}, "unité illisible"),
    ({"value": 0.5}, "valeur hors de l'intervalle plausible [1 ; 3]"),
    ({"value": 2.5}, "pue_min (2,5) serait supérieur à pue_max (2,1)"),
    ({"year": None}, "année de la valeur manquante"),
    ({"justification": "  "}, "justification manquante"),
])
def test_a_bad_override_gives_a_french_problem_and_stores_nothing(tmp_path, factors, override, fragment):
    store = Store(tmp_path / "s.duckdb")
    wanted = SERVER_ROOM | {"parameter": "pue_min", "value": 1.2, "unit": "dimensionless", "year": 2024,
                            "justification": "mesure"} | override
    with pytest.raises(InputError) as error:
        save_override(store, factors, wanted["table"], wanted["key"], wanted["parameter"], wanted["value"],
                      wanted["unit"], wanted["year"], wanted["justification"])
    assert fragment in str(error.value)
    assert store.factor_overrides(include_deleted=True).empty


def test_check_override_reads_the_values_already_applied(tmp_path, factors):
    store = Store(tmp_path / "s.duckdb")
    save_override(store, factors, **SERVER_ROOM, parameter="pue_min", value=1.2, unit="dimensionless", year=2024,
                  justification="mesure")
    local = load_with_overrides(store, factors)
    # pue_max 1.3 is above the local pue_min (1.2) but below the files' one (1.5).
    assert local.check_override(**SERVER_ROOM, parameter="pue_max", value=1.3, unit="dimensionless", year=2024) == []
    [problem] = factors.check_override(**SERVER_ROOM, parameter="pue_max", value=1.3, unit="dimensionless",
                                       year=2024)
    assert "pue_min (1,5) serait supérieur à pue_max (1,3)" in problem.message
    save_override(store, factors, **SERVER_ROOM, parameter="pue_max", value=1.3, unit="dimensionless", year=2024,
                  justification="mesure")
    assert _server_room_pue(load_with_overrides(store, factors)) == (1.2, 1.3)


def test_saving_again_replaces_the_value_and_keeps_the_previous_one_in_the_history(tmp_path, factors):
    store = Store(tmp_path / "s.duckdb")
    first = save_override(store, factors, **SERVER_ROOM, parameter="pue_max", value=2.0, unit="dimensionless",
                          year=2024, justification="estimation")
    assert save_override(store, factors, **SERVER_ROOM, parameter="pue_max", value=2.0, unit="dimensionless",
                         year=2024, justification="estimation") == first  # the same: nothing written
    second = save_override(store, factors, **SERVER_ROOM, parameter="pue_max", value=1.9, unit="dimensionless",
                           year=2024, justification="mesure", user="alice")
    active = store.factor_overrides()
    assert active["id"].tolist() == [second] and active["value"].tolist() == [1.9]
    assert active["key"].tolist() == [{"hosting": "salle_serveurs"}] and active["created_by"].tolist() == ["alice"]
    history = store.factor_overrides(include_deleted=True)
    assert history["id"].tolist() == [first, second] and history["deleted"].tolist() == [True, False]
    assert json.loads(history["key_json"][0]) == {"hosting": "salle_serveurs"}


def test_deleting_the_overrides_restores_the_original_figures(tmp_path, factors):
    store = Store(tmp_path / "s.duckdb")
    before = compute_impacts(pd.DataFrame([GPU_IN_SERVER_ROOM]), factors)
    low_id, high_id = _own_pue(store, factors)
    with pytest.raises(InputError, match="supprimez ou modifiez d'abord la valeur propre de pue_max"):
        delete_override(store, factors, low_id)  # pue_min back to 1.5, above the local pue_max (1.2)
    delete_override(store, factors, high_id)  # pue_max back to 2.1: fine
    delete_override(store, factors, low_id)
    with pytest.raises(InputError, match="valeur propre inconnue ou déjà supprimée"):
        delete_override(store, factors, high_id)
    restored = load_with_overrides(store, factors)
    assert restored is factors
    after = compute_impacts(pd.DataFrame([GPU_IN_SERVER_ROOM]), restored)
    pd.testing.assert_frame_equal(after, before)
    assert len(store.factor_overrides(include_deleted=True)) == 2


def test_an_electricity_override_changes_what_depends_on_the_mix(tmp_path, factors):
    store = Store(tmp_path / "s.duckdb")
    chosen = factors.mix("FRA", None, 2025)["gwp"]
    key = {"zone": "FRA", "dataset": chosen.dataset, "year": chosen.year}
    before = compute_impacts(pd.DataFrame([MEASURED_IN_FRANCE]), factors)
    # Given in g/kWh: converted to the canonical kgCO2e/kWh; the year is the key's.
    save_override(store, factors, "electricity_mix", key, "gwp", 52, "gCO2e / kWh", None,
                  "Contrat d'électricité de la collectivité, facteur du fournisseur 2025")
    local = load_with_overrides(store, factors)
    assert local.mix("FRA", None, 2025)["gwp"].value == pytest.approx(0.052, rel=1e-12)
    assert factors.mix("FRA", None, 2025)["gwp"].value == chosen.value
    after = compute_impacts(pd.DataFrame([MEASURED_IN_FRANCE]), local)
    assert after["gwp_usage_kgco2e_central"][0] / before["gwp_usage_kgco2e_central"][0] == pytest.approx(
        0.052 / chosen.value, rel=1e-12)
    assert after["energy_kwh_central"][0] == before["energy_kwh_central"][0]
    [row] = local.source_rows("electricity_mix", "zone = ? AND dataset = ? AND year = ? AND parameter = 'gwp'",
                              [key["zone"], key["dataset"], key["year"]])
    assert (row["value"], row["unit"], row["year"]) == (52, "gCO2e / kWh", chosen.year)


def test_the_year_of_an_electricity_override_is_that_of_its_key(factors):
    chosen = factors.mix("FRA", None, 2025)["gwp"]
    key = {"zone": "FRA", "dataset": chosen.dataset, "year": chosen.year}
    [problem] = factors.check_override("electricity_mix", key, "gwp", 0.05, "kgCO2e/kWh", chosen.year - 3)
    assert "l'année fait partie de la clé" in problem.message
    assert factors.check_override("electricity_mix", key | {"year": str(chosen.year)}, "gwp", 0.05,
                                  "kgCO2e/kWh") == []


def test_a_constant_given_in_another_unit_is_converted_to_its_canonical_unit(tmp_path, factors):
    store = Store(tmp_path / "s.duckdb")
    assert factors.unit("constants", "server_power") == "kW"
    save_override(store, factors, "constants", {}, "server_power", 1500, "W", 2024,
                  "Fiche technique des serveurs de la collectivité")
    local = load_with_overrides(store, factors)
    assert local.constant("server_power").m_as("kW") == pytest.approx(1.5, rel=1e-12)
    assert factors.constant("server_power").m_as("kW") != pytest.approx(1.5)
    [row] = local.constant_sources(["server_power"])
    assert (row["value"], row["unit"]) == (1500, "W")


def test_an_override_that_no_longer_applies_names_itself_and_why(tmp_path, factors, capsys):
    store = Store(tmp_path / "s.duckdb")
    # As if the factor files had changed since: the stored key no longer exists.
    identifier = store.save_factor_override("hosting_profiles", {"hosting": "ancienne_salle"}, "pue_min", 1.2,
                                            "dimensionless", 2024, "mesure")
    with pytest.raises(InputError) as error:
        load_with_overrides(store, factors)
    message = str(error.value)
    assert f"la valeur propre {identifier} (hosting_profiles" in message and "clé inconnue" in message
    assert "supprimez-la" in message
    assert main(["inventory", "--year", "2025", "--db", str(store.path)]) == 2
    assert identifier in capsys.readouterr().err


def test_every_command_on_the_store_computes_with_the_local_values(tmp_path, factors, capsys):
    db = new_store(tmp_path / "s.duckdb")
    assert main(["declarations", "import", "examples/declarations.csv", "--db", db]) == 0
    capsys.readouterr()
    assert main(["inventory", "--year", "2025", "--json", "--db", db]) == 0
    files = json.loads(capsys.readouterr().out)
    _own_pue(Store(db), factors)
    assert main(["inventory", "--year", "2025", "--json", "--db", db]) == 0
    local = json.loads(capsys.readouterr().out)
    assert local["factor_base_version"].startswith(files["factor_base_version"] + "+")
    assert local["total"]["energy_kwh"]["central"] < files["total"]["energy_kwh"]["central"]
    assert main(["scenarios", "run", "--year", "2025", "--to", "2026", "--json", "--db", db]) == 0
    first_year = [r for r in json.loads(capsys.readouterr().out) if r["year"] == 2025]
    assert first_year[0]["energy_kwh"]["central"] == pytest.approx(local["total"]["energy_kwh"]["central"])


def test_the_export_shows_the_local_value_with_its_justification_in_the_sources(tmp_path, factors, capsys):
    db = new_store(tmp_path / "s.duckdb")
    assert main(["declarations", "import", "examples/declarations.csv", "--db", db]) == 0
    _own_pue(Store(db), factors, justification="Relevé des compteurs de la salle serveurs, 2024")
    out = tmp_path / "sortie" / "pcaet.csv"
    out.parent.mkdir()  # an export creates no folder
    assert main(["export", "pcaet", "--year", "2025", "--scenarios", "none", "--db", db, "--out", str(out),
                 "--export-date", "2026-01-15", "--noms-techniques"]) == 0
    capsys.readouterr()
    sources = pd.read_csv(out.parent / "pcaet-sources.csv", sep=";", decimal=",", encoding="utf-8-sig")
    local = sources[(sources["cle"] == "salle_serveurs") & sources["parametre"].isin(["pue_min", "pue_max"])]
    assert len(local) == 2 and set(local["valeur"]) == {1.2}
    assert set(local["source"]) == {f"{LOCAL_SOURCE} : Relevé des compteurs de la salle serveurs, 2024"}
    detail = pd.read_csv(out.parent / "pcaet-detail.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert detail["version_base_facteurs"].str.contains("+", regex=False).all()
    note = (out.parent / "pcaet-note.md").read_text(encoding="utf-8")
    assert f"base de facteurs {factors.version}+" in note and "Relevé des compteurs" in note


def test_the_command_line_sets_lists_and_deletes_local_values(tmp_path, capsys):
    db = new_store(tmp_path / "s.duckdb")
    common = ["--db", db, "--table", "hosting_profiles", "--key", "hosting=salle_serveurs", "--parameter", "pue_min",
              "--parameter", "pue_max", "--year", "2024", "--justification", "Relevé des compteurs 2024"]
    assert main(["factors", "overrides", "set", *common, "--value", "1,2", "--unit", "kg"]) == 2
    error = capsys.readouterr().err
    assert "--unit : unité de mauvaise dimension" in error and error.count("--unit") == 1
    assert Store(db).factor_overrides(include_deleted=True).empty
    assert main(["factors", "overrides", "set", *common, "--value", "1,2", "--unit", "dimensionless"]) == 0
    assert "VL-00001, VL-00002" in capsys.readouterr().out
    assert main(["factors", "overrides", "list", "--db", db]) == 0
    listed = capsys.readouterr().out
    assert "VL-00002  hosting_profiles  hosting=salle_serveurs  pue_max = 1,2 dimensionless (2024)" in listed
    assert main(["factors", "overrides", "delete", "VL-00002", "--db", db]) == 0
    capsys.readouterr()
    assert main(["factors", "overrides", "list", "--all", "--json", "--db", db]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["deleted"]) for r in records] == [("VL-00001", False), ("VL-00002", True)]
    assert records[0]["key"] == {"hosting": "salle_serveurs"}
