"""What several pages show alike: the inventory years, the table of an ``InputError``'s problems,
everyday equivalences of a GWP (named ones, or those of a sensible order of magnitude), figures
converted to the units shown (Pint), and the French formatting of numbers and the unit that reads
well for a figure (re-exported, so that pages format through the dashboard).

Must not: import Streamlit, hold a factor or a unit factor of its own (Pint and the factor base
have them), or write to the store.
"""

from __future__ import annotations

import pandas as pd

from core.errors import InputError
from core.units import convert
from emission_factors.schema import read_input_bounds
from footprint.io.cells import is_missing
from footprint.io.formatting import format_number, format_quantity, format_range, scale_for
from footprint.reporting.equivalences import equivalences, scaled_equivalences
from footprint.vocabulary import KIND_LABELS, LABELS

__all__ = ["KIND_LABELS", "LABELS", "YEAR_BOUNDS", "convert", "equivalences", "format_number", "format_quantity",
           "format_range", "inventory_years", "percent", "problems_table", "scale_for", "scaled_equivalences"]

# The inventory years a form offers (schema.toml [inputs], the bounds an import checks).
_YEAR = read_input_bounds()["year"]
YEAR_BOUNDS: tuple[int, int] = (int(_YEAR.minimum), int(_YEAR.maximum))


def percent(fraction):
    """A share (0.25) as a percentage (25)."""
    return convert(fraction, "dimensionless", "percent")


def inventory_years(declarations: pd.DataFrame) -> list[int]:
    """Years that have at least one of the active ``declarations``, latest first."""
    return sorted(declarations["year"].dropna().astype(int).unique().tolist(), reverse=True)


def problems_table(error: InputError) -> pd.DataFrame:
    """The problems of an ``InputError`` as a French table (file, line, column, value, why)."""
    return pd.DataFrame([{"Fichier": p.file or "", "Ligne": "" if p.line is None else str(p.line),
                          "Colonne": p.column or "", "Valeur": "" if is_missing(p.value) else str(p.value),
                          "Problème": p.message} for p in error.problems])
