"""``python -m footprint estimate``, run as a user runs it: a real process, its exit code, its
stdout and its stderr."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IMPACT_KEYS = ["energy_kwh", "gwp_kgco2e", "gwp_usage_kgco2e", "gwp_embodied_kgco2e", "water_l", "adpe_kgsbeq",
               "pe_mj"]


def run(*args: str, extra_python: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *extra_python, "-m", "footprint", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_estimate_llm_json_has_the_contract_keys_and_its_factors():
    done = run("estimate", "llm", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "1000",
               "--requests", "10", "--zone", "FRA", "--json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    for key in IMPACT_KEYS:
        assert set(payload[key]) == {"low", "central", "high"}
        assert payload[key]["low"] <= payload[key]["central"] <= payload[key]["high"]
    assert len(payload["factor_base_version"]) == 12
    names = {f["name"] for f in payload["factors"]}
    assert {"active_parameters_min", "pue_min", "wue_onsite_max", "gwp", "gpu_energy_alpha", "batch_size"} <= names
    gwp = next(f for f in payload["factors"] if f["name"] == "gwp")
    assert gwp["value"] == 0.0461 and gwp["year"] == 2025 and "ADEME" in gwp["source"]
    assert all({"name", "value", "unit", "year", "source"} <= set(f) for f in payload["factors"])


def test_estimate_gpu_json_matches_the_reference_case():
    done = run("estimate", "gpu", "--gpu", "A100-SXM4", "--gpus", "1", "--hours", "100", "--utilization", "1",
               "--server-overhead-w", "0", "--pue", "1", "--zone", "FRA", "--no-embodied", "--json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["energy_kwh"]["central"] == pytest.approx(40.0)
    assert payload["gwp_embodied_kgco2e"]["central"] == 0


def test_human_summary_is_french_with_units_and_range():
    done = run("estimate", "llm", "--provider", "anthropic", "--model", "claude-sonnet-4-5", "--output-tokens",
               "1 000", "--requests", "2500")
    assert done.returncode == 0, done.stderr
    assert "Énergie" in done.stdout and "kWh" in done.stdout and "(de " in done.stdout
    assert "Émissions de GES" in done.stdout and "CO2e" in done.stdout
    assert "Eau consommée" in done.stdout and " L" in done.stdout
    assert "2\u202f500 requête(s)" in done.stdout


@pytest.mark.parametrize("args, fragment", [
    (["llm", "--provider", "openai", "--model", "gpt4o", "--output-tokens", "10"], "noms proches : openai/gpt-4o"),
    (["llm", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "-3"],
     "--output-tokens : valeur négative"),
    (["llm", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "abc"], "valeur non numérique"),
    (["llm", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "10", "--pue", "0.9"],
     "le PUE ne peut pas être inférieur à 1"),
    (["llm", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "10", "--zone", "XYZ"],
     "zone électrique inconnue"),
    (["gpu", "--gpu", "B900", "--hours", "3"], "GPU inconnu"),
    (["gpu", "--gpu", "T4", "--hours", "3", "--mix", "charbon"], "jeu de facteurs d'électricité inconnu"),
    (["llm", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "500", "--requests", "1,000"],
     "écriture ambiguë"),
    (["llm", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "1e308", "--json"], "invraisemblable"),
    (["llm", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "10", "--requests", "nan"],
     "valeur non numérique"),
    (["gpu", "--gpu", "T4", "--hours", "3", "--year", "2023.5"], "un nombre entier est attendu"),
    (["gpu", "--gpu", "T4", "--hours", "3", "--cpu-cores", "8"], "puissance par cœur"),
    (["llm", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "10", "--hosting", "nope"],
     "connus : albert_api"),
    (["llm", "--provider", "openai"], "arguments obligatoires manquants"),
])
def test_bad_input_exits_2_with_one_french_line_and_no_traceback(args, fragment):
    done = run("estimate", *args)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Erreur") and fragment in lines[0]
    assert "Traceback" not in done.stderr


def test_estimate_does_not_import_the_dashboard_or_the_tracker():
    done = run("estimate", "llm", "--provider", "mistralai", "--model", "mistral-small-latest", "--output-tokens",
               "100", extra_python=("-X", "importtime"))
    assert done.returncode == 0
    imported = {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines() if "|" in line}
    assert not imported & {"streamlit", "plotly", "codecarbon"}


def test_help_is_in_french():
    done = run("estimate", "gpu", "--help")
    assert done.returncode == 0
    assert "utilisation :" in done.stdout and "durée en heures" in done.stdout


def test_summary_says_which_electricity_and_pue_were_used():
    done = run("estimate", "llm", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "100")
    assert "Électricité : zone USA" in done.stdout and "PUE : 1,20 (hébergement openai)" in done.stdout
    assert "architecture non publiée" in done.stdout  # EcoLogits' own precision warning, in French


def test_zone_aliases_and_case_are_accepted():
    done = run("estimate", "measured", "--kwh", "10", "--zone", "fr", "--hosting", "Salle_Serveurs", "--json")
    assert done.returncode == 0, done.stderr
    gwp = next(f for f in json.loads(done.stdout)["factors"] if f["name"] == "gwp")
    assert gwp["key"].startswith("FRA / ademe_base_empreinte")


def test_a_factor_other_than_the_one_asked_for_is_announced():
    done = run("estimate", "measured", "--kwh", "10", "--zone", "DEU", "--mix", "rte_direct")
    assert "le jeu « rte_direct » n'a pas de facteur pour cette zone" in done.stdout
    done = run("estimate", "measured", "--kwh", "10", "--zone", "FRA", "--year", "2050")
    assert "pas de facteur « ademe_base_empreinte » pour 2050 ; facteur 2025 utilisé" in done.stdout
