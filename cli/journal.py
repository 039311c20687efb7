"""``python -m footprint journal``: who changed what in the store, and when, newest first: every
declaration's versions, the imports, the measured runs, the scenarios, the authority's factor
values, the bases of the tools' figures, the collectivité's profile, the register and the
people of a shared instance. Filtered by period (``--depuis``, ``--jusqu-au``), person
(``--qui``), kind (``--type``) and text (``--texte``); printed, or in JSON (``--json``), or
written as a French CSV (``--out``).

Owns: the options of the command, reading a day typed on the command line and a kind typed
without its accents, and what it prints. Must not: read the tables itself
(``footprint.store.journal``), build the file (``footprint.reporting.journal``) or write it but
through ``footprint.io.output_files``.
"""

from __future__ import annotations

import argparse
import json

from cli.arguments import store_of, with_db

COMMAND = "journal"


def add_parsers(commands: argparse._SubParsersAction, parser_class: type) -> None:
    """The ``journal`` command (no actions: its options are its filters)."""
    from footprint.store.journal import KINDS

    parser = with_db(commands.add_parser(
        "journal", help="journal des modifications : qui a changé quoi, et quand",
        description="Chaque modification enregistrée dans la base, la plus récente d'abord, avec son auteur (nom et "
                    "adresse de la personne connectée en mode partagé, sinon l'utilisateur du poste) et sa date."),
        write=False)
    parser.add_argument("--depuis", metavar="AAAA-MM-JJ", help="à partir de ce jour (inclus)")
    parser.add_argument("--jusqu-au", dest="jusqu_au", metavar="AAAA-MM-JJ", help="jusqu'à ce jour (inclus)")
    parser.add_argument("--qui", metavar="TEXTE", help="une partie du nom ou de l'adresse de la personne")
    parser.add_argument("--type", dest="kind", metavar="TYPE", help="type de modification : " + ", ".join(KINDS))
    parser.add_argument("--texte", metavar="TEXTE",
                        help="une partie de l'identifiant ou du détail (service, fichier, outil…)")
    parser.add_argument("--json", action="store_true", help="les modifications en JSON")
    parser.add_argument("--out", metavar="FICHIER.csv", help="écrire le journal dans ce fichier CSV (français)")
    parser.add_argument("--force", action="store_true", help="remplacer le fichier s'il existe déjà")


def _day(text: str | None, flag: str):
    from datetime import date

    from core.errors import InputError, Problem

    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError([Problem("date invalide (attendu AAAA-MM-JJ, une date qui existe, par exemple 2025-03-31)",
                                  column=flag, value=text)]) from None


def _kind(text: str | None) -> str | None:
    """The kind of ``KINDS`` a person typed, accents, case and apostrophes aside (« scenario »)."""
    from core.errors import InputError, Problem
    from footprint.inventory.declarations.spellings import plain_key
    from footprint.store.journal import KINDS

    if text is None or not text.strip():
        return None
    found = {plain_key(kind): kind for kind in KINDS}.get(plain_key(text))
    if found is None:
        raise InputError([Problem("type inconnu ; les types sont : " + ", ".join(KINDS), column="--type",
                                  value=text)])
    return found


def run(args: argparse.Namespace) -> int:
    from core.errors import InputError, Problem

    since, until = _day(args.depuis, "--depuis"), _day(args.jusqu_au, "--jusqu-au")
    if since and until and since > until:
        raise InputError([Problem("la période finit avant de commencer (--depuis après --jusqu-au)",
                                  column="--jusqu-au", value=args.jusqu_au)])
    if args.out and not args.out.lower().endswith(".csv"):
        raise InputError([Problem("extension attendue : .csv", column="--out", value=args.out)])
    kind = _kind(args.kind)
    store = store_of(args, write=False)
    found = store.journal(since=since, until=until, who=args.qui, kind=kind, text=args.texte)
    if args.out:
        from footprint.io.output_files import shown, write_files
        from footprint.reporting.journal import journal_csv

        written = write_files({args.out: journal_csv(found)}, force=args.force)
        print(f"Journal écrit : {shown(written[0])} ({len(found)} modification(s)).")
    if args.json:
        from footprint.reporting.journal import journal_records

        print(json.dumps(journal_records(found), ensure_ascii=False, indent=2))
    elif not args.out:
        _print(found)
    return 0


def _print(found) -> None:
    from footprint.io.cells import CONTROL_CHARACTERS
    from footprint.reporting.journal import shown_moments

    if found.empty:
        print("Aucune modification ne correspond.")
        return

    def plain(value: object) -> str:
        # Text people typed: never an escape sequence for the terminal, never a line of its own.
        return " ".join(CONTROL_CHARACTERS.sub("?", str(value)).split())

    for moment, row in zip(shown_moments(found["at"]), found.itertuples(index=False), strict=True):
        print(f"{moment}  {plain(row.who)}  {row.kind}  {plain(row.record)}  {plain(row.action)}  "
              f"{plain(row.detail)}")
    print(f"{len(found)} modification(s).")
