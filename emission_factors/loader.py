"""Load the factor base (the CSV tables of this folder) into DuckDB, all or nothing, and give its
version (a short hash of the files) that every result carries.

The work is split in three rooms: ``schema`` reads ``schema.toml`` (tables, parameters, physical
and plausible bounds, input bounds, defaults), ``checks`` checks every row of the CSV files, and
this module writes the checked tables (long ``factor_*`` tables with unit, source and link, and
wide tables in canonical units for the engine's joins).

Must not: compute any impact (that is ``footprint``), or hold any factor in code.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from core.errors import InputError, Problem
from emission_factors.checks import check_defaults, check_references, check_table
from emission_factors.schema import (
    FACTOR_DIR,
    SCHEMA_FILE,
    TableSpec,
    read_schema,
)


@dataclass(frozen=True)
class FactorBaseInfo:
    """What ``load_factor_base`` loaded: its version and the tables, by name."""

    version: str
    tables: dict[str, TableSpec]
    directory: Path


def factor_base_version(directory: Path = FACTOR_DIR) -> str:
    """A short hash of the schema and every CSV file of the factor base (name and bytes)."""
    digest = hashlib.sha256()
    for path in sorted([directory / SCHEMA_FILE, *directory.glob("*.csv")], key=lambda p: p.name):
        digest.update(path.name.encode())
        digest.update(b"\0")
        # Line endings normalised: a Windows checkout (CRLF) has the same version as a Linux one.
        digest.update(path.read_bytes().replace(b"\r\n", b"\n"))
    return digest.hexdigest()[:12]


def _write_table(con: duckdb.DuckDBPyConnection, spec: TableSpec, records: list[dict]) -> None:
    if spec.is_catalogue:
        columns = spec.keys + spec.columns + ["file", "line"]
        types = [pa.string()] * (len(columns) - 1) + [pa.int32()]
    else:
        columns = [k for k in spec.keys if k != "year"] + spec.attributes + [
            "parameter", "value", "unit", "canonical_value", "canonical_unit", "year", "source", "source_url",
            "note", "file", "line"]
        types = [pa.string()] * (len(columns) - 11) + [
            pa.string(), pa.float64(), pa.string(), pa.float64(), pa.string(), pa.int32(), pa.string(), pa.string(),
            pa.string(), pa.string(), pa.int32()]
    arrow = pa.table({c: pa.array([r[c] for r in records], type=t) for c, t in zip(columns, types)})
    table_name = f"factor_{spec.name}" if not spec.is_catalogue else spec.name
    con.register("_incoming", arrow)
    con.execute(f'CREATE OR REPLACE TABLE "{table_name}" AS SELECT * FROM _incoming')
    con.unregister("_incoming")
    if not spec.is_catalogue:
        _write_wide_table(con, spec)


def _write_wide_table(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    """One row per entity, one column per parameter (in its canonical unit), for the engine's joins."""
    group = spec.keys + spec.attributes
    pivots = ", ".join(
        f"max(canonical_value) FILTER (WHERE parameter = '{p}') AS \"{p}\"" for p in spec.parameters)
    group_sql = ", ".join(f'"{c}"' for c in group)
    select_group = group_sql + ", " if group else ""
    group_by = f"GROUP BY {group_sql}" if group else ""
    con.execute(f'CREATE OR REPLACE TABLE "{spec.name}" AS '
                f'SELECT {select_group}{pivots} FROM "factor_{spec.name}" {group_by}')


def load_factor_base(con: duckdb.DuckDBPyConnection, directory: Path = FACTOR_DIR) -> FactorBaseInfo:
    """Validate every table of the factor base and write it into ``con``, all or nothing.

    Returns the version and table specs. Raises ``InputError`` listing every bad row (file,
    line, column, French reason); nothing is written in that case.
    """
    tables = read_schema(directory)
    problems: list[Problem] = []
    checked = {name: check_table(spec, directory, problems) for name, spec in tables.items()}
    problems += check_references(tables, checked)
    problems += check_defaults(directory, checked)
    if problems:
        raise InputError(problems)
    version = factor_base_version(directory)
    con.execute("BEGIN TRANSACTION")
    try:
        for name, spec in tables.items():
            _write_table(con, spec, checked[name])
        con.execute("CREATE OR REPLACE TABLE factor_base_meta AS SELECT ? AS version", [version])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return FactorBaseInfo(version=version, tables=tables, directory=directory)
