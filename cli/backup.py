"""``python -m footprint backup`` and ``python -m footprint restore``: a checked copy of the store
in a folder, taken while the dashboard runs, and a copy put back in place of the store (the
replaced file kept beside it).

Owns: the two commands' options, the French name of each table of the store, and what they print
(the file, its size, its schema version, the rows of each table). Must not: copy, check or
replace a file itself (``footprint.store.backup``).
"""

from __future__ import annotations

import argparse
import time

from cli.arguments import with_db

COMMAND = "backup"
COMMANDS = (COMMAND, "restore")  # one module, two commands: ``cli.main`` runs both here

# What each table of the store holds, as a reader of the command's output calls it.
TABLE_LABELS = {
    "meta": "version du schéma",
    "declarations": "déclarations",
    "declaration_history": "historique des déclarations",
    "imports": "imports de fichiers",
    "measurements": "mesures CodeCarbon",
    "scenarios": "scénarios personnalisés",
    "scenario_history": "historique des scénarios",
    "factor_overrides": "valeurs de facteurs de la collectivité",
    "product_bases": "bases des chiffres des outils",
    "authority_profile": "profil de la collectivité",
    "survey_groups": "groupes de l'enquête",
    "register_entries": "registre des usages de l'IA",
    "users": "personnes et rôles",
}


def add_parsers(commands: argparse._SubParsersAction, parser_class: type) -> None:
    """The ``backup`` and ``restore`` commands (no actions)."""
    saving = with_db(commands.add_parser(
        "backup", help="sauvegarder la base dans un dossier (possible pendant que le tableau de bord tourne)",
        description="Écrit une copie complète et vérifiée de la base dans le dossier --out, sous le nom "
                    "empreinte-AAAAMMJJ-HHMMSS.duckdb (heure UTC). Un fichier existant n'est jamais remplacé."),
        write=False)
    saving.add_argument("--out", required=True, metavar="DOSSIER",
                        help="dossier des sauvegardes (créé s'il n'existe pas)")
    putting_back = with_db(commands.add_parser(
        "restore", help="remettre une sauvegarde à la place de la base (l'ancienne est gardée à côté)",
        description="Vérifie la sauvegarde (une base Empreinte IA lisible, d'une version que cet outil connaît), "
                    "garde la base actuelle à côté d'elle sous <nom>.avant-restauration-AAAAMMJJ-HHMMSS.duckdb, puis "
                    "met la sauvegarde à sa place. Si le tableau de bord ou un import utilise la base, la "
                    "restauration attend qu'il la libère (FOOTPRINT_LOCK_TIMEOUT secondes), sinon elle est refusée "
                    "sans rien changer."),
        write=False)
    putting_back.add_argument("file", metavar="FICHIER", help="la sauvegarde à remettre en place (….duckdb)")


def run(args: argparse.Namespace) -> int:
    from footprint.store.backup import backup, contents, restore

    if args.command == "backup":
        start = time.perf_counter()
        written = backup(args.db, args.out)
        seconds = time.perf_counter() - start
        copied = contents(written)
        print(f"Sauvegarde écrite : {written}")
        print(f"  {_size(copied.size_bytes)}, schéma {copied.schema_version}, {_rows(copied.total_rows)} en "
              f"{len(copied.rows)} tables, en {_seconds(seconds)}.")
        _print_tables(copied.rows)
        return 0
    restored = contents(args.file)  # refused here, with its reason, before anything is touched
    kept = restore(args.file, args.db)
    from footprint.store import SCHEMA_VERSION, default_path

    target = args.db or default_path()
    print(f"Base {target} restaurée depuis {args.file}")
    upgrade = (f" (mis à jour vers le schéma {SCHEMA_VERSION})" if restored.schema_version < SCHEMA_VERSION
               else "")
    print(f"  sauvegarde de {_size(restored.size_bytes)}, schéma {restored.schema_version}{upgrade}, "
          f"{_rows(restored.total_rows)} :")
    _print_tables(restored.rows)
    if kept is None:
        print("Il n'y avait pas de base à cet endroit : rien n'a été remplacé.")
    else:
        print(f"La base remplacée est gardée sous {kept}.")
    return 0


def _print_tables(rows: dict[str, int]) -> None:
    for table, count in rows.items():
        print(f"  - {TABLE_LABELS.get(table, table)} : {_rows(count)}")


def _rows(count: int) -> str:
    from footprint.io.formatting import format_number

    return f"{format_number(count, 12)} ligne{'s' if count > 1 else ''}"


def _size(size_bytes: int) -> str:
    from footprint.io.formatting import format_number

    if size_bytes < 1_000_000:
        return f"{format_number(size_bytes / 1000, 3)} ko"
    return f"{format_number(size_bytes / 1_000_000, 3)} Mo"


def _seconds(seconds: float) -> str:
    from footprint.io.formatting import format_number

    return f"{format_number(seconds, 2)} s"
