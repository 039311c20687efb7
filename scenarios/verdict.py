"""Whether each scenario meets the target, in words: its value in the last projected year with
its range, its change from the inventory year, the emissions the target allows that year, and
the verdict (« atteint », « atteint seulement en valeur centrale »…), for the table under the
trajectories, the export and the report.

Owns: the target a projection is judged against (``Target``: the collectivité's PCAET objective
when its profile sets one, else the SNBC pace of the factor base), the verdict's four cases and
their French sentences. The figures come from the projection (``Projection.totals`` and
``target_path``).

Must not: project anything, hold a number (the SNBC pace is a constant of the factor base; the
PCAET objective is the collectivité's), talk to Streamlit or write files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.units import convert
from footprint.io.formatting import format_number, format_quantity
from scenarios.projection import Projection

# The verdict's cases, from best to worst: the whole range under the target, the central value
# only, the low end only, none of it.
MEETS = "atteint"
CENTRAL_ONLY = "atteint en valeur centrale"
LOW_ONLY = "atteint dans le bas de la fourchette"
MISSES = "non atteint"
VERDICTS = (MEETS, CENTRAL_ONLY, LOW_ONLY, MISSES)


@dataclass(frozen=True)
class Target:
    """What a projection is judged against: ``reduction`` (0.4 for −40 %) by ``year`` (the
    collectivité's PCAET objective), or neither (the SNBC pace of the factor base)."""

    reduction: float | None = None
    year: int | None = None

    @property
    def is_pcaet(self) -> bool:
        return self.reduction is not None

    def path(self, projection: Projection) -> np.ndarray:
        """The emissions allowed each year of the projection [kgCO2e]."""
        return projection.target_path(self.reduction, self.year if self.is_pcaet else None)

    def describe(self, projection: Projection) -> str:
        """The target in words: « objectif PCAET : −40 % en 2030 par rapport à 2025 » or « rythme
        de la SNBC : −5 % par an (base de facteurs) »."""
        start = int(projection.years[0])
        if self.is_pcaet:
            reduction = round(convert(self.reduction, "dimensionless", "percent"), 9)  # 0.55 -> 55, not 55.00…01
            return (f"objectif PCAET : −{format_number(reduction)} % en "
                    f"{self.year or int(projection.years[-1])} par rapport à {start}")
        pace = convert(-projection.snbc_annual_change, "dimensionless", "percent")
        return f"rythme de la SNBC : −{format_number(pace)} % par an à partir de {start} (base de facteurs)"


def target_of(profile) -> Target:
    """The target of a collectivité's profile (``footprint.inventory.authority.Profile``): its
    PCAET objective when set, else the SNBC pace."""
    chosen = profile.target if profile is not None else None
    return Target(*chosen) if chosen else Target()


@dataclass(frozen=True)
class Verdict:
    """One scenario judged in the last projected year (GWP in kgCO2e)."""

    scenario: str
    label: str
    year: int
    low: float
    central: float
    high: float
    start: float
    allowed: float
    verdict: str

    @property
    def change(self) -> float:
        """Change of the central value from the inventory year (−0.3 for −30 %)."""
        return self.central / self.start - 1.0 if self.start else 0.0

    @property
    def text(self) -> str:
        """The verdict in a sentence."""
        gap = self.central / self.allowed - 1.0 if self.allowed else 0.0
        over = f"{format_number(convert(abs(gap), 'dimensionless', 'percent'))} %"
        allowed = format_quantity(self.allowed, "kgCO2e")
        if self.verdict == MEETS:
            return f"Atteint l'objectif, même en haut de la fourchette ({allowed} permis en {self.year})."
        if self.verdict == CENTRAL_ONLY:
            return (f"Atteint l'objectif en valeur centrale ({over} sous les {allowed} permis en {self.year}), "
                    "mais pas dans le haut de la fourchette.")
        above = (f"{over} au-dessus des {allowed} permis" if gap < 1 else
                 f"{format_number(self.central / self.allowed)} fois les {allowed} permis")
        if self.verdict == LOW_ONLY:
            return (f"N'atteint pas l'objectif en valeur centrale ({above} en {self.year}) ; seul le bas de la "
                    "fourchette y parvient.")
        return f"N'atteint pas l'objectif : {above} en {self.year}, même en bas de la fourchette."


def verdicts(projection: Projection, target: Target) -> list[Verdict]:
    """Each scenario of ``projection`` judged against ``target`` in its last year."""
    totals = projection.totals()
    first, last = int(projection.years[0]), int(projection.years[-1])
    allowed = float(target.path(projection)[-1])
    found = []
    for scenario in projection.scenarios:
        rows = totals[totals["scenario"] == scenario.id].set_index("year")
        low, central, high = (float(rows.loc[last, f"gwp_kgco2e_{end}"]) for end in ("low", "central", "high"))
        start = float(rows.loc[first, "gwp_kgco2e_central"])
        verdict = (MEETS if high <= allowed else CENTRAL_ONLY if central <= allowed else
                   LOW_ONLY if low <= allowed else MISSES)
        found.append(Verdict(scenario.id, scenario.label, last, low, central, high, start, allowed, verdict))
    return found
