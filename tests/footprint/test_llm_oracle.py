"""The LLM methodology checked against the real ``ecologits`` package, the reference.

Every case runs our vectorised engine on a table and EcoLogits on each row, with the same mix
factors, and requires energy, GWP, water, ADPe and PE to agree within 0.5 % at both ends of the
range. The cases cover dense and mixture-of-experts models, small and frontier ones, with and
without measured throughput (tps/ttft), several zones, user-set PUE and WUE, the French ADEME
factor and a measured latency cap.
"""

import math

import pandas as pd
import pytest
from ecologits.impacts.llm import compute_llm_impacts
from ecologits.model_repository import ParametersMoE, models
from ecologits.tracers.utils import PROVIDER_CONFIG_MAP, llm_impacts
from ecologits.utils.range_value import RangeValue

from footprint.engine import compute_impacts

TOLERANCE = 0.005
IMPACTS = [("energy", "energy_kwh"), ("gwp", "gwp_kgco2e"), ("wcf", "water_l"), ("adpe", "adpe_kgsbeq"),
           ("pe", "pe_mj")]

# (provider, model, output tokens, zone or None for the provider's own)
PROVIDER_DEFAULT_CASES = [
    ("openai", "gpt-4o", 1000, None),                       # MoE, active range, tps/ttft
    ("openai", "gpt-4o-mini", 200, "FRA"),                  # dense with a parameter range
    ("openai", "gpt-4.1-nano", 5000, "CHN"),
    ("openai", "o3-mini", 700, "IND"),
    ("openai", "gpt-5", 1200, None),
    ("mistralai", "mistral-large-latest", 400, None),       # Sweden by default
    ("mistralai", "mistral-small-latest", 800, "FRA"),      # no tps: latency fit
    ("mistralai", "ministral-3b-latest", 20, "WOR"),        # small model
    ("mistralai", "codestral-latest", 300, "DEU"),
    ("anthropic", "claude-sonnet-4-5", 300, None),          # PUE and WUE ranges, alias
    ("anthropic", "claude-opus-4-5-20251101", 900, "GBR"),
    ("google_genai", "gemini-2.5-flash", 1500, None),
    ("google_genai", "gemini-2.5-pro", 2500, "BEL"),
    ("google_genai", "gemini-2.5-flash-image", 250, None),  # ttft without tps
    ("cohere", "command-a-03-2025", 250, None),
    ("cohere", "command-r-plus-08-2024", 150, "CAN"),
    ("huggingface_hub", "meta-llama/Meta-Llama-3.1-8B-Instruct", 400, "DEU"),
    ("huggingface_hub", "meta-llama/Meta-Llama-3.1-405B-Instruct", 100, "USA"),  # frontier dense, 16 GPUs
    ("huggingface_hub", "mistralai/Mixtral-8x22B-Instruct-v0.1", 600, "ESP"),   # MoE without tps
    ("huggingface_hub", "google/gemma-2-2b-it", 60000, "POL"),                   # long answer
]


def _ends(value):
    return (value.min, value.max) if isinstance(value, RangeValue) else (value, value)


def _assert_same(ours: pd.Series, reference, label: str) -> None:
    for name, key in IMPACTS:
        low, high = _ends(getattr(reference, name).value)
        assert ours[f"{key}_low"] == pytest.approx(low, rel=TOLERANCE), f"{label} {name} bas"
        assert ours[f"{key}_high"] == pytest.approx(high, rel=TOLERANCE), f"{label} {name} haut"


def test_provider_defaults_agree_with_ecologits_llm_impacts(factors):
    frame = pd.DataFrame({
        "kind": "llm", "provider": [c[0] for c in PROVIDER_DEFAULT_CASES],
        "model": [c[1] for c in PROVIDER_DEFAULT_CASES],
        "output_tokens_per_request": [c[2] for c in PROVIDER_DEFAULT_CASES],
        "zone": [c[3] for c in PROVIDER_DEFAULT_CASES], "mix_dataset": "ecologits"})
    result = compute_impacts(frame, factors)
    for i, (provider, model, tokens, zone) in enumerate(PROVIDER_DEFAULT_CASES):
        reference = llm_impacts(provider, model, tokens, math.inf, zone)
        assert not reference.has_errors, reference.errors
        _assert_same(result.iloc[i], reference, f"{provider}/{model}")


def test_every_model_of_ecologits_agrees_at_both_ends(factors):
    every = [(m.provider.value, m.name) for m in models.list_models()]
    frame = pd.DataFrame({"kind": "llm", "provider": [p for p, _ in every], "model": [m for _, m in every],
                          "output_tokens_per_request": 500.0, "mix_dataset": "ecologits"})
    result = compute_impacts(frame, factors)
    for i, (provider, model) in enumerate(every):
        _assert_same(result.iloc[i], llm_impacts(provider, model, 500, math.inf), f"{provider}/{model}")


def _parameters(provider: str, model: str):
    found = models.find_model(provider, model)
    parameters = found.architecture.parameters
    if isinstance(parameters, ParametersMoE):
        return found, parameters.active, parameters.total
    return found, parameters, parameters


@pytest.mark.parametrize("provider, model, tokens, zone, dataset, pue, wue, latency", [
    ("openai", "gpt-4o", 800, "FRA", "", 1.3, 0.5, None),                          # user PUE and WUE
    ("mistralai", "mistral-large-latest", 400, "FRA", "ademe_base_empreinte", None, None, None),  # BEGES factor
    ("anthropic", "claude-sonnet-4-5", 600, "FRA", "", None, None, None),           # ranges + ADEME by default
    ("huggingface_hub", "meta-llama/Meta-Llama-3.1-70B-Instruct", 300, "SWE", "", 1.1, 0.0, None),
    ("openai", "gpt-4o", 2000, "USA", "ecologits", None, None, 4.0),               # latency cap
    ("mistralai", "ministral-8b-latest", 1000, "FRA", "rte_direct", 1.46, 0.43, None),
])
def test_user_settings_agree_with_compute_llm_impacts(factors, provider, model, tokens, zone, dataset, pue, wue,
                                                      latency):
    frame = pd.DataFrame([{"kind": "llm", "provider": provider, "model": model, "output_tokens_per_request": tokens,
                           "zone": zone, "mix_dataset": dataset or None, "pue": pue, "wue": wue,
                           "request_latency_s": latency}])
    ours = compute_impacts(frame, factors).iloc[0]
    mix = factors.mix(zone, dataset or None)
    if zone == "FRA" and dataset in ("", "ademe_base_empreinte"):
        assert mix["gwp"].dataset == "ademe_base_empreinte"  # the BEGES factor, not the oracle's own
    found, active, total = _parameters(provider, model)
    config = PROVIDER_CONFIG_MAP[provider]
    reference = compute_llm_impacts(
        model_active_parameter_count=active, model_total_parameter_count=total, output_token_count=tokens,
        if_electricity_mix_adpe=mix["adpe"].value, if_electricity_mix_pe=mix["pe"].value,
        if_electricity_mix_gwp=mix["gwp"].value, if_electricity_mix_wue=mix["wue_offsite"].value,
        datacenter_pue=pue if pue is not None else config.datacenter_pue,
        datacenter_wue=wue if wue is not None else config.datacenter_wue,
        request_latency=latency, tps=found.deployment.tps if found.deployment else None,
        ttft=found.deployment.ttft if found.deployment else None)
    _assert_same(ours, reference, f"{provider}/{model}")


def test_requests_multiply_the_per_request_impacts_of_ecologits(factors):
    frame = pd.DataFrame([{"kind": "llm", "provider": "openai", "model": "gpt-4o", "output_tokens_per_request": 350,
                           "requests": 12_000, "mix_dataset": "ecologits"}])
    ours = compute_impacts(frame, factors).iloc[0]
    reference = llm_impacts("openai", "gpt-4o", 350, math.inf)
    for name, key in IMPACTS:
        low, high = _ends(getattr(reference, name).value)
        assert ours[f"{key}_low"] == pytest.approx(12_000 * low, rel=1e-9)
        assert ours[f"{key}_high"] == pytest.approx(12_000 * high, rel=1e-9)


def test_france_uses_the_ademe_consumption_factor_by_default(factors):
    frame = pd.DataFrame([{"kind": "llm", "provider": "mistralai", "model": "mistral-large-latest",
                           "output_tokens_per_request": 400, "zone": "FRA"}])
    result = compute_impacts(frame, factors).iloc[0]
    assert result["gwp_usage_kgco2e_central"] == pytest.approx(result["energy_kwh_central"] * 0.0461, rel=1e-12)


def test_single_request_sanity_band_of_a_frontier_model(factors):
    # REFERENCE: a 250-500-token answer from a frontier model is about 0.2-0.6 Wh (Epoch AI,
    # Jegham et al., Google 2025). EcoLogits' range for gpt-4o at 400 tokens must overlap it.
    frame = pd.DataFrame([{"kind": "llm", "provider": "openai", "model": "gpt-4o", "output_tokens_per_request": 400}])
    result = compute_impacts(frame, factors).iloc[0]
    assert result["energy_kwh_low"] * 1000 < 0.6 and result["energy_kwh_high"] * 1000 > 0.2
