"""Streamlit entry point: first-start set-up, navigation, and the last guard that turns a bug
into a French message. Every page is a file of ``app_pages/``."""

from pathlib import Path

import streamlit as st

from dashboard import charts, roles, signin, state, views  # noqa: F401 — charts: Plotly imported once, at the server's first run

ICON = Path(__file__).parent / "dashboard" / "icon.png"  # a local file: no favicon fetched from outside
st.set_page_config(page_title="Empreinte IA", page_icon=str(ICON), layout="wide")
state.start()

# Streamlit 1.67 writes a few words of its own in English that no parameter sets: ``<html
# lang="en">`` in its index.html (streamlit/streamlit#15726, no ``lang`` option yet), the « Skip to
# main content » link, the file uploader's « Upload » button and « 200MB per file », a select box's
# « No results » and « Add: … » while typing, and « Press Enter to apply » under a text input
# outside a form. Everything Streamlit lets a page set is set where the widget is (placeholders,
# ``enter_to_submit=False``, ``max_upload_size``, ``placeholder`` of the tables); for the rest, the
# documented ``st.html(..., unsafe_allow_javascript=True)`` runs the script of
# ``dashboard/french_page.html`` once in the page
# (not in an iframe; no file fetched, so it works offline): it declares the page French and
# translates those exact texts (and the names its buttons give screen readers) wherever Streamlit
# renders them, now and after each re-render.
FRENCH_PAGE = Path(__file__).parent / "dashboard" / "french_page.html"
st.sidebar.html(FRENCH_PAGE.read_text(encoding="utf-8"), unsafe_allow_javascript=True)

state.sign_in()  # shared mode: the sign-in page (or the « no role » message) and nothing else

# Each page under its key in ``roles.PAGES`` (who sees it): a page a role does not see is absent
# from its navigation, and its writes would be refused by the library anyway.
PAGES = {
    "Inventaire": [
        ("synthese", st.Page("app_pages/synthese.py", title="Synthèse", icon=":material/dashboard:", default=True)),
        ("declarer", st.Page("app_pages/declarer.py", title="Déclarer", icon=":material/edit_note:")),
        ("validation", st.Page("app_pages/validation.py", title="Validation", icon=":material/task_alt:")),
        ("usages", st.Page("app_pages/usages.py", title="Usages importés", icon=":material/upload_file:")),
        ("mesures", st.Page("app_pages/mesures.py", title="Mesures", icon=":material/bolt:")),
    ],
    "Réduire": [
        ("scenarios", st.Page("app_pages/scenarios.py", title=f"Scénarios {views.DEFAULT_TO_YEAR}",
                              icon=":material/trending_down:")),
        ("recommandations", st.Page("app_pages/recommandations.py", title="Recommandations", icon=":material/eco:")),
    ],
    "Gouvernance": [
        ("diagnostic", st.Page("app_pages/diagnostic.py", title="Diagnostic", icon=":material/quiz:")),
        ("registre", st.Page("app_pages/registre.py", title="Registre", icon=":material/list_alt:")),
        ("journal", st.Page("app_pages/journal.py", title="Journal", icon=":material/history:")),
        ("administration", st.Page("app_pages/administration.py", title="Administration",
                                   icon=":material/admin_panel_settings:")),
    ],
    "Référence": [
        ("collectivite", st.Page("app_pages/collectivite.py", title="Collectivité", icon=":material/account_balance:")),
        ("facteurs", st.Page("app_pages/facteurs.py", title="Facteurs", icon=":material/menu_book:")),
        ("export", st.Page("app_pages/export.py", title="Export", icon=":material/download:")),
        ("methode", st.Page("app_pages/methode.py", title="Méthode", icon=":material/school:")),
    ],
}
# A page this person may not open is still registered, hidden, under its address: typed in, it
# says so in French instead of Streamlit's English « Page not found » dialog.
SHOWN = {group: [page for key, page in pages if roles.visible(key)] for group, pages in PAGES.items()}
CLOSED = [st.Page(roles.closed_page(page.title, key), title=page.title, url_path=page.url_path, visibility="hidden")
          for pages in PAGES.values() for key, page in pages if not roles.visible(key)]
SHOWN["Inventaire"] += CLOSED  # the Synthèse, open to everyone, keeps this group in the navigation
page = st.navigation({group: pages for group, pages in SHOWN.items() if pages}, expanded=True)
signin.sidebar(roles.role_caption())
st.sidebar.caption("Empreinte IA — fonctionne hors ligne, aucune donnée ne quitte "
                   + ("ce serveur." if signin.shared_mode() else "cette machine."))
try:
    with state.guard():  # bad input or a busy store that a page did not catch itself
        state.show_confirmation()  # what the write that caused this rerun said (``state.confirm``)
        page.run()
except Exception as error:  # noqa: BLE001 — Streamlit's reruns are BaseExceptions and pass through
    state.unexpected(error)
