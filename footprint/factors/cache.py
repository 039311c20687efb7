"""The validated factor base kept on disk, so that a start skips the row-by-row validation of
the files: one DuckDB file per factor-base version (a hash of the files, so that any change to
a file changes the cache file too), in ``FOOTPRINT_CACHE`` or the user's cache folder.

Owns: opening the validated tables of a factor folder in a new in-memory DuckDB connection,
from the cache file when there is one, else validated by ``emission_factors.loader`` and then
written to the cache (under a temporary name, then renamed). A cache that cannot be read or
written changes nothing but the time a start takes.

Must not: validate rows itself (``emission_factors``), or build the lookups (``base``).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb

from emission_factors.loader import FactorBaseInfo, factor_base_version, load_factor_base
from emission_factors.schema import read_schema
from footprint.factors.connection import copy_tables


def _cache_folder() -> Path | None:
    """Where validated factor bases are cached (``FOOTPRINT_CACHE``, else the user's cache folder);
    None when caching is turned off (``FOOTPRINT_CACHE=off``)."""
    setting = os.environ.get("FOOTPRINT_CACHE")
    if setting == "off":
        return None
    if setting:
        return Path(setting)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "empreinte-ia"


def _copy_tables(cache: Path, con: duckdb.DuckDBPyConnection, into_memory: bool) -> bool:
    """Copy every table between the cache file and the in-memory database; False on any failure
    (then the factor base is simply validated and loaded from its files)."""
    try:
        con.execute(f"ATTACH '{cache}' AS cached" + (" (READ_ONLY)" if into_memory else ""))
        try:
            copy_tables(con, *(("cached", "memory") if into_memory else ("memory", "cached")))
        finally:
            con.execute("DETACH cached")
        return True
    except (duckdb.Error, OSError):
        return False


def _write_cache(con: duckdb.DuckDBPyConnection, cache: Path) -> None:
    """Write the validated tables to the cache file, under a temporary name then renamed."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache.with_name(f".{cache.name}.{uuid.uuid4().hex}.tmp")
        if _copy_tables(temporary, con, into_memory=False):
            os.replace(temporary, cache)
        else:
            temporary.unlink(missing_ok=True)
    except OSError:
        pass  # no writable cache: the next start validates again, nothing else changes


def open_validated(directory: Path) -> tuple[duckdb.DuckDBPyConnection, FactorBaseInfo]:
    """A new in-memory DuckDB connection holding the validated tables of ``directory``, and what
    they are. Raises ``InputError`` (French, every bad row) when the files do not validate."""
    con = duckdb.connect(":memory:")
    version = factor_base_version(directory)
    folder = _cache_folder()
    cache = folder / f"factor-base-{version}.duckdb" if folder is not None else None
    if cache is not None and cache.exists() and _copy_tables(cache, con, into_memory=True):
        return con, FactorBaseInfo(version=version, tables=read_schema(directory), directory=directory)
    info = load_factor_base(con, directory)
    if cache is not None:
        _write_cache(con, cache)
    return con, info
