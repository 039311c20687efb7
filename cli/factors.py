"""``python -m footprint factors overrides list|set|delete``: the collectivité's own values of the
factor base (a measured PUE, a supplier's electricity factor…), which replace the base's in every
computation on the store; each with its justification, kept in the history when replaced.

Owns: the options of the group, the flag each field of an override problem is shown as, and what
it prints. Must not: check a value itself (``footprint.factors.save_overrides`` does).
"""

from __future__ import annotations

import argparse

from cli.arguments import add_group, parse_number, parse_year, store_of, with_db
from core.errors import InputError, Problem
from footprint.io.cells import is_missing

COMMAND = "factors"

# Fields of an override problem -> the flag of ``factors overrides set`` (or ``delete``) the user typed.
OVERRIDE_FLAGS = {"table": "--table", "cle": "--key", "parametre": "--parameter", "valeur": "--value",
                  "unite": "--unit", "annee": "--year", "justification": "--justification", "id": "ID"}
# ``factors overrides set``: flag -> (help, required, repeatable).
_SET_OPTIONS = {
    "--table": ("table de la base : hosting_profiles, electricity_mix, constants, gpus, tasks…", True, False),
    "--key": ("clé de la ligne (répétable) : hosting=salle_serveurs ; zone=FRA, dataset=…, year=…", False, True),
    "--parameter": ("paramètre remplacé (répétable : pue_min et pue_max pour une valeur unique)", True, True),
    "--value": ("la valeur propre à la collectivité", True, False),
    "--unit": ("son unité (dimensionless, kgCO2e/kWh, W…)", True, False),
    "--year": ("année de la valeur (pour l'électricité : celle de la clé)", False, False),
    "--justification": ("d'où vient la valeur (mesure, facture, étude…)", True, False),
}


def add_parsers(commands: argparse._SubParsersAction, parser_class: type) -> None:
    """The ``factors`` group: ``overrides list``, ``set`` and ``delete``."""
    factor_actions = add_group(commands, parser_class, "factors",
                               "base de facteurs : valeurs propres à la collectivité",
                               "Base de facteurs : valeurs propres à la collectivité, qui remplacent celles de la "
                               "base dans tous les calculs sur la base de données.")
    override_actions = add_group(factor_actions, parser_class, "overrides",
                                 "lister, enregistrer ou supprimer des valeurs propres", dest="override_action")
    listed = with_db(override_actions.add_parser("list", help="lister les valeurs propres"), write=False)
    listed.add_argument("--all", action="store_true", help="inclure les valeurs remplacées ou supprimées")
    listed.add_argument("--json", action="store_true", help="en JSON")
    saved = with_db(override_actions.add_parser("set", help="enregistrer une valeur propre (remplace la précédente)"))
    for flag, (text, required, repeatable) in _SET_OPTIONS.items():
        saved.add_argument(flag, help=text, required=required, action="append" if repeatable else "store",
                           **({"metavar": "COLONNE=VALEUR"} if flag == "--key" else {}))
    deleted = with_db(override_actions.add_parser("delete", help="supprimer une valeur propre (gardée dans "
                                                                  "l'historique) : la valeur de la base revient"),
                      creates=False)
    deleted.add_argument("id", metavar="ID")


def run(args: argparse.Namespace) -> int:
    return {"list": _list, "set": _set, "delete": _delete}[args.override_action](args)


def _list(args: argparse.Namespace) -> int:
    frame = store_of(args, write=False).factor_overrides(include_deleted=args.all)
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


def _set(args: argparse.Namespace) -> int:
    from footprint.factors import FactorBase, save_overrides

    key = {}
    for text in args.key or []:
        column, equal, value = text.partition("=")
        if not equal or not column.strip():
            raise InputError([Problem("clé attendue sous la forme COLONNE=VALEUR", column="--key", value=text)])
        key[column.strip()] = value.strip()
    value = parse_number(args.value, "--value")
    year = parse_year(args.year)
    store = store_of(args)
    try:
        ids = save_overrides(store, FactorBase.load(), [
            {"table": args.table, "key": key, "parameter": parameter, "value": value, "unit": args.unit, "year": year,
             "justification": args.justification} for parameter in args.parameter])
    except InputError as error:
        raise _with_flags(error) from None
    print(f"Valeur(s) propre(s) enregistrée(s) : {', '.join(ids)}. Les calculs sur cette base l'utilisent "
          "désormais (version de la base de facteurs suivie de « + »).")
    return 0


def _delete(args: argparse.Namespace) -> int:
    from footprint.factors import FactorBase, delete_override

    try:
        delete_override(store_of(args, new=False), FactorBase.load(), args.id)
    except InputError as error:
        raise _with_flags(error) from None
    print(f"Valeur propre {args.id} supprimée (elle reste dans l'historique) : la valeur de la base de facteurs "
          "s'applique de nouveau.")
    return 0
