"""The factor base: sourced CSV tables, their schema (``schema.toml``, with physical bounds and
the defaults of the method) and the code that reads them (``schema``), checks every row
(``checks``) and loads them into DuckDB (``loader``, the entry point callers import from).
Nothing here computes an impact."""
