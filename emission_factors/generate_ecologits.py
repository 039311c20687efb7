"""Regenerate the factor tables that come from the installed ``ecologits`` package.

Run ``python -m emission_factors.generate_ecologits`` after bumping ecologits in
requirements.txt: it rewrites ``models_ecologits.csv``, ``electricity_mixes_ecologits.csv`` and
``hosting_profiles_ecologits.csv`` from ecologits' own data, so that our tables and the oracle
of the tests never drift apart. It only reads ecologits' data files and its provider map;
it computes nothing.

One correction: a figure of ecologits that breaks a physical bound of ``schema.toml`` (the
primary energy of the world mix, 2.587 MJ per kWh, below the 3.6 MJ that a kWh is) is written
with the sourced value of ``electricity_mix_replacements.csv`` instead, a note saying so, and
ecologits' own figure kept beside it as ``pe_published`` (what ``--mix ecologits`` uses).
"""

from __future__ import annotations

import csv
import json
from importlib import metadata, resources
from pathlib import Path

from core.errors import InputError, Problem
from emission_factors.checks import check_table
from emission_factors.schema import FACTOR_DIR, LONG_COLUMNS, read_schema

MODELS_URL = "https://github.com/genai-impact/ecologits/blob/main/ecologits/data/models.json"
MIXES_URL = "https://github.com/genai-impact/ecologits/blob/main/ecologits/data/electricity_mixes.json"
PROVIDERS_URL = "https://github.com/genai-impact/ecologits/blob/main/ecologits/tracers/utils.py"
# Year stamped on rows copied from ecologits: the year of the ecologits data release we pin.
DATA_YEAR = 2025

PROVIDER_LABELS = {
    "openai": "OpenAI (centres de données aux États-Unis)",
    "anthropic": "Anthropic (centres de données aux États-Unis)",
    "google_genai": "Google Gemini (centres de données aux États-Unis)",
    "cohere": "Cohere (centres de données aux États-Unis)",
    "huggingface_hub": "Hugging Face Inference (centres de données aux États-Unis)",
    "mistralai": "Mistral AI (centres de données en Suède)",
}


def _french(value: float) -> str:
    return format(value, "g").replace(".", ",")


def _replacements(factor_dir: Path) -> tuple[dict[str, dict], object]:
    """The sourced replacement values (``electricity_mix_replacements.csv``, validated as the
    loader does), by case, and the spec of the ``pe`` parameter of the electricity table."""
    tables = read_schema(factor_dir)
    problems: list[Problem] = []
    records = check_table(tables["electricity_mix_replacements"], factor_dir, problems)
    if problems:
        raise InputError(problems)
    return {r["case"]: r for r in records}, tables["electricity_mix"].parameters["pe"]


def _ecologits_data(name: str) -> dict:
    return json.loads(resources.files("ecologits").joinpath("data", name).read_text())


def _bounds(value: float | int | dict) -> tuple[float, float]:
    if isinstance(value, dict):
        return float(value["min"]), float(value["max"])
    return float(value), float(value)


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def model_rows(version: str) -> list[list[object]]:
    data = _ecologits_data("models.json")
    by_key = {(m["provider"], m["name"]): m for m in data["models"]}
    entries = [(m, None) for m in data["models"]]
    entries += [(by_key[(a["provider"], a["alias"])], a) for a in data.get("aliases") or []]
    rows: list[list[object]] = []
    source = f"EcoLogits {version}, data/models.json"
    for model, alias in entries:
        name = alias["name"] if alias else model["name"]
        parameters = model["architecture"]["parameters"]
        if isinstance(parameters, dict) and "total" in parameters:
            total, active = _bounds(parameters["total"]), _bounds(parameters["active"])
        else:
            total = active = _bounds(parameters)
        link = (model.get("sources") or [MODELS_URL])[0]
        note = f"alias de {alias['alias']}" if alias else ""
        attributes = [model["provider"], name, model["architecture"]["type"], "ecologits",
                      "|".join(model.get("warnings") or [])]
        values = {
            "total_parameters_min": (total[0], "billion_parameters"),
            "total_parameters_max": (total[1], "billion_parameters"),
            "active_parameters_min": (active[0], "billion_parameters"),
            "active_parameters_max": (active[1], "billion_parameters"),
        }
        deployment = model.get("deployment") or {}
        if deployment.get("tps") is not None:
            values["tps"] = (deployment["tps"], "token / second")
        if deployment.get("ttft") is not None:
            values["ttft"] = (deployment["ttft"], "second")
        for parameter, (value, unit) in values.items():
            rows.append([*attributes, parameter, repr(float(value)), unit, DATA_YEAR, source, link, note])
    rows.sort(key=lambda row: (row[0], row[1]))
    return rows


def _replaced_pe(zone: str, published: float, world_default: bool, version: str,
                 replacements: dict[str, dict], spec, unit: str) -> list[list[object]]:
    """The two rows of a primary energy that ecologits gives below the physical minimum: the
    sourced replacement (``pe``) and ecologits' own figure (``pe_published``)."""
    chosen = replacements["mix_mondial" if zone == "WOR" or world_default else "plancher_physique"]
    value = float(format(chosen["canonical_value"], ".6g"))
    world = " ; valeur mondiale par défaut (aucune donnée pour cette zone)" if world_default else ""
    note = (f"valeur d'EcoLogits {version} remplacée : {_french(published)} {unit} est sous le minimum physique de "
            f"{_french(spec.physical_minimum)} {spec.unit} ; remplacement ({chosen['case']}) : {chosen['note']} ; "
            f"la valeur d'EcoLogits reste dans « pe_published »{world}")
    kept = ("valeur publiée par EcoLogits, physiquement impossible (voir « pe ») ; utilisée seulement quand le jeu "
            f"« ecologits » est demandé par son nom, avec un avertissement{world}")
    return [[zone, "ecologits", DATA_YEAR, "pe", repr(value), chosen["canonical_unit"], DATA_YEAR, chosen["source"],
             chosen["source_url"], note],
            [zone, "ecologits", DATA_YEAR, "pe_published", repr(float(published)), unit, DATA_YEAR,
             f"ADEME Base Empreinte, via EcoLogits {version}", MIXES_URL, kept]]


def mix_rows(version: str, factor_dir: Path = FACTOR_DIR) -> list[list[object]]:
    replacements, pe_spec = _replacements(factor_dir)
    data = _ecologits_data("electricity_mixes.json")
    origin = {
        "gwp": ("Our World in Data, intensité carbone de l'électricité", "kgCO2e / kWh", "electricity-mix-gwp-world"),
        "adpe": ("ADEME Base Empreinte", "kgSbeq / kWh", "electricity-mix-adpe-world"),
        "pe": ("ADEME Base Empreinte", "MJ / kWh", "electricity-mix-pe-world"),
        "wue": ("World Resources Institute, eau consommée par la production d'électricité", "L / kWh",
                "electricity-mix-wue-world"),
    }
    rows: list[list[object]] = []
    for mix in sorted(data["electricity_mixes"], key=lambda m: m["name"]):
        warnings = set(mix.get("warnings") or [])
        for key, (publisher, unit, world_warning) in origin.items():
            parameter = "wue_offsite" if key == "wue" else key
            note = "valeur mondiale par défaut (aucune donnée pour cette zone)" if world_warning in warnings else ""
            if key == "pe" and pe_spec.physical_problem(float(mix[key])):
                rows += _replaced_pe(mix["name"], float(mix[key]), world_warning in warnings, version, replacements,
                                     pe_spec, unit)
                continue
            rows.append([mix["name"], "ecologits", DATA_YEAR, parameter, repr(float(mix[key])), unit, DATA_YEAR,
                         f"{publisher}, via EcoLogits {version}", MIXES_URL, note])
    return rows


def hosting_rows(version: str) -> list[list[object]]:
    from ecologits.tracers.utils import PROVIDER_CONFIG_MAP

    rows: list[list[object]] = []
    for provider, config in sorted(PROVIDER_CONFIG_MAP.items()):
        label = PROVIDER_LABELS.get(provider, provider)
        for name, value, unit in (("pue", config.datacenter_pue, "dimensionless"),
                                  ("wue_onsite", config.datacenter_wue, "L / kWh")):
            low, high = (value.min, value.max) if hasattr(value, "min") else (value, value)
            for suffix, number in (("min", low), ("max", high)):
                rows.append([provider, label, config.datacenter_location, provider, f"{name}_{suffix}",
                             repr(float(number)), unit, DATA_YEAR,
                             f"EcoLogits {version}, hypothèses par fournisseur (PROVIDER_CONFIG_MAP)",
                             PROVIDERS_URL, ""])
    return rows


def main(output_dir: Path = FACTOR_DIR, factor_dir: Path = FACTOR_DIR) -> None:
    """Write the three tables into ``output_dir``, with the replacements of ``factor_dir``."""
    version = metadata.version("ecologits")
    _write(output_dir / "models_ecologits.csv",
           ["provider", "model", "architecture", "origin", "warnings", *LONG_COLUMNS], model_rows(version))
    _write(output_dir / "electricity_mixes_ecologits.csv",
           ["zone", "dataset", "year", *[c for c in LONG_COLUMNS if c != "year"]],
           [row[:6] + row[7:] for row in mix_rows(version, factor_dir)])
    _write(output_dir / "hosting_profiles_ecologits.csv",
           ["hosting", "label", "zone", "ecologits_provider", *LONG_COLUMNS], hosting_rows(version))
    print(f"Tables régénérées depuis EcoLogits {version}.")


if __name__ == "__main__":
    main()
