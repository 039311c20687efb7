"""The tables of the PCAET and BEGES export: the summary by year x scenario x BEGES poste x PCAET
sector, the detail by declaration, the list of every factor used and the follow-up indicators in
the layout of Territoires en Transitions.

Owns: the export's number columns and their units (``EXPORT_UNITS``: MWh, tCO2e, m³… converted
from the engine's units by Pint), the totals of each poste (``classification``) and the readable
electricity factor each line used, with its source and year.

Must not: project anything itself: projected years come in as plain tables (``Period``), so that
this package does not depend on ``scenarios``; nor write files (``files``) or the note (``note``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from core.units import convert
from footprint import __version__
from footprint.factors import FactorBase
from footprint.factors.provenance import factors_used
from footprint.inventory.declarations.volumes import volume_levels, volume_sources
from footprint.io.cells import exact_number
from footprint.reporting.classification import MANUFACTURING, USAGE, ownership, poste_of, postes
from footprint.vocabulary import (
    FILE_COLUMNS,
    IMPACT_UNITS,
    IMPACTS,
    KINDS_FR,
    LEVEL_COLUMN,
    SOURCE_COLUMN,
    USAGE_SPLIT_KEYS,
    VOLUME_LEVELS,
    VOLUME_SOURCES,
)

# The impacts a Period carries: those that are not the sum of parts, and the usage parts of the others.
KEYS = tuple(i.key for i in IMPACTS if not any(j.part_of == i.key for j in IMPACTS)) + USAGE_SPLIT_KEYS

# Each number column of the export -> its unit (a Pint unit, also shown in the XLSX headers).
EXPORT_UNITS: Mapping[str, str] = MappingProxyType({
    "consommation_kwh": "kWh", "consommation_mwh": "MWh", "consommation_gwh": "GWh",
    "emissions_usage_tco2e": "tCO2e", "emissions_fabrication_tco2e": "tCO2e", "emissions_tco2e": "tCO2e",
    "emissions_tco2e_min": "tCO2e", "emissions_tco2e_max": "tCO2e", "emissions_kteqco2": "kteqCO2",
    "eau_m3": "m³", "adpe_kgsbeq": "kgSbeq", "energie_primaire_mj": "MJ", "incertitude_pct": "%"})
# Each impact of the detail -> its column (its range, for the GHG emissions, in ``_min`` and ``_max``).
DETAIL_COLUMNS: Mapping[str, str] = MappingProxyType({
    "energy_kwh": "consommation_kwh", "gwp_kgco2e": "emissions_tco2e", "gwp_usage_kgco2e": "emissions_usage_tco2e",
    "gwp_embodied_kgco2e": "emissions_fabrication_tco2e", "water_l": "eau_m3", "adpe_kgsbeq": "adpe_kgsbeq",
    "pe_mj": "energie_primaire_mj"})
RANGE_COLUMNS = {"low": "min", "high": "max"}




def _reported(values, key: str, column: str):
    """The impact ``key`` (in the engine's unit) in the unit of the export ``column``."""
    return convert(values, IMPACT_UNITS[key], EXPORT_UNITS[column])


@dataclass
class Period:
    """Impacts of every declaration for one year of one scenario (or of the inventory):
    ``low`` and ``high`` have one row per declaration (same order) and the ``KEYS`` columns."""

    year: int
    status: str  # "réalisé" or "projeté"
    scenario: str
    low: pd.DataFrame
    high: pd.DataFrame


def electricity_factor(factors: FactorBase, zone: str, year: int | None, dataset: str | None = None) -> str:
    """The electricity factor used for ``zone``, readable, with its source and year:
    « FRA : 0,0461 kgCO2e/kWh (ADEME Base Empreinte 2025) » ('' without a zone or a factor)."""
    chosen = factors.mix(zone, dataset, year).get("gwp") if zone else None
    if chosen is None:
        return ""
    found = factors.con.execute("SELECT short_label FROM electricity_mix_datasets WHERE dataset = ?",
                                [chosen.dataset]).fetchall()
    label = found[0][0] if found and found[0][0] else chosen.dataset
    unit = factors.unit("electricity_mix", "gwp").replace(" ", "")  # the unit of the value: « kgCO2e/kWh »
    return f"{zone} : {exact_number(chosen.value)} {unit} ({label} {chosen.year})"


def electricity_factors(factors: FactorBase, zones: Iterable[str], year: int | None) -> list[str]:
    """``electricity_factor`` of each zone (one per declaration), each zone looked up once."""
    zones = list(zones)
    cache = {zone: electricity_factor(factors, zone, year) for zone in set(zones)}
    return [cache[zone] for zone in zones]


def _sums(frame: pd.DataFrame, usage: bool, made: bool) -> dict[str, float]:
    """Totals of one end for a poste, by impact key: usage impacts, manufacturing impacts, or both."""
    total = {key: float(frame[key].sum()) for key in KEYS}
    with_usage, with_made = usage * 1.0, made * 1.0
    return {
        "energy_kwh": with_usage * total["energy_kwh"],
        "gwp_usage_kgco2e": with_usage * total["gwp_usage_kgco2e"],
        "gwp_embodied_kgco2e": with_made * total["gwp_embodied_kgco2e"],
        "water_l": with_usage * total["water_l"],
        "adpe_kgsbeq": (with_usage * total["adpe_usage_kgsbeq"]
                        + with_made * (total["adpe_kgsbeq"] - total["adpe_usage_kgsbeq"])),
        "pe_mj": with_usage * total["pe_usage_mj"] + with_made * (total["pe_mj"] - total["pe_usage_mj"]),
    }


def _gwp(sums: dict[str, float]) -> float:
    return sums["gwp_usage_kgco2e"] + sums["gwp_embodied_kgco2e"]


def summary(periods: list[Period], declarations: pd.DataFrame, factors: FactorBase, authority: str,
            export_date: str, measured: np.ndarray, zone_factors: str | Sequence[str]) -> pd.DataFrame:
    """One row per year x scenario x BEGES poste x PCAET sector, in French columns.

    ``zone_factors``: the electricity factor of each declaration (``electricity_factors``); each
    line that counts electricity lists those of its own declarations, with their source."""
    owners = ownership(declarations, factors)
    per_declaration = (np.full(len(declarations), zone_factors, dtype=object) if isinstance(zone_factors, str)
                       else np.asarray(list(zone_factors), dtype=object))
    rows = []
    for period in periods:
        for poste in postes(factors):
            mask = owners == poste.ownership
            if not mask.any():
                continue
            category = poste.category
            electricity = " ; ".join(sorted({f for f in per_declaration[mask] if f})) if poste.usage else ""
            low = _sums(period.low[mask], poste.usage, poste.manufacturing)
            high = _sums(period.high[mask], poste.usage, poste.manufacturing)
            central = {name: 0.5 * low[name] + 0.5 * high[name] for name in low}
            gwp_low, gwp_high, gwp = _gwp(low), _gwp(high), _gwp(central)
            measured_share = measured[mask]
            rows.append({
                "collectivite": authority, "annee": period.year, "statut_annee": period.status,
                "scenario": period.scenario, "perimetre": category["perimeter"],
                "secteur_pcaet": category["pcaet_sector"],
                "inclus_inventaire_territorial": category["territorial_inventory"],
                "categorie_beges": int(category["beges_category"]),
                "libelle_categorie_beges": category["beges_category_label"],
                "poste_beges": category["beges_poste"], "libelle_poste_beges": category["beges_poste_label"],
                "scope": int(category["scope"]),
                **{column: _reported(central["energy_kwh"], "energy_kwh", column)
                   for column in ("consommation_kwh", "consommation_mwh", "consommation_gwh")},
                "emissions_usage_tco2e": _reported(central["gwp_usage_kgco2e"], "gwp_kgco2e", "emissions_usage_tco2e"),
                "emissions_fabrication_tco2e": _reported(central["gwp_embodied_kgco2e"], "gwp_kgco2e",
                                                         "emissions_fabrication_tco2e"),
                "emissions_tco2e": _reported(gwp, "gwp_kgco2e", "emissions_tco2e"),
                "emissions_tco2e_min": _reported(gwp_low, "gwp_kgco2e", "emissions_tco2e_min"),
                "emissions_tco2e_max": _reported(gwp_high, "gwp_kgco2e", "emissions_tco2e_max"),
                "emissions_kteqco2": _reported(gwp, "gwp_kgco2e", "emissions_kteqco2"),
                "eau_m3": _reported(central["water_l"], "water_l", "eau_m3"),
                "adpe_kgsbeq": _reported(central["adpe_kgsbeq"], "adpe_kgsbeq", "adpe_kgsbeq"),
                "energie_primaire_mj": _reported(central["pe_mj"], "pe_mj", "energie_primaire_mj"),
                "incertitude_pct": (convert((gwp_high - gwp_low) / 2 / gwp, "dimensionless",
                                            EXPORT_UNITS["incertitude_pct"]) if gwp else 0.0),
                "methode": ("mesure" if measured_share.all() else "estimation" if not measured_share.any()
                            else "mixte"),
                "facteur_emission_electricite": electricity,
                "version_base_facteurs": factors.version, "version_outil": __version__, "date_export": export_date,
            })
    return pd.DataFrame(rows)


def detail(declarations: pd.DataFrame, impacts: pd.DataFrame, factors: FactorBase, year: int,
           zones: list[str] | None = None) -> pd.DataFrame:
    """One row per declaration of the inventory year: its inputs (French columns), its BEGES postes,
    the electricity factor used (zone, value, dataset and year) and its impacts (central, min, max)."""
    owners = ownership(declarations, factors)
    frame = declarations[list(FILE_COLUMNS)].rename(columns=FILE_COLUMNS).copy()
    if zones is not None:
        frame["facteur_emission_electricite"] = electricity_factors(factors, zones, year)
    frame["type"] = declarations["kind"].map(KINDS_FR)
    frame["poste_beges_usage"] = poste_of(factors, owners, USAGE)
    frame["poste_beges_fabrication"] = poste_of(factors, owners, MANUFACTURING)
    for key, column in DETAIL_COLUMNS.items():
        frame[column] = _reported(impacts[f"{key}_central"].to_numpy(), key, column)
        if key == "gwp_kgco2e":
            for end, suffix in RANGE_COLUMNS.items():
                frame[f"{column}_{suffix}"] = _reported(impacts[f"{key}_{end}"].to_numpy(), key, column)
    frame[LEVEL_COLUMN] = volume_levels(declarations).map(VOLUME_LEVELS).to_numpy()
    frame[SOURCE_COLUMN] = volume_sources(declarations).map(VOLUME_SOURCES).to_numpy()
    frame["version_base_facteurs"] = factors.version
    return frame


def sources(declarations: pd.DataFrame, factors: FactorBase) -> pd.DataFrame:
    """Every factor behind the declarations' impacts, once: value, unit, year, source and link."""
    from footprint.inventory.declarations import normalise_names, to_workloads
    from footprint.inventory.declarations.volumes import products_of, volume_levels
    from footprint.inventory.products import product_rows

    named = normalise_names(declarations, factors)
    workloads = to_workloads(named, factors)
    levels, products = volume_levels(named), products_of(named, factors)
    rate_typed = pd.to_numeric(named["requests_per_agent_per_day"], errors="coerce").notna()
    reasoning = named["reasoning"].astype("boolean").fillna(False) if "reasoning" in named else rate_typed & False
    seen, rows = set(), []
    for position, record in enumerate(workloads.to_dict("records")):
        record = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}
        record = {k: (None if v is pd.NA else v) for k, v in record.items()}
        if record.get("year") is not None:
            record["year"] = int(record["year"])
        used = factors_used(factors, record)
        if products[position] is not None:
            used = product_rows(factors, products[position], levels.iloc[position], bool(rate_typed.iloc[position]),
                                reasoning=bool(reasoning.iloc[position])) + used
        for factor in used:
            key = (factor["table"], factor["key"], factor["name"])
            if key in seen:
                continue
            seen.add(key)
            rows.append({"table": factor["table"], "cle": factor["key"], "parametre": factor["name"],
                         "valeur": factor["value"], "unite": factor["unit"], "annee": factor["year"],
                         "source": factor["source"], "lien": factor["source_url"]})
    return pd.DataFrame(rows).sort_values(["table", "cle", "parametre"], kind="stable").reset_index(drop=True)


def indicators(summary_rows: pd.DataFrame, periods: list[Period], declarations: pd.DataFrame,
               requests: float, agents: float) -> pd.DataFrame:
    """Follow-up indicators in the layout of Territoires en Transitions: identifiant, indicateur,
    unité, source, then one column per year (one line per scenario for projected years)."""
    rows = []
    scenarios = list(dict.fromkeys(p.scenario for p in periods))
    years = sorted({p.year for p in periods})
    for scenario in scenarios:
        chosen = summary_rows[summary_rows["scenario"] == scenario].groupby("annee")
        mwh, tco2e = chosen["consommation_mwh"].sum(), chosen["emissions_tco2e"].sum()
        suffix = "" if scenario == "inventaire" else f" (scénario {scenario})"
        definitions = [
            ("ia_mwh", "Consommation d'énergie de l'IA", "MWh", mwh),
            ("ia_tco2e", "Émissions de GES de l'IA", "tCO2e", tco2e),
            ("ia_gco2e_par_requete", "Émissions par requête à un modèle de langage", "gCO2e/requête",
             convert(tco2e, EXPORT_UNITS["emissions_tco2e"], "gCO2e") / requests if requests else None),
            ("ia_kwh_par_agent", "Consommation d'énergie par agent utilisateur", "kWh/agent",
             convert(mwh, EXPORT_UNITS["consommation_mwh"], "kWh") / agents if agents else None),
        ]
        for identifier, label, unit, values in definitions:
            row = {"identifiant": identifier, "indicateur": label + suffix, "unite": unit,
                   "source": "Empreinte IA, inventaire des usages d'IA"}
            for year in years:
                row[str(year)] = (float(values[year]) if values is not None and year in values.index else None)
            rows.append(row)
    return pd.DataFrame(rows)
