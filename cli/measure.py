"""``python -m footprint measure --name NOM -- COMMANDE``: a job measured with CodeCarbon, recorded
with its energy, its emissions by the factor base and its calibration against the estimate;
``measure import emissions.csv``: CodeCarbon's own records, imported.

Owns: the options of the command (``import`` has its own parser: what follows ``--`` belongs to
the measured command), the default country (``read_defaults().zone``) and the summary printed on
stderr (stdout is the measured command's). Must not: import CodeCarbon before the arguments are
known to be valid (``footprint.measurement`` does, when it measures).
"""

from __future__ import annotations

import argparse
import contextlib
import sys

from cli.arguments import FrenchParser, factors_of, open_store, parse_number, parse_year, store_of, with_db
from core.errors import InputError, Problem
from emission_factors.schema import read_defaults
from footprint.io.formatting import format_number

COMMAND = "measure"


def add_parsers(commands: argparse._SubParsersAction, parser_class: type) -> None:
    """The ``measure`` command (its ``import`` form is parsed by ``run``)."""
    measure = with_db(commands.add_parser(
        "measure", help="mesurer un traitement avec CodeCarbon (ou importer un emissions.csv)",
        description="Mesurer un traitement : python -m footprint measure --name NOM -- COMMANDE [ARGUMENTS…] ; "
                    "importer des mesures : python -m footprint measure import emissions.csv"))
    _options(measure)
    measure.add_argument("command_line", nargs=argparse.REMAINDER, metavar="-- COMMANDE",
                         help="la commande à mesurer, après --")


def _options(parser: argparse.ArgumentParser, importing: bool = False) -> None:
    zone = read_defaults().zone
    parser.add_argument("--name", help="nom du traitement (transcription-conseil…), obligatoire pour mesurer")
    parser.add_argument("--service", help="service qui exécute le traitement")
    parser.add_argument("--year", help="année d'inventaire (par défaut celle de la mesure)")
    parser.add_argument("--country", default=None if importing else zone,
                        help=f"pays où tourne le traitement, code ISO à trois lettres ({zone} par défaut)")
    parser.add_argument("--declaration", help="déclaration « mesure » à laquelle rattacher la mesure")
    if not importing:
        parser.add_argument("--tokens", help="tokens générés pendant la mesure (pour comparer à l'estimation)")
        parser.add_argument("--model", help="modèle mesuré, fournisseur/modèle (avec --tokens)")
        parser.add_argument("--units", help="unités traitées (images, minutes d'audio, pages…)")
        parser.add_argument("--task", help="tâche de la base de facteurs correspondante (avec --units)")


def run(args: argparse.Namespace) -> int:
    command = list(args.command_line or [])
    if command and command[0] == "--":
        command = command[1:]
    if command[:1] == ["import"] and args.name is not None:
        raise InputError([Problem("pour importer des mesures, écrivez « measure import FICHIER » (options après le "
                                  "fichier) ; pour mesurer une commande nommée import, écrivez « -- ./import »",
                                  column="--name", value=args.name)])
    if args.name is None and command[:1] == ["import"]:
        parser = FrenchParser(prog="python -m footprint measure import")
        parser.add_argument("file", metavar="FICHIER")
        parser.add_argument("--db")
        parser.add_argument("--create", action="store_true")
        _options(parser, importing=True)
        options = parser.parse_args(command[1:])
        return _import(options, args.db, args.create)
    if not command or not args.name:
        raise InputError([Problem("nom ou commande manquants : python -m footprint measure --name NOM -- "
                                  "COMMANDE [ARGUMENTS…]")])
    from footprint.measurement import Measurement, run_command

    measurement = Measurement(args.name, service=args.service, year=parse_year(args.year), country=args.country,
                              declaration=args.declaration, db=args.db,
                              tokens=parse_number(args.tokens, "--tokens"), model=args.model,
                              units=parse_number(args.units, "--units"), task=args.task,
                              factors=factors_of(store_of(args)))
    code = run_command(command, measurement)
    done = measurement.run
    state = "complète" if not done.partial else f"partielle ({done.row['status_detail']})"
    with contextlib.suppress(OSError):  # the terminal is gone (SIGHUP): the run is recorded, nobody reads this
        _summary(done.row, state, done.calibration)
    return code


def _summary(row: dict, state: str, calibration: list[str]) -> None:
    from footprint.io.formatting import format_quantity

    print(f"Mesure {state} de « {row['name']} » : {format_number(row['duration_s'])} s, "
          f"{format_quantity(row['energy_kwh'], 'kWh')}, {format_quantity(row['gwp_kgco2e'], 'kgCO2e')} "
          f"(facteur {row['gwp_factor_source']} : {format_number(row['gwp_factor_kgco2e_per_kwh'])} kgCO2e/kWh ; "
          f"CodeCarbon : {format_quantity(row['codecarbon_kgco2e'], 'kgCO2e')}) ; "
          f"enregistrée dans la déclaration {row['declaration_id']}.", file=sys.stderr)
    for line in calibration:
        print(line, file=sys.stderr)


def _import(options: argparse.Namespace, db: str | None, create: bool = False) -> int:
    from pathlib import Path

    from footprint.measurement import import_emissions

    store = open_store(options.db or db, write=True, create=options.create or create)
    counts = import_emissions(options.file, store, factors_of(store), service=options.service,
                              year=parse_year(options.year), country=options.country, name=options.name,
                              declaration=options.declaration)
    print(f"Import de {Path(options.file).name} : {counts['runs']} mesure(s) ajoutée(s), "
          f"{counts['updated_runs']} complétée(s) (les mesures déjà présentes et complètes sont ignorées) ; "
          f"{counts['created']} déclaration(s) créée(s), {counts['modified']} mise(s) à jour.")
    return 0
