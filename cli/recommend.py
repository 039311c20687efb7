"""``python -m footprint recommend``: the sober alternatives of each declaration of an inventory
year that a service can act on, ranked by the tCO2e they would avoid, each with the service, the
tool and use case concerned, its effort, its saving and its assumption, then what the best action
of each declaration would take off the year; then the uses the agents' survey found through
personal or free accounts, to move to a tool the authority frames, with the footprint change
(``--json``: one list, the sobriety actions first, each object's ``famille`` « sobriété » or
« encadrer »).

Owns: the options of the command and what it prints. Must not: find or rank an alternative
itself (``scenarios.recommendations`` does).
"""

from __future__ import annotations

import argparse
import json

from cli.arguments import add_db_options, inventory_year, store_and_factors

COMMAND = "recommend"


def add_parsers(commands: argparse._SubParsersAction, parser_class: type) -> None:
    """The ``recommend`` command."""
    recommend = commands.add_parser("recommend", help="recommandations de sobriété, classées par tCO2e évitées",
                                    description="Alternatives sobres de chaque déclaration et ce qu'elles éviteraient.")
    recommend.add_argument("--year", help="année d'inventaire (par défaut la plus récente)")
    add_db_options(recommend, creates=False)
    recommend.add_argument("--json", action="store_true", help="une liste d'objets JSON")


def run(args: argparse.Namespace) -> int:
    from footprint.inventory import compute_inventory
    from scenarios.recommendations import frame_uses, recommend

    store, factors = store_and_factors(args)
    inventory = compute_inventory(store, factors, inventory_year(args.year, store))
    found = recommend(inventory, factors)
    framing = frame_uses(inventory, factors, store.survey_groups(inventory.year))
    if args.json:
        records = ([{"famille": "sobriété"} | r.as_dict() for r in found]
                   + [{"famille": "encadrer"} | r.as_dict() for r in framing])
        print(json.dumps(records, ensure_ascii=False, indent=2, allow_nan=False))
        return 0
    if not found and not framing:
        print("Aucune recommandation : l'inventaire de cette année est vide.")
        return 0
    if found:
        _print_sobriety(found, inventory)
    if framing:
        _print_framing(framing, inventory.year)
    return 0


def _print_sobriety(found, inventory) -> None:
    from core.units import convert
    from footprint.io.formatting import format_number, format_quantity
    from scenarios.recommendations import best_actions

    print(f"Recommandations de sobriété pour {inventory.year}, de la plus utile à la moins utile :")
    for rank, item in enumerate(found, start=1):
        about = ", ".join(part for part in (item.tool, item.use_case) if part)
        print(f"{rank:>3}. {item.service} — {about} ({item.declaration_id})")
        print(f"     {item.action} [{item.effort_label}] : {item.saving}.")
        print(f"     {item.assumption}")
    best = best_actions(found)
    total = inventory.total()["gwp_kgco2e"]["central"]
    if best and total > 0:
        avoided = sum(item.gwp_saved_kgco2e for item in best)
        print(f"En retenant la meilleure action de chaque déclaration ({len(best)}), l'inventaire baisserait de "
              f"{format_quantity(avoided, 'kgCO2e')} sur {format_quantity(total, 'kgCO2e')} "
              f"(−{format_number(convert(avoided / total, 'dimensionless', 'percent'))} %).")


def _print_framing(framing, year: int) -> None:
    print(f"Encadrer les usages hors cadre ({year}) : les usages que l'enquête auprès des agents trouve par un compte "
          "personnel ou gratuit, à passer par un outil encadré par la collectivité (motif : confidentialité et "
          "responsabilité, pas la sobriété ; non compté dans la baisse ci-dessus) :")
    for rank, item in enumerate(framing, start=1):
        print(f"{rank:>3}. {item.service} — {item.tool} ({item.uses} usage(s), dont {item.sensitive_yes} avec des "
              f"données personnelles ou confidentielles)")
        print(f"     {item.action} [{item.effort_label}] : {item.change}.")
        print(f"     {item.reason}")
        print(f"     {item.assumption}")
