"""Everyday equivalences of an amount of greenhouse gas (ADEME Impact CO2 factors of the base):
named ones (``equivalences``), or those of a sensible order of magnitude for the figure
(``scaled_equivalences``): 220 kgCO2e is « 1 010 km en voiture thermique » or « 1,2 ordinateur
portable fabriqué », not « 75 000 km en TGV ».

Owns: the rule that picks equivalences for a figure (a quantity a person can picture, one per
kind of unit, closest to the middle of the readable range first) and their French text.
Must not: hold a factor (the ``equivalences`` table of the base has them, with their source).
"""

from __future__ import annotations

import math

import pandas as pd

from footprint.factors import FactorBase
from footprint.io.formatting import format_number

# A presentation choice, not a factor: a quantity between these reads as something one can picture
# (« 3 allers-retours », « 450 km »); outside it, « 0,002 smartphone » or « 75 000 km » does not.
READABLE = (1.0, 2000.0)

COLUMNS = ["equivalence", "label", "quantite", "texte"]


def _table(factors: FactorBase) -> pd.DataFrame:
    return factors.con.execute(
        "SELECT equivalence, label, unit_of_work, gwp_per_unit FROM equivalences ORDER BY equivalence").df()


def _texts(table: pd.DataFrame) -> list[str]:
    return [f"{format_number(q)} {label}" for q, label in zip(table["quantite"], table["label"])]


def equivalences(gwp_kgco2e: float, factors: FactorBase, names: tuple[str, ...] | None = None) -> pd.DataFrame:
    """What ``gwp_kgco2e`` equals with the equivalences ``names`` (all of them when None), in that order."""
    table = _table(factors)
    if names:
        table = table.set_index("equivalence").loc[list(names)].reset_index()
    table["quantite"] = gwp_kgco2e / table["gwp_per_unit"]
    table["texte"] = _texts(table)
    return table[COLUMNS]


def scaled_equivalences(gwp_kgco2e: float, factors: FactorBase, count: int = 3) -> pd.DataFrame:
    """Up to ``count`` equivalences of ``gwp_kgco2e`` whose quantity is readable (``READABLE``),
    at most one per unit of work (not three distances), those nearest the middle of the range
    first; when none is readable (a tiny or a huge figure), the nearest one."""
    table = _table(factors)
    if not gwp_kgco2e or gwp_kgco2e <= 0 or table.empty:
        return pd.DataFrame(columns=COLUMNS)
    table["quantite"] = gwp_kgco2e / table["gwp_per_unit"]
    low, high = READABLE
    middle = 0.5 * (math.log10(low) + math.log10(high))
    table["distance"] = (table["quantite"].map(math.log10) - middle).abs()
    table["readable"] = table["quantite"].between(low, high)
    chosen = (table[table["readable"]] if table["readable"].any() else table).sort_values(
        ["distance", "equivalence"], kind="stable").drop_duplicates("unit_of_work").head(
        count if table["readable"].any() else 1).reset_index(drop=True)
    chosen["texte"] = _texts(chosen)
    return chosen[COLUMNS]
