"""End to end, in a real browser: the test starts ``streamlit run`` on a free port over a new
store (so the first start loads the example), drives the system Chromium with Playwright,
declares a workload through the form, sees the Synthèse total change by the engine's figure,
downloads the PCAET CSV and checks it, and saves a screenshot of every page under
docs/screenshots/ (shown in the README). No request may leave the machine."""

from __future__ import annotations

import io
import os
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect, sync_playwright

from bench.server import dashboard
from footprint.factors import FactorBase
from footprint.inventory import compute_inventory
from footprint.inventory.survey import import_survey
from footprint.io.formatting import format_quantity
from footprint.store import Store

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("EMPREINTE_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "docs" / "screenshots"
PAGES = {"synthese": "", "declarer": "declarer", "usages": "usages", "mesures": "mesures",
         "scenarios": "scenarios", "recommandations": "recommandations", "diagnostic": "diagnostic",
         "registre": "registre", "validation": "validation", "journal": "journal",
         "collectivite": "collectivite",
         "facteurs": "facteurs",
         "export": "export", "methode": "methode"}
# What each page shows last once its script has run (and how many Plotly charts it draws).
READY = {"synthese": ("Classe énergétique des modèles utilisés", 2), "declarer": ("Enregistrer la déclaration", 0),
         "usages": ("Service par défaut", 0), "mesures": ("Importer un fichier emissions.csv", 0),
         "scenarios": ("Créer un scénario personnalisé", 2), "recommandations": ("Toutes les recommandations", 0),
         "diagnostic": ("IA non encadrée, par service", 0), "registre": ("Historique de l'entrée", 0),
         "validation": ("Rien à valider", 0), "journal": ("Télécharger le journal (CSV)", 0),
         "collectivite": ("Historique du profil", 0),
         "facteurs": ("valeur(s).", 0), "export": ("Aperçu de la note", 0), "methode": ("Limites.", 0)}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The dashboard as a user starts it, on a free port, over a store that does not exist yet."""
    assert Path(CHROMIUM).exists(), f"Chromium introuvable ({CHROMIUM}) : installez le paquet Debian « chromium »"
    folder = tmp_path_factory.mktemp("e2e")
    database = folder / "footprint.duckdb"
    with dashboard(database, folder / "streamlit.log") as running:
        yield {"url": running.url, "database": database, "log": running.log}


@contextmanager
def watched_page(url: str, **options):
    """A page of the system Chromium whose requests to anything but the dashboard at ``url`` are
    listed in ``page.outside_requests`` (there must be none)."""
    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(locale="fr-FR", **options).new_page()

        def watch(request) -> None:
            if not request.url.startswith((url, "ws://localhost", "data:", "blob:", "about:")):
                outside.append(request.url)

        page.on("request", watch)
        page.outside_requests = outside
        yield page
        browser.close()


@pytest.fixture(scope="module")
def browser_page(server):
    with watched_page(server["url"], viewport={"width": 1400, "height": 1000}, accept_downloads=True) as page:
        yield page


def _open(page, server, name: str) -> None:
    page.goto(f"{server['url']}/{PAGES[name]}")
    page.locator("h1").first.wait_for(timeout=90_000)
    marker, charts = READY[name]
    page.get_by_text(marker).first.wait_for(timeout=90_000)
    if charts:
        page.wait_for_function(f"() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= {charts}",
                               timeout=90_000)
    _settle(page)


def _settle(page) -> None:
    """Wait until the script run is over (Streamlit shows its status widget while running)."""
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000)
    page.wait_for_timeout(300)


def _gwp_shown(page) -> str:
    metric = page.locator("[data-testid='stMetric']").filter(has_text="Émissions de GES")
    return metric.locator("[data-testid='stMetricValue']").inner_text().strip()


def _engine_gwp(database: Path, year: int = 2025) -> str:
    """The year's central GWP by the engine, as the Synthèse writes it (« 90,3 kgCO2e »)."""
    inventory = compute_inventory(Store(database), FactorBase.load(), year)
    return format_quantity(inventory.total()["gwp_kgco2e"]["central"], "kgCO2e")


def test_a_climate_officer_declares_a_workload_sees_the_total_change_and_exports(server, browser_page):
    page = browser_page
    _open(page, server, "synthese")
    expect(page.get_by_text("Inventaire d'exemple")).to_be_visible()
    before = _gwp_shown(page)
    assert before == _engine_gwp(server["database"])

    _open(page, server, "declarer")
    page.get_by_label("Service").fill("Urbanisme")
    page.get_by_label("Cas d'usage").click()
    page.get_by_role("option", name="Rédaction d'un courrier ou d'une note").click()
    page.get_by_label("Nombre d'agents qui l'utilisent").fill("40")
    page.get_by_label("Requêtes par agent et par jour").fill("10")
    page.get_by_role("button", name="Enregistrer la déclaration").click()
    expect(page.get_by_text("enregistrée").first).to_be_visible(timeout=60_000)
    stored = Store(server["database"]).declarations()
    assert stored["service"].eq("Urbanisme").sum() == 1

    _open(page, server, "synthese")
    after = _gwp_shown(page)
    assert after == _engine_gwp(server["database"]) and after != before

    _open(page, server, "export")
    with page.expect_download() as download:
        page.get_by_role("button", name="Synthèse PCAET/BEGES (CSV)").click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith("\ufeff".encode()), "UTF-8 avec BOM pour Excel"
    summary = pd.read_csv(io.BytesIO(data), sep=";", decimal=",", encoding="utf-8-sig")
    done = summary[(summary["Statut de l'année"] == "réalisé") & (summary["Type de ligne"] == "poste")]
    assert set(done["Année"]) == {2025}
    engine_t = compute_inventory(Store(server["database"]), FactorBase.load(), 2025).total()["gwp_kgco2e"]["central"]
    # Each figure is rounded to 4 significant figures (docs/METHODOLOGIE.md, « Arrondis »).
    assert done["Émissions (tCO2e)"].sum() == pytest.approx(engine_t / 1000, rel=1e-3)
    assert {"sobre", "tendanciel", "intensif"} <= set(summary["Scénario"])
    assert not page.outside_requests, page.outside_requests


# The uses of a real agglomération, as its climate officer knows them (issue 13): the tool typed as
# people call it, the service, what is counted and how many; no model id anywhere.
USES = [("copilot", "Microsoft 365 Copilot (Word", "Direction générale", "licences", "150", "m365_copilot"),
        ("chat gpt", "ChatGPT Plus", "Communication", "utilisateurs actifs", "6", "chatgpt_plus"),
        ("le chat pro", "Le Chat Pro", "Urbanisme", "utilisateurs actifs", "12", "le_chat_pro"),
        ("albert", "Albert (", "Relation usagers", "messages par an", "109500", "albert"),
        ("copilot chat", "Microsoft 365 Copilot Chat", "Tous services", "utilisateurs actifs", "400",
         "m365_copilot_chat")]
COUNTED = {"licences": "licences", "utilisateurs actifs": "users", "messages par an": "messages"}


def test_a_new_user_declares_the_uses_by_their_tools_without_a_model_id(server, browser_page):
    page = browser_page
    _open(page, server, "declarer")
    before = Store(server["database"]).declarations()
    for typed, option, service, counted, count, _ in USES:
        page.get_by_label("Quel outil ?").click()
        page.keyboard.type(typed)
        page.get_by_role("option").filter(has_text=option).first.click()
        _settle(page)
        expect(page.get_by_text("Ces profils font la fourchette").first).to_be_visible()
        page.get_by_label("Service").fill(service)
        page.get_by_test_id("stRadio").filter(has_text="Je compte en").get_by_text(counted, exact=True).click()
        page.get_by_label("Combien ?").fill(count)
        page.get_by_role("button", name="Enregistrer la déclaration").click()
        expect(page.get_by_text("enregistrée").first).to_be_visible(timeout=60_000)
        _settle(page)
    stored = Store(server["database"]).declarations()
    added = stored[~stored["id"].isin(before["id"])].set_index("service")
    assert len(added) == len(USES) and added["model"].isna().all()
    inventory = compute_inventory(Store(server["database"]), FactorBase.load(), int(added["year"].iloc[0]))
    impacts = inventory.impacts.set_index(inventory.declarations["id"].to_numpy())
    for _, _, service, counted, count, product in USES:
        assert added.at[service, "product"] == product
        assert added.at[service, COUNTED[counted]] == float(count)
        # Each use has a range.
        identifier = added.at[service, "id"]
        assert 0 < impacts.at[identifier, "gwp_kgco2e_low"] < impacts.at[identifier, "gwp_kgco2e_high"]
    _open(page, server, "synthese")
    expect(page.get_by_text("Comment le volume est connu")).to_be_visible()
    assert not page.outside_requests, page.outside_requests


def _run_over(page) -> None:
    """Wait until Streamlit says no script run is going on or asked for (``stApp``'s
    ``data-test-script-state``, which its own end-to-end tests read; the status widget that
    ``_settle`` watches can still be hidden while the first run of a page ends). On a loaded
    machine, a file given to the uploader at that moment was seen dropped: the uploader empty,
    no rerun."""
    page.wait_for_function(
        "() => document.querySelector(\"[data-testid='stApp']\")?.dataset.testScriptState === 'notRunning'",
        timeout=90_000)


def _upload_survey(page, headcounts: str | None = None) -> None:
    """Give the Diagnostic page the example survey of the agents (and the head-counts), as a
    person does: the file, seen in the uploader, then the head-counts; wait for the preview."""
    _run_over(page)
    data = (ROOT / "examples" / "enquete-exemple.csv").read_bytes()
    page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(
        files=[{"name": "enquete-exemple.csv", "mimeType": "text/csv", "buffer": data}])
    expect(page.get_by_role("region", name="Export des réponses (XLSX ou CSV)")).to_contain_text(
        "enquete-exemple.csv", timeout=90_000)
    if headcounts is not None:
        page.get_by_role("textbox", name="Effectif de chaque service (facultatif)").fill(headcounts)
        page.keyboard.press("Tab")
    page.get_by_text("Aperçu (rien n'est encore enregistré)").wait_for(timeout=90_000)
    _settle(page)
    _run_over(page)


def test_a_climate_officer_imports_the_agents_survey_through_the_diagnostic_page(server, browser_page):
    page = browser_page
    _open(page, server, "diagnostic")
    before = Store(server["database"]).declarations()
    _upload_survey(page, "Communication=25, Ressources humaines=40, Urbanisme=30")
    assert len(Store(server["database"]).declarations()) == len(before), "l'aperçu a écrit"
    page.get_by_role("button", name="Importer ces réponses").click()
    confirmation = page.locator("[data-testid='stAlert']").filter(has_text="déclaration(s) créée(s)")
    expect(confirmation).to_have_count(1, timeout=90_000)
    _settle(page)
    # The page stays responsive (its French translation of the toast region once looped forever),
    # and the uploader no longer holds the file imported: nothing to preview, nothing to import again.
    assert page.evaluate("() => document.documentElement.lang") == "fr"
    uploader = page.get_by_role("region", name="Export des réponses (XLSX ou CSV)")
    expect(uploader).not_to_contain_text("enquete-exemple.csv")
    expect(page.get_by_role("button", name="Importer ces réponses")).to_have_count(0)
    stored = Store(server["database"]).declarations()
    added = stored[~stored["id"].isin(before["id"])]
    assert len(added) and added["origin"].str.startswith("enquete:").all()
    year = int(added["year"].iloc[0])
    expect(page.get_by_text("Aucune enquête importée pour cette année.")).to_have_count(0)

    # The same answers again: the preview says they are imported already, the import changes no
    # declaration and says so; the first confirmation is not shown again.
    _upload_survey(page)
    expect(confirmation).to_have_count(0)
    expect(page.get_by_text(f"Ces réponses sont déjà importées pour {year}")).to_be_visible()
    page.get_by_role("button", name="Importer ces réponses").click()
    expect(page.locator("[data-testid='stAlert']").filter(
        has_text="Aucune déclaration créée ni modifiée : ces réponses étaient déjà importées")).to_have_count(
        1, timeout=90_000)
    _settle(page)
    again = Store(server["database"]).declarations()
    assert again[["id", "version"]].equals(stored[["id", "version"]]), "le second import a changé des déclarations"
    # The same import the library makes from the same file and head-counts.
    expected = import_survey(ROOT / "examples" / "enquete-exemple.csv", Store(server["database"]),
                             FactorBase.load(), year,
                             headcounts={"Communication": 25, "Ressources humaines": 40, "Urbanisme": 30})[1]
    assert expected["created"] == 0 and expected["modified"] == 0  # already there, as the page imported it
    assert not page.outside_requests, page.outside_requests


def test_every_page_renders_in_the_browser_and_its_screenshot_is_saved(server, browser_page):
    page = browser_page
    # The example survey of the agents (examples/enquete-exemple.csv, our questionnaire's layout),
    # so that the Diagnostic page shows the AI used outside any framework.
    import_survey(ROOT / "examples" / "enquete-exemple.csv", Store(server["database"]), FactorBase.load(), 2025,
                  headcounts={"Communication": 25, "Ressources humaines": 40, "Urbanisme": 30})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 2200})
    for name in PAGES:
        _open(page, server, name)
        assert not page.locator("[data-testid='stException']").count(), f"traceback sur la page {name}"
        assert not page.get_by_text("Erreur inattendue").count(), f"erreur inattendue sur la page {name}"
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        assert path.stat().st_size > 20_000
    assert not page.outside_requests, page.outside_requests
    assert "Traceback" not in server["log"].read_text()
