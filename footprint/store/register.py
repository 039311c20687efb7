"""The register of AI uses, as the store keeps it: one entry per AI use (grouping its
declarations), with the fields public algorithm registers hold; every change adds a row (the
latest row of an entry holds; the earlier ones are its history, with who and when).

Owns: ``TABLES_SQL`` (the tables, created by migration 8 of ``schema``), ``TABLES`` (their
names), ``REVISION_SQL`` (what ``Store.revision`` reads of them), the rows, and the optimistic
check of the version a user read (``RegisterConflict``, raised inside the write transaction, so
that nothing can change in between). Every function here takes an open connection: ``Store``
opens it (``connection``).

Must not: check a field or compute a footprint (``footprint.inventory.register``).
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from footprint.store.errors import StoreConflict, StoreError, _when

TABLES_SQL = """
CREATE TABLE register_entries (
  entry_id VARCHAR NOT NULL,
  version INTEGER NOT NULL,
  fields_json VARCHAR NOT NULL,
  deleted BOOLEAN NOT NULL DEFAULT false,
  saved_at TIMESTAMPTZ NOT NULL,
  saved_by VARCHAR NOT NULL
);
"""
TABLES = ("register_entries",)
REVISION_SQL = "(SELECT count(*) FROM register_entries), (SELECT max(saved_at) FROM register_entries)"

_LATEST = """SELECT * EXCLUDE (rank) FROM (
  SELECT *, row_number() OVER (PARTITION BY entry_id ORDER BY version DESC) AS rank FROM register_entries)
  WHERE rank = 1"""


class RegisterConflict(StoreConflict):
    """An entry of the register changed between the moment a user read it and the moment they
    saved it; nothing was written. ``conflicts``: entry id -> what the store holds now
    (``version``, ``changed_by``, ``changed_at``)."""

    def __init__(self, conflicts: dict[str, dict | None], expected: dict[str, int]):
        self.conflicts, self.expected = conflicts, expected
        parts = []
        for identifier, found in conflicts.items():
            if found is None:
                parts.append(f"l'entrée {identifier} du registre n'existe plus")
            else:
                parts.append(f"l'entrée {identifier} du registre a été modifiée entre-temps par {found['changed_by']} "
                             f"{_when(found['changed_at'])} (version {found['version']}, vous aviez la version "
                             f"{expected[identifier]})")
        StoreError.__init__(self, " ; ".join(parts) + " ; rechargez-la et recommencez : rien n'a été enregistré.")


def current(con: duckdb.DuckDBPyConnection, include_deleted: bool) -> pd.DataFrame:
    """The latest row of every entry (``entry_id``, ``version``, ``fields`` decoded, ``deleted``,
    ``saved_at``, ``saved_by``), ordered by id."""
    where = "" if include_deleted else "WHERE NOT deleted"
    found = con.execute(f"SELECT * FROM ({_LATEST}) {where} ORDER BY entry_id").df()
    return _decoded(found)


def history(con: duckdb.DuckDBPyConnection, entry_id: str | None) -> pd.DataFrame:
    """Every version of one entry (or of all), oldest first."""
    where, params = ("WHERE entry_id = ?", [entry_id]) if entry_id else ("", [])
    return _decoded(con.execute(f"SELECT * FROM register_entries {where} ORDER BY entry_id, version",
                                params).df())


def save(con: duckdb.DuckDBPyConnection, entry_id: str, fields: dict, deleted: bool, expected_version: int,
         user: str) -> int:
    """``Store.save_register_entry`` inside an open transaction: ``RegisterConflict`` unless the
    entry's version is still ``expected_version`` (0: the entry was never saved); the same fields
    and state again write nothing. Returns the entry's version after the write."""
    row = con.execute(f"SELECT version, fields_json, deleted, saved_by, saved_at FROM ({_LATEST}) "
                      "WHERE entry_id = ?", [entry_id]).fetchone()
    held = 0 if row is None else int(row[0])
    if held != int(expected_version):
        found = None if row is None else {"version": held, "changed_by": row[3], "changed_at": row[4]}
        raise RegisterConflict({entry_id: found}, {entry_id: int(expected_version)})
    text = json.dumps(fields, ensure_ascii=False, sort_keys=True)
    if row is not None and row[1] == text and bool(row[2]) == bool(deleted):
        return held
    con.execute("INSERT INTO register_entries VALUES (?, ?, ?, ?, now(), ?)",
                [entry_id, held + 1, text, bool(deleted), user])
    return held + 1


def _decoded(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["fields"] = [json.loads(text) for text in frame["fields_json"]] if len(frame) else pd.Series(dtype=object)
    return frame.drop(columns="fields_json")
