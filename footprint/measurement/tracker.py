"""Measuring in-house AI jobs with CodeCarbon, and bringing the measurements into the inventory.

Owns: running a command (or a block of Python code) under CodeCarbon's *offline* tracker with
every setting passed explicitly (CodeCarbon's config files and environment cannot change the
result), checking the country before the tracker starts (never its silent world average),
recording each run in the store with our own CO2e (the factor base's factor for the zone:
ADEME Base Empreinte for France) beside CodeCarbon's, linking the runs to a ``measured``
declaration, importing existing ``emissions.csv`` files (2.x and 3.x, flush rows, idempotent
by run_id), and the calibration of estimates against measurements.

A measured command stopped by Ctrl-C, SIGTERM or SIGHUP (a closed terminal) still gets its
partial measurement recorded (« interrompu (signal SIGTERM) »): the signal is passed on to the
command, which has ``STOP_GRACE_S`` seconds to end before it is killed (it must not go on
unmeasured), and the exit status is 128 + the signal's number.

Reading an ``emissions.csv`` (all or nothing, each problem with its file, line, column, value):

- timestamps follow one rule for the whole file, never guessed cell by cell: ISO 8601
  (CodeCarbon's own ``2023-11-09T10:00:00``), or, for dates with slashes (a file re-saved by
  French Excel: ``09/11/2023 10:15``, seconds optional), day/month/year. A slashed date that can
  only be month/day/year (``11/25/2023``) shows the file does not follow that rule: the file is
  refused, so that no other date of it has its day and month swapped; a two-digit year too.
- numbers must be finite (``1e400`` is refused, whatever the number parser lets through) and
  within the plausible bounds of ``schema.toml`` ``[inputs]``: ``duration_s`` (one year at most),
  ``energy_kwh``, ``cpu_cores`` and ``gpus`` for the counts.
- a run of 0 kWh is accepted (a very short run really measures 0).
- a negative energy component (``cpu_energy``, ``gpu_energy``, ``ram_energy``; CodeCarbon 2.7 on
  Windows writes a negative ``gpu_energy``) is refused, not counted as 0: it is physically
  impossible, so the counter was broken, the component's real energy is unknown and the
  ``energy_consumed`` that includes it is wrong too. Counting it as 0 would be a silent
  under-estimate in a regulatory report. The message says what to do: measure again, or, if
  the component was not used, write 0 and correct ``energy_consumed``; an ``energy_consumed``
  below the sum of its components is refused as inconsistent. The live tracker follows the
  same rule: a negative component is reported and nothing is recorded.

Must not: reach the network, or record a run as zero when the tracker failed (it says so).
CodeCarbon is imported only here, and only when a measurement starts.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import math
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InputError, MeasurementError, Problem
from emission_factors.loader import read_input_bounds
from footprint.engine import compute_impacts
from footprint.factors import FactorBase
from footprint.io.tabular import AmbiguousNumber, is_missing, parse_number
from footprint.store import Store

NO_SERVICE = "(service non précisé)"
MEASURE_POWER_SECS = 5.0  # CodeCarbon's sampling interval; the last interval is measured at stop
# Signals that stop a measured command as Ctrl-C does (SIGHUP: the terminal was closed), and
# the time the command has to end once the signal is passed on to it, before it is killed.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
STOP_GRACE_S = 10.0


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


COMPONENTS = {"cpu_energy": "du processeur", "gpu_energy": "du GPU", "ram_energy": "de la mémoire vive"}


def _check_tracker_data(data) -> None:
    """Refuse what the tracker returned when a counter was broken (see the module docstring:
    a negative component is never counted as 0)."""
    for column, label in (("energy_consumed", "totale"), *COMPONENTS.items()):
        value = _number(getattr(data, column, None))
        if value is None or value < 0:
            raise MeasurementError(
                f"CodeCarbon a renvoyé une énergie {label} négative ou illisible ({getattr(data, column, None)} kWh) : "
                "un compteur d'énergie est défaillant et la mesure serait fausse ; rien n'a été enregistré. Mettez à "
                "jour CodeCarbon et les pilotes (NVML pour le GPU), puis relancez.")


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


class _StopSignals:
    """While a measured command runs, SIGTERM and SIGHUP no longer end this process at once: the
    first one is remembered and passed on to the command, which is killed if it has not ended
    within ``STOP_GRACE_S``; the measurement is then recorded before the handlers are restored.
    A handler only takes note and sends signals (it never raises), so it cannot cut the start of
    the command or the recording in two. A signal this process ignores (``nohup``) stays ignored;
    outside the main thread nothing is changed (Python allows signal handlers only there)."""

    def __init__(self) -> None:
        self.received: int | None = None
        self.killed = False
        self._process: subprocess.Popen | None = None
        self._previous: dict[int, object] = {}
        self._timer: threading.Timer | None = None

    def __enter__(self) -> _StopSignals:
        if threading.current_thread() is threading.main_thread():
            for number in STOP_SIGNALS:
                # An ignored signal stays ignored (``nohup``: the job must survive the terminal).
                if signal.getsignal(number) is not signal.SIG_IGN:
                    self._previous[number] = signal.signal(number, self._on_signal)
        return self

    def __exit__(self, *exc_info) -> bool:
        if self._timer is not None:
            self._timer.cancel()
        for number, previous in self._previous.items():
            signal.signal(number, previous)
        return False

    def _on_signal(self, number: int, frame) -> None:
        if self.received is None:
            self.received = number
        self._forward()

    def attach(self, process: subprocess.Popen) -> None:
        self._process = process
        if self.received is not None:  # the signal came while the command was starting
            self._forward()

    def _forward(self) -> None:
        process = self._process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(OSError):  # it may have ended meanwhile
            process.send_signal(self.received)
        if self._timer is None:
            self._timer = threading.Timer(STOP_GRACE_S, self._kill)
            self._timer.daemon = True
            self._timer.start()

    def _kill(self) -> None:
        process = self._process
        if process is not None and process.returncode is None:
            self.killed = True
            with contextlib.suppress(OSError):
                process.kill()

    @property
    def detail(self) -> str:
        name = signal.Signals(self.received).name
        forced = f" ; traitement arrêté de force après {STOP_GRACE_S:g} s" if self.killed else ""
        return f"interrompu (signal {name}){forced}"


def run_command(command: Sequence[str], measurement: Measurement) -> int:
    """Run ``command`` under the tracker, output untouched; return its exit code (128 + signal
    number when killed). A command that cannot start, is killed, or is interrupted (Ctrl-C,
    SIGTERM, SIGHUP) still gets its partial measurement recorded; SIGTERM and SIGHUP are passed
    on to the command, and 128 + their number is returned."""
    measurement.command = " ".join(command)
    with _StopSignals() as stop, measurement:
        if stop.received is not None:  # stopped while the tracker was starting: the command never runs
            measurement.exit_code = 128 + stop.received
            measurement.status_detail = stop.detail + " avant le lancement de la commande"
            return measurement.exit_code
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
        stop.attach(process)
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
        if stop.received is not None:
            measurement.exit_code = 128 + stop.received
            measurement.status_detail = stop.detail
            return measurement.exit_code
        if code < 0:
            signal_name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            measurement.status_detail = f"arrêté par le signal {signal_name}"
            code = 128 - code
        measurement.exit_code = code
        return code


# -- importing emissions.csv ---------------------------------------------------------------------

REQUIRED_COLUMNS = ("timestamp", "project_name", "run_id", "duration", "emissions", "energy_consumed",
                    "country_iso_code")
NUMERIC_COLUMNS = ("duration", "energy_consumed", "emissions", "cpu_energy", "gpu_energy", "ram_energy",
                   "cpu_count", "gpu_count")
# The bound of schema.toml [inputs] that each count of an emissions.csv must respect.
COUNT_BOUNDS = {"cpu_count": ("cpu_cores", "nombre de cœurs de processeur"), "gpu_count": ("gpus", "nombre de GPU")}
# energy_consumed is the sum of the components (times the PUE, at least 1); below that sum by
# more than a spreadsheet's rounding of the cells, the file has been edited inconsistently.
SUM_TOLERANCE = 1e-3

TIMESTAMP_FORMATS = ("attendu AAAA-MM-JJTHH:MM:SS (le format de CodeCarbon) ou JJ/MM/AAAA HH:MM[:SS] "
                     "(jour/mois/année, celui d'Excel en français)")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]|$)")
_SLASHED_DATE = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d+)"
                           r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?)?$")


def _read_timestamp(value: object) -> pd.Timestamp:
    """A timestamp of an emissions.csv by the file's one rule (module docstring): ISO 8601, or
    day/month/year for a date with slashes. Raises ``ValueError`` with the French reason."""
    if isinstance(value, (dt.datetime, dt.date)) and not isinstance(value, bool):
        return pd.Timestamp(value)  # a spreadsheet's date cell: no reading to choose
    text = "" if is_missing(value) else str(value).strip()
    if _ISO_DATE.match(text):
        try:
            return pd.Timestamp(dt.datetime.fromisoformat(text))
        except ValueError:
            raise ValueError(f"horodatage illisible : date ou heure impossible ({TIMESTAMP_FORMATS})") from None
    match = _SLASHED_DATE.match(text)
    if not match:
        raise ValueError(f"horodatage illisible : {TIMESTAMP_FORMATS}")
    first, _, second, year, hour, minute, sec, fraction = match.groups()
    if len(year) == 2:
        raise ValueError("horodatage ambigu : année sur deux chiffres ; écrivez-la en entier (JJ/MM/AAAA)")
    if len(year) != 4:
        raise ValueError(f"horodatage illisible : année impossible ({TIMESTAMP_FORMATS})")
    clock = (int(hour or 0), int(minute or 0), int(sec or 0), int((fraction or "").ljust(6, "0")))
    try:
        dt.time(*clock)
    except ValueError:
        raise ValueError(f"horodatage illisible : heure impossible ({TIMESTAMP_FORMATS})") from None
    try:
        return pd.Timestamp(dt.datetime(int(year), int(second), int(first), *clock))
    except ValueError:
        pass
    try:
        dt.datetime(int(year), int(first), int(second))
    except ValueError:
        raise ValueError(f"horodatage illisible : date impossible ({TIMESTAMP_FORMATS})") from None
    raise ValueError(
        f"date qui ne se lit que mois/jour/année (format américain : mois {int(first)}, jour {int(second)}), alors "
        "que les dates avec des barres obliques sont lues jour/mois/année (format français) : le fichier est refusé "
        "en entier, pour qu'aucune autre de ses dates n'ait son jour et son mois inversés. Enregistrez les "
        "horodatages au format AAAA-MM-JJ HH:MM:SS, ou tous en jour/mois/année")


def _cell_number(value: object, decimal: str | None) -> float | None:
    """A number of an emissions.csv, or None if the cell is empty; ``ValueError`` if it is not a
    finite number (checked here too, whatever the number parser lets through)."""
    if is_missing(value):
        return None
    number = parse_number(value, decimal) if decimal else parse_number(value)
    if number is not None and not math.isfinite(number):
        raise ValueError("non fini")
    return number


def _number_message(error: ValueError) -> str:
    if isinstance(error, AmbiguousNumber):
        return str(error)
    if str(error) == "non fini":
        return "nombre trop grand pour être représenté, ou infini"
    return "valeur non numérique"


def _cell_text(value: object) -> str:
    """A text cell (a spreadsheet may give a number: 12.0 is shown as 12)."""
    if is_missing(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def import_emissions(path: Path | str | bytes, store: Store, factors: FactorBase, *, service: str | None = None,
                     year: int | None = None, country: str | None = None, name: str | None = None,
                     declaration: str | None = None, work: dict | None = None,
                     file_name: str | None = None) -> dict[str, int]:
    """Import a CodeCarbon ``emissions.csv`` (2.x or 3.x): the last row of each run_id (flush()
    writes several), refused whole if a row has no valid country or one that differs from
    ``country``, or a value the module docstring's rules refuse. Runs already in the store are
    skipped. ``work``: what the runs produced, for the calibration (``tokens`` with
    ``provider``/``model``, or ``units`` with ``task``). ``path`` may be the bytes of an upload,
    shown as ``file_name`` (never used as a path)."""
    from footprint.io.formatting import format_number
    from footprint.io.tabular import read_table

    table = read_table(path, name=file_name)
    file = table.file_name
    decimal = table.decimal
    header = [str(h).strip() for h in table.header]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputError.single(f"ce n'est pas un fichier emissions.csv de CodeCarbon : colonne(s) manquante(s) "
                                f"{', '.join(missing)}", file=file, line=1)
    # Cells past the end of a short row are absent (None), never NaN.
    rows = [dict(zip(header, cells)) | {"_line": line} for line, cells in table.rows]
    if not rows:
        raise InputError.single("aucune mesure : le fichier n'a qu'une ligne d'en-tête", file=file)
    expected = check_country(country, factors) if country else None
    known = set(factors.zones())
    bounds = read_input_bounds()
    energy_bound, duration_bound, year_bound = bounds["energy_kwh"], bounds["duration_s"], bounds["year"]
    problems = []

    def bad(row, column: str, message: str) -> None:
        problems.append(Problem(message, file=file, line=row["_line"], column=column, value=row.get(column)))

    for row in rows:
        row["_code"] = _cell_text(row.get("country_iso_code")).upper()
        row["_run_id"] = _cell_text(row.get("run_id"))
        if row["_code"] not in known:
            bad(row, "country_iso_code", "pays absent ou inconnu : une mesure sans pays aurait la moyenne mondiale de "
                                         "CodeCarbon (475 g/kWh)")
        elif expected and row["_code"] != expected:
            bad(row, "country_iso_code", f"pays différent de celui déclaré ({expected})")
        if not row["_run_id"]:
            bad(row, "run_id", "identifiant d'exécution (run_id) manquant")
        numbers = row["_numbers"] = {}
        for column in NUMERIC_COLUMNS:
            try:
                numbers[column] = _cell_number(row.get(column), decimal)
            except ValueError as error:
                bad(row, column, _number_message(error))
        for column in ("duration", "energy_consumed", "emissions"):
            if column in numbers and (numbers[column] is None or numbers[column] < 0):
                bad(row, column, "valeur absente ou négative")
        duration = numbers.get("duration")
        if duration is not None and duration > duration_bound.maximum:
            bad(row, "duration", f"durée invraisemblable pour une mesure : au plus "
                                 f"{format_number(duration_bound.maximum)} s (un an) ; des millisecondes écrites "
                                 "comme des secondes ?")
        for column in ("energy_consumed", *COMPONENTS):
            value = numbers.get(column)
            if value is not None and value > energy_bound.maximum:
                bad(row, column, f"énergie invraisemblable (attendue entre 0 et {format_number(energy_bound.maximum)} "
                                 "kWh)")
        for column, label in COMPONENTS.items():
            if (numbers.get(column) or 0) < 0:
                bad(row, column, f"énergie {label} négative, physiquement impossible : le compteur était défaillant "
                                 "(défaut connu de CodeCarbon 2.7 sous Windows pour le GPU). L'énergie réelle de ce "
                                 "composant est inconnue, et energy_consumed, qui l'inclut, est faux aussi : la mesure "
                                 "n'est pas importée (la compter pour 0 la sous-estimerait sans le dire). Refaites-la "
                                 "avec une version récente de CodeCarbon (python -m footprint measure) ; ou, si ce "
                                 "composant n'a pas servi, écrivez 0 dans cette cellule et corrigez energy_consumed "
                                 "(somme de cpu_energy, gpu_energy et ram_energy)")
        parts = [numbers.get(column) for column in COMPONENTS]
        energy = numbers.get("energy_consumed")
        if energy is not None and all(part is not None and part >= 0 for part in parts):
            total = sum(parts)
            if energy < total * (1 - SUM_TOLERANCE) - 1e-12:
                bad(row, "energy_consumed", f"énergie totale inférieure à la somme de cpu_energy, gpu_energy et "
                                            f"ram_energy ({format_number(total)} kWh) : fichier incohérent, corrigez "
                                            "energy_consumed")
        for column, (bound_name, label) in COUNT_BOUNDS.items():
            value, bound = numbers.get(column), bounds[bound_name]
            if value is not None and not (bound.minimum <= value <= bound.maximum and value.is_integer()):
                bad(row, column, f"{label} invraisemblable (entier attendu entre {format_number(bound.minimum)} et "
                                 f"{format_number(bound.maximum)})")
        try:
            moment = _read_timestamp(row.get("timestamp"))
        except ValueError as error:
            bad(row, "timestamp", str(error))
            continue
        if not year_bound.minimum <= moment.year <= year_bound.maximum:
            bad(row, "timestamp", f"année de la mesure invraisemblable (attendue entre {year_bound.minimum:g} et "
                                  f"{year_bound.maximum:g})")
            continue
        # CodeCarbon writes local time without a time zone: read it as this machine's local time.
        row["_moment"] = _local_to_utc(moment) if moment.tzinfo is None else moment.tz_convert("UTC")
    if problems:
        raise InputError(problems[:50])
    last: dict[str, dict] = {}
    for row in rows:  # the longest record of each run (the last one on a tie)
        kept = last.get(row["_run_id"])
        if kept is None or row["_numbers"]["duration"] >= kept["_numbers"]["duration"]:
            last[row["_run_id"]] = row
    runs = []
    for run_id in sorted(last):
        row = last[run_id]
        numbers, ended, code = row["_numbers"], row["_moment"], row["_code"]
        run_year = int(year or ended.year)
        run_name = name or _cell_text(row.get("project_name")) or "codecarbon"
        factor = factors.mix(code, None, run_year)["gwp"]
        energy, duration = numbers["energy_consumed"], numbers["duration"]
        runs.append({
            "run_id": run_id, "name": run_name, "service": service or NO_SERVICE,
            "year": run_year, "declaration_id": declaration or declaration_id(run_name, run_year, code),
            "country_iso_code": code, "started_at": ended - pd.Timedelta(seconds=duration), "ended_at": ended,
            "duration_s": duration, "energy_kwh": energy, "cpu_energy_kwh": numbers.get("cpu_energy"),
            "gpu_energy_kwh": numbers.get("gpu_energy"), "ram_energy_kwh": numbers.get("ram_energy"),
            "codecarbon_kgco2e": numbers["emissions"], "gwp_kgco2e": energy * factor.value,
            "gwp_factor_kgco2e_per_kwh": factor.value, "gwp_factor_source": f"{factor.dataset} {factor.year}",
            "cpu_model": _cell_text(row.get("cpu_model")) or None, "cpu_count": numbers.get("cpu_count"),
            "gpu_model": _cell_text(row.get("gpu_model")) or None, "gpu_count": numbers.get("gpu_count"),
            "tracking_mode": _cell_text(row.get("tracking_mode")) or None,
            "codecarbon_version": _cell_text(row.get("codecarbon_version")) or None, "status": "complet",
            "origin": f"import:{file}"} | (work or {}))
    runs_frame = pd.DataFrame(runs)
    return store.save_measurements(runs_frame, _declarations(runs_frame, store))


# -- calibration ---------------------------------------------------------------------------------


def calibration(row: dict, factors: FactorBase) -> list[str]:
    """Measured energy per token (or per unit) beside the engine's estimate, and their ratio."""
    from footprint.io.formatting import format_number

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

