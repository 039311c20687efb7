"""The declarations in the store: saving them (with the import that brought them), soft deletion
and restoration, their full history and the inventory as it stood at a past moment.

Owns: the ``declarations``, ``declaration_history`` and ``imports`` tables' rows; the numbering
of new declarations (``IA-nnnnn``, never reusing one the history holds); what counts as a change
(a row equal to the stored one changes nothing, a different one gets a new version and a
history row); keeping the stored value of a column the source did not have; the optimistic
check of the versions a user read (``check_versions`` raises ``StoreConflict``, inside the write
transaction). Every function here takes an open connection: ``Store`` opens it (``connection``).

Must not: validate declarations (``footprint.inventory``), open the file or retry a write.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from footprint.store.errors import StoreConflict
from footprint.vocabulary import CONTENT_COLUMNS, DECLARATION_COLUMNS, DECLARATION_DTYPES

# The declaration columns in the vocabulary's order, then the audit columns: a column added by a
# migration comes last in the table, never in what is read.
_NAMES = ", ".join(DECLARATION_COLUMNS)
_ORDERED = f"{_NAMES}, * EXCLUDE ({_NAMES})"


def check_versions(con: duckdb.DuckDBPyConnection, expected: dict[str, int]) -> None:
    """``StoreConflict`` unless every declaration of ``expected`` (id -> version read) still has
    that version; called inside the write transaction, so that nothing can change in between."""
    rows = con.execute("SELECT id, version, updated_by, updated_at FROM declarations "
                       "WHERE id IN (SELECT unnest(?::VARCHAR[]))", [list(expected)]).fetchall()
    found = {row[0]: {"version": int(row[1]), "changed_by": row[2], "changed_at": row[3]} for row in rows}
    conflicts = {identifier: found.get(identifier) for identifier, version in expected.items()
                 if identifier not in found or found[identifier]["version"] != version}
    if conflicts:
        raise StoreConflict(conflicts, expected)


# The review of a declaration (``schema.REVIEW_COLUMNS``): what an agent writes waits for the
# référent climat, who validates it or sends it back with a comment.
VALIDATED, PENDING, RETURNED = "validée", "à valider", "renvoyée"
REVIEWS = (VALIDATED, PENDING, RETURNED)


def services_of(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, str | None]:
    """The stored service of each declaration of ``ids`` that the store holds (id -> service)."""
    return dict(con.execute("SELECT id, service FROM declarations WHERE id IN (SELECT unnest(?::VARCHAR[]))",
                            [list(ids)]).fetchall())


def save(con: duckdb.DuckDBPyConnection, declarations: pd.DataFrame, action: str, import_record: dict | None,
         user: str, columns: list[str] | None = None, review: str = VALIDATED) -> tuple[dict[str, int], list[str]]:
    """``Store.save`` inside an open transaction; returns the counts and the ids saved. The rows
    created or changed get the review ``review`` (a validated row an agent changes waits again)."""
    frame = declarations.reindex(columns=list(DECLARATION_COLUMNS)).copy()
    if columns is not None:
        absent = [c for c in CONTENT_COLUMNS if c not in columns]
        ids = frame["id"].dropna().astype(str).tolist()
        if absent and ids:
            stored = con.execute("SELECT * FROM declarations WHERE id IN (SELECT unnest(?::VARCHAR[]))",
                                 [ids]).df().set_index("id")
            known = frame["id"].isin(stored.index)
            for column in absent if known.any() else []:
                frame.loc[known, column] = frame.loc[known, "id"].map(stored[column]).to_numpy()
    frame["id"] = _assign_ids(con, frame["id"])
    con.register("_incoming", frame.astype(dict(DECLARATION_DTYPES)))
    same = " AND ".join(f"i.{c} IS NOT DISTINCT FROM d.{c}" for c in CONTENT_COLUMNS)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _status AS
        SELECT i.*, CASE WHEN d.id IS NULL THEN 'new' WHEN d.deleted OR NOT ({same}) THEN 'changed'
                         ELSE 'same' END AS status
        FROM _incoming i LEFT JOIN declarations d USING (id)""")
    columns = ", ".join(DECLARATION_COLUMNS)
    con.execute(f"""INSERT INTO declarations ({columns}, version, deleted, created_at, created_by, updated_at,
                    updated_by, review, review_comment)
        SELECT {columns}, 1, false, now(), ?, now(), ?, ?, NULL FROM _status WHERE status = 'new'""",
                [user, user, review])
    assignments = ", ".join(f"{c} = s.{c}" for c in CONTENT_COLUMNS)
    con.execute(f"""UPDATE declarations SET {assignments}, version = declarations.version + 1,
        deleted = false, updated_at = now(), updated_by = ?, review = ?, review_comment = NULL
        FROM _status s WHERE declarations.id = s.id AND s.status = 'changed'""", [user, review])
    import_id = None
    counts = dict(con.execute("SELECT status, count(*) FROM _status GROUP BY status").fetchall())
    counts = {"created": counts.get("new", 0), "modified": counts.get("changed", 0),
              "unchanged": counts.get("same", 0)}
    replaced = _earlier_import_rows(con, import_record) if import_record and import_record.get("replaces") else []
    if replaced:
        action_text = f"remplacée (nouvel import de {import_record['file_name']})"
        counts["replaced"] = set_deleted(con, replaced, True, action_text, user)
    if import_record is not None:
        import_id = import_record.get("import_id") or f"IMP-{pd.Timestamp.now(tz='UTC'):%Y%m%d%H%M%S%f}"
        con.execute("""INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, now(), ?)""",
                    [import_id, import_record["kind"], import_record["file_name"],
                     import_record["file_sha256"], len(frame), counts["created"], counts["modified"],
                     counts["unchanged"], user])
    quoted = action.replace("'", "''")
    _record_history(con, f"""SELECT id, CASE status WHEN 'new' THEN 'création ({quoted})'
                             ELSE 'modification ({quoted})' END AS action FROM _status
                             WHERE status <> 'same'""", user, import_id)
    con.unregister("_incoming")

    return counts, frame["id"].astype(str).tolist()


def _earlier_import_rows(con: duckdb.DuckDBPyConnection, import_record: dict) -> list[str]:
    """The active declarations an earlier import of the same file (same kind, same SHA-256) wrote
    last and that this import no longer gives (the same report imported again with another
    user -> service mapping names other services): the new import replaces them, nothing counts
    twice. A declaration someone changed since keeps that change (its last version is theirs)."""
    return [row[0] for row in con.execute("""
        WITH earlier AS (SELECT import_id FROM imports WHERE kind = ? AND file_sha256 = ?),
             latest AS (SELECT id, import_id, row_number() OVER (PARTITION BY id ORDER BY version DESC) AS rank
                        FROM declaration_history)
        SELECT d.id FROM declarations d JOIN latest l ON l.id = d.id AND l.rank = 1
        WHERE NOT d.deleted AND l.import_id IN (SELECT import_id FROM earlier)
          AND d.id NOT IN (SELECT id FROM _incoming WHERE id IS NOT NULL) ORDER BY d.id""",
        [import_record["kind"], import_record["file_sha256"]]).fetchall()]


def set_deleted(con: duckdb.DuckDBPyConnection, ids: list[str], deleted: bool, action: str, user: str) -> int:
    """Soft-delete (or restore) declarations inside an open transaction; returns how many changed."""
    con.execute("CREATE OR REPLACE TEMP TABLE _targets AS SELECT unnest(?::VARCHAR[]) AS id", [list(ids)])
    touched = con.execute("SELECT count(*) FROM declarations WHERE id IN (SELECT id FROM _targets) "
                          "AND deleted <> ?", [deleted]).fetchall()[0][0]
    con.execute("CREATE OR REPLACE TEMP TABLE _changed AS SELECT id FROM declarations "
                "WHERE id IN (SELECT id FROM _targets) AND deleted <> ?", [deleted])
    con.execute("""UPDATE declarations SET deleted = ?, version = version + 1, updated_at = now(),
                   updated_by = ? WHERE id IN (SELECT id FROM _changed)""", [deleted, user])
    _record_history(con, f"SELECT id, '{action.replace(chr(39), chr(39) * 2)}' AS action FROM _changed",
                    user, None)
    return int(touched)


def set_review(con: duckdb.DuckDBPyConnection, ids: list[str], review: str, comment: str | None,
               user: str) -> int:
    """Validate declarations (``VALIDATED``) or send them back (``RETURNED``, with the référent's
    ``comment``) inside an open transaction: a new version each, with its history row; returns how
    many changed (a declaration already in that review, or deleted, is left as it is)."""
    con.execute("CREATE OR REPLACE TEMP TABLE _changed AS SELECT id FROM declarations "
                "WHERE id IN (SELECT unnest(?::VARCHAR[])) AND NOT deleted "
                "AND (review IS DISTINCT FROM ? OR review_comment IS DISTINCT FROM ?)", [list(ids), review, comment])
    changed = con.execute("SELECT count(*) FROM _changed").fetchone()[0]
    con.execute("""UPDATE declarations SET review = ?, review_comment = ?, version = version + 1, updated_at = now(),
                   updated_by = ? WHERE id IN (SELECT id FROM _changed)""", [review, comment, user])
    action = "validation" if review == VALIDATED else "renvoi au déclarant"
    _record_history(con, f"SELECT id, '{action}' AS action FROM _changed", user, None)
    return int(changed)


def current(con: duckdb.DuckDBPyConnection, year: int | None, include_deleted: bool) -> pd.DataFrame:
    """The current declarations (with their version and audit columns), ordered by id."""
    conditions, params = [], []
    if not include_deleted:
        conditions.append("NOT deleted")
    if year is not None:
        conditions.append("year = ?")
        params.append(year)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    return con.execute(f"SELECT {_ORDERED} FROM declarations {where} ORDER BY id", params).df()


def history(con: duckdb.DuckDBPyConnection, declaration_id: str | None) -> pd.DataFrame:
    """Every version of one declaration (or of all), oldest first."""
    where, params = ("WHERE id = ?", [declaration_id]) if declaration_id else ("", [])
    return con.execute(f"SELECT {_ORDERED} FROM declaration_history {where} ORDER BY id, version", params).df()


def as_of(con: duckdb.DuckDBPyConnection, moment: pd.Timestamp) -> pd.DataFrame:
    """The declarations as they stood at ``moment`` (an earlier state of the inventory)."""
    return con.execute(f"""
        SELECT {_NAMES}, * EXCLUDE ({_NAMES}, rank) FROM (
          SELECT *, row_number() OVER (PARTITION BY id ORDER BY version DESC) AS rank
          FROM declaration_history WHERE changed_at <= ?)
        WHERE rank = 1 AND NOT deleted ORDER BY id""", [moment]).df()


def imports(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The files imported (declarations files, usage logs), oldest first."""
    return con.execute("SELECT * FROM imports ORDER BY imported_at").df()




def _assign_ids(con: duckdb.DuckDBPyConnection, ids: pd.Series) -> pd.Series:
    """Keep the given ids; give the others the next free ``IA-nnnnn`` numbers."""
    ids = ids.astype("string").str.strip()
    missing = ids.isna() | (ids == "")
    if not missing.any():
        return ids
    used = con.execute("""SELECT coalesce(max(TRY_CAST(regexp_extract(id, '^IA-([0-9]+)$', 1) AS BIGINT)), 0)
                          FROM (SELECT id FROM declaration_history UNION ALL SELECT id FROM declarations)"""
                       ).fetchall()[0][0]
    in_file = pd.to_numeric(ids.str.extract(r"^IA-(\d+)$")[0], errors="coerce").max()
    start = int(max(used, 0 if pd.isna(in_file) else in_file)) + 1
    ids = ids.copy()
    ids[missing] = [f"IA-{n:05d}" for n in range(start, start + int(missing.sum()))]
    return ids


def _record_history(con: duckdb.DuckDBPyConnection, changes_sql: str, user: str, import_id: str | None) -> None:
    """Copy the new state of the declarations that ``changes_sql`` lists (id, action) into the history."""
    columns = ", ".join(f"d.{c}" for c in DECLARATION_COLUMNS)
    con.execute(f"""INSERT INTO declaration_history ({", ".join(DECLARATION_COLUMNS)}, version, deleted, action,
                    changed_at, changed_by, import_id, review, review_comment)
        SELECT {columns}, d.version, d.deleted, c.action, d.updated_at, ?, ?, d.review, d.review_comment
        FROM declarations d JOIN ({changes_sql}) c ON c.id = d.id""", [user, import_id])
