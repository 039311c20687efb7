"""The Synthèse page: the headline figures of a year in the unit that reads well for each (220
kgCO2e, not 0,22 tCO2e), the footprint in perspective (per agent, per inhabitant, share of the
BEGES and of the territory, from the collectivité's profile), equivalences of a sensible order of
magnitude, the measured share, the breakdowns by service, use case, tool, model and electricity
zone (labels of the factor base, not ids), the workloads that weigh most and the energy class
(compar:IA scale) of each generative model.

Must not: import Streamlit, hold a number of its own (the engine and the factor base have them),
or write to the store.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.views.common import convert, percent, scaled_equivalences
from footprint.factors import FactorBase
from footprint.inventory import GROUPINGS, NOT_GIVEN, Inventory, group_labels
from footprint.inventory.authority import Profile, perspective
from footprint.inventory.declarations import to_workloads
from footprint.io.formatting import format_number, format_quantity, scale_for
from footprint.vocabulary import ENDS, IMPACT_UNITS, IMPACTS, KIND_LABELS, LABELS, VOLUME_LEVELS
from scenarios.projection import zones

BREAKDOWNS = {"service": LABELS["service"], "cas_usage": LABELS["use_case"], "outil": LABELS["product"],
              "modele": "Modèle ou ressource", "zone": "Zone électrique", "type": LABELS["kind"],
              "source_volume": "Source du volume"}
# The breakdowns the Synthèse offers, in their order.
SHOWN_BREAKDOWNS = ("service", "cas_usage", "outil", "modele", "zone", "source_volume")
# The headline indicators (impact keys), each shown in the unit of its family that reads well.
HEADLINE = ("energy_kwh", "gwp_kgco2e", "water_l", "adpe_kgsbeq")
# Where the Synthèse names an impact otherwise than the vocabulary.
HEADLINE_LABELS = {impact.key: impact.label for impact in IMPACTS} | {"adpe_kgsbeq": "Ressources abiotiques (ADPe)"}
# The figures of the perspective: the field of ``authority.Perspective``, its label, and whether it
# is a share (shown in %) or an amount per person (kgCO2e, in the unit that reads well).
PERSPECTIVE = (("per_agent_kgco2e", "Par agent de la collectivité", False),
               ("per_inhabitant_kgco2e", "Par habitant", False),
               ("beges_share", "Part du dernier BEGES", True),
               ("territory_share", "Part des émissions du territoire (PCAET)", True))


def _names(factors: FactorBase, by: str) -> dict[str, str]:
    """The labels of the factor base for the ids a breakdown shows (use cases, products, and for
    the model column: products, GPUs and tasks); a text typed by a person stays as typed."""
    query = factors.con.execute
    products = {product.product: product.label for product in factors.products()}
    if by == "cas_usage":
        return dict(query("SELECT DISTINCT use_case, label FROM use_cases").fetchall())
    if by == "outil":
        return products
    if by == "modele":
        return (dict(query("SELECT task, label FROM tasks").fetchall()) | dict(query(
            "SELECT gpu, label FROM gpus").fetchall()) | products | {"mesure": "Mesure (CodeCarbon)"})
    return {}


def labels(inventory: Inventory, factors: FactorBase, by: str) -> pd.Series:
    """The group of each declaration of the inventory for a breakdown of ``BREAKDOWNS``, by its
    label (« Rédaction d'un courrier ou d'une note », not ``redaction_courrier``)."""
    declarations = inventory.declarations
    if by == "zone":
        found = pd.Series(zones(declarations, factors), index=declarations.index).replace("", None)
    elif by == "type":
        found = declarations["kind"].map(KIND_LABELS)
    else:
        found = group_labels(declarations)[GROUPINGS[by]]
        names = _names(factors, by)
        if names:
            found = found.astype("string").map(lambda value: names.get(value, value) if isinstance(value, str)
                                               else value)
    return found.astype("string").fillna(NOT_GIVEN)


def headline(inventory: Inventory) -> list[dict]:
    """The four headline figures, each in the unit of its family that reads well for its central
    value (``footprint.io.formatting.scale_for``: 90,3 kgCO2e, 723 kWh, 3,02 m³): label, unit,
    value (the number as shown), quantity (number and unit) and range, in French."""
    total = inventory.total()
    shown = []
    for key in HEADLINE:
        low, central, high = (total[key][end] for end in ENDS)
        factor, unit = scale_for(central, IMPACT_UNITS[key])
        shown.append({"label": HEADLINE_LABELS[key], "unit": unit, "value": format_number(central * factor),
                      "quantity": format_quantity(central, IMPACT_UNITS[key]),
                      "range": (f"de {format_number(low * factor)} à {format_number(high * factor)} {unit}"
                                if high > low else "valeur exacte (mesurée)")})
    return shown


def in_perspective(inventory: Inventory, profile: Profile | None) -> list[dict]:
    """The year's GWP beside the collectivité (``authority.perspective``): per agent, per
    inhabitant, share of the BEGES and of the territory, for the figures its profile gives:
    label, value (central, French), range (low to high) and what it is compared with."""
    gwp = inventory.total()["gwp_kgco2e"]
    found = perspective(gwp, profile)
    compared = {"per_agent_kgco2e": lambda p: f"{format_number(p.agents)} agents",
                "per_inhabitant_kgco2e": lambda p: f"{format_number(p.population)} habitants",
                "beges_share": lambda p: f"BEGES {p.beges_year} : {format_number(p.beges_tco2e)} tCO2e",
                "territory_share": lambda p: (f"inventaire {p.territory_year} : "
                                              f"{format_number(p.territory_tco2e)} tCO2e")}
    shown = []
    for field, label, is_share in PERSPECTIVE:
        ends = getattr(found, field)
        if ends is None:
            continue
        low, central, high = ends
        if is_share:
            low, central, high = (float(percent(v)) for v in ends)
            value, span = f"{format_number(central)} %", f"de {format_number(low)} à {format_number(high)} %"
        else:
            factor, unit = scale_for(central, IMPACT_UNITS["gwp_kgco2e"])
            value = f"{format_number(central * factor)} {unit}"
            span = f"de {format_number(low * factor)} à {format_number(high * factor)} {unit}"
        shown.append({"label": label, "value": value, "range": span, "compared": compared[field](profile)})
    return shown


def breakdown(inventory: Inventory, factors: FactorBase, by: str) -> pd.DataFrame:
    """Totals by group, largest GWP first: group, declarations, tCO2e (low, central, high), MWh, m³."""
    groups = labels(inventory, factors, by).to_numpy()
    impacts = inventory.impacts
    columns = ["gwp_kgco2e_low", "gwp_kgco2e_central", "gwp_kgco2e_high", "energy_kwh_central", "water_l_central"]
    summed = impacts[columns].groupby(groups, sort=False).sum()
    counts = pd.Series(groups).value_counts()

    def shown(column: str, key: str, unit: str) -> np.ndarray:
        return convert(summed[column].to_numpy(), IMPACT_UNITS[key], unit)

    table = pd.DataFrame({
        "groupe": summed.index.astype(str),
        "declarations": counts.reindex(summed.index).to_numpy(),
        "tco2e_bas": shown("gwp_kgco2e_low", "gwp_kgco2e", "tCO2e"),
        "tco2e": shown("gwp_kgco2e_central", "gwp_kgco2e", "tCO2e"),
        "tco2e_haut": shown("gwp_kgco2e_high", "gwp_kgco2e", "tCO2e"),
        "mwh": shown("energy_kwh_central", "energy_kwh", "MWh"),
        "eau_m3": shown("water_l_central", "water_l", "m³"),
    })
    return table.sort_values("tco2e", ascending=False, kind="stable").reset_index(drop=True)


def energy_classes(inventory: Inventory, factors: FactorBase) -> pd.DataFrame:
    """Energy class (compar:IA scale, A–F) of each generative model of the inventory, from the
    energy it used per million output tokens in the declared use."""
    declarations = inventory.declarations
    is_llm = (declarations["kind"] == "llm").to_numpy()
    if not is_llm.any():
        return pd.DataFrame(columns=["modele", "tokens_sortie", "wh_par_million_tokens", "classe", "libelle"])
    workloads = to_workloads(declarations[is_llm].reset_index(drop=True), factors)
    tokens = (workloads["requests"] * workloads["output_tokens_per_request"]).to_numpy(dtype=float)
    energy = inventory.impacts.loc[is_llm, "energy_kwh_central"].to_numpy(dtype=float)
    # A product whose model is not known has a class of its own, over its possible models.
    model = (workloads["provider"].astype("string") + "/" + workloads["model"].astype("string")).fillna(
        LABELS["product"] + " " + workloads["product"].astype("string")).to_numpy(dtype=object)
    per_model = pd.DataFrame({"modele": model, "tokens_sortie": tokens, "kwh": energy}).groupby(
        "modele", sort=False).sum().reset_index()
    per_model = per_model[per_model["tokens_sortie"] > 0]
    per_model["wh_par_million_tokens"] = (convert(per_model["kwh"], IMPACT_UNITS["energy_kwh"], "Wh")
                                          / convert(per_model["tokens_sortie"], "token", "Mtoken"))
    scale = factors.con.execute("SELECT energy_class, label, lower_bound FROM energy_classes ORDER BY lower_bound"
                                ).fetchall()
    bounds = np.array([row[2] for row in scale])
    position = np.searchsorted(bounds, per_model["wh_par_million_tokens"].to_numpy(), side="right") - 1
    per_model["classe"] = [scale[max(p, 0)][0] for p in position]
    per_model["libelle"] = [scale[max(p, 0)][1] for p in position]
    return per_model.drop(columns="kwh").sort_values("wh_par_million_tokens").reset_index(drop=True)


def energy_class_scale(factors: FactorBase) -> str:
    """The energy-class scale as the Synthèse states it (« A : moins de 100 Wh … F : 10 000 Wh ou
    plus »), read from the factor base's table."""
    scale = factors.con.execute("SELECT energy_class, lower_bound FROM energy_classes ORDER BY lower_bound").fetchall()
    if len(scale) < 2:
        return ""
    return (f"{scale[0][0]} : moins de {format_number(scale[1][1])} Wh par million de tokens de sortie … "
            f"{scale[-1][0]} : {format_number(scale[-1][1])} Wh ou plus")


def measured_share(inventory: Inventory) -> dict[str, float]:
    """Share of the year's central GWP and energy that was measured rather than estimated."""
    measured = (inventory.declarations["kind"] == "measured").to_numpy()
    shares = {}
    for key in ("gwp_kgco2e", "energy_kwh"):
        values = inventory.impacts[f"{key}_central"].to_numpy(dtype=float)
        total = values.sum()
        shares[key] = float(values[measured].sum() / total) if total > 0 else 0.0
    return shares


def volume_levels(inventory: Inventory) -> pd.DataFrame:
    """How the volume of the year's footprint is known, from the finest level to the coarsest
    (``VOLUME_LEVELS``): per level, the declarations, the share of the central GWP, the tCO2e
    range and its width (high / low), as a BEGES states the uncertainty of each part."""
    levels = group_labels(inventory.declarations)["level"].to_numpy()
    impacts = inventory.impacts
    columns = [f"gwp_kgco2e_{end}" for end in ENDS]
    summed = impacts[columns].groupby(levels, sort=False).sum()
    counts = pd.Series(levels).value_counts()
    total = float(impacts["gwp_kgco2e_central"].sum())
    order = [label for label in VOLUME_LEVELS.values() if label in summed.index]
    summed = summed.reindex(order)
    low, central, high = (summed[f"gwp_kgco2e_{end}"].to_numpy(dtype=float) for end in ENDS)
    with np.errstate(divide="ignore", invalid="ignore"):
        width = np.where(low > 0, high / low, np.nan)
    return pd.DataFrame({
        "niveau": order, "declarations": counts.reindex(order).to_numpy(),
        "part": percent(central / total) if total > 0 else np.zeros(len(order)),
        "kgco2e_bas": low, "kgco2e": central, "kgco2e_haut": high, "largeur": width})


def top_workloads(inventory: Inventory, factors: FactorBase, count: int = 10) -> pd.DataFrame:
    """The ``count`` declarations with the largest central GWP: id, service, use case, tool (when
    any declaration names one) and model by their labels, kgCO2e (central, low, high), kWh, L."""
    impacts = inventory.impacts
    table = pd.DataFrame({
        "id": inventory.declarations["id"].to_numpy(),
        "service": inventory.declarations["service"].to_numpy(),
        "cas_usage": labels(inventory, factors, "cas_usage").to_numpy(),
        "outil": labels(inventory, factors, "outil").to_numpy(),
        "modele": labels(inventory, factors, "modele").to_numpy(),
        "kgco2e": impacts["gwp_kgco2e_central"].to_numpy(),
        "kgco2e_bas": impacts["gwp_kgco2e_low"].to_numpy(),
        "kgco2e_haut": impacts["gwp_kgco2e_high"].to_numpy(),
        "kwh": impacts["energy_kwh_central"].to_numpy(),
        "eau_l": impacts["water_l_central"].to_numpy(),
    })
    if (table["outil"] == NOT_GIVEN).all():  # no tool of the catalogue declared: a column of « non renseigné »
        table = table.drop(columns="outil")
    return table.nlargest(count, "kgco2e").reset_index(drop=True)


def synthesis(inventory: Inventory, factors: FactorBase, profile: Profile | None = None) -> dict:
    """Everything the Synthèse page shows for one inventory: headline figures, the footprint in
    perspective (empty without a profile), equivalences of the central GWP of a sensible order of
    magnitude, measured shares, the breakdowns, how the volume is known (its levels), the top
    workloads and the energy classes."""
    gwp = inventory.total()["gwp_kgco2e"]["central"]
    return {"headline": headline(inventory), "perspective": in_perspective(inventory, profile),
            "authority": profile.name if profile is not None else None,
            "equivalences": scaled_equivalences(gwp, factors),
            "measured_share": measured_share(inventory),
            "breakdowns": {by: breakdown(inventory, factors, by) for by in SHOWN_BREAKDOWNS},
            "levels": volume_levels(inventory),
            "top": top_workloads(inventory, factors), "classes": energy_classes(inventory, factors)}
