"""Projection of the inventory to 2030 (or up to 2050) under each scenario, in one vectorised pass.

For a declaration i with inventory-year impacts I_i (low and high ends), scenario s and year t:

    I_i(s, t) = I_i x V(t) x E(t) x M_i(t) x P(t) x G_zone(t)

- V: usage volume: compound growth x adoption(t) / adoption(inventory year);
- E: efficiency per token and per GPU-hour: product of (1 - gain) over the years;
- M_i: model and hosting shifts: 1 + sum over the shifting levers of the share moved since the
  inventory year x (impact with the target model or hosting / impact as declared - 1), where the
  target impacts come from the engine on the same declarations;
- P: PUE: product of (1 + change), on the usage impacts only (not on manufacturing);
- G: carbon intensity of the zone's electricity (grid trends of the factor base), on the usage
  GWP only.

The first year is the inventory itself; with no growth, no shift, no gain and a flat grid, the
trajectory is flat. Must not: read files or print.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InputError, Problem
from emission_factors.schema import read_defaults
from footprint.engine import ENDS, compute_impacts
from footprint.factors import FactorBase
from footprint.inventory import NOT_GIVEN, Inventory
from footprint.inventory.declarations import to_workloads
from footprint.vocabulary import FILE_COLUMNS, KINDS_FR
from scenarios.definitions import DEFAULT_TO_YEAR, HORIZON, Scenario

# Impacts projected, and which of them PUE and the grid act on.
LINEAR = ("energy_kwh", "gwp_usage_kgco2e", "gwp_embodied_kgco2e", "water_l", "adpe_usage_kgsbeq",
          "adpe_embodied_kgsbeq", "pe_usage_mj", "pe_embodied_mj")
WITH_PUE = ("energy_kwh", "gwp_usage_kgco2e", "water_l", "adpe_usage_kgsbeq", "pe_usage_mj")
WITH_GRID = ("gwp_usage_kgco2e",)
OUTPUT = ("energy_kwh", "gwp_kgco2e", "gwp_usage_kgco2e", "gwp_embodied_kgco2e", "water_l", "adpe_kgsbeq", "pe_mj",
          "adpe_usage_kgsbeq", "pe_usage_mj")
SHIFTS = ("small_model_share", "frontier_model_share", "french_hosting_share", "us_hosting_share")
# ``Projection.totals(by=…)``: the French column a group is named by -> the store column.
GROUPINGS = {FILE_COLUMNS[c]: c for c in ("kind", "service", "use_case")}


def _linear(impacts: pd.DataFrame, end: str) -> np.ndarray:
    """(N, len(LINEAR)) impacts of one end, with ADPe and PE split into usage and manufacturing."""
    columns = []
    for key in LINEAR:
        if key == "adpe_embodied_kgsbeq":
            values = impacts[f"adpe_kgsbeq_{end}"] - impacts[f"adpe_usage_kgsbeq_{end}"]
        elif key == "pe_embodied_mj":
            values = impacts[f"pe_mj_{end}"] - impacts[f"pe_usage_mj_{end}"]
        else:
            values = impacts[f"{key}_{end}"]
        columns.append(np.clip(values.to_numpy(dtype=float), 0.0, None))
    return np.stack(columns, axis=1)


def _alternative(workloads: pd.DataFrame, lever: str, target: str, factors: FactorBase) -> pd.DataFrame:
    """The workloads as they would be with the lever's target model or hosting."""
    changed = workloads.copy()
    if lever in ("small_model_share", "frontier_model_share"):
        provider, _, model = target.partition("/")
        provider_id = factors.provider_id(provider)
        if provider_id is None or factors.model_name(provider_id, model) is None:
            raise InputError([Problem("modèle cible inconnu de la base de facteurs", column=lever, value=target)])
        is_llm = changed["kind"] == "llm"
        changed.loc[is_llm, "provider"] = provider_id
        changed.loc[is_llm, "model"] = model
        if factors.default_hosting(provider_id) is None:
            # A model the provider does not host: served from the default hosting of the base.
            changed.loc[is_llm & changed["hosting"].isna() & changed["zone"].isna(), "hosting"] = (
                read_defaults().hosting)
    else:
        if target not in factors.hostings():
            raise InputError([Problem("profil d'hébergement cible inconnu", column=lever, value=target)])
        changed["hosting"] = target
        changed["zone"] = None
        changed["pue"] = np.nan
        changed["wue"] = np.nan
    return changed


def zones(declarations: pd.DataFrame, factors: FactorBase) -> np.ndarray:
    """Electricity zone of each declaration: declared, else its hosting profile's ('' if none)."""
    hosting_zone = dict(factors.con.execute("SELECT hosting, zone FROM hosting_profiles").fetchall())
    aliases = factors.zone_aliases()
    found = []
    for zone, hosting in zip(declarations["zone"], factors.hostings_of(declarations)):
        zone = (zone if isinstance(zone, str) and zone else hosting_zone.get(hosting) or "").upper()
        found.append(aliases.get(zone, zone))
    return np.array(found, dtype=object)


def _pues(declarations: pd.DataFrame, factors: FactorBase) -> np.ndarray:
    """Central PUE of each declaration: declared, else its hosting profile's, else the GPU-hours
    default; 1 for a measured declaration without one (energy taken as measured)."""
    hosting_pue = {h: (low + high) / 2 for h, low, high in
                   factors.con.execute("SELECT hosting, pue_min, pue_max FROM hosting_profiles").fetchall()}
    default = factors.constant("gpu_default_pue").m
    declared = pd.to_numeric(declarations["pue"], errors="coerce").to_numpy(dtype=float)
    pues = [value if not np.isnan(value) else hosting_pue.get(hosting, 1.0 if kind == "measured" else default)
            for value, hosting, kind in zip(declared, factors.hostings_of(declarations), declarations["kind"])]
    return np.maximum(np.array(pues, dtype=float), 1.0)


def _compound(rate: np.ndarray) -> np.ndarray:
    """Product of (1 + rate) over the years after the first, for each year (1 the first year)."""
    factors = np.concatenate([[1.0], 1.0 + rate[1:]])
    return np.cumprod(factors)


@dataclass
class Projection:
    """Impacts by scenario, year and declaration: ``values[s, t, i, k, e]`` for impact k of
    ``OUTPUT`` at end e (low, high)."""

    scenarios: list[Scenario]
    years: np.ndarray
    declarations: pd.DataFrame
    values: np.ndarray
    factor_base_version: str
    snbc_annual_change: float
    warnings: list[str]

    def totals(self, by: str | None = None) -> pd.DataFrame:
        """One row per scenario x year (x group): each impact's low, central and high."""
        if by is None:
            summed = self.values.sum(axis=2)[:, :, None]
            labels = np.array(["total"])
        else:
            groups = self.declarations[GROUPINGS[by]]
            if GROUPINGS[by] == "kind":
                groups = groups.map(KINDS_FR)
            groups = groups.astype("string").fillna(NOT_GIVEN).to_numpy()
            labels, index = np.unique(groups, return_inverse=True)
            one_hot = np.zeros((len(groups), len(labels)))
            one_hot[np.arange(len(groups)), index] = 1.0
            summed = np.einsum("stike,ig->stgke", self.values, one_hot)
        rows = []
        for s, scenario in enumerate(self.scenarios):
            for t, year in enumerate(self.years):
                for g, label in enumerate(labels):
                    row = {"scenario": scenario.id, "year": int(year)}
                    if by is not None:
                        row["group"] = label
                    for k, key in enumerate(OUTPUT):
                        low, high = summed[s, t, g, k]
                        row |= {f"{key}_low": low, f"{key}_central": 0.5 * low + 0.5 * high, f"{key}_high": high}
                    rows.append(row)
        return pd.DataFrame(rows)

    def cumulative(self) -> pd.DataFrame:
        """Totals over the whole period, by scenario."""
        totals = self.totals()
        return totals.drop(columns="year").groupby("scenario", sort=False).sum().reset_index()

    def saving(self, sober: str, other: str) -> dict[str, dict[str, float]]:
        """What ``sober`` saves over the period compared with ``other`` (positive: less impact)."""
        cumulative = self.cumulative().set_index("scenario")
        return {key: {end: float(cumulative.loc[other, f"{key}_{end}"] - cumulative.loc[sober, f"{key}_{end}"])
                      for end in ENDS} for key in OUTPUT}

    def target_path(self, reduction: float | None = None, target_year: int | None = None) -> np.ndarray:
        """Emissions allowed each year [kgCO2e], from the inventory year's central GWP: the SNBC path
        (about -5 % a year, factor base) or, with ``reduction`` (0.4 for -40 %) by ``target_year``,
        the authority's own PCAET target reached at a constant yearly rate."""
        start = float(self.totals().query("year == @self.years[0]")["gwp_kgco2e_central"].iloc[0])
        elapsed = self.years - self.years[0]
        if reduction is None:
            return start * (1.0 + self.snbc_annual_change) ** elapsed
        span = max((target_year or int(self.years[-1])) - int(self.years[0]), 1)
        return start * (1.0 - reduction) ** (elapsed / span)


def project(inventory: Inventory, scenarios: list[Scenario], factors: FactorBase, to_year: int = DEFAULT_TO_YEAR
            ) -> Projection:
    """Project every declaration of ``inventory`` under each scenario, year by year to ``to_year``."""
    start = inventory.year
    if not start < to_year <= HORIZON[1]:
        raise InputError([Problem(f"horizon invalide : attendu une année après {start} et au plus {HORIZON[1]}",
                                  column="--to", value=to_year)])
    if inventory.declarations.empty:
        raise InputError([Problem(f"inventaire {start} vide : déclarez d'abord des usages", column="--year",
                                  value=start)])
    years = np.arange(start, to_year + 1)
    declarations = inventory.declarations
    workloads = to_workloads(declarations, factors)
    base = {end: _linear(inventory.impacts, end) for end in ("low", "high")}
    n, k_count = base["low"].shape
    is_llm = (declarations["kind"] == "llm").to_numpy()
    trends = dict(factors.con.execute("SELECT zone, annual_change FROM grid_trends").fetchall())
    zone_of = zones(declarations, factors)
    warnings = sorted({f"Électricité {z} : pas de trajectoire sourcée d'intensité carbone ; intensité maintenue."
                       for z in set(zone_of) - set(trends) if z})
    zone_rate = np.array([trends.get(z, 0.0) for z in zone_of])
    # The engine's figures for the targets depend only on the declarations: kept with the inventory,
    # so that another projection of it (a slider moved in the dashboard) does not recompute them.
    ratios_cache = inventory.alternatives

    def ratios(lever: str, target: str) -> dict[str, np.ndarray]:
        if (lever, target) not in ratios_cache:
            alternative = compute_impacts(_alternative(workloads, lever, target, factors), factors, usage_split=True)
            out = {}
            for end in ("low", "high"):
                shifted = _linear(alternative, end)
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratio = np.where(base[end] > 0, shifted / base[end], 1.0)
                if lever in ("small_model_share", "frontier_model_share"):
                    ratio[~is_llm] = 1.0
                out[end] = ratio
            ratios_cache[(lever, target)] = out
        return ratios_cache[(lever, target)]

    pue_floor = 1.0 / _pues(declarations, factors)  # (N,): the PUE factor that brings each PUE to 1
    values = np.zeros((len(scenarios), len(years), n, len(OUTPUT), 2))
    pue_mask = np.array([key in WITH_PUE for key in LINEAR])
    grid_mask = np.array([key in WITH_GRID for key in LINEAR])
    for s, scenario in enumerate(scenarios):
        adoption = scenario.lever("adoption").at(years)
        if adoption[0] <= 0:
            raise InputError([Problem(f"adoption nulle l'année d'inventaire {start} : la croissance relative des "
                                      "usages ne peut pas en partir", file=scenario.origin, column="adoption")])
        volume = _compound(scenario.lever("volume_growth").at(years)) * adoption / adoption[0]
        efficiency = _compound(-scenario.lever("efficiency_gain").at(years))
        # A PUE falls to 1 at most (below 1 has no meaning): each declaration's factor is floored.
        pue = np.maximum(_compound(scenario.lever("pue_change").at(years))[:, None], pue_floor[None, :])  # (T, N)
        grid_on = scenario.lever("grid_trend").at(years)[:, None]
        grid = (1.0 + zone_rate[None, :]) ** ((years - start)[:, None] * (grid_on > 0.5))  # (T, N)
        for e, end in enumerate(("low", "high")):
            # Each shift moves a share of what remains: the effects multiply, never below zero.
            mix = np.ones((len(years), n, k_count))
            for lever_name in SHIFTS:
                lever = scenario.lever(lever_name)
                if lever_name not in scenario.levers:
                    continue
                shares = np.clip(lever.at(years) - lever.at(years[:1]), 0.0, 1.0)
                mix *= 1.0 + shares[:, None, None] * (ratios(lever_name, lever.target)[end][None] - 1.0)
            scale = (volume * efficiency)[:, None, None] * mix
            scale = scale * np.where(pue_mask[None, None, :], pue[:, :, None], 1.0)
            scale = scale * np.where(grid_mask[None, None, :], grid[:, :, None], 1.0)
            projected = base[end][None] * scale  # (T, N, K)
            values[s, :, :, :, e] = _outputs(projected)
    # The two ends move with different ratios (a shift to a model or a hosting whose range differs):
    # the range is what lies between them, whichever is lower.
    values = np.stack([values.min(axis=-1), values.max(axis=-1)], axis=-1)
    return Projection(list(scenarios), years, declarations, values, factors.version,
                      factors.constant("snbc_annual_change").m_as("1/year"), warnings)


def _outputs(projected: np.ndarray) -> np.ndarray:
    """The ``OUTPUT`` impacts from the ``LINEAR`` ones (totals of GWP, ADPe and PE)."""
    index = {key: i for i, key in enumerate(LINEAR)}
    take = {key: projected[..., i] for key, i in index.items()}
    return np.stack([
        take["energy_kwh"],
        take["gwp_usage_kgco2e"] + take["gwp_embodied_kgco2e"],
        take["gwp_usage_kgco2e"],
        take["gwp_embodied_kgco2e"],
        take["water_l"],
        take["adpe_usage_kgsbeq"] + take["adpe_embodied_kgsbeq"],
        take["pe_usage_mj"] + take["pe_embodied_mj"],
        take["adpe_usage_kgsbeq"],
        take["pe_usage_mj"],
    ], axis=-1)
