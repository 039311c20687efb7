"""Writing the files a user names (``--out``, ``declarations export FICHIER``): the one place where
Empreinte IA creates or replaces a file outside its store.

Owns: refusing a name that is a symbolic link (whether it points somewhere or not: an export never
writes through a link), a folder or anything but a plain file; refusing to replace an existing
file unless asked (``force``: the command line's ``--force``); refusing a folder that does not
exist (none is created behind the user's back); writing each file whole under a temporary name
in its folder, then renaming it (never a half-written file, and the rename replaces a name, it
does not follow a link); the usual permissions (0666 less the umask, as any program that saves
a file: a colleague can read an export left in a shared folder); several files of one export
all or nothing (all are checked, then written, then put in place). Every refusal is an
``InputError`` naming the file, in French; a write the disk refuses (full, read-only, no right)
is an ``OutputWriteError``, in French, and leaves nothing behind.

Must not: build the content of a file (``reporting``, ``declarations``, ``tabular``), or choose
where a file goes (the caller gives its path).
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from core.errors import InputError, Problem

# Hard links let a file be put in place only if its name is still free; where a file system has
# none (some network shares), a rename after a last check does the same, less strictly.
_NO_HARD_LINKS = {errno.EPERM, errno.EXDEV, errno.EMLINK, getattr(errno, "ENOTSUP", -1),
                  getattr(errno, "EOPNOTSUPP", -1), errno.ENOSYS}


class OutputWriteError(Exception):
    """A file could not be written (full disk, read-only medium, no right to write): French
    message; nothing was left behind (no partial file, no temporary file)."""


def shown(path: Path | str) -> str:
    """A path as text that can always be printed (bytes that are not UTF-8 shown as \\xNN)."""
    text = os.fspath(path)
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def write_file(path: Path | str, data: bytes, *, force: bool = False) -> Path:
    """Write ``data`` to the file a user named (see the module's rules); returns its path."""
    return write_files({Path(path): data}, force=force)[0]


def write_files(files: Mapping[Path | str, bytes], *, force: bool = False) -> list[Path]:
    """Write several files of one export, all or nothing: every name is checked before anything
    is written, every file is written under a temporary name before any is put in place.
    ``force``: replace files that exist (never a link, a folder or a special file)."""
    targets = {Path(path): bytes(data) for path, data in files.items()}
    problems = [problem for folder in dict.fromkeys(path.parent for path in targets)
                for problem in _check_folder(folder)]
    problems = problems or [problem for path in targets for problem in _check(path, force)]
    if problems:
        raise InputError(problems)
    temporaries: dict[Path, Path] = {}
    try:
        for path, data in targets.items():
            temporaries[path] = _write_temporary(path, data)
        _publish(temporaries, force)
    finally:
        for temporary in temporaries.values():
            _remove(temporary)
    for folder in {path.parent for path in targets}:
        _sync_folder(folder)
    return list(targets)


def _check(path: Path, force: bool) -> list[Problem]:
    name = shown(path)
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        found = None
    except OSError as error:
        return [Problem(f"chemin inaccessible ({_reason(error)})", file=name)]
    if found is not None:
        if stat.S_ISLNK(found.st_mode):
            return [Problem("c'est un lien symbolique : un export ne suit jamais un lien ; indiquez le fichier "
                            "lui-même ou un autre nom", file=name)]
        if stat.S_ISDIR(found.st_mode):
            return [Problem("c'est un dossier : indiquez un nom de fichier", file=name)]
        if not stat.S_ISREG(found.st_mode):
            return [Problem("ce n'est pas un fichier ordinaire (périphérique, tube…) : indiquez un autre nom",
                            file=name)]
        if not force:
            return [Problem("le fichier existe déjà : ajoutez --force pour le remplacer, ou choisissez un autre nom",
                            file=name)]
    return []


def _check_folder(folder: Path) -> list[Problem]:
    """The folder of a file to write exists (none is ever created for the user)."""
    try:
        found = os.stat(folder)
    except FileNotFoundError:
        return [Problem("ce dossier n'existe pas : créez-le d'abord (aucun dossier n'est créé automatiquement) ou "
                        "vérifiez le chemin", file=shown(folder))]
    except OSError as error:
        return [Problem(f"dossier inaccessible ({_reason(error)})", file=shown(folder))]
    if not stat.S_ISDIR(found.st_mode):
        return [Problem("ce n'est pas un dossier : vérifiez le chemin", file=shown(folder))]
    return []


def _write_temporary(path: Path, data: bytes) -> Path:
    """``data`` in a new file beside ``path``, created with the usual permissions (0666 less the
    umask), never through a link, flushed to the disk."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_BINARY", 0)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        handle = os.open(temporary, flags, 0o666)
    except OSError as error:
        raise _write_error(path, error) from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except OSError as error:
        _remove(temporary)
        raise _write_error(path, error) from None
    return temporary


def _publish(temporaries: dict[Path, Path], force: bool) -> None:
    """Put each file in place. Without ``force``, a name taken meanwhile is refused and the files
    already put in place by this call are removed again (they did not exist before)."""
    placed: list[Path] = []
    try:
        for path, temporary in temporaries.items():
            if force:
                os.replace(temporary, path)  # replaces the name itself: a link put there is not followed
            else:
                _place_new(temporary, path)
                placed.append(path)
    except FileExistsError:
        for path in placed:
            _remove(path)
        raise InputError([Problem("le fichier vient d'être créé par un autre programme : ajoutez --force pour le "
                                  "remplacer, ou choisissez un autre nom", file=shown(path))]) from None
    except OSError as error:
        for path in placed:
            _remove(path)
        raise _write_error(path, error) from None


def _place_new(temporary: Path, path: Path) -> None:
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise
    except (OSError, NotImplementedError) as error:
        if isinstance(error, OSError) and error.errno not in _NO_HARD_LINKS:
            raise
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, "exists", str(path)) from None
        os.replace(temporary, path)
        return
    _remove(temporary)


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError:  # best effort: the error that matters is the one being reported
        pass


def _sync_folder(folder: Path) -> None:
    """Make the new names durable (POSIX); best effort."""
    if os.name != "posix":
        return
    try:
        handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _reason(error: OSError) -> str:
    return {
        errno.EACCES: "droits insuffisants",
        errno.EPERM: "opération non permise",
        errno.ENOSPC: "disque plein",
        errno.EROFS: "support en lecture seule",
        errno.ENAMETOOLONG: "nom trop long",
        errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
        errno.ELOOP: "trop de liens symboliques",
        getattr(errno, "EDQUOT", -1): "quota disque dépassé",
    }.get(error.errno, f"erreur système {errno.errorcode.get(error.errno, error.errno)}")


def _write_error(path: Path, error: OSError) -> OutputWriteError:
    name = shown(path)
    if error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return OutputWriteError(f"{name} : disque plein (ou quota dépassé), le fichier n'a pas été écrit et rien "
                                "n'est resté sur le disque. Libérez de la place, puis recommencez.")
    if error.errno == errno.EROFS:
        return OutputWriteError(f"{name} : le dossier est sur un support en lecture seule ; choisissez un autre "
                                "dossier.")
    if error.errno in (errno.EACCES, errno.EPERM):
        return OutputWriteError(f"{name} : droits insuffisants pour écrire dans le dossier « {shown(path.parent)} » ; "
                                "choisissez un autre dossier ou demandez le droit d'écriture.")
    return OutputWriteError(f"{name} : le fichier n'a pas pu être écrit ({_reason(error)}) ; rien n'a été écrit.")
