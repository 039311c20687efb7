"""What every measured run gets before the store keeps it, whether it comes from the live tracker
(``tracker``) or from a CodeCarbon ``emissions.csv`` (``emissions_file``).

Owns: the country check (a zone both CodeCarbon and the factor base know, checked before any
tracker starts: never CodeCarbon's silent world average), the id of the ``measured`` declaration
that gathers the runs of one job, year and country, our own CO2e of a run (the factor base's
electricity factor for its zone and year: ADEME Base Empreinte for France) beside CodeCarbon's,
and the ``measured`` declarations the runs feed.

Must not: start a tracker, read a file or write to the store (it builds the rows the callers save).
"""

from __future__ import annotations

import os
import re

import pandas as pd

from core.errors import InputError, Problem
from footprint.factors import FactorBase
from footprint.store import Store

NO_SERVICE = "(service non précisé)"
# The energy components of a CodeCarbon record (its column -> what French readers call it).
COMPONENTS = {"cpu_energy": "du processeur", "gpu_energy": "du GPU", "ram_energy": "de la mémoire vive"}


def _codecarbon_countries() -> set[str]:
    os.environ.setdefault("CODECARBON_LOG_LEVEL", "error")
    from codecarbon.input import DataSource

    return set(DataSource().get_global_energy_mix_data())


def check_country(country: str, factors: FactorBase) -> str:
    """The ISO 3166 alpha-3 code of a country both CodeCarbon and the factor base know."""
    code = factors.zone_aliases().get(country.strip().upper(), country.strip().upper())
    if code not in set(factors.zones()) or code not in _codecarbon_countries():
        raise InputError([Problem("pays inconnu de CodeCarbon ou de la base de facteurs : code ISO 3166 à trois "
                                  "lettres attendu (FRA, DEU, BEL…) ; aucune mesure n'a été lancée",
                                  column="--country", value=country)])
    return code


def declaration_id(name: str, year: int, country: str) -> str:
    """Stable id of the ``measured`` declaration that gathers the runs of one job, year and country
    (runs in two countries must not share one electricity factor)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "mesure"
    return f"M-{year}-{country}-{slug}"


def our_co2e(energy_kwh: float, country: str, year: int, factors: FactorBase) -> dict[str, object]:
    """The store's CO2e columns of a run of ``energy_kwh`` kWh: kgCO2e by the factor base's
    electricity factor of ``country`` for ``year``, that factor (kgCO2e/kWh) and its source."""
    factor = factors.mix(country, None, year)["gwp"]
    return {"gwp_kgco2e": energy_kwh * factor.value, "gwp_factor_kgco2e_per_kwh": factor.value,
            "gwp_factor_source": f"{factor.dataset} {factor.year}"}


def measured_declarations(runs: pd.DataFrame, store: Store) -> pd.DataFrame:
    """The ``measured`` declaration of each run's declaration id (kept as the user left it, if it
    exists: only its energy will change)."""
    existing = store.declarations(include_deleted=True).set_index("id")
    rows = []
    for declaration, group in runs.groupby("declaration_id", sort=True):
        first = group.iloc[0]
        if declaration in existing.index:
            row = existing.loc[declaration].to_dict()
            if row.get("kind") != "measured":
                raise InputError([Problem("la déclaration liée doit être de type « mesure »", column="--declaration",
                                          value=declaration)])
            row["id"] = declaration
        else:
            row = {"id": declaration, "year": int(first["year"]), "service": first["service"],
                   "use_case": first["name"], "kind": "measured", "zone": first["country_iso_code"],
                   "comment": f"Mesures CodeCarbon de « {first['name']} »", "origin": "mesure"}
        rows.append(row)
    return pd.DataFrame(rows)
