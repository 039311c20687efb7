"""The register of AI uses: entries grouped from the example inventory with the engine's
footprint, the export against the Algorithmic Transparency Standard's attribute list
(Algoritmeregister/standard, _data/Algorithmic_transparency_data_standard.csv: attribute, type,
required) and the CRPA items, the command line, the history, the refused lost update, and
hostile text kept as text."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from core.errors import InputError
from dashboard.example import create_example
from footprint.inventory import compute_inventory, register
from footprint.store import Store, StoreConflict

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = '=HYPERLINK("http://exemple.invalid","clic") <script>alert(1)</script>'


@pytest.fixture
def store(tmp_path, factors) -> Store:
    store = Store(tmp_path / "footprint.duckdb")
    create_example(store, factors)
    return store


def year_of(store: Store) -> int:
    return int(store.declarations()["year"].max())


def test_each_declaration_belongs_to_one_entry_whose_footprint_is_the_sum_of_its_declarations(store, factors):
    year = year_of(store)
    found = register.entries(store, factors, year)
    inventory = compute_inventory(store, factors, year)
    ids = [i for text in found["declarations"] for i in text.split(", ") if i]
    assert sorted(ids) == sorted(inventory.declarations["id"])
    by_id = inventory.impacts.set_index(inventory.declarations["id"])
    for row in found.to_dict("records"):
        members = row["declarations"].split(", ")
        for column in register.FOOTPRINT_COLUMNS:
            assert row[column] == pytest.approx(by_id.loc[members, column].sum(), rel=1e-12)
    assert found["entry_id"].is_unique and found["entry_id"].str.fullmatch(r"REG-[0-9A-F]{10}").all()
    # year-independent and stable: the same use gives the same id
    assert register.entry_id("Assemblées", "L4", "x") == register.entry_id(" assemblees ", "l4", "X")


def test_declaration_register_columns_become_the_entry_defaults(store, factors):
    found = register.entries(store, factors, year_of(store))
    declarations = store.declarations(year=year_of(store)).set_index("id")
    for row in found.to_dict("records"):
        first = declarations.loc[row["declarations"].split(", ")[0]]
        if isinstance(first["owner"], str):
            assert row["owner"] == first["owner"] and row["contact"] == first["owner"]
        if first["personal_data"] is True:
            assert row["personal_data"] == "oui"
    openai = found[found["tool"] == "gpt-4o (OpenAI)"].iloc[0]  # the model with its provider's label
    assert "États-Unis (USA)" in openai["location"] and openai["in_eu"] is None and openai["law"] is None


def test_json_export_has_every_required_attribute_of_the_standard_with_its_type_and_the_footprint(store, factors):
    year = year_of(store)
    found = register.entries(store, factors, year)
    document = json.loads(register.export_register(found, "json"))
    assert document["year"] == year and len(document["entries"]) == len(found)
    required = [name for name, (needed, _, _) in register.STANDARD_FIELDS.items() if needed]
    # the list of the standard (its CSV, column « required » TRUE)
    assert set(required) == {"name", "description", "contact_email", "organisation", "external_supplier",
                             "external_supplier_role", "scope", "benefit", "model_type", "phase", "human_decisions",
                             "appeals_and_review", "source_data_name", "source_data_description", "data_collection",
                             "data_sharing_agreements", "data_access_and_storage", "impact_assessment_name",
                             "risk_name"}
    for record, row in zip(document["entries"], found.to_dict("records"), strict=True):
        for name, (needed, kind, _) in register.STANDARD_FIELDS.items():
            assert name in record
            value = record[name]
            if needed:
                assert isinstance(value, str) and value.strip()
            elif kind == "url":
                assert value is None or value.startswith("https://")
            else:
                assert value is None or isinstance(value, str)
        assert set(record["crpa"]) == set(register.CRPA_ITEMS)
        assert record["environmental_footprint"]["gwp_kgco2e"]["central"] == pytest.approx(row["gwp_kgco2e_central"])
        assert record["environmental_footprint"]["water_l"]["unit"] == "L"
        assert record["phase"] in {*register.PHASES.values(), register.NOT_GIVEN}
    # every field the mapping names exists
    for _, _, keys in register.STANDARD_FIELDS.values():
        assert set(keys) <= set(register.BY_KEY)
    for _, keys in register.CRPA_ITEMS.values():
        assert set(keys) <= set(register.BY_KEY)


def test_saved_fields_hold_over_the_defaults_with_their_history_and_a_stale_version_is_refused(store, factors):
    year = year_of(store)
    row = register.entries(store, factors, year).iloc[0].to_dict()
    assert row["version"] == 0
    assert register.save_entry(store, row["entry_id"], {"statut": "en service", "aipd": "oui",
                                                        "date_revue": "2025-03-31"}, 0, user="alice", key=row) == 1
    assert register.save_entry(store, row["entry_id"], {"status": "arrêté"}, 1, user="bob") == 2
    again = register.entries(store, factors, year).set_index("entry_id").loc[row["entry_id"]]
    assert (again["status"], again["dpia"], again["last_review"], again["version"]) == ("arrêté", "oui",
                                                                                         "2025-03-31", 2)
    history = register.entry_history(store, row["entry_id"])
    assert history["version"].tolist() == [1, 2] and history["saved_by"].tolist() == ["alice", "bob"]
    assert history["Statut"].tolist() == ["en service", "arrêté"]
    with pytest.raises(StoreConflict, match="modifiée entre-temps par bob"):
        register.save_entry(store, row["entry_id"], {"status": "en service"}, 1, user="carol")
    assert len(register.entry_history(store, row["entry_id"])) == 2
    register.delete_entry(store, row["entry_id"], 2, user="bob")
    assert row["entry_id"] not in set(register.entries(store, factors, year)["entry_id"])
    assert len(register.entry_history(store, row["entry_id"])) == 3


def test_check_entry_names_the_field_and_the_allowed_values():
    with pytest.raises(InputError) as error:
        register.check_entry({"statut": "en cours", "date_revue": "31/03/2025", "niveau_risque_ia_act": "moyen",
                              "aipd": "peut-être", "service": "autre"})
    columns = [p.column for p in error.value.problems]
    assert columns == ["statut", "date_revue", "niveau_risque_ia_act", "aipd", "service"]
    assert "expérimentation, en service, arrêté" in error.value.problems[0].message
    assert register.check_entry({"statut": "En Service", "niveau_risque_ia_act": "haut", "aipd": "non",
                                 "date_revue": "2024-02-29", "contact": ""}) == {
        "status": "en service", "ai_act_risk": "élevé", "dpia": "non", "last_review": "2024-02-29", "contact": None}


def test_hostile_text_stays_text_in_csv_and_json(store, factors):
    year = year_of(store)
    row = register.entries(store, factors, year).iloc[0].to_dict()
    register.save_entry(store, row["entry_id"], {"base_legale": HOSTILE, "nom": HOSTILE}, 0, key=row)
    found = register.entries(store, factors, year)
    text = register.export_register(found, "csv").decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    header = rows[0]
    cell = [r for r in rows[1:] if r[0] == row["entry_id"]][0][header.index("base_legale")]
    assert cell.startswith("'=HYPERLINK") and "<script>" in cell  # neutralised: never a formula
    assert header[-9:] == register.footprint_headers()
    document = json.loads(register.export_register(found, "json"))
    record = [r for r in document["entries"] if r["identifier"] == row["entry_id"]][0]
    assert record["name"] == HOSTILE and record["data_sharing_agreements"] == HOSTILE


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "footprint", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_command_line_sets_lists_and_exports_without_overwriting(store, factors, tmp_path):
    db = str(store.path)
    year = year_of(store)
    identifier = register.entries(store, factors, year).iloc[0]["entry_id"]
    refused = run("register", "set", identifier, "--db", db, "--statut", "en cours")
    assert refused.returncode != 0 and "--statut" in refused.stderr and "Traceback" not in refused.stderr
    done = run("register", "set", identifier, "--db", db, "--statut", "expérimentation", "--aipd", "oui",
               "--revue", "2025-06-30", "--base-legale", "mission de service public", "--contact", "dsi@exemple.fr")
    assert done.returncode == 0, done.stderr
    listed = json.loads(run("register", "list", "--db", db, "--json").stdout)
    record = [r for r in listed if r["identifier"] == identifier][0]
    assert record["phase"] == "development" and record["contact_email"] == "dsi@exemple.fr"
    out = tmp_path / "registre.json"
    assert run("register", "export", "--db", db, "--out", str(out)).returncode == 0
    assert json.loads(out.read_text("utf-8"))["entries"][0]["identifier"]
    again = run("register", "export", "--db", db, "--out", str(out))
    assert again.returncode != 0 and "--force" in again.stderr
    assert run("register", "export", "--db", db, "--out", str(out), "--force").returncode == 0
    link = tmp_path / "lien.csv"
    link.symlink_to(tmp_path / "ailleurs.csv")
    assert run("register", "export", "--db", db, "--out", str(link), "--force").returncode != 0
    assert not (tmp_path / "ailleurs.csv").exists()
    csv_out = tmp_path / "registre.csv"
    assert run("register", "export", "--db", db, "--out", str(csv_out), "--year", str(year)).returncode == 0
    assert csv_out.read_bytes().startswith("\ufeff".encode())


def test_registre_page_shows_the_entries_keeps_hostile_text_as_text_and_tells_a_conflict(store, factors,
                                                                                      monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("FOOTPRINT_DB", str(store.path))
    year = year_of(store)
    row = register.entries(store, factors, year).iloc[0].to_dict()
    register.save_entry(store, row["entry_id"], {"nom": HOSTILE}, 0, user="alice", key=row)
    # The page as app.py runs it (from the repository root, not from app_pages/, whose names would
    # shadow the packages): until app.py lists it, run its file from a script at the root's level.
    page = str(ROOT / "app_pages" / "registre.py")
    app = AppTest.from_string(f"import runpy\nrunpy.run_path({page!r}, run_name='__main__')", default_timeout=120)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    table = app.dataframe[0].value
    assert HOSTILE in set(table["Nom de l'usage"])  # the text itself, in a table cell (never rendered)
    assert not [m for m in app.markdown if "<script>" in m.value]
    assert any("kgCO2e" in str(v) for v in table.iloc[:, -3])
    app.selectbox(key="registre_entree").set_value(row["entry_id"]).run()
    # someone else saves the entry meanwhile: the page's form holds version 1
    register.save_entry(store, row["entry_id"], {"statut": "arrêté"}, 1, user="bob")
    app.selectbox(key=f"registre_{row['entry_id']}_status").set_value("en service")
    form_submit = [b for b in app.button if b.label == "Enregistrer l'entrée"]
    form_submit[0].click().run()
    shown = [e.value.replace("\\", "") for e in app.error]  # Markdown escapes removed
    assert [m for m in shown if "modifiée entre-temps par bob" in m and "rien n'a été enregistré" in m], shown
    assert register.entries(store, factors, year).set_index("entry_id").loc[row["entry_id"], "status"] == "arrêté"


# -- hosting and law of a catalogue product (the jurisdictions table) --------------------------

# Declarations naming catalogue products: an EU provider, a US provider in the EU by contract
# only, a US provider outside the EU, and a generic product the table cannot place.
PRODUCT_DECLARATIONS = (b"annee;service;cas_usage;outil;agents\n"
                        b"2025;Urbanisme;redaction_courrier;Le Chat Pro;12\n"
                        b"2025;Urbanisme;redaction_courrier;Microsoft 365 Copilot;30\n"
                        b"2025;Culture;redaction_courrier;ChatGPT Plus;4\n"
                        b"2025;Culture;redaction_courrier;generateur_images;3\n")


@pytest.fixture
def product_store(tmp_path, factors) -> Store:
    from footprint.inventory import import_declarations

    store = Store(tmp_path / "produits.duckdb")
    import_declarations(PRODUCT_DECLARATIONS, store, factors, name="outils.csv")
    return store


def by_product(found) -> dict:
    return {row["product"]: row for row in found.to_dict("records")}


def test_a_products_location_and_law_come_from_the_jurisdictions_table_with_their_source(product_store, factors):
    found = by_product(register.entries(product_store, factors, 2025))
    for product, in_eu in (("le_chat_pro", "oui"), ("m365_copilot", None), ("chatgpt_plus", "non")):
        row, table = found[product], factors.jurisdiction(product)
        assert row["location"] == f"{table['hosting_region']} : {table['hosting_location']}"
        assert row["law"] == table["applicable_law"] and row["provider"] == table["provider_name"]
        assert (None if pd.isna(row["in_eu"]) else row["in_eu"]) == in_eu  # « UE (option) »: by contract
        assert table["source_url"] in row["hosting_source"] and table["law_source_url"] in row["hosting_source"]
        assert row["hosting_source"].startswith("base de facteurs (")
    assert found["le_chat_pro"]["law"] == "droit français"
    assert found["m365_copilot"]["law"] == "droit des États-Unis (CLOUD Act)"
    assert found["m365_copilot"]["location"].startswith("UE (option) : ")


def test_a_typed_location_or_law_wins_over_the_table_and_stays_in_the_history(product_store, factors):
    row = by_product(register.entries(product_store, factors, 2025))["m365_copilot"]
    table = factors.jurisdiction("m365_copilot")
    typed = "droit des États-Unis (CLOUD Act) ; contrat soumis au droit irlandais"
    assert register.save_entry(product_store, row["entry_id"], {"droit_applicable": typed, "dans_ue": "oui"}, 0,
                               user="alice", key=row) == 1
    again = by_product(register.entries(product_store, factors, 2025))["m365_copilot"]
    assert (again["law"], again["in_eu"]) == (typed, "oui")
    assert again["location"].startswith("UE (option) : ")  # not typed: still the table's, with its source
    assert table["source_url"] in again["hosting_source"] and table["law_source_url"] not in again["hosting_source"]
    assert "saisi dans le registre (Hébergé dans l'Union européenne, Droit applicable à l'hébergeur" in \
        again["hosting_source"]
    history = register.entry_history(product_store, row["entry_id"])
    assert history["Droit applicable à l'hébergeur"].tolist() == [typed]
    # emptied, the typed law gives way to the table's again; the history keeps both versions
    register.save_entry(product_store, row["entry_id"], {"droit_applicable": ""}, 1, user="bob")
    assert by_product(register.entries(product_store, factors, 2025))["m365_copilot"]["law"] == \
        table["applicable_law"]
    assert len(register.entry_history(product_store, row["entry_id"])) == 2


def test_a_product_the_table_cannot_place_is_not_given_never_guessed(product_store, factors, tmp_path, monkeypatch):
    generic = by_product(register.entries(product_store, factors, 2025))["generateur_images"]
    assert all(pd.isna(generic[k]) for k in ("location", "in_eu", "law"))  # not the EU zone of its hosting profile
    assert generic["hosting_source"] == factors.jurisdiction("generateur_images")["note"]
    record = register.standard_record(generic, 2025)
    assert "localisation : non renseigné ; dans l'Union européenne : non renseigné ; droit applicable : non " \
           "renseigné" in record["data_access_and_storage"]
    # A product the table does not name at all: « non renseigné » too, and no zone put in its place.
    import csv
    import shutil

    from emission_factors.schema import FACTOR_DIR
    from footprint.factors import FactorBase

    copy = tmp_path / "facteurs"
    shutil.copytree(FACTOR_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    lines = (copy / "jurisdictions.csv").read_text("utf-8").splitlines()
    rows = [r for r in csv.reader(lines) if r[0] != "le_chat_pro"]
    with (copy / "jurisdictions.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    monkeypatch.setenv("FOOTPRINT_CACHE", "off")
    without = FactorBase.load(copy)
    assert without.jurisdiction("le_chat_pro") is None
    unknown = by_product(register.entries(product_store, without, 2025))["le_chat_pro"]
    assert all(pd.isna(unknown[k]) for k in ("location", "in_eu", "law", "hosting_source"))
    assert register.standard_record(unknown, 2025)["data_access_and_storage"].endswith(
        "droit applicable : non renseigné ; source : non renseigné")


def test_csv_and_json_exports_carry_the_prefilled_location_law_and_their_source(product_store, factors):
    found = register.entries(product_store, factors, 2025)
    chat = by_product(found)["le_chat_pro"]
    text = register.export_register(found, "csv").decode("utf-8").lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header, cells = rows[0], [r for r in rows[1:] if r[0] == chat["entry_id"]][0]
    exported = dict(zip(header, cells))
    assert exported["localisation"] == chat["location"] and exported["dans_ue"] == "oui"
    assert exported["droit_applicable"] == "droit français"
    assert exported["source_hebergement_droit"] == chat["hosting_source"]
    assert "https://help.mistral.ai/" in exported["source_hebergement_droit"]
    assert header[-9:] == register.footprint_headers()
    record = [r for r in json.loads(register.export_register(found, "json"))["entries"]
              if r["identifier"] == chat["entry_id"]][0]
    assert record["data_access_and_storage"].startswith("hébergement : ")
    assert f"localisation : {chat['location']} ; dans l'Union européenne : oui ; droit applicable : droit français ; " \
           f"source : {chat['hosting_source']}" in record["data_access_and_storage"]
    assert record["data_access_terms"] == "droit français"
    assert record["empreinte_ia"]["source_hebergement_droit"] == chat["hosting_source"]
    assert record["empreinte_ia"]["droit_applicable"] == "droit français"


def test_a_deleted_entry_is_listed_apart_and_restored_with_its_fields(product_store, factors):
    row = by_product(register.entries(product_store, factors, 2025))["chatgpt_plus"]
    register.save_entry(product_store, row["entry_id"], {"statut": "arrêté"}, 0, user="alice", key=row)
    with pytest.raises(StoreConflict, match="modifiée entre-temps par alice"):
        register.delete_entry(product_store, row["entry_id"], 0, user="bob")  # read before alice's save
    assert register.delete_entry(product_store, row["entry_id"], 1, user="bob") == 2
    assert row["entry_id"] not in set(register.entries(product_store, factors, 2025)["entry_id"])
    listed = register.entries(product_store, factors, 2025, include_deleted=True).set_index("entry_id")
    assert listed.loc[row["entry_id"], "deleted"] and not listed.drop(row["entry_id"])["deleted"].any()
    with pytest.raises(StoreConflict):
        register.restore_entry(product_store, row["entry_id"], 1, user="carol")
    assert register.restore_entry(product_store, row["entry_id"], 2, user="carol") == 3
    back = by_product(register.entries(product_store, factors, 2025))["chatgpt_plus"]
    assert (back["status"], back["version"], back["deleted"]) == ("arrêté", 3, False)
    assert register.entry_history(product_store, row["entry_id"])["deleted"].tolist() == [False, True, False]


def test_command_line_list_shows_the_hosting_and_the_law(product_store):
    listed = run("register", "list", "--db", str(product_store.path), "--year", "2025")
    assert listed.returncode == 0, listed.stderr
    assert "droit applicable : droit français" in listed.stdout
    assert "hébergement : non renseigné ; droit applicable : non renseigné" in listed.stdout  # the generic product
