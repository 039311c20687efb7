"""``python -m footprint inventory --year AAAA``: the totals of an inventory year, with their
range, the factor base behind them and, with ``--by``, one line per group (text, ``--json`` or a
French ``--csv``).

Owns: the options of the command and what it prints; the impacts it names are the vocabulary's
(``IMPACTS``: those that are not a part of another), its groupings the French columns of the
files. Must not: write anything, nor compute a figure (``footprint.inventory`` does).
"""

from __future__ import annotations

import argparse
import json

from cli.arguments import add_output_options, factors_of, parse_year, store_of, with_db
from cli.output import print_impacts_csv
from footprint.io.formatting import format_range
from footprint.vocabulary import FILE_COLUMNS, IMPACTS, LABELS, LEVEL_COLUMN, SOURCE_COLUMN, STORE_COLUMNS

COMMAND = "inventory"

# The totals printed, each on its line: the impacts that are not a part of another.
SUMMARY = [(i.key, i.label, i.unit) for i in IMPACTS if i.part_of is None]
# ``--by``: the French columns a group is named by.
GROUP_BY = [*(FILE_COLUMNS[c] for c in ("service", "use_case", "kind", "model", "product")), LEVEL_COLUMN,
            SOURCE_COLUMN]


def add_parsers(commands: argparse._SubParsersAction, parser_class: type) -> None:
    """The ``inventory`` command."""
    inventory = with_db(commands.add_parser("inventory", help="totaux de l'inventaire d'une année",
                                            description="Totaux de l'inventaire d'une année, par groupe."),
                        write=False)
    inventory.add_argument("--year", required=True, help="année d'inventaire")
    inventory.add_argument("--by", choices=GROUP_BY, help="regrouper par")
    add_output_options(inventory, "un objet JSON")


def run(args: argparse.Namespace) -> int:
    from footprint.inventory import compute_inventory

    year = parse_year(args.year)
    store = store_of(args, write=False)
    factors = factors_of(store)
    inventory = compute_inventory(store, factors, year)
    result = inventory.as_dict(args.by)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    if args.csv:
        rows = (result["groups"] or []) + [{"key": "TOTAL", "declarations": result["declarations"],
                                           **result["total"]}]
        print_impacts_csv(["groupe", "declarations"],
                          (([row["key"], row["declarations"]], lambda k, e, row=row: row[k][e]) for row in rows))
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
        named = {LEVEL_COLUMN: "niveau de connaissance du volume", SOURCE_COLUMN: "source du volume"}
        print(f"Par {named.get(args.by) or LABELS[STORE_COLUMNS[args.by]].lower()} (GES, valeur centrale) :")
        for group in result["groups"]:
            gwp = group["gwp_kgco2e"]["central"]
            energy = group["energy_kwh"]["central"]
            print(f"  {group['key']:<40} {format_range(gwp, gwp, gwp, 'kgCO2e'):>14}  "
                  f"{format_range(energy, energy, energy, 'kWh'):>12}  ({group['declarations']} décl.)")
    for warning in result["warnings"]:
        print(f"  ! {warning}")
    return 0
