"""``python -m footprint users``: who may do what on a shared instance (sign-in through the
collectivité's identity provider, ``docs/DEPLOIEMENT.md``): ``add`` gives an e-mail a role (the
first administrator is created here, on the server), ``list`` shows them, ``remove`` takes a role
away. The command line is the server's own console: it writes with every right.

Owns: the options of the group and what it prints. Must not: check a value
(``footprint.inventory.users`` does) or hold the rows (the store).
"""

from __future__ import annotations

import argparse
import json

from cli.arguments import add_group, store_of, with_db

COMMAND = "users"


def add_parsers(commands: argparse._SubParsersAction, parser_class: type) -> None:
    """The ``users`` group: ``add``, ``list`` and ``remove``."""
    from footprint.store.access import ROLES

    actions = add_group(commands, parser_class, "users", "utilisateurs et rôles du mode partagé",
                        "Les rôles du mode partagé (connexion par le fournisseur d'identité de la collectivité) : "
                        + ", ".join(ROLES.values()) + ".")
    add = with_db(actions.add_parser("add", help="donner un rôle à une adresse électronique (ou le changer)"))
    add.add_argument("email", help="l'adresse électronique que donne le fournisseur d'identité")
    add.add_argument("--role", required=True, help="rôle : " + ", ".join(ROLES.values()))
    add.add_argument("--service", action="append", default=[], dest="services",
                     help="service pour lequel un agent déclare (répétable)")
    add.add_argument("--nom", dest="name", help="nom affiché (sinon celui du fournisseur d'identité)")
    listed = with_db(actions.add_parser("list", help="lister les utilisateurs et leurs rôles"), write=False)
    listed.add_argument("--json", action="store_true", help="une liste JSON")
    remove = with_db(actions.add_parser("remove", help="retirer le rôle d'une adresse (gardé dans l'historique)"))
    remove.add_argument("email")


FLAGS = {"email": "adresse", "role": "--role", "services": "--service", "name": "--nom"}


def run(args: argparse.Namespace) -> int:
    from core.errors import InputError, Problem
    from footprint.store.access import ROLES

    if args.action == "list":
        people = store_of(args, write=False).users()
        if args.json:
            print(json.dumps([{"email": row.email, "nom": row.name, "role": ROLES[row.role],
                               "services": list(row.services), "modifie_le": row.changed_at.isoformat(),
                               "modifie_par": row.changed_by} for row in people.itertuples()],
                             ensure_ascii=False, indent=2))
            return 0
        if people.empty:
            print("Aucun utilisateur : le mode partagé n'est ouvert à personne. Créez le premier administrateur : "
                  "python -m footprint users add VOTRE.ADRESSE@collectivite.fr --role administrateur")
            return 0
        for row in people.itertuples():
            services = f" — services : {', '.join(row.services)}" if row.services else ""
            name = f" ({row.name})" if row.name else ""
            print(f"{row.email}{name} : {ROLES[row.role]}{services}")
        print(f"{len(people)} utilisateur(s).")
        return 0
    try:
        return _write(args, store_of(args))
    except InputError as error:  # the fields by their flag
        raise InputError([Problem(p.message, column=FLAGS.get(p.column, p.column), value=p.value)
                          for p in error.problems]) from None


def _write(args: argparse.Namespace, store) -> int:
    from footprint.inventory.users import add_user, remove_user
    from footprint.store.access import ROLES

    if args.action == "add":
        user, version = add_user(store, args.email, args.role, args.services, args.name)
        verb = "ajouté" if version == 1 else "mis à jour"
        services = f", services : {', '.join(user.services)}" if user.services else ""
        print(f"{user.email} {verb} : {ROLES[user.role]}{services} (version {version}).")
        return 0
    if remove_user(store, args.email):
        print(f"Rôle de {args.email.strip().lower()} retiré (l'historique le garde).")
    else:
        print(f"{args.email.strip().lower()} n'avait pas de rôle : rien n'a changé.")
    return 0
