"""What can go wrong with the store, in French: the ``StoreError`` family and the translation of
DuckDB's (or the file system's) failures into it.

Owns: ``StoreError`` (and its ``detail``, DuckDB's own words for a debug log), ``StoreDamaged``,
``StoreWriteError``, ``StoreConflict`` with its message (who changed which declaration, and when),
``translate_error`` (which failure a user can cause, and what to tell them) and the
``footprint.store`` logger (debug level: DuckDB's text is only logged, never shown).

Must not: open the file, retry anything (``connection``) or read a table.
"""

from __future__ import annotations

import errno
import logging
from datetime import datetime
from pathlib import Path

import duckdb

LOG = logging.getLogger("footprint.store")


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


def unreadable(path: Path, error: BaseException) -> StoreError:
    """The French ``StoreError`` for a file DuckDB cannot open as a store, for a reason no
    ``translate_error`` case names."""
    return StoreError(f"Le fichier {path} n'est pas une base Empreinte IA lisible : il n'a pas été modifié "
                      "(FOOTPRINT_DEBUG=1 pour le détail technique).", str(error))


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
