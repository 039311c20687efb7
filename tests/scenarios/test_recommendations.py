"""Recommendations a service can act on: only feasible actions (no hosting move for a SaaS product
or the authority's own equipment, a change of tool and never a model id for a product), never a
negative « évite », labels instead of codes, and an effort and a service for each action.

The declarations are a real declarations file, in the columns the README documents (« Colonnes des
fichiers de déclarations »), saved in a real store and run through the real factor base and engine.
"""

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cli.main import main
from dashboard import views
from emission_factors.schema import read_defaults
from footprint.engine import compute_impacts
from footprint.inventory import compute_inventory, import_declarations
from footprint.inventory.declarations import to_workloads
from footprint.inventory.survey import import_survey
from footprint.io.formatting import format_quantity
from footprint.store import Store
from scenarios.recommendations import EFFORTS, LEVERS, best_actions, frame_uses, recommend, saving_text

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


# « Encadrer »: the example survey of the agents (examples/enquete-exemple.csv, our questionnaire's
# layout) imported into a real store, its uses through personal or free accounts moved to a framed tool.
EXAMPLE_SURVEY = Path(__file__).resolve().parents[2] / "examples" / "enquete-exemple.csv"
HEADCOUNTS = {"Communication": 40, "Ressources humaines": 25, "Urbanisme": 30}
PERSONAL_ACCOUNT = "Compte personnel ou version gratuite"
LICENCE_ACCOUNT = "Licence ou compte fourni par la collectivité"
ALBERT_LICENCE = ("8;Ressources humaines;Albert (assistant de l'État pour les agents);" + LICENCE_ACCOUNT
                  + ";Chaque semaine;Courriers et notes;Non")


def _survey_text() -> str:
    text = EXAMPLE_SURVEY.read_text(encoding="utf-8-sig")
    assert ALBERT_LICENCE in text and PERSONAL_ACCOUNT in text
    return text


def _framing(tmp_path_factory, factors, text: str | None, name: str):
    """A real store holding the survey ``text`` (None: no survey, only a declaration), its
    inventory and the « encadrer » recommendations."""
    store = Store(tmp_path_factory.mktemp(name) / "s.duckdb", create=True)
    if text is None:
        content = "\n".join([HEADER, ROWS["CHATGPT"]]) + "\n"
        import_declarations(content.encode("utf-8"), store, factors, name="declarations.csv")
    else:
        import_survey(text.encode("utf-8"), store, factors, 2025, name="enquete.csv", headcounts=HEADCOUNTS)
    inventory = compute_inventory(store, factors, 2025)
    return store, inventory, frame_uses(inventory, factors, store.survey_groups(2025))


@pytest.fixture(scope="module")
def example_framing(tmp_path_factory, factors):
    return _framing(tmp_path_factory, factors, _survey_text(), "encadrer")


@pytest.fixture(scope="module")
def without_albert(tmp_path_factory, factors):
    """The example survey where nobody has Albert from the authority (M365 Copilot Chat is then
    its only assistant), plus a tool outside the catalogue used with personal data."""
    text = _survey_text().replace(ALBERT_LICENCE, "8;Ressources humaines;Aucun;;;;")
    text = text.rstrip("\n") + f"\n13;Urbanisme;Outil maison;{PERSONAL_ACCOUNT};Rarement;Images;Oui\n"
    return _framing(tmp_path_factory, factors, text, "encadrer-sans-albert")


def _example_rows(factors) -> list[dict]:
    """The example survey's rows as written in the file, tools by catalogue id (read here, not
    by the survey reader)."""
    by_label = {p.label: p.product for p in factors.products(2025)}
    rows = list(csv.DictReader(io.StringIO(_survey_text()), delimiter=";"))
    return [row | {"product": by_label.get(row["outil"])} for row in rows]


def _engine_change(inventory, factors, item) -> tuple[float, float]:
    """Today's GWP of the item's declarations and the change when the same declarations name
    the target product instead, with today's messages and lengths (the rule of a change of
    tool), each through the conversion and the engine (central, kgCO2e)."""
    declarations = inventory.declarations[inventory.declarations["id"].isin(item.declaration_ids)]
    declarations = declarations.reset_index(drop=True)
    today = to_workloads(declarations, factors).reset_index(drop=True)
    moved = to_workloads(declarations.assign(product=item.target), factors).reset_index(drop=True)
    lengths = [c for c in today.columns if "tokens_per_request" in c]
    assert lengths
    moved[lengths] = today[lengths]
    now = compute_impacts(today, factors)["gwp_kgco2e_central"].sum()
    then = compute_impacts(moved, factors)["gwp_kgco2e_central"].sum()
    return float(now), float(then - now)


def test_one_framing_per_service_and_tool_used_through_a_personal_account(example_framing, factors):
    _, _, framing = example_framing
    personal = {(row["service"], row["product"]) for row in _example_rows(factors)
                if row["compte"] == PERSONAL_ACCOUNT}
    assert len(personal) == 6  # Communication: ChatGPT, images, DeepL; RH: ChatGPT; Urbanisme: Le Chat, ChatGPT
    assert len(framing) == len(personal)
    assert {(r.service, r.product) for r in framing} == personal
    # Tools the authority provides are never « to frame ».
    assert not {r.product for r in framing} & {"albert", "m365_copilot_chat"}


def test_the_target_is_a_framed_tool(example_framing, factors):
    _, _, framing = example_framing
    provided = {row["product"] for row in _example_rows(factors) if row["compte"] == LICENCE_ACCOUNT}
    assert provided == {"albert", "m365_copilot_chat"}
    for item in framing:
        target = factors.product(item.target, 2025)
        if factors.product(item.product, 2025).kind == "llm":
            # An assistant moves to an assistant the authority already provides.
            assert item.basis == "authority_tool" and item.target in provided and item.effort == "tool_change"
            assert f"« {target.label} », fourni par la collectivité," in item.action
        else:
            # No framed alternative in the catalogue: the same tool, through a licence to acquire.
            assert item.basis == "licence_to_buy" and item.target == item.product and item.effort == "procurement"
            assert "par une licence de la collectivité au lieu de comptes personnels ou gratuits" in item.action
        assert item.action.startswith("Encadrer : ") and item.effort in EFFORTS
        assert not re.search(r"chatgpt_free|le_chat_free|m365_copilot_chat|albert_api", item.action + item.assumption)


def test_the_footprint_change_is_the_engines_with_the_same_volume_and_the_target(example_framing, factors):
    _, inventory, framing = example_framing
    for item in framing:
        assert item.declaration_ids, item
        now, change = _engine_change(inventory, factors, item)
        assert item.gwp_now_kgco2e == pytest.approx(now, rel=1e-9) and now > 0
        assert item.gwp_change_kgco2e == pytest.approx(change, rel=1e-9, abs=1e-12)
        if item.basis == "licence_to_buy":
            assert item.gwp_change_kgco2e == 0 and item.change == "l'empreinte ne change pas"
    # The survey's declarations are the inventory's: the same figure for today's footprint.
    impacts = dict(zip(inventory.declarations["id"], inventory.impacts["gwp_kgco2e_central"]))
    communication = next(r for r in framing if r.service == "Communication" and r.product == "chatgpt_free")
    assert len(communication.declaration_ids) == 2  # letters and summaries
    assert communication.gwp_now_kgco2e == pytest.approx(sum(impacts[i] for i in communication.declaration_ids))


def test_framing_is_ranked_by_personal_data_and_gives_the_survey_as_reason(example_framing):
    _, _, framing = example_framing
    first = framing[0]
    # RH's ChatGPT is the one use where an agent puts personal or confidential data.
    assert (first.service, first.product, first.sensitive_yes) == ("Ressources humaines", "chatgpt_free", 1)
    assert "1 usage par un compte personnel ou gratuit" in first.reason
    assert "« oui » pour 1 sur 1 (100 %)" in first.reason
    keys = [(-r.sensitive_yes, -r.sensitive_unknown, -r.uses) for r in framing]
    assert keys == sorted(keys)
    communication = next(r for r in framing if r.service == "Communication" and r.product == "chatgpt_free")
    assert communication.uses == 3 and "« je ne sais pas » pour 1" in communication.reason


def test_an_increase_is_said_as_one_and_justified_by_the_framing(without_albert, factors):
    _, inventory, framing = without_albert
    (le_chat,) = [r for r in framing if r.product == "le_chat_free"]
    assert le_chat.target == "m365_copilot_chat" and le_chat.basis == "authority_tool"
    _, change = _engine_change(inventory, factors, le_chat)
    assert le_chat.gwp_change_kgco2e == pytest.approx(change, rel=1e-9) and change > 0
    assert le_chat.change.startswith(f"l'empreinte augmente de {format_quantity(change, 'kgCO2e')} par an")
    assert le_chat.change.endswith("ce changement se justifie par l'encadrement (confidentialité, responsabilité), "
                                   "pas par la sobriété")
    for item in framing:
        assert "évite" not in item.change and not re.search(r"[-−]\d", item.change), item.change
        if item.gwp_change_kgco2e is not None and item.gwp_change_kgco2e < 0:
            assert item.change.startswith("l'empreinte baisse aussi de ")
    # Never among the sobriety recommendations.
    assert all(r.lever != "frame" and r.gwp_saved_kgco2e >= 0 for r in recommend(inventory, factors))


def test_a_tool_outside_the_catalogue_is_framed_without_a_figure(without_albert):
    _, _, framing = without_albert
    (unknown,) = [r for r in framing if r.basis == "outside_catalogue"]
    assert unknown.service == "Urbanisme" and unknown.target is None and unknown.declaration_ids == ()
    assert unknown.gwp_change_kgco2e is None and unknown.change.startswith("non chiffré : outil hors catalogue")
    assert "Outil maison" not in unknown.action + unknown.reason + unknown.tool  # the free text is never kept
    json.dumps([r.as_dict() for r in framing], allow_nan=False)
    table = views.recommandations.framing_table(framing)
    assert list(table["rang"]) == list(range(1, len(framing) + 1))
    row = table[table["cible"] == unknown.basis_label].iloc[0]
    assert pd.isna(row["kgco2e_variation"]) and row["empreinte"] == unknown.change
    assert (table["kgco2e_variation"] > 0).any()  # a signed change, an increase included


def test_without_a_tool_of_the_authority_an_assistant_moves_to_the_catalogues_tool_hosted_in_france(
        tmp_path_factory, factors):
    all_personal = _survey_text().replace(LICENCE_ACCOUNT, PERSONAL_ACCOUNT)
    _, inventory, framing = _framing(tmp_path_factory, factors, all_personal, "encadrer-personnel")
    home_zone = factors.hosting_zone(read_defaults().hosting)
    by_tool = {(r.service, r.product): r for r in framing}
    for (_, product), item in by_tool.items():
        used = factors.product(product, 2025)
        if used.kind == "llm" and factors.hosting_zone(used.hosting) != home_zone:
            target = factors.product(item.target, 2025)
            assert item.basis == "sovereign" and factors.hosting_zone(target.hosting) == home_zone
            assert item.target == "albert" and "fourni par la collectivité" not in item.action
            assert item.gwp_change_kgco2e == pytest.approx(_engine_change(inventory, factors, item)[1], rel=1e-9)
    # Albert itself, used through a personal account: no other such tool, the same one under a licence.
    albert = by_tool[("Ressources humaines", "albert")]
    assert albert.basis == "licence_to_buy" and albert.target == "albert" and albert.gwp_change_kgco2e == 0


def test_no_framing_without_a_personal_account_or_without_a_survey(tmp_path_factory, factors):
    all_licences = _survey_text().replace(PERSONAL_ACCOUNT, LICENCE_ACCOUNT)
    store, _, framing = _framing(tmp_path_factory, factors, all_licences, "encadrer-licences")
    assert not store.survey_groups(2025).empty and framing == []
    store, _, framing = _framing(tmp_path_factory, factors, None, "encadrer-sans-enquete")
    assert store.survey_groups(2025).empty and framing == []


def test_the_page_shows_the_framing_section_apart_with_an_increase(without_albert, store_path, monkeypatch):
    store, _, framing = without_albert
    monkeypatch.setenv("FOOTPRINT_DB", str(store.path))
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    app.switch_page("app_pages/recommandations.py")
    app.run()
    assert not app.exception
    assert [h.value for h in app.header] == ["Sobriété", "Encadrer les usages hors cadre"]
    # The page escapes user text for Markdown (``as_text``): read it back without the backslashes.
    text = re.sub(r"\\(.)", r"\1", " ".join(m.value for m in app.markdown))
    assert "pas à la sobriété" in text and "L'empreinte augmente de" in text
    assert "**1. Encadrer : passer à" in text
    framed = app.dataframe[-1].value
    assert list(framed["service"]) == [r.service for r in framing]
    assert {"kgco2e_variation", "motif", "cible"} <= set(framed.columns)
    # The store without a survey says so, in the same section.
    monkeypatch.setenv("FOOTPRINT_DB", str(store_path))
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    app.switch_page("app_pages/recommandations.py")
    app.run()
    assert not app.exception
    assert any("Aucune enquête auprès des agents pour 2025" in i.value for i in app.info)


def test_the_command_lists_the_framing_after_the_sobriety(example_framing, capsys):
    store, _, framing = example_framing
    assert framing
    capsys.readouterr()
    assert main(["recommend", "--year", "2025", "--db", str(store.path)]) == 0
    out = capsys.readouterr().out
    assert "Encadrer les usages hors cadre (2025)" in out
    first = framing[0]
    assert f"{first.service} — {first.tool}" in out and first.change in out
    assert main(["recommend", "--year", "2025", "--json", "--db", str(store.path)]) == 0
    records = json.loads(capsys.readouterr().out)
    families = [r["famille"] for r in records]
    assert families == sorted(families, key=["sobriété", "encadrer"].index), "sobriety first"
    framed = [r for r in records if r["famille"] == "encadrer"]
    assert [(r["service"], r["product"]) for r in framed] == [(f.service, f.product) for f in framing]
