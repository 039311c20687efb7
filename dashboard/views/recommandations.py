"""The Recommandations page: the ranked sobriety recommendations as a table, and what the best
action of each declaration would take off the year's emissions.

Must not: import Streamlit, or rank or compute a saving itself (``scenarios.recommendations``).
"""

from __future__ import annotations

import pandas as pd

from dashboard.views.common import percent
from footprint.inventory import Inventory

__all__ = ["best_reduction", "recommendations_table"]


def recommendations_table(found: list) -> pd.DataFrame:
    """The ranked recommendations as a table (kgCO2e and kWh saved per year)."""
    return pd.DataFrame([{"rang": rank, "declaration": r.declaration_id, "service": r.service, "action": r.action,
                          "kgco2e_evites": r.gwp_saved_kgco2e, "kwh_evites": r.energy_saved_kwh,
                          "hypothese": r.assumption} for rank, r in enumerate(found, start=1)],
                        columns=["rang", "declaration", "service", "action", "kgco2e_evites", "kwh_evites",
                                 "hypothese"])


def best_reduction(table: pd.DataFrame, inventory: Inventory) -> dict[str, float]:
    """Taking the best action of each declaration (the first of ``recommendations_table``): the
    kgCO2e avoided a year, the year's total and the share avoided (percent)."""
    total = inventory.total()["gwp_kgco2e"]["central"]
    best = table.drop_duplicates("declaration")["kgco2e_evites"].clip(lower=0).sum()
    return {"avoided": best, "total": total, "percent": percent(best / total) if total else 0}
