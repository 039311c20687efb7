"""The PCAET/BEGES export of an inventory year and its scenarios, assembled in memory.

Owns: turning an inventory and the chosen scenarios into the export tables (summary, detail,
sources, indicators, note) of ``footprint.reporting``. Shared by the CLI (``export pcaet``) and
the dashboard (Export page), so that both give the same bytes for the same store.
Must not: parse command lines, write files or talk to Streamlit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import InputError, Problem
from footprint import reporting
from footprint.factors import FactorBase
from footprint.inventory import Inventory
from footprint.inventory.declarations import to_workloads
from scenarios.definitions import DEFAULT_TO_YEAR, Scenario
from scenarios.projection import OUTPUT, project, zones


def check_export_date(text: str | None) -> str:
    """The export date as ``AAAA-MM-JJ`` (today when none is given)."""
    if not text:
        return pd.Timestamp.now().strftime("%Y-%m-%d")
    try:
        return pd.Timestamp(text).strftime("%Y-%m-%d")
    except ValueError:
        raise InputError([Problem("date illisible (AAAA-MM-JJ)", column="--export-date", value=text)]) from None


def build_export(inventory: Inventory, scenarios: list[Scenario], factors: FactorBase, authority: str,
                 export_date: str, to_year: int = DEFAULT_TO_YEAR) -> reporting.Export:
    """The export tables of ``inventory`` (its year as « réalisé ») and of each scenario's
    projected years (« projeté »)."""
    year = inventory.year
    if inventory.declarations.empty:
        raise InputError([Problem(f"inventaire {year} vide : rien à exporter", column="--year", value=year)])
    declarations = inventory.declarations.reset_index(drop=True)
    impacts = inventory.impacts.reset_index(drop=True)
    periods = [reporting.Period(year, "réalisé", "inventaire",
                                pd.DataFrame({k: impacts[f"{k}_low"] for k in reporting.KEYS}),
                                pd.DataFrame({k: impacts[f"{k}_high"] for k in reporting.KEYS}))]
    if scenarios:
        projection = project(inventory, scenarios, factors, to_year)
        index = [OUTPUT.index(k) for k in reporting.KEYS]
        for s_index, scenario in enumerate(scenarios):
            for t_index, projected_year in enumerate(projection.years[1:], start=1):
                values = projection.values[s_index, t_index][:, index]
                periods.append(reporting.Period(int(projected_year), "projeté", scenario.id,
                                                pd.DataFrame(values[:, :, 0], columns=list(reporting.KEYS)),
                                                pd.DataFrame(values[:, :, 1], columns=list(reporting.KEYS))))
    zone_by_declaration = list(zones(declarations, factors))
    # Each line of the summary names the electricity factor of its own declarations, with its
    # source and year (« FRA : 0,0461 kgCO2e/kWh (ADEME Base Empreinte 2025) »).
    zone_factors = reporting.electricity_factors(factors, zone_by_declaration, year)
    measured = (declarations["kind"] == "measured").to_numpy()
    summary = reporting.summary(periods, declarations, factors, authority, export_date, measured, zone_factors)
    workloads = to_workloads(declarations, factors)
    requests = float(np.nansum(workloads["requests"].where(workloads["kind"] == "llm")))
    agents = float(np.nansum(declarations["agents"]))
    factor_rows = reporting.sources(declarations, factors)
    return reporting.Export(summary, reporting.detail(declarations, impacts, factors, year, zone_by_declaration),
                            factor_rows, reporting.indicators(summary, periods, declarations, requests, agents),
                            reporting.note_markdown(authority, year, factor_rows, summary, export_date,
                                                    factors.version, factors=factors))
