"""``python -m footprint usage import FICHIER``: the usage logs of an API gateway (Albert /
OpenGateLLM, OpenAI, a generic CSV, Parquet or JSONL), aggregated into monthly declarations,
with the gateway's own estimate beside ours.

Owns: the options of the group and what it prints. Must not: read the log itself
(``footprint.inventory.usage_logs`` does) nor take a file name as a pattern.
"""

from __future__ import annotations

import argparse

from cli.arguments import add_group, factors_of, store_of, with_db
from cli.output import print_counts
from core.errors import InputError, Problem
from footprint.io.formatting import format_number, format_range

COMMAND = "usage"


def add_parsers(commands: argparse._SubParsersAction, parser_class: type) -> None:
    """The ``usage`` group and its one action, ``import``."""
    actions = add_group(commands, parser_class, "usage", "importer les journaux d'usage d'une passerelle d'API",
                        "Journaux d'usage (Albert/OpenGateLLM, OpenAI, générique).")
    usage_import = with_db(actions.add_parser("import", help="importer un journal CSV, Parquet ou JSONL"))
    usage_import.add_argument("file", metavar="FICHIER")
    usage_import.add_argument("--preset", default="generic", choices=["albert", "openai", "generic"],
                              help="format du journal (generic par défaut)")
    usage_import.add_argument("--service", help="service auquel rattacher tout le journal")
    usage_import.add_argument("--map", action="append", metavar="ANCIEN=NOUVEAU",
                              help="associer un nom de modèle du journal à un modèle connu (répétable)")
    usage_import.add_argument("--hosting", help="profil d'hébergement des modèles du journal")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from footprint.inventory.usage_logs import import_usage, parse_mapping

    # The name is a file, never a pattern: « journal[12].csv » is that file or nothing.
    if not Path(args.file).is_file():
        what = "c'est un dossier, pas un fichier" if Path(args.file).is_dir() else "fichier introuvable"
        raise InputError([Problem(what, file=args.file)])
    store = store_of(args)
    done = import_usage(args.file, store, factors_of(store), preset=args.preset, service=args.service,
                        mapping=parse_mapping(args.map), hosting=args.hosting)
    print(f"Journal {done.file_name} : {format_number(done.rows)} ligne(s) agrégée(s) en "
          f"{len(done.declarations)} déclaration(s) mensuelle(s).")
    print_counts(done.counts)
    energy, gwp = done.ours["energy_kwh"], done.ours["gwp_kgco2e"]
    print(f"  Empreinte IA : {format_range(energy['low'], energy['central'], energy['high'], 'kWh')} ; "
          f"{format_range(gwp['low'], gwp['central'], gwp['high'], 'kgCO2e')}")
    if done.gateway:
        g = done.gateway
        print(f"  Estimation de la passerelle : de {format_number(g['gateway_kwh_min'])} à "
              f"{format_number(g['gateway_kwh_max'])} kWh ; de {format_number(g['gateway_kgco2e_min'])} à "
              f"{format_number(g['gateway_kgco2e_max'])} kgCO2e")
    return 0
