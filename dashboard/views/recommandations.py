"""The Recommandations page: the ranked sobriety recommendations as a table (service, tool, use
case, action, effort, saving and assumption, in labels people read), what the best action of
each declaration would take off the year's emissions, and, apart, the « encadrer »
recommendations (uses through personal or free accounts moved to a framed tool, with the
footprint change, up or down).

Must not: import Streamlit, or rank or compute a saving itself (``scenarios.recommendations``).
"""

from __future__ import annotations

import pandas as pd

from dashboard.views.common import percent
from footprint.inventory import Inventory

__all__ = ["best_reduction", "framing_table", "recommendations_table"]

COLUMNS = ["rang", "declaration", "service", "outil", "cas_usage", "action", "effort", "economie",
           "kgco2e_evites", "kwh_evites", "kwh_en_plus", "hypothese"]


def recommendations_table(found: list) -> pd.DataFrame:
    """The ranked recommendations as a table: ``economie`` says the saving in words, and the
    numbers are never negative: ``kgco2e_evites`` and ``kwh_evites`` are saved per year,
    ``kwh_en_plus`` the energy an action uses in addition (it saves GHG all the same)."""
    return pd.DataFrame([{"rang": rank, "declaration": r.declaration_id, "service": r.service, "outil": r.tool,
                          "cas_usage": r.use_case or "", "action": r.action, "effort": r.effort_label,
                          "economie": r.saving, "kgco2e_evites": r.gwp_saved_kgco2e,
                          "kwh_evites": max(r.energy_saved_kwh, 0.0), "kwh_en_plus": max(-r.energy_saved_kwh, 0.0),
                          "hypothese": r.assumption} for rank, r in enumerate(found, start=1)], columns=COLUMNS)


def best_reduction(table: pd.DataFrame, inventory: Inventory) -> dict[str, float]:
    """Taking the best action of each declaration of ``recommendations_table`` (its largest
    saving: actions on one declaration are alternatives, so none is counted twice): the kgCO2e
    avoided a year, the year's total, the share avoided (percent) and the declarations concerned."""
    total = inventory.total()["gwp_kgco2e"]["central"]
    best = table.groupby("declaration")["kgco2e_evites"].max()
    best = best[best > 0]
    avoided = float(best.sum())
    return {"avoided": avoided, "total": total, "percent": percent(avoided / total) if total else 0,
            "declarations": len(best)}


FRAMING_COLUMNS = ["rang", "service", "outil", "cible", "action", "effort", "motif", "empreinte",
                   "kgco2e_actuels", "kgco2e_variation", "kwh_variation", "hypothese"]


def framing_table(found: list) -> pd.DataFrame:
    """The « encadrer » recommendations (``scenarios.recommendations.frame_uses``), in their order
    (governance: the uses with personal or confidential data first): ``motif`` the survey's
    figures, ``empreinte`` the footprint change in words, ``kgco2e_variation`` and
    ``kwh_variation`` per year, signed (> 0: the footprint grows), empty when not estimated."""
    def number(value):
        return float("nan") if value is None else value

    return pd.DataFrame([{"rang": rank, "service": r.service, "outil": r.tool,
                          "cible": r.target_label or r.basis_label, "action": r.action, "effort": r.effort_label,
                          "motif": r.reason, "empreinte": r.change, "kgco2e_actuels": number(r.gwp_now_kgco2e),
                          "kgco2e_variation": number(r.gwp_change_kgco2e), "kwh_variation": number(r.energy_change_kwh),
                          "hypothese": r.assumption} for rank, r in enumerate(found, start=1)],
                        columns=FRAMING_COLUMNS)
