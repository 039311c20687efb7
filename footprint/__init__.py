"""Empreinte IA: the library that turns AI workloads into environmental impacts.

Layout: ``llm``, ``gpu`` and ``impacts`` hold the formulas (one function per quantity, arrays
in, arrays out, units through Pint); ``factor_base`` reads the sourced factors from DuckDB;
``engine`` joins a table of workloads with the factors and applies the formulas in one
vectorised pass; ``store``, ``declarations``, ``usage_logs`` and ``inventory`` keep and read the
collectivité's inventory; ``tabular`` reads and ``output_files`` writes the files people
exchange. The command line (``python -m footprint``) lives above the library, in ``cli``.
Nothing here imports streamlit, plotly or codecarbon at import time.
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
