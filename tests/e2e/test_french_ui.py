"""End to end, in a real browser: every page of the dashboard speaks French, Streamlit's own words
included. The dashboard is started exactly as ``test_browser.py`` starts it (``streamlit run`` on a
free port over a new store, the system Chromium driven by Playwright, no request leaving the
machine); each page is visited and its rendered text must hold none of the English words that
Streamlit writes by itself, and the page must be declared French (``<html lang="fr">``)."""

from __future__ import annotations

import re

import pytest
import test_browser
from playwright.sync_api import expect
from test_browser import PAGES, _open, _settle, watched_page

server = test_browser.server  # the same dashboard as a user starts it, one per module

# What Streamlit 1.67 writes in English by itself (issue 14, « French, all the way »).
ENGLISH = ("Link to heading", "No results", "Choose an option", "Choose options", "Add:", "Upload", "per file",
           "Press Enter to submit form", "Press Enter to apply", "Skip to main content", "Drag and drop")


@pytest.fixture(scope="module")
def browser_page(server):
    with watched_page(server["url"], viewport={"width": 1400, "height": 1600}) as page:
        yield page


def _english_in(page) -> list[str]:
    """The English words found in what the page shows: its rendered text, its input boxes'
    placeholders and the names its controls give a screen reader (scripts are not rendered text)."""
    text = page.inner_text("body")
    placeholders = " ".join(page.eval_on_selector_all("input[placeholder], textarea[placeholder]",
                                                      "fields => fields.map(f => f.placeholder)"))
    names = " ".join(page.eval_on_selector_all("[aria-label]", "named => named.map(e => e.getAttribute('aria-label'))"))
    return [word for word in ENGLISH if word in text or word in placeholders or word in names]


def test_every_page_is_declared_french_and_shows_no_english_word_of_streamlit(server, browser_page):
    page = browser_page
    for name in PAGES:
        _open(page, server, name)
        assert page.evaluate("document.documentElement.lang") == "fr", name
        assert not _english_in(page), (name, _english_in(page))
        skip = page.get_by_test_id("stSkipToContent")
        if skip.count():
            assert skip.first.text_content() == "Aller au contenu principal"
    assert not page.outside_requests, page.outside_requests


def test_the_file_uploaders_say_their_real_limit_in_french(server, browser_page):
    page = browser_page
    _open(page, server, "declarer")
    page.get_by_role("tab", name="Importer un fichier").click()
    instructions = page.get_by_test_id("stFileUploaderDropzoneInstructions").first
    expect(instructions).to_contain_text("20 Mo par fichier")  # the library's limit, not the server's 200
    expect(page.get_by_role("button", name="Choisir un fichier").first).to_be_visible()
    expect(page.get_by_role("link", name="Télécharger le modèle")).to_have_count(0)  # a button, not a link
    expect(page.get_by_role("button", name=re.compile("Télécharger le modèle"))).to_be_visible()
    _open(page, server, "usages")
    expect(page.get_by_test_id("stFileUploaderDropzoneInstructions").first).to_contain_text("Mo par fichier")
    assert not _english_in(page), _english_in(page)


def test_typing_in_a_choice_box_answers_in_french(server, browser_page):
    page = browser_page
    _open(page, server, "declarer")
    # A box that accepts a new value offers to add it; a box that does not says it found nothing.
    page.get_by_label("Cas d'usage").click()
    page.keyboard.type("zzqx")
    expect(page.get_by_role("option").filter(has_text="Ajouter : zzqx")).to_be_visible()
    assert not _english_in(page), _english_in(page)
    page.keyboard.press("Escape")
    page.get_by_label("Hébergement").click()
    page.keyboard.type("zzqx")
    expect(page.get_by_text("Aucun résultat")).to_be_visible()
    assert not _english_in(page), _english_in(page)
    page.keyboard.press("Escape")
    _settle(page)


def test_the_form_is_filled_in_reading_order_with_the_tab_key(server, browser_page):
    page = browser_page
    _open(page, server, "declarer")
    page.get_by_test_id("stForm").get_by_label("Année d'inventaire").focus()
    focused = []
    for _ in range(16):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.getAttribute('aria-label') || ''"))
    # Left to right, then the next line, as the form reads.
    reading = ["Service", "Cas d'usage", "Hébergement", "Modèle", "Nombre d'agents qui l'utilisent",
               "Requêtes par agent et par jour", "… ou requêtes par an (à la place des agents)",
               "Tokens de sortie par requête (facultatif)"]
    assert [label for label in focused if label in reading] == reading, focused
