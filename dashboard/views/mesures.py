"""The Mesures page: the CodeCarbon runs of the active declarations with their calibration
against the estimate, the exact command that measures a job, and the import of an
``emissions.csv``.

Must not: import Streamlit, run a measurement (the command line does), or write to the store
except through ``import_runs`` (the library's import of emissions files).
"""

from __future__ import annotations

import shlex

import pandas as pd

from core.errors import InputError
from dashboard.views.common import convert
from footprint.factors import FactorBase
from footprint.io.cells import is_missing
from footprint.measurement import calibration, import_emissions
from footprint.store import Store

__all__ = ["import_runs", "measure_command", "measurement_runs"]


def measurement_runs(runs: pd.DataFrame, active_ids: set[str], factors: FactorBase) -> pd.DataFrame:
    """The measured ``runs`` (``Store.measurements``) of the active declarations, with the
    calibration against the estimate."""
    runs = runs[runs["declaration_id"].isin(active_ids)].reset_index(drop=True)
    if runs.empty:
        return pd.DataFrame(columns=["run_id", "nom", "service", "declaration", "debut", "duree_min", "kwh",
                                     "kgco2e", "materiel", "etat", "calibration"])
    notes = []
    for row in runs.to_dict("records"):
        try:
            notes.append(" ; ".join(calibration(row, factors)))
        except InputError as error:
            notes.append(str(error))
    hardware = [", ".join(str(v) for v in (cpu, gpu) if not is_missing(v))
                for cpu, gpu in zip(runs["cpu_model"], runs["gpu_model"])]
    return pd.DataFrame({
        "run_id": runs["run_id"], "nom": runs["name"], "service": runs["service"],
        "declaration": runs["declaration_id"],
        "debut": pd.to_datetime(runs["started_at"]).dt.tz_convert("Europe/Paris").dt.strftime("%d/%m/%Y %H:%M"),
        "duree_min": convert(runs["duration_s"], "s", "min"), "kwh": runs["energy_kwh"], "kgco2e": runs["gwp_kgco2e"],
        "materiel": hardware, "etat": runs["status"], "calibration": notes})


def measure_command(name: str, service: str, year: int, command: str, task: str | None = None,
                    units: float | None = None) -> str:
    """The exact command line that measures a job with CodeCarbon and records it in the store."""
    parts = [".venv/bin/python", "-m", "footprint", "measure", "--name", name, "--service", service,
             "--year", str(year)]
    if task:
        parts += ["--task", task]
    if units:
        parts += ["--units", format(units, "g")]
    return " ".join(shlex.quote(p) for p in parts) + " -- " + (command or "python mon_traitement.py")


def import_runs(data: bytes, store: Store, factors: FactorBase, file_name: str, service: str | None = None,
                name: str | None = None, task: str | None = None, units: float | None = None) -> dict[str, int]:
    """Import a CodeCarbon ``emissions.csv`` (all or nothing); the measured work (``task`` and
    ``units``) is kept only when both are given, and empty texts are none."""
    work = {"task": task, "units": units} if task and units else None
    return import_emissions(data, store, factors, service=service or None, name=name or None, work=work,
                            file_name=file_name)
