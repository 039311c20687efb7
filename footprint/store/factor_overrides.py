"""The authority's own factor values in the store (overrides of one number of a factor table,
with a justification).

Owns: the ``factor_overrides`` table's rows and their ids (``VL-nnnnn``); the stored form of a
factor key (``key_json``: sorted JSON, so that equal keys give equal text); replacing an active
override of the same table, key and parameter (the old one is marked deleted and kept for the
history), saving the same value and justification again changing nothing, soft deletion. Every
function here takes an open connection: ``Store`` opens it (``connection``).

Must not: check an override against the factor base (``footprint.factors``) or apply it.
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd


def key_json(key: dict) -> str:
    """The stored form of a factor key (key column -> value): JSON with sorted keys, so that
    equal keys give equal text."""
    return json.dumps(key, sort_keys=True, ensure_ascii=False)


def listed(con: duckdb.DuckDBPyConnection, include_deleted: bool) -> pd.DataFrame:
    """The overrides, oldest first; ``key`` holds the decoded key."""
    where = "" if include_deleted else "WHERE NOT deleted"
    frame = con.execute(f"SELECT * FROM factor_overrides {where} ORDER BY id").df()
    frame["key"] = [json.loads(text) for text in frame["key_json"]]
    return frame


def save(con: duckdb.DuckDBPyConnection, overrides: list[dict], user: str) -> list[str]:
    """``Store.save_factor_overrides`` inside an open transaction; returns the ids, in order."""
    ids = []
    used = con.execute("""SELECT coalesce(max(TRY_CAST(regexp_extract(id, '^VL-([0-9]+)$', 1) AS BIGINT)), 0)
                          FROM factor_overrides""").fetchall()[0][0]
    for override in overrides:
        where = [override["table"], key_json(override["key"]), override["parameter"]]
        year = None if override.get("year") is None else int(override["year"])
        same = con.execute("""SELECT id FROM factor_overrides WHERE table_name = ? AND key_json = ?
            AND parameter = ? AND NOT deleted AND value = ? AND unit = ? AND year IS NOT DISTINCT FROM ?
            AND justification = ?""", [*where, float(override["value"]), override["unit"], year,
                                        override["justification"]]).fetchall()
        if same:
            ids.append(same[0][0])
            continue
        con.execute("""UPDATE factor_overrides SET deleted = true, deleted_at = now(), deleted_by = ?
                       WHERE table_name = ? AND key_json = ? AND parameter = ? AND NOT deleted""",
                    [user, *where])
        used += 1
        ids.append(f"VL-{used:05d}")
        con.execute("INSERT INTO factor_overrides VALUES (?, ?, ?, ?, ?, ?, ?, ?, now(), ?, false, NULL, NULL)",
                    [ids[-1], *where, float(override["value"]), override["unit"], year,
                     override["justification"], user])
    return ids


def delete(con: duckdb.DuckDBPyConnection, identifier: str, user: str) -> bool:
    """``Store.delete_factor_override`` inside an open transaction; False when there is no active one."""
    found = con.execute("SELECT count(*) FROM factor_overrides WHERE id = ? AND NOT deleted",
                        [identifier]).fetchall()[0][0]
    con.execute("UPDATE factor_overrides SET deleted = true, deleted_at = now(), deleted_by = ? "
                "WHERE id = ? AND NOT deleted", [user, identifier])
    return bool(found)
