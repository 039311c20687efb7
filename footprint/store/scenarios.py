"""The custom scenarios in the store: their TOML definitions and every version of each.

Owns: the ``scenarios`` (the current version of each) and ``scenario_history`` tables' rows:
saving over an existing id makes a new version, saving the same label and definition again
changes nothing, deleting only marks it deleted (its versions stay). Every function here takes an
open connection: ``Store`` opens it (``connection``).

Must not: read or check a definition (``scenarios``, the layer above, does: here it is text).
"""

from __future__ import annotations

import duckdb
import pandas as pd


def listed(con: duckdb.DuckDBPyConnection, include_deleted: bool) -> pd.DataFrame:
    """Custom scenarios: id, label and their TOML definition."""
    where = "" if include_deleted else "WHERE NOT deleted"
    return con.execute(f"SELECT * FROM scenarios {where} ORDER BY id").df()


def history(con: duckdb.DuckDBPyConnection, identifier: str | None) -> pd.DataFrame:
    """Every version of one custom scenario (or of all), oldest first."""
    where, params = ("WHERE id = ?", [identifier]) if identifier else ("", [])
    return con.execute(f"SELECT * FROM scenario_history {where} ORDER BY id, version", params).df()


def save(con: duckdb.DuckDBPyConnection, identifier: str, label: str, definition: str, user: str) -> int:
    """``Store.save_scenario`` inside an open transaction; returns the scenario's version."""
    stored = con.execute("SELECT label, definition, deleted FROM scenarios WHERE id = ?", [identifier]).fetchall()
    version = con.execute("SELECT coalesce(max(version), 0) FROM scenario_history WHERE id = ?",
                          [identifier]).fetchall()[0][0]
    if stored and tuple(stored[0]) == (label, definition, False):
        return int(version)
    if stored:
        con.execute("UPDATE scenarios SET label = ?, definition = ?, deleted = false, saved_at = now(), "
                    "saved_by = ? WHERE id = ?", [label, definition, user, identifier])
        action = "restauration" if stored[0][2] else "modification"
    else:
        con.execute("INSERT INTO scenarios VALUES (?, ?, ?, false, now(), ?)", [identifier, label, definition, user])
        action = "création"
    con.execute("INSERT INTO scenario_history VALUES (?, ?, ?, ?, false, ?, now(), ?)",
                [identifier, version + 1, label, definition, action, user])
    return int(version) + 1


def delete(con: duckdb.DuckDBPyConnection, identifier: str, user: str) -> bool:
    """``Store.delete_scenario`` inside an open transaction; False if there is no such scenario."""
    found = con.execute("SELECT count(*) FROM scenarios WHERE id = ? AND NOT deleted", [identifier]).fetchall()[0][0]
    if found:
        con.execute("UPDATE scenarios SET deleted = true WHERE id = ?", [identifier])
        con.execute("""INSERT INTO scenario_history
            SELECT id, (SELECT coalesce(max(version), 0) + 1 FROM scenario_history WHERE id = ?), label,
                   definition, true, 'suppression', now(), ? FROM scenarios WHERE id = ?""",
                    [identifier, user, identifier])
    return bool(found)
