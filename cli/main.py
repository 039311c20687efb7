"""``python -m footprint``: the command line, in French, on top of the library.

Owns: the parser of every command group (one module each, in ``GROUPS``: the order of the
help), which group runs a command, the flag a problem of the command line names (the
vocabulary's, or ``estimate``'s own), and the exit codes (``EXIT_*`` below: 2 bad input, 3 store
unusable, 4 conflicting edit, 5 damaged store, 6 full disk or write refused), each failure with
its own French message on stderr, never a traceback nor DuckDB's English (``FOOTPRINT_DEBUG=1``
adds the technical detail). Starts fast: no streamlit, plotly or codecarbon import here, and the
heavy modules are imported only once the arguments are known to be valid.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence

from cli import (
    authority,
    backup,
    declarations,
    estimate,
    export,
    factors,
    inventory,
    journal,
    measure,
    products,
    recommend,
    register,
    scenarios,
    survey,
    usage,
    users,
)
from cli.arguments import FrenchParser, UsageError
from core.errors import InputError, MeasurementError
from footprint.vocabulary import for_audience

# The command groups, in the order of the help; each module names its ``COMMAND`` and has its
# ``add_parsers`` and ``run``.
GROUPS = (estimate, products, declarations, inventory, usage, factors, measure, scenarios, export, recommend,
          authority, register, survey, users, journal, backup)
_RUNS = {group.COMMAND: group.run for group in GROUPS}
_RUNS.update(dict.fromkeys(backup.COMMANDS, backup.run))  # ``backup`` and ``restore``: one module


def build_parser() -> FrenchParser:
    parser = FrenchParser(prog="python -m footprint",
                          description="Empreinte IA : impacts environnementaux des usages d'IA d'une collectivité.")
    commands = parser.add_subparsers(dest="command", metavar="commande", parser_class=FrenchParser)
    commands.required = True
    for group in GROUPS:
        group.add_parsers(commands, FrenchParser)
    return parser


def _message(error: InputError) -> str:
    """What the user reads: one line for a command line; for a file, every problem on its own
    line with its file, line and column, and the reassurance that nothing was written."""
    if any(p.file for p in error.problems):
        if len(error.problems) == 1:
            return f"Erreur : {error.problems[0]}. Rien n'a été enregistré."
        lines = [f"Erreur : {len(error.problems)} problèmes, rien n'a été enregistré :"]
        return "\n".join(lines + [f"- {p}" for p in error.problems])
    parts = []
    for problem in for_audience(error.problems, "flag", extra=estimate.OWN_FLAGS):
        flag = problem.column or ""
        shown = f" (valeur : « {problem.value} »)" if problem.value is not None and problem.value != "" else ""
        parts.append(f"{flag} : {problem.message}{shown}" if flag else f"{problem.message}{shown}")
    return "Erreur : " + " ; ".join(parts)


# Exit codes (the README lists them): what a script calling the command line can rely on.
EXIT_OK = 0
EXIT_FAILED = 1  # a measurement that could not be made or recorded; an unexpected error (a bug)
EXIT_INPUT = 2  # bad command line or bad file: nothing was written
EXIT_STORE = 3  # the store cannot be used: busy, missing, not an Empreinte IA store, newer schema…
EXIT_CONFLICT = 4  # someone else saved the same declaration between reading and saving: nothing was written
EXIT_DAMAGED = 5  # the store is truncated or altered: refused, never written
EXIT_WRITE = 6  # a file or the store could not be written: full disk, read-only medium, no right to write
EXIT_INTERRUPTED = 130


def _not_utf8(argv: Sequence[str]) -> str | None:
    """The first argument (before a ``--``: what follows belongs to a measured command) that was
    not valid UTF-8 on the command line (Python keeps such bytes as lone surrogates), as shown."""
    for argument in argv:
        if argument == "--":
            return None
        if any("\udc80" <= character <= "\udcff" for character in argument):
            return argument.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return None


def _debug(error: BaseException) -> None:
    """The technical detail of a failure, on stderr only when FOOTPRINT_DEBUG is set."""
    if not os.environ.get("FOOTPRINT_DEBUG"):
        return
    detail = getattr(error, "detail", None) or repr(error.__cause__ or error.__context__ or error)
    print(f"[FOOTPRINT_DEBUG] {type(error).__name__} : {detail}", file=sys.stderr)


def _os_error(error: OSError) -> tuple[str, int]:
    """A file system failure, in French, with its exit code."""
    import errno

    name = f" ({error.filename})" if getattr(error, "filename", None) else ""
    if error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return (f"Erreur : disque plein{name} : l'opération n'a pas abouti. Libérez de la place, puis "
                "recommencez.", EXIT_WRITE)
    if error.errno == errno.EROFS:
        return f"Erreur : support en lecture seule{name} : rien n'a pu y être écrit.", EXIT_WRITE
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"Erreur : droits insuffisants{name} : demandez l'accès ou choisissez un autre fichier.", EXIT_WRITE
    if error.errno == errno.ENOENT:
        return f"Erreur : fichier ou dossier introuvable{name}.", EXIT_INPUT
    return (f"Erreur : le système a refusé l'opération{name} (erreur {errno.errorcode.get(error.errno, error.errno)}"
            ") ; relancez avec FOOTPRINT_DEBUG=1 pour le détail technique.", EXIT_FAILED)


_TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _say(message: str) -> None:
    """A message on stderr, control characters shown as « ? »: a file name that holds escape
    sequences must not drive the terminal that reads it."""
    print(_TERMINAL_CONTROL.sub("?", str(message)), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    from footprint.io.output_files import OutputWriteError
    from footprint.store import StoreConflict, StoreDamaged, StoreError, StoreWriteError

    argv = list(sys.argv[1:] if argv is None else argv)
    unreadable = _not_utf8(argv)
    if unreadable is not None:
        _say(f"Erreur : l'argument « {unreadable} » n'est pas du texte UTF-8 valide (un nom de fichier écrit dans un "
             "autre encodage ?) : renommez le fichier, ou utilisez un terminal réglé en UTF-8. Rien n'a été fait.")
        return EXIT_INPUT
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return _RUNS[args.command](args)
    except UsageError as error:
        _say(f"Erreur : {error}. Aide : python -m footprint --help")
        return EXIT_INPUT
    except InputError as error:
        try:
            message = _message(error)
        except Exception:  # printing a message must never end in a traceback
            message = "Erreur : " + "; ".join(p.message for p in error.problems)
        _say(message)
        return EXIT_INPUT
    except StoreError as error:
        _say(f"Erreur : {error}")
        _debug(error)
        if isinstance(error, StoreConflict):
            return EXIT_CONFLICT
        if isinstance(error, StoreDamaged):
            return EXIT_DAMAGED
        if isinstance(error, StoreWriteError):
            return EXIT_WRITE
        return EXIT_STORE
    except OutputWriteError as error:
        _say(f"Erreur : {error}")
        _debug(error)
        return EXIT_WRITE
    except BrokenPipeError:  # output piped into head or cut: not an error for the user
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return EXIT_OK
    except MeasurementError as error:
        _say(f"Erreur : {error}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        _say("Interrompu.")
        return EXIT_INTERRUPTED
    except OSError as error:  # the file system said no (full disk while printing, a vanished file…)
        if os.environ.get("FOOTPRINT_DEBUG"):
            raise
        message, code = _os_error(error)
        _say(message)
        return code
    except Exception as error:  # the last resort: a French line, the traceback only on demand
        if os.environ.get("FOOTPRINT_DEBUG"):
            raise
        _say(f"Erreur inattendue ({type(error).__name__}) : {error}. "
             "Relancez avec FOOTPRINT_DEBUG=1 pour le détail technique.")
        return EXIT_FAILED
