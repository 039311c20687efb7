"""``python -m footprint export pcaet``: the PCAET and BEGES tables of an inventory year and its
projected scenarios (summary, detail by declaration, sources, indicators, methodology note), in
CSV or XLSX, stamped with the factor base's version.

Owns: the options of the group, which scenarios and which file they name, and what it prints.
Must not: assemble the tables (``scenarios.pcaet`` does) nor write a file itself
(``footprint.reporting`` does, refusing to replace one without ``--force``).
"""

from __future__ import annotations

import argparse

from cli.arguments import add_db_options, add_file_options, add_group, inventory_year, parse_year, store_and_factors
from core.errors import InputError, Problem
from emission_factors.schema import read_defaults

COMMAND = "export"


def add_parsers(commands: argparse._SubParsersAction, parser_class: type) -> None:
    """The ``export`` group and its one export, ``pcaet``."""
    kinds = add_group(commands, parser_class, "export", "export PCAET et BEGES (CSV ou XLSX, note méthodologique)",
                      "Exports réglementaires.", metavar="export")
    pcaet = kinds.add_parser("pcaet", help="les tableaux du PCAET et du BEGES, avec leurs sources",
                             description="Synthèse par année, scénario, poste BEGES et secteur PCAET ; détail par "
                                         "déclaration ; sources ; indicateurs de suivi ; note méthodologique.")
    pcaet.add_argument("--year", help="année d'inventaire (par défaut la plus récente)")
    pcaet.add_argument("--scenarios", default="all",
                       help="scénarios projetés : all (par défaut), none, ou des identifiants séparés par des virgules")
    horizon = read_defaults().horizon
    pcaet.add_argument("--to", default=str(horizon), help=f"dernière année projetée ({horizon} par défaut)")
    pcaet.add_argument("--out", help="fichier de synthèse (par défaut export-pcaet-ANNÉE.csv ou .xlsx)")
    add_file_options(pcaet, "remplacer les fichiers de l'export s'ils existent déjà",
                     "par défaut selon l'extension de --out, sinon csv")
    pcaet.add_argument("--collectivite", default="Collectivité", help="nom de la collectivité dans les fichiers")
    pcaet.add_argument("--export-date", help="date inscrite dans l'export (AAAA-MM-JJ ; par défaut aujourd'hui)")
    add_db_options(pcaet, creates=False)


def _chosen(text: str, known: dict) -> list:
    """The scenarios ``--scenarios`` names: all, none, or ids separated by commas."""
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


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from footprint import reporting
    from footprint.inventory import compute_inventory
    from scenarios.definitions import available, check_targets
    from scenarios.pcaet import build_export, check_export_date

    store, factors = store_and_factors(args)
    year = inventory_year(args.year, store)
    inventory = compute_inventory(store, factors, year)
    if inventory.declarations.empty:
        raise InputError([Problem(f"inventaire {year} vide : rien à exporter", column="--year", value=year)])
    chosen = _chosen(args.scenarios, available(store))
    export_date = check_export_date(args.export_date)
    file_format = args.format or (Path(args.out).suffix.lstrip(".").lower() if args.out else "csv") or "csv"
    if file_format not in ("csv", "xlsx"):
        raise InputError([Problem("format inconnu (csv ou xlsx)", column="--format", value=file_format)])
    out = Path(args.out or f"export-pcaet-{year}.{file_format}")
    for scenario in chosen:
        check_targets(scenario, factors)
    export = build_export(inventory, chosen, factors, args.collectivite, export_date, parse_year(args.to, "--to"))
    written = reporting.write(export, out, file_format, separator=args.separator, decimal=args.decimal,
                              stamp=export_date, force=args.force)
    print(f"Export PCAET/BEGES {year} : {len(export.summary)} ligne(s) de synthèse, {len(inventory.declarations)} "
          f"déclaration(s), {len(export.sources)} facteur(s) sourcé(s).")
    for path in written:
        print(f"  {path}")
    return 0
