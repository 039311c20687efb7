"""The PCAET and BEGES export, read back as the people who assemble the report would. The CSV are
read here with their machine names (``--noms-techniques``, what scripts use); their French
headers, rounding and totals are the subject of ``test_export_presentation``."""

import html
import json
import re

import pandas as pd
import pytest
from openpyxl import load_workbook

from cli.main import main
from footprint.store import Store
from tests.stores import new_store


@pytest.fixture
def db(tmp_path, capsys):
    path = new_store(tmp_path / "s.duckdb")
    assert main(["declarations", "import", "examples/declarations.csv", "--db", path]) == 0
    capsys.readouterr()
    return path


# Each quantity of a CSV is rounded to 4 significant figures: a sum of them is within this of the exact one.
ROUNDED = 1e-3


def _export(tmp_path, db, *extra, name="pcaet.csv"):
    out = tmp_path / "sortie" / name
    out.parent.mkdir(parents=True, exist_ok=True)  # the export creates no folder
    code = main(["export", "pcaet", "--year", "2025", "--db", db, "--out", str(out), "--export-date", "2026-01-15",
                 "--collectivite", "Agglomération d'essai", "--noms-techniques", *extra])
    return code, out


def test_csv_totals_equal_the_inventory_and_the_scenarios(tmp_path, db, capsys):
    code, out = _export(tmp_path, db)
    assert code == 0
    summary = pd.read_csv(out, sep=";", decimal=",", encoding="utf-8-sig")
    capsys.readouterr()
    assert main(["inventory", "--year", "2025", "--json", "--db", db]) == 0
    inventory = json.loads(capsys.readouterr().out)["total"]
    postes = summary[summary["type_ligne"] == "poste"]
    realised = postes[postes["statut_annee"] == "réalisé"]
    assert realised["emissions_tco2e"].sum() * 1000 == pytest.approx(inventory["gwp_kgco2e"]["central"], rel=ROUNDED)
    assert realised["consommation_kwh"].sum() == pytest.approx(inventory["energy_kwh"]["central"], rel=ROUNDED)
    assert realised["eau_m3"].sum() * 1000 == pytest.approx(inventory["water_l"]["central"], rel=ROUNDED)
    total = summary[(summary["type_ligne"] == "total") & (summary["statut_annee"] == "réalisé")]
    assert len(total) == 1 and total["poste_beges"].iloc[0] == "Total"
    assert total["emissions_tco2e"].iloc[0] * 1000 == pytest.approx(inventory["gwp_kgco2e"]["central"], rel=5e-4)
    assert main(["scenarios", "run", "--year", "2025", "--json", "--db", db]) == 0
    for record in json.loads(capsys.readouterr().out):
        if record["year"] == 2025:
            continue
        rows = summary[(summary["scenario"] == record["scenario"]) & (summary["annee"] == record["year"])]
        assert rows["type_ligne"].tolist()[-1] == "total"  # each year x scenario ends with its total
        assert rows[rows["type_ligne"] == "poste"]["emissions_tco2e"].sum() * 1000 == pytest.approx(
            record["gwp_kgco2e"]["central"], rel=ROUNDED)
        assert rows[rows["type_ligne"] == "total"]["emissions_tco2e"].iloc[0] * 1000 == pytest.approx(
            record["gwp_kgco2e"]["central"], rel=5e-4)
    summary = summary[summary["type_ligne"] == "poste"]
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
    assert list(indicators.columns[:4]) == ["Identifiant", "Nom", "Type de données", "Unité"]
    assert {"2025", "2030", "Source", "Méthodologie", "Limites"} <= set(indicators.columns)
    assert "ia_gco2e_par_requete" in set(indicators["Identifiant"])
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
    header, names = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    assert "Émissions (tCO2e)" in header and "Consommation d'électricité (MWh)" in header
    assert header.index("Émissions (tCO2e)") == names.index("emissions_tco2e")  # the machine names below
    assert sheet.freeze_panes == "A3"
    column = names.index("emissions_tco2e") + 1
    assert isinstance(sheet.cell(row=3, column=column).value, float)


def test_a_formula_in_a_service_name_arrives_as_text(tmp_path, db, capsys):
    assert main(["declarations", "add", "--db", db, "--year", "2025", "--service", '=HYPERLINK("http://x","y")',
                 "--type", "mesure", "--kwh", "1", "--zone", "FRA"]) == 0
    code, out = _export(tmp_path, db)
    assert code == 0
    detail = (out.parent / "pcaet-detail.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in detail
    code, out = _export(tmp_path, db, "--force", name="pcaet.xlsx")  # the note files are there already
    cell = next(c for row in load_workbook(out)["detail"].iter_rows() for c in row
                if isinstance(c.value, str) and "HYPERLINK" in c.value)
    assert cell.data_type == "s" and cell.value.startswith("'=")


def test_other_separators_for_other_tools(tmp_path, db):
    code, out = _export(tmp_path, db, "--separator", ",", "--decimal", ".")
    assert code == 0
    summary = pd.read_csv(out, sep=",", decimal=".", encoding="utf-8-sig")
    assert summary["emissions_tco2e"].dtype == float and (summary["emissions_tco2e"] > 0).any()


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


POISONS = ["[x](javascript:alert(1))", "![p](http://evil.example/p.png)", "<img src=x onerror=alert(1)>"]


def test_user_text_in_the_notes_is_text_and_only_factor_sources_are_links(tmp_path, db, capsys):
    poison = " ".join(POISONS)
    assert main(["declarations", "add", "--db", db, "--year", "2025", "--service", poison, "--type", "mesure",
                 "--kwh", "1", "--zone", "FRA"]) == 0
    assert main(["factors", "overrides", "set", "--db", db, "--table", "electricity_mix", "--key", "zone=FRA",
                 "--key", "dataset=ademe_base_empreinte", "--key", "year=2025", "--parameter", "gwp", "--value",
                 "0,05", "--unit", "kgCO2e/kWh", "--justification", f"Contrat d'électricité {poison}"]) == 0
    out = tmp_path / "sortie" / "pcaet.csv"
    out.parent.mkdir()
    assert main(["export", "pcaet", "--year", "2025", "--db", db, "--out", str(out), "--export-date", "2026-01-15",
                 "--collectivite", f"Agglo {poison}"]) == 0
    capsys.readouterr()
    markdown = (out.parent / "pcaet-note.md").read_text(encoding="utf-8")
    page = (out.parent / "pcaet-note.html").read_text(encoding="utf-8")
    assert "Agglo" in markdown and "Contrat d'électricité" in markdown  # the texts are there, as text
    for note in (markdown, page):
        assert "<a href=\"javascript" not in note
        assert "<img" not in note
        assert "](http://evil" not in note and "](javascript" not in note
    # In the HTML every link is a factor's source, and the factors' sources are still links.
    sources = pd.read_csv(out.parent / "pcaet-sources.csv", sep=";", encoding="utf-8-sig")
    known = {link for link in sources["Lien"].dropna()}
    links = set(re.findall(r'<a href="([^"]*)"', page))
    assert links and links <= {html.escape(link, quote=True) for link in known}
    assert '<a href="https://ecologits.ai/latest/methodology/llm_inference/">' in page
    assert "](https://ecologits.ai/latest/methodology/llm_inference/)" in markdown
    # What the user typed reads back the same once the page is shown (no character lost).
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert f"Agglo {poison}" in text and f"Contrat d'électricité {poison}" in text


@pytest.mark.parametrize("poison", POISONS + ["a | b", "*gras* _souligné_ `code`", "www.evil.example http://x.fr"])
def test_escaped_markdown_renders_as_the_text_itself(poison):
    from footprint.reporting import escape_markdown, note_html

    escaped = escape_markdown(poison)
    assert "](" not in escaped and "<" not in escaped and "://" not in escaped.replace("\\://", "")
    page = note_html(f"# Titre {escaped}\n\n| a | b |\n| --- | --- |\n| {escaped} | x |\n")
    assert "<a " not in page and "<img" not in page
    assert page.count("<td>") == 2  # a bar in the text does not split its cell
    assert html.unescape(re.sub(r"<[^>]+>", "", page)).count(poison) == 2


def test_the_html_note_links_only_the_factor_sources_it_is_given():
    from footprint.reporting import note_html

    markdown = "[source](https://base-empreinte.ademe.fr/) [autre](https://evil.example/) [x](javascript:alert(1))"
    page = note_html(markdown, ["https://base-empreinte.ademe.fr/"])
    assert '<a href="https://base-empreinte.ademe.fr/">source</a>' in page
    assert "evil.example/\">" not in page and "<a href=\"javascript" not in page
    assert page.count("<a ") == 1


def test_each_summary_line_names_its_electricity_factor_and_its_source(tmp_path, db):
    code, out = _export(tmp_path, db)
    assert code == 0
    summary = pd.read_csv(out, sep=";", decimal=",", encoding="utf-8-sig", keep_default_na=False)
    realised = summary[summary["statut_annee"] == "réalisé"]
    with_electricity = realised[realised["poste_beges"].astype(str) != "4.2"]
    assert (with_electricity["facteur_emission_electricite"] != "").all()
    owned = realised[realised["poste_beges"].astype(str) == "2.1"]["facteur_emission_electricite"].iloc[0]
    assert owned == "FRA : 0,0461 kgCO2e/kWh (ADEME Base Empreinte 2025)"
    assert not summary["facteur_emission_electricite"].str.contains("ademe_base_empreinte|ecologits").any()
    made = realised[realised["poste_beges"].astype(str) == "4.2"]["facteur_emission_electricite"]
    assert (made == "").all()  # manufacturing uses no electricity factor of the authority
    detail = pd.read_csv(out.parent / "pcaet-detail.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert detail["facteur_emission_electricite"].str.contains(r"\((?:ADEME Base Empreinte|EcoLogits) 20\d\d\)").all()
