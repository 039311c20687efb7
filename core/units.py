"""The unit registry of the domain: the one Pint registry every module shares.

Owns the definitions of the units that Pint does not know (kgCO2e, kgSbeq, token, request,
message (one message sent to an AI product), GPU, billion parameters, the per-unit task and
equivalence units). It holds no factor: unit definitions only say how units relate to each
other, never what an activity emits.
"""

from __future__ import annotations

from functools import lru_cache

import pint

# Each line is a Pint definition. New dimensions are created for the impact categories and
# for the things we count, so that a "kWh / token" can never be added to a "kWh / image".
_DEFINITIONS = """
kgCO2e = [global_warming] = kgCO2eq
gCO2e = 1e-3 * kgCO2e = gCO2eq
tCO2e = 1e3 * kgCO2e = tCO2eq = teqCO2
ktCO2e = 1e6 * kgCO2e = ktCO2eq = kteqCO2
kgSbeq = [abiotic_depletion] = kgSbe
gSbeq = 1e-3 * kgSbeq
mgSbeq = 1e-6 * kgSbeq
token = [token]
ktoken = 1e3 * token
Mtoken = 1e6 * token
request = [request]
message = [message]
parameter = [model_parameter]
billion_parameters = 1e9 * parameter = Bparam
gpu = [gpu]
gpu_hour = gpu * hour
cpu_core = [cpu_core]
flop = [floating_point_operation]
Tflop = 1e12 * flop
image = [image]
page = [page]
audio_minute = [audio_duration]
audio_hour = 60 * audio_minute
classification = [classification]
inference = [inference]
email = [email]
device = [device]
trip = [trip]
passenger = [passenger]
passenger_km = passenger * kilometer
vehicle_km = kilometer
"""


def _build_registry() -> pint.UnitRegistry:
    # Pint's own cache of its definition files (in the user's cache folder) makes every later
    # start ten times faster; without a writable cache folder, Pint reads its files as usual.
    try:
        registry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True, cache_folder=":auto:")
    except OSError:
        registry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    for line in _DEFINITIONS.strip().splitlines():
        registry.define(line)
    return registry


ureg: pint.UnitRegistry = _build_registry()


def parse_unit(text: str) -> pint.Unit:
    """Parse a unit string of a factor table (``"kgCO2e/kWh"``, ``"Wh / token"``).

    Raises ``pint.errors.PintError`` or ``ValueError`` when the text is not a unit.
    """
    return ureg.parse_units(text.strip())


@lru_cache(maxsize=64)
def _factor(unit: str, shown: str) -> float:
    # Rounded to 12 significant digits: Pint's litre is (0.1 m)³, so its factor to m³ carries a
    # last-bit error (0.001 + 2e-19); the units shown differ from the engine's by powers of ten.
    return float(f"{ureg.Quantity(1.0, unit).m_as(shown):.12g}")


def convert(values, unit: str, shown: str):
    """``values`` (a number, an array or a Series) in ``unit`` expressed in ``shown``, both Pint
    units (« kgCO2e » → « tCO2e »). A factor above one multiplies, below one its inverse divides,
    so that a power of ten scales exactly (1 234 kgCO2e is 1,234 tCO2e to the last bit).

    >>> convert(1234.0, "kgCO2e", "tCO2e")
    1.234
    >>> convert(2500.0, "L", "m**3")
    2.5
    """
    factor = _factor(unit, shown)
    return values * factor if factor >= 1 else values / _factor(shown, unit)
