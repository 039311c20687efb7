"""Command-line handlers for the inventory: ``declarations …``, ``inventory``, ``usage import``,
``measure`` and ``factors overrides …`` (the collectivité's own factor values).

Owns: turning parsed arguments into calls to ``declarations``, ``store``, ``inventory`` and
``usage_logs``, and printing French summaries, JSON or CSV. ``cli.main`` builds the parser and
handles errors; this module only does the work of each command.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys

import pandas as pd

from cli.arguments import FrenchParser, add_db_options, add_output_options, open_store, parse_number, parse_year
from core.errors import InputError, Problem
from footprint.io.formatting import format_number, format_range
from footprint.io.tabular import is_missing
from footprint.vocabulary import ENDS_FR, IMPACT_COLUMNS_FR

SUMMARY = [("energy_kwh", "Énergie", "kWh"), ("gwp_kgco2e", "Émissions de GES", "kgCO2e"),
           ("water_l", "Eau consommée", "L"), ("adpe_kgsbeq", "Ressources abiotiques", "kgSbeq"),
           ("pe_mj", "Énergie primaire", "MJ")]
# ``declarations add`` flags (argparse dest) -> store column.
ADD_FIELDS = {"id": "id", "year": "year", "service": "service", "use_case": "use_case", "type": "kind",
              "provider": "provider", "model": "model", "hosting": "hosting", "zone": "zone", "agents": "agents",
              "requests_per_agent_per_day": "requests_per_agent_per_day", "days_per_year": "days_per_year",
              "requests": "requests", "input_tokens_per_request": "input_tokens_per_request",
              "output_tokens_per_request": "output_tokens_per_request", "input_tokens": "input_tokens",
              "output_tokens": "output_tokens", "gpu": "gpu", "gpus": "gpus", "hours": "hours",
              "utilization": "utilization", "pue": "pue", "wue": "wue", "task": "task", "units": "units",
              "kwh": "energy_kwh", "owner": "owner", "personal_data": "personal_data",
              "ai_act_risk": "ai_act_risk", "human_oversight": "human_oversight", "comment": "comment"}


def add_parsers(commands: argparse._SubParsersAction, parser_class: type) -> None:
    """The ``declarations``, ``inventory`` and ``usage`` commands."""
    def with_db(parser: argparse.ArgumentParser, write: bool = True, creates: bool | None = None
                ) -> argparse.ArgumentParser:
        add_db_options(parser, write if creates is None else creates)
        return parser

    declarations = commands.add_parser("declarations", help="déclarer, importer, exporter les usages d'IA",
                                       description="Les déclarations d'usages d'IA de l'inventaire.")
    actions = declarations.add_subparsers(dest="action", metavar="action", parser_class=parser_class)
    actions.required = True
    imported = with_db(actions.add_parser("import", help="importer un fichier CSV ou XLSX (tout ou rien)"))
    imported.add_argument("file", metavar="FICHIER")
    exported = with_db(actions.add_parser("export", help="exporter les déclarations en CSV ou XLSX"), write=False)
    exported.add_argument("file", metavar="FICHIER")
    exported.add_argument("--force", action="store_true", help="remplacer le fichier s'il existe déjà")
    exported.add_argument("--year", help="seulement cette année")
    exported.add_argument("--format", choices=["csv", "xlsx"], help="par défaut selon l'extension du fichier")
    exported.add_argument("--separator", default=";", help="séparateur CSV (; par défaut)")
    exported.add_argument("--decimal", default=",", help="séparateur décimal CSV (, par défaut)")
    listed = with_db(actions.add_parser("list", help="lister les déclarations"), write=False)
    listed.add_argument("--year", help="seulement cette année")
    listed.add_argument("--all", action="store_true", help="inclure les déclarations supprimées")
    listed.add_argument("--json", action="store_true", help="en JSON")
    listed.add_argument("--as-of", help="l'inventaire tel qu'il était à cette date (AAAA-MM-JJ ou AAAA-MM-JJTHH:MM)")
    added = with_db(actions.add_parser("add", help="ajouter (ou modifier, avec --id) une déclaration"))
    added.add_argument("--id", help="identifiant d'une déclaration à modifier (sinon une nouvelle est créée)")
    added.add_argument("--year", help="année d'inventaire (par défaut l'année en cours)")
    added.add_argument("--service", help="direction ou service (obligatoire pour une nouvelle déclaration)")
    added.add_argument("--use-case", help="cas d'usage (redaction_courrier, synthese_document… ou texte libre)")
    added.add_argument("--type", help="llm, gpu, tache ou mesure (obligatoire pour une nouvelle déclaration)")
    for flag, text in (("--provider", "fournisseur"), ("--model", "modèle"), ("--hosting", "hébergement"),
                       ("--zone", "zone électrique"), ("--agents", "nombre d'agents"),
                       ("--requests-per-agent-per-day", "requêtes par agent et par jour"),
                       ("--days-per-year", "jours travaillés par an"), ("--requests", "requêtes par an"),
                       ("--input-tokens-per-request", "tokens d'entrée par requête"),
                       ("--output-tokens-per-request", "tokens de sortie par requête"),
                       ("--input-tokens", "tokens d'entrée par an"), ("--output-tokens", "tokens de sortie par an"),
                       ("--gpu", "modèle de GPU"), ("--gpus", "nombre de GPU"), ("--hours", "heures"),
                       ("--utilization", "taux d'utilisation"), ("--pue", "PUE"), ("--wue", "WUE sur site"),
                       ("--task", "tâche"), ("--units", "unités"), ("--kwh", "kWh mesurés"),
                       ("--owner", "responsable"), ("--personal-data", "données personnelles : oui ou non"),
                       ("--ai-act-risk", "niveau de risque IA Act"), ("--human-oversight", "supervision humaine"),
                       ("--comment", "commentaire")):
        added.add_argument(flag, help=text)
    for name, text in (("delete", "supprimer (la déclaration reste dans l'historique)"),
                       ("restore", "restaurer une déclaration supprimée")):
        parser = with_db(actions.add_parser(name, help=text), creates=False)
        parser.add_argument("ids", nargs="+", metavar="ID")
    history = with_db(actions.add_parser("history", help="historique des versions d'une déclaration"), write=False)
    history.add_argument("id", nargs="?", metavar="ID")

    inventory = with_db(commands.add_parser("inventory", help="totaux de l'inventaire d'une année",
                                            description="Totaux de l'inventaire d'une année, par groupe."),
                        write=False)
    inventory.add_argument("--year", required=True, help="année d'inventaire")
    inventory.add_argument("--by", choices=["service", "cas_usage", "type", "modele"], help="regrouper par")
    add_output_options(inventory, "un objet JSON")

    usage = commands.add_parser("usage", help="importer les journaux d'usage d'une passerelle d'API",
                                description="Journaux d'usage (Albert/OpenGateLLM, OpenAI, générique).")
    usage_actions = usage.add_subparsers(dest="action", metavar="action", parser_class=parser_class)
    usage_actions.required = True
    usage_import = with_db(usage_actions.add_parser("import", help="importer un journal CSV, Parquet ou JSONL"))
    usage_import.add_argument("file", metavar="FICHIER")
    usage_import.add_argument("--preset", default="generic", choices=["albert", "openai", "generic"],
                              help="format du journal (generic par défaut)")
    usage_import.add_argument("--service", help="service auquel rattacher tout le journal")
    usage_import.add_argument("--map", action="append", metavar="ANCIEN=NOUVEAU",
                              help="associer un nom de modèle du journal à un modèle connu (répétable)")
    usage_import.add_argument("--hosting", help="profil d'hébergement des modèles du journal")

    factors = commands.add_parser("factors", help="base de facteurs : valeurs propres à la collectivité",
                                  description="Base de facteurs : valeurs propres à la collectivité, qui remplacent "
                                              "celles de la base dans tous les calculs sur la base de données.")
    factor_actions = factors.add_subparsers(dest="action", metavar="action", parser_class=parser_class)
    factor_actions.required = True
    overrides = factor_actions.add_parser("overrides", help="lister, enregistrer ou supprimer des valeurs propres")
    override_actions = overrides.add_subparsers(dest="override_action", metavar="action", parser_class=parser_class)
    override_actions.required = True
    listed_overrides = with_db(override_actions.add_parser("list", help="lister les valeurs propres"), write=False)
    listed_overrides.add_argument("--all", action="store_true", help="inclure les valeurs remplacées ou supprimées")
    listed_overrides.add_argument("--json", action="store_true", help="en JSON")
    saved = with_db(override_actions.add_parser("set", help="enregistrer une valeur propre (remplace la précédente)"))
    saved.add_argument("--table", required=True, help="table de la base : hosting_profiles, electricity_mix, "
                                                      "constants, gpus, tasks…")
    saved.add_argument("--key", action="append", metavar="COLONNE=VALEUR",
                       help="clé de la ligne (répétable) : hosting=salle_serveurs ; zone=FRA, dataset=…, year=…")
    saved.add_argument("--parameter", required=True, action="append",
                       help="paramètre remplacé (répétable : pue_min et pue_max pour une valeur unique)")
    saved.add_argument("--value", required=True, help="la valeur propre à la collectivité")
    saved.add_argument("--unit", required=True, help="son unité (dimensionless, kgCO2e/kWh, W…)")
    saved.add_argument("--year", help="année de la valeur (pour l'électricité : celle de la clé)")
    saved.add_argument("--justification", required=True, help="d'où vient la valeur (mesure, facture, étude…)")
    deleted = with_db(override_actions.add_parser("delete", help="supprimer une valeur propre (gardée dans "
                                                                  "l'historique) : la valeur de la base revient"),
                      creates=False)
    deleted.add_argument("id", metavar="ID")

    measure = with_db(commands.add_parser(
        "measure", help="mesurer un traitement avec CodeCarbon (ou importer un emissions.csv)",
        description="Mesurer un traitement : python -m footprint measure --name NOM -- COMMANDE [ARGUMENTS…] ; "
                    "importer des mesures : python -m footprint measure import emissions.csv"))
    _measure_options(measure)
    measure.add_argument("command_line", nargs=argparse.REMAINDER, metavar="-- COMMANDE",
                         help="la commande à mesurer, après --")


def _measure_options(parser: argparse.ArgumentParser, importing: bool = False) -> None:
    parser.add_argument("--name", help="nom du traitement (transcription-conseil…), obligatoire pour mesurer")
    parser.add_argument("--service", help="service qui exécute le traitement")
    parser.add_argument("--year", help="année d'inventaire (par défaut celle de la mesure)")
    parser.add_argument("--country", default=None if importing else "FRA",
                        help="pays où tourne le traitement, code ISO à trois lettres (FRA par défaut)")
    parser.add_argument("--declaration", help="déclaration « mesure » à laquelle rattacher la mesure")
    if not importing:
        parser.add_argument("--tokens", help="tokens générés pendant la mesure (pour comparer à l'estimation)")
        parser.add_argument("--model", help="modèle mesuré, fournisseur/modèle (avec --tokens)")
        parser.add_argument("--units", help="unités traitées (images, minutes d'audio, pages…)")
        parser.add_argument("--task", help="tâche de la base de facteurs correspondante (avec --units)")


def _store(args: argparse.Namespace, write: bool = True, new: bool = True):
    return open_store(args.db, write=write, create=getattr(args, "create", False), new=new)


def _factors(store):
    """The factor base with the store's own values of the collectivité applied (overrides)."""
    from footprint.factors import load_with_overrides

    return load_with_overrides(store)


def _print_counts(counts: dict[str, int], what: str = "déclaration(s)") -> None:
    print(f"{counts['created']} {what} créée(s), {counts['modified']} modifiée(s), "
          f"{counts['unchanged']} inchangée(s).")


def run(args: argparse.Namespace) -> int:
    if args.command == "measure":
        return _measure(args)
    if args.command == "inventory":
        return _inventory(args)
    if args.command == "usage":
        return _usage_import(args)
    if args.command == "factors":
        return {"list": _list_overrides, "set": _set_override, "delete": _delete_override}[args.override_action](args)
    handler = {"import": _import, "export": _export, "list": _list, "add": _add, "delete": _delete_or_restore,
               "restore": _delete_or_restore, "history": _history}[args.action]
    return handler(args)


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from footprint.inventory import import_declarations

    store = _store(args)
    frame, counts = import_declarations(args.file, store, _factors(store))
    print(f"Import de {Path(args.file).name} : {len(frame)} ligne(s) lue(s).")
    _print_counts(counts)
    return 0


def _export(args: argparse.Namespace) -> int:
    from footprint.inventory.declarations import export_declarations

    frame = _store(args, write=False).declarations(year=parse_year(args.year))
    path = export_declarations(frame, args.file, args.format, separator=args.separator, decimal=args.decimal,
                               force=args.force)
    print(f"{len(frame)} déclaration(s) exportée(s) dans {path}.")
    return 0


def _list(args: argparse.Namespace) -> int:
    if args.as_of:
        try:
            moment = pd.Timestamp(args.as_of)
            moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment
            if moment.hour == moment.minute == 0 and "T" not in args.as_of and ":" not in args.as_of:
                moment += pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)  # a date: its end
        except ValueError:
            raise InputError([Problem("date illisible (AAAA-MM-JJ)", column="--as-of", value=args.as_of)]) from None
        frame = _store(args, write=False).as_of(moment)
        frame = frame.assign(deleted=False)
        if args.year:
            frame = frame[frame["year"] == parse_year(args.year)]
    else:
        frame = _store(args, write=False).declarations(year=parse_year(args.year), include_deleted=args.all)
    if args.json:
        print(frame.to_json(orient="records", force_ascii=False, date_format="iso"))
        return 0
    if frame.empty:
        print("Aucune déclaration.")
        return 0
    from footprint.vocabulary import KINDS_FR

    for row in frame.itertuples(index=False):
        what = (f"{row.provider}/{row.model}" if row.kind == "llm" else row.gpu if row.kind == "gpu"
                else row.task if row.kind == "task" else "énergie mesurée")
        deleted = " [supprimée]" if row.deleted else ""
        print(f"{row.id}  {row.year}  {row.service}  {KINDS_FR.get(row.kind, row.kind)}  {what}  "
              f"(version {row.version}){deleted}")
    return 0


def _add(args: argparse.Namespace) -> int:
    from footprint.inventory.declarations import FRENCH_COLUMNS, check, parse_record, records_frame

    given = {column: getattr(args, dest) for dest, column in ADD_FIELDS.items() if getattr(args, dest) is not None}
    store = _store(args)
    expected = None
    if args.id:
        stored = store.declarations(include_deleted=True).set_index("id")
        if args.id not in stored.index:
            raise InputError([Problem("déclaration inconnue", column="--id", value=args.id)])
        # The version read is the one replaced, or nothing is saved (StoreConflict: someone else
        # saved it in between).
        expected = {args.id: int(stored.loc[args.id, "version"])}
        # A modification changes only what the user typed; the rest stays as stored.
        record = {c: v for c, v in stored.loc[args.id].to_dict().items() if c in FRENCH_COLUMNS}
        # Stored kinds (task, measured) and booleans read back as a file's would be.
        record = {c: (None if is_missing(v) else v) for c, v in record.items()} | {"id": args.id} | given
    else:
        missing = [flag for flag, column in (("--service", "service"), ("--type", "kind")) if column not in given]
        if missing:
            raise InputError([Problem("obligatoire pour une nouvelle déclaration", column=flag) for flag in missing])
        record = {"year": str(pd.Timestamp.now().year)} | given
    problems: list[Problem] = []
    parsed = parse_record(record, None, 1, problems)  # type: ignore[arg-type]
    flags = {column: "--" + dest.replace("_", "-") for dest, column in ADD_FIELDS.items()}
    flag_of = {french: flags.get(english, french) for english, french in FRENCH_COLUMNS.items()}
    if problems:
        raise InputError([Problem(p.message, column=flag_of.get(p.column, p.column), value=p.value)
                          for p in problems])
    frame = records_frame([parsed])
    factors = _factors(store)
    try:
        check(frame, factors)
    except InputError as error:
        raise InputError([Problem(p.message, column=flag_of.get(p.column, p.column), value=p.value)
                          for p in error.problems]) from None
    from footprint.inventory.declarations import normalise_names

    counts = store.save(normalise_names(frame, factors), action="saisie", expected_versions=expected)
    state = "créée" if counts["created"] else "modifiée" if counts["modified"] else "inchangée"
    print(f"Déclaration {store.last_ids[0]} {state}.")
    return 0


def _check_ids(store, ids: list[str]) -> None:
    known = set(store.declarations(include_deleted=True)["id"])
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise InputError([Problem("déclaration inconnue", column="ID", value=i) for i in unknown])


_DELETIONS = {"delete": "supprimée(s) (elles restent dans l'historique et peuvent être restaurées)",
              "restore": "restaurée(s)"}


def _delete_or_restore(args: argparse.Namespace) -> int:
    """``declarations delete`` and ``restore``: soft deletion and its undoing, ids checked first."""
    store = _store(args, new=False)
    _check_ids(store, args.ids)
    count = (store.delete if args.action == "delete" else store.restore)(args.ids)
    print(f"{count} déclaration(s) {_DELETIONS[args.action]}.")
    return 0


def _history(args: argparse.Namespace) -> int:
    history = _store(args, write=False).history(args.id)
    if args.id and history.empty:
        raise InputError([Problem("déclaration inconnue", column="ID", value=args.id)])
    if history.empty:
        print("Aucun historique.")
        return 0
    from footprint.inventory.declarations import FRENCH_COLUMNS, history_changes

    for row in history_changes(history, FRENCH_COLUMNS):
        detail = f" — {'; '.join(row['changes'])}" if row["changes"] else ""
        print(f"{row['id']} v{row['version']}  {row['changed_at']:%Y-%m-%d %H:%M}  {row['changed_by']}  "
              f"{row['action']}{detail}")
    return 0


def _inventory(args: argparse.Namespace) -> int:
    from footprint.inventory import compute_inventory

    year = parse_year(args.year)
    store = _store(args, write=False)
    factors = _factors(store)
    inventory = compute_inventory(store, factors, year)
    result = inventory.as_dict(args.by)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    if args.csv:
        import csv

        writer = csv.writer(sys.stdout, delimiter=";", lineterminator="\n")
        header = ["groupe", "declarations"] + [f"{IMPACT_COLUMNS_FR[k]}_{ENDS_FR[e]}" for k in IMPACT_COLUMNS_FR
                                                for e in ENDS_FR]
        writer.writerow(header)
        rows = result["groups"] or []
        rows = rows + [{"key": "TOTAL", "declarations": result["declarations"], **result["total"]}]
        for row in rows:
            writer.writerow([row["key"], row["declarations"]] + [
                format(row[k][e], ".10g").replace(".", ",") for k in IMPACT_COLUMNS_FR for e in ENDS_FR])
        return 0
    print(f"Inventaire {year} : {result['declarations']} déclaration(s), "
          f"base de facteurs {result['factor_base_version']}")
    if not factors.overrides.empty:
        print("  Valeurs propres à la collectivité : " + ", ".join(
            f"{row.id} ({' / '.join(map(str, row.key.values())) or row.table_name}, {row.parameter})"
            for row in factors.overrides.itertuples(index=False)))
    for key, label, unit in SUMMARY:
        values = result["total"][key]
        print(f"  {label:<22} {format_range(values['low'], values['central'], values['high'], unit)}")
    if args.by:
        label = {"service": "service", "cas_usage": "cas d'usage", "type": "type", "modele": "modèle"}[args.by]
        print(f"Par {label} (GES, valeur centrale) :")
        for group in result["groups"]:
            gwp = group["gwp_kgco2e"]["central"]
            energy = group["energy_kwh"]["central"]
            print(f"  {group['key']:<40} {format_range(gwp, gwp, gwp, 'kgCO2e'):>14}  "
                  f"{format_range(energy, energy, energy, 'kWh'):>12}  ({group['declarations']} décl.)")
    for warning in result["warnings"]:
        print(f"  ! {warning}")
    return 0


def _usage_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from footprint.inventory.usage_logs import import_usage, parse_mapping

    # The name is a file, never a pattern: « journal[12].csv » is that file or nothing.
    if not Path(args.file).is_file():
        what = "c'est un dossier, pas un fichier" if Path(args.file).is_dir() else "fichier introuvable"
        raise InputError([Problem(what, file=args.file)])
    store = _store(args)
    done = import_usage(args.file, store, _factors(store), preset=args.preset, service=args.service,
                        mapping=parse_mapping(args.map), hosting=args.hosting)
    print(f"Journal {done.file_name} : {format_number(done.rows)} ligne(s) agrégée(s) en "
          f"{len(done.declarations)} déclaration(s) mensuelle(s).")
    _print_counts(done.counts)
    energy, gwp = done.ours["energy_kwh"], done.ours["gwp_kgco2e"]
    print(f"  Empreinte IA : {format_range(energy['low'], energy['central'], energy['high'], 'kWh')} ; "
          f"{format_range(gwp['low'], gwp['central'], gwp['high'], 'kgCO2e')}")
    if done.gateway:
        g = done.gateway
        print(f"  Estimation de la passerelle : de {format_number(g['gateway_kwh_min'])} à "
              f"{format_number(g['gateway_kwh_max'])} kWh ; de {format_number(g['gateway_kgco2e_min'])} à "
              f"{format_number(g['gateway_kgco2e_max'])} kgCO2e")
    return 0


def _measure(args: argparse.Namespace) -> int:

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
        _measure_options(parser, importing=True)
        options = parser.parse_args(command[1:])
        return _measure_import(options, args.db, args.create)
    if not command or not args.name:
        raise InputError([Problem("nom ou commande manquants : python -m footprint measure --name NOM -- "
                                  "COMMANDE [ARGUMENTS…]")])
    from footprint.measurement import Measurement, run_command

    measurement = Measurement(args.name, service=args.service, year=parse_year(args.year), country=args.country,
                              declaration=args.declaration, db=args.db,
                              tokens=parse_number(args.tokens, "--tokens"), model=args.model,
                              units=parse_number(args.units, "--units"), task=args.task,
                              factors=_factors(_store(args)))
    code = run_command(command, measurement)
    run = measurement.run
    row = run.row
    state = "complète" if not run.partial else f"partielle ({row['status_detail']})"
    with contextlib.suppress(OSError):  # the terminal is gone (SIGHUP): the run is recorded, nobody reads this
        _measure_summary(row, state, run.calibration)
    return code


def _measure_summary(row: dict, state: str, calibration: list[str]) -> None:
    from footprint.io.formatting import format_quantity

    print(f"Mesure {state} de « {row['name']} » : {format_number(row['duration_s'])} s, "
          f"{format_quantity(row['energy_kwh'], 'kWh')}, {format_quantity(row['gwp_kgco2e'], 'kgCO2e')} "
          f"(facteur {row['gwp_factor_source']} : {format_number(row['gwp_factor_kgco2e_per_kwh'])} kgCO2e/kWh ; "
          f"CodeCarbon : {format_quantity(row['codecarbon_kgco2e'], 'kgCO2e')}) ; "
          f"enregistrée dans la déclaration {row['declaration_id']}.", file=sys.stderr)
    for line in calibration:
        print(line, file=sys.stderr)


def _measure_import(options: argparse.Namespace, db: str | None, create: bool = False) -> int:
    from pathlib import Path

    from footprint.measurement import import_emissions

    store = open_store(options.db or db, write=True, create=options.create or create)
    counts = import_emissions(options.file, store, _factors(store), service=options.service,
                              year=parse_year(options.year), country=options.country, name=options.name,
                              declaration=options.declaration)
    print(f"Import de {Path(options.file).name} : {counts['runs']} mesure(s) ajoutée(s), "
          f"{counts['updated_runs']} complétée(s) (les mesures déjà présentes et complètes sont ignorées) ; "
          f"{counts['created']} déclaration(s) créée(s), {counts['modified']} mise(s) à jour.")
    return 0


# Fields of an override problem -> the flag of ``factors overrides set`` (or ``delete``) the user typed.
OVERRIDE_FLAGS = {"table": "--table", "cle": "--key", "parametre": "--parameter", "valeur": "--value",
                  "unite": "--unit", "annee": "--year", "justification": "--justification", "id": "ID"}


def _list_overrides(args: argparse.Namespace) -> int:
    frame = _store(args, write=False).factor_overrides(include_deleted=args.all)
    if args.json:
        print(frame.drop(columns=["key_json"]).to_json(orient="records", force_ascii=False, date_format="iso"))
        return 0
    if frame.empty:
        print("Aucune valeur propre : les calculs utilisent les valeurs de la base de facteurs.")
        return 0
    for row in frame.to_dict("records"):
        key = ", ".join(f"{k}={v}" for k, v in row["key"].items()) or "-"
        year = "" if is_missing(row["year"]) else f" ({int(row['year'])})"
        state = " [remplacée ou supprimée]" if row["deleted"] else ""
        value = format(row["value"], ".6g").replace(".", ",")
        print(f"{row['id']}  {row['table_name']}  {key}  {row['parameter']} = {value} "
              f"{row['unit']}{year} — {row['justification']} — {row['created_by']}, "
              f"{row['created_at']:%Y-%m-%d}{state}")
    return 0


def _with_flags(error: InputError) -> InputError:
    """The problems with the flags the user typed, each once (one per parameter would repeat them)."""
    problems = [Problem(p.message, column=OVERRIDE_FLAGS.get(p.column or "", p.column), value=p.value)
                for p in error.problems]
    return InputError(list(dict.fromkeys(problems)))


def _set_override(args: argparse.Namespace) -> int:
    from footprint.factors import FactorBase, save_overrides

    key = {}
    for text in args.key or []:
        column, equal, value = text.partition("=")
        if not equal or not column.strip():
            raise InputError([Problem("clé attendue sous la forme COLONNE=VALEUR", column="--key", value=text)])
        key[column.strip()] = value.strip()
    value = parse_number(args.value, "--value")
    year = parse_year(args.year)
    store = _store(args)
    try:
        ids = save_overrides(store, FactorBase.load(), [
            {"table": args.table, "key": key, "parameter": parameter, "value": value, "unit": args.unit, "year": year,
             "justification": args.justification} for parameter in args.parameter])
    except InputError as error:
        raise _with_flags(error) from None
    print(f"Valeur(s) propre(s) enregistrée(s) : {', '.join(ids)}. Les calculs sur cette base l'utilisent "
          "désormais (version de la base de facteurs suivie de « + »).")
    return 0


def _delete_override(args: argparse.Namespace) -> int:
    from footprint.factors import FactorBase, delete_override

    try:
        delete_override(_store(args, new=False), FactorBase.load(), args.id)
    except InputError as error:
        raise _with_flags(error) from None
    print(f"Valeur propre {args.id} supprimée (elle reste dans l'historique) : la valeur de la base de facteurs "
          "s'applique de nouveau.")
    return 0
