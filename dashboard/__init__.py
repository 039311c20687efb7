"""The dashboard's library: what each page shows, computed without Streamlit (``views``, one
module per page, and ``example``), the Plotly figures (``charts``), and the thin Streamlit glue
that caches the factor base, the store handle and what is computed from them (``state``).

Pages in ``app_pages/`` only build widgets and call these functions: they import Streamlit,
pandas and ``dashboard``, never the library (an import-linter contract of ``pyproject.toml``).
Dependencies point down: ``pages → dashboard → scenarios → footprint → emission_factors → core``.
"""
