"""End to end, as an attacker would, in the system Chromium: uploads whose names climb out of
any folder (``../x.csv``, an absolute path, ``..\\y.csv``) write nothing anywhere, and a store
poisoned with Markdown and HTML in every text a person types (services, comments, the
collectivité's name, a factor's justification, a scenario's label) makes no page fetch anything
from another host, and shows no live ``javascript:`` link."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_browser import CHROMIUM, PAGES, ROOT, _open, _settle, watched_page

from bench.server import dashboard
from dashboard import example
from footprint.factors import FactorBase, save_override
from footprint.inventory import import_declarations
from footprint.store import Store

PIXEL = "http://evil.example/pixel.png"
POISON = [f"![p]({PIXEL})", "[clic](javascript:alert(1))", f'<img src="{PIXEL}">',
          f":red[alerte] $x$ <a href='javascript:alert(2)'>a</a> <{PIXEL}>"]


def _poisoned_declarations() -> bytes:
    lines = ["annee;service;cas_usage;type;fournisseur;modele;agents;requetes_par_agent_par_jour;commentaire"]
    for index, text in enumerate(POISON):
        lines.append(f"2025;{text};redaction_courrier;llm;openai;gpt-4o;{5000 + index};50;{text}")
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    """The dashboard over a store that holds the example and poisoned text everywhere, its
    temporary folder (TMPDIR) inside a folder of its own so that a climb out of it can be seen."""
    assert Path(CHROMIUM).exists(), f"Chromium introuvable ({CHROMIUM}) : installez le paquet Debian « chromium »"
    folder = tmp_path_factory.mktemp("hostile")
    temporary = folder / "outer" / "inner" / "tmp"
    temporary.mkdir(parents=True)
    database = folder / "footprint.duckdb"
    factors = FactorBase.load()
    store = Store(database, create=True)
    example.create_example(store, factors)
    import_declarations(_poisoned_declarations(), store, factors, name=POISON[0] + ".csv")
    save_override(store, factors, "hosting_profiles", {"hosting": "salle_serveurs"}, "pue_min", 1.5, "dimensionless",
                  2025, POISON[1] + " " + POISON[0])
    with dashboard(database, folder / "streamlit.log", environment={"TMPDIR": str(temporary)}) as running:
        yield {"url": running.url, "database": database, "folder": folder, "temporary": temporary,
               "log": running.log}


@pytest.fixture(scope="module")
def page(hostile_server):
    with watched_page(hostile_server["url"], viewport={"width": 1400, "height": 1600}) as opened:
        yield opened


def _every_file(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}


def test_uploads_named_to_climb_out_of_the_temporary_folder_write_nothing_anywhere(hostile_server, page):
    absolute = hostile_server["folder"] / "absolu.csv"
    names = ["../x.csv", "../../../x.csv", str(absolute), "..\\y.csv", "..\\..\\y.csv"]
    before = _every_file(hostile_server["folder"]) | _every_file(ROOT)
    content = (b"annee;service;type;fournisseur;modele;requetes;tokens_sortie_par_requete\n"
               b"2025;DRH;llm;openai;gpt-4o;10;400\n")
    for name in names:
        _open(page, hostile_server, "declarer")
        page.get_by_role("tab", name="Importer un fichier").click()
        page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(
            files=[{"name": name, "mimeType": "text/csv", "buffer": content}])
        shown = name.replace("\\", "/").rsplit("/", 1)[-1]
        page.get_by_text(f"1 déclaration(s) valides dans {shown}").wait_for(timeout=60_000)
        _open(page, hostile_server, "usages")
        page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(
            files=[{"name": name, "mimeType": "text/csv", "buffer": b"timestamp,provider,model,input_tokens,"
                    b"output_tokens\n2025-01-01T10:00:00,openai,gpt-4o,10,20\n"}])
        page.get_by_role("button", name="Importer").click()
        page.get_by_text("Importé :").wait_for(timeout=60_000)
        _settle(page)
    after = _every_file(hostile_server["folder"]) | _every_file(ROOT)
    created = {p for p in after - before if p.suffix == ".csv" or p.name in ("x.csv", "y.csv")}
    assert not created, created
    assert not absolute.exists()
    assert not list(hostile_server["temporary"].iterdir()), "un fichier temporaire est resté"
    for root in (ROOT.parent, hostile_server["temporary"].parent):
        assert not (root / "x.csv").exists() and not (root / "..\\y.csv").exists()


def test_a_poisoned_store_makes_no_page_fetch_another_host_nor_show_a_live_link(hostile_server, page):
    for name in PAGES:
        _open(page, hostile_server, name)
        assert not page.locator("[data-testid='stException']").count(), f"traceback sur la page {name}"
        assert not page.get_by_text("Erreur inattendue").count(), f"erreur inattendue sur la page {name}"
        assert not page.locator("a[href^='javascript']").count(), f"lien javascript: sur la page {name}"
        assert not page.locator(f"img[src='{PIXEL}']").count(), f"image extérieure sur la page {name}"
    _open(page, hostile_server, "export")
    page.get_by_label("Nom de la collectivité").fill(POISON[1] + " " + POISON[0])
    page.keyboard.press("Enter")
    _settle(page)
    page.get_by_text("Aperçu de la note").click()
    _settle(page)
    assert not page.locator("a[href^='javascript']").count()
    assert not page.outside_requests, page.outside_requests
