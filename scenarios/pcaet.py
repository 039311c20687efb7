"""The PCAET/BEGES export of an inventory year and its scenarios, assembled in memory.

Owns: turning an inventory, the chosen scenarios, the collectivité's profile and the target into
the export tables (summary, detail, sources, indicators, note) of ``footprint.reporting``: the
projection done once, each scenario judged against the target (``verdict``), the target's path
as the objectives of the indicators, the name and SIREN of the profile on every file. Shared by
the CLI (``export pcaet``) and the dashboard (Export page), so that both give the same bytes for
the same store.
Must not: parse command lines, write files or talk to Streamlit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import InputError, Problem
from footprint import __version__, reporting
from footprint.factors import FactorBase
from footprint.inventory import Inventory
from footprint.inventory.authority import BY_KEY, Profile, check_profile
from footprint.inventory.declarations import to_workloads
from scenarios.definitions import DEFAULT_TO_YEAR, Scenario
from scenarios.projection import OUTPUT, project, zones
from scenarios.verdict import Target, target_of, verdicts

# The name on the files when neither the profile nor the command gives one.
DEFAULT_AUTHORITY = "Collectivité"
# The options that override the profile's target, by field of the profile.
TARGET_OPTIONS = {"target_reduction_pct": "--objectif-baisse-pct", "target_year": "--annee-objectif"}


def check_export_date(text: str | None) -> str:
    """The export date as ``AAAA-MM-JJ`` (today when none is given)."""
    if not text:
        return pd.Timestamp.now().strftime("%Y-%m-%d")
    try:
        return pd.Timestamp(text).strftime("%Y-%m-%d")
    except ValueError:
        raise InputError([Problem("date illisible (AAAA-MM-JJ)", column="--export-date", value=text)]) from None


def chosen_target(profile: Profile | None, reduction_pct: object = None, year: object = None) -> Target:
    """The target of the export: the profile's (``target_of``), or the reduction (in %) and the
    year given (``--objectif-baisse-pct``, ``--annee-objectif``; the one not given is the
    profile's), checked against the bounds of a profile. ``InputError`` names the option."""
    if reduction_pct is None and year is None:
        return target_of(profile)
    values = {"nom": DEFAULT_AUTHORITY,
              "objectif_baisse_pct": reduction_pct if reduction_pct is not None else (
                  profile.target_reduction_pct if profile else None),
              "annee_objectif": year if year is not None else (profile.target_year if profile else None)}
    try:
        checked = check_profile(values)
    except InputError as error:
        by_name = {BY_KEY[key].name: option for key, option in TARGET_OPTIONS.items()}
        raise InputError([Problem(p.message, column=by_name.get(p.column, p.column), value=p.value)
                          for p in error.problems]) from None
    return Target(*checked.target)


def build_export(inventory: Inventory, scenarios: list[Scenario], factors: FactorBase, authority: str | None,
                 export_date: str, to_year: int = DEFAULT_TO_YEAR, *, profile: Profile | None = None,
                 target: Target | None = None) -> reporting.Export:
    """The export tables of ``inventory`` (its year as « réalisé ») and of each scenario's
    projected years (« projeté »). ``authority``: the name on the files (the profile's when
    None); ``profile``: the collectivité's (SIREN, head-count for the per-agent indicators,
    perspective in the note); ``target``: what the scenarios are judged against (the profile's
    target when None, else the SNBC pace)."""
    year = inventory.year
    if inventory.declarations.empty and inventory.excluded:
        raise InputError([Problem(f"aucune déclaration validée en {year} ({inventory.excluded} à valider par le "
                                  "référent climat) : validez-les, ou comptez aussi celles qui ne le sont pas",
                                  column="--year", value=year)])
    if inventory.declarations.empty:
        raise InputError([Problem(f"inventaire {year} vide : rien à exporter", column="--year", value=year)])
    name = authority or (profile.name if profile else None) or DEFAULT_AUTHORITY
    siren = profile.siren if profile else None
    target = target if target is not None else target_of(profile)
    declarations = inventory.declarations.reset_index(drop=True)
    impacts = inventory.impacts.reset_index(drop=True)
    periods = [reporting.Period(year, "réalisé", "inventaire",
                                pd.DataFrame({k: impacts[f"{k}_low"] for k in reporting.KEYS}),
                                pd.DataFrame({k: impacts[f"{k}_high"] for k in reporting.KEYS}))]
    years, judged, target_text, objective = [year], [], "", None
    if scenarios:
        projection = project(inventory, scenarios, factors, to_year)
        index = [OUTPUT.index(k) for k in reporting.KEYS]
        for s_index, scenario in enumerate(scenarios):
            for t_index, projected_year in enumerate(projection.years[1:], start=1):
                values = projection.values[s_index, t_index][:, index]
                periods.append(reporting.Period(int(projected_year), "projeté", scenario.id,
                                                pd.DataFrame(values[:, :, 0], columns=list(reporting.KEYS)),
                                                pd.DataFrame(values[:, :, 1], columns=list(reporting.KEYS))))
        years = [int(y) for y in projection.years]
        judged = verdicts(projection, target)
        target_text = target.describe(projection)
        objective = dict(zip(years, (float(v) for v in target.path(projection)), strict=True))
    zone_by_declaration = list(zones(declarations, factors))
    # Each line of the summary names the electricity factor of its own declarations, with its
    # source and year (« FRA : 0,0461 kgCO2e/kWh (ADEME Base Empreinte 2025) »).
    zone_factors = reporting.electricity_factors(factors, zone_by_declaration, year)
    measured = (declarations["kind"] == "measured").to_numpy()
    summary = reporting.summary(periods, declarations, factors, name, export_date, measured, zone_factors,
                                siren=siren)
    workloads = to_workloads(declarations, factors)
    llm = (workloads["kind"] == "llm").to_numpy()
    requests = float(np.nansum(workloads["requests"].where(workloads["kind"] == "llm")))
    llm_gwp = float(np.nansum(impacts["gwp_kgco2e_central"].to_numpy()[llm]))
    factor_rows = reporting.sources(declarations, factors)
    detail = reporting.detail(declarations, impacts, factors, year, zone_by_declaration)
    indicators = reporting.indicators(summary, years, requests, llm_gwp, profile.agents if profile else None,
                                      objective, source=f"Empreinte IA {__version__}, base de facteurs "
                                                        f"{factors.version}, export du {export_date}",
                                      objective_text=target_text)
    columns = {"synthese": list(reporting.with_totals(summary).columns), "detail": list(detail.columns),
               "sources": list(factor_rows.columns)}
    note = reporting.note_markdown(name, year, factor_rows, summary, export_date, factors.version, factors=factors,
                                   profile=profile, target=target_text, verdicts=judged, columns=columns, siren=siren,
                                   review=(inventory.pending, inventory.excluded))
    return reporting.Export(summary, detail, factor_rows, indicators, note, target=target_text, verdicts=judged)
