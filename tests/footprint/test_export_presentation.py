"""The PCAET/BEGES export as a climate officer puts it in a report: numbers rounded to a stated
precision (no float noise, no scientific notation; the XLSX keeps the exact value behind a number
format), a total line per year x scenario, headers a person reads (machine names on request and
on the XLSX's second row), the collectivité's profile and target carried, and the indicators in
the layout of Territoires en Transitions (« Mes résultats » / « Mes objectifs », per-agent figures
on the authority's head-count). A real store, the real command line, real files read back with
pandas and openpyxl."""

import math
import re

import pandas as pd
import pytest
from openpyxl import load_workbook

from cli.main import main
from footprint.factors import FactorBase
from footprint.inventory import compute_inventory
from footprint.inventory.authority import profile_of
from footprint.inventory.declarations import to_workloads
from footprint.io.writing import decimals_for, display_format, plain_number, rounded
from footprint.store import Store
from scenarios.definitions import built_in_scenarios
from scenarios.projection import project
from scenarios.verdict import target_of
from tests.stores import new_store

# A valid SIREN (9 digits, Luhn key right), as INSEE assigns them.
SIREN = "200054781"
PROFILE = ["--nom", "Agglomération du Val-d'Essai", "--siren", SIREN, "--population", "100000", "--agents", "1200",
           "--beges-tco2e", "12000", "--annee-beges", "2023", "--objectif-baisse-pct", "40", "--annee-objectif", "2030"]
# A number cell of a French CSV: digits, a decimal comma, nothing else (never « e-05 »).
FRENCH_NUMBER = re.compile(r"-?\d+(,\d+)?")


@pytest.fixture
def db(tmp_path, capsys):
    path = new_store(tmp_path / "s.duckdb")
    assert main(["declarations", "import", "examples/declarations.csv", "--db", path]) == 0
    capsys.readouterr()
    return path


def _export(tmp_path, db, *extra, name="pcaet.csv"):
    out = tmp_path / "sortie" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    assert main(["export", "pcaet", "--year", "2025", "--db", db, "--out", str(out), "--export-date", "2026-01-15",
                 *extra]) == 0
    return out


def _read(path, **options):
    return pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig", keep_default_na=False, **options)


def _significant_digits(text: str) -> int:
    """Significant digits of a number written by the export (integer part always whole)."""
    whole, _, decimals = text.lstrip("-").partition(",")
    if whole.strip("0"):
        return len(whole.lstrip("0")) + len(decimals)
    return len(decimals.lstrip("0"))


def test_writing_rounds_to_four_figures_and_never_in_scientific_notation():
    assert plain_number(7.368624000000002e-05) == "0,00007368624000000002"  # exact, positional
    assert plain_number(rounded(0.07368624000000001, 4)) == "0,07369"
    assert plain_number(rounded(7.368624000000002e-05, 4)) == "0,00007369"
    assert plain_number(rounded(123456.7, 4)) == "123457"  # the integer part is never rounded
    assert plain_number(rounded(208.89324, 4)) == "208,9"
    assert decimals_for(0.09, 4) == 5 and display_format(0.09034859, 4) == "#,##0.00000"
    assert display_format(0.0461, None) == "#,##0.0000"  # an exact value shows all its decimals


def test_csv_numbers_are_rounded_without_float_noise_or_scientific_notation(tmp_path, db):
    out = _export(tmp_path, db)
    for name in ("pcaet.csv", "pcaet-detail.csv", "pcaet-indicateurs.csv"):
        table = _read(out.parent / name, dtype=str)
        # No cell is a number in scientific notation (the factor base's hash, « a11855e6c97d », is not one).
        scientific = [v for c in table.columns for v in table[c] if re.fullmatch(r"-?\d+([.,]\d+)?[eE][-+]?\d+", v)]
        assert not scientific, (name, scientific)
        numbers = [v for column in table.columns for v in table[column] if FRENCH_NUMBER.fullmatch(v)]
        assert numbers, name
        for value in numbers:
            digits = _significant_digits(value)
            # 4 significant figures (a 4-figure value like 2,251 gains a 0 so that no reader takes it for
            # 2 251), or a whole number written whole.
            assert digits <= 4 or "," not in value or (digits == 5 and value.endswith("0")), (name, value)
    summary = _read(out)
    assert "0,0000" not in summary.to_string()  # 0,09 tCO2e is never 0,000
    realised = summary[(summary["Statut de l'année"] == "réalisé") & (summary["Type de ligne"] == "poste")]
    assert (realised["Émissions (tCO2e)"] > 0).all()


def test_a_tiny_inventory_keeps_its_figures(tmp_path, capsys):
    db = new_store(tmp_path / "petit.duckdb")
    assert main(["declarations", "add", "--db", db, "--year", "2025", "--service", "DSI", "--type", "mesure",
                 "--kwh", "1", "--zone", "FRA"]) == 0
    out = _export(tmp_path, db, "--scenarios", "none")
    summary = _read(out)
    total = summary[summary["Type de ligne"] == "total"]
    # 1 kWh at 0,0461 kgCO2e/kWh (PUE included): a few hundredths of a kilogram, 4 figures kept.
    assert 0 < total["Émissions (tCO2e)"].iloc[0] < 1e-3
    assert _significant_digits(str(total["Émissions (tCO2e)"].iloc[0]).replace(".", ",")) >= 3


def test_a_total_line_closes_each_year_and_scenario(tmp_path, db):
    summary = _read(_export(tmp_path, db))
    blocks = summary.groupby(["Année", "Scénario"], sort=False)
    assert len(blocks) == 1 + 3 * 5  # the inventory year, then three scenarios x five projected years
    for _, block in blocks:
        assert block["Type de ligne"].tolist()[-1] == "total" and (block["Type de ligne"] == "total").sum() == 1
        total = block.iloc[-1]
        assert total["Poste BEGES"] == "Total" and total["Libellé du poste BEGES"].startswith("Total")
        postes = block[block["Type de ligne"] == "poste"]
        for column in ("Émissions (tCO2e)", "Consommation d'électricité (kWh)", "Eau consommée (m³)"):
            assert total[column] == pytest.approx(postes[column].sum(), rel=1e-3), column
        assert total["Facteur d'émission de l'électricité (source)"].startswith("FRA : 0,0461 kgCO2e/kWh")


def test_headers_are_french_with_units_and_machine_names_on_request(tmp_path, db):
    out = _export(tmp_path, db)
    header = list(_read(out).columns)
    assert {"Émissions (tCO2e)", "Consommation d'électricité (kWh)", "Poste BEGES", "Type de ligne",
            "Facteur d'émission de l'électricité (source)", "Incertitude ± (%)"} <= set(header)
    detail = list(_read(out.parent / "pcaet-detail.csv").columns)
    assert "Service" in detail and "Émissions (tCO2e)" in detail
    note = (out.parent / "pcaet-note.md").read_text(encoding="utf-8")
    assert "| Émissions \\(tCO2e\\) | emissions\\_tco2e |" in note  # the annex maps each label to its name
    technical = _export(tmp_path / "t", db, "--noms-techniques")
    names = list(_read(technical).columns)
    assert names[:4] == ["collectivite", "siren", "annee", "type_ligne"] and "emissions_tco2e" in names
    assert len(names) == len(header)


def test_the_xlsx_keeps_exact_values_shown_rounded(tmp_path, db):
    csv = _read(_export(tmp_path / "c", db, "--noms-techniques"))
    workbook = load_workbook(_export(tmp_path / "x", db, name="pcaet.xlsx"))
    sheet = workbook["synthese"]
    labels, names = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    assert labels[names.index("emissions_kteqco2")] == "Émissions (kteqCO2)" and sheet.freeze_panes == "A3"
    assert sheet[1][0].font.bold
    floats = [(names[c.column - 1], c) for row in sheet.iter_rows(min_row=3) for c in row if isinstance(c.value, float)]
    assert floats
    for name, found in floats:
        assert found.number_format != "General" and "E" not in found.number_format, (name, found.number_format)
        decimals = len(found.number_format.partition(".")[2])
        assert decimals == decimals_for(found.value, 4)
    # The cell holds the exact value; the CSV the same value rounded as the cell shows it.
    column = names.index("emissions_kteqco2") + 1
    exact = [sheet.cell(row=r, column=column).value for r in range(3, sheet.max_row + 1)]
    assert any(len(repr(v)) > 12 for v in exact)  # not rounded in the cell
    assert [round(v, decimals_for(v, 4)) for v in exact] == pytest.approx(list(csv["emissions_kteqco2"]), abs=1e-15)
    totals = [r for r in range(3, sheet.max_row + 1) if sheet.cell(row=r, column=names.index("type_ligne") + 1).value
              == "total"]
    assert len(totals) == 16 and sheet.cell(row=totals[0], column=1).font.bold
    indicators = workbook["indicateurs"]
    assert [c.value for c in indicators[1]][:4] == ["Identifiant", "Nom", "Type de données", "Unité"]
    assert indicators.freeze_panes == "A2"  # the platform's layout: one header row


def test_the_profile_and_its_target_are_carried(tmp_path, db, capsys):
    assert main(["collectivite", "set", "--db", db, *PROFILE]) == 0
    capsys.readouterr()
    out = _export(tmp_path, db)
    assert "Objectif : objectif PCAET : −40 % en 2030 par rapport à 2025." in capsys.readouterr().out
    summary = _read(out, dtype={"SIREN": str})
    assert set(summary["Collectivité"]) == {"Agglomération du Val-d'Essai"} and set(summary["SIREN"]) == {SIREN}
    note = (out.parent / "pcaet-note.md").read_text(encoding="utf-8")
    assert f"SIREN : {SIREN}" in note and "Population : 100\u202f000 habitants" in note
    assert "Par agent de la collectivité :" in note and "Part du dernier BEGES de la collectivité :" in note
    assert "Objectif retenu : objectif PCAET : −40 % en 2030 par rapport à 2025." in note
    assert re.search(r"\| Sobre \| .* \| −\d+,?\d* % \| (atteint|non atteint|atteint en valeur centrale|"
                     r"atteint dans le bas de la fourchette) \|", note)
    assert "C'est à peu près autant que :" in note

    # The command overrides the name and the target; the SIREN stays the profile's.
    out = _export(tmp_path / "autre", db, "--collectivite", "Nom du rapport", "--objectif-baisse-pct", "50")
    summary = _read(out, dtype={"SIREN": str})
    assert set(summary["Collectivité"]) == {"Nom du rapport"} and set(summary["SIREN"]) == {SIREN}
    assert "−50 % en 2030" in (out.parent / "pcaet-note.md").read_text(encoding="utf-8")


def test_indicators_tell_results_from_objectives_and_count_the_authority_s_agents(tmp_path, db, capsys):
    assert main(["collectivite", "set", "--db", db, *PROFILE]) == 0
    out = _export(tmp_path, db)
    indicators = pd.read_csv(out.parent / "pcaet-indicateurs.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert not indicators.duplicated(["Identifiant", "Type de données"]).any()
    assert set(indicators["Type de données"]) == {"Mes résultats", "Mes objectifs"}
    results = indicators[indicators["Type de données"] == "Mes résultats"].set_index("Identifiant")
    objectives = indicators[indicators["Type de données"] == "Mes objectifs"].set_index("Identifiant")
    projected = [str(y) for y in range(2026, 2031)]
    assert results[projected].isna().all().all() and objectives["2025"].isna().all()
    assert (indicators["Méthodologie"] != "").all() and (indicators["Limites"] != "").all()

    store, factors = Store(db), FactorBase.load()
    inventory = compute_inventory(store, factors, 2025)
    total = inventory.total()["gwp_kgco2e"]["central"]
    # Per agent: on the authority's 1 200 agents, not on the sum of the declarations' agents.
    assert results.at["ia_kgco2e_par_agent", "2025"] == pytest.approx(total / 1200, rel=1e-3)
    assert float(inventory.declarations["agents"].sum()) != 1200
    # The objectives are the target's path, year by year (the collectivité's −40 % in 2030).
    projection = project(inventory, built_in_scenarios(), factors)
    path = target_of(profile_of(store.authority_profile())).path(projection)
    assert list(objectives.loc["ia_tco2e", projected]) == pytest.approx(list(path[1:] / 1000), rel=1e-3)
    assert objectives.at["ia_tco2e", "2030"] == pytest.approx(total / 1000 * 0.6, rel=1e-3)
    # Per request: the language-model declarations only (GPU hours have no request).
    workloads = to_workloads(inventory.declarations.reset_index(drop=True), factors)
    llm = (workloads["kind"] == "llm").to_numpy()
    assert llm.any() and not llm.all()
    llm_grams = inventory.impacts["gwp_kgco2e_central"].to_numpy()[llm].sum() * 1000
    assert results.at["ia_gco2e_par_requete", "2025"] == pytest.approx(
        llm_grams / workloads["requests"].to_numpy()[llm].sum(), rel=1e-3)


def test_without_a_profile_the_per_agent_indicators_are_left_out_with_the_reason(tmp_path, db):
    out = _export(tmp_path, db)
    indicators = _read(out.parent / "pcaet-indicateurs.csv")
    assert not indicators["Identifiant"].str.contains("par_agent").any()
    note = (out.parent / "pcaet-note.md").read_text(encoding="utf-8")
    assert "Les indicateurs par agent sont omis" in note and "Profil de la collectivité non renseigné" in note
    assert "rythme de la SNBC" in note  # no target in a profile: the SNBC pace


def test_the_note_reads_the_french_way_and_links_no_file(tmp_path, db):
    out = _export(tmp_path, db, "--collectivite", "Agglo")
    for name in ("pcaet-note.md", "pcaet-note.html"):
        note = (out.parent / name).read_text(encoding="utf-8")
        assert "METHODOLOGIE" not in note  # no file the reader may not have
        assert "dimensionless" not in note and "sans unité" in note
        assert not re.search(r"\b20\d\d\.0\b", note)  # years as years
        assert "Arrondis et présentation" in note and "4 chiffres significatifs" in note
        assert "Méthode</h2>" in note or "## Méthode" in note
        assert "EcoLogits" in note and "Green Algorithms" in note
    markdown = (out.parent / "pcaet-note.md").read_text(encoding="utf-8")
    assert "| Total | tous secteurs |" in markdown
    assert "| gwp (FRA / ademe\\_base\\_empreinte / 2025) | 0,0461 | kgCO2e/kWh | 2025 |" in markdown


@pytest.mark.parametrize("args, option", [
    (["--objectif-baisse-pct", "150"], "--objectif-baisse-pct"),
    (["--objectif-baisse-pct", "quarante"], "--objectif-baisse-pct"),
    (["--objectif-baisse-pct", "40", "--annee-objectif", "20300"], "--annee-objectif"),
    (["--annee-objectif", "2030"], "--objectif-baisse-pct"),
])
def test_a_wrong_target_is_refused_in_french_and_nothing_is_written(tmp_path, db, capsys, args, option):
    out = tmp_path / "sortie" / "x.csv"
    out.parent.mkdir()
    assert main(["export", "pcaet", "--db", db, "--out", str(out), *args]) == 2
    error = capsys.readouterr().err
    assert option in error and "Traceback" not in error
    assert not any(out.parent.iterdir())


def test_no_value_of_the_summary_is_lost_to_rounding_for_a_reader(tmp_path, db):
    """Each rounded value is within half a unit of its last figure of the exact one."""
    exact = _read(_export(tmp_path / "e", db, "--noms-techniques"))
    workbook = load_workbook(_export(tmp_path / "x", db, "--noms-techniques", name="pcaet.xlsx"))
    sheet = workbook["synthese"]
    names = [c.value for c in sheet[2]]
    column = names.index("emissions_tco2e") + 1
    cells = [sheet.cell(row=r, column=column).value for r in range(3, sheet.max_row + 1)]
    for written, value in zip(exact["emissions_tco2e"], cells, strict=True):
        assert math.isclose(written, value, abs_tol=0.5 * 10 ** -decimals_for(value, 4) + 1e-15)
