"""The inventory store: one DuckDB file holding the declarations, their history, the imports,
the measurements, the custom scenarios (with their history) and the authority's own factor
values (overrides).

Owns: where the file is (``data/footprint.duckdb``, ``FOOTPRINT_DB`` or an explicit path), what
counts as an Empreinte IA store (a ``meta`` table with ``schema_version``: any other DuckDB file
is refused and left byte-identical; a new store is created only when asked, ``create=True``),
its schema and migrations (an older file is upgraded, a newer one refused), the check that the
file is whole when it is first opened (a truncated or altered file is refused, never written),
short-lived connections (DuckDB lets one process hold the file: a process that finds it locked
retries for a bounded time, then says so in French), read-only opening for readers
(``read_only=True``), one transaction per write (writes of one process are serialised per file;
a transaction DuckDB refuses for a concurrent change is retried a bounded number of times),
optimistic checks of the versions a user read (``Store.save(expected_versions=…)``,
``StoreConflict``), soft deletion and the full history of every declaration and custom scenario.
Every failure a user can cause is a ``StoreError`` with a French message; DuckDB's own text is
only logged (``footprint.store`` logger, debug level) and kept in ``StoreError.detail``.

Must not: validate declarations (``declarations``) or factor overrides (``factor_base``), or
compute impacts (``engine``).
"""

from __future__ import annotations

import errno
import getpass
import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd

from footprint.vocabulary import CONTENT_COLUMNS, DECLARATION_COLUMNS

SCHEMA_VERSION = 5
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "footprint.duckdb"
LOG = logging.getLogger("footprint.store")
# How many times a write DuckDB refused for a concurrent change (nothing committed) is tried in all.
WRITE_ATTEMPTS = 6
T = TypeVar("T")


def _lock_timeout() -> float:
    """Seconds to wait for a store another process holds (FOOTPRINT_LOCK_TIMEOUT, 15 by default)."""
    try:
        return max(float(os.environ.get("FOOTPRINT_LOCK_TIMEOUT", "15")), 0.0)
    except ValueError:
        return 15.0


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
    """The store cannot be used (locked too long, newer schema, not a store, missing file…):
    French message. ``detail``: DuckDB's own words, for a debug log only (never shown to users)."""

    def __init__(self, message: str, detail: str | None = None):
        super().__init__(message)
        self.detail = detail


class StoreDamaged(StoreError):
    """The file is an Empreinte IA store (or claims to be) but is truncated or altered: refused, never written."""


class StoreWriteError(StoreError):
    """The store could not be written: full disk, read-only medium or no right to write."""


class StoreConflict(StoreError):
    """Declarations changed between the moment a user read them and the moment they were saved
    (``Store.save(expected_versions=…)``); nothing was written. ``conflicts``: id -> what the store
    holds now (``version``, ``changed_by``, ``changed_at``; None for an id the store does not hold)."""

    def __init__(self, conflicts: dict[str, dict | None], expected: dict[str, int]):
        self.conflicts = conflicts
        self.expected = expected
        super().__init__(_conflict_message(conflicts, expected))


def _when(moment: object) -> str:
    """A moment as a French reader expects it: « le 02/01/2025 à 14:03:05 » (local time)."""
    if isinstance(moment, datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone()
        return f"le {moment:%d/%m/%Y} à {moment:%H:%M:%S}"
    return "à une date inconnue"


def _conflict_message(conflicts: dict[str, dict | None], expected: dict[str, int]) -> str:
    def one(identifier: str, found: dict | None) -> str:
        if found is None:
            return f"{identifier} n'existe plus dans la base"
        return (f"{identifier} a été modifiée entre-temps par {found['changed_by']} {_when(found['changed_at'])} "
                f"(version {found['version']}, vous aviez la version {expected[identifier]})")

    parts = [one(i, f) for i, f in conflicts.items()]
    if len(parts) == 1:
        return f"la déclaration {parts[0]} ; rechargez-la et recommencez : rien n'a été enregistré."
    shown = "; ".join(parts[:10]) + (f" ; et {len(parts) - 10} autre(s)" if len(parts) > 10 else "")
    return (f"{len(parts)} déclarations ont changé depuis leur lecture : {shown}. Rechargez-les et recommencez : "
            "rien n'a été enregistré.")


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
    # Every version of each custom scenario (saving one with an existing id used to replace it for
    # good); the scenarios a version-4 file holds become their version 1.
    5: """
CREATE TABLE scenario_history (
  id VARCHAR NOT NULL,
  version INTEGER NOT NULL,
  label VARCHAR NOT NULL,
  definition VARCHAR NOT NULL,
  deleted BOOLEAN NOT NULL,
  action VARCHAR NOT NULL,
  changed_at TIMESTAMPTZ NOT NULL,
  changed_by VARCHAR NOT NULL
);
INSERT INTO scenario_history
  SELECT id, 1, label, definition, deleted, 'reprise (mise à jour du schéma)', saved_at, saved_by FROM scenarios;
""",
}
# The tables of the schema (what the integrity check reads in full when a file is first opened).
SCHEMA_TABLES = ("meta", "declarations", "declaration_history", "imports", "measurements", "scenarios",
                 "factor_overrides", "scenario_history")

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


def _is_conflict(error: Exception) -> bool:
    """DuckDB refused a transaction because another one changed the same rows (nothing committed)."""
    text = str(error).lower()
    return (isinstance(error, duckdb.TransactionException) and "no space" not in text
            and ("conflict" in text or "constraint violation" in text))


def _is_configuration_clash(error: Exception) -> bool:
    """This process already holds the file with another configuration (read-write vs read-only)."""
    return "different configuration" in str(error).lower()


_DAMAGE_MARKERS = ("corrupt", "checksum", "could not read enough bytes", "not a valid duckdb database",
                   "invalid block", "failed to read", "serialization error", "deserializ")
_DISK_FULL_MARKERS = ("no space left", "disk quota", "file too large", "not enough space")


def translate_error(error: BaseException, path: Path, writing: bool = True) -> StoreError | None:
    """The French ``StoreError`` for a DuckDB (or file system) failure a user can cause, or None
    for anything else (a bug, left as it is). DuckDB's own words go to the debug log only.
    ``writing``: whether the file was opened to be written (else only read)."""
    text = str(error)
    low = text.lower()
    number = getattr(error, "errno", None)
    LOG.debug("store %s: %s: %s", path, type(error).__name__, text)
    if number in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)) or any(m in low for m in _DISK_FULL_MARKERS):
        return StoreWriteError(
            f"Le disque où se trouve la base {path} est plein : l'enregistrement n'a pas pu se faire et rien n'a "
            "été modifié. Libérez de la place (ou demandez-le à la DSI), puis recommencez.", text)
    if number == errno.EROFS or "read-only file system" in low:
        return StoreWriteError(
            f"La base {path} est sur un support en lecture seule : rien ne peut y être enregistré. Les commandes "
            "de lecture (list, export, inventory…) restent possibles.", text)
    if (number in (errno.EACCES, errno.EPERM) or "permission denied" in low) and not writing:
        return StoreError(f"Droits insuffisants pour lire la base {path} (ou son dossier) : demandez l'accès à qui "
                          "gère ce dossier.", text)
    if number in (errno.EACCES, errno.EPERM) or "permission denied" in low:
        return StoreWriteError(
            f"Droits insuffisants sur la base {path} (ou sur son dossier) : rien n'a été modifié. Les commandes "
            "de lecture restent possibles ; pour enregistrer, demandez le droit d'écriture.", text)
    if "database has been invalidated" in low:
        return StoreError(
            f"La base {path} n'est plus utilisable dans ce programme après une erreur d'écriture précédente "
            "(disque plein ?) : relancez-le ; ce qui n'a pas été confirmé n'a pas été enregistré.", text)
    if ("version number" in low or "storage version" in low) and "duckdb" in low:
        return StoreError(
            f"La base {path} a été écrite par une version de DuckDB que cet outil ne sait pas lire : mettez "
            "Empreinte IA à jour ; la base n'a pas été modifiée.", text)
    if any(m in low for m in _DAMAGE_MARKERS) or isinstance(error, duckdb.SerializationException):
        return StoreDamaged(
            f"La base {path} est endommagée (fichier tronqué ou altéré, par exemple par une copie interrompue "
            "ou un disque défaillant) : elle n'a pas été modifiée. Restaurez-la depuis une sauvegarde, ou "
            "demandez de l'aide à la DSI en gardant ce fichier tel quel.", text)
    if isinstance(error, (duckdb.IOException, OSError)):
        return StoreError(
            f"Impossible de lire ou d'écrire la base {path} (erreur d'entrée-sortie) : rien n'a été modifié. "
            "Vérifiez le disque ou le partage réseau, puis recommencez (FOOTPRINT_DEBUG=1 pour le détail "
            "technique).", text)
    return None


# Writes of one process to one file go one at a time (threads of the dashboard): DuckDB would
# otherwise refuse all but one of two transactions that touch the same rows.
_WRITE_LOCKS: dict[str, threading.RLock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock_for(path: Path) -> threading.RLock:
    key = os.path.normcase(os.path.realpath(path))
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(key, threading.RLock())


class _Conflict(Exception):
    """DuckDB refused a transaction for a concurrent change; nothing was committed (retried)."""


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:  # no transaction left (a failed COMMIT ends it): nothing to undo
        pass


def _is_store_file(path: Path) -> bool:
    """A non-empty file (an empty one, as ``touch`` leaves, is not a store yet)."""
    try:
        return path.stat().st_size > 0
    except OSError:  # absent, or a path the system cannot even look up (too long…): no store there
        return False


class Store:
    """The inventory file. Each ``connect()`` opens it briefly, so that other processes can too.

    ``read_only``: open the file read-only (DuckDB ``read_only=True``): what the command line's
    reading commands do, so that a read-only store can still be listed and exported. Within one
    process DuckDB refuses to hold one file both ways at once: the dashboard opens read-write.
    ``create``: create the store if the file does not exist (with its folders). A library caller
    names its file in code (True by default); the command line creates one only on the default
    path or when asked (``--create``). An existing file that is not an Empreinte IA store is never
    written, whatever ``create`` says.
    """

    def __init__(self, path: Path | str | None = None, lock_timeout_s: float | None = None, *,
                 read_only: bool = False, create: bool = True):
        self.path = Path(path) if path else default_path()
        self.lock_timeout_s = _lock_timeout() if lock_timeout_s is None else lock_timeout_s
        self.read_only = read_only
        self.create = create
        self._ready = False
        self._first_use = threading.Lock()
        self._saved = threading.local()  # one handle serves every session of a dashboard: ids per thread

    @property
    def last_ids(self) -> list[str]:
        """The ids of the declarations that this thread's last ``save`` wrote (in its order)."""
        return getattr(self._saved, "ids", [])

    def exists(self) -> bool:
        """Whether the file is there (and not empty): False before a store's first use creates it."""
        return _is_store_file(self.path)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the store, checked (and created or migrated) on first use. Retries while
        another process holds the file, for at most ``lock_timeout_s`` seconds. A failure a user
        can cause (damaged file, full disk…) becomes a French ``StoreError``."""
        con = self._open()
        try:
            yield con
        except (duckdb.Error, OSError) as error:
            translated = translate_error(error, self.path, writing=not self.read_only)
            if translated is None:
                raise
            raise translated from None
        finally:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write, all or nothing: committed at the end of the block, rolled back on error.
        A block DuckDB refuses for a concurrent change ends in a French ``StoreError`` (the block
        cannot be run again from here; the store's own writes retry, see ``WRITE_ATTEMPTS``)."""
        try:
            with self._begin() as con:
                yield con
        except _Conflict as conflict:
            raise StoreError(f"La base {self.path} a été modifiée au même moment par une autre session : rien n'a "
                             "été enregistré. Recommencez.", str(conflict)) from None

    @contextmanager
    def _begin(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self.read_only:
            raise StoreError(f"La base {self.path} est ouverte en lecture seule : rien ne peut y être enregistré.")
        if not self._ready:  # first use (which may take the write lock itself) before the write lock
            self._open().close()
        lock = _write_lock_for(self.path)
        if not lock.acquire(timeout=max(self.lock_timeout_s, 1.0)):
            raise StoreError(self._busy_message())
        try:
            with self.connect() as con:
                con.execute("BEGIN TRANSACTION")
                try:
                    yield con
                    con.execute("COMMIT")
                except BaseException as error:
                    _rollback(con)
                    if _is_conflict(error):
                        raise _Conflict(str(error)) from None
                    raise
        finally:
            lock.release()

    def _write(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run ``work`` in one write transaction; a transaction DuckDB refuses for a concurrent
        change (nothing committed) is run again from the start, at most ``WRITE_ATTEMPTS`` times."""
        delay = 0.01
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                with self._begin() as con:
                    return work(con)
            except _Conflict as conflict:
                detail = str(conflict)
                LOG.debug("store %s: concurrent change, attempt %d of %d: %s", self.path, attempt, WRITE_ATTEMPTS,
                          detail)
                if attempt < WRITE_ATTEMPTS:
                    time.sleep(delay * (1 + random.random()))
                    delay = min(delay * 2, 0.5)
        raise StoreError(f"La base {self.path} est modifiée au même moment par d'autres sessions : l'enregistrement "
                         f"n'a pas pu se faire après {WRITE_ATTEMPTS} essais et rien n'a été enregistré. Réessayez "
                         "dans un instant.", detail)

    def _busy_message(self) -> str:
        return (f"La base {self.path} est occupée par un autre programme (tableau de bord, import ou mesure en "
                f"cours) depuis plus de {self.lock_timeout_s:g} s. Réessayez dans un instant ; aucune donnée n'a "
                "été modifiée.")

    # -- opening -----------------------------------------------------------------------------

    def _open(self) -> duckdb.DuckDBPyConnection:
        if self._ready:
            return self._connect(self.read_only)
        with self._first_use:
            if self._ready:
                return self._connect(self.read_only)
            con = self._prepare()
            self._ready = True
            return con

    def _prepare(self) -> duckdb.DuckDBPyConnection:
        """First use: refuse what is not a store, create a new one if allowed, check that an
        existing one is whole, upgrade an older one; returns a connection in the store's mode."""
        if self.path.is_dir():
            raise StoreError(f"{self.path} est un dossier : indiquez le fichier de la base (….duckdb).")
        if not _is_store_file(self.path):
            if not self.create:
                if self.path.exists():
                    raise StoreError(f"{self.path} est un fichier vide, pas une base Empreinte IA : vérifiez le "
                                     "chemin. Il n'a pas été modifié.")
                raise StoreError(f"La base {self.path} n'existe pas : vérifiez le chemin. Aucune base n'a été créée.")
            self._create()
            return self._connect(self.read_only)
        try:
            with self.path.open("rb") as handle:
                head = handle.read(16)
        except OSError as error:
            raise translate_error(error, self.path, writing=False) or StoreError(
                f"Impossible de lire la base {self.path}.", str(error)) from None
        if b"DUCK" not in head:  # DuckDB files carry this magic at offset 8
            raise StoreError(f"{self.path} n'est pas une base DuckDB d'Empreinte IA (un CSV ou un classeur ?) : "
                             "il n'a pas été modifié. Indiquez un fichier .duckdb.")
        # A write-ahead log beside a file not yet identified is read without being applied to it.
        cautious = self.read_only or Path(f"{self.path}.wal").exists()
        con = self._connect(cautious)
        try:
            version = self._identify(con)
            self._verify(con)
            if version < SCHEMA_VERSION:
                if cautious:
                    con.close()
                    con = self._connect(False)
                with self._migration_lock():
                    self._migrate(con)
                if self.read_only:
                    con.close()
                    con = self._connect(True)
            elif cautious and not self.read_only:
                con.close()
                con = self._connect(False)
        except (duckdb.Error, OSError) as error:
            con.close()
            raise translate_error(error, self.path, writing=not self.read_only) or StoreError(
                f"Le fichier {self.path} n'est pas une base Empreinte IA lisible : il n'a pas été modifié "
                "(FOOTPRINT_DEBUG=1 pour le détail technique).", str(error)) from None
        except BaseException:
            con.close()
            raise
        return con

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        """Creating or upgrading the schema is a write: one at a time in this process."""
        lock = _write_lock_for(self.path)
        if not lock.acquire(timeout=max(self.lock_timeout_s, 1.0)):
            raise StoreError(self._busy_message())
        try:
            yield
        finally:
            lock.release()

    def _create(self) -> None:
        """A new store, created under a temporary name and published whole (never half a schema
        under the real name; two processes creating it at once end with one store)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise translate_error(error, self.path) or StoreError(
                f"Impossible de créer le dossier de la base {self.path} : vérifiez le chemin.", str(error)) from None
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}-{random.randrange(1 << 30)}.creation")
        try:
            con = self._connect(False, temporary)
            try:
                with self._migration_lock():
                    self._migrate(con)
            finally:
                con.close()
            Path(f"{temporary}.wal").unlink(missing_ok=True)  # closing checkpoints it: normally absent
            try:
                os.link(temporary, self.path)  # never replaces a store another process just created
            except FileExistsError:
                if not _is_store_file(self.path):  # an empty file (``touch``): the new store replaces it
                    os.replace(temporary, self.path)
            except OSError:  # a file system without hard links
                if not _is_store_file(self.path):
                    os.replace(temporary, self.path)
        except (duckdb.Error, OSError) as error:
            translated = translate_error(error, self.path)
            if translated is None:
                raise
            raise translated from None
        finally:
            for leftover in (temporary, Path(f"{temporary}.wal")):
                leftover.unlink(missing_ok=True)

    def _connect(self, read_only: bool, path: Path | None = None) -> duckdb.DuckDBPyConnection:
        path = path or self.path
        deadline = time.monotonic() + self.lock_timeout_s
        delay = 0.02
        while True:
            try:
                return duckdb.connect(str(path), read_only=read_only)
            except duckdb.Error as error:
                if read_only and _is_configuration_clash(error):
                    # This process already holds the file read-write (the dashboard's own threads):
                    # reading through that is safe, and DuckDB allows nothing else.
                    read_only = False
                    continue
                if isinstance(error, duckdb.IOException) and _is_lock_error(error):
                    if time.monotonic() >= deadline:
                        raise StoreError(self._busy_message(), str(error)) from None
                    time.sleep(delay * (1 + random.random()))
                    delay = min(delay * 2, 0.5)
                    continue
                translated = translate_error(error, self.path, writing=not read_only)
                if translated is None:
                    translated = StoreError(
                        f"Le fichier {self.path} n'est pas une base Empreinte IA lisible : il n'a pas été modifié "
                        "(FOOTPRINT_DEBUG=1 pour le détail technique).", str(error))
                raise translated from None
            except UnicodeError as error:
                raise StoreError(f"Le chemin de la base {self.path!r} contient des caractères illisibles (pas de "
                                 "l'UTF-8) : renommez le fichier ou son dossier.", str(error)) from None

    def _identify(self, con: duckdb.DuckDBPyConnection) -> int:
        """The schema version of an existing file; ``StoreError`` for a DuckDB file of another
        application (no ``meta`` table) or one from a newer version of Empreinte IA."""
        tables = {row[0] for row in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main'").fetchall()}
        if "meta" not in tables:
            raise StoreError(
                f"{self.path} est une base DuckDB, mais pas une base Empreinte IA (pas de table « meta » avec "
                "la version du schéma) : elle n'a pas été modifiée. Vérifiez le chemin (--db) ; pour une nouvelle "
                "base, indiquez un fichier qui n'existe pas encore.")
        row = (con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall() or [None])[0]
        try:
            version = int(row[0]) if row else 0
        except (TypeError, ValueError):
            raise StoreDamaged(f"La base {self.path} a une version de schéma illisible (« {row[0]} ») : elle n'a pas "
                               "été modifiée.") from None
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"La base {self.path} a été créée par une version plus récente d'Empreinte IA (schéma {version}, "
                f"cette version connaît le schéma {SCHEMA_VERSION}). Mettez l'outil à jour ; la base n'a pas été "
                "modifiée.")
        return version

    def _verify(self, con: duckdb.DuckDBPyConnection) -> None:
        """Read every column of every table once: DuckDB checks each block it reads, so a truncated
        or altered file is found now, before anything is written (a few ms per 10 000 rows)."""
        tables = [row[0] for row in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main'").fetchall() if row[0] in SCHEMA_TABLES]
        for table in tables:
            con.execute(f'SELECT bit_xor(hash(COLUMNS(*))) FROM "{table}"').fetchall()

    def _migrate(self, con: duckdb.DuckDBPyConnection) -> None:
        """Bring the schema to ``SCHEMA_VERSION``, one transaction per migration (re-reading the
        version inside it: another process may have upgraded the file meanwhile)."""
        while True:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
                row = (con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall() or [None])[0]
                version = int(row[0]) if row else 0
                if version >= SCHEMA_VERSION:
                    con.execute("COMMIT")
                    return
                con.execute(MIGRATIONS[version + 1])
                con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(version + 1)])
                con.execute("COMMIT")
            except BaseException:
                _rollback(con)
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

    def scenario_history(self, identifier: str | None = None) -> pd.DataFrame:
        """Every version of one custom scenario (or of all): id, version, label, definition (its
        TOML), deleted, action, changed_at, changed_by; oldest first."""
        where, params = ("WHERE id = ?", [identifier]) if identifier else ("", [])
        with self.connect() as con:
            return con.execute(f"SELECT * FROM scenario_history {where} ORDER BY id, version", params).df()

    def save_scenario(self, identifier: str, label: str, definition: str, user: str | None = None) -> int:
        """Save a custom scenario's TOML definition; returns its version. Saving over an existing
        id makes a new version (the previous ones stay in ``scenario_history``); saving the same
        label and definition again changes nothing."""
        user = user or current_user()

        def work(con: duckdb.DuckDBPyConnection) -> int:
            stored = con.execute("SELECT label, definition, deleted FROM scenarios WHERE id = ?",
                                 [identifier]).fetchall()
            version = con.execute("SELECT coalesce(max(version), 0) FROM scenario_history WHERE id = ?",
                                  [identifier]).fetchall()[0][0]
            if stored and tuple(stored[0]) == (label, definition, False):
                return int(version)
            if stored:
                con.execute("UPDATE scenarios SET label = ?, definition = ?, deleted = false, saved_at = now(), "
                            "saved_by = ? WHERE id = ?", [label, definition, user, identifier])
                action = "restauration" if stored[0][2] else "modification"
            else:
                con.execute("INSERT INTO scenarios VALUES (?, ?, ?, false, now(), ?)",
                            [identifier, label, definition, user])
                action = "création"
            con.execute("INSERT INTO scenario_history VALUES (?, ?, ?, ?, false, ?, now(), ?)",
                        [identifier, version + 1, label, definition, action, user])
            return int(version) + 1

        return self._write(work)

    def delete_scenario(self, identifier: str, user: str | None = None) -> bool:
        """Soft-delete a custom scenario (its versions stay in the history); False if there is none."""
        user = user or current_user()

        def work(con: duckdb.DuckDBPyConnection) -> bool:
            found = con.execute("SELECT count(*) FROM scenarios WHERE id = ? AND NOT deleted",
                                [identifier]).fetchall()[0][0]
            if found:
                con.execute("UPDATE scenarios SET deleted = true WHERE id = ?", [identifier])
                con.execute("""INSERT INTO scenario_history
                    SELECT id, (SELECT coalesce(max(version), 0) + 1 FROM scenario_history WHERE id = ?), label,
                           definition, true, 'suppression', now(), ? FROM scenarios WHERE id = ?""",
                            [identifier, user, identifier])
            return bool(found)

        return self._write(work)

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

        def work(con: duckdb.DuckDBPyConnection) -> list[str]:
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

        return self._write(work)

    def delete_factor_override(self, identifier: str, user: str | None = None) -> bool:
        """Soft-delete an override (it stays in the history); False when there is no active one."""
        def work(con: duckdb.DuckDBPyConnection) -> bool:
            found = con.execute("SELECT count(*) FROM factor_overrides WHERE id = ? AND NOT deleted",
                                [identifier]).fetchall()[0][0]
            con.execute("UPDATE factor_overrides SET deleted = true, deleted_at = now(), deleted_by = ? "
                        "WHERE id = ? AND NOT deleted", [user or current_user(), identifier])
            return bool(found)

        return self._write(work)

    # -- writing -----------------------------------------------------------------------------

    def save(self, declarations: pd.DataFrame, *, action: str = "saisie", import_record: dict | None = None,
             user: str | None = None, columns: list[str] | None = None,
             expected_versions: dict[str, int] | None = None) -> dict[str, int]:
        """Create or update declarations in one transaction; returns the counts by outcome.

        ``declarations``: validated rows with the store's columns (``id`` empty for new ones,
        which get the next ``IA-nnnnn`` number). A row equal to the stored one changes nothing;
        a different one (or a deleted one) gets a new version, the previous one stays in the
        history. ``import_record`` (file name, hash, kind) is written with the same transaction.
        ``columns``: the columns the source really had (a file without ``commentaire``, say):
        for declarations that exist, the other columns keep their stored values. The ids saved
        are in ``last_ids`` afterwards.
        ``expected_versions``: id -> the version the user read (a form, a table editor, the
        command line's ``--id``). Checked inside the write transaction: if any declaration now
        has another version (someone saved or deleted it meanwhile), ``StoreConflict`` says who
        and when, and nothing is written.
        """
        user = user or current_user()
        expected = {str(k): int(v) for k, v in (expected_versions or {}).items()}

        def work(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, int], list[str]]:
            if expected:
                _check_versions(con, expected)
            return _save(con, declarations, action, import_record, user, columns)

        counts, self._saved.ids = self._write(work)
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

        def work(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
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
            updated = declarations.copy()
            updated["energy_kwh"] = updated["id"].map(totals)
            counts, _ = _save(con, updated, "mesure", None, user)
            return {"runs": int(added), "updated_runs": int(longer), **counts}

        return self._write(work)

    def delete(self, ids: list[str], user: str | None = None) -> int:
        """Soft-delete declarations (they stay in the history and can be restored). Returns how many."""
        return self._set_deleted(ids, True, "suppression", user)

    def restore(self, ids: list[str], user: str | None = None) -> int:
        return self._set_deleted(ids, False, "restauration", user)

    def _set_deleted(self, ids: list[str], deleted: bool, action: str, user: str | None) -> int:
        user = user or current_user()

        def work(con: duckdb.DuckDBPyConnection) -> int:
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

        return self._write(work)


def _check_versions(con: duckdb.DuckDBPyConnection, expected: dict[str, int]) -> None:
    """``StoreConflict`` unless every declaration of ``expected`` (id -> version read) still has
    that version; called inside the write transaction, so that nothing can change in between."""
    rows = con.execute("SELECT id, version, updated_by, updated_at FROM declarations "
                       "WHERE id IN (SELECT unnest(?::VARCHAR[]))", [list(expected)]).fetchall()
    found = {row[0]: {"version": int(row[1]), "changed_by": row[2], "changed_at": row[3]} for row in rows}
    conflicts = {identifier: found.get(identifier) for identifier, version in expected.items()
                 if identifier not in found or found[identifier]["version"] != version}
    if conflicts:
        raise StoreConflict(conflicts, expected)


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
