"""LLM inference formulas, after EcoLogits' published methodology (ecologits 0.11).

One function per quantity, named after it, so the chain reads top to bottom:
output tokens -> GPU energy -> generation latency -> server energy -> IT energy ->
energy (x PUE); and the embodied share of the server and GPUs over the generation time.
Arguments are Pint quantities wrapping NumPy arrays (one element per workload row) or
scalars; the coefficients come from the factor base (``constants`` table), never from here.
The optional prefill term for input tokens is ours (EcoLogits ignores input tokens): see
docs/METHODOLOGIE.md.

Reference: EcoLogits, "LLM inference" methodology,
https://ecologits.ai/latest/methodology/llm_inference/ and ``ecologits/impacts/llm.py``.
"""

from __future__ import annotations

import numpy as np
import pint

from core.units import ureg

Quantity = pint.Quantity


def gpu_energy_per_token(active_parameters: Quantity, batch_size: Quantity, gpu_energy_alpha: Quantity,
                         gpu_energy_beta: Quantity, gpu_energy_gamma: Quantity) -> Quantity:
    """Energy of one GPU per generated token [Wh/token].

    ``alpha * exp(beta * batch_size) * active_parameters + gamma``, fitted by EcoLogits on
    ML.ENERGY measurements of H100 GPUs. ``active_parameters`` [billion parameters].

    Examples
    --------
    With EcoLogits' coefficients and batch size (the factor base's ``constants``), a model of
    70 billion active parameters draws about 0.08 mWh per token on each GPU.

    >>> from footprint.factors import FactorBase
    >>> c = FactorBase.load().constant
    >>> energy = gpu_energy_per_token(ureg("70 billion_parameters"), c("batch_size"), c("gpu_energy_alpha"),
    ...                               c("gpu_energy_beta"), c("gpu_energy_gamma"))
    >>> round(float(energy.to("mWh/token").m), 4)
    0.0804
    """
    return gpu_energy_alpha * np.exp(gpu_energy_beta * batch_size) * active_parameters + gpu_energy_gamma


def gpu_energy(output_tokens: Quantity, energy_per_token: Quantity) -> Quantity:
    """Energy of one GPU to generate ``output_tokens`` [token] at ``energy_per_token`` [Wh/token]."""
    return (output_tokens * energy_per_token).to("kWh")


def latency_per_token(active_parameters: Quantity, batch_size: Quantity, latency_alpha: Quantity,
                      latency_beta: Quantity, latency_gamma: Quantity, tps: Quantity) -> Quantity:
    """Time to generate one token [s/token]: ``1 / tps`` where the model's throughput is known,
    else EcoLogits' linear fit ``alpha * active_parameters + beta * batch_size + gamma``."""
    fitted = (latency_alpha * active_parameters + latency_beta * batch_size + latency_gamma).to("s/token")
    measured = (1 / tps).to("s/token")
    return ureg.Quantity(np.where(np.isnan(measured.m), fitted.m, measured.m), "s/token")


def generation_latency(output_tokens: Quantity, latency_per_token: Quantity, ttft: Quantity,
                       request_latency: Quantity) -> Quantity:
    """Generation time of one request [s]: tokens x time per token + time to first token,
    capped by the measured request latency when there is one (``inf`` otherwise).

    Examples
    --------
    Illustrative values: 100 tokens at 20 ms each after 0.5 s make 2.5 s, unless the request
    was measured at 2 s.

    >>> args = ureg("100 token"), ureg("0.02 s/token"), ureg("0.5 s")
    >>> [float(generation_latency(*args, cap).m) for cap in (ureg.Quantity(np.inf, "s"), ureg("2 s"))]
    [2.5, 2.0]
    """
    ttft_s = ureg.Quantity(np.nan_to_num(ttft.to("s").m, nan=0.0), "s")
    latency = (output_tokens * latency_per_token + ttft_s).to("s")
    return ureg.Quantity(np.minimum(latency.m, request_latency.to("s").m), "s")


def model_required_memory(total_parameters: Quantity, model_quantization: Quantity,
                          model_memory_overhead: Quantity) -> Quantity:
    """GPU memory needed to load the model [GB]: overhead x parameters x bits per parameter."""
    return (model_memory_overhead * total_parameters * model_quantization).to("GB")


def gpu_required_count(required_memory: Quantity, gpu_memory: Quantity) -> Quantity:
    """GPUs needed to hold the model [gpu], rounded up to the next power of two.

    Examples
    --------
    A 70-billion-parameter model in 16 bits with EcoLogits' memory overhead needs 168 GB: more
    than two 80 GB GPUs, so four (the factor base gives the coefficients).

    >>> from footprint.factors import FactorBase
    >>> constant = FactorBase.load().constant
    >>> memory = model_required_memory(ureg("70 billion_parameters"), constant("model_quantization"),
    ...                                constant("model_memory_overhead"))
    >>> round(memory.to("GB").m, 1)
    168.0
    >>> gpu_required_count(memory, constant("gpu_memory"))
    <Quantity(4.0, 'gpu')>
    """
    needed = np.ceil((required_memory / gpu_memory).to("dimensionless").m)
    return ureg.Quantity(np.exp2(np.ceil(np.log2(needed))), "gpu")


def server_energy(generation_latency: Quantity, server_power: Quantity, gpu_required_count: Quantity,
                  server_gpu_count: Quantity, batch_size: Quantity) -> Quantity:
    """Energy of the server without its GPUs for one request [kWh]: its power, shared by the
    GPUs the model occupies and by the requests of the batch."""
    share = (gpu_required_count / server_gpu_count) / batch_size
    return (generation_latency * server_power * share).to("kWh")


def request_it_energy(server_energy: Quantity, gpu_required_count: Quantity, gpu_energy: Quantity) -> Quantity:
    """IT energy of one request [kWh]: server share + every GPU the model occupies."""
    return (server_energy + gpu_required_count.to("gpu").m * gpu_energy).to("kWh")


def server_gpu_embodied(gpu_required_count: Quantity, server_gpu_count: Quantity, server_embodied: Quantity,
                        gpu_embodied: Quantity) -> Quantity:
    """Embodied impact of the hardware a model occupies (any impact unit): its share of the
    server plus its GPUs (``gpu_embodied`` per GPU)."""
    return (gpu_required_count / server_gpu_count) * server_embodied + gpu_required_count * gpu_embodied


def request_embodied(hardware_embodied: Quantity, hardware_lifespan: Quantity, generation_latency: Quantity,
                     batch_size: Quantity) -> Quantity:
    """Embodied impact allocated to one request: the share of the hardware's life it takes,
    divided among the requests of the batch."""
    return hardware_embodied * (generation_latency / hardware_lifespan).to("dimensionless") / batch_size


def prefill_flops(input_tokens: Quantity, active_parameters: Quantity,
                  flop_per_parameter_per_token: Quantity) -> Quantity:
    """Operations to process the prompt [flop]: about 2 per active parameter per input token
    (Kaplan et al. 2020)."""
    return (input_tokens * active_parameters * flop_per_parameter_per_token).to("flop")


def prefill_latency(prefill_flops: Quantity, gpu_required_count: Quantity, prefill_gpu_peak_throughput: Quantity,
                    prefill_flops_utilization: Quantity) -> Quantity:
    """Time the model's GPUs spend on the prompt [s], at the given share of their peak throughput."""
    return (prefill_flops / (prefill_gpu_peak_throughput * prefill_flops_utilization * gpu_required_count)).to("s")


def prefill_gpu_energy(prefill_latency: Quantity, gpu_required_count: Quantity,
                       prefill_gpu_power: Quantity) -> Quantity:
    """Energy of all the model's GPUs while they process the prompt [kWh]."""
    return (prefill_latency * prefill_gpu_power * gpu_required_count).to("kWh")
