"""The Usages importés page's library side, over a real store and the real factor base: a
Microsoft 365 Copilot report (Graph CSV, period D30: https://learn.microsoft.com/en-us/graph/api/
reportroot-getmicrosoft365copilotusageuserdetail) and a LiteLLM spend log are previewed, which
writes nothing and says what the import will do, then imported, which writes exactly the
declarations the preview showed; a user -> service file maps users and is not kept."""

import hashlib

import duckdb
import pandas as pd
import pytest

from core.errors import InputError
from dashboard import views
from footprint.store import Store

HEADER = ("Report Refresh Date,Report Period,User Principal Name,Display Name,Last Activity Date,Microsoft Teams "
          "Copilot Last Activity Date,Word Copilot Last Activity Date,Excel Copilot Last Activity Date,PowerPoint "
          "Copilot Last Activity Date,Outlook Copilot Last Activity Date,OneNote Copilot Last Activity Date,Loop "
          "Copilot Last Activity Date,Copilot Chat Last Activity Date")
PEOPLE = {"alice.martin@agglo.fr": "DRH", "bruno.petit@agglo.fr": "Urbanisme"}


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest().upper()


def _report() -> bytes:
    rows = [f"2025-06-30,30,{_md5(user)},{_md5(user)},2025-06-20,,2025-06-20,,,,,," for user in PEOPLE]
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def _mapping() -> tuple[bytes, str]:
    return ("utilisateur;service\n" + "".join(f"{u};{s}\n" for u, s in PEOPLE.items())).encode(), "services.csv"


def _strings(path) -> str:
    """Every text cell of every table of the store file, joined."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        texts = []
        query = ("SELECT table_name, column_name FROM duckdb_columns() "
                 "WHERE data_type = 'VARCHAR' AND NOT internal AND schema_name = 'main'")
        for table, column in con.execute(query).fetchall():
            texts += [str(v[0]) for v in con.execute(f'SELECT "{column}" FROM "{table}"').fetchall()]
        return "\n".join(texts)
    finally:
        con.close()


def test_an_admin_export_is_previewed_without_writing_then_imported_as_previewed(tmp_path, factors):
    store = Store(tmp_path / "s.duckdb")
    preview = views.import_log(_report(), store, factors, "m365-copilot", "copilot.csv", services=_mapping(),
                               preview=True)
    assert store.declarations().empty and preview.counts is None
    assert any("2 utilisateur(s) actif(s)" in sentence for sentence in preview.said)
    done = views.import_log(_report(), store, factors, "m365-copilot", "copilot.csv", services=_mapping())
    stored = store.declarations()
    assert done.counts["created"] == 2 and sorted(stored["service"]) == ["DRH", "Urbanisme"]
    assert (stored["product"] == "m365_copilot").all() and (stored["users"] == 1).all()
    pd.testing.assert_frame_equal(preview.declarations.reset_index(drop=True), done.declarations.reset_index(drop=True))
    months = views.usage_months(store.declarations(), 2025)
    assert len(months) == 2
    kept = _strings(store.path)
    assert not any(user in kept or _md5(user) in kept or user.split("@")[0] in kept for user in PEOPLE)


def test_a_gateway_log_preview_writes_nothing_and_a_bad_file_is_refused_in_french(tmp_path, factors):
    store = Store(tmp_path / "s.duckdb")
    log = (b"timestamp,provider,model,input_tokens,output_tokens\n"
           b"2025-03-01T10:00:00,openai,gpt-4o,1000,400\n2025-03-02T10:00:00,openai,gpt-4o,800,300\n")
    preview = views.import_log(log, store, factors, "generic", "journal.csv", preview=True)
    assert store.declarations().empty and len(preview.declarations) == 1
    assert "2 ligne(s) regroupée(s) en 1 déclaration(s)" in preview.said[0]
    done = views.import_log(log, store, factors, "generic", "journal.csv")
    assert done.counts["created"] == 1 and store.declarations()["requests"].tolist() == [2.0]
    with pytest.raises(InputError) as refused:
        views.import_log(b"User name,Prompts submitted (any app)\nalice@x.fr,douze\n", store, factors,
                         "m365-copilot", "copilot.csv", period_days=30, preview=True)
    assert refused.value.problems[0].line == 2 and "douze" in str(refused.value.problems[0].value)
    assert len(store.declarations()) == 1


def test_every_format_says_what_the_file_is_and_where_it_is_downloaded():
    assert set(views.PRESET_LABELS) == set(views.FORMAT_HELP)
    assert {"m365-copilot", "chatgpt-enterprise", "mistral-admin", "litellm", "openai-usage-api", "albert"} <= set(
        views.PRESET_LABELS)
    assert all(len(text) > 40 for text in views.FORMAT_HELP.values())
