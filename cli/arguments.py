"""What every command of ``python -m footprint`` shares: argparse speaking French (its parser
class and its own words), numbers and years typed by a person, and the ``--db`` / ``--create``
options with the rule of which store a command opens.

Must not: run a command (``estimate``, ``inventory``, ``scenarios``) or print anything.
"""

from __future__ import annotations

import argparse

from core.errors import InputError, Problem

# argparse's own words, in French (it looks them up through gettext at run time).
_ARGPARSE_FR = {
    "usage: ": "utilisation : ",
    "options": "options",
    "positional arguments": "arguments",
    "show this help message and exit": "afficher cette aide et quitter",
}
argparse._ = lambda text: _ARGPARSE_FR.get(text, text)  # type: ignore[attr-defined]

class UsageError(Exception):
    """Bad command line, already phrased in French."""


class FrenchParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse calls this for every bad command line
        translations = [
            ("the following arguments are required: ", "arguments obligatoires manquants : "),
            ("unrecognized arguments: ", "arguments non reconnus : "),
            ("invalid choice: ", "choix invalide : "),
            ("expected one argument", "une valeur est attendue"),
            ("not allowed with argument", "incompatible avec l'argument"),
            ("(choose from ", "(choix possibles : "),
            ("argument ", "argument "),
        ]
        for english, french in translations:
            message = message.replace(english, french)
        raise UsageError(message)


def parse_number(text: str | None, flag: str) -> float | None:
    """A number typed by a person: ``1 234,5``, ``1234.5`` and ``1e6`` are all accepted."""
    from footprint.io.tabular import number_problem
    from footprint.io.tabular import parse_number as parse

    try:
        return parse(text)
    except ValueError as error:
        raise InputError([Problem(number_problem(error), column=flag, value=text)]) from None


def add_db_options(parser: argparse.ArgumentParser, creates: bool) -> None:
    """``--db`` (and, for a command that may start a new store, ``--create``)."""
    parser.add_argument("--db", help="fichier de la base (par défaut data/footprint.duckdb, ou FOOTPRINT_DB)")
    if creates:
        parser.add_argument("--create", action="store_true",
                            help="créer la base (et son dossier) si elle n'existe pas encore")


def open_store(db: str | None, *, write: bool, create: bool = False, new: bool = True):
    """The store a command names. Without ``--db``: the default one (data/footprint.duckdb or
    FOOTPRINT_DB), created on first use. With ``--db``: a reading command opens the file
    read-only and never creates it; a writing command creates a new store (and its folder) only
    with ``--create``, so that a mistyped path creates nothing. An existing
    file that is not an Empreinte IA store is refused by ``Store`` itself, left untouched.
    ``new=False``: a command that needs what a store holds (delete, restore…) never starts one."""
    from pathlib import Path

    from footprint.store import Store, StoreError

    if db is None:
        return Store(None, read_only=not write, create=True)
    path = Path(db)
    if not write:
        return Store(path, read_only=True, create=False)
    if not new:
        return Store(path, create=False)
    store = Store(path, create=create)
    if create or store.exists() or path.is_dir():
        return store
    hint = "" if path.parent.is_dir() else f" (son dossier {path.parent} non plus)"
    raise StoreError(f"La base {path} n'existe pas{hint} : vérifiez le chemin de --db, rien n'a été créé. Pour "
                     "créer une nouvelle base à cet endroit, ajoutez --create.")


def parse_year(text: str | None, flag: str = "--year") -> int | None:
    """A year typed on the command line, within the bounds of schema.toml [inputs]."""
    from emission_factors.loader import read_input_bounds

    if text is None:
        return None
    try:
        year = int(text.strip())
    except ValueError:
        raise InputError([Problem("année invalide", column=flag, value=text)]) from None
    bound = read_input_bounds()["year"]
    if not bound.minimum <= year <= bound.maximum:
        raise InputError([Problem(f"année invalide (attendue entre {bound.minimum:g} et {bound.maximum:g})",
                                  column=flag, value=text)])
    return year


def add_output_options(parser: argparse.ArgumentParser, json_help: str) -> None:
    """``--json`` or ``--csv`` (French CSV), one at most, for a command that prints a table."""
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help=json_help)
    output.add_argument("--csv", action="store_true", help="CSV français (; et virgule décimale)")
