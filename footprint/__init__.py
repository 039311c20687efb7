"""Empreinte IA: the library that turns AI workloads into environmental impacts.

Rooms, bottom to top: ``vocabulary`` (every column of a declaration and every impact, declared
once); ``methods`` (the formulas: arrays in, arrays out, units through Pint), ``factors`` (the
sourced factor base in DuckDB and a collectivité's own values) and ``io`` (the files people
exchange); ``engine`` (workloads joined with the factors, the formulas applied in one vectorised
pass) and ``store`` (the collectivité's DuckDB file); ``inventory`` (declarations, usage logs,
totals) and ``measurement`` (CodeCarbon); ``reporting`` (PCAET and BEGES). Each sub-package's
``__init__`` names what it offers. The command line (``python -m footprint``) lives above the
library, in ``cli``. Nothing here imports streamlit, plotly or codecarbon at import time.
"""

__version__ = "0.1.0"


def measure(name: str, **options):
    """Measure a block of Python code with CodeCarbon and record it in the inventory::

        with footprint.measure("transcription-conseil", service="Assemblées"):
            transcribe(...)

    Also a decorator (``@footprint.measure("ocr")``). Options: ``service``, ``year``,
    ``country`` (FRA by default), ``declaration``, ``db``, ``tokens`` and ``model``, or
    ``units`` and ``task`` (calibration). See ``footprint.measurement``.
    """
    from footprint.measurement import Measurement  # CodeCarbon only when measuring

    return Measurement(name, **options)
