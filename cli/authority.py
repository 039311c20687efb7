"""``python -m footprint collectivite``: the collectivité's profile, set once (``set``) and shown
(``show``): its name, SIREN, population, agents, its latest BEGES and territorial totals and its
PCAET target, which the Synthèse, the exports and the report put the AI footprint beside.

Owns: the options of the group (one per field of ``footprint.inventory.authority.FIELDS``) and
what it prints. Must not: check a value (``check_profile`` does) or hold the rows (the store).
"""

from __future__ import annotations

import argparse
import json

from cli.arguments import add_group, store_of, with_db

COMMAND = "collectivite"


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_parsers(commands: argparse._SubParsersAction, parser_class: type) -> None:
    """The ``collectivite`` group: ``show`` and ``set``."""
    from footprint.inventory.authority import FIELDS

    actions = add_group(commands, parser_class, "collectivite", "profil de la collectivité (population, agents, BEGES)",
                        "Le profil de la collectivité met l'empreinte de l'IA en perspective : par agent, par "
                        "habitant, en part du BEGES ; il porte aussi l'objectif du PCAET.")
    show = with_db(actions.add_parser("show", help="afficher le profil"), write=False)
    show.add_argument("--json", action="store_true", help="un objet JSON")
    change = with_db(actions.add_parser(
        "set", help="renseigner ou modifier le profil (les champs non donnés gardent leur valeur)",
        description="Chaque champ non donné garde sa valeur ; un champ donné vide (\"\") est effacé. Chaque "
                    "modification est gardée dans l'historique, avec son auteur et sa date."))
    for field in FIELDS:
        change.add_argument(_flag(field.name), dest=field.key, help=field.label)


def run(args: argparse.Namespace) -> int:
    from core.errors import InputError, Problem
    from footprint.inventory.authority import FIELDS, check_profile

    if args.action == "show":
        stored = store_of(args, write=False).authority_profile()
        if args.json:
            print(json.dumps({f.name: (stored or {}).get(f.key) for f in FIELDS}, ensure_ascii=False, indent=2))
            return 0
        if stored is None:
            print("Profil de la collectivité non renseigné : python -m footprint collectivite set --nom … "
                  "--population … --agents … --beges-tco2e … --annee-beges …")
            return 0
        _print(stored)
        print(f"Modifié le {stored['saved_at']:%d/%m/%Y %H:%M} par {stored['saved_by']}.")
        return 0
    store = store_of(args)
    given = {field.name: getattr(args, field.key) for field in FIELDS if getattr(args, field.key) is not None}
    if not given:
        print("Rien à changer : donnez au moins un champ (python -m footprint collectivite set --help).")
        return 0
    try:
        profile = check_profile(given, store.authority_profile())
    except InputError as error:  # the fields by their flag
        raise InputError([Problem(p.message, column=_flag(p.column or ""), value=p.value)
                          for p in error.problems]) from None
    changed = store.save_authority_profile(profile.values())
    print("Profil enregistré." if changed else "Profil inchangé : il avait déjà ces valeurs.")
    _print(profile.values())
    return 0


def _print(values: dict) -> None:
    from footprint.inventory.authority import FIELDS
    from footprint.io.formatting import format_number

    for field in FIELDS:
        value = values.get(field.key)
        shown = "–" if value is None else (str(value) if field.bound in (None, "year") else format_number(value, 6))
        print(f"  {field.label} : {shown}")
