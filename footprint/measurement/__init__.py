"""Measured energy: CodeCarbon around a block of code (``tracker``) or a command (``command``),
the import of its ``emissions.csv`` files (``emissions_file``), what every run gets before the
store keeps it (``runs``) and the comparison with the estimates (``calibration``)."""

from core.errors import MeasurementError
from footprint.measurement.calibration import calibration
from footprint.measurement.command import STOP_GRACE_S, run_command
from footprint.measurement.emissions_file import import_emissions
from footprint.measurement.tracker import Measurement

__all__ = ["STOP_GRACE_S", "Measurement", "MeasurementError", "calibration", "import_emissions", "run_command"]
