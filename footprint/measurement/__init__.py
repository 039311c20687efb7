"""Measured energy: CodeCarbon around code or a command (``tracker``) and the import of its
emissions files."""

from footprint.measurement.tracker import (
    STOP_GRACE_S,
    Measurement,
    MeasurementError,
    calibration,
    import_emissions,
    run_command,
)

__all__ = ["STOP_GRACE_S", "Measurement", "MeasurementError", "calibration", "import_emissions", "run_command"]
