"""GPU-hours formulas: the energy of GPUs (and their host) running for a number of hours.

Power follows Green Algorithms (Lannelongue et al. 2021): GPUs at TDP x utilisation, plus the
host's share (server overhead per GPU, optional CPU cores and memory). Arrays in, arrays out;
defaults and coefficients come from the factor base.

References: Lannelongue, Grealey, Inouye, "Green Algorithms: Quantifying the Carbon Footprint
of Computation", Advanced Science 2021, https://doi.org/10.1002/advs.202100707, and its
calculator, https://calculator.green-algorithms.org/. The server overhead per GPU is
EcoLogits' (https://ecologits.ai/latest/methodology/llm_inference/).
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
    """IT energy of the job [kWh]: (GPUs x power per GPU + host power) x duration.

    Examples
    --------
    The worked case of Green Algorithms (Lannelongue et al. 2021): 24 h on 4 T4 GPUs at their
    70 W TDP, 8 CPU cores of 10 W and 64 GB of memory (0.3725 W/GB); with a PUE of 1.56 it
    draws 14.371 kWh (see ``impacts.facility_energy``).

    >>> from core.units import ureg
    >>> per_gpu = gpu_power(ureg("70 W/gpu"), ureg("1"), ureg("0 W/gpu"))
    >>> host = host_power(ureg("8 cpu_core"), ureg("10 W/cpu_core"), ureg("64 GB"), ureg("0.3725 W/GB"))
    >>> round(it_energy(ureg("4 gpu"), per_gpu, host, ureg("24 h")).m, 5)
    9.21216
    """
    return ((gpu_count * gpu_power + host_power) * duration).to("kWh")


def gpu_hours(gpu_count: Quantity, duration: Quantity) -> Quantity:
    """GPU-hours [gpu_hour]."""
    return (gpu_count * duration).to("gpu_hour")


def equivalent_gpu_hours(energy: Quantity, tdp: Quantity) -> Quantity:
    """GPU-hours that an energy [kWh] takes on a GPU drawing its TDP [W/gpu] — used to give a
    per-unit task its share of embodied hardware.

    Examples
    --------
    Illustrative values: 7 kWh on a GPU of 350 W takes it 20 hours.

    >>> from core.units import ureg
    >>> equivalent_gpu_hours(ureg("7 kWh"), ureg("350 W/gpu"))
    <Quantity(20.0, 'gpu_hour')>
    """
    return (energy / tdp).to("gpu_hour")
