"""From energies and factors to the engine's output columns: the impacts every kind shares
(``footprint.methods.impacts`` applied to the IT energy, the hosting and the mix), their
magnitudes in the units of ``footprint.vocabulary.IMPACTS``, and the partial results of a kind.

Owns which formula gives which output impact, and the output units. Must not query the factor
base (``resolution`` does) nor hold a factor or a unit of its own: the units an impact is
written in are the vocabulary's, those of a mix factor the factor base's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.units import ureg
from footprint.engine.resolution import floats
from footprint.factors import FactorBase
from footprint.methods import impacts
from footprint.vocabulary import IMPACTS, USAGE_SPLIT

# An impact made of parts (the GHG emissions: usage + manufacturing) is their sum, in the
# vocabulary's order; every other output impact is given by a formula, linear in the energy.
SUMS: dict[str, tuple[str, ...]] = {
    total: tuple(i.key for i in IMPACTS if i.part_of == total)
    for total in dict.fromkeys(i.part_of for i in IMPACTS if i.part_of)}
OUTPUT_UNITS: dict[str, str] = {i.key: i.unit for i in (*IMPACTS, *USAGE_SPLIT) if i.key not in SUMS}
LINEAR_IMPACTS = tuple(OUTPUT_UNITS)

# The embodied part of each impact that has one: name in the factor base (``embodied_gwp``,
# ``server_embodied_adpe``...) -> output impact it goes into.
EMBODIED_IMPACTS = {"gwp": "gwp_embodied_kgco2e", "adpe": "adpe_kgsbeq", "pe": "pe_mj"}
EMBODIED = tuple(EMBODIED_IMPACTS)
# The factors of an electricity mix: name in ``impacts_of`` -> ``electricity_mix`` parameter.
MIX_PARAMETERS = {"gwp": "gwp", "adpe": "adpe", "pe": "pe", "wue": "wue_offsite"}


@dataclass
class Partial:
    """Impacts of the rows of one kind, by end of the range: row ids and arrays."""

    row_id: np.ndarray
    low: dict[str, np.ndarray]
    high: dict[str, np.ndarray]
    warnings: list[str] = field(default_factory=list)
    written: bool = False  # results already in the output block


def mix_factors(columns: dict, factors: FactorBase) -> dict:
    """The fetched mix columns (``resolution.MIX_COLUMNS``) as quantities in the base's units."""
    return {name: factors.quantity("electricity_mix", parameter, floats(columns[parameter]))
            for name, parameter in MIX_PARAMETERS.items()}


def no_embodied(magnitude, per: str = "") -> dict:
    """Embodied parts of zero (``magnitude``: 0 or an array of zeros), in the output units
    divided by ``per`` for rates."""
    return {name: ureg.Quantity(magnitude, f"{OUTPUT_UNITS[key]} / {per}" if per else OUTPUT_UNITS[key])
            for name, key in EMBODIED_IMPACTS.items()}


def impacts_of(it_energy, pue, wue, mix: dict, embodied: dict) -> dict:
    """Every output impact (but the sums) from the IT energy, the hosting and the mix.

    Works on totals (kWh) as well as on rates (kWh per second, per token): units follow.
    """
    energy = impacts.facility_energy(it_energy, pue)
    return {
        "energy_kwh": energy,
        "gwp_usage_kgco2e": impacts.usage_gwp(energy, mix["gwp"]),
        "gwp_embodied_kgco2e": embodied["gwp"],
        "water_l": impacts.usage_water(it_energy, wue, pue, mix["wue"]),
        "adpe_kgsbeq": impacts.usage_adpe(energy, mix["adpe"]) + embodied["adpe"],
        "pe_mj": impacts.usage_pe(energy, mix["pe"]) + embodied["pe"],
        "adpe_usage_kgsbeq": impacts.usage_adpe(energy, mix["adpe"]),
        "pe_usage_mj": impacts.usage_pe(energy, mix["pe"]),
    }


def write_sums(values: dict[str, np.ndarray], where: slice = slice(None)) -> None:
    """Write each impact made of parts as the sum of its parts, in place, over ``where``."""
    for total, (first, second, *others) in SUMS.items():
        target = values[total][where]
        np.add(values[first][where], values[second][where], out=target)
        for part in others:
            target += values[part][where]


def magnitudes(quantities: dict, per: str = "") -> dict[str, np.ndarray]:
    """Magnitudes in the output units (``per`` a unit to divide them by, for rates), with the
    sums of parts for totals (a rate's sums follow its parts: they are not written)."""
    out = {key: quantities[key].m_as(f"{unit} / {per}" if per else unit) for key, unit in OUTPUT_UNITS.items()}
    if not per:
        for total, parts in SUMS.items():
            out[total] = np.empty_like(out[parts[0]])
        write_sums(out)
    return out


def row_selector(row_id: np.ndarray, n: int) -> slice | np.ndarray:
    """Where a kind's results go in the output: a slice when its rows are all rows, in order."""
    row_id = np.asarray(row_id, dtype=np.int64)
    if len(row_id) == n and (n == 0 or (row_id[0] == 0 and row_id[-1] == n - 1 and np.all(np.diff(row_id) == 1))):
        return slice(None)
    return row_id
