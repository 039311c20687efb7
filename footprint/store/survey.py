"""The diagnostic survey of the agents, as the store keeps it: anonymous aggregates only (no
name, e-mail or free text that identifies a person), by import × service × product × use case ×
account, and the declarations each group became.

Owns: ``TABLES_SQL`` (the tables, created by migration 8 of ``schema``), ``TABLES`` (their
names), ``REVISION_SQL`` (what ``Store.revision`` reads of them) and the rows: a survey's groups
replace those of the earlier surveys of the same year, and the declarations an earlier survey of
that year made that this one no longer gives are soft-deleted, all in the caller's transaction.
Every function here takes an open connection: ``Store`` opens it (``connection``).

Must not: read a survey file or compute anything (``footprint.inventory.survey``).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from footprint.store import declarations as declaration_rows

TABLES_SQL = """
CREATE TABLE survey_groups (
  import_id VARCHAR NOT NULL,
  year INTEGER NOT NULL,
  service VARCHAR NOT NULL,
  product VARCHAR NOT NULL,
  use_case VARCHAR,
  account VARCHAR NOT NULL,
  respondents INTEGER NOT NULL,
  service_respondents INTEGER NOT NULL,
  service_headcount INTEGER,
  headcount_source VARCHAR,
  users DOUBLE,
  users_low DOUBLE,
  users_high DOUBLE,
  days_of_use_per_year DOUBLE,
  messages DOUBLE,
  messages_low DOUBLE,
  messages_high DOUBLE,
  sensitive_yes INTEGER NOT NULL,
  sensitive_no INTEGER NOT NULL,
  sensitive_unknown INTEGER NOT NULL,
  declaration_id VARCHAR,
  kept VARCHAR NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  created_by VARCHAR NOT NULL
);
"""
TABLES = ("survey_groups",)
REVISION_SQL = "(SELECT count(*) FROM survey_groups), (SELECT max(created_at) FROM survey_groups)"
# The columns a caller gives (the store adds who and when).
GROUP_COLUMNS = ("import_id", "year", "service", "product", "use_case", "account", "respondents",
                 "service_respondents", "service_headcount", "headcount_source", "users", "users_low", "users_high",
                 "days_of_use_per_year", "messages", "messages_low", "messages_high", "sensitive_yes", "sensitive_no",
                 "sensitive_unknown", "declaration_id", "kept")
ORIGIN_PREFIX = "enquete:"


def groups(con: duckdb.DuckDBPyConnection, year: int | None = None) -> pd.DataFrame:
    """The groups of the surveys (those of ``year`` only when given), by year, service, product."""
    where, params = ("WHERE year = ?", [year]) if year is not None else ("", [])
    return con.execute(f"SELECT * FROM survey_groups {where} ORDER BY year, service, product, use_case, account",
                       params).df()


def save(con: duckdb.DuckDBPyConnection, declarations: pd.DataFrame, survey_groups: pd.DataFrame, year: int,
         action: str, import_record: dict, user: str) -> tuple[dict[str, int], list[str]]:
    """``Store.save_survey`` inside an open transaction: the declarations (``declarations.save``),
    then the earlier survey declarations of the year that this one no longer gives
    soft-deleted, then the groups of the year replaced."""
    if declarations.empty:
        counts, ids = {"created": 0, "modified": 0, "unchanged": 0}, []
    else:
        counts, ids = declaration_rows.save(con, declarations, action, import_record, user)
    stale = [row[0] for row in con.execute(
        "SELECT id FROM declarations WHERE NOT deleted AND year = ? AND starts_with(origin, ?) "
        "AND id NOT IN (SELECT unnest(?::VARCHAR[])) ORDER BY id", [year, ORIGIN_PREFIX, ids]).fetchall()]
    if stale:
        counts["replaced"] = declaration_rows.set_deleted(con, stale, True, f"remplacée ({action})", user)
    con.execute("DELETE FROM survey_groups WHERE year = ?", [year])
    frame = survey_groups.reindex(columns=list(GROUP_COLUMNS))
    con.register("_survey_groups", frame)
    columns = ", ".join(GROUP_COLUMNS)
    con.execute(f"INSERT INTO survey_groups ({columns}, created_at, created_by) "
                f"SELECT {columns}, now(), ? FROM _survey_groups", [user])
    con.unregister("_survey_groups")
    return counts, ids
