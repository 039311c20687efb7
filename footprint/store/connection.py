"""Opening the inventory file: where it is, what counts as a store, short-lived connections and
one transaction per write.

Owns: the file's path (``data/footprint.duckdb``, ``FOOTPRINT_DB`` or an explicit path) and who
writes (``FOOTPRINT_USER`` or the login name); ``StoreFile``, the part of ``Store`` that opens the
file: on first use it refuses what is not a store (a directory, an empty file, a CSV, a DuckDB
file of another application: left byte-identical), creates a new store only when asked
(``create=True``, published whole under its real name), checks that an existing one is whole and
upgrades an older one (``schema``); DuckDB lets one process hold the file, so a process that finds
it locked retries for a bounded time (``FOOTPRINT_LOCK_TIMEOUT``), then says so in French;
readers may open it read-only; writes of one process are serialised per file (a lock per path)
and a transaction DuckDB refuses for a concurrent change is retried ``WRITE_ATTEMPTS`` times.
Every failure a user can cause becomes a French ``StoreError`` (``errors``).

Must not: know the records (declarations, measurements, scenarios, overrides: their modules).
"""

from __future__ import annotations

import getpass
import os
import random
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb

from footprint.store.errors import LOG, StoreError, translate_error, unreadable
from footprint.store.schema import SCHEMA_VERSION, identify, migrate, rollback, verify

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "footprint.duckdb"
# How many times a write DuckDB refused for a concurrent change (nothing committed) is tried in all.
WRITE_ATTEMPTS = 6
T = TypeVar("T")


def default_path() -> Path:
    return Path(os.environ.get("FOOTPRINT_DB") or DEFAULT_PATH)


def current_user() -> str:
    try:
        return os.environ.get("FOOTPRINT_USER") or getpass.getuser()
    except Exception:  # no login name (some containers): stay usable
        return "inconnu"


def _lock_timeout() -> float:
    """Seconds to wait for a store another process holds (FOOTPRINT_LOCK_TIMEOUT, 15 by default)."""
    try:
        return max(float(os.environ.get("FOOTPRINT_LOCK_TIMEOUT", "15")), 0.0)
    except ValueError:
        return 15.0


def _is_lock_error(error: Exception) -> bool:
    text = str(error).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def _is_conflict(error: BaseException) -> bool:
    """DuckDB refused a transaction because another one changed the same rows (nothing committed)."""
    text = str(error).lower()
    return (isinstance(error, duckdb.TransactionException) and "no space" not in text
            and ("conflict" in text or "constraint violation" in text))


def _is_configuration_clash(error: Exception) -> bool:
    """This process already holds the file with another configuration (read-write vs read-only)."""
    return "different configuration" in str(error).lower()


def _is_store_file(path: Path) -> bool:
    """A non-empty file (an empty one, as ``touch`` leaves, is not a store yet)."""
    try:
        return path.stat().st_size > 0
    except OSError:  # absent, or a path the system cannot even look up (too long…): no store there
        return False


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


class _FirstUse:
    """Whether a handle's file was checked (created, verified, migrated) already, and the lock of that check."""

    def __init__(self):
        self.lock = threading.Lock()
        self.done = False


class StoreFile:
    """Opening, locking and transactions of the inventory file: the base of ``Store``, whose
    docstring says what ``read_only`` and ``create`` mean."""

    def __init__(self, path: Path | str | None = None, lock_timeout_s: float | None = None, *,
                 read_only: bool = False, create: bool = True):
        self.path = Path(path) if path else default_path()
        self.lock_timeout_s = _lock_timeout() if lock_timeout_s is None else lock_timeout_s
        self.read_only = read_only
        self.create = create
        # Shared by the views of one file that ``Store.acting`` makes: the first use is done once.
        self._first = _FirstUse()

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

    def schema_version(self) -> int:
        with self.connect() as con:
            return int(con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()[0][0])

    # -- writing -----------------------------------------------------------------------------

    @contextmanager
    def _begin(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self.read_only:
            raise StoreError(f"La base {self.path} est ouverte en lecture seule : rien ne peut y être enregistré.")
        if not self._first.done:  # first use (which may take the write lock itself) before the write lock
            self._open().close()
        with self._write_lock():
            with self.connect() as con:
                con.execute("BEGIN TRANSACTION")
                try:
                    yield con
                    con.execute("COMMIT")
                except BaseException as error:
                    rollback(con)
                    if _is_conflict(error):
                        raise _Conflict(str(error)) from None
                    raise

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

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        """This process's writes to the file, one at a time (a write, a creation or an upgrade)."""
        lock = _write_lock_for(self.path)
        if not lock.acquire(timeout=max(self.lock_timeout_s, 1.0)):
            raise StoreError(self._busy_message())
        try:
            yield
        finally:
            lock.release()

    def _busy_message(self) -> str:
        waited = f"{self.lock_timeout_s:g}".replace(".", ",")  # « 0,5 s », the French way
        return (f"La base {self.path} est occupée par un autre programme (tableau de bord, import ou mesure en "
                f"cours) depuis plus de {waited} s. Réessayez dans un instant ; aucune donnée n'a été modifiée.")

    # -- opening -----------------------------------------------------------------------------

    def _open(self) -> duckdb.DuckDBPyConnection:
        if self._first.done:
            return self._connect(self.read_only)
        with self._first.lock:
            if self._first.done:
                return self._connect(self.read_only)
            con = self._prepare()
            self._first.done = True
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
            version = identify(con, self.path)
            verify(con)
            if version < SCHEMA_VERSION:
                if cautious:
                    con.close()
                    con = self._connect(False)
                with self._write_lock():
                    self._keep_before_migration(con, version)
                    migrate(con)
                if self.read_only:
                    con.close()
                    con = self._connect(True)
            elif cautious and not self.read_only:
                con.close()
                con = self._connect(False)
        except (duckdb.Error, OSError) as error:
            con.close()
            raise (translate_error(error, self.path, writing=not self.read_only)
                   or unreadable(self.path, error)) from None
        except BaseException:
            con.close()
            raise
        return con

    def before_migration_path(self, version: int) -> Path:
        """Where the file as it stood at schema ``version`` is kept when it is first upgraded."""
        return self.path.with_name(f"{self.path.stem}.avant-migration-v{version}{self.path.suffix or '.duckdb'}")

    def _keep_before_migration(self, con: duckdb.DuckDBPyConnection, version: int) -> None:
        """Copy the file beside itself before the first migration from ``version`` (checkpointed, so
        that the copy is whole): an upgrade can always be undone by hand. An earlier copy is kept;
        a copy that cannot be written stops the upgrade (nothing changed)."""
        kept = self.before_migration_path(version)
        if kept.exists():
            return
        temporary = kept.with_name(f".{kept.name}.{os.getpid()}.copie")
        try:
            con.execute("CHECKPOINT")
            shutil.copyfile(self.path, temporary)
            os.replace(temporary, kept)
        except (duckdb.Error, OSError) as error:
            temporary.unlink(missing_ok=True)
            raise StoreError(f"La base {self.path} est au schéma {version} et doit être mise à jour, mais sa copie de "
                             f"sécurité {kept} n'a pas pu être écrite ; la base n'a pas été modifiée. Libérez de la "
                             "place ou donnez le droit d'écrire dans son dossier.", str(error)) from None
        LOG.info("store %s: schema %d kept as %s before its upgrade", self.path, version, kept)

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
                with self._write_lock():
                    migrate(con)
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
                raise (translate_error(error, self.path, writing=not read_only)
                       or unreadable(self.path, error)) from None
            except UnicodeError as error:
                raise StoreError(f"Le chemin de la base {self.path!r} contient des caractères illisibles (pas de "
                                 "l'UTF-8) : renommez le fichier ou son dossier.", str(error)) from None
