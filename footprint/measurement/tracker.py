"""Measuring a block of Python code (or, through ``command``, a command) with CodeCarbon's
*offline* tracker, and recording each run in the store.

Owns: ``Measurement``, a context manager and decorator (``footprint.measure``) that starts the
tracker with every setting passed explicitly (CodeCarbon's config files and environment cannot
change the result), after everything that could refuse the run has been checked (the country:
never CodeCarbon's silent world average; the year; the linked declaration; what the run will say
it produced, for the calibration); and the recording of the run with our own CO2e beside
CodeCarbon's (``runs``), linked to a ``measured`` declaration, then compared with the estimates
(``calibration``). A block that raises still gets its partial measurement recorded.

A negative energy component returned by the tracker (a broken counter) is reported and nothing is
recorded, as for an ``emissions.csv`` (``emissions_file``): counting it as 0 would be a silent
under-estimate.

Must not: reach the network, or record a run as zero when the tracker failed (it says so).
CodeCarbon is imported only in this package, and only when a measurement starts.
"""

from __future__ import annotations

import contextlib
import copy
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InputError, MeasurementError, Problem
from emission_factors.schema import read_defaults
from footprint.factors import FactorBase
from footprint.measurement import runs
from footprint.measurement.calibration import calibration, check_work
from footprint.store import Store
from footprint.vocabulary import year_problem

MEASURE_POWER_SECS = 5.0  # CodeCarbon's sampling interval; the last interval is measured at stop


@dataclass
class Run:
    """A measured run, as recorded."""

    row: dict
    exit_code: int | None = None
    partial: bool = False
    calibration: list[str] = field(default_factory=list)


class Measurement(contextlib.ContextDecorator):
    """Measure a block of Python code: ``with footprint.measure("transcription-conseil"):`` or
    as a decorator ``@footprint.measure("ocr")``. The run is recorded in the store at the end,
    also when the block raises (then marked partial). ``country``: ISO 3166 alpha-3 code, the
    default zone of the method (``schema.toml`` ``[defaults]``: FRA) when None."""

    def __init__(self, name: str, *, service: str | None = None, year: int | None = None, country: str | None = None,
                 declaration: str | None = None, db: str | Path | None = None, command: str | None = None,
                 tokens: float | None = None, units: float | None = None, task: str | None = None,
                 model: str | None = None, factors: FactorBase | None = None, quiet: bool = True):
        if not name or not name.strip():
            raise InputError([Problem("nom de la mesure obligatoire", column="--name")])
        self.name = name.strip()
        self.service = service or runs.NO_SERVICE
        self.year = int(year or pd.Timestamp.now().year)
        self.factors = factors or FactorBase.load()
        self.country = runs.check_country(country or read_defaults().zone, self.factors)
        self.store = Store(db)
        self.command = command
        self.tokens, self.units, self.task, self.model = tokens, units, task, model
        self.quiet = quiet
        # Everything that could refuse the run is checked now, before the job starts.
        self._check_year()
        self.model = check_work(self.factors, self.tokens, self.model, self.units, self.task)
        self.declaration = declaration or runs.declaration_id(self.name, self.year, self.country)
        self._check_declaration(bool(declaration))
        self._reset()

    def _reset(self) -> None:
        self.status_detail = ""
        self.exit_code: int | None = None
        self.run: Run | None = None

    def _recreate_cm(self) -> Measurement:
        """A fresh measurement for each call of a decorated function (no state carried over)."""
        fresh = copy.copy(self)
        fresh._reset()
        return fresh

    def _check_year(self) -> None:
        problem = year_problem(self.year)
        if problem:
            raise InputError([Problem(problem, column="--year", value=self.year)])

    def _check_declaration(self, chosen: bool) -> None:
        stored = self.store.declarations(include_deleted=True).set_index("id")
        if self.declaration not in stored.index:
            if chosen:
                raise InputError([Problem("déclaration inconnue", column="--declaration", value=self.declaration)])
            return
        row = stored.loc[self.declaration]
        if row["kind"] != "measured" or row["origin"] != "mesure":
            raise InputError([Problem("la déclaration liée doit être une déclaration « mesure » créée par des mesures "
                                      "(son énergie deviendra la somme des mesures)", column="--declaration",
                                      value=self.declaration)])
        if int(row["year"]) != self.year or (isinstance(row["zone"], str) and row["zone"] != self.country):
            raise InputError([Problem(f"la déclaration liée porte sur {int(row['year'])} en {row['zone']} : même année "
                                      "et même pays attendus", column="--declaration", value=self.declaration)])

    # -- tracker ------------------------------------------------------------------------------

    def __enter__(self) -> Measurement:
        self._reset()
        os.environ["CODECARBON_LOG_LEVEL"] = "error"
        from codecarbon import OfflineEmissionsTracker
        from codecarbon.output_methods.base_output import OutputMethod

        self._folder = tempfile.TemporaryDirectory(prefix="empreinte-ia-mesure-")
        self._started_at = pd.Timestamp.now(tz="UTC")
        # Every setting explicit: ~/.codecarbon.config, ./.codecarbon.config and CODECARBON_*
        # variables must not change a measurement behind the user's back.
        self._tracker = OfflineEmissionsTracker(
            project_name=self.name, experiment_id=str(uuid.uuid4()), experiment_name=self.name,
            country_iso_code=self.country, region=None, cloud_provider=None, cloud_region=None,
            country_2letter_iso_code=None, measure_power_secs=MEASURE_POWER_SECS, output_dir=self._folder.name,
            output_file="emissions.csv", output_methods=[OutputMethod.CSV], output_handlers=[],
            tracking_mode="machine", log_level="error", on_csv_write="append", pue=1.0, wue=0.0,
            allow_multiple_runs=True, force_cpu_power=None, force_ram_power=None,
            force_carbon_intensity_g_co2e_kwh=None, force_mode_cpu_load=False, rapl_include_dram=False,
            rapl_prefer_psys=False, gpu_ids=None, electricitymaps_api_token=None, api_endpoint=None,
            api_key=None, emissions_endpoint=None, metadata=None)
        self._tracker.start()
        return self

    def __exit__(self, exc_type, exc, traceback) -> bool:
        try:
            self._tracker.stop()
            data = getattr(self._tracker, "final_emissions_data", None)
            if data is None or not (data.energy_consumed > 0):
                raise MeasurementError(
                    "CodeCarbon n'a produit aucune mesure pour ce traitement : rien n'a été enregistré. Vérifiez les "
                    "droits de lecture des compteurs d'énergie (RAPL, NVML) ou relancez.")
            _check_tracker_data(data)
            ended_at = pd.Timestamp.now(tz="UTC")
            if exc_type is not None and not self.status_detail:
                self.status_detail = ("interrompu (Ctrl-C)" if exc_type is KeyboardInterrupt
                                      else f"erreur dans le traitement ({exc_type.__name__})")
            try:
                self.run = self._record(data, ended_at)
            except Exception as error:
                kept = self._keep_file()
                raise MeasurementError(
                    f"la mesure n'a pas pu être enregistrée ({error}) ; elle est conservée dans {kept} : importez-la "
                    f"plus tard avec « python -m footprint measure import {kept} --name {self.name} »") from None
        finally:
            self._folder.cleanup()
        return False

    def _keep_file(self) -> Path:
        """Copy CodeCarbon's emissions.csv next to the store, so that a failed recording loses nothing."""
        target = self.store.path.parent / "mesures-a-importer"
        target.mkdir(parents=True, exist_ok=True)
        kept = target / f"emissions-{self.name}-{pd.Timestamp.now():%Y%m%d-%H%M%S}.csv"
        shutil.copy(Path(self._folder.name) / "emissions.csv", kept)
        return kept

    def _record(self, data, ended_at: pd.Timestamp) -> Run:
        row = {
            "run_id": data.run_id, "name": self.name, "service": self.service, "year": self.year,
            "declaration_id": self.declaration, "command": self.command, "country_iso_code": self.country,
            "started_at": self._started_at, "ended_at": ended_at, "duration_s": float(data.duration),
            "energy_kwh": float(data.energy_consumed), "cpu_energy_kwh": float(data.cpu_energy),
            "gpu_energy_kwh": float(data.gpu_energy), "ram_energy_kwh": float(data.ram_energy),
            "codecarbon_kgco2e": float(data.emissions),
            **runs.our_co2e(float(data.energy_consumed), self.country, self.year, self.factors),
            "cpu_model": data.cpu_model, "cpu_count": _number(data.cpu_count), "gpu_model": data.gpu_model or None,
            "gpu_count": _number(data.gpu_count), "tracking_mode": data.tracking_mode,
            "codecarbon_version": data.codecarbon_version, "exit_code": self.exit_code,
            "status": "partiel" if self.status_detail else "complet", "status_detail": self.status_detail or None,
            "tokens": self.tokens, "units": self.units, "task": self.task,
            "provider": self.model.split("/", 1)[0] if self.model else None,
            "model": self.model.split("/", 1)[1] if self.model and "/" in self.model else self.model,
            "origin": "mesure",
        }
        frame = pd.DataFrame([row])
        self.store.save_measurements(frame, runs.measured_declarations(frame, self.store))
        run = Run(row, self.exit_code, bool(self.status_detail))
        run.calibration = calibration(row, self.factors)
        return run


def _check_tracker_data(data) -> None:
    """Refuse what the tracker returned when a counter was broken (see the module docstring:
    a negative component is never counted as 0)."""
    for column, label in (("energy_consumed", "totale"), *runs.COMPONENTS.items()):
        value = _number(getattr(data, column, None))
        if value is None or value < 0:
            raise MeasurementError(
                f"CodeCarbon a renvoyé une énergie {label} négative ou illisible ({getattr(data, column, None)} kWh) : "
                "un compteur d'énergie est défaillant et la mesure serait fausse ; rien n'a été enregistré. Mettez à "
                "jour CodeCarbon et les pilotes (NVML pour le GPU), puis relancez.")


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None
