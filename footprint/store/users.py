"""The people of a shared instance and their roles, as the store keeps them: every change adds a
row (the latest row of an e-mail holds; the earlier ones are its history, with who and when).

Owns: ``TABLES_SQL`` (created by migration 10 of ``schema``), ``TABLES``, ``REVISION_SQL``, the
rows (``current``, ``history``, ``save``, ``remove``) and the rule that the last administrator
cannot be removed or demoted (nobody could manage the roles any more). Every function here takes
an open connection: ``Store`` opens it (``connection``).

Must not: check who may write (``access``, called by ``Store``) or know a sign-in provider.
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from core.errors import InputError

TABLES_SQL = """
CREATE TABLE users (
  email VARCHAR NOT NULL,
  version INTEGER NOT NULL,
  name VARCHAR,
  role VARCHAR NOT NULL,
  services_json VARCHAR NOT NULL,
  deleted BOOLEAN NOT NULL DEFAULT false,
  action VARCHAR NOT NULL,
  changed_at TIMESTAMPTZ NOT NULL,
  changed_by VARCHAR NOT NULL
);
"""
TABLES = ("users",)
REVISION_SQL = "(SELECT count(*) FROM users), (SELECT max(changed_at) FROM users)"

_LATEST = """SELECT * EXCLUDE (rank) FROM (
  SELECT *, row_number() OVER (PARTITION BY email ORDER BY version DESC) AS rank FROM users) WHERE rank = 1"""


def _decoded(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["services"] = [tuple(json.loads(text)) for text in frame["services_json"]]
    frame["name"] = pd.Series([None if pd.isna(name) else name for name in frame["name"]], index=frame.index,
                              dtype=object)
    return frame.drop(columns="services_json")


def current(con: duckdb.DuckDBPyConnection, include_deleted: bool = False) -> pd.DataFrame:
    """The latest row of every person (``email``, ``version``, ``name``, ``role``, ``services``
    (a tuple), ``deleted``, ``action``, ``changed_at``, ``changed_by``), ordered by e-mail."""
    where = "" if include_deleted else "WHERE NOT deleted"
    return _decoded(con.execute(f"SELECT * FROM ({_LATEST}) {where} ORDER BY email").df())


def history(con: duckdb.DuckDBPyConnection, email: str | None = None) -> pd.DataFrame:
    where, params = ("WHERE email = ?", [email]) if email else ("", [])
    return _decoded(con.execute(f"SELECT * FROM users {where} ORDER BY email, version", params).df())


def _latest(con: duckdb.DuckDBPyConnection, email: str) -> tuple | None:
    return con.execute(f"SELECT version, name, role, services_json, deleted FROM ({_LATEST}) WHERE email = ?",
                       [email]).fetchone()


def _administrators_left(con: duckdb.DuckDBPyConnection, without: str) -> int:
    return con.execute(f"SELECT count(*) FROM ({_LATEST}) WHERE NOT deleted AND role = 'administrateur' "
                       "AND email <> ?", [without]).fetchone()[0]


def _keep_an_administrator(con: duckdb.DuckDBPyConnection, email: str, row: tuple | None) -> None:
    if row is not None and not row[4] and row[2] == "administrateur" and not _administrators_left(con, email):
        raise InputError.single(f"{email} est le dernier administrateur : ajoutez d'abord un autre administrateur, "
                                "sinon plus personne ne pourrait gérer les rôles", column="email")


def save(con: duckdb.DuckDBPyConnection, email: str, name: str | None, role: str, services: tuple[str, ...],
         user: str) -> int:
    """Add a person or change their role, name or services, inside an open transaction; returns
    the version after the write (the same values again write nothing)."""
    row = _latest(con, email)
    services_json = json.dumps(list(services), ensure_ascii=False)
    if name is None and row is not None:
        name = row[1]
    if row is not None and not row[4] and (row[1], row[2], row[3]) == (name, role, services_json):
        return int(row[0])
    if role != "administrateur":
        _keep_an_administrator(con, email, row)
    version = 1 if row is None else int(row[0]) + 1
    action = "ajout" if row is None or row[4] else "modification"
    con.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?, false, ?, now(), ?)",
                [email, version, name, role, services_json, action, user])
    return version


def remove(con: duckdb.DuckDBPyConnection, email: str, user: str) -> bool:
    """Take a person's role away (a soft deletion: the history keeps it); False if they had none."""
    row = _latest(con, email)
    if row is None or row[4]:
        return False
    _keep_an_administrator(con, email, row)
    con.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?, true, 'retrait', now(), ?)",
                [email, int(row[0]) + 1, row[1], row[2], row[3], user])
    return True
