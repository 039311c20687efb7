"""Benchmark of the impact engine against EcoLogits called row by row.

Computes every impact, with its range, for 1,000,000 ``llm`` rows (mixed providers, models,
zones and volumes) in one vectorised pass, then, in the same run, calls EcoLogits'
``compute_llm_impacts`` row by row on a 5,000-row sample and compares both speed and results.
Prints figures; asserts nothing about time (timings belong in the README, not in tests).

Usage: ``.venv/bin/python bench/engine.py [--rows 1000000] [--sample 5000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from footprint.engine import compute_impacts  # noqa: E402
from footprint.factors import FactorBase  # noqa: E402
from footprint.io.formatting import format_number as fr  # noqa: E402

MODELS = [
    ("openai", "gpt-4o"), ("openai", "gpt-4o-mini"), ("openai", "gpt-4.1-nano"), ("openai", "o3-mini"),
    ("mistralai", "mistral-large-latest"), ("mistralai", "mistral-small-latest"), ("mistralai", "ministral-8b-latest"),
    ("mistralai", "codestral-latest"), ("anthropic", "claude-sonnet-4-5"), ("anthropic", "claude-haiku-4-5"),
    ("google_genai", "gemini-2.5-flash"), ("cohere", "command-a-03-2025"),
    ("huggingface_hub", "meta-llama/Meta-Llama-3.1-8B-Instruct"),
    ("huggingface_hub", "meta-llama/Meta-Llama-3.1-70B-Instruct"),
    ("huggingface_hub", "mistralai/Mixtral-8x7B-Instruct-v0.1"), ("huggingface_hub", "google/gemma-2-9b-it"),
]
ZONES = [None, "FRA", "DEU", "USA", "SWE", "WOR", "ESP", "POL"]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def workloads(rows: int, seed: int = 2025) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    model_index = rng.integers(0, len(MODELS), rows)
    zone_index = rng.integers(0, len(ZONES), rows)
    providers = np.array([m[0] for m in MODELS], dtype=object)[model_index]
    models = np.array([m[1] for m in MODELS], dtype=object)[model_index]
    zones = np.array(ZONES, dtype=object)[zone_index]
    return pd.DataFrame({
        "kind": pd.array(np.full(rows, "llm", dtype=object), dtype="string"),
        "provider": pd.array(providers, dtype="string"),
        "model": pd.array(models, dtype="string"),
        "zone": pd.array(zones, dtype="string"),
        "mix_dataset": pd.array(np.full(rows, "ecologits", dtype=object), dtype="string"),
        "requests": rng.integers(1, 5000, rows).astype("float64"),
        "output_tokens_per_request": rng.integers(50, 2000, rows).astype("float64"),
    })


def ecologits_row_by_row(sample: pd.DataFrame) -> tuple[float, dict[str, np.ndarray]]:
    """EcoLogits' compute_llm_impacts on each row (its own model data, provider defaults and
    mixes), per-request results times the request count."""
    from ecologits.electricity_mix_repository import electricity_mixes
    from ecologits.impacts.llm import compute_llm_impacts
    from ecologits.model_repository import ParametersMoE, models
    from ecologits.tracers.utils import PROVIDER_CONFIG_MAP

    def ends(value):
        return (value.min, value.max) if hasattr(value, "min") else (value, value)

    out = {k: np.zeros((len(sample), 2)) for k in ("energy_kwh", "gwp_kgco2e", "water_l", "adpe_kgsbeq", "pe_mj")}
    rows = list(sample.itertuples(index=False))
    start = time.perf_counter()
    for i, row in enumerate(rows):
        model = models.find_model(row.provider, row.model)
        parameters = model.architecture.parameters
        if isinstance(parameters, ParametersMoE):
            total, active = parameters.total, parameters.active
        else:
            total = active = parameters
        config = PROVIDER_CONFIG_MAP[row.provider]
        zone = row.zone if isinstance(row.zone, str) else config.datacenter_location
        mix = electricity_mixes.find_electricity_mix(zone)
        result = compute_llm_impacts(
            model_active_parameter_count=active, model_total_parameter_count=total,
            output_token_count=row.output_tokens_per_request, if_electricity_mix_adpe=mix.adpe,
            if_electricity_mix_pe=mix.pe, if_electricity_mix_gwp=mix.gwp, if_electricity_mix_wue=mix.wue,
            datacenter_pue=config.datacenter_pue, datacenter_wue=config.datacenter_wue,
            tps=model.deployment.tps if model.deployment else None,
            ttft=model.deployment.ttft if model.deployment else None)
        for key, impact in (("energy_kwh", result.energy), ("gwp_kgco2e", result.gwp), ("water_l", result.wcf),
                            ("adpe_kgsbeq", result.adpe), ("pe_mj", result.pe)):
            out[key][i] = np.array(ends(impact.value)) * row.requests
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    print(f"Machine : {platform.machine()}, {len(os.sched_getaffinity(0))} cœurs, Python {platform.python_version()}")
    factors = FactorBase.load()
    frame = workloads(args.rows)
    compute_impacts(frame.head(1000), factors)  # warm up DuckDB and Pint caches
    gc.collect()
    rss_before = current_rss_mb()
    start = time.perf_counter()
    result = compute_impacts(frame, factors)
    timings = [time.perf_counter() - start]
    peak_extra = peak_rss_mb() - rss_before
    del result
    for _ in range(args.repeat - 1):
        gc.collect()
        start = time.perf_counter()
        result = compute_impacts(frame, factors)
        timings.append(time.perf_counter() - start)
        del result
    best, median = min(timings), sorted(timings)[len(timings) // 2]
    print(f"Moteur vectorisé : {fr(args.rows)} lignes llm, 7 impacts × 3 valeurs (bas, central, haut)")
    print(f"  temps : meilleur {fr(best)} s, médian {fr(median)} s sur {args.repeat} passes "
          f"(première passe {fr(timings[0])} s) ; {fr(args.rows / best)} lignes/s")
    print(f"  mémoire : pic de {fr(peak_extra)} Mo pendant la première passe, au-delà des {fr(rss_before)} Mo "
          "déjà occupés (données d'entrée, base de facteurs)")

    sample = frame.sample(n=args.sample, random_state=1).reset_index(drop=True)
    ecologits_seconds, reference = ecologits_row_by_row(sample)
    ours = compute_impacts(sample, factors)
    per_row_ecologits = ecologits_seconds / args.sample
    per_row_ours = best / args.rows
    worst = 0.0
    for key, values in reference.items():
        for column, end in ((0, "low"), (1, "high")):
            relative = np.abs(ours[f"{key}_{end}"].to_numpy() / values[:, column] - 1)
            worst = max(worst, float(np.nanmax(relative)))
    print(f"EcoLogits compute_llm_impacts, ligne par ligne : {fr(args.sample)} lignes en {fr(ecologits_seconds)} s "
          f"({fr(args.sample / ecologits_seconds)} lignes/s)")
    print(f"  accélération par ligne (meilleure passe du moteur) : × {fr(per_row_ecologits / per_row_ours)}")
    verdict = "conforme" if worst <= 0.005 else "NON CONFORME"
    print(f"  écart relatif maximal aux deux bornes (énergie, GES, eau, ADPe, EP) : "
          f"{f'{worst:.1e}'.replace('.', ',')} ({verdict} au seuil de 0,5 %)")
    if not math.isfinite(worst):
        print("  attention : valeurs non finies dans la comparaison")


if __name__ == "__main__":
    main()
