"""Calibration of estimates against measurements: the energy a run measured per token (or per unit
of a task) beside what the engine estimates for the same work, and their ratio.

Owns: checking what a run says it produced (a known model for tokens, a known task for units,
counts within the plausible bounds of ``schema.toml`` ``[inputs]``) before the run starts, and the
French lines of the comparison. The estimate per token is the engine's (EcoLogits method, PUE 1:
a measurement counts the machine only); the estimate per unit is the task's energy in the factor
base.

Must not: record anything, or start a tracker.
"""

from __future__ import annotations

import pandas as pd

from core.errors import InputError, Problem
from core.units import ureg
from emission_factors.schema import read_input_bounds
from footprint.engine import compute_impacts
from footprint.factors import FactorBase
from footprint.io.cells import is_missing
from footprint.io.formatting import format_number

# What a measured run may say it produced -> the bound of schema.toml [inputs] it must respect.
WORK_BOUNDS = {"--tokens": "output_tokens", "--units": "units"}


def unknown_task(task: str, factors: FactorBase) -> InputError:
    """The error for a task the factor base does not know, listing those it knows."""
    return InputError([Problem(f"tâche inconnue (connues : {', '.join(factors.tasks())})", column="--task",
                               value=task)])


def check_work(factors: FactorBase, tokens: float | None, model: str | None, units: float | None,
               task: str | None) -> str | None:
    """Check what a run will say it produced, before it starts: tokens need a model
    (« fournisseur/modèle »), units a task. Returns the model as the factor base names it."""
    if tokens is not None and not model:
        raise InputError([Problem("précisez le modèle mesuré (fournisseur/modèle) pour comparer par token",
                                  column="--model")])
    if units is not None and not task:
        raise InputError([Problem("précisez la tâche mesurée pour comparer par unité", column="--task")])
    if model:
        provider, _, name = model.partition("/")
        provider_id = factors.provider_id(provider)
        known = factors.model_name(provider_id, name) if provider_id else None
        if known is None:
            close = factors.suggest_models(provider_id, name or provider)
            raise InputError([Problem("modèle inconnu" + (f" ; noms proches : {', '.join(close)}" if close else ""),
                                      column="--model", value=model)])
        model = f"{provider_id}/{known}"
    if task and task.strip().lower() not in factors.tasks():
        raise unknown_task(task, factors)
    bounds = read_input_bounds()
    for value, flag in ((tokens, "--tokens"), (units, "--units")):
        bound = bounds[WORK_BOUNDS[flag]]
        if value is not None and not (0 < value <= bound.maximum):
            raise InputError([Problem(f"nombre positif attendu (au plus {format_number(bound.maximum)})",
                                      column=flag, value=value)])
    return model


def calibration(row: dict, factors: FactorBase) -> list[str]:
    """Measured energy per token (or per unit) beside the engine's estimate, and their ratio."""
    lines = []
    row = {key: (None if is_missing(value) else value) for key, value in row.items()}  # a stored run has NaN
    measured_energy = ureg.Quantity(row["energy_kwh"], "kWh")
    if row.get("tokens"):
        model = f"{row['provider']}/{row['model']}" if row.get("provider") else row["model"]
        provider, name = (model.split("/", 1) + [""])[:2]
        workload = pd.DataFrame([{"kind": "llm", "provider": provider, "model": name, "requests": 1.0,
                                  "output_tokens_per_request": row["tokens"], "pue": 1.0, "wue": 0.0,
                                  "zone": row["country_iso_code"]}])
        estimate = ureg.Quantity(compute_impacts(workload, factors)["energy_kwh_central"].iloc[0], "kWh")
        measured = (measured_energy / row["tokens"]).m_as("Wh")
        estimated = (estimate / row["tokens"]).m_as("Wh")
        lines.append(f"Mesuré : {format_number(measured)} Wh par token ; estimé (méthode EcoLogits, {model}, "
                     f"GPU H100 et PUE 1) : {format_number(estimated)} Wh par token ; rapport mesure / estimation : "
                     f"{format_number(measured / estimated)}")
    if row.get("units"):
        per_unit = factors.con.execute("SELECT energy_per_unit, unit_of_work FROM tasks WHERE lower(task) = lower(?)",
                                       [row["task"]]).fetchall()
        if not per_unit:
            raise unknown_task(row["task"], factors)
        value, unit = per_unit[0]
        shown = f"Wh / {unit}"
        estimated = ureg.Quantity(value, factors.unit("tasks", "energy_per_unit").format(unit_of_work=unit)).m_as(shown)
        measured = (measured_energy / ureg.Quantity(row["units"], unit)).m_as(shown)
        lines.append(f"Mesuré : {format_number(measured)} Wh par {unit} ; base de facteurs : "
                     f"{format_number(estimated)} Wh par {unit} ; rapport mesure / estimation : "
                     f"{format_number(measured / estimated)}")
    return lines
