"""Recommendations a service can act on: only feasible actions (no hosting move for a SaaS product
or the authority's own equipment, a change of tool and never a model id for a product), never a
negative « évite », labels instead of codes, and an effort and a service for each action.

The declarations are a real declarations file, in the columns the README documents (« Colonnes des
fichiers de déclarations »), saved in a real store and run through the real factor base and engine.
"""

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cli.main import main
from dashboard import views
from footprint.engine import compute_impacts
from footprint.inventory import compute_inventory, import_declarations
from footprint.inventory.declarations import to_workloads
from footprint.store import Store
from scenarios.recommendations import EFFORTS, LEVERS, best_actions, recommend, saving_text

APP = str(Path(__file__).resolve().parents[2] / "app.py")
HEADER = ("id;annee;service;cas_usage;type;outil;mode_raisonnement;utilisateurs;licences;fournisseur;modele;"
          "hebergement;zone;agents;requetes_par_agent_par_jour;requetes;gpu;nb_gpu;heures;taux_utilisation;tache;"
          "unites;pue;wue")
ROWS = {
    "COPILOT": "COPILOT;2025;Direction des finances;redaction_courrier;;Microsoft 365 Copilot;;;150;;;;;;;;;;;;;;;",
    "CHATGPT": "CHATGPT;2025;Communication;synthese_document;;ChatGPT Plus;oui;10;;;;;;;;;;;;;;;;",
    "GPU": "GPU;2025;Urbanisme;analyse d'images aériennes;gpu;;;;;;;salle_serveurs;;;;;H100;4;500;0,3;;;;",
    "LOCAL": ("LOCAL;2025;Relation usagers;chatbot_usagers;llm;;;;;self_hosted;"
              "mistralai/Mistral-Small-3.2-24B-Instruct-2506;salle_serveurs;;;;120000;;;;;;;;"),
    "ZONE": ("ZONE;2025;Relation usagers;traduction;llm;;;;;self_hosted;"
             "mistralai/Mistral-Small-3.2-24B-Instruct-2506;;FRA;;;50000;;;;;;;1,5;0"),
    "GPT4O": "GPT4O;2025;Direction générale des services;synthese_document;llm;;;;;openai;gpt-4o;;;8;5;;;;;;;;;",
    "LARGE": ("LARGE;2025;Direction des ressources humaines;redaction_courrier;llm;;;;;mistralai;"
              "mistral-large-latest;;;15;20;;;;;;;;;"),
    "OCR": "OCR;2025;Courrier;lecture du courrier;tache;;;;;;;datacenter_fr;;;;;;;;;ocr_modele_vision;60000;;",
}


@pytest.fixture(scope="module")
def store_path(factors, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("recommandations") / "s.duckdb"
    content = "\n".join([HEADER, *ROWS.values()]) + "\n"
    import_declarations(content.encode("utf-8"), Store(path, create=True), factors, name="declarations.csv")
    return path


@pytest.fixture(scope="module")
def inventory(store_path, factors):
    return compute_inventory(Store(store_path), factors, 2025)


@pytest.fixture(scope="module")
def found(inventory, factors):
    return recommend(inventory, factors)


def _of(found, declaration, lever=None):
    return [r for r in found if r.declaration_id == declaration and (lever is None or r.lever == lever)]


def test_no_hosting_move_for_a_product_or_the_authoritys_own_equipment(found):
    moved = {r.declaration_id for r in found if r.lever == "hosting"}
    assert moved.isdisjoint({"COPILOT", "CHATGPT", "GPU", "LOCAL", "ZONE"})
    # Already in the default hosting: nothing to move.
    assert "OCR" not in moved
    # A model bought through an API can move, and that is a procurement.
    (gpt4o,) = _of(found, "GPT4O", "hosting")
    assert gpt4o.effort == "procurement" and "« OpenAI (centres de données aux États-Unis) »" in gpt4o.action


def test_a_product_gets_a_change_of_tool_never_a_model_id(found):
    for declaration in ("COPILOT", "CHATGPT"):
        assert not _of(found, declaration, "smaller_model")
        (switch,) = _of(found, declaration, "product_switch")
        assert switch.effort == "tool_change" and "Albert (assistant de l'État pour les agents)" in switch.action
        for item in _of(found, declaration):
            assert not re.search(r"gpt-|mistral-|openai/|mistralai/", item.action), item.action
    (copilot,) = _of(found, "COPILOT", "product_switch")
    assert "au lieu de « Microsoft 365 Copilot (Word, Outlook, Teams, Excel, PowerPoint) »" in copilot.action


def test_a_smaller_api_model_is_a_change_of_tool_or_a_procurement_with_another_provider(found):
    (same_provider,) = _of(found, "LARGE", "smaller_model")
    assert same_provider.effort == "tool_change"
    expected = "« mistral-small-latest (Mistral AI) » au lieu de « mistral-large-latest (Mistral AI) »"
    assert expected in same_provider.action
    (other_provider,) = _of(found, "GPT4O", "smaller_model")
    assert other_provider.effort == "procurement"
    assert not _of(found, "LOCAL", "smaller_model")


def test_reasoning_off_is_a_setting_saving_what_the_engine_gives_without_reasoning(inventory, found, factors):
    (off,) = _of(found, "CHATGPT", "reasoning_off")
    assert off.effort == "setting" and off.action == "Désactiver le mode raisonnement quand il n'est pas utile"
    declaration = inventory.declarations[inventory.declarations["id"] == "CHATGPT"].reset_index(drop=True)
    plain = declaration.copy()
    plain["reasoning"] = False
    with_mode = compute_impacts(to_workloads(declaration, factors), factors)["gwp_kgco2e_central"].iloc[0]
    without = compute_impacts(to_workloads(plain, factors), factors)["gwp_kgco2e_central"].iloc[0]
    assert off.gwp_saved_kgco2e == pytest.approx(with_mode - without, rel=1e-9) and off.gwp_saved_kgco2e > 0
    assert not _of(found, "COPILOT", "reasoning_off")


def test_every_action_names_its_service_effort_labels_and_a_positive_saving(found):
    assert found and all(r.service.strip() and r.tool.strip() and r.action.strip() and r.assumption.strip()
                         for r in found)
    assert all(r.effort in EFFORTS and r.lever in LEVERS for r in found)
    assert all(r.gwp_saved_kgco2e > 0 for r in found if r.lever != "measure")
    savings = [r.gwp_saved_kgco2e for r in found if r.lever != "measure"]
    assert savings == sorted(savings, reverse=True)
    copilot = _of(found, "COPILOT")[0]
    assert copilot.use_case == "Rédaction d'un courrier ou d'une note"
    assert copilot.tool == "Microsoft 365 Copilot (Word, Outlook, Teams, Excel, PowerPoint)"
    assert _of(found, "GPU")[0].tool == "NVIDIA H100 SXM 80 Go"
    # One action per declaration and lever.
    assert len({(r.declaration_id, r.lever) for r in found}) == len(found)
    json.dumps([r.as_dict() for r in found], allow_nan=False)


def test_an_action_that_uses_more_energy_says_so_and_never_a_negative_avoided(found):
    (gpt4o,) = _of(found, "GPT4O", "hosting")
    assert gpt4o.energy_saved_kwh < 0 < gpt4o.gwp_saved_kgco2e
    assert "mais consomme" in gpt4o.saving and "de plus" in gpt4o.saving
    for item in found:
        assert not re.search(r"évite\s*[-−]|[-−]\d", item.saving), item.saving
    assert saving_text(2.5, 0.0) == "évite 2,50 kgCO2e par an"
    assert saving_text(0.0, 0.0).startswith("améliore la précision")


def test_measuring_is_offered_only_for_what_the_authority_runs(found):
    measured = {r.declaration_id for r in found if r.lever == "measure"}
    assert {"GPU", "LOCAL", "ZONE"} <= measured
    assert measured.isdisjoint({"COPILOT", "CHATGPT", "GPT4O", "LARGE", "OCR"})
    assert all(r.effort == "organisation" and r.gwp_saved_kgco2e == 0 for r in found if r.lever == "measure")


def test_the_best_action_of_each_declaration_is_counted_once(found, inventory):
    best = best_actions(found)
    assert len({r.declaration_id for r in best}) == len(best)
    impacts = dict(zip(inventory.declarations["id"], inventory.impacts["gwp_kgco2e_central"]))
    for item in best:
        assert item.gwp_saved_kgco2e == max(r.gwp_saved_kgco2e for r in _of(found, item.declaration_id))
        assert item.gwp_saved_kgco2e <= impacts[item.declaration_id]
    table = views.recommendations_table(found)
    reduction = views.best_reduction(table, inventory)
    assert reduction["avoided"] == pytest.approx(sum(r.gwp_saved_kgco2e for r in best))
    assert reduction["declarations"] == len(best) and 0 < reduction["percent"] < 100
    assert (table[["kgco2e_evites", "kwh_evites", "kwh_en_plus"]] >= 0).all().all()


def test_the_command_prints_labels_efforts_and_no_negative_saving(store_path, capsys):
    assert main(["recommend", "--year", "2025", "--db", str(store_path)]) == 0
    out = capsys.readouterr().out
    for expected in ("Direction des finances — Microsoft 365 Copilot (Word, Outlook, Teams, Excel, PowerPoint), "
                     "Rédaction d'un courrier ou d'une note (COPILOT)", "[changement d'outil]", "[paramètre]",
                     "[marché public]", "[organisation]", "mais consomme", "En retenant la meilleure action"):
        assert expected in out, expected
    for code in ("redaction_courrier", "synthese_document", "m365_copilot", "openai/gpt-4o", "datacenter_fr", "nan"):
        assert not re.search(rf"\b{re.escape(code)}\b", out), code
    assert not re.search(r"évite\s*[-−]", out)
    assert main(["recommend", "--year", "2025", "--json", "--db", str(store_path)]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {"effort", "effort_label", "use_case", "tool", "lever", "saving"} <= set(records[0])


def test_the_page_shows_efforts_and_no_negative_saving(store_path, monkeypatch):
    monkeypatch.setenv("FOOTPRINT_DB", str(store_path))
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    app.switch_page("app_pages/recommandations.py")
    app.run()
    assert not app.exception
    text = " ".join(m.value for m in app.markdown)
    assert "effort : **paramètre**" in text and "Microsoft 365 Copilot" in text
    assert not re.search(r"évite\s*\\?[-−]", text, flags=re.IGNORECASE)
    table = app.dataframe[0].value
    assert {"paramètre", "changement d'outil", "marché public", "organisation"} <= set(table["effort"])
    assert (table[["kgco2e_evites", "kwh_evites", "kwh_en_plus"]] >= 0).all().all()
