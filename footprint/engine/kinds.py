"""The kinds other than ``llm``: hours of GPU (Green Algorithms' power model,
``footprint.methods.gpu``), tasks counted by the unit (energy per unit of a reference GPU) and
energy measured on site (CodeCarbon, a power meter), each from its IT energy to its impacts.

Owns the arithmetic of these kinds, on whole columns, and the warnings about the defaults they
fall back on. Must not query the factor base beyond ``resolution`` nor loop over rows.
"""

from __future__ import annotations

import numpy as np

from core.units import ureg
from footprint.engine.resolution import floats, resolve_gpu, resolve_measured, resolve_task
from footprint.engine.results import EMBODIED, Partial, impacts_of, magnitudes, mix_factors, no_embodied
from footprint.factors import FactorBase
from footprint.methods import gpu as gpu_formulas
from footprint.methods import impacts


def _hosting_ranges(cols: dict, default_pue: float | None, warnings: list[str], label: str):
    """PUE and on-site WUE arrays for both ends, with the documented fallbacks."""
    pue = {end: floats(cols[f"pue_{end}"]) for end in ("min", "max")}
    wue = {end: floats(cols[f"wue_{end}"]) for end in ("min", "max")}
    no_pue = np.isnan(pue["min"])
    if no_pue.any():
        fallback = default_pue if default_pue is not None else 1.0  # measured energy: taken as it is
        for end in pue:
            pue[end] = np.where(no_pue, fallback, pue[end])
        warnings.append(f"{label} : {int(no_pue.sum())} ligne(s) sans PUE ni hébergement ; "
                        + (f"PUE par défaut appliqué : {default_pue:g} (Uptime Institute 2024, voir la base de "
                           "facteurs)." if default_pue is not None
                           else "énergie mesurée prise telle quelle (aucun PUE appliqué)."))
    no_wue = np.isnan(wue["min"])
    if no_wue.any():
        for end in wue:
            wue[end] = np.where(no_wue, 0.0, wue[end])
        warnings.append(f"{label} : {int(no_wue.sum())} ligne(s) sans WUE ni hébergement ; "
                        "eau consommée sur site non comptée (seule l'eau de la production d'électricité l'est).")
    return ({e: ureg.Quantity(v, "dimensionless") for e, v in pue.items()},
            {e: ureg.Quantity(v, "L/kWh") for e, v in wue.items()})


def _gpu_hour_embodied(factors: FactorBase, gpu_hours, embodied_per_gpu: dict) -> dict:
    c = factors.constant
    return {name: impacts.embodied_per_gpu_hour(embodied_per_gpu[name], c(f"server_embodied_{name}"),
                                                c("server_gpu_count"), c("hardware_lifespan")) * gpu_hours
            for name in EMBODIED}


def _both_ends(cols: dict, factors: FactorBase, it_energy, pue: dict, wue: dict, embodied: dict,
               warnings: list[str], ranged: bool = False) -> Partial:
    """Impacts at both ends of the PUE/WUE range, from the IT energy and the embodied impacts;
    ``ranged``: both are dicts ``{"min", "max"}``, one per end (the volume is a range)."""
    mix = mix_factors(cols, factors)
    ends = {end: magnitudes(impacts_of(it_energy[end] if ranged else it_energy, pue[end], wue[end], mix,
                                       embodied[end] if ranged else embodied)) for end in ("min", "max")}
    return Partial(cols["row_id"], ends["min"], ends["max"], warnings)


def _default_pue(factors: FactorBase) -> float:
    return factors.constant("gpu_default_pue").m_as("dimensionless")


def gpu_kind(con, factors: FactorBase, check_only: bool) -> Partial | None:
    """Hours of GPU: TDP x utilisation plus the host's share, x GPUs x hours; the GPUs' and
    their server's manufacturing over the GPU-hours (unless ``embodied`` is false)."""
    cols, warnings = resolve_gpu(con, factors)
    if check_only:
        return None
    c = factors.constant
    pue, wue = _hosting_ranges(cols, _default_pue(factors), warnings, "Heures GPU")
    utilization = floats(cols["utilization"])
    utilization = ureg.Quantity(
        np.where(np.isnan(utilization), c("gpu_default_utilization").m_as("dimensionless"), utilization), "")
    overhead = floats(cols["server_overhead_w"])
    overhead = ureg.Quantity(np.where(np.isnan(overhead), c("gpu_server_overhead").m_as("W/gpu"), overhead), "W/gpu")
    power = gpu_formulas.gpu_power(factors.quantity("gpus", "tdp", floats(cols["tdp"])), utilization, overhead)
    host = gpu_formulas.host_power(
        ureg.Quantity(np.nan_to_num(floats(cols["cpu_cores"])), "cpu_core"),
        ureg.Quantity(np.nan_to_num(floats(cols["cpu_power_w"])), "W/cpu_core"),
        ureg.Quantity(np.nan_to_num(floats(cols["memory_gb"])), "GB"), c("memory_power"))
    count = ureg.Quantity(floats(cols["gpus"]), "gpu")
    duration = ureg.Quantity(floats(cols["hours"]), "hour")
    it_energy = gpu_formulas.it_energy(count, power, host, duration)
    gpu_hours = gpu_formulas.gpu_hours(count, duration) * np.asarray(cols["with_embodied"], dtype=bool)
    embodied = _gpu_hour_embodied(factors, gpu_hours, {
        name: factors.quantity("gpus", f"embodied_{name}", floats(cols[f"embodied_{name}"])) for name in EMBODIED})
    return _both_ends(cols, factors, it_energy, pue, wue, embodied, warnings)


def task_kind(con, factors: FactorBase, check_only: bool) -> Partial | None:
    """Tasks by the unit: energy per unit x units; the reference GPU's manufacturing over the
    GPU-hours that energy takes at its TDP."""
    cols, warnings = resolve_task(con, factors)
    if check_only:
        return None
    pue, wue = _hosting_ranges(cols, _default_pue(factors), warnings, "Tâches à l'unité")
    # Units of work differ by task (image, page, ...); the energy column is per unit of each row.
    # The units may be a range (a product's units per user): the low end with the fewest.
    tdp = floats(cols["tdp"])
    has_gpu = ~np.isnan(tdp)
    per_gpu = {name: factors.quantity("gpus", f"embodied_{name}", np.nan_to_num(floats(cols[f"embodied_{name}"])))
               for name in EMBODIED}
    it_energy, embodied = {}, {}
    for end, units in (("min", "units"), ("max", "units_high")):
        it_energy[end] = ureg.Quantity(floats(cols["energy_per_unit"]) * floats(cols[units]), "kWh")
        gpu_hours = gpu_formulas.equivalent_gpu_hours(
            it_energy[end], factors.quantity("gpus", "tdp", np.where(has_gpu, tdp, 1.0))) * has_gpu
        embodied[end] = _gpu_hour_embodied(factors, gpu_hours, per_gpu)
    return _both_ends(cols, factors, it_energy, pue, wue, embodied, warnings, ranged=True)


def measured_kind(con, factors: FactorBase, check_only: bool) -> Partial | None:
    """Energy measured: the IT energy as given (x PUE when there is one); no manufacturing."""
    cols, warnings = resolve_measured(con)
    if check_only:
        return None
    pue, wue = _hosting_ranges(cols, None, warnings, "Mesures")
    it_energy = ureg.Quantity(floats(cols["energy_kwh"]), "kWh")
    warnings.append("Mesures : la fabrication du matériel mesuré n'est pas comptée (matériel non décrit).")
    return _both_ends(cols, factors, it_energy, pue, wue, no_embodied(np.zeros(len(it_energy.m))), warnings)
