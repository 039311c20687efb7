"""Reading a CodeCarbon ``emissions.csv`` (2.x and 3.x) into the inventory: the last flush row of
each run, idempotent by ``run_id``, all or nothing, each problem with its file, line, column and
value.

- timestamps follow one rule for the whole file, never guessed cell by cell: ISO 8601
  (CodeCarbon's own ``2023-11-09T10:00:00``), or, for dates with slashes (a file re-saved by
  French Excel: ``09/11/2023 10:15``, seconds optional), day/month/year. A slashed date that can
  only be month/day/year (``11/25/2023``) shows the file does not follow that rule: the file is
  refused, so that no other date of it has its day and month swapped; a two-digit year too.
  CodeCarbon writes local time without a time zone: it is read as this machine's local time.
- numbers must be finite (``1e400`` is refused, whatever the number parser lets through) and
  within the plausible bounds of ``schema.toml`` ``[inputs]``: ``duration_s`` (one year at most),
  ``energy_kwh``, ``cpu_cores`` and ``gpus`` for the counts, ``year`` for the year of a timestamp.
- every row names a country the factor base knows: without one, CodeCarbon used its world
  average (a constant of the factor base, ``codecarbon_world_carbon_intensity``).
- a run of 0 kWh is accepted (a very short run really measures 0).
- a negative energy component (``cpu_energy``, ``gpu_energy``, ``ram_energy``; CodeCarbon 2.7 on
  Windows writes a negative ``gpu_energy``) is refused, not counted as 0: it is physically
  impossible, so the counter was broken, the component's real energy is unknown and the
  ``energy_consumed`` that includes it is wrong too. Counting it as 0 would be a silent
  under-estimate in a regulatory report. The message says what to do: measure again, or, if
  the component was not used, write 0 and correct ``energy_consumed``; an ``energy_consumed``
  below the sum of its components is refused as inconsistent. (The live tracker follows the
  same rule: ``tracker``.)

Must not: treat the file's name or cells as a path or as code, or write anything when one row is
refused.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from pathlib import Path

import pandas as pd

from core.errors import InputError, Problem
from emission_factors.schema import read_input_bounds
from footprint.factors import FactorBase
from footprint.io.cells import AmbiguousNumber, is_missing, parse_number
from footprint.io.formatting import format_number
from footprint.io.tabular import read_table
from footprint.measurement.runs import (
    COMPONENTS,
    NO_SERVICE,
    check_country,
    declaration_id,
    measured_declarations,
    our_co2e,
)
from footprint.store import Store
from footprint.vocabulary import year_problem

REQUIRED_COLUMNS = ("timestamp", "project_name", "run_id", "duration", "emissions", "energy_consumed",
                    "country_iso_code")
NUMERIC_COLUMNS = ("duration", "energy_consumed", "emissions", "cpu_energy", "gpu_energy", "ram_energy",
                   "cpu_count", "gpu_count")
# The bound of schema.toml [inputs] that each count of an emissions.csv must respect.
COUNT_BOUNDS = {"cpu_count": ("cpu_cores", "nombre de cœurs de processeur"), "gpu_count": ("gpus", "nombre de GPU")}
# energy_consumed is the sum of the components (times the PUE, at least 1); below that sum by
# more than a spreadsheet's rounding of the cells, the file has been edited inconsistently.
SUM_TOLERANCE = 1e-3
# The unit CodeCarbon states its world average in (its carbon_intensity_per_source.json).
WORLD_UNIT = "gCO2e/kWh"

TIMESTAMP_FORMATS = ("attendu AAAA-MM-JJTHH:MM:SS (le format de CodeCarbon) ou JJ/MM/AAAA HH:MM[:SS] "
                     "(jour/mois/année, celui d'Excel en français)")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]|$)")
_SLASHED_DATE = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d+)"
                           r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?)?$")


def _local_to_utc(moment: pd.Timestamp) -> pd.Timestamp:
    """A naive local time of this machine (daylight saving included) as UTC."""
    seconds = time.mktime(moment.to_pydatetime().timetuple())
    return pd.Timestamp(seconds, unit="s", tz="UTC") + pd.Timedelta(microseconds=moment.microsecond)


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
    table = read_table(path, name=file_name)
    file = table.file_name
    header = [str(h).strip() for h in table.header]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputError.single(f"ce n'est pas un fichier emissions.csv de CodeCarbon : colonne(s) manquante(s) "
                                f"{', '.join(missing)}", file=file, line=1)
    # Cells past the end of a short row are absent (None), never NaN.
    rows = [dict(zip(header, cells)) | {"_line": line} for line, cells in table.rows]
    if not rows:
        raise InputError.single("aucune mesure : le fichier n'a qu'une ligne d'en-tête", file=file)
    checks = _RowChecks(file, table.decimal, factors, check_country(country, factors) if country else None)
    for row in rows:
        checks.read(row)
    if checks.problems:
        raise InputError(checks.problems[:50])
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
        energy, duration = numbers["energy_consumed"], numbers["duration"]
        runs.append({
            "run_id": run_id, "name": run_name, "service": service or NO_SERVICE,
            "year": run_year, "declaration_id": declaration or declaration_id(run_name, run_year, code),
            "country_iso_code": code, "started_at": ended - pd.Timedelta(seconds=duration), "ended_at": ended,
            "duration_s": duration, "energy_kwh": energy, "cpu_energy_kwh": numbers.get("cpu_energy"),
            "gpu_energy_kwh": numbers.get("gpu_energy"), "ram_energy_kwh": numbers.get("ram_energy"),
            "codecarbon_kgco2e": numbers["emissions"]} | our_co2e(energy, code, run_year, factors) | {
            "cpu_model": _cell_text(row.get("cpu_model")) or None, "cpu_count": numbers.get("cpu_count"),
            "gpu_model": _cell_text(row.get("gpu_model")) or None, "gpu_count": numbers.get("gpu_count"),
            "tracking_mode": _cell_text(row.get("tracking_mode")) or None,
            "codecarbon_version": _cell_text(row.get("codecarbon_version")) or None, "status": "complet",
            "origin": f"import:{file}"} | (work or {}))
    runs_frame = pd.DataFrame(runs)
    return store.save_measurements(runs_frame, measured_declarations(runs_frame, store))


class _RowChecks:
    """The rules of the module docstring, row by row: ``read`` adds to each row its country
    (``_code``), run id, numbers and moment in UTC, and to ``problems`` what it refuses."""

    def __init__(self, file: str, decimal: str | None, factors: FactorBase, expected: str | None):
        self.file, self.decimal, self.expected = file, decimal, expected
        self.known = set(factors.zones())
        self.world = factors.constant("codecarbon_world_carbon_intensity")
        self.bounds = read_input_bounds()
        self.problems: list[Problem] = []

    def bad(self, row: dict, column: str, message: str) -> None:
        self.problems.append(Problem(message, file=self.file, line=row["_line"], column=column,
                                     value=row.get(column)))

    def read(self, row: dict) -> None:
        row["_code"] = _cell_text(row.get("country_iso_code")).upper()
        row["_run_id"] = _cell_text(row.get("run_id"))
        if row["_code"] not in self.known:
            self.bad(row, "country_iso_code", "pays absent ou inconnu : une mesure sans pays aurait la moyenne "
                     f"mondiale de CodeCarbon ({format_number(self.world.m_as(WORLD_UNIT))} {WORLD_UNIT})")
        elif self.expected and row["_code"] != self.expected:
            self.bad(row, "country_iso_code", f"pays différent de celui déclaré ({self.expected})")
        if not row["_run_id"]:
            self.bad(row, "run_id", "identifiant d'exécution (run_id) manquant")
        numbers = row["_numbers"] = {}
        for column in NUMERIC_COLUMNS:
            try:
                numbers[column] = _cell_number(row.get(column), self.decimal)
            except ValueError as error:
                self.bad(row, column, _number_message(error))
        self._check_numbers(row, numbers)
        try:
            moment = _read_timestamp(row.get("timestamp"))
        except ValueError as error:
            self.bad(row, "timestamp", str(error))
            return
        problem = year_problem(moment.year)
        if problem:
            self.bad(row, "timestamp", f"horodatage invraisemblable : {problem}")
            return
        # CodeCarbon writes local time without a time zone: read it as this machine's local time.
        row["_moment"] = _local_to_utc(moment) if moment.tzinfo is None else moment.tz_convert("UTC")

    def _check_numbers(self, row: dict, numbers: dict[str, float | None]) -> None:
        energy_bound, duration_bound = self.bounds["energy_kwh"], self.bounds["duration_s"]
        for column in ("duration", "energy_consumed", "emissions"):
            if column in numbers and (numbers[column] is None or numbers[column] < 0):
                self.bad(row, column, "valeur absente ou négative")
        duration = numbers.get("duration")
        if duration is not None and duration > duration_bound.maximum:
            self.bad(row, "duration", f"durée invraisemblable pour une mesure : au plus "
                                      f"{format_number(duration_bound.maximum)} s (un an) ; des millisecondes "
                                      "écrites comme des secondes ?")
        for column in ("energy_consumed", *COMPONENTS):
            value = numbers.get(column)
            if value is not None and value > energy_bound.maximum:
                self.bad(row, column, f"énergie invraisemblable (attendue entre 0 et "
                                      f"{format_number(energy_bound.maximum)} kWh)")
        for column, label in COMPONENTS.items():
            if (numbers.get(column) or 0) < 0:
                self.bad(row, column, f"énergie {label} négative, physiquement impossible : le compteur était "
                                      "défaillant (défaut connu de CodeCarbon 2.7 sous Windows pour le GPU). L'énergie "
                                      "réelle de ce composant est inconnue, et energy_consumed, qui l'inclut, est faux "
                                      "aussi : la mesure n'est pas importée (la compter pour 0 la sous-estimerait sans "
                                      "le dire). Refaites-la avec une version récente de CodeCarbon (python -m "
                                      "footprint measure) ; ou, si ce composant n'a pas servi, écrivez 0 dans cette "
                                      "cellule et corrigez energy_consumed (somme de cpu_energy, gpu_energy et "
                                      "ram_energy)")
        parts = [numbers.get(column) for column in COMPONENTS]
        energy = numbers.get("energy_consumed")
        if energy is not None and all(part is not None and part >= 0 for part in parts):
            total = sum(parts)
            if energy < total * (1 - SUM_TOLERANCE) - 1e-12:
                self.bad(row, "energy_consumed", f"énergie totale inférieure à la somme de cpu_energy, gpu_energy "
                                                 f"et ram_energy ({format_number(total)} kWh) : fichier incohérent, "
                                                 "corrigez energy_consumed")
        for column, (bound_name, label) in COUNT_BOUNDS.items():
            value, bound = numbers.get(column), self.bounds[bound_name]
            if value is not None and not (bound.minimum <= value <= bound.maximum and value.is_integer()):
                self.bad(row, column, f"{label} invraisemblable (entier attendu entre {format_number(bound.minimum)} "
                                      f"et {format_number(bound.maximum)})")
