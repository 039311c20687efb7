"""Measuring in-house AI jobs with CodeCarbon, and bringing the measurements into the inventory.

Owns: running a command (or a block of Python code) under CodeCarbon's *offline* tracker with
every setting passed explicitly (CodeCarbon's config files and environment cannot change the
result), checking the country before the tracker starts (never its silent world average),
recording each run in the store with our own CO2e (the factor base's factor for the zone:
ADEME Base Empreinte for France) beside CodeCarbon's, linking the runs to a ``measured``
declaration, importing existing ``emissions.csv`` files (2.x and 3.x, flush rows, idempotent
by run_id), and the calibration of estimates against measurements.

Must not: reach the network, or record a run as zero when the tracker failed (it says so).
CodeCarbon is imported only here, and only when a measurement starts.
"""

from __future__ import annotations

import contextlib
import copy
import os
import re
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from emission_factors.errors import InputError, MeasurementError, Problem
from emission_factors.loader import read_input_bounds
from footprint.engine import compute_impacts
from footprint.factor_base import FactorBase
from footprint.store import Store
from footprint.tabular import is_missing, parse_number

NO_SERVICE = "(service non précisé)"
MEASURE_POWER_SECS = 5.0  # CodeCarbon's sampling interval; the last interval is measured at stop


def _codecarbon_countries() -> set[str]:
    os.environ.setdefault("CODECARBON_LOG_LEVEL", "error")
    from codecarbon.input import DataSource

    return set(DataSource().get_global_energy_mix_data())


def check_country(country: str, factors: FactorBase) -> str:
    """The ISO 3166 alpha-3 code of a country both CodeCarbon and the factor base know."""
    code = factors.zone_aliases().get(country.strip().upper(), country.strip().upper())
    if code not in set(factors.zones()) or code not in _codecarbon_countries():
        raise InputError([Problem("pays inconnu de CodeCarbon ou de la base de facteurs : code ISO 3166 à trois "
                                  "lettres attendu (FRA, DEU, BEL…) ; aucune mesure n'a été lancée",
                                  column="--country", value=country)])
    return code


def declaration_id(name: str, year: int, country: str) -> str:
    """Stable id of the ``measured`` declaration that gathers the runs of one job, year and country
    (runs in two countries must not share one electricity factor)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "mesure"
    return f"M-{year}-{country}-{slug}"


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
    also when the block raises (then marked partial)."""

    def __init__(self, name: str, *, service: str | None = None, year: int | None = None, country: str = "FRA",
                 declaration: str | None = None, db: str | Path | None = None, command: str | None = None,
                 tokens: float | None = None, units: float | None = None, task: str | None = None,
                 model: str | None = None, factors: FactorBase | None = None, quiet: bool = True):
        if not name or not name.strip():
            raise InputError([Problem("nom de la mesure obligatoire", column="--name")])
        self.name = name.strip()
        self.service = service or NO_SERVICE
        self.year = int(year or pd.Timestamp.now().year)
        self.factors = factors or FactorBase.load()
        self.country = check_country(country, self.factors)
        self.store = Store(db)
        self.command = command
        self.tokens, self.units, self.task, self.model = tokens, units, task, model
        self.quiet = quiet
        # Everything that could refuse the run is checked now, before the job starts.
        self._check_year()
        self._check_calibration()
        self.declaration = declaration or declaration_id(self.name, self.year, self.country)
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
        bound = read_input_bounds()["year"]
        if not bound.minimum <= self.year <= bound.maximum:
            raise InputError([Problem(f"année invalide (attendue entre {bound.minimum:g} et {bound.maximum:g})",
                                      column="--year", value=self.year)])

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

    def _check_calibration(self) -> None:
        if self.tokens is not None and not self.model:
            raise InputError([Problem("précisez le modèle mesuré (fournisseur/modèle) pour comparer par token",
                                      column="--model")])
        if self.units is not None and not self.task:
            raise InputError([Problem("précisez la tâche mesurée pour comparer par unité", column="--task")])
        if self.model:
            provider, _, model = self.model.partition("/")
            provider_id = self.factors.provider_id(provider)
            name = self.factors.model_name(provider_id, model) if provider_id else None
            if name is None:
                close = self.factors.suggest_models(provider_id, model or provider)
                raise InputError([Problem("modèle inconnu" + (f" ; noms proches : {', '.join(close)}" if close else ""),
                                          column="--model", value=self.model)])
            self.model = f"{provider_id}/{name}"
        if self.task and self.task.strip().lower() not in self.factors.tasks():
            raise InputError([Problem(f"tâche inconnue (connues : {', '.join(self.factors.tasks())})",
                                      column="--task", value=self.task)])
        for value, flag in ((self.tokens, "--tokens"), (self.units, "--units")):
            if value is not None and not (0 < value < 1e15):
                raise InputError([Problem("nombre positif attendu", column=flag, value=value)])

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
        import shutil

        target = self.store.path.parent / "mesures-a-importer"
        target.mkdir(parents=True, exist_ok=True)
        kept = target / f"emissions-{self.name}-{pd.Timestamp.now():%Y%m%d-%H%M%S}.csv"
        shutil.copy(Path(self._folder.name) / "emissions.csv", kept)
        return kept

    def _record(self, data, ended_at: pd.Timestamp) -> Run:
        factor = self.factors.mix(self.country, None, self.year)["gwp"]
        row = {
            "run_id": data.run_id, "name": self.name, "service": self.service, "year": self.year,
            "declaration_id": self.declaration, "command": self.command, "country_iso_code": self.country,
            "started_at": self._started_at, "ended_at": ended_at, "duration_s": float(data.duration),
            "energy_kwh": float(data.energy_consumed), "cpu_energy_kwh": float(data.cpu_energy),
            "gpu_energy_kwh": float(data.gpu_energy), "ram_energy_kwh": float(data.ram_energy),
            "codecarbon_kgco2e": float(data.emissions),
            "gwp_kgco2e": float(data.energy_consumed) * factor.value,
            "gwp_factor_kgco2e_per_kwh": factor.value, "gwp_factor_source": f"{factor.dataset} {factor.year}",
            "cpu_model": data.cpu_model, "cpu_count": _number(data.cpu_count), "gpu_model": data.gpu_model or None,
            "gpu_count": _number(data.gpu_count), "tracking_mode": data.tracking_mode,
            "codecarbon_version": data.codecarbon_version, "exit_code": self.exit_code,
            "status": "partiel" if self.status_detail else "complet", "status_detail": self.status_detail or None,
            "tokens": self.tokens, "units": self.units, "task": self.task,
            "provider": self.model.split("/", 1)[0] if self.model else None,
            "model": self.model.split("/", 1)[1] if self.model and "/" in self.model else self.model,
            "origin": "mesure",
        }
        runs = pd.DataFrame([row])
        self.store.save_measurements(runs, _declarations(runs, self.store))
        run = Run(row, self.exit_code, bool(self.status_detail))
        run.calibration = calibration(row, self.factors)
        return run


def _local_to_utc(moment: pd.Timestamp) -> pd.Timestamp:
    """A naive local time of this machine (daylight saving included) as UTC."""
    seconds = time.mktime(moment.to_pydatetime().timetuple())
    return pd.Timestamp(seconds, unit="s", tz="UTC") + pd.Timedelta(microseconds=moment.microsecond)


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def _declarations(runs: pd.DataFrame, store: Store) -> pd.DataFrame:
    """The ``measured`` declaration of each run's declaration id (kept as the user left it, if it
    exists: only its energy will change)."""
    existing = store.declarations(include_deleted=True).set_index("id")
    rows = []
    for declaration, group in runs.groupby("declaration_id", sort=True):
        first = group.iloc[0]
        if declaration in existing.index:
            row = existing.loc[declaration].to_dict()
            if row.get("kind") != "measured":
                raise InputError([Problem("la déclaration liée doit être de type « mesure »", column="--declaration",
                                          value=declaration)])
            row["id"] = declaration
        else:
            row = {"id": declaration, "year": int(first["year"]), "service": first["service"],
                   "use_case": first["name"], "kind": "measured", "zone": first["country_iso_code"],
                   "comment": f"Mesures CodeCarbon de « {first['name']} »", "origin": "mesure"}
        rows.append(row)
    return pd.DataFrame(rows)


# -- running a command ---------------------------------------------------------------------------


def run_command(command: Sequence[str], measurement: Measurement) -> int:
    """Run ``command`` under the tracker, output untouched; return its exit code (128 + signal
    number when killed). A command that cannot start, is killed, or is interrupted still gets
    its partial measurement recorded."""
    measurement.command = " ".join(command)
    with measurement:
        try:
            process = subprocess.Popen(list(command))
        except FileNotFoundError:
            measurement.exit_code = 127
            measurement.status_detail = "commande introuvable"
            return 127
        except PermissionError:
            measurement.exit_code = 126
            measurement.status_detail = "commande non exécutable"
            return 126
        try:
            code = process.wait()
        except KeyboardInterrupt:
            # Ctrl-C reached the command too (same terminal): let it finish, then record.
            with contextlib.suppress(Exception):
                process.wait(timeout=10)
            if process.poll() is None:
                process.kill()
                process.wait()
            measurement.exit_code = 130
            measurement.status_detail = "interrompu (Ctrl-C)"
            return 130
        if code < 0:
            signal_name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            measurement.status_detail = f"arrêté par le signal {signal_name}"
            code = 128 - code
        measurement.exit_code = code
        return code


# -- importing emissions.csv ---------------------------------------------------------------------

REQUIRED_COLUMNS = ("timestamp", "project_name", "run_id", "duration", "emissions", "energy_consumed",
                    "country_iso_code")


def import_emissions(path: Path | str, store: Store, factors: FactorBase, *, service: str | None = None,
                     year: int | None = None, country: str | None = None, name: str | None = None,
                     declaration: str | None = None, work: dict | None = None) -> dict[str, int]:
    """Import a CodeCarbon ``emissions.csv`` (2.x or 3.x): the last row of each run_id (flush()
    writes several), refused whole if a row has no valid country or one that differs from
    ``country``. Runs already in the store are skipped. ``work``: what the runs produced, for the
    calibration (``tokens`` with ``provider``/``model``, or ``units`` with ``task``)."""
    from footprint.tabular import read_table

    path = Path(path)
    table = read_table(path)
    header = [h.strip() for h in table.header]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputError.single(f"ce n'est pas un fichier emissions.csv de CodeCarbon : colonne(s) manquante(s) "
                                f"{', '.join(missing)}", file=path.name, line=1)
    frame = pd.DataFrame([dict(zip(header, cells)) | {"_line": line} for line, cells in table.rows])
    if frame.empty:
        raise InputError.single("aucune mesure : le fichier n'a qu'une ligne d'en-tête", file=path.name)
    expected = check_country(country, factors) if country else None
    known = set(factors.zones())
    energy_bound = read_input_bounds()["energy_kwh"]
    year_bound = read_input_bounds()["year"]
    problems = []

    def bad(row, column: str, message: str) -> None:
        problems.append(Problem(message, file=path.name, line=row["_line"], column=column, value=row.get(column)))

    numbers, moments = {}, {}
    for index, row in frame.iterrows():
        code = str(row["country_iso_code"] or "").strip().upper()
        if code not in known:
            bad(row, "country_iso_code", "pays absent ou inconnu : une mesure sans pays aurait la moyenne mondiale de "
                                         "CodeCarbon (475 g/kWh)")
        elif expected and code != expected:
            bad(row, "country_iso_code", f"pays différent de celui déclaré ({expected})")
        if not str(row["run_id"] or "").strip():
            bad(row, "run_id", "identifiant d'exécution (run_id) manquant")
        for column in ("duration", "energy_consumed", "emissions", "cpu_energy", "gpu_energy", "ram_energy",
                       "cpu_count", "gpu_count"):
            try:
                numbers[(index, column)] = parse_number(row.get(column)) if column in row else None
            except ValueError:
                bad(row, column, "valeur non numérique")
        for column in ("duration", "energy_consumed", "emissions"):
            value = numbers.get((index, column))
            if (index, column) in numbers and (value is None or value < 0):
                bad(row, column, "valeur absente ou négative")
        energy = numbers.get((index, "energy_consumed"))
        if energy is not None and not 0 < energy <= energy_bound.maximum:
            bad(row, "energy_consumed", f"énergie nulle ou invraisemblable (attendue entre 0 et "
                                        f"{energy_bound.maximum:g} kWh)")
        try:
            moment = pd.Timestamp(str(row["timestamp"]).strip())
            if pd.isna(moment):
                raise ValueError
            # CodeCarbon writes local time without a time zone: read it as this machine's local time.
            moments[index] = _local_to_utc(moment) if moment.tzinfo is None else moment.tz_convert("UTC")
            run_year = int(year or moments[index].year)
            if not year_bound.minimum <= run_year <= year_bound.maximum:
                bad(row, "timestamp", "année de la mesure invraisemblable")
        except (ValueError, TypeError):
            bad(row, "timestamp", "horodatage illisible")
    if problems:
        raise InputError(problems[:50])
    frame["duration_value"] = [numbers[(i, "duration")] for i in frame.index]
    frame = frame.sort_values(["run_id", "duration_value", "_line"]).groupby("run_id", sort=False).tail(1)
    runs = []
    for index, row in frame.iterrows():
        ended = moments[index]
        run_year = int(year or ended.year)
        run_name = name or str(row["project_name"] or "codecarbon")
        code = str(row["country_iso_code"]).strip().upper()
        factor = factors.mix(code, None, run_year)["gwp"]
        energy = numbers[(index, "energy_consumed")]
        duration = numbers[(index, "duration")]
        runs.append({
            "run_id": str(row["run_id"]).strip(), "name": run_name, "service": service or NO_SERVICE,
            "year": run_year, "declaration_id": declaration or declaration_id(run_name, run_year, code),
            "country_iso_code": code, "started_at": ended - pd.Timedelta(seconds=duration), "ended_at": ended,
            "duration_s": duration, "energy_kwh": energy, "cpu_energy_kwh": numbers.get((index, "cpu_energy")),
            "gpu_energy_kwh": numbers.get((index, "gpu_energy")), "ram_energy_kwh": numbers.get((index, "ram_energy")),
            "codecarbon_kgco2e": numbers[(index, "emissions")], "gwp_kgco2e": energy * factor.value,
            "gwp_factor_kgco2e_per_kwh": factor.value, "gwp_factor_source": f"{factor.dataset} {factor.year}",
            "cpu_model": row.get("cpu_model") or None, "cpu_count": numbers.get((index, "cpu_count")),
            "gpu_model": row.get("gpu_model") or None, "gpu_count": numbers.get((index, "gpu_count")),
            "tracking_mode": row.get("tracking_mode") or None,
            "codecarbon_version": row.get("codecarbon_version") or None, "status": "complet",
            "origin": f"import:{path.name}"} | (work or {}))
    runs_frame = pd.DataFrame(runs)
    return store.save_measurements(runs_frame, _declarations(runs_frame, store))


# -- calibration ---------------------------------------------------------------------------------


def calibration(row: dict, factors: FactorBase) -> list[str]:
    """Measured energy per token (or per unit) beside the engine's estimate, and their ratio."""
    from footprint.formatting import format_number

    lines = []
    energy_wh = row["energy_kwh"] * 1000
    row = {key: (None if is_missing(value) else value) for key, value in row.items()}  # a stored run has NaN
    if row.get("tokens"):
        model = f"{row['provider']}/{row['model']}" if row.get("provider") else row["model"]
        provider, name = (model.split("/", 1) + [""])[:2]
        workload = pd.DataFrame([{"kind": "llm", "provider": provider, "model": name, "requests": 1.0,
                                  "output_tokens_per_request": row["tokens"], "pue": 1.0, "wue": 0.0,
                                  "zone": row["country_iso_code"]}])
        estimate = compute_impacts(workload, factors)["energy_kwh_central"].iloc[0] * 1000
        measured = energy_wh / row["tokens"]
        estimated = estimate / row["tokens"]
        lines.append(f"Mesuré : {format_number(measured)} Wh par token ; estimé (méthode EcoLogits, {model}, "
                     f"GPU H100 et PUE 1) : {format_number(estimated)} Wh par token ; rapport mesure / estimation : "
                     f"{format_number(measured / estimated)}")
    if row.get("units"):
        per_unit = factors.con.execute("SELECT energy_per_unit, unit_of_work FROM tasks WHERE lower(task) = lower(?)",
                                       [row["task"]]).fetchall()
        if not per_unit:
            raise InputError([Problem(f"tâche inconnue (connues : {', '.join(factors.tasks())})", column="--task",
                                      value=row["task"])])
        estimated, unit = per_unit[0][0] * 1000, per_unit[0][1]
        measured = energy_wh / row["units"]
        lines.append(f"Mesuré : {format_number(measured)} Wh par {unit} ; base de facteurs : "
                     f"{format_number(estimated)} Wh par {unit} ; rapport mesure / estimation : "
                     f"{format_number(measured / estimated)}")
    return lines

