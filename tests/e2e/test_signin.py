"""End to end, the shared mode in a real browser with a real OpenID Connect provider: the test
prepares a store (the example inventory and the people's roles) before the server starts, runs
oidc-provider-mock on 127.0.0.1 (``bench.oidc``: its authorization form, where one types who one
is, its token endpoint, its end-session page), starts ``streamlit run`` with the secrets file
that names it, and drives the system Chromium with Playwright through the provider's own pages.

A visitor who has not signed in sees the sign-in page and nothing else, whatever page he asks
for; an agent signs in, declares a use for his service, which waits « à valider », and sees no
other service; he signs out; the référent climat signs in and validates it; the history names
both; a lecteur has no Déclarer page and the library refuses his writes; a signed-in person
without a role reads who to ask, and nothing else.

No request may leave the machine: every request the browser makes to an address other than the
dashboard and the provider is refused and listed. The provider's pages (not the dashboard's) link
a stylesheet on a CDN, which is refused like any other: the dashboard itself asks for nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect, sync_playwright
from test_browser import CHROMIUM, CHROMIUM_ARGS, _settle

from bench.oidc import USER_COOKIE, Person, provider
from bench.server import dashboard
from dashboard.example import create_example
from dashboard.views.declarer import save_form
from footprint.factors import FactorBase
from footprint.inventory.users import add_user
from footprint.store import Store
from footprint.store.access import AccessDenied

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "screenshots" / "connexion.png"
WAIT_MS = 90_000
# No file watcher: a file of the project edited while the test runs would make Streamlit offer a
# rerun in its status widget, which is not what a person of the authority sees.
QUIET = ("--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false")

# The people of the fictional agglomération, as its directory (the provider) knows them; the
# roles are given in the store before the server starts, as an administrator would.
ADMIN = Person("ada", "ada.martin@val-fictif.fr", "Ada Martin")
REFERENT = Person("claire", "claire.dupont@val-fictif.fr", "Claire Dupont")
AGENT = Person("paul", "paul.leroy@val-fictif.fr", "Paul Leroy")
READER = Person("lea", "lea.bernard@val-fictif.fr", "Léa Bernard")
NOBODY = Person("marc", "marc.petit@val-fictif.fr", "Marc Petit")  # signs in, has no role
AGENT_SERVICE = "Communication"  # a service of the example inventory (examples/inventaire-exemple.csv)
ROLES = [(ADMIN, "administrateur", ()), (REFERENT, "referent", ()), (AGENT, "agent", (AGENT_SERVICE,)),
         (READER, "lecteur", ())]


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """The dashboard in the shared mode, signing people in with a real provider on 127.0.0.1."""
    assert Path(CHROMIUM).exists(), f"Chromium introuvable ({CHROMIUM}) : installez le paquet Debian « chromium »"
    folder = tmp_path_factory.mktemp("connexion")
    database = folder / "footprint.duckdb"
    store = Store(database)
    create_example(store, FactorBase.load())
    for person, role, services in ROLES:
        add_user(store, person.email, role, services=services, name=person.name)
    with provider(folder, people=[ADMIN, REFERENT, AGENT, READER, NOBODY]) as oidc, \
            dashboard(database, folder / "streamlit.log", port=oidc.dashboard_port, secrets=oidc.secrets,
                      options=QUIET) as running:
        assert running.url == oidc.dashboard_url
        yield {"url": running.url, "database": database, "provider": oidc.url, "log": running.log}


@pytest.fixture(scope="module")
def browser(shared):
    """A function giving a new page (its own cookies: another person's computer) of the system
    Chromium; the requests refused because they were for neither the dashboard nor the provider
    are in ``browser.refused`` (address, address of the page that asked)."""
    refused: list[tuple[str, str]] = []
    allowed = (shared["url"], shared["provider"], "data:", "blob:", "about:")
    local_socket = shared["url"].replace("http://", "ws://", 1) + "/"

    def guard(route) -> None:
        if route.request.url.startswith(allowed):
            route.continue_()
        else:
            refused.append((route.request.url, route.request.frame.url))
            route.abort()

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def new_page():
            context = chromium.new_context(locale="fr-FR", viewport={"width": 1400, "height": 1000})
            context.route("**/*", guard)
            page = context.new_page()
            # A websocket is not routed: one to anywhere but the dashboard is listed too.
            page.on("websocket", lambda socket: None if socket.url.startswith(local_socket) else
                    refused.append((socket.url, page.url)))
            return page

        new_page.refused = refused
        yield new_page
        chromium.close()


def _nothing_asked_outside(shared, browser) -> None:
    from_dashboard = [url for url, page in browser.refused if not page.startswith(shared["provider"])]
    assert not from_dashboard, from_dashboard


def _sign_in_page_only(page) -> None:
    """What a visitor who has not signed in sees: the title and « Se connecter », nothing else."""
    expect(page.get_by_role("button", name="Se connecter")).to_be_visible(timeout=WAIT_MS)
    _settle(page)
    expect(page.get_by_role("heading", name="Empreinte IA")).to_be_visible()
    expect(page.get_by_test_id("stSidebarNavLink")).to_have_count(0)
    for figure in ("stMetric", "stDataFrame", "stPlotlyChart", "stForm", "stDownloadButton", "stTabs"):
        expect(page.get_by_test_id(figure)).to_have_count(0)
    assert "CO2e" not in page.inner_text("body")


def _sign_in(page, shared, person: Person, *, signed_in: bool = True) -> None:
    """Through the dashboard's « Se connecter » and the provider's own form, as a person does."""
    page.goto(shared["url"])
    page.get_by_role("button", name="Se connecter").click(timeout=WAIT_MS)
    who = page.get_by_placeholder("sub")
    who.wait_for(timeout=WAIT_MS)
    assert page.url.startswith(shared["provider"] + "/oauth2/authorize")
    who.fill(person.sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(shared["url"] + "/**", timeout=WAIT_MS)
    if signed_in:
        expect(page.get_by_test_id("stSidebar").get_by_text(f"Connecté(e) : {person.name}")).to_be_visible(
            timeout=WAIT_MS)
    _settle(page)


def _sign_out(page, shared) -> None:
    """« Se déconnecter », then the provider's end of session, back to the sign-in page."""
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(shared["provider"] + "/oauth2/end_session**", timeout=WAIT_MS)
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(shared["url"] + "/**", timeout=WAIT_MS)
    _sign_in_page_only(page)
    assert USER_COOKIE not in {cookie["name"] for cookie in page.context.cookies()}


def _navigation(page) -> list[str]:
    """The titles of the pages in the sidebar's navigation (all of them: « voir plus » opened)."""
    more = page.get_by_test_id("stSidebarNav").get_by_role("button", name=re.compile("more|plus"))
    if more.count():
        more.first.click()
    return [text.split("\n")[-1].strip() for text in page.get_by_test_id("stSidebarNavLink").all_inner_texts()]


def _open(page, title: str, ready: str, or_else: str | None = None) -> None:
    """The page ``title`` of the navigation, once it shows ``ready`` (or ``or_else``: an error)."""
    page.get_by_test_id("stSidebarNavLink").filter(has_text=title).click()
    shown = page.get_by_text(ready)
    if or_else:
        shown = shown.or_(page.get_by_text(or_else))
    shown.first.wait_for(timeout=WAIT_MS)
    _settle(page)


def _open_by_address(page, shared, path: str) -> None:
    """Type the address of a page the person is not given: the page of that address says, in
    French, that it is not open to this role (no English « Page not found » dialog)."""
    page.goto(f"{shared['url']}/{path}")
    page.get_by_text("Connecté(e)").first.wait_for(timeout=WAIT_MS)
    expect(page.get_by_text("Cette page n'est pas ouverte au rôle")).to_be_visible(timeout=WAIT_MS)
    _settle(page)
    expect(page.get_by_role("dialog")).to_have_count(0)


def _grid_cells(page) -> list[str]:
    """The texts of the cells a table shows (Streamlit's grid gives them to screen readers)."""
    return page.eval_on_selector_all("[data-testid^='glide-cell']", "cells => cells.map(c => c.innerText)")


def test_a_visitor_who_has_not_signed_in_sees_only_the_sign_in_page(shared, browser):
    page = browser()
    page.goto(shared["url"])
    _sign_in_page_only(page)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    for path in ("declarer", "validation", "administration", "export"):
        page.goto(f"{shared['url']}/{path}")
        _sign_in_page_only(page)
        assert "Déclarer les usages" not in page.inner_text("body")
    _nothing_asked_outside(shared, browser)


def test_an_agent_declares_for_his_service_and_the_referent_validates_it(shared, browser):
    page = browser()
    _sign_in(page, shared, AGENT)
    expect(page.get_by_test_id("stSidebar")).to_contain_text("agent (Communication)")
    pages = _navigation(page)
    assert "Déclarer" in pages and "Administration" not in pages and "Validation" not in pages, pages

    _open(page, "Déclarer", "Enregistrer la déclaration")
    expect(page.get_by_text(f"Vous déclarez pour : {AGENT_SERVICE}")).to_be_visible()
    page.get_by_label("Service").click()
    assert page.get_by_role("option").all_inner_texts() == [AGENT_SERVICE]  # no other service offered
    page.get_by_role("option", name=AGENT_SERVICE).click()
    page.get_by_label("Cas d'usage").click()
    page.get_by_role("option", name="Rédaction d'un courrier ou d'une note").click()
    page.get_by_label("Nombre d'agents qui l'utilisent").fill("3")
    page.get_by_label("Requêtes par agent et par jour").fill("4")
    page.get_by_role("button", name="Enregistrer la déclaration").click()
    saved = page.get_by_text(re.compile(r"Déclaration IA-\d+ enregistrée"))
    expect(saved).to_be_visible(timeout=WAIT_MS)
    identifier = re.search(r"IA-\d+", saved.inner_text()).group(0)
    _settle(page)
    stored = Store(shared["database"]).declarations().set_index("id")
    assert stored.at[identifier, "service"] == AGENT_SERVICE
    assert stored.at[identifier, "review"] == "à valider"

    # His table: his service's declarations only, the new one « à valider ».
    page.get_by_role("tab", name="Modifier en tableau").click()
    _settle(page)
    cells = _grid_cells(page)
    assert identifier in cells and "à valider" in cells, cells
    others = set(stored["service"].dropna()) - {AGENT_SERVICE}
    assert others and not others & set(cells), cells
    assert not set(stored.index[stored["service"] != AGENT_SERVICE]) & set(cells)

    # A page he is not given, asked for by its address, is not drawn.
    _open_by_address(page, shared, "validation")
    expect(page.get_by_text("Déclarations à valider")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Valider"))).to_have_count(0)
    # It says why, in French, rather than Streamlit's English « Page not found » dialog.
    expect(page.get_by_text("Cette page n'est pas ouverte au rôle « agent »")).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)

    _sign_out(page, shared)

    _sign_in(page, shared, REFERENT)
    assert "Validation" in _navigation(page)
    _open(page, "Validation", "Déclarations à valider")
    expect(page.get_by_text("1 à valider")).to_be_visible()
    table = page.get_by_test_id("stDataFrame").first
    expect(table).to_be_visible()
    box = table.bounding_box()
    # The first row's selection box: the table's left column, under its header line.
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)
    button = page.get_by_role("button", name="Valider 1 déclaration(s)")
    expect(button).to_be_enabled(timeout=WAIT_MS)
    _settle(page)
    button.click()
    expect(page.get_by_text("1 déclaration(s) validée(s).").first).to_be_visible(timeout=WAIT_MS)
    _settle(page)

    store = Store(shared["database"])
    assert store.declarations().set_index("id").at[identifier, "review"] == "validée"
    history = store.history(identifier)
    by = history["changed_by"].tolist()
    assert f"{AGENT.name} <{AGENT.email}>" in by and f"{REFERENT.name} <{REFERENT.email}>" in by, history
    validated = history[history["review"] == "validée"].iloc[-1]
    assert validated["changed_by"] == f"{REFERENT.name} <{REFERENT.email}>"
    created = history.iloc[0]
    assert created["changed_by"] == f"{AGENT.name} <{AGENT.email}>" and created["review"] == "à valider"
    _nothing_asked_outside(shared, browser)


def test_the_referent_opens_the_scenarios_then_the_export_while_a_declaration_waits(shared, browser):
    """The Scénarios page projects every declaration, the Export page the validated ones only:
    with one « à valider », each must still draw its figures (one projection's cached figures of
    other models are not the other inventory's)."""
    store = Store(shared["database"])
    agent = store.role_of(AGENT.email)
    values = {"kind": "llm", "year": 2025, "service": AGENT_SERVICE, "use_case": "traduction",
              "provider": "mistralai", "model": "mistral-small-latest", "agents": 2.0,
              "requests_per_agent_per_day": 3.0, "comment": "déclarée par l'agent, en attente"}
    waiting = save_form(values, store.acting(agent), FactorBase.load())
    assert Store(shared["database"]).declarations().set_index("id").at[waiting, "review"] == "à valider"

    page = browser()
    _sign_in(page, shared, REFERENT)
    _navigation(page)
    for title, ready in (("Scénarios", "Créer un scénario personnalisé"), ("Export", "Aperçu de la note")):
        _open(page, title, ready, or_else="Erreur inattendue")
        expect(page.get_by_text("Erreur inattendue")).to_have_count(0)
        expect(page.get_by_text(ready).first).to_be_visible()
    _nothing_asked_outside(shared, browser)


def test_a_reader_has_no_declarer_page_and_the_library_refuses_his_writes(shared, browser):
    page = browser()
    _sign_in(page, shared, READER)
    pages = _navigation(page)
    assert "Synthèse" in pages and "Déclarer" not in pages and "Validation" not in pages, pages
    _open_by_address(page, shared, "declarer")
    expect(page.get_by_role("button", name="Enregistrer la déclaration")).to_have_count(0)
    expect(page.get_by_text("Déclarer les usages d'IA")).to_have_count(0)

    store = Store(shared["database"])
    reader = store.role_of(READER.email)
    assert reader is not None and reader.role == "lecteur"
    before = store.declarations()
    changed = before.iloc[[0]].assign(comment="modifié par un lecteur")
    with pytest.raises(AccessDenied, match="lecteur"):
        store.acting(reader).save(changed)
    with pytest.raises(AccessDenied):
        store.acting(reader).validate(before["id"].tolist()[:1])
    pd.testing.assert_frame_equal(Store(shared["database"]).declarations(), before)
    _nothing_asked_outside(shared, browser)


def test_a_signed_in_person_without_a_role_reads_whom_to_ask_and_nothing_else(shared, browser):
    page = browser()
    _sign_in(page, shared, NOBODY, signed_in=False)
    warning = page.get_by_text("aucun rôle ne vous a encore été donné")
    expect(warning).to_be_visible(timeout=WAIT_MS)
    _settle(page)
    text = page.inner_text("body")
    assert NOBODY.email in text and "Demandez à un administrateur" in text and ADMIN.email in text
    expect(page.get_by_test_id("stSidebarNavLink")).to_have_count(0)
    for figure in ("stMetric", "stDataFrame", "stPlotlyChart", "stForm", "stDownloadButton", "stTabs"):
        expect(page.get_by_test_id(figure)).to_have_count(0)
    assert "CO2e" not in text
    expect(page.get_by_role("button", name="Se connecter")).to_have_count(0)
    page.goto(f"{shared['url']}/declarer")
    expect(page.get_by_text("aucun rôle ne vous a encore été donné")).to_be_visible(timeout=WAIT_MS)
    _settle(page)
    expect(page.get_by_role("button", name="Enregistrer la déclaration")).to_have_count(0)
    _nothing_asked_outside(shared, browser)
