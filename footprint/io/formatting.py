"""French formatting of numbers and quantities for people (CLI, dashboard, notes).

``1234.5`` -> ``1 234,5``: narrow no-break space for thousands, comma for decimals. Quantities
are shown in the unit of their family that keeps the number readable (Wh rather than 0.002 kWh).
"""

from __future__ import annotations

import math

THIN_SPACE = "\u202f"


# Display scales of each family: (threshold in base unit, factor to display, unit label).
# No mWh nor mgCO2e: too easy to misread as MWh; small values get decimals instead.
_SCALES = {
    "kWh": [(1e6, 1e-6, "GWh"), (1e3, 1e-3, "MWh"), (1.0, 1.0, "kWh"), (0.0, 1e3, "Wh")],
    "kgCO2e": [(1e6, 1e-6, "ktCO2e"), (1e3, 1e-3, "tCO2e"), (1.0, 1.0, "kgCO2e"), (0.0, 1e3, "gCO2e")],
    "L": [(1e3, 1e-3, "m³"), (1.0, 1.0, "L"), (0.0, 1e3, "mL")],
    "kgSbeq": [(1.0, 1.0, "kgSbeq"), (1e-3, 1e3, "gSbeq"), (1e-6, 1e6, "mgSbeq"), (0.0, 1e9, "µgSbeq")],
    "MJ": [(1e6, 1e-6, "TJ"), (1e3, 1e-3, "GJ"), (1.0, 1.0, "MJ"), (0.0, 1e3, "kJ")],
}


def format_number(value: float, significant: int = 3) -> str:
    """A number the French way, rounded to ``significant`` figures (integers kept whole)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if value == 0:
        return "0"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}".replace(",", THIN_SPACE)
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(0, significant - 1 - magnitude)
    text = f"{value:,.{decimals}f}"
    return text.replace(",", THIN_SPACE).replace(".", ",")


def scale_for(value: float, base_unit: str) -> tuple[float, str]:
    """(factor, unit label) that shows ``value`` (in ``base_unit``) readably."""
    if value == 0:
        return 1.0, base_unit
    for threshold, factor, label in _SCALES[base_unit]:
        if abs(value) >= threshold:
            return factor, label
    return _SCALES[base_unit][-1][1:]


def format_quantity(value: float, base_unit: str, significant: int = 3) -> str:
    factor, label = scale_for(value, base_unit)
    return f"{format_number(value * factor, significant)} {label}"


def format_range(low: float, central: float, high: float, base_unit: str) -> str:
    """``1,92 Wh (de 1,44 à 2,40 Wh)`` — the range in the central value's unit."""
    factor, label = scale_for(central, base_unit)
    if math.isclose(low, high, rel_tol=1e-9, abs_tol=0.0):
        return f"{format_number(central * factor)} {label}"
    return (f"{format_number(central * factor)} {label} "
            f"(de {format_number(low * factor)} à {format_number(high * factor)} {label})")
