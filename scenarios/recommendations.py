"""Sobriety recommendations: for each declaration of the inventory, the concrete sober
alternatives and what each would save, ranked by tCO2e saved.

Each alternative is the same declaration changed in one way and run through the engine again:
a smaller model that the use-case profile judges enough, hosting in a French data centre (the
default hosting of the factor base, ``read_defaults().hosting``),
shorter answers, pooled GPU jobs, and measuring what is only estimated. Each states its
assumption in one French sentence. Must not: read files or print.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.units import convert
from emission_factors.schema import read_defaults
from footprint.engine import compute_impacts
from footprint.factors import FactorBase
from footprint.inventory import Inventory
from footprint.inventory.declarations import to_workloads
from footprint.io.formatting import format_number


@dataclass
class Recommendation:
    declaration_id: str
    service: str
    action: str
    assumption: str
    gwp_saved_kgco2e: float
    energy_saved_kwh: float

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def _saving(base: pd.DataFrame, alternative: pd.DataFrame, key: str) -> np.ndarray:
    return (base[f"{key}_central"] - alternative[f"{key}_central"]).to_numpy()


def recommend(inventory: Inventory, factors: FactorBase) -> list[Recommendation]:
    """Every useful sober alternative of every declaration, largest GWP saving first."""
    declarations = inventory.declarations.reset_index(drop=True)
    if declarations.empty:
        return []
    workloads = to_workloads(declarations, factors).reset_index(drop=True)
    base = inventory.impacts.reset_index(drop=True)
    is_llm = (workloads["kind"] == "llm").to_numpy()
    shorter_ratio = factors.constant("recommendation_shorter_answers").m
    pooled_utilization = factors.constant("recommendation_pooled_utilization").m
    found: list[Recommendation] = []

    def add(mask: np.ndarray, changed: pd.DataFrame, action, assumption) -> None:
        if not mask.any():
            return
        rows = np.flatnonzero(mask)
        alternative = compute_impacts(changed.iloc[rows].reset_index(drop=True), factors)
        gwp = _saving(base.iloc[rows].reset_index(drop=True), alternative, "gwp_kgco2e")
        energy = _saving(base.iloc[rows].reset_index(drop=True), alternative, "energy_kwh")
        for position, row in enumerate(rows):
            if gwp[position] > 0:
                record = declarations.iloc[row]
                found.append(Recommendation(record["id"], record["service"], action(record),
                                            assumption(record), float(gwp[position]), float(energy[position])))

    # 1. A smaller model, where the use-case profile names one that is enough.
    profiles = dict(factors.con.execute("SELECT lower(use_case), sufficient_model FROM use_cases").fetchall())
    sufficient = declarations["use_case"].astype("string").str.lower().map(profiles)
    smaller = workloads.copy()
    target = sufficient.fillna("").str.partition("/")
    smaller["provider"] = np.where(sufficient.notna() & is_llm, target[0], smaller["provider"])
    smaller["model"] = np.where(sufficient.notna() & is_llm, target[2], smaller["model"])
    changed_model = (smaller["model"] != workloads["model"]) | (smaller["provider"] != workloads["provider"])
    different = sufficient.notna().to_numpy() & is_llm & changed_model.to_numpy()
    add(different, smaller, lambda r: f"Utiliser {profiles[str(r['use_case']).lower()]} au lieu de "
                                      f"{r['provider']}/{r['model']}",
        lambda r: f"Hypothèse : pour « {r['use_case']} », un modèle plus petit suffit (jugement Empreinte IA, à "
                  "vérifier sur quelques cas réels avant de changer).")

    # 2. The default hosting of the base (a French data centre today): its zone's electricity, the
    # PUE of that profile in the base (the collectivité's own value when it set one), its label.
    hosting = read_defaults().hosting
    label, zone, pue_low, pue_high = factors.con.execute(
        "SELECT label, zone, pue_min, pue_max FROM hosting_profiles WHERE hosting = ?", [hosting]).fetchall()[0]
    pue_text = (format_number(pue_low) if pue_low == pue_high
                else f"{format_number(pue_low)} à {format_number(pue_high)}")
    french = workloads.copy()
    french["hosting"], french["zone"], french["pue"], french["wue"] = hosting, None, np.nan, np.nan
    add(np.ones(len(workloads), dtype=bool), french,
        lambda r: f"Faire héberger : {label[:1].lower() + label[1:]}",
        lambda r: f"Hypothèse : même usage servi depuis ce profil d'hébergement (électricité de la zone {zone}, PUE "
                  f"de {pue_text}, celui du profil {hosting} de la base de facteurs).")

    # 3. Shorter answers.
    shorter = workloads.copy()
    shorter["output_tokens_per_request"] = shorter["output_tokens_per_request"] * shorter_ratio
    add(is_llm, shorter, lambda r: "Demander des réponses plus courtes",
        lambda r: f"Hypothèse : une consigne de concision réduit d'environ {_percent(1 - shorter_ratio)} % les "
                  "tokens générés.")

    # 4. Pooling GPU jobs to a higher utilisation (same work in fewer hours).
    utilization = pd.to_numeric(workloads["utilization"], errors="coerce")
    pooled = workloads.copy()
    low_use = ((workloads["kind"] == "gpu") & (utilization < pooled_utilization)).to_numpy()
    pooled.loc[low_use, "hours"] = workloads.loc[low_use, "hours"] * utilization[low_use] / pooled_utilization
    pooled.loc[low_use, "utilization"] = pooled_utilization
    add(low_use, pooled, lambda r: f"Regrouper les traitements GPU (utilisation de {_percent(pooled_utilization)} %)",
        lambda r: f"Hypothèse : le même travail, mutualisé, occupe les GPU à {_percent(pooled_utilization)} % au "
                  f"lieu de {_percent(float(r['utilization']))} %, donc moins longtemps.")

    found.sort(key=lambda r: -r.gwp_saved_kgco2e)

    # 5. Measuring what is only estimated (no saving in itself: a better figure to steer by).
    estimated = declarations[(declarations["kind"].isin(["gpu", "task"]))
                             | ((declarations["kind"] == "llm") & (declarations["provider"] == "self_hosted"))]
    for _, record in estimated.iterrows():
        found.append(Recommendation(record["id"], record["service"],
                                    "Mesurer ce traitement avec « python -m footprint measure »",
                                    "Le chiffre de l'inventaire est une estimation pour un matériel que la "
                                    "collectivité exploite elle-même : une mesure le remplacerait par sa "
                                    "consommation réelle.",
                                    0.0, 0.0))
    return found


def _percent(fraction: float) -> str:
    """A fraction as a whole percentage (0.42 → « 42 »)."""
    return f"{convert(fraction, 'dimensionless', 'percent'):.0f}"
