"""``python -m footprint recommend``: the sober alternatives of each declaration of an inventory
year, ranked by the tCO2e they would avoid, each with its assumption (``--json``: a list).

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
    from footprint.io.formatting import format_quantity
    from scenarios.recommendations import recommend

    store, factors = store_and_factors(args)
    inventory = compute_inventory(store, factors, inventory_year(args.year, store))
    found = recommend(inventory, factors)
    if args.json:
        print(json.dumps([r.as_dict() for r in found], ensure_ascii=False, indent=2, allow_nan=False))
        return 0
    if not found:
        print("Aucune recommandation : l'inventaire de cette année est vide.")
        return 0
    print(f"Recommandations de sobriété pour {inventory.year}, de la plus utile à la moins utile :")
    for rank, item in enumerate(found, start=1):
        energy = (f"et {format_quantity(item.energy_saved_kwh, 'kWh')}" if item.energy_saved_kwh >= 0 else
                  f"mais consomme {format_quantity(-item.energy_saved_kwh, 'kWh')} de plus")
        saved = (f"évite {format_quantity(item.gwp_saved_kgco2e, 'kgCO2e')} par an, {energy}"
                 if item.gwp_saved_kgco2e else "améliore la précision")
        print(f"{rank:>3}. {item.declaration_id} ({item.service}) : {item.action} — {saved}.")
        print(f"     {item.assumption}")
    return 0
