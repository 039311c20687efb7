"""Every page of the dashboard, driven by Streamlit's AppTest over a real store file: it renders
on the example inventory and on an empty one, the form changes the Synthèse totals by exactly
the engine's figure, and bad input is explained in French without writing anything."""

import pandas as pd
import pytest
from conftest import PAGES, no_failure, open_app

from footprint.engine import compute_impacts
from footprint.inventory.declarations import to_workloads
from footprint.io.formatting import format_quantity, format_range
from footprint.vocabulary import VOLUME_LEVELS


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_example_inventory(example_store, page):
    app = open_app(page)
    no_failure(app)
    assert app.title, "each page has a French title"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_an_empty_inventory(empty_store, page):
    app = open_app(page)
    no_failure(app)
    assert empty_store.declarations().empty


def test_first_start_creates_the_store_with_the_labelled_example(tmp_path, monkeypatch):
    path = tmp_path / "data" / "footprint.duckdb"
    monkeypatch.setenv("FOOTPRINT_DB", str(path))
    app = open_app()
    no_failure(app)
    assert path.exists()
    assert any("Inventaire d'exemple" in block.value for block in app.markdown)
    assert [m.label for m in app.metric][:2] == ["Énergie", "Émissions de GES"]


def test_the_example_is_cleared_in_one_click_and_stays_in_the_history(example_store):
    app = open_app()
    app.button(key="vider_exemple").click().run()
    no_failure(app)
    assert example_store.declarations().empty
    assert example_store.declarations(include_deleted=True)["deleted"].all()
    assert any("inventaire est vide" in block.value for block in app.info)


def _gwp_metric(app) -> float:
    metric = next(m for m in app.metric if m.label.startswith("Émissions de GES"))
    return metric.value


def test_a_declaration_added_through_the_form_changes_the_total_by_the_engines_figure(example_store, factors):
    before = example_store.declarations(year=2025)
    app = open_app("declarer")
    form_inputs = {w.label: w for w in app.text_input}
    form_inputs["Service"].input("Urbanisme")
    next(w for w in app.selectbox if w.label == "Cas d'usage").set_value("redaction_courrier")
    numbers = {w.label: w for w in app.number_input}
    numbers["Nombre d'agents qui l'utilisent"].set_value(12.0)
    numbers["Requêtes par agent et par jour"].set_value(7.0)
    app.button(key="FormSubmitter:declaration-Enregistrer la déclaration").click().run()
    no_failure(app)
    after = example_store.declarations(year=2025)
    assert len(after) == len(before) + 1
    added = after[~after["id"].isin(before["id"])]
    assert added.iloc[0]["service"] == "Urbanisme" and added.iloc[0]["agents"] == 12
    assert any("enregistrée" in s.value for s in app.success)

    from footprint.inventory.declarations import to_workloads

    engine = compute_impacts(to_workloads(added.reset_index(drop=True), factors), factors)
    expected = compute_impacts(to_workloads(before, factors), factors)["gwp_kgco2e_central"].sum() + \
        engine["gwp_kgco2e_central"].sum()
    app.switch_page("app_pages/synthese.py")
    app.run()
    no_failure(app)
    assert engine["gwp_kgco2e_central"].sum() > 0
    assert _gwp_metric(app) == format_quantity(expected, "kgCO2e")


def test_a_tool_is_declared_by_its_name_and_licences_without_a_model_id(example_store, factors):
    before = example_store.declarations(year=2025)
    app = open_app("declarer")
    app.selectbox(key="form_tool").set_value("m365_copilot").run()
    no_failure(app)
    shown = [c.value.replace("\\", "") for c in app.caption]  # as the page shows it: Markdown escaped
    product = factors.product("m365_copilot")
    assert any(all(m in c for m in product.models) and "messages par utilisateur actif" in c for c in shown)
    next(w for w in app.text_input if w.label == "Service").input("Direction générale")
    next(w for w in app.radio if w.label == "Je compte en").set_value("licences")
    next(w for w in app.number_input if w.label == "Combien ?").set_value(150.0)
    app.button(key="FormSubmitter:declaration-Enregistrer la déclaration").click().run()
    no_failure(app)
    added = example_store.declarations(year=2025)
    added = added[~added["id"].isin(before["id"])]
    assert len(added) == 1
    row = added.iloc[0]
    assert row["product"] == "m365_copilot" and row["licences"] == 150 and pd.isna(row["model"])
    # The range shown is the engine's over the product's models and profiles.
    impacts = compute_impacts(to_workloads(added.reset_index(drop=True), factors), factors).iloc[0]
    success = next(s.value for s in app.success if "enregistrée" in s.value).replace("\\", "")
    assert format_range(impacts["gwp_kgco2e_low"], impacts["gwp_kgco2e_central"], impacts["gwp_kgco2e_high"],
                        "kgCO2e") in success
    assert impacts["gwp_kgco2e_high"] > 10 * impacts["gwp_kgco2e_low"] > 0


def test_the_synthesis_says_how_the_volume_of_the_footprint_is_known(example_store):
    app = open_app()
    no_failure(app)
    assert any(s.value == "Comment le volume est connu" for s in app.subheader)
    levels = next(frame.value for frame in app.dataframe if "niveau" in frame.value.columns)
    assert levels["part"].sum() == pytest.approx(100.0)
    assert set(levels["niveau"]) <= set(VOLUME_LEVELS.values())


def test_a_gpu_form_without_hours_is_refused_in_french_and_writes_nothing(example_store):
    before = example_store.declarations()
    app = open_app("declarer")
    app.radio(key="form_kind").set_value("gpu").run()
    app.button(key="FormSubmitter:declaration-Enregistrer la déclaration").click().run()
    no_failure(app)
    assert app.error and "rien n'a été enregistré" in app.error[0].value
    pd.testing.assert_frame_equal(example_store.declarations(), before)


def test_a_bad_import_lists_every_error_and_writes_nothing(example_store):
    before = example_store.declarations()
    app = open_app("declarer")
    bad = (b"annee;service;cas_usage;type;fournisseur;modele;agents;requetes_par_agent_par_jour\n"
           b"2025;RH;redaction_courrier;llm;mistralai;mistral-large-latest;10;5\n"
           b"2025;RH;redaction_courrier;llm;mistralai;mistral-large-latest;-3;5\n"
           b"2025;;redaction_courrier;llm;mistralai;mistral-large-latest;10;5\n")
    app.file_uploader(key="declarations_file").set_value(("mauvais.csv", bad, "text/csv")).run()
    no_failure(app)
    assert app.error and "problèmes" in app.error[0].value
    problems = next(d.value for d in app.dataframe if "Problème" in d.value.columns)
    assert {"Fichier", "Ligne", "Colonne", "Problème"} <= set(problems.columns)
    assert set(problems["Ligne"]) >= {"3", "4"} and set(problems["Fichier"]) == {"mauvais.csv"}
    assert not [b for b in app.button if b.label.startswith("Importer")]
    pd.testing.assert_frame_equal(example_store.declarations(), before)
    assert len(example_store.imports()) == 1  # the example's only


def test_a_good_import_shows_a_preview_and_writes_only_when_confirmed(empty_store):
    good = (b"annee;service;cas_usage;type;fournisseur;modele;agents;requetes_par_agent_par_jour\n"
            b"2025;RH;redaction_courrier;llm;mistralai;mistral-large-latest;10;5\n")
    app = open_app("declarer")
    app.file_uploader(key="declarations_file").set_value(("bon.csv", good, "text/csv")).run()
    no_failure(app)
    assert empty_store.declarations().empty
    assert any("1 déclaration(s) valides" in s.value for s in app.success)
    next(b for b in app.button if b.label.startswith("Importer")).click().run()
    no_failure(app)
    assert empty_store.declarations()["service"].tolist() == ["RH"]


def test_the_authoritys_own_pue_is_saved_from_the_factors_page_and_changes_the_synthesis(example_store):
    app = open_app()
    before = _gwp_metric(app)
    app.switch_page("app_pages/facteurs.py")
    app.run()
    app.selectbox(key="element_hosting_profiles").set_value("salle_serveurs").run()
    app.selectbox(key="parameter_hosting_profiles").set_value("pue_min").run()
    next(w for w in app.number_input if w.label == "Valeur").set_value(1.2)
    next(w for w in app.text_area if w.label.startswith("Justification")).input("Mesure 2025 de la DSI")
    app.button(key="FormSubmitter:override-Enregistrer la valeur propre").click().run()
    no_failure(app)
    overrides = example_store.factor_overrides()
    assert sorted(overrides["parameter"]) == ["pue_max", "pue_min"] and set(overrides["value"]) == {1.2}
    app.switch_page("app_pages/synthese.py")
    app.run()
    no_failure(app)
    assert _gwp_metric(app) != before  # the GPU and the measured run in the server room now use a PUE of 1,2


def test_the_basis_of_a_products_figures_is_chosen_on_the_factors_page_and_changes_the_inventory(
        example_store, factors):
    from footprint.inventory import compute_inventory

    example_store.save(pd.DataFrame([{"year": 2025, "service": "Communication", "kind": "llm",
                                      "product": "le_chat_pro", "users": 12.0}]))
    before = compute_inventory(example_store, factors, 2025).total()["gwp_kgco2e"]
    app = open_app("facteurs")
    no_failure(app)
    table = next(frame.value for frame in app.dataframe if "publication" in frame.value.columns)
    assert "Le Chat Pro (Mistral AI)" in set(table["outil"]) and table["rapport"].notna().all()
    form_tool = next(w for w in app.selectbox if w.label == "Outil")
    form_tool.set_value("le_chat_pro")
    next(w for w in app.radio if w.label == "Base de ses chiffres").set_value("enveloppe")
    next(w for w in app.text_input if w.label.startswith("Pourquoi")).input("ACV publiée")
    app.button(key="FormSubmitter:product_basis-Retenir cette base").click().run()
    no_failure(app)
    held = example_store.product_bases()
    assert held.to_dict("records")[0]["basis"] == "enveloppe"
    after = compute_inventory(example_store, factors, 2025).total()["gwp_kgco2e"]
    assert after["high"] >= before["high"] and after != before
