"""The tables of the PCAET and BEGES export: the summary by year x scenario x BEGES poste x PCAET
sector (with a total line per year x scenario, ``with_totals``), the detail by declaration, the
list of every factor used and the follow-up indicators in the layout of Territoires en
Transitions (``indicators``).

Owns: the export's number columns and their units (``EXPORT_UNITS``: MWh, tCO2e, m³… converted
from the engine's units by Pint), what a person reads above each column (``COLUMN_LABELS``,
``column_label``), the totals of each poste (``classification``) and of each year, and the
readable electricity factor each line used, with its source and year.

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
    LABELS,
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

# What a person reads above each column (the unit, from ``EXPORT_UNITS``, is added by
# ``column_label``); the machine names stay on the XLSX's second header row, in the CSV with
# ``--noms-techniques``, and in the note's annex.
COLUMN_LABELS: Mapping[str, str] = MappingProxyType({
    "collectivite": "Collectivité", "siren": "SIREN", "annee": "Année", "type_ligne": "Type de ligne",
    "statut_annee": "Statut de l'année", "scenario": "Scénario", "perimetre": "Périmètre",
    "secteur_pcaet": "Secteur PCAET", "inclus_inventaire_territorial": "Dans l'inventaire territorial",
    "categorie_beges": "Catégorie BEGES", "libelle_categorie_beges": "Libellé de la catégorie BEGES",
    "poste_beges": "Poste BEGES", "libelle_poste_beges": "Libellé du poste BEGES", "scope": "Scope",
    "consommation_kwh": "Consommation d'électricité", "consommation_mwh": "Consommation d'électricité",
    "consommation_gwh": "Consommation d'électricité", "emissions_usage_tco2e": "Émissions d'usage",
    "emissions_fabrication_tco2e": "Émissions de fabrication", "emissions_tco2e": "Émissions",
    "emissions_tco2e_min": "Émissions, bas de la fourchette", "emissions_tco2e_max": "Émissions, haut de la fourchette",
    "emissions_kteqco2": "Émissions", "eau_m3": "Eau consommée", "adpe_kgsbeq": "Épuisement des ressources abiotiques",
    "energie_primaire_mj": "Énergie primaire", "incertitude_pct": "Incertitude ±", "methode": "Méthode",
    "facteur_emission_electricite": "Facteur d'émission de l'électricité (source)",
    "version_base_facteurs": "Version de la base de facteurs", "version_outil": "Version d'Empreinte IA",
    "date_export": "Date de l'export", "poste_beges_usage": "Poste BEGES de l'usage",
    "poste_beges_fabrication": "Poste BEGES de la fabrication", LEVEL_COLUMN: "Niveau du volume",
    SOURCE_COLUMN: "Source du volume", "table": "Table de facteurs", "cle": "Clé", "parametre": "Paramètre",
    "valeur": "Valeur", "unite": "Unité", "source": "Source", "lien": "Lien",
    **{FILE_COLUMNS[name]: label for name, label in LABELS.items() if name in FILE_COLUMNS and name != "year"},
})
# The kinds of line of the summary: one per poste, then the total of the year x scenario.
POSTE_LINE, TOTAL_LINE = "poste", "total"
TOTAL_LABEL = "Total"


def column_label(column: str) -> str:
    """The header a person reads: « Émissions (tCO2e) » for ``emissions_tco2e``; the name itself
    for a column without a label."""
    label = COLUMN_LABELS.get(column, column)
    return f"{label} ({EXPORT_UNITS[column]})" if column in EXPORT_UNITS else label



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
            export_date: str, measured: np.ndarray, zone_factors: str | Sequence[str],
            siren: str | None = None) -> pd.DataFrame:
    """One row per year x scenario x BEGES poste x PCAET sector, in French columns (the totals
    of each year x scenario: ``with_totals``).

    ``zone_factors``: the electricity factor of each declaration (``electricity_factors``); each
    line that counts electricity lists those of its own declarations, with their source.
    ``siren``: the collectivité's, from its profile."""
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
                "collectivite": authority, "siren": siren or "", "annee": period.year, "type_ligne": POSTE_LINE,
                "statut_annee": period.status,
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
                "incertitude_pct": _uncertainty(gwp_low, gwp, gwp_high),
                "methode": ("mesure" if measured_share.all() else "estimation" if not measured_share.any()
                            else "mixte"),
                "facteur_emission_electricite": electricity,
                "version_base_facteurs": factors.version, "version_outil": __version__, "date_export": export_date,
            })
    return pd.DataFrame(rows)


def _uncertainty(low: float, central: float, high: float) -> float:
    """Half the range, as a share of the central value, in the unit of ``incertitude_pct``."""
    return convert((high - low) / 2 / central, "dimensionless", EXPORT_UNITS["incertitude_pct"]) if central else 0.0


# The number columns of the summary, summed into its total lines.
SUMMED = tuple(c for c in EXPORT_UNITS if c != "incertitude_pct")


def totals(summary_rows: pd.DataFrame) -> pd.DataFrame:
    """The total line of each year x scenario of ``summary_rows`` (its poste lines): every
    quantity summed (the range too: the ends of a range move together), the uncertainty of the
    sum, the electricity factors of its lines, « Total » as its poste."""
    postes_only = summary_rows[summary_rows["type_ligne"] == POSTE_LINE]
    rows = []
    for (_, _), block in postes_only.groupby(["annee", "scenario"], sort=False):
        first = block.iloc[0]
        sums = {column: float(block[column].sum()) for column in SUMMED}
        methods = set(block["methode"])
        factors_used = sorted({f for text in block["facteur_emission_electricite"] if text for f in text.split(" ; ")})
        rows.append({
            **{column: first[column] for column in ("collectivite", "siren", "annee", "statut_annee", "scenario")},
            "type_ligne": TOTAL_LINE, "perimetre": "Tous périmètres", "secteur_pcaet": "",
            "inclus_inventaire_territorial": "", "categorie_beges": None, "libelle_categorie_beges": "",
            "poste_beges": TOTAL_LABEL, "libelle_poste_beges": "Total de l'année, tous postes", "scope": None,
            **sums,
            "incertitude_pct": _uncertainty(sums["emissions_tco2e_min"], sums["emissions_tco2e"],
                                            sums["emissions_tco2e_max"]),
            "methode": methods.pop() if len(methods) == 1 else "mixte",
            "facteur_emission_electricite": " ; ".join(factors_used),
            **{column: first[column] for column in ("version_base_facteurs", "version_outil", "date_export")},
        })
    return pd.DataFrame(rows, columns=summary_rows.columns)


def with_totals(summary_rows: pd.DataFrame) -> pd.DataFrame:
    """``summary_rows`` with the total line of each year x scenario right after its postes
    (``type_ligne`` says which is which; a script sums the « poste » lines or takes the « total »)."""
    if summary_rows.empty:
        return summary_rows
    found = totals(summary_rows)
    blocks = []
    for (year, scenario), block in summary_rows.groupby(["annee", "scenario"], sort=False):
        blocks += [block, found[(found["annee"] == year) & (found["scenario"] == scenario)]]
    return pd.concat(blocks, ignore_index=True).astype({"categorie_beges": "Int64", "scope": "Int64"})


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


# The layout of the platform's indicator files (its export of indicators: one sheet per
# indicator, header « Identifiant, Nom, Type de données, Unité » then one column per year, one
# line per kind of data, « Mes résultats » or « Mes objectifs »): incubateur-ademe/
# territoires-en-transitions, apps/backend/src/indicateurs/indicateurs/export-indicateurs/
# export-indicateurs.service.ts (addIndicateurToWorkbook). Source, method and limits follow the
# years, so that the first columns are the platform's.
INDICATOR_HEAD = ("Identifiant", "Nom", "Type de données", "Unité")
INDICATOR_TAIL = ("Source", "Méthodologie", "Limites")
RESULTS, OBJECTIVES = "Mes résultats", "Mes objectifs"
_LIMITS = ("Entraînement des modèles, terminaux des agents et réseau non comptés ; paramètres des modèles "
           "fermés estimés ; fourchette dans les fichiers de l'export.")


def indicators(summary_rows: pd.DataFrame, years: Sequence[int], llm_requests: float, llm_gwp_kgco2e: float,
               agents: int | None, objective_kgco2e: Mapping[int, float] | None = None,
               source: str = "Empreinte IA", objective_text: str = "") -> pd.DataFrame:
    """Follow-up indicators in the layout of Territoires en Transitions (``INDICATOR_HEAD``, one
    column per year of ``years``, ``INDICATOR_TAIL``): each indicator's results (« Mes
    résultats », the inventory years of ``summary_rows``) and, for the emissions, its objectives
    (« Mes objectifs »: ``objective_kgco2e``, the target's path for the projected years).

    ``llm_requests`` and ``llm_gwp_kgco2e``: the year's requests to language models and their
    emissions alone (GPU hours and tasks have no request). ``agents``: the collectivité's
    head-count (its profile); the per-agent indicators are left out without it. ``objective_text``:
    the target in words, in the method of the objectives."""
    realised = summary_rows[(summary_rows["statut_annee"] == "réalisé")
                            & (summary_rows["type_ligne"] == POSTE_LINE)].groupby("annee")
    mwh, tco2e = realised["consommation_mwh"].sum(), realised["emissions_tco2e"].sum()
    inventory_years = list(mwh.index)
    objectives_t = ({int(y): convert(v, "kgCO2e", EXPORT_UNITS["emissions_tco2e"])
                     for y, v in objective_kgco2e.items() if y not in inventory_years} if objective_kgco2e else {})
    per_request = (pd.Series({y: convert(llm_gwp_kgco2e, "kgCO2e", "gCO2e") / llm_requests for y in inventory_years})
                   if llm_requests else None)
    definitions = [
        ("ia_tco2e", "Émissions de GES des usages d'IA de la collectivité", "tCO2e", tco2e, objectives_t,
         "Somme des postes BEGES 2.1, 4.2 et 4.5 de l'export (usage et fabrication), valeur centrale."),
        ("ia_mwh", "Consommation d'électricité des usages d'IA de la collectivité", "MWh", mwh, None,
         "Électricité des serveurs et centres de données qui servent les usages déclarés, PUE compris."),
        ("ia_gco2e_par_requete", "Émissions par requête à un modèle de langage", "gCO2e/requête", per_request, None,
         "Émissions des seules déclarations de requêtes à un modèle de langage divisées par leur nombre de "
         "requêtes (les heures GPU et les tâches à l'unité n'ont pas de requête)."),
    ]
    if agents:
        definitions += [
            ("ia_kgco2e_par_agent", "Émissions de GES de l'IA par agent de la collectivité", "kgCO2e/agent",
             tco2e.map(lambda v: convert(v, EXPORT_UNITS["emissions_tco2e"], "kgCO2e") / agents),
             {y: convert(v, EXPORT_UNITS["emissions_tco2e"], "kgCO2e") / agents for y, v in objectives_t.items()},
             f"Émissions de tous les usages d'IA divisées par l'effectif de la collectivité ({agents} agents, "
             "profil de la collectivité), et non par la somme des agents des déclarations (une personne qui "
             "utilise deux outils y compterait deux fois)."),
            ("ia_kwh_par_agent", "Consommation d'électricité de l'IA par agent de la collectivité", "kWh/agent",
             mwh.map(lambda v: convert(v, EXPORT_UNITS["consommation_mwh"], "kWh") / agents), None,
             f"Électricité de tous les usages d'IA (GPU compris) divisée par l'effectif de la collectivité "
             f"({agents} agents, profil de la collectivité)."),
        ]
    rows = []
    for identifier, label, unit, results, objectives, method in definitions:
        for kind, values in ((RESULTS, results), (OBJECTIVES, objectives)):
            if values is None or len(values) == 0:
                continue
            row = dict(zip(INDICATOR_HEAD, (identifier, label, kind, unit), strict=True))
            for year in years:
                row[str(year)] = float(values[year]) if year in values else None
            aim = (f"Trajectoire de l'objectif retenu ({objective_text}), année par année, à partir de "
                   "l'inventaire. ") if objective_text else "Trajectoire de l'objectif retenu. "
            row |= dict(zip(INDICATOR_TAIL, (source, method if kind == RESULTS else aim + method, _LIMITS),
                            strict=True))
            rows.append(row)
    return pd.DataFrame(rows, columns=[*INDICATOR_HEAD, *(str(y) for y in years), *INDICATOR_TAIL])
