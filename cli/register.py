"""``python -m footprint register``: the register of AI uses, one entry per use with its
footprint for the year: ``list`` (a table with each entry's hosting location and applicable law,
or ``--json``), ``export`` (``registre.csv``, French CSV, or ``registre.json``, the Algorithmic
Transparency Standard's attributes, both with the source of the hosting fields) and ``set`` (the
fields people fill: status, legal basis, DPIA, contact, date of review…, kept with history).

Owns: the options of the group (one per editable field of ``footprint.inventory.register.FIELDS``)
and what it prints. Must not: check a value (``check_entry`` does), build a file's content
(``export_register``) or write a file but through ``footprint.io.output_files``.
"""

from __future__ import annotations

import argparse
import json

from cli.arguments import add_group, inventory_year, store_and_factors, with_db

COMMAND = "register"


def add_parsers(commands: argparse._SubParsersAction, parser_class: type) -> None:
    """The ``register`` group: ``list``, ``export`` and ``set``."""
    from footprint.inventory.register import BY_KEY, EDITABLE

    actions = add_group(commands, parser_class, "register", "registre des usages de l'IA (avec leur empreinte)",
                        "Une entrée par usage de l'IA (service, outil, cas d'usage), avec les champs des registres "
                        "publics d'algorithmes et son empreinte de l'année (kWh, kgCO2e, eau, en fourchette).")
    listed = with_db(actions.add_parser("list", help="lister les entrées du registre"), write=False)
    listed.add_argument("--year", help="année de l'inventaire (par défaut la dernière)")
    listed.add_argument("--json", action="store_true", help="les entrées en JSON (attributs du standard)")
    export = with_db(actions.add_parser("export", help="écrire le registre (registre.csv ou registre.json)"),
                     write=False)
    export.add_argument("--out", required=True, help="fichier à écrire : .csv (CSV français) ou .json")
    export.add_argument("--year", help="année de l'inventaire (par défaut la dernière)")
    export.add_argument("--force", action="store_true", help="remplacer le fichier s'il existe")
    change = with_db(actions.add_parser(
        "set", help="renseigner les champs d'une entrée (les champs non donnés gardent leur valeur)",
        description="Chaque champ non donné garde sa valeur ; un champ donné vide (\"\") est effacé. Chaque "
                    "modification est gardée dans l'historique, avec son auteur et sa date."), write=True)
    change.add_argument("entry", metavar="ENTREE", help="identifiant de l'entrée (REG-…, voir register list)")
    change.add_argument("--year", help="année de l'inventaire où chercher l'entrée (par défaut la dernière)")
    for key in EDITABLE:
        field = BY_KEY[key]
        shown = f" ({' | '.join(field.allowed)})" if field.allowed else " (AAAA-MM-JJ)" if field.is_date else ""
        change.add_argument(field.flag, dest=f"field_{key}", help=field.label + shown)
    for alias, key in (("--aipd", "dpia"), ("--revue", "last_review")):
        if BY_KEY[key].flag != alias:
            change.add_argument(alias, dest=f"field_{key}", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from core.errors import InputError, Problem
    from footprint.inventory import register

    store, factors = store_and_factors(args, write=args.action == "set")
    year = inventory_year(args.year, store)
    found = register.entries(store, factors, year)
    if args.action == "list":
        if args.json:
            print(json.dumps([register.standard_record(r, year) for r in found.to_dict("records")],
                             ensure_ascii=False, indent=2, default=str))
            return 0
        _print(found, year)
        return 0
    if args.action == "export":
        from pathlib import Path

        from footprint.io.output_files import shown, write_files

        suffix = Path(args.out).suffix.lower().lstrip(".")
        if suffix not in ("csv", "json"):
            raise InputError([Problem("extension attendue : .csv ou .json", column="--out", value=args.out)])
        written = write_files({args.out: register.export_register(found, suffix)}, force=args.force)
        print(f"Registre {year} écrit : {shown(written[0])} ({len(found)} entrée(s)).")
        return 0
    rows = found[found["entry_id"] == args.entry]
    if rows.empty:
        raise InputError([Problem(f"entrée inconnue pour {year} (voir python -m footprint register list --year "
                                  f"{year})", column="ENTREE", value=args.entry)])
    row = rows.iloc[0].to_dict()
    given = {key: getattr(args, f"field_{key}") for key in register.EDITABLE
             if getattr(args, f"field_{key}", None) is not None}
    if not given:
        print("Rien à changer : donnez au moins un champ (python -m footprint register set --help).")
        return 0
    try:
        version = register.save_entry(store, args.entry, given, int(row["version"]), key=row)
    except InputError as error:  # the fields by their flag
        raise InputError([Problem(p.message, column="--" + (p.column or "").replace("_", "-"), value=p.value)
                          for p in error.problems]) from None
    print(f"Entrée {args.entry} enregistrée (version {version}).")
    return 0


def _given(value) -> str:
    """A field as the list prints it: its text, or « non renseigné »."""
    from footprint.inventory.register import NOT_GIVEN
    from footprint.io.cells import is_missing

    return NOT_GIVEN if is_missing(value) or not str(value).strip() else str(value).strip()


def _print(found, year: int) -> None:
    from footprint.io.formatting import format_range

    if found.empty:
        print(f"Registre {year} : aucune entrée (déclarez d'abord des usages).")
        return
    print(f"Registre des usages de l'IA, {year} : {len(found)} entrée(s)")
    for row in found.to_dict("records"):
        status = row.get("status") or "statut non renseigné"
        print(f"  {row['entry_id']}  {row['name']} ({status})")
        hosting = {key: _given(row.get(key)) for key in ("location", "law")}
        print(f"      hébergement : {hosting['location']} ; droit applicable : {hosting['law']}")
        ranges = [format_range(row[f"{impact}_low"], row[f"{impact}_central"], row[f"{impact}_high"], unit)
                  for impact, unit in (("energy_kwh", "kWh"), ("gwp_kgco2e", "kgCO2e"), ("water_l", "L"))]
        print("      " + " ; ".join(ranges))
