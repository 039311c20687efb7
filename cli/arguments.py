"""What every command of ``python -m footprint`` shares: argparse speaking French (its parser
class and its own words), numbers and years typed by a person, the options that several groups
offer (``--db`` / ``--create``, ``--json`` / ``--csv``, the options of a file written), and the
rule of which store a command opens, with the factor base as that store amends it.

Must not: run a command (each group's module does) or print anything (``cli.output`` does).
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


def add_group(commands: argparse._SubParsersAction, parser_class: type, name: str, help: str,
              description: str | None = None, *, dest: str = "action", metavar: str = "action"
              ) -> argparse._SubParsersAction:
    """A command made of actions (``declarations import``, ``estimate llm``…): its parser in
    ``commands`` and the choice of action it requires, to which each action is added."""
    group = commands.add_parser(name, help=help, description=description)
    actions = group.add_subparsers(dest=dest, metavar=metavar, parser_class=parser_class)
    actions.required = True
    return actions


def parse_number(text: str | None, flag: str) -> float | None:
    """A number typed by a person: ``1 234,5``, ``1234.5`` and ``1e6`` are all accepted."""
    from footprint.io.cells import number_problem
    from footprint.io.cells import parse_number as parse

    try:
        return parse(text)
    except ValueError as error:
        raise InputError([Problem(number_problem(error), column=flag, value=text)]) from None


def parse_year(text: str | None, flag: str = "--year") -> int | None:
    """A year typed on the command line: a whole number within the bounds of schema.toml [inputs]."""
    from footprint.vocabulary import year_problem

    if text is None:
        return None
    problem = year_problem(text.strip())
    if problem is not None:
        raise InputError([Problem(problem, column=flag, value=text)])
    return int(float(text))


def add_db_options(parser: argparse.ArgumentParser, creates: bool) -> None:
    """``--db`` (and, for a command that may start a new store, ``--create``)."""
    parser.add_argument("--db", help="fichier de la base (par défaut data/footprint.duckdb, ou FOOTPRINT_DB)")
    if creates:
        parser.add_argument("--create", action="store_true",
                            help="créer la base (et son dossier) si elle n'existe pas encore")


def with_db(parser: argparse.ArgumentParser, write: bool = True, creates: bool | None = None
            ) -> argparse.ArgumentParser:
    """``parser`` with ``--db`` (and ``--create`` for a writing command, unless ``creates`` says
    otherwise: a command that needs what a store holds never starts one)."""
    add_db_options(parser, write if creates is None else creates)
    return parser


def add_output_options(parser: argparse.ArgumentParser, json_help: str) -> None:
    """``--json`` or ``--csv`` (French CSV), one at most, for a command that prints a table."""
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help=json_help)
    output.add_argument("--csv", action="store_true", help="CSV français (; et virgule décimale)")


def add_file_options(parser: argparse.ArgumentParser, force_help: str, format_help: str) -> None:
    """The options of a command that writes a CSV or XLSX file: ``--force``, ``--format``,
    ``--separator`` and ``--decimal``."""
    parser.add_argument("--force", action="store_true", help=force_help)
    parser.add_argument("--format", choices=["csv", "xlsx"], help=format_help)
    parser.add_argument("--separator", default=";", help="séparateur CSV (; par défaut)")
    parser.add_argument("--decimal", default=",", help="séparateur décimal CSV (, par défaut)")


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


def store_of(args: argparse.Namespace, write: bool = True, new: bool = True):
    """The store of a parsed command (its ``--db`` and ``--create``), by the rule of ``open_store``."""
    return open_store(args.db, write=write, create=getattr(args, "create", False), new=new)


def factors_of(store):
    """The factor base with the store's own values of the collectivité applied (overrides)."""
    from footprint.factors import load_with_overrides

    return load_with_overrides(store)


def store_and_factors(args: argparse.Namespace, write: bool = False, new: bool = True):
    """The store of a parsed command (read-only unless ``write``) and the factor base as it amends it."""
    store = store_of(args, write=write, new=new)
    return store, factors_of(store)


def inventory_year(text: str | None, store) -> int:
    """The year asked for (``--year``), else the latest year of the inventory."""
    if text is not None:
        return parse_year(text, "--year")
    years = store.declarations()["year"].dropna()
    if years.empty:
        raise InputError([Problem("inventaire vide : déclarez d'abord des usages", column="--year")])
    return int(years.max())


def chosen_scenarios(text: str, known: dict) -> list:
    """The scenarios ``--scenarios`` names (``export pcaet``, ``export rapport``): all, none, or ids
    separated by commas; ``known``: id -> scenario."""
    if text == "all":
        return list(known.values())
    if text == "none":
        return []
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InputError([Problem(f"scénario inconnu (connus : {', '.join(known)})", column="--scenarios",
                                  value=n) for n in unknown])
    return [known[n] for n in names]
