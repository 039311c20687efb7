"""The engine on whole tables: every kind, the reference cases for GPU-hours, the choice of
electricity factors, and bad rows refused with their line and column."""

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from footprint.engine import IMPACT_KEYS, compute_impacts, group_rows, totals


def _one(factors, **row):
    return compute_impacts(pd.DataFrame([row]), factors).iloc[0]


def test_green_algorithms_worked_case(factors):
    # Lannelongue et al. 2021: 24 h, 4 x T4 at 70 W, 8 cores x 10 W, 64 GB, PUE 1.56, 51.28 g/kWh.
    row = dict(kind="gpu", gpu="T4", gpus=4, hours=24, utilization=1.0, server_overhead_w=0, cpu_cores=8,
               cpu_power_w=10, memory_gb=64, pue=1.56, zone="FRA", year=2023, embodied=False)
    result = _one(factors, **row)
    assert result["energy_kwh_central"] == pytest.approx(14.371, abs=5e-4)
    # The published 736.94 gCO2e uses 51.28 g/kWh; with ADEME's 2023 French factor (58.0 g/kWh):
    assert result["gwp_usage_kgco2e_central"] == pytest.approx(0.73694 * 58.0 / 51.28, rel=1e-4)
    assert result["gwp_embodied_kgco2e_central"] == 0


def test_one_a100_for_100_hours_at_pue_1_is_40_kwh(factors):
    result = _one(factors, kind="gpu", gpu="A100-SXM4", gpus=1, hours=100, utilization=1, server_overhead_w=0,
                  pue=1.0, zone="FRA")
    assert result["energy_kwh_low"] == result["energy_kwh_high"] == pytest.approx(40.0)


def test_gpu_hour_embodied_is_the_ecologits_hardware_over_three_years(factors):
    # (273 + 5700 / 8) kgCO2e over 3 x 365 days = 0.0375 kgCO2e per GPU-hour.
    result = _one(factors, kind="gpu", gpu="H100-SXM", gpus=8, hours=10, zone="FRA")
    assert result["gwp_embodied_kgco2e_central"] == pytest.approx(80 * (273 + 5700 / 8) / (3 * 365 * 24))


def test_gpu_defaults_come_from_the_factor_base_and_are_reported(factors):
    result = compute_impacts(pd.DataFrame([dict(kind="gpu", gpu="h100 sxm", gpus=1, hours=1, zone="FRA")]), factors)
    # TDP 700 W x utilisation 1 + 150 W server share, x default PUE 1.56.
    assert result["energy_kwh_central"].iloc[0] == pytest.approx(0.850 * 1.56)
    assert any("PUE par défaut" in w for w in result.attrs["warnings"])


def test_task_energy_per_unit_times_units_times_pue(factors):
    result = _one(factors, kind="task", task="generation_image", units=1000, pue=1.2, wue=0, zone="FRA")
    assert result["energy_kwh_central"] == pytest.approx(1.63985 * 1.2)
    assert result["gwp_embodied_kgco2e_central"] > 0  # GPU time on the reference H100


def test_measured_energy_uses_the_zone_factor(factors):
    result = _one(factors, kind="measured", energy_kwh=10.0, zone="FRA", year=2023)
    assert result["energy_kwh_central"] == 10.0
    assert result["gwp_kgco2e_central"] == pytest.approx(10.0 * 0.0580)


@pytest.mark.parametrize("year, expected", [(2021, 0.0569), (2023, 0.0580), (2025, 0.0461), (2030, 0.0461),
                                            (2015, 0.0569), (None, 0.0461)])
def test_french_factor_follows_the_inventory_year(factors, year, expected):
    result = _one(factors, kind="measured", energy_kwh=1.0, zone="FRA", year=year)
    assert result["gwp_kgco2e_central"] == pytest.approx(expected)


def test_rte_direct_emissions_can_be_chosen(factors):
    result = _one(factors, kind="measured", energy_kwh=1.0, zone="FRA", year=2024, mix_dataset="rte_direct")
    assert result["gwp_kgco2e_central"] == pytest.approx(0.0217)


def test_a_mixed_table_keeps_its_order_and_index(factors):
    frame = pd.DataFrame([
        dict(kind="measured", energy_kwh=2.0, zone="DEU"),
        dict(kind="llm", provider="openai", model="gpt-4o", output_tokens_per_request=100, requests=10),
        dict(kind="gpu", gpu="L4", gpus=2, hours=5, zone="FRA"),
        dict(kind="task", task="transcription_audio", units=600, hosting="salle_serveurs"),
        dict(kind="llm", provider="mistral", model="Mistral-Large-Latest", output_tokens_per_request=300,
             hosting="albert_api"),
    ], index=["a", "b", "c", "d", "e"])
    result = compute_impacts(frame, factors)
    assert list(result.index) == ["a", "b", "c", "d", "e"]
    alone = {i: compute_impacts(frame.loc[[i]], factors).iloc[0] for i in frame.index}
    for i in frame.index:
        for key in IMPACT_KEYS:
            assert result.loc[i, f"{key}_central"] == pytest.approx(alone[i][f"{key}_central"], rel=1e-12)
    assert result.attrs["factor_base_version"] == factors.version


def test_ranges_contain_the_central_value(factors):
    frame = pd.DataFrame([dict(kind="llm", provider="anthropic", model="claude-sonnet-4-5",
                               output_tokens_per_request=400, requests=100)])
    result = compute_impacts(frame, factors).iloc[0]
    for key in IMPACT_KEYS:
        assert result[f"{key}_low"] <= result[f"{key}_central"] <= result[f"{key}_high"]
    assert result["energy_kwh_low"] < result["energy_kwh_high"]


def test_totals_sum_each_end(factors):
    frame = pd.DataFrame([dict(kind="measured", energy_kwh=1.0, zone="FRA"),
                          dict(kind="measured", energy_kwh=3.0, zone="FRA")])
    assert totals(compute_impacts(frame, factors))["energy_kwh"] == {"low": 4.0, "central": 4.0, "high": 4.0}


def test_prefill_is_off_by_default_and_adds_energy_when_asked(factors):
    frame = pd.DataFrame([dict(kind="llm", provider="openai", model="gpt-4o", output_tokens_per_request=300,
                               input_tokens_per_request=10_000)])
    without = compute_impacts(frame, factors).iloc[0]
    with_prefill = compute_impacts(frame, factors, include_input_tokens=True).iloc[0]
    no_input = compute_impacts(frame.assign(input_tokens_per_request=0), factors, include_input_tokens=True).iloc[0]
    assert with_prefill["energy_kwh_central"] > without["energy_kwh_central"]
    assert no_input["energy_kwh_central"] == pytest.approx(without["energy_kwh_central"], rel=1e-12)



@pytest.mark.parametrize("row, column, fragment", [
    (dict(kind="llm", provider="openai", model="gpt-4o", output_tokens_per_request=-5), "output_tokens_per_request",
     "négative"),
    (dict(kind="llm", provider="openai", model="gpt-4o", output_tokens_per_request=float("nan")),
     "output_tokens_per_request", "obligatoire"),
    (dict(kind="llm", provider="openai", model="gpt-4o", output_tokens_per_request="beaucoup"),
     "output_tokens_per_request", "non numérique"),
    (dict(kind="llm", provider="openai", model="gpt-4o", output_tokens_per_request=1e30, pue=0.9), "pue",
     "inférieur à 1"),
    (dict(kind="gpu", gpu="A100", gpus=1, hours=float("inf"), zone="FRA"), "hours", "infinie"),
    (dict(kind="gpu", gpu="A100", gpus=1, hours=3, utilization=1.5, zone="FRA"), "utilization", "invraisemblable"),
    (dict(kind="llm", provider="openai", model="gpt-4o", output_tokens_per_request=1e308), "output_tokens_per_request",
     "invraisemblable"),
    (dict(kind="measured", energy_kwh=1.0, zone="FRA", year=2023.5), "year", "entier"),
    (dict(kind="robot", zone="FRA"), "kind", "type de charge inconnu"),
    (dict(kind="llm", provider="openai", model="gpt4o", output_tokens_per_request=10), "model", "gpt-4o"),
    (dict(kind="llm", provider="openia", model="gpt-4o", output_tokens_per_request=10), "provider", "inconnu"),
    (dict(kind="llm", provider="openai", model="gpt-4o", output_tokens_per_request=10, zone="ZZZ"), "zone",
     "zone électrique inconnue"),
    (dict(kind="llm", provider="openai", model="gpt-4o", output_tokens_per_request=10, hosting="nuage"), "hosting",
     "hébergement inconnu"),
    (dict(kind="llm", provider="self_hosted", model="meta-llama/Llama-3.1-8B-Instruct",
          output_tokens_per_request=10), "hosting", "précisez"),
    (dict(kind="gpu", gpu="Z100", gpus=1, hours=1, zone="FRA"), "gpu", "GPU inconnu"),
    (dict(kind="task", task="divination", units=3, zone="FRA"), "task", "tâche inconnue"),
    (dict(kind="measured", energy_kwh=1.0), "zone", "précisez la zone"),
])
def test_bad_rows_are_refused_with_line_and_column(factors, row, column, fragment):
    frame = pd.DataFrame([dict(kind="measured", energy_kwh=1.0, zone="FRA"), row])
    with pytest.raises(InputError) as caught:
        compute_impacts(frame, factors)
    problems = [p for p in caught.value.problems if p.column == column]
    assert problems, str(caught.value)
    assert problems[0].line == 2
    assert fragment in str(caught.value)


def test_every_bad_row_is_listed_not_only_the_first(factors):
    frame = pd.DataFrame([dict(kind="llm", provider="openai", model="gpt-4o", output_tokens_per_request=-1),
                          dict(kind="llm", provider="openai", model="nope", output_tokens_per_request=3),
                          dict(kind="gpu", gpu="A100", hours=-2, gpus=1, zone="FRA")])
    with pytest.raises(InputError) as caught:
        compute_impacts(frame, factors)
    assert {p.line for p in caught.value.problems} == {1, 2, 3}


def test_group_rows_treats_nulls_as_equal_and_numbers_groups_by_first_row():
    import pyarrow as pa

    table = pa.table({"a": ["x", None, "x", None, "y"], "b": [1.0, None, 1.0, None, 1.0]})
    gid, first = group_rows(table, ["a", "b"])
    assert gid.tolist() == [0, 1, 0, 1, 2]
    assert first.tolist() == [0, 1, 4]


def test_a_large_table_gives_each_row_the_result_it_has_alone(factors):
    n = 200_000
    frame = pd.DataFrame({"kind": "llm", "provider": np.where(np.arange(n) % 2, "openai", "mistralai"),
                          "model": np.where(np.arange(n) % 2, "gpt-4o-mini", "mistral-small-latest"),
                          "output_tokens_per_request": 100.0, "requests": 2.0})
    result = compute_impacts(frame, factors)
    first_two = compute_impacts(frame.head(2), factors)
    assert np.allclose(result["gwp_kgco2e_central"].to_numpy()[:2], first_two["gwp_kgco2e_central"])
    assert result["gwp_kgco2e_central"].sum() == pytest.approx(first_two["gwp_kgco2e_central"].sum() * n / 2)


def test_an_empty_table_gives_an_empty_result(factors):
    result = compute_impacts(pd.DataFrame({"kind": pd.Series(dtype="string")}), factors)
    assert len(result) == 0
    assert list(result.columns)[:3] == ["energy_kwh_low", "energy_kwh_central", "energy_kwh_high"]


def test_prefill_of_1000_tokens_on_an_8b_model_matches_its_documented_formula(factors):
    # 2 x 8.03e9 x 1000 flop at 50 % of 989 Tflop/s on one GPU: 0.0325 s at 700 W for the GPU, plus the
    # server's 1.2 kW / 8; at PUE 1. docs/METHODOLOGIE.md gives about 0.006 Wh for the GPU part.
    frame = pd.DataFrame([dict(kind="llm", provider="self_hosted", model="meta-llama/Llama-3.1-8B-Instruct",
                               output_tokens_per_request=100, input_tokens_per_request=1000, pue=1.0, wue=0.0,
                               zone="FRA")])
    extra = (compute_impacts(frame, factors, include_input_tokens=True)["energy_kwh_central"].iloc[0]
             - compute_impacts(frame, factors)["energy_kwh_central"].iloc[0])
    seconds = 2 * 8.03e9 * 1000 / (989e12 * 0.5)
    assert extra * 1000 == pytest.approx(seconds * (700 + 1200 / 8) / 3600, rel=1e-9)
    assert 0.005 < seconds * 700 / 3600 < 0.007


def test_unknown_electricity_dataset_is_refused_and_case_is_ignored(factors):
    with pytest.raises(InputError, match="jeu de facteurs d'électricité inconnu"):
        _one(factors, kind="measured", energy_kwh=1.0, zone="FRA", mix_dataset="charbon")
    result = _one(factors, kind="measured", energy_kwh=1.0, zone="fr", year=2024, mix_dataset=" RTE_Direct ")
    assert result["gwp_kgco2e_central"] == pytest.approx(0.0217)


def test_kinds_are_read_whatever_their_case_or_spacing(factors):
    assert _one(factors, kind=" Measured ", energy_kwh=2.0, zone="FRA")["energy_kwh_central"] == 2.0


def test_the_factor_base_cache_gives_the_same_tables_and_follows_the_version(tmp_path, monkeypatch):
    from footprint.factors import FactorBase

    monkeypatch.setenv("FOOTPRINT_CACHE", str(tmp_path))
    fresh = FactorBase.load()
    cached_file = tmp_path / f"factor-base-{fresh.version}.duckdb"
    assert cached_file.exists()
    cached = FactorBase.load()
    for table in ("models", "electricity_mix", "constants", "factor_gpus", "use_cases"):
        left = fresh.con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        assert left == cached.con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall(), table
    frame = pd.DataFrame([dict(kind="llm", provider="openai", model="gpt-4o", output_tokens_per_request=100)])
    assert compute_impacts(frame, cached).equals(compute_impacts(frame, fresh))
