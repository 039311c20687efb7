"""End to end, in a real browser: the climate officer opens the Export page of a dashboard started
as a user starts it (``streamlit run`` over a new store, so the example loads), after the
collectivité's profile was set, and downloads every export: the four CSV, the XLSX workbook and
the note in HTML and Markdown. Each file is checked as she would before a meeting: numbers rounded
(no float noise, no scientific notation), a « Total » line per year and scenario, French headers
(the machine names on the XLSX's second row), the profile's name and SIREN, the indicators in the
layout of Territoires en Transitions. No request may leave the machine."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from bench.server import dashboard
from footprint.factors import FactorBase
from footprint.inventory import compute_inventory
from footprint.inventory.authority import check_profile
from footprint.store import Store
from tests.e2e.test_browser import CHROMIUM, _settle, watched_page

NAME = "Communauté d'agglomération du Val-d'Essai"
SIREN = "200054781"  # 9 digits whose Luhn key is right
YEAR = 2025



@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The dashboard on its own store, as ``tests/e2e/test_browser.py`` starts it."""
    assert Path(CHROMIUM).exists(), f"Chromium introuvable ({CHROMIUM}) : installez le paquet Debian « chromium »"
    folder = tmp_path_factory.mktemp("e2e-export")
    with dashboard(folder / "footprint.duckdb", folder / "streamlit.log") as running:
        yield {"url": running.url, "database": folder / "footprint.duckdb", "log": running.log}


def _downloads(server) -> dict[str, bytes]:
    """Every file the Export page offers, downloaded by clicking its button."""
    with watched_page(server["url"], viewport={"width": 1400, "height": 1400}, accept_downloads=True) as page:
        page.goto(f"{server['url']}/export")
        page.get_by_text("Aperçu de la note").first.wait_for(timeout=120_000)
        _settle(page)
        files = {}
        buttons = page.locator("[data-testid='stDownloadButton'] button")
        assert buttons.count() == 8  # 4 CSV, the workbook, the note twice, the printable report
        for index in range(buttons.count()):
            with page.expect_download() as download:
                buttons.nth(index).click()
            files[download.value.suggested_filename] = Path(download.value.path()).read_bytes()
        assert not page.outside_requests, page.outside_requests
    return files


def _significant(text: str) -> int:
    whole, _, decimals = text.lstrip("-").partition(",")
    return len(whole.lstrip("0")) + len(decimals) if whole.strip("0") else len(decimals.lstrip("0"))


def _first_visit(server) -> None:
    """The first visit loads the example inventory (as on a first start)."""
    with watched_page(server["url"], viewport={"width": 1400, "height": 1000}) as page:
        page.goto(server["url"])
        page.get_by_text("Inventaire d'exemple").first.wait_for(timeout=120_000)
        _settle(page)
        assert not page.outside_requests, page.outside_requests


def test_every_export_downloads_rounded_with_totals_french_headers_and_the_profile(server):
    _first_visit(server)
    store = Store(server["database"])
    assert store.declarations()["year"].eq(YEAR).any(), "l'exemple est chargé au premier lancement"
    profile = check_profile({"nom": NAME, "siren": SIREN, "population": 100000, "agents": 1200,
                             "beges_tco2e": 12000, "annee_beges": 2023, "objectif_baisse_pct": 40,
                             "annee_objectif": 2030})
    store.save_authority_profile(profile.values(), user="test")
    files = _downloads(server)
    stem = f"export-pcaet-{YEAR}"
    assert set(files) == {f"{stem}.csv", f"{stem}-detail.csv", f"{stem}-sources.csv", f"{stem}-indicateurs.csv",
                          f"{stem}.xlsx", f"{stem}-note.html", f"{stem}-note.md", f"rapport-ia-{YEAR}.pdf"}

    # Rounding: 4 significant figures, never « e-05 », in every CSV but the factor values.
    for name in (f"{stem}.csv", f"{stem}-detail.csv", f"{stem}-indicateurs.csv"):
        data = files[name]
        assert data.startswith("\ufeff".encode()), name
        table = pd.read_csv(io.BytesIO(data), sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False)
        # No cell is a number in scientific notation (a hash such as « a11855e6c97d » is not a number).
        scientific = [v for c in table.columns for v in table[c] if re.fullmatch(r"-?\d+(,\d+)?[eE][-+]?\d+", v)]
        assert not scientific, (name, scientific)
        for value in (v for c in table.columns for v in table[c] if re.fullmatch(r"-?\d+,\d+", v)):
            digits = _significant(value)
            assert digits <= 4 or (digits == 5 and value.endswith("0")), (name, value)

    # Totals and headers: French labels, a « Total » line closing each year x scenario, the profile.
    summary = pd.read_csv(io.BytesIO(files[f"{stem}.csv"]), sep=";", decimal=",", encoding="utf-8-sig",
                          dtype={"SIREN": str})
    assert {"Émissions (tCO2e)", "Poste BEGES", "Type de ligne", "Facteur d'émission de l'électricité (source)"} \
        <= set(summary.columns)
    assert set(summary["Collectivité"]) == {NAME} and set(summary["SIREN"]) == {SIREN}
    for _, block in summary.groupby(["Année", "Scénario"], sort=False):
        assert block["Type de ligne"].tolist()[-1] == "total" and block["Poste BEGES"].iloc[-1] == "Total"
        postes = block[block["Type de ligne"] == "poste"]
        assert block["Émissions (tCO2e)"].iloc[-1] == pytest.approx(postes["Émissions (tCO2e)"].sum(), rel=1e-3)
    engine = compute_inventory(store, FactorBase.load(), YEAR).total()["gwp_kgco2e"]["central"] / 1000
    realised = summary[(summary["Statut de l'année"] == "réalisé") & (summary["Type de ligne"] == "total")]
    assert realised["Émissions (tCO2e)"].iloc[0] == pytest.approx(engine, rel=5e-4)

    # The workbook: exact values shown rounded, French labels over the machine names.
    workbook = load_workbook(io.BytesIO(files[f"{stem}.xlsx"]))
    sheet = workbook["synthese"]
    labels, names = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    assert labels[names.index("emissions_tco2e")] == "Émissions (tCO2e)"
    numbers = [c for row in sheet.iter_rows(min_row=3) for c in row if isinstance(c.value, float)]
    assert numbers and all(c.number_format.startswith("#,##0") for c in numbers)

    # The indicators: the platform's layout, results and objectives apart, per agent of the authority.
    indicators = pd.read_csv(io.BytesIO(files[f"{stem}-indicateurs.csv"]), sep=";", decimal=",",
                             encoding="utf-8-sig")
    assert list(indicators.columns[:4]) == ["Identifiant", "Nom", "Type de données", "Unité"]
    assert set(indicators["Type de données"]) == {"Mes résultats", "Mes objectifs"}
    per_agent = indicators[(indicators["Identifiant"] == "ia_kgco2e_par_agent")
                           & (indicators["Type de données"] == "Mes résultats")]
    assert per_agent[str(YEAR)].iloc[0] == pytest.approx(engine * 1000 / 1200, rel=1e-3)

    # The note: the profile, the target and the verdicts, French numbers, no file link.
    note = files[f"{stem}-note.md"].decode("utf-8")
    assert f"SIREN : {SIREN}" in note and "objectif PCAET : −40 % en 2030" in note
    assert "| Total | tous secteurs |" in note and "sans unité" in note and "METHODOLOGIE" not in note
    page = files[f"{stem}-note.html"].decode("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Arrondis et présentation" in page

    # The printable report, built when its button is clicked: a real PDF of 2 to 4 pages, in French.
    report = PdfReader(io.BytesIO(files[f"rapport-ia-{YEAR}.pdf"]))
    assert 2 <= len(report.pages) <= 4
    text = " ".join(page.extract_text() for page in report.pages)
    assert NAME in text and "par agent" in text and "Sources" in text
    assert sum(len(page.images) for page in report.pages) >= 2
    assert "Traceback" not in server["log"].read_text()
