"""The dashboard's library without Streamlit, over a real store: the table editor's saves, the
custom scenarios derived from the sliders, and the tables the pages show."""

import pandas as pd
import pytest

from core.errors import InputError
from dashboard import views
from footprint.inventory import compute_inventory
from scenarios.definitions import available, built_in_scenarios, save_custom
from scenarios.projection import project


def test_a_cell_changed_in_the_table_editor_is_saved_as_a_new_version(example_store, factors):
    original = views.declarations_table(example_store.declarations(year=2025))
    versions = example_store.declarations().set_index("id")["version"]
    edited = original.copy()
    row = edited.index[edited["Identifiant"] == "IA-00001"][0]
    edited.loc[row, "Agents"] = 250.0
    counts = views.save_edits(original, edited, example_store, factors)
    assert counts["modified"] == 1
    stored = example_store.declarations().set_index("id")
    assert stored.at["IA-00001", "agents"] == 250
    assert stored.at["IA-00001", "version"] == versions["IA-00001"] + 1
    pd.testing.assert_series_equal(stored["version"].drop(index="IA-00001"), versions.drop(index="IA-00001"))
    history = views.history_table(example_store, "IA-00001")
    assert history.iloc[0]["Changements"] == "Agents : 200 → 250"


def test_an_unchanged_table_writes_nothing(example_store, factors):
    original = views.declarations_table(example_store.declarations(year=2025))
    before = example_store.history()
    assert views.save_edits(original, original.copy(), example_store, factors)["modified"] == 0
    assert len(example_store.history()) == len(before)


def test_a_bad_cell_in_the_table_editor_is_refused_and_nothing_is_written(example_store, factors):
    original = views.declarations_table(example_store.declarations(year=2025))
    edited = original.copy()
    edited.loc[0, "Agents"] = 300.0
    edited.loc[1, "Type"] = "robot"
    before = example_store.declarations()
    with pytest.raises(InputError) as refused:
        views.save_edits(original, edited, example_store, factors)
    assert [(p.line, p.column) for p in refused.value.problems] == [(2, "type")]
    pd.testing.assert_frame_equal(example_store.declarations(), before)


def test_editing_an_imported_gateway_declaration_keeps_the_gateway_estimate(example_store, factors):
    from footprint.inventory.usage_logs import import_usage

    log = (b"datetime,model,prompt_tokens,completion_tokens,kwh_min,kwh_max,kgco2eq_min,kgco2eq_max\n"
           b"2025-03-01 10:00:00,albert-large,500,400,0.0002,0.0004,0.00001,0.00002\n")
    done = import_usage(log, example_store, factors, preset="albert", name="albert.csv",
                        mapping={"albert-large": "mistralai/Mistral-Small-3.2-24B-Instruct-2506"})
    [identifier] = done.declarations["id"]
    original = views.declarations_table(example_store.declarations(year=2025))
    edited = original.copy()
    edited.loc[edited["Identifiant"] == identifier, "Service"] = "Relation usagers"
    assert views.save_edits(original, edited, example_store, factors)["modified"] == 1
    stored = example_store.declarations().set_index("id").loc[identifier]
    assert stored["service"] == "Relation usagers" and stored["origin"] == "usage:albert.csv"
    assert (stored["gateway_kwh_min"], stored["gateway_kwh_max"]) == pytest.approx((0.0002, 0.0004))
    assert (stored["gateway_kgco2e_min"], stored["gateway_kgco2e_max"]) == pytest.approx((0.00001, 0.00002))


def test_a_table_edit_over_a_row_changed_meanwhile_is_refused_and_loses_nothing(example_store, factors):
    from footprint.store import StoreConflict

    original = views.declarations_table(example_store.declarations(year=2025))
    versions = dict(zip(example_store.declarations()["id"], example_store.declarations()["version"]))
    meanwhile = original.copy()
    meanwhile.loc[meanwhile["Identifiant"] == "IA-00001", "Agents"] = 180.0
    views.save_edits(original, meanwhile, example_store, factors, expected_versions=versions)
    mine = original.copy()
    mine.loc[mine["Identifiant"] == "IA-00001", "Agents"] = 250.0
    with pytest.raises(StoreConflict, match="IA-00001"):
        views.save_edits(original, mine, example_store, factors, expected_versions=versions)
    assert example_store.declarations().set_index("id").at["IA-00001", "agents"] == 180


def test_a_scenario_derived_with_the_sliders_left_as_they_are_projects_like_its_base(example_store, factors):
    sober = built_in_scenarios()[0]
    derived, text = views.derive_scenario(sober, "sobre-bis", "Sobre bis", views.slider_values(sober, 2030), 2025,
                                          2030, "test")
    inventory = compute_inventory(example_store, factors, 2025)
    totals = project(inventory, [sober, derived], factors, 2030).totals().set_index(["scenario", "year"])
    pd.testing.assert_frame_equal(totals.loc["sobre"], totals.loc["sobre-bis"])
    save_custom(example_store, derived, text, factors)
    assert available(example_store)["sobre-bis"].levers == derived.levers


def test_a_slider_changes_the_derived_scenario_and_a_built_in_id_is_refused(example_store, factors):
    sober = built_in_scenarios()[0]
    values = views.slider_values(sober, 2030) | {"volume_growth": 20.0}
    derived, text = views.derive_scenario(sober, "sobre", "Sobre", values, 2025, 2030, "test")
    assert derived.lever("volume_growth").values == (0.2,)
    with pytest.raises(InputError, match="réservé"):
        save_custom(example_store, derived, text, factors)
    assert example_store.scenarios().empty
    with pytest.raises(InputError, match="identifiant"):
        views.derive_scenario(sober, "mon scénario", "x", values, 2025, 2030, "test")


@pytest.mark.parametrize("typed, meant", [("m365_copilot", "m365_copilot"), ("lechat", "le_chat_pro"),
                                          ("M365", "m365_copilot"),
                                          ("Chat GPT Plus", "chatgpt_plus"), ("ALBERT", "albert")])
def test_the_tool_typed_in_the_form_is_the_product_meant(factors, typed, meant):
    assert views.find_tool(factors, typed) == meant
    # Every choice offered is found back, and the names people type are in what the box searches.
    choices = views.tool_choices(factors)
    assert meant in choices and all(views.find_tool(factors, label) == p for p, label in choices.items())


def test_an_unknown_tool_is_explained_in_french_with_the_closest_ones(factors):
    with pytest.raises(InputError) as raised:
        views.find_tool(factors, "Le Chatt Pro")
    [problem] = raised.value.problems
    assert "Aucun outil du catalogue ne porte ce nom" in problem.message and "le_chat_pro" in problem.message
    assert views.OTHER_TOOL in problem.message and problem.value == "Le Chatt Pro"


def test_the_diagnostic_says_what_an_import_did_and_knows_the_same_answers_again():
    from dashboard.views.diagnostic import import_message

    assert import_message({"created": 11, "modified": 0}, 2025) == "11 déclaration(s) créée(s), 0 modifiée(s)."
    assert import_message({"created": 1, "modified": 2, "replaced": 3, "unchanged": 4}, 2025) == (
        "1 déclaration(s) créée(s), 2 modifiée(s), 3 retirée(s) (enquête précédente de 2025), 4 inchangée(s).")
    assert import_message({"created": 0, "modified": 0, "unchanged": 11}, 2025).startswith(
        "Aucune déclaration créée ni modifiée : ces réponses étaient déjà importées pour 2025")


def test_the_same_survey_answers_are_known_as_already_imported(empty_store, factors):
    from pathlib import Path

    from dashboard.views.diagnostic import already_imported, import_answers, preview_answers

    data = (Path(__file__).resolve().parents[2] / "examples" / "enquete-exemple.csv").read_bytes()
    headcounts = "Communication=25, Ressources humaines=40, Urbanisme=30"
    preview = preview_answers(data, "enquete.csv", empty_store, factors, 2025, "template", None, headcounts)
    assert not already_imported(empty_store, preview)
    import_answers(data, "enquete.csv", empty_store, factors, 2025, "template", None, headcounts)
    assert already_imported(empty_store, preview)
    other_year = preview_answers(data, "enquete.csv", empty_store, factors, 2024, "template", None, headcounts)
    assert not already_imported(empty_store, other_year)
