"""GPU-hours formulas: the energy of GPUs (and their host) running for a number of hours.

Power follows Green Algorithms (Lannelongue et al. 2021): GPUs at TDP x utilisation, plus the
host's share (server overhead per GPU, optional CPU cores and memory). Arrays in, arrays out;
defaults and coefficients come from the factor base.
"""

from __future__ import annotations

import pint

Quantity = pint.Quantity


def gpu_power(tdp: Quantity, utilization: Quantity, server_overhead: Quantity) -> Quantity:
    """Power drawn per GPU [W/gpu]: TDP x utilisation, plus the server's non-GPU power per GPU."""
    return (tdp * utilization + server_overhead).to("W/gpu")


def host_power(cpu_cores: Quantity, cpu_power_per_core: Quantity, memory: Quantity,
               memory_power: Quantity) -> Quantity:
    """Power of the CPU cores and memory declared beside the GPUs [W]."""
    return (cpu_cores * cpu_power_per_core + memory * memory_power).to("W")


def it_energy(gpu_count: Quantity, gpu_power: Quantity, host_power: Quantity, duration: Quantity) -> Quantity:
    """IT energy of the job [kWh]: (GPUs x power per GPU + host power) x duration."""
    return ((gpu_count * gpu_power + host_power) * duration).to("kWh")


def gpu_hours(gpu_count: Quantity, duration: Quantity) -> Quantity:
    """GPU-hours [gpu_hour]."""
    return (gpu_count * duration).to("gpu_hour")


def equivalent_gpu_hours(energy: Quantity, tdp: Quantity) -> Quantity:
    """GPU-hours that an energy [kWh] takes on a GPU drawing its TDP [W/gpu] — used to give a
    per-unit task its share of embodied hardware."""
    return (energy / tdp).to("gpu_hour")
