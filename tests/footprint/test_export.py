"""The PCAET and BEGES export, read back as the people who assemble the report would."""

import json

import pandas as pd
import pytest
from openpyxl import load_workbook

from footprint.cli import main
from footprint.store import Store


@pytest.fixture
def db(tmp_path, capsys):
    path = str(tmp_path / "s.duckdb")
    assert main(["declarations", "import", "examples/declarations.csv", "--db", path]) == 0
    capsys.readouterr()
    return path


def _export(tmp_path, db, *extra, name="pcaet.csv"):
    out = tmp_path / "sortie" / name
    code = main(["export", "pcaet", "--year", "2025", "--db", db, "--out", str(out), "--export-date", "2026-01-15",
                 "--collectivite", "Agglomération d'essai", *extra])
    return code, out


def test_csv_totals_equal_the_inventory_and_the_scenarios(tmp_path, db, capsys):
    code, out = _export(tmp_path, db)
    assert code == 0
    summary = pd.read_csv(out, sep=";", decimal=",", encoding="utf-8-sig")
    capsys.readouterr()
    assert main(["inventory", "--year", "2025", "--json", "--db", db]) == 0
    inventory = json.loads(capsys.readouterr().out)["total"]
    realised = summary[summary["statut_annee"] == "réalisé"]
    assert realised["emissions_tco2e"].sum() * 1000 == pytest.approx(inventory["gwp_kgco2e"]["central"], rel=1e-9)
    assert realised["consommation_kwh"].sum() == pytest.approx(inventory["energy_kwh"]["central"], rel=1e-9)
    assert realised["eau_m3"].sum() * 1000 == pytest.approx(inventory["water_l"]["central"], rel=1e-9)
    assert main(["scenarios", "run", "--year", "2025", "--json", "--db", db]) == 0
    for record in json.loads(capsys.readouterr().out):
        if record["year"] == 2025:
            continue
        rows = summary[(summary["scenario"] == record["scenario"]) & (summary["annee"] == record["year"])]
        assert rows["emissions_tco2e"].sum() * 1000 == pytest.approx(record["gwp_kgco2e"]["central"], rel=1e-9)
    assert set(summary["poste_beges"].astype(str)) == {"2.1", "4.2", "4.5"}
    owned = summary[summary["poste_beges"].astype(str) == "2.1"]
    assert set(owned["secteur_pcaet"]) == {"Tertiaire"} and set(owned["inclus_inventaire_territorial"]) == {"oui"}
    assert set(summary[summary["poste_beges"].astype(str) == "4.5"]["inclus_inventaire_territorial"]) == {"non"}


def test_every_file_is_written_with_sources_indicators_and_note(tmp_path, db):
    code, out = _export(tmp_path, db)
    assert code == 0
    folder = out.parent
    assert {p.name for p in folder.iterdir()} == {"pcaet.csv", "pcaet-detail.csv", "pcaet-sources.csv",
                                                  "pcaet-indicateurs.csv", "pcaet-note.md", "pcaet-note.html"}
    sources = pd.read_csv(folder / "pcaet-sources.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert {"valeur", "unite", "annee", "source", "lien"} <= set(sources.columns)
    assert ((sources["parametre"] == "gwp") & (sources["valeur"] == 0.0461)).any()
    detail = pd.read_csv(folder / "pcaet-detail.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert len(detail) == 9 and "poste_beges_usage" in detail.columns
    assert detail["facteur_emission_electricite"].str.contains("kgCO2e/kWh").all()
    indicators = pd.read_csv(folder / "pcaet-indicateurs.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert {"identifiant", "indicateur", "unite", "source", "2025", "2030"} <= set(indicators.columns)
    assert "ia_gco2e_par_requete" in set(indicators["identifiant"])
    note = (folder / "pcaet-note.md").read_text(encoding="utf-8")
    assert "BEGES poste 2.1" in note and "Incertitude" in note and "0,0461" in note.replace("0.0461", "0,0461")
    assert (folder / "pcaet-note.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_the_same_store_and_date_give_the_same_bytes(tmp_path, db):
    _, first = _export(tmp_path / "a", db, name="x.csv")
    _, second = _export(tmp_path / "b", db, name="x.csv")
    for name in ("x.csv", "x-detail.csv", "x-sources.csv", "x-indicateurs.csv", "x-note.md"):
        assert (first.parent / name).read_bytes() == (second.parent / name).read_bytes(), name
    _, first = _export(tmp_path / "c", db, name="x.xlsx")
    _, second = _export(tmp_path / "d", db, name="x.xlsx")
    assert first.read_bytes() == second.read_bytes()


def test_xlsx_has_numbers_units_and_a_frozen_header(tmp_path, db):
    code, out = _export(tmp_path, db, name="pcaet.xlsx")
    assert code == 0
    workbook = load_workbook(out)
    assert workbook.sheetnames == ["synthese", "detail", "sources", "indicateurs"]
    sheet = workbook["synthese"]
    header = [c.value for c in sheet[1]]
    assert "emissions_tco2e (tCO2e)" in header and "consommation_mwh (MWh)" in header
    assert sheet.freeze_panes == "A2"
    column = header.index("emissions_tco2e (tCO2e)") + 1
    assert isinstance(sheet.cell(row=2, column=column).value, float)


def test_a_formula_in_a_service_name_arrives_as_text(tmp_path, db, capsys):
    assert main(["declarations", "add", "--db", db, "--year", "2025", "--service", '=HYPERLINK("http://x","y")',
                 "--type", "mesure", "--kwh", "1", "--zone", "FRA"]) == 0
    code, out = _export(tmp_path, db)
    assert code == 0
    detail = (out.parent / "pcaet-detail.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in detail
    code, out = _export(tmp_path, db, name="pcaet.xlsx")
    cell = next(c for row in load_workbook(out)["detail"].iter_rows() for c in row
                if isinstance(c.value, str) and "HYPERLINK" in c.value)
    assert cell.data_type == "s" and cell.value.startswith("'=")


def test_other_separators_for_other_tools(tmp_path, db):
    code, out = _export(tmp_path, db, "--separator", ",", "--decimal", ".")
    assert code == 0
    summary = pd.read_csv(out, sep=",", decimal=".", encoding="utf-8-sig")
    assert summary["emissions_tco2e"].dtype == float


@pytest.mark.parametrize("args, fragment", [
    (["--year", "2019"], "inventaire 2019 vide"),
    (["--scenarios", "sobre,miracle"], "scénario inconnu"),
    (["--format", "pdf"], "choix invalide"),
])
def test_nothing_is_written_for_an_empty_year_or_an_unknown_scenario(tmp_path, db, capsys, args, fragment):
    out = tmp_path / "sortie" / "x.csv"
    code = main(["export", "pcaet", "--db", db, "--out", str(out), *args])
    assert code == 2 and fragment in capsys.readouterr().err
    assert not out.parent.exists() or not any(out.parent.iterdir())
    assert Store(db).declarations()["year"].eq(2025).all()
