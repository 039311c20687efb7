"""The Journal page, driven by Streamlit's AppTest over a real store file: it lists every change
of the example inventory, newest first, each filter narrows the table to what it says, a hostile
name is a cell of the table (never Markdown), and the download holds the rows shown.

The page runs in a navigation of its own here (its place in ``app.py``, and the roles that see it,
belong to the application's entry point)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import no_failure
from streamlit.runtime.memory_media_file_storage import _calculate_file_id
from streamlit.testing.v1 import AppTest

from dashboard.views import journal as journal_view
from footprint.store import journal

PAGE = Path(__file__).resolve().parents[2] / "app_pages" / "journal.py"
HOSTILE = "![x](http://exemple.invalid/p.png) =HYPERLINK(\"http://x\") <script>"


def _open() -> AppTest:
    script = f"import streamlit as st\nst.navigation([st.Page({str(PAGE)!r}, title='Journal')]).run()\n"
    app = AppTest.from_string(script, default_timeout=120)
    app.run()
    no_failure(app)
    return app


def _shown(app: AppTest):
    return app.dataframe[0].value if app.dataframe else None


def _all(store):
    with store.connect() as con:
        return journal.entries(con)


def test_the_page_lists_every_change_newest_first(example_store):
    app = _open()
    assert app.title[0].value == "Journal des modifications"
    table = _shown(app)
    everything = _all(example_store)
    assert list(table.columns) == ["Date", "Qui", "Type", "Élément", "Action", "Détail"]
    assert len(table) == len(everything) > 10
    assert table["Élément"].tolist() == everything["record"].tolist()
    assert table["Date"].str.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}").all()
    assert any(block.value == f"**{len(everything)} modifications**" for block in app.markdown)


def test_each_filter_narrows_the_table(example_store):
    example_store.save_scenario("local", "Local", "label = 'Local'", user="Zoé Martin <zoe@agglo.fr>")
    app = _open()
    everything = len(_shown(app))
    app.text_input(key="journal_personne").input("ZOÉ").run()
    assert _shown(app)["Qui"].tolist() == ["Zoé Martin <zoe@agglo.fr>"]
    app.text_input(key="journal_personne").input("").run()
    app.selectbox(key="journal_type").set_value(journal.MEASUREMENT).run()
    kept = _shown(app)
    assert 0 < len(kept) < everything and set(kept["Type"]) == {journal.MEASUREMENT}
    app.selectbox(key="journal_type").set_value(journal_view.ALL_KINDS).run()
    app.text_input(key="journal_texte").input("ia-00001").run()
    kept = _shown(app)
    assert 0 < len(kept) < everything and set(kept["Élément"]) == {"IA-00001"}
    app.text_input(key="journal_texte").input("").run()
    today = date.today()
    app.date_input(key="journal_periode").set_value((today, today)).run()
    assert len(_shown(app)) == everything
    app.date_input(key="journal_periode").set_value((today - timedelta(days=30), today - timedelta(days=1))).run()
    no_failure(app)
    assert _shown(app) is None
    assert [block.value for block in app.info] == ["Aucune modification ne correspond à ces filtres."]


def test_an_empty_store_says_nothing_was_recorded_yet(empty_store):
    app = _open()
    assert _shown(app) is None
    assert [block.value for block in app.info] == [journal_view.empty_message()]
    assert "pour l'instant" in journal_view.empty_message() and "filtres" in journal_view.empty_message(who="x")


def test_a_hostile_name_is_a_cell_never_markdown(empty_store):
    empty_store.save_scenario("local", "Local", "label = 'Local'", user=HOSTILE)
    app = _open()
    assert _shown(app)["Qui"].tolist() == [HOSTILE]
    rendered = [block.value for block in (*app.markdown, *app.caption, *app.info)]
    assert not any("exemple.invalid" in text for text in rendered)


@pytest.mark.parametrize("kind", [None, journal.DECLARATION])
def test_the_download_holds_the_rows_shown(example_store, kind):
    app = _open()
    if kind:
        app.selectbox(key="journal_type").set_value(kind).run()
    shown = _shown(app)
    [button] = app.get("download_button")
    assert button.proto.label == "Télécharger le journal (CSV)" and button.proto.ignore_rerun
    with example_store.connect() as con:
        data = journal_view.journal_file(journal.entries(con, kind=kind))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == list(shown.columns)
    assert [row[3] for row in rows[1:]] == shown["Élément"].tolist()
    # The file offered is named by the hash of its bytes (Streamlit's media storage): these bytes.
    assert Path(button.proto.url).stem == _calculate_file_id(data, "text/csv", "journal.csv")
