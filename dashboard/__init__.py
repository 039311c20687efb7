"""The dashboard's library: what each page shows, computed without Streamlit (``views``,
``example``), and the thin Streamlit glue that caches the factor base, the store handle and
the inventory (``state``). Pages in ``app_pages/`` only build widgets and call these functions.

Dependencies point down: ``pages → dashboard → scenarios → footprint → emission_factors``.
"""
