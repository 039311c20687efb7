"""Impacts of consumed electricity and embodied hardware, shared by every workload kind.

Usage impacts follow EcoLogits: energy x the electricity mix factor for GWP, ADPe and PE;
water = IT energy x (on-site WUE + PUE x off-site WUE of the mix). Arrays in, arrays out.
The energies may be totals [kWh] or rates [kWh/s, kWh/token]: the results carry the matching
unit (kgCO2e or kgCO2e/s, ...), and callers convert once at the end.

References: EcoLogits, "LLM inference" methodology (usage and embodied impacts),
https://ecologits.ai/latest/methodology/llm_inference/, and ``ecologits/impacts/llm.py``
(``request_energy``, ``request_usage_*``, ``request_usage_wcf``). The embodied impacts of
the servers (BoaviztAPI, https://doc.api.boavizta.org/) and GPUs (Hubblo/ADEME,
https://data.hubblo.org/gpu) are those EcoLogits uses, amortised as it does.
"""

from __future__ import annotations

import pint

from core.units import ureg

Quantity = pint.Quantity


def facility_energy(it_energy: Quantity, pue: Quantity) -> Quantity:
    """Energy drawn by the data centre [kWh, or kWh per unit]: IT energy x PUE.

    Examples
    --------
    Green Algorithms' worked case (see ``gpu.it_energy``): 9.21216 kWh of IT energy with a PUE
    of 1.56, then its emissions at the 51.28 gCO2e/kWh of that example.

    >>> energy = facility_energy(ureg("9.21216 kWh"), ureg("1.56"))
    >>> round(energy.to("kWh").m, 3)
    14.371
    >>> round(usage_gwp(energy, ureg("51.28 gCO2e/kWh")).to("gCO2e").m, 2)
    736.94
    """
    return it_energy * pue


def usage_gwp(energy: Quantity, mix_gwp: Quantity) -> Quantity:
    """Greenhouse-gas emissions of the electricity used [kgCO2e]."""
    return energy * mix_gwp


def usage_adpe(energy: Quantity, mix_adpe: Quantity) -> Quantity:
    """Abiotic resource depletion of the electricity used [kgSbeq]."""
    return energy * mix_adpe


def usage_pe(energy: Quantity, mix_pe: Quantity) -> Quantity:
    """Primary energy of the electricity used [MJ]."""
    return energy * mix_pe


def usage_water(it_energy: Quantity, wue_onsite: Quantity, pue: Quantity, mix_wue: Quantity) -> Quantity:
    """Water consumed [L]: cooling on site (WUE x IT energy) and electricity generation off site
    (off-site WUE of the mix x energy drawn, that is x PUE), as EcoLogits' ``request_usage_wcf``.

    Examples
    --------
    Illustrative values: 10 kWh of IT energy, 0.5 L/kWh on site, a PUE of 1.2 and a mix that
    consumes 2 L/kWh: 5 L on site and 24 L off site.

    >>> round(usage_water(ureg("10 kWh"), ureg("0.5 L/kWh"), ureg("1.2"), ureg("2 L/kWh")).to("L").m, 6)
    29.0
    """
    return it_energy * (wue_onsite + pue * mix_wue)


def embodied_per_gpu_hour(gpu_embodied: Quantity, server_embodied: Quantity, server_gpu_count: Quantity,
                          hardware_lifespan: Quantity) -> Quantity:
    """Embodied impact of one GPU-hour (any impact unit per GPU-hour): the GPU and its share of
    the server, amortised linearly over the hardware's life.

    Examples
    --------
    With EcoLogits' hardware (the factor base's ``constants``): an H100 and its eighth of a
    p5.48xlarge server over three years, about 0.0375 kgCO2e per GPU-hour.

    >>> from footprint.factors import FactorBase
    >>> constant = FactorBase.load().constant
    >>> per_hour = embodied_per_gpu_hour(constant("llm_gpu_embodied_gwp"), constant("server_embodied_gwp"),
    ...                                  constant("server_gpu_count"), constant("hardware_lifespan"))
    >>> round(per_hour.to("kgCO2e / gpu_hour").m, 4)
    0.0375
    """
    per_gpu = gpu_embodied + server_embodied / server_gpu_count
    return (per_gpu / hardware_lifespan).to(per_gpu.units / ureg.hour)
