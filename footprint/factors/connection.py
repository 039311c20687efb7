"""The DuckDB connection of a factor base, shared by every thread of a process (the dashboard
caches one base for all its sessions), and the databases it holds.

Owns: one cursor per thread (``SharedConnection``; a DuckDB connection serves one call at a time
and refuses the others with ``ResourceInUseException``), copying every table between two
databases of one DuckDB instance, and the in-memory database of a derived base: attached, made
the default of its cursors, detached when that base is gone.

Must not: know which tables a factor base has or what they mean (``base``), or hold a number.
"""

from __future__ import annotations

import threading

import duckdb


class SharedConnection:
    """The connection of a factor base, safe to share between threads: each thread queries
    through a DuckDB cursor of its own, opened on its first query and kept for the thread's life
    (a DuckDB connection serves one call at a time and refuses the others; its cursors are
    independent connections to the same database). So ``con.execute(...)`` then
    ``con.description`` or ``.fetchall()`` read the cursor that ran the query, in each thread.

    ``catalog``: the attached database of a derived base, made the default of every cursor
    (DuckDB's ``USE`` holds for one connection only). The cursors are opened from ``parent``;
    closing ``parent`` closes them all."""

    def __init__(self, parent: duckdb.DuckDBPyConnection, catalog: str | None = None):
        self._parent = parent
        self._catalog = catalog
        self._opening = threading.Lock()
        self._local = threading.local()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor, for a caller that registers its own temporary tables or views (the
        engine); reads the derived database when there is one. Close it after use."""
        with self._opening:  # the parent is shared: one thread at a time opens a cursor from it
            cursor = self._parent.cursor()
        if self._catalog:
            cursor.execute(f"USE {self._catalog}")
        return cursor

    def _mine(self) -> duckdb.DuckDBPyConnection:
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._local.cursor = self.cursor()
        return cursor

    def execute(self, *args, **kwargs) -> duckdb.DuckDBPyConnection:
        """Run a query on this thread's cursor; returns that cursor (fetch from it)."""
        return self._mine().execute(*args, **kwargs)

    def sql(self, *args, **kwargs) -> duckdb.DuckDBPyRelation:
        return self._mine().sql(*args, **kwargs)

    @property
    def description(self) -> list | None:
        """The columns of this thread's last query."""
        return self._mine().description

    def close(self) -> None:
        """Close this thread's cursor (its next query opens another); other threads keep theirs."""
        cursor = getattr(self._local, "cursor", None)
        if cursor is not None:
            del self._local.cursor
            cursor.close()

    def __getattr__(self, name: str):
        return getattr(self._mine(), name)


def table_names(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    """The tables of the database ``catalog`` (``memory`` for the one a connection opened)."""
    return [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ?",
                                      [catalog]).fetchall()]


def copy_tables(con: duckdb.DuckDBPyConnection, source: str, target: str) -> None:
    """Copy every table of the database ``source`` into ``target``, both attached to ``con``."""
    for table in table_names(con, source):
        con.execute(f'CREATE TABLE {target}.main."{table}" AS SELECT * FROM {source}.main."{table}"')


def attach_copy(con: SharedConnection, catalog: str) -> duckdb.DuckDBPyConnection:
    """A cursor of ``con`` on a new in-memory database ``catalog``, attached to the same DuckDB
    instance (a tenth of the cost of a copy into another instance), holding a copy of every table
    of ``con``'s own database and made that cursor's default. Free it with ``detach``."""
    cursor = con.cursor()
    cursor.execute(f"ATTACH ':memory:' AS {catalog}")
    copy_tables(cursor, "memory", catalog)
    cursor.execute(f"USE {catalog}")
    return cursor


def detach(con: SharedConnection, used: duckdb.DuckDBPyConnection, catalog: str) -> None:
    """Free the database ``catalog`` of ``attach_copy``: close the cursor that uses it (and with it
    the cursors of every thread, opened from it), then detach it."""
    try:
        used.close()
        cursor = con.cursor()
        cursor.execute(f"DETACH DATABASE IF EXISTS {catalog}")
        cursor.close()
    except duckdb.Error:
        pass  # still in use or already closed: freed with the connection
