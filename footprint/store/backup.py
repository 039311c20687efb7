"""Backups of the inventory file, and putting one back in place.

Owns: ``backup`` (a whole, checked copy of the store in a folder, named
``empreinte-AAAAMMJJ-HHMMSS.duckdb`` after the UTC moment, taken while a dashboard or an import
may be writing), ``restore`` (a backup back in place of the store, the replaced file kept beside
it as ``<nom>.avant-restauration-AAAAMMJJ-HHMMSS.duckdb``) and ``contents`` (what a backup holds:
its schema version and the rows of each table).

How a copy stays whole while others write: the store is opened through ``StoreFile`` (so a
process holding it is waited for, then reported in French), and one transaction counts the rows
of every table and copies the whole database (``COPY FROM DATABASE``) into a new DuckDB file:
DuckDB's snapshot isolation gives both the state of one moment, whatever commits meanwhile. The
copy is written under a temporary name, closed, opened again and checked (the same schema
version, the same rows and content of every table), and only then published under its name,
never over an existing file.

How a restore cannot be mixed with a running server: the backup is checked (an Empreinte IA
store, not newer than this program, readable in full) and brought to the current schema on a
private copy (the backup itself is never written). The current store is then opened read-write
through ``StoreFile``, which DuckDB grants one process at a time: a dashboard or an import is
waited for (``FOOTPRINT_LOCK_TIMEOUT``), else the restore is refused in French with nothing
changed. While it is held, the store is checkpointed and its file copied aside, then one
transaction drops its tables and copies the backup's in (``COPY FROM DATABASE``), checked against
the backup before it commits: the file stays the same file, so whoever opens it next, in any
process, sees either the old store or the restored one, never a mix. Only a damaged store (which
no program can open) is replaced as a file.

Must not: know the records (their modules) or print anything (``cli.backup`` does).
"""

from __future__ import annotations

import errno
import os
import random
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from footprint.store.connection import StoreFile
from footprint.store.errors import LOG, StoreDamaged, StoreError, StoreWriteError, translate_error, unreadable
from footprint.store.schema import SCHEMA_TABLES, identify, migrate, stored_version, verify

BACKUP_PREFIX = "empreinte-"
# The name a copy is attached under while it is written (a DuckDB identifier, not a file name).
_TARGET = "empreinte_sauvegarde"


@dataclass(frozen=True)
class StoreContents:
    """What a store file holds: its schema version, its size [bytes] and the rows of each of the
    store's tables (``schema.SCHEMA_TABLES`` that the file has, in that order)."""

    path: Path
    schema_version: int
    size_bytes: int
    rows: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


# -- reading a file no one holds (a backup) -------------------------------------------------

def _fingerprints(con: duckdb.DuckDBPyConnection, database: str | None = None) -> dict[str, tuple[int, int]]:
    """table -> (rows, a hash of its whole content), for the store's tables in ``database`` (the
    connection's own by default), read in the connection's current transaction."""
    catalog = database or con.execute("SELECT current_database()").fetchone()[0]
    present = {row[0] for row in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main'",
        [catalog]).fetchall()}
    quoted = catalog.replace('"', '""')
    # A sum of row hashes (not a xor: two equal rows would cancel out); the alias is no column's name.
    return {table: tuple(con.execute(f'SELECT count(*), coalesce(sum(hash(fingerprinted_row)), 0) '
                                     f'FROM "{quoted}".main."{table}" AS fingerprinted_row').fetchone())
            for table in SCHEMA_TABLES if table in present}


def _open_file(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a store file that is not the live store (a backup, a copy being
    checked): what is not a DuckDB file is refused in French before DuckDB reads it."""
    if path.is_dir():
        raise StoreError(f"{path} est un dossier : indiquez le fichier de la sauvegarde (….duckdb).")
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except FileNotFoundError:
        raise StoreError(f"Le fichier {path} n'existe pas : vérifiez le chemin. Rien n'a été modifié.") from None
    except OSError as error:
        raise translate_error(error, path, writing=False) or unreadable(path, error) from None
    if b"DUCK" not in head:  # DuckDB files carry this magic at offset 8
        raise StoreError(f"{path} n'est pas une base Empreinte IA (ce n'est pas un fichier DuckDB : un CSV, un "
                         "classeur, un fichier vide ?) : rien n'a été modifié.")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        raise translate_error(error, path, writing=False) or unreadable(path, error) from None


def _checked(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[int, dict[str, tuple[int, int]]]:
    """The schema version and the fingerprints of an open store file, after refusing what is not an
    Empreinte IA store, one of a newer version, or a damaged one (every block is read)."""
    try:
        version = identify(con, path)
        verify(con)
        return version, _fingerprints(con)
    except (duckdb.Error, OSError) as error:
        raise translate_error(error, path, writing=False) or unreadable(path, error) from None


def contents(path: Path | str) -> StoreContents:
    """What the store file ``path`` holds (a backup: a file no program holds open), read-only and
    without upgrading it. ``StoreError`` (French) for what is not a readable Empreinte IA store."""
    path = Path(path)
    con = _open_file(path)
    try:
        version, prints = _checked(con, path)
    finally:
        con.close()
    return StoreContents(path, version, path.stat().st_size, {table: rows for table, (rows, _) in prints.items()})


# -- names ----------------------------------------------------------------------------------

def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d-%H%M%S")


def _free_name(folder: Path, stem: str) -> Path:
    """``folder/stem.duckdb``, or ``stem-2.duckdb``, ``stem-3.duckdb``… when it is taken (two copies
    in the same second): a name no file has. Publishing still never replaces a file (``_publish``)."""
    candidate, number = folder / f"{stem}.duckdb", 1
    while candidate.exists() or Path(f"{candidate}.wal").exists():
        number += 1
        candidate = folder / f"{stem}-{number}.duckdb"
    return candidate


def _temporary(beside: Path, purpose: str) -> Path:
    return beside.with_name(f".{beside.name}.{os.getpid()}-{random.randrange(1 << 30)}.{purpose}")


def _remove(*paths: Path) -> None:
    for path in paths:
        for leftover in (path, Path(f"{path}.wal")):
            try:
                leftover.unlink(missing_ok=True)
            except OSError as error:  # a leftover temporary file is not worth a second failure
                LOG.debug("backup: could not remove %s: %s", leftover, error)


def _folder_error(folder: Path, error: OSError, role: str) -> StoreError:
    """The French ``StoreError`` for a folder (``role``: « des sauvegardes », « de la base ») that
    could not be made or written."""
    if isinstance(error, (FileExistsError, NotADirectoryError)):
        return StoreError(f"{folder} n'est pas un dossier : indiquez le dossier {role}. Rien n'a été écrit.",
                          str(error))
    number = getattr(error, "errno", None)
    if number in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        reason = "le disque est plein"
    elif number == errno.EROFS:
        reason = "le support est en lecture seule"
    elif number in (errno.EACCES, errno.EPERM):
        reason = "droits insuffisants"
    else:
        reason = f"erreur {errno.errorcode.get(number, number)} du système"
    return StoreWriteError(f"Le dossier {role} {folder} n'a pas pu être créé ou écrit ({reason}) : rien n'a été écrit.",
                           str(error))


def _alias(con: duckdb.DuckDBPyConnection, wanted: str) -> str:
    """A name to attach a second file under that no database of ``con`` has (the store's own name
    is its file's stem, which could be anything)."""
    taken = {row[0] for row in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
    alias, number = wanted, 1
    while alias in taken:
        number += 1
        alias = f"{wanted}_{number}"
    return alias


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _sql_text(path: Path) -> str:
    """``path`` inside a SQL string literal (ATTACH takes no parameter)."""
    return "'" + str(path).replace("'", "''") + "'"


def _rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:  # already ended (a failed COMMIT)
        pass


def _detach_quietly(con: duckdb.DuckDBPyConnection, alias: str) -> None:
    try:
        con.execute(f"DETACH DATABASE IF EXISTS {_quoted(alias)}")
    except duckdb.Error as error:  # the connection is closed right after: DuckDB lets the file go then
        LOG.debug("backup: could not detach %s: %s", alias, error)


# -- backup ---------------------------------------------------------------------------------

def backup(store_path: Path | str | None, out_dir: Path | str, *, lock_timeout_s: float | None = None,
           now: datetime | None = None) -> Path:
    """Copy the store ``store_path`` (the default store when None) into ``out_dir`` (created if
    missing) as ``empreinte-AAAAMMJJ-HHMMSS.duckdb`` (UTC, ``now`` or the current moment; ``-2``,
    ``-3``… when that name is taken: an existing file is never replaced). The copy holds the
    store as it stood at one moment, even while other sessions write; it is checked (same schema
    version, same rows and content of every table) before it gets its name. Returns its path.

    ``StoreError`` (French) and nothing written in ``out_dir`` when the store cannot be read (busy
    longer than ``lock_timeout_s``, missing, not a store, damaged) or the copy cannot be written."""
    store = StoreFile(store_path, lock_timeout_s, read_only=True, create=False)
    folder = Path(out_dir)
    stem = BACKUP_PREFIX + _stamp(now or datetime.now(UTC))
    shown = folder / f"{stem}.duckdb"  # the name errors give: the temporary one means nothing to a user
    temporary = _temporary(shown, "copie")
    try:
        expected = _copy(store, folder, temporary, shown)
        _check_copy(temporary, shown, expected)
        final = _publish(temporary, folder, stem)
    except OSError as error:
        raise translate_error(error, shown) or _folder_error(folder, error, "des sauvegardes") from None
    finally:
        _remove(temporary)
    LOG.info("store %s: backed up to %s", store.path, final)
    return final


def _make_folder(folder: Path, role: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not folder.is_dir():
            raise NotADirectoryError(str(folder))
    except OSError as error:
        raise _folder_error(folder, error, role) from None


def _copy(store: StoreFile, folder: Path, target: Path, shown: Path) -> tuple[int, dict[str, tuple[int, int]]]:
    """Copy ``store`` into the new file ``target`` in one transaction; returns the schema version
    and the fingerprints of the state copied, read in that same transaction. ``folder`` is made
    once the store is known to be one (a mistyped --db leaves no empty folder behind)."""
    with store.connect() as con:  # waits for another process; checks (and upgrades) the store on first use
        _make_folder(folder, "des sauvegardes")
        source = con.execute("SELECT current_database()").fetchone()[0]
        alias = _alias(con, "empreinte_sauvegarde")
        con.execute("BEGIN TRANSACTION")
        try:
            # The first read fixes the snapshot: the fingerprints and the copy see one committed state.
            expected = int(stored_version(con)[0]), _fingerprints(con, source)
            try:
                # READ_WRITE: the store itself may be open read-only, the copy is written all the same.
                con.execute(f"ATTACH {_sql_text(target)} AS {_quoted(alias)} (READ_WRITE)")
                con.execute(f"COPY FROM DATABASE {_quoted(source)} TO {_quoted(alias)}")
                con.execute("COMMIT")
                con.execute(f"DETACH {_quoted(alias)}")  # closes the copy: checkpointed, no log left beside it
            except (duckdb.Error, OSError) as error:
                raise translate_error(error, shown) or StoreWriteError(
                    f"La sauvegarde {shown} n'a pas pu être écrite : rien n'a été gardé (FOOTPRINT_DEBUG=1 pour le "
                    "détail technique).", str(error)) from None
        except BaseException:
            _rollback_quietly(con)
            _detach_quietly(con, alias)
            raise
    return expected


def _check_copy(copy: Path, shown: Path, expected: tuple[int, dict[str, tuple[int, int]]]) -> None:
    """Open the finished copy again and compare it with what was read while copying."""
    if Path(f"{copy}.wal").exists():
        raise StoreWriteError(f"La sauvegarde {shown} n'a pas été refermée proprement (un journal DuckDB est resté à "
                              "côté) : elle n'a pas été gardée. Recommencez.")
    con = _open_file(copy)
    try:
        found = _checked(con, shown)
    finally:
        con.close()
    _compare(found, expected, f"La sauvegarde {shown} ne correspond pas à la base", "elle n'a pas été gardée")


def _compare(found: tuple[int, dict], expected: tuple[int, dict], what: str, outcome: str) -> None:
    if found == expected:
        return
    differing = sorted(t for t in set(found[1]) | set(expected[1]) if found[1].get(t) != expected[1].get(t))
    raise StoreError(f"{what} (différences : {', '.join(differing) or 'version du schéma'}) : {outcome}. "
                     "Recommencez ; si cela se reproduit, gardez les fichiers tels quels et demandez de l'aide à la "
                     "DSI.", f"expected {expected}, found {found}")


def _publish(temporary: Path, folder: Path, stem: str) -> Path:
    """Give the finished ``temporary`` file a free name in ``folder`` in one step, never replacing
    a file that appeared meanwhile (a hard link fails on an existing name)."""
    while True:
        final = _free_name(folder, stem)
        try:
            os.link(temporary, final)
        except FileExistsError:
            continue
        except OSError:  # a file system without hard links (some network shares)
            if final.exists():
                continue
            os.replace(temporary, final)
            return final
        temporary.unlink()
        return final


# -- restore --------------------------------------------------------------------------------

def restore(backup_file: Path | str, store_path: Path | str | None, *, lock_timeout_s: float | None = None,
            now: datetime | None = None) -> Path | None:
    """Put the backup ``backup_file`` in place of the store ``store_path`` (the default store when
    None). The backup must be an Empreinte IA store, readable in full, of this program's schema or
    an older one (brought to the current schema on the way; the backup file itself is left as it
    is). The current store, if there is one, is kept beside it as
    ``<nom>.avant-restauration-AAAAMMJJ-HHMMSS.duckdb`` (UTC, ``now`` or the current moment);
    returns that path (None when there was no store). ``StoreError`` (French) and nothing changed
    when the backup is refused, when the current file is not an Empreinte IA store, or when another
    program holds the store for longer than ``lock_timeout_s``."""
    source = Path(backup_file)
    store = StoreFile(store_path, lock_timeout_s, create=False)
    target = store.path
    if target.is_dir():
        raise StoreError(f"{target} est un dossier : indiquez le fichier de la base à remplacer (….duckdb). Rien n'a "
                         "été modifié.")
    if _same_file(source, target):
        raise StoreError(f"{source} est la base elle-même, pas une sauvegarde : rien n'a été modifié.")
    contents(source)  # refused here, before anything is written beside the store
    _make_folder(target.parent, "de la base")
    staged = _temporary(target, "restauration")
    try:
        expected = _stage(source, staged)
        if store.exists():
            kept = _replace_contents(store, staged, expected, now or datetime.now(UTC))
        else:
            _place_new(staged, target)
            kept = None
    except OSError as error:
        raise translate_error(error, target) or unreadable(target, error) from None
    finally:
        _remove(staged)
    LOG.info("store %s: restored from %s (previous file kept as %s)", target, source, kept)
    return kept


def _same_file(first: Path, second: Path) -> bool:
    try:
        return first.exists() and second.exists() and first.samefile(second)
    except OSError:
        return False


def _stage(source: Path, staged: Path) -> tuple[int, dict[str, tuple[int, int]]]:
    """A private copy of the backup beside the store, checked and brought to the current schema
    (the backup may change or vanish meanwhile, and is never written); returns its schema version
    and fingerprints, what the store must hold once restored."""
    shutil.copyfile(source, staged)
    con = _open_file(staged)
    try:
        _checked(con, source)
    finally:
        con.close()
    try:
        con = duckdb.connect(str(staged))
    except duckdb.Error as error:
        raise translate_error(error, staged) or unreadable(source, error) from None
    try:
        migrate(con)  # a private file, no other writer: an older backup gets the current tables
        con.execute("CHECKPOINT")
    except (duckdb.Error, OSError) as error:
        raise translate_error(error, staged) or unreadable(source, error) from None
    finally:
        con.close()
    con = _open_file(staged)
    try:
        return _checked(con, source)
    finally:
        con.close()


def _place_new(staged: Path, target: Path) -> None:
    """No store yet (a new machine): the staged copy becomes the store, unless one appeared meanwhile."""
    if Path(f"{target}.wal").exists():
        raise StoreError(f"Un journal DuckDB {target}.wal est resté sans sa base : déplacez-le, puis recommencez. Rien "
                         "n'a été modifié.")
    try:
        os.link(staged, target)
        return
    except FileExistsError:
        if StoreFile(target).exists():
            raise StoreError(f"Une base {target} vient d'être créée par un autre programme : rien n'a été modifié. "
                             "Relancez la restauration pour la remplacer (elle sera gardée à côté).") from None
    except OSError:  # a file system without hard links
        pass
    os.replace(staged, target)  # nothing there but an empty file (``touch``)


def _replace_contents(store: StoreFile, staged: Path, expected: tuple[int, dict], moment: datetime) -> Path:
    """Replace what ``store`` holds by the staged copy's tables, in one transaction, while holding
    the store (other programs wait); the current file is copied aside first. A damaged store,
    which no program can open, is replaced as a file. Returns the copy's path."""
    target = store.path
    keep = _free_name(target.parent, f"{target.stem}.avant-restauration-{_stamp(moment)}")
    opened = False
    try:
        with store.connect() as con:  # waits for another program, then refuses in French; refuses a non-store
            opened = True
            with store._write_lock():  # this process's own writers wait too
                con.execute("CHECKPOINT")  # the whole store in its file: the copy aside is complete
                _copy_aside(target, keep)
                try:
                    _load(con, staged, expected, target)
                except BaseException:
                    _remove(keep)  # nothing changed: no copy of an unchanged store left behind
                    raise
    except StoreDamaged:
        if opened:
            raise
        LOG.info("store %s: damaged, replaced as a file", target)
        _copy_aside(target, keep)
        log = Path(f"{target}.wal")
        if log.exists():  # it belongs to the damaged file: the restored one must never replay it
            shutil.copyfile(log, f"{keep}.wal")
        os.replace(staged, target)
        log.unlink(missing_ok=True)
    except StoreError as error:
        if opened:
            raise
        if str(error) == store._busy_message():  # held by a running program: moving the file by hand is no answer
            raise StoreError(f"Restauration refusée : {error} Arrêtez d'abord le tableau de bord (systemctl stop "
                             "empreinte-ia) et attendez la fin des imports, puis relancez la restauration.",
                             error.detail) from None
        raise StoreError(f"Restauration refusée : {error} Si c'est bien ce fichier qu'il faut remplacer, déplacez-le à "
                         "la main, puis relancez la restauration.", error.detail) from None
    return keep


def _copy_aside(target: Path, keep: Path) -> None:
    copying = _temporary(keep, "copie")
    try:
        shutil.copyfile(target, copying)
        os.replace(copying, keep)
    finally:
        _remove(copying)


def _load(con: duckdb.DuckDBPyConnection, staged: Path, expected: tuple[int, dict], target: Path) -> None:
    """In one transaction of the store's connection: drop every table, copy the staged file's in,
    check them against ``expected``; committed only if they match, else rolled back (unchanged)."""
    database = con.execute("SELECT current_database()").fetchone()[0]
    alias = _alias(con, "empreinte_restauration")
    con.execute(f"ATTACH {_sql_text(staged)} AS {_quoted(alias)} (READ_ONLY)")
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            for (table,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND "
                                        "schema_name = 'main'", [database]).fetchall():
                con.execute(f"DROP TABLE {_quoted(database)}.main.{_quoted(table)}")
            con.execute(f"COPY FROM DATABASE {_quoted(alias)} TO {_quoted(database)}")
            found = int(stored_version(con)[0]), _fingerprints(con, database)
            _compare(found, expected, f"La base {target} ne correspond pas à la sauvegarde une fois copiée",
                     "elle n'a pas été modifiée")
            con.execute("COMMIT")
        except BaseException:
            _rollback_quietly(con)
            raise
    finally:
        _detach_quietly(con, alias)
    con.execute("CHECKPOINT")
