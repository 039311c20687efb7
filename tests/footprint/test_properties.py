"""Properties of the formulas, over many generated inputs (hypothesis): impacts are linear in
the volumes, never negative, and grow with the model's size and the PUE."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from footprint.engine import IMPACT_KEYS, compute_impacts, compute_llm

SETTINGS = settings(max_examples=60, deadline=None)
MIX = {"gwp": 0.05, "adpe": 5e-8, "pe": 9.0, "wue_offsite": 3.0}


def _group(active, total, pue, wue=0.5, tps=np.nan, ttft=np.nan):
    values = {"pue_min": pue, "pue_max": pue, "wue_min": wue, "wue_max": wue, "total_parameters_min": total,
              "total_parameters_max": total, "active_parameters_min": active, "active_parameters_max": active,
              "tps": tps, "ttft": ttft, **MIX}
    return {k: np.array([v], dtype=float) for k, v in values.items()}


def _rows(tokens, requests=1.0, cap=np.nan, input_tokens=0.0):
    return {"requests": np.array([requests]), "output_tokens_per_request": np.array([float(tokens)]),
            "request_latency_s": np.array([cap]), "input_tokens_per_request": np.array([input_tokens])}


def _llm(factors, group, rows, prefill=False):
    low, high = compute_llm(group, np.zeros(1, dtype=np.intp), rows, factors, prefill)
    return low, high


parameters = st.floats(min_value=0.5, max_value=2000)
tokens = st.integers(min_value=1, max_value=100_000)
factor = st.integers(min_value=2, max_value=1000)


@SETTINGS
@given(active=parameters, tokens=tokens, k=factor, prefill=st.booleans())
def test_llm_impacts_are_linear_in_requests(factors, active, tokens, k, prefill):
    group = _group(active, active * 2, 1.2, tps=50.0, ttft=0.5)
    one, _ = _llm(factors, group, _rows(tokens, 1.0, input_tokens=1000.0), prefill)
    many, _ = _llm(factors, group, _rows(tokens, float(k), input_tokens=1000.0), prefill)
    for key in IMPACT_KEYS:
        assert np.isclose(many[key][0], k * one[key][0], rtol=1e-12)


@SETTINGS
@given(active=parameters, tokens=tokens, k=factor)
def test_llm_impacts_are_linear_in_output_tokens_without_fixed_latency(factors, active, tokens, k):
    group = _group(active, active, 1.3)  # no ttft: no fixed time per request
    one, _ = _llm(factors, group, _rows(tokens))
    more, _ = _llm(factors, group, _rows(tokens * k))
    for key in IMPACT_KEYS:
        assert np.isclose(more[key][0], k * one[key][0], rtol=1e-9)


@SETTINGS
@given(small=parameters, extra=st.floats(min_value=0.1, max_value=2000), tokens=tokens,
       pue=st.floats(min_value=1.0, max_value=2.5))
def test_llm_impacts_grow_with_parameter_count(factors, small, extra, tokens, pue):
    low, _ = _llm(factors, _group(small, small, pue), _rows(tokens))
    high, _ = _llm(factors, _group(small + extra, small + extra, pue), _rows(tokens))
    for key in IMPACT_KEYS:
        assert high[key][0] >= low[key][0] * (1 - 1e-12)
    assert high["energy_kwh"][0] > low["energy_kwh"][0]


@SETTINGS
@given(active=parameters, tokens=tokens, pue=st.floats(min_value=1.0, max_value=2.0),
       more=st.floats(min_value=0.01, max_value=1.0))
def test_llm_energy_grows_with_pue_and_nothing_decreases(factors, active, tokens, pue, more):
    base, _ = _llm(factors, _group(active, active, pue), _rows(tokens))
    worse, _ = _llm(factors, _group(active, active, pue + more), _rows(tokens))
    assert worse["energy_kwh"][0] > base["energy_kwh"][0]
    for key in IMPACT_KEYS:
        assert worse[key][0] >= base[key][0] * (1 - 1e-12)
        assert base[key][0] >= 0


@SETTINGS
@given(active=parameters, tokens=tokens, cap=st.floats(min_value=0.01, max_value=100))
def test_a_latency_cap_never_increases_impacts(factors, active, tokens, cap):
    free, _ = _llm(factors, _group(active, active, 1.2, tps=40.0, ttft=0.3), _rows(tokens))
    capped, _ = _llm(factors, _group(active, active, 1.2, tps=40.0, ttft=0.3), _rows(tokens, cap=cap))
    for key in IMPACT_KEYS:
        assert 0 <= capped[key][0] <= free[key][0] * (1 + 1e-12)


@settings(max_examples=25, deadline=None)
@given(gpus=st.integers(min_value=1, max_value=64), hours=st.floats(min_value=0.01, max_value=10_000),
       k=st.integers(min_value=2, max_value=100), utilization=st.floats(min_value=0, max_value=1),
       gpu=st.sampled_from(["T4", "L4", "A100-SXM4", "H100-SXM", "RTX-4090"]))
def test_gpu_impacts_are_linear_in_hours_and_gpu_count_and_never_negative(factors, gpus, hours, k, utilization, gpu):
    frame = pd.DataFrame([
        dict(kind="gpu", gpu=gpu, gpus=gpus, hours=hours, utilization=utilization, hosting="datacenter_fr"),
        dict(kind="gpu", gpu=gpu, gpus=gpus, hours=hours * k, utilization=utilization, hosting="datacenter_fr"),
        dict(kind="gpu", gpu=gpu, gpus=gpus * k, hours=hours, utilization=utilization, hosting="datacenter_fr"),
    ])
    result = compute_impacts(frame, factors)
    for key in IMPACT_KEYS:
        for end in ("low", "central", "high"):
            column = result[f"{key}_{end}"].to_numpy()
            assert (column >= 0).all()
            assert np.isclose(column[1], k * column[0], rtol=1e-9)
            assert np.isclose(column[2], k * column[0], rtol=1e-9)
