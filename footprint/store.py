"""The inventory store: one DuckDB file holding the declarations, their history, the imports,
the measurements, the custom scenarios and the authority's own factor values (overrides).

Owns: where the file is (``data/footprint.duckdb``, ``FOOTPRINT_DB`` or an explicit path), its
schema and migrations (a schema version in ``meta``; an older file is upgraded, a newer one
refused), short-lived connections (DuckDB lets one process hold the file: a process that
finds it locked retries for a bounded time, then says so in French), one transaction per
write, soft deletion and the full history of every declaration (each version is kept).

Must not: validate declarations (``declarations``) or factor overrides (``factor_base``), or
compute impacts (``engine``).
"""

from __future__ import annotations

import getpass
import json
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

SCHEMA_VERSION = 4
DEFAULT_PATH = Path(__file__).resolve().parents[1] / "data" / "footprint.duckdb"
def _lock_timeout() -> float:
    """Seconds to wait for a store another process holds (FOOTPRINT_LOCK_TIMEOUT, 15 by default)."""
    try:
        return max(float(os.environ.get("FOOTPRINT_LOCK_TIMEOUT", "15")), 0.0)
    except ValueError:
        return 15.0

# Columns of a declaration, in the store (English names; French ones are in ``declarations``).
DECLARATION_COLUMNS: dict[str, str] = {
    "id": "VARCHAR",
    "year": "INTEGER",
    "service": "VARCHAR",
    "use_case": "VARCHAR",
    "kind": "VARCHAR",
    "provider": "VARCHAR",
    "model": "VARCHAR",
    "hosting": "VARCHAR",
    "zone": "VARCHAR",
    "agents": "DOUBLE",
    "requests_per_agent_per_day": "DOUBLE",
    "days_per_year": "DOUBLE",
    "requests": "DOUBLE",
    "input_tokens_per_request": "DOUBLE",
    "output_tokens_per_request": "DOUBLE",
    "input_tokens": "DOUBLE",
    "output_tokens": "DOUBLE",
    "gpu": "VARCHAR",
    "gpus": "DOUBLE",
    "hours": "DOUBLE",
    "utilization": "DOUBLE",
    "pue": "DOUBLE",
    "wue": "DOUBLE",
    "task": "VARCHAR",
    "units": "DOUBLE",
    "energy_kwh": "DOUBLE",
    "owner": "VARCHAR",
    "personal_data": "BOOLEAN",
    "ai_act_risk": "VARCHAR",
    "human_oversight": "VARCHAR",
    "comment": "VARCHAR",
    "origin": "VARCHAR",
    "gateway_kwh_min": "DOUBLE",
    "gateway_kwh_max": "DOUBLE",
    "gateway_kgco2e_min": "DOUBLE",
    "gateway_kgco2e_max": "DOUBLE",
}
CONTENT_COLUMNS = [c for c in DECLARATION_COLUMNS if c != "id"]

# One row per measured run (CodeCarbon), linked to a ``measured`` declaration.
MEASUREMENT_COLUMNS: dict[str, str] = {
    "run_id": "VARCHAR",
    "name": "VARCHAR",
    "service": "VARCHAR",
    "year": "INTEGER",
    "declaration_id": "VARCHAR",
    "command": "VARCHAR",
    "country_iso_code": "VARCHAR",
    "started_at": "TIMESTAMPTZ",
    "ended_at": "TIMESTAMPTZ",
    "duration_s": "DOUBLE",
    "energy_kwh": "DOUBLE",
    "cpu_energy_kwh": "DOUBLE",
    "gpu_energy_kwh": "DOUBLE",
    "ram_energy_kwh": "DOUBLE",
    "codecarbon_kgco2e": "DOUBLE",
    "gwp_kgco2e": "DOUBLE",
    "gwp_factor_kgco2e_per_kwh": "DOUBLE",
    "gwp_factor_source": "VARCHAR",
    "cpu_model": "VARCHAR",
    "cpu_count": "DOUBLE",
    "gpu_model": "VARCHAR",
    "gpu_count": "DOUBLE",
    "tracking_mode": "VARCHAR",
    "codecarbon_version": "VARCHAR",
    "exit_code": "INTEGER",
    "status": "VARCHAR",
    "status_detail": "VARCHAR",
    "tokens": "DOUBLE",
    "units": "DOUBLE",
    "task": "VARCHAR",
    "provider": "VARCHAR",
    "model": "VARCHAR",
    "origin": "VARCHAR",
    "recorded_at": "TIMESTAMPTZ",
    "recorded_by": "VARCHAR",
}


@dataclass(frozen=True)
class Snapshot:
    """What the store held at one moment (``Store.snapshot``); the frames must not be modified."""

    revision: tuple
    declarations: pd.DataFrame
    factor_overrides: pd.DataFrame


class StoreError(Exception):
    """The store cannot be used (locked too long, newer schema, unreadable file): French message."""


def default_path() -> Path:
    return Path(os.environ.get("FOOTPRINT_DB") or DEFAULT_PATH)


def current_user() -> str:
    try:
        return os.environ.get("FOOTPRINT_USER") or getpass.getuser()
    except Exception:  # no login name (some containers): stay usable
        return "inconnu"


def _columns_sql(extra: str = "") -> str:
    return ",\n  ".join(f"{name} {kind}" for name, kind in DECLARATION_COLUMNS.items()) + extra


# Each migration brings the schema from version N-1 to N. Never edit one that has shipped.
MIGRATIONS: dict[int, str] = {
    1: f"""
CREATE TABLE declarations (
  {_columns_sql()},
  version INTEGER NOT NULL,
  deleted BOOLEAN NOT NULL DEFAULT false,
  created_at TIMESTAMPTZ NOT NULL,
  created_by VARCHAR NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  updated_by VARCHAR NOT NULL,
  PRIMARY KEY (id)
);
CREATE TABLE declaration_history (
  {_columns_sql()},
  version INTEGER NOT NULL,
  deleted BOOLEAN NOT NULL,
  action VARCHAR NOT NULL,
  changed_at TIMESTAMPTZ NOT NULL,
  changed_by VARCHAR NOT NULL,
  import_id VARCHAR
);
CREATE TABLE imports (
  import_id VARCHAR PRIMARY KEY,
  kind VARCHAR NOT NULL,
  file_name VARCHAR NOT NULL,
  file_sha256 VARCHAR NOT NULL,
  rows INTEGER NOT NULL,
  created INTEGER NOT NULL,
  modified INTEGER NOT NULL,
  unchanged INTEGER NOT NULL,
  imported_at TIMESTAMPTZ NOT NULL,
  imported_by VARCHAR NOT NULL
);
""",
    2: "CREATE TABLE measurements (\n  " + ",\n  ".join(f"{n} {t}" for n, t in MEASUREMENT_COLUMNS.items())
       + ",\n  PRIMARY KEY (run_id)\n);",
    3: """
CREATE TABLE scenarios (
  id VARCHAR PRIMARY KEY,
  label VARCHAR NOT NULL,
  definition VARCHAR NOT NULL,
  deleted BOOLEAN NOT NULL DEFAULT false,
  saved_at TIMESTAMPTZ NOT NULL,
  saved_by VARCHAR NOT NULL
);
""",
    # The authority's own value of one numeric factor (a row of a factor table), with its
    # justification; replacing or deleting one only marks it deleted, so that the history stays.
    4: """
CREATE TABLE factor_overrides (
  id VARCHAR PRIMARY KEY,
  table_name VARCHAR NOT NULL,
  key_json VARCHAR NOT NULL,
  parameter VARCHAR NOT NULL,
  value DOUBLE NOT NULL,
  unit VARCHAR NOT NULL,
  year INTEGER,
  justification VARCHAR NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  created_by VARCHAR NOT NULL,
  deleted BOOLEAN NOT NULL DEFAULT false,
  deleted_at TIMESTAMPTZ,
  deleted_by VARCHAR
);
""",
}

# What ``Store.revision`` reads: for each table, enough to see any insert, update or soft deletion
# (every change of a declaration adds a history row; the other tables insert or flag rows).
_REVISION_SQL = """
SELECT
  (SELECT count(*) FROM declaration_history), (SELECT max(changed_at) FROM declaration_history),
  (SELECT count(*) FROM declarations), (SELECT max(updated_at) FROM declarations),
  (SELECT count(*) FROM measurements), (SELECT max(recorded_at) FROM measurements),
  (SELECT count(*) FROM imports), (SELECT max(imported_at) FROM imports),
  (SELECT count(*) FROM scenarios), (SELECT count(*) FILTER (WHERE deleted) FROM scenarios),
  (SELECT max(saved_at) FROM scenarios),
  (SELECT count(*) FROM factor_overrides), (SELECT count(*) FILTER (WHERE deleted) FROM factor_overrides),
  (SELECT max(greatest(created_at, coalesce(deleted_at, created_at))) FROM factor_overrides)
"""


def key_json(key: dict) -> str:
    """The stored form of a factor key (key column -> value): JSON with sorted keys, so that
    equal keys give equal text."""
    return json.dumps(key, sort_keys=True, ensure_ascii=False)


def _is_lock_error(error: Exception) -> bool:
    text = str(error).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


class Store:
    """The inventory file. Each ``connect()`` opens it briefly, so that other processes can too."""

    def __init__(self, path: Path | str | None = None, lock_timeout_s: float | None = None):
        self.path = Path(path) if path else default_path()
        self.lock_timeout_s = _lock_timeout() if lock_timeout_s is None else lock_timeout_s
        self._ready = False
        self.last_ids: list[str] = []

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the store, created and migrated on first use. Retries while another
        process holds the file, for at most ``lock_timeout_s`` seconds."""
        con = self._open()
        try:
            if not self._ready:
                self._migrate(con)
                self._ready = True
            yield con
        finally:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write, all or nothing: committed at the end of the block, rolled back on error."""
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def _open(self) -> duckdb.DuckDBPyConnection:
        if self.path.is_dir():
            raise StoreError(f"{self.path} est un dossier : indiquez le fichier de la base (….duckdb).")
        if self.path.exists() and self.path.stat().st_size > 0:
            with self.path.open("rb") as handle:
                head = handle.read(16)
            if b"DUCK" not in head:  # DuckDB files carry this magic at offset 8
                raise StoreError(f"{self.path} n'est pas une base DuckDB d'Empreinte IA (un CSV ou un classeur ?) : "
                                 "il n'a pas été modifié. Indiquez un fichier .duckdb.")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout_s
        delay = 0.02
        while True:
            try:
                return duckdb.connect(str(self.path))
            except duckdb.IOException as error:
                if not _is_lock_error(error):
                    raise StoreError(f"Impossible d'ouvrir la base {self.path} : {error}") from None
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"La base {self.path} est occupée par un autre programme (tableau de bord, import ou "
                        f"mesure en cours) depuis plus de {self.lock_timeout_s:g} s. Réessayez dans un instant ; "
                        "aucune donnée n'a été modifiée.") from None
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 0.5)
            except duckdb.Error as error:
                raise StoreError(f"Le fichier {self.path} n'est pas une base Empreinte IA lisible : {error}") from None

    def _migrate(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        row = (con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall() or [None])[0]
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"La base {self.path} a été créée par une version plus récente d'Empreinte IA (schéma {version}, "
                f"cette version connaît le schéma {SCHEMA_VERSION}). Mettez l'outil à jour ; la base n'a pas été "
                "modifiée.")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(MIGRATIONS[target])
                con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(target)])
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def schema_version(self) -> int:
        with self.connect() as con:
            return int(con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()[0][0])

    # -- reading -----------------------------------------------------------------------------

    def declarations(self, year: int | None = None, include_deleted: bool = False) -> pd.DataFrame:
        """Current declarations (with their version and audit columns), ordered by id."""
        with self.connect() as con:
            return _declarations(con, year, include_deleted)

    def history(self, declaration_id: str | None = None) -> pd.DataFrame:
        """Every version of one declaration (or of all), oldest first."""
        where, params = ("WHERE id = ?", [declaration_id]) if declaration_id else ("", [])
        with self.connect() as con:
            return con.execute(f"SELECT * FROM declaration_history {where} ORDER BY id, version", params).df()

    def as_of(self, moment: pd.Timestamp) -> pd.DataFrame:
        """The declarations as they stood at ``moment`` (an earlier state of the inventory)."""
        with self.connect() as con:
            return con.execute("""
                SELECT * EXCLUDE (rank) FROM (
                  SELECT *, row_number() OVER (PARTITION BY id ORDER BY version DESC) AS rank
                  FROM declaration_history WHERE changed_at <= ?)
                WHERE rank = 1 AND NOT deleted ORDER BY id""", [moment]).df()

    def measurements(self, declaration_id: str | None = None) -> pd.DataFrame:
        where, params = ("WHERE declaration_id = ?", [declaration_id]) if declaration_id else ("", [])
        with self.connect() as con:
            return con.execute(f"SELECT * FROM measurements {where} ORDER BY started_at", params).df()

    def scenarios(self, include_deleted: bool = False) -> pd.DataFrame:
        """Custom scenarios: id, label and their TOML definition."""
        where = "" if include_deleted else "WHERE NOT deleted"
        with self.connect() as con:
            return con.execute(f"SELECT * FROM scenarios {where} ORDER BY id").df()

    def save_scenario(self, identifier: str, label: str, definition: str, user: str | None = None) -> None:
        """Save (or replace) a custom scenario's TOML definition."""
        with self.transaction() as con:
            con.execute("DELETE FROM scenarios WHERE id = ?", [identifier])
            con.execute("INSERT INTO scenarios VALUES (?, ?, ?, false, now(), ?)",
                        [identifier, label, definition, user or current_user()])

    def delete_scenario(self, identifier: str) -> bool:
        with self.transaction() as con:
            found = con.execute("SELECT count(*) FROM scenarios WHERE id = ? AND NOT deleted",
                                [identifier]).fetchall()[0][0]
            con.execute("UPDATE scenarios SET deleted = true WHERE id = ?", [identifier])
        return bool(found)

    def imports(self) -> pd.DataFrame:
        with self.connect() as con:
            return con.execute("SELECT * FROM imports ORDER BY imported_at").df()

    def revision(self) -> tuple:
        """A token that changes whenever anything in the store changes (declarations and their
        history, measurements, imports, scenarios, factor overrides) and stays equal otherwise:
        a cache key for computed tables. One short connection, one query."""
        with self.connect() as con:
            return tuple(con.execute(_REVISION_SQL).fetchall()[0])

    def snapshot(self) -> Snapshot:
        """The revision, the active declarations and the active factor overrides, read together in
        one short connection (a dashboard's starting point: one opening of the file, not three)."""
        with self.connect() as con:
            return Snapshot(tuple(con.execute(_REVISION_SQL).fetchall()[0]), _declarations(con, None, False),
                            _factor_overrides(con, False))

    # -- factor overrides --------------------------------------------------------------------

    def factor_overrides(self, include_deleted: bool = False) -> pd.DataFrame:
        """The authority's own factor values, oldest first; ``key`` holds the decoded key."""
        with self.connect() as con:
            return _factor_overrides(con, include_deleted)

    def save_factor_override(self, table: str, key: dict, parameter: str, value: float, unit: str,
                             year: int | None, justification: str, user: str | None = None) -> str:
        """Save the authority's own value of one factor (not checked here: see
        ``factor_base.save_override``); returns its id (``VL-nnnnn``). An active override of the
        same table, key and parameter is replaced (marked deleted, kept for the history); saving
        the same value and justification again changes nothing."""
        return self.save_factor_overrides([{"table": table, "key": key, "parameter": parameter, "value": value,
                                            "unit": unit, "year": year, "justification": justification}],
                                          user)[0]

    def save_factor_overrides(self, overrides: list[dict], user: str | None = None) -> list[str]:
        """``save_factor_override`` for several overrides (dicts with its arguments), in one transaction."""
        user = user or current_user()
        ids = []
        with self.transaction() as con:
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

    def delete_factor_override(self, identifier: str, user: str | None = None) -> bool:
        """Soft-delete an override (it stays in the history); False when there is no active one."""
        with self.transaction() as con:
            found = con.execute("SELECT count(*) FROM factor_overrides WHERE id = ? AND NOT deleted",
                                [identifier]).fetchall()[0][0]
            con.execute("UPDATE factor_overrides SET deleted = true, deleted_at = now(), deleted_by = ? "
                        "WHERE id = ? AND NOT deleted", [user or current_user(), identifier])
        return bool(found)

    # -- writing -----------------------------------------------------------------------------

    def save(self, declarations: pd.DataFrame, *, action: str = "saisie", import_record: dict | None = None,
             user: str | None = None, columns: list[str] | None = None) -> dict[str, int]:
        """Create or update declarations in one transaction; returns the counts by outcome.

        ``declarations``: validated rows with the store's columns (``id`` empty for new ones,
        which get the next ``IA-nnnnn`` number). A row equal to the stored one changes nothing;
        a different one (or a deleted one) gets a new version, the previous one stays in the
        history. ``import_record`` (file name, hash, kind) is written with the same transaction.
        ``columns``: the columns the source really had (a file without ``commentaire``, say):
        for declarations that exist, the other columns keep their stored values. The ids saved
        are in ``last_ids`` afterwards.
        """
        user = user or current_user()
        with self.transaction() as con:
            counts, self.last_ids = _save(con, declarations, action, import_record, user, columns)
        return counts

    def save_measurements(self, runs: pd.DataFrame, declarations: pd.DataFrame, user: str | None = None
                          ) -> dict[str, int]:
        """Record measured runs and update their ``measured`` declarations, in one transaction.

        Only new ``run_id`` are added (importing a file twice adds nothing). Each declaration's
        ``energy_kwh`` becomes the sum of the energy of all its runs.
        """
        user = user or current_user()
        frame = runs.reindex(columns=list(MEASUREMENT_COLUMNS)).copy()
        frame["recorded_by"] = user
        frame["recorded_at"] = pd.Timestamp.now(tz="UTC")
        with self.transaction() as con:
            con.register("_runs", frame)
            columns = ", ".join(MEASUREMENT_COLUMNS)
            # A run already recorded is replaced only by a longer record of it (CodeCarbon's flush()
            # writes partial rows; the final one has the whole duration).
            longer = con.execute("""SELECT count(*) FROM _runs r JOIN measurements m USING (run_id)
                WHERE r.duration_s > m.duration_s""").fetchall()[0][0]
            con.execute("""DELETE FROM measurements WHERE run_id IN
                (SELECT r.run_id FROM _runs r JOIN measurements m USING (run_id) WHERE r.duration_s > m.duration_s)""")
            added = con.execute(f"""INSERT INTO measurements ({columns}) SELECT {columns} FROM _runs
                WHERE run_id NOT IN (SELECT run_id FROM measurements)""").fetchall()[0][0]
            added -= longer
            con.unregister("_runs")
            if not added and not longer:
                return {"runs": 0, "updated_runs": 0, "created": 0, "modified": 0, "unchanged": len(declarations)}
            totals = dict(con.execute("SELECT declaration_id, sum(energy_kwh) FROM measurements "
                                      "GROUP BY declaration_id").fetchall())
            declarations = declarations.copy()
            declarations["energy_kwh"] = declarations["id"].map(totals)
            counts, _ = _save(con, declarations, "mesure", None, user)
        return {"runs": int(added), "updated_runs": int(longer), **counts}

    def delete(self, ids: list[str], user: str | None = None) -> int:
        """Soft-delete declarations (they stay in the history and can be restored). Returns how many."""
        return self._set_deleted(ids, True, "suppression", user)

    def restore(self, ids: list[str], user: str | None = None) -> int:
        return self._set_deleted(ids, False, "restauration", user)

    def _set_deleted(self, ids: list[str], deleted: bool, action: str, user: str | None) -> int:
        user = user or current_user()
        with self.transaction() as con:
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


def _save(con: duckdb.DuckDBPyConnection, declarations: pd.DataFrame, action: str, import_record: dict | None,
          user: str, columns: list[str] | None = None) -> tuple[dict[str, int], list[str]]:
    """``Store.save`` inside an open transaction; returns the counts and the ids saved."""
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
    con.register("_incoming", frame.astype({c: _pandas_type(t) for c, t in DECLARATION_COLUMNS.items()}))
    same = " AND ".join(f"i.{c} IS NOT DISTINCT FROM d.{c}" for c in CONTENT_COLUMNS)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _status AS
        SELECT i.*, CASE WHEN d.id IS NULL THEN 'new' WHEN d.deleted OR NOT ({same}) THEN 'changed'
                         ELSE 'same' END AS status
        FROM _incoming i LEFT JOIN declarations d USING (id)""")
    columns = ", ".join(DECLARATION_COLUMNS)
    con.execute(f"""INSERT INTO declarations ({columns}, version, deleted, created_at, created_by, updated_at,
                    updated_by)
        SELECT {columns}, 1, false, now(), ?, now(), ? FROM _status WHERE status = 'new'""", [user, user])
    assignments = ", ".join(f"{c} = s.{c}" for c in CONTENT_COLUMNS)
    con.execute(f"""UPDATE declarations SET {assignments}, version = declarations.version + 1,
        deleted = false, updated_at = now(), updated_by = ?
        FROM _status s WHERE declarations.id = s.id AND s.status = 'changed'""", [user])
    import_id = None
    counts = dict(con.execute("SELECT status, count(*) FROM _status GROUP BY status").fetchall())
    counts = {"created": counts.get("new", 0), "modified": counts.get("changed", 0),
              "unchanged": counts.get("same", 0)}
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


def _declarations(con: duckdb.DuckDBPyConnection, year: int | None, include_deleted: bool) -> pd.DataFrame:
    conditions, params = [], []
    if not include_deleted:
        conditions.append("NOT deleted")
    if year is not None:
        conditions.append("year = ?")
        params.append(year)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    return con.execute(f"SELECT * FROM declarations {where} ORDER BY id", params).df()


def _factor_overrides(con: duckdb.DuckDBPyConnection, include_deleted: bool) -> pd.DataFrame:
    where = "" if include_deleted else "WHERE NOT deleted"
    frame = con.execute(f"SELECT * FROM factor_overrides {where} ORDER BY id").df()
    frame["key"] = [json.loads(text) for text in frame["key_json"]]
    return frame


def _pandas_type(sql_type: str) -> str:
    return {"VARCHAR": "string", "DOUBLE": "float64", "INTEGER": "Int64", "BOOLEAN": "boolean"}[sql_type]


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
                    changed_at, changed_by, import_id)
        SELECT {columns}, d.version, d.deleted, c.action, d.updated_at, ?, ?
        FROM declarations d JOIN ({changes_sql}) c ON c.id = d.id""", [user, import_id])
