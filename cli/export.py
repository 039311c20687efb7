"""``python -m footprint export pcaet``: the PCAET and BEGES tables of an inventory year and its
projected scenarios (summary with its totals, detail by declaration, sources, indicators in the
layout of Territoires en Transitions, methodology note), in CSV or XLSX, stamped with the factor
base's version, carrying the collectivité's profile (name, SIREN) and judged against its target.

Owns: the options of the group (the profile's name and target overridden by ``--collectivite``,
``--objectif-baisse-pct`` and ``--annee-objectif``; ``--noms-techniques`` for scripts), which
scenarios and which file they name, and what it prints.
Must not: assemble the tables (``scenarios.pcaet`` does) nor write a file itself
(``footprint.reporting`` does, refusing to replace one without ``--force``).
"""

from __future__ import annotations

import argparse

from cli.arguments import (
    add_db_options,
    add_file_options,
    add_group,
    chosen_scenarios,
    inventory_year,
    parse_year,
    store_and_factors,
)
from cli.report import add_report_parser, run_report
from core.errors import InputError, Problem
from emission_factors.schema import read_defaults

COMMAND = "export"


def add_parsers(commands: argparse._SubParsersAction, parser_class: type) -> None:
    """The ``export`` group: ``pcaet`` (the tables) and ``rapport`` (the printable report, ``cli.report``)."""
    kinds = add_group(commands, parser_class, "export", "export PCAET et BEGES (CSV ou XLSX, note méthodologique) "
                      "et rapport imprimable (PDF)",
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
    pcaet.add_argument("--collectivite", metavar="NOM",
                       help="nom de la collectivité dans les fichiers (par défaut celui de son profil, « collectivite "
                            "set », sinon « Collectivité »)")
    pcaet.add_argument("--objectif-baisse-pct", metavar="POURCENT",
                       help="objectif de baisse des émissions, en %% (par défaut celui du profil, sinon le rythme de "
                            "la SNBC)")
    pcaet.add_argument("--annee-objectif", metavar="ANNÉE", help="année de cet objectif (par défaut celle du profil)")
    pcaet.add_argument("--noms-techniques", action="store_true",
                       help="en-têtes des CSV en noms techniques (emissions_tco2e…) pour les scripts, au lieu des "
                            "libellés (« Émissions (tCO2e) ») ; le classeur XLSX a les deux")
    pcaet.add_argument("--export-date", help="date inscrite dans l'export (AAAA-MM-JJ ; par défaut aujourd'hui)")
    pcaet.add_argument("--avec-non-validees", action="store_true",
                       help="compter aussi les déclarations pas encore validées par le référent climat (par défaut, "
                            "seules les validées le sont ; la note dit combien sont laissées de côté)")
    add_db_options(pcaet, creates=False)
    add_report_parser(kinds, parser_class)


def run(args: argparse.Namespace) -> int:
    if args.action == "rapport":
        return run_report(args)
    from pathlib import Path

    from footprint import reporting
    from footprint.inventory import compute_inventory
    from footprint.inventory.authority import profile_of
    from scenarios.definitions import available, check_targets
    from scenarios.pcaet import build_export, check_export_date, chosen_target

    store, factors = store_and_factors(args)
    profile = profile_of(store.authority_profile())
    target = chosen_target(profile, args.objectif_baisse_pct, args.annee_objectif)
    year = inventory_year(args.year, store)
    inventory = compute_inventory(store, factors, year, validated_only=not args.avec_non_validees)
    if inventory.declarations.empty and inventory.excluded:
        raise InputError([Problem(f"aucune déclaration validée en {year} ({inventory.excluded} à valider par le "
                                  "référent climat) : validez-les, ou ajoutez --avec-non-validees", column="--year",
                                  value=year)])
    if inventory.declarations.empty:
        raise InputError([Problem(f"inventaire {year} vide : rien à exporter", column="--year", value=year)])
    chosen = chosen_scenarios(args.scenarios, available(store))
    export_date = check_export_date(args.export_date)
    file_format = args.format or (Path(args.out).suffix.lstrip(".").lower() if args.out else "csv") or "csv"
    if file_format not in ("csv", "xlsx"):
        raise InputError([Problem("format inconnu (csv ou xlsx)", column="--format", value=file_format)])
    out = Path(args.out or f"export-pcaet-{year}.{file_format}")
    for scenario in chosen:
        check_targets(scenario, factors)
    export = build_export(inventory, chosen, factors, args.collectivite, export_date, parse_year(args.to, "--to"),
                          profile=profile, target=target)
    written = reporting.write(export, out, file_format, separator=args.separator, decimal=args.decimal,
                              stamp=export_date, force=args.force, technical_names=args.noms_techniques)
    print(f"Export PCAET/BEGES {year} de {export.summary['collectivite'].iloc[0]} : {len(export.summary)} ligne(s) "
          f"de synthèse par poste et leurs totaux, {len(inventory.declarations)} déclaration(s), "
          f"{len(export.sources)} facteur(s) sourcé(s).")
    if export.target:
        print(f"  Objectif : {export.target}.")
    for path in written:
        print(f"  {path}")
    return 0
