"""Several people on one dashboard at once. A real ``streamlit run`` server over a new store,
and sessions speaking Streamlit's protocol over websockets (those of ``bench/concurrency.py``),
all at once: every page renders without error while they save declarations. And what a
session gets from the shared caches is its own: changing it changes nothing for the others
(sessions driven by AppTest, one after the other: AppTest swaps a process-wide runtime at each
run, so its sessions cannot run in parallel threads)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from bench.concurrency import run_phase, serve, warm_up


def test_sessions_at_once_render_every_page_and_save_without_error(tmp_path, capsys):
    with serve(tmp_path) as url:
        assert warm_up(url) == []
        figures = run_phase(url, sessions=5, seconds=8, think=(0.1, 0.4))
    assert not figures.errors, figures.errors.most_common(5)
    assert len(figures.times) >= 20 and figures.saves >= 1 and figures.saves_failed == 0
    assert "Traceback" not in capsys.readouterr().out  # the server logged no error


CHANGE_WHAT_I_GOT = """
from dashboard import state
year = state.years()[0]
declarations = state.declarations()
declarations["service"] = "changé par une session"
impacts = state.inventory(year).impacts
impacts.loc[:, :] = 0.0
for frame in (state.synthesis(year)["top"], state.declaration_tables(year)["declarations"]):
    for column in frame.columns:
        frame[column] = None
"""

READ_WHAT_I_GET = """
import streamlit as st
from dashboard import state
year = state.years()[0]
st.text(" | ".join(sorted(set(state.declarations()["service"]))))
st.text(float(state.inventory(year).impacts["gwp_kgco2e_central"].sum()))
st.text(int(state.synthesis(year)["top"].notna().all(axis=None)))
st.text(int(state.declaration_tables(year)["declarations"].notna().any(axis=None)))
"""


def test_what_a_session_changes_in_what_it_got_changes_nothing_for_the_others(example_store):
    changer = AppTest.from_string(CHANGE_WHAT_I_GOT, default_timeout=120)
    changer.run()
    assert not changer.exception, [e.value for e in changer.exception]
    reader = AppTest.from_string(READ_WHAT_I_GET, default_timeout=120)
    reader.run()
    assert not reader.exception, [e.value for e in reader.exception]
    services, gwp, top_complete, table_filled = (block.value for block in reader.text)
    assert "changé par une session" not in services
    assert float(gwp) > 0
    assert top_complete == "1" and table_filled == "1"
