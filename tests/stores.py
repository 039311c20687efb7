"""Stores for the tests that drive the command line: the command line creates a store only where
it is told to (``--create``), so a test that starts from nothing makes its store first, as an
administrator would; the example inventory, imported by the command line itself; and a DuckDB
file of another application, which no command may take for a store."""

import subprocess
import sys
from pathlib import Path

import duckdb

from footprint.store import Store

ROOT = Path(__file__).resolve().parents[1]


def new_store(path: Path) -> str:
    """Create an empty Empreinte IA store at ``path``; returns the path as the CLI takes it."""
    Store(path, create=True).schema_version()
    return str(path)


def example_store(path: Path) -> Path:
    """A store at ``path`` holding the example declarations, imported by ``python -m footprint``."""
    done = subprocess.run([sys.executable, "-m", "footprint", "declarations", "import", "examples/declarations.csv",
                           "--db", str(path), "--create"], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return path


def foreign_duckdb(path: Path, table_sql: str) -> bytes:
    """A DuckDB file of another application at ``path`` (one table made by ``table_sql``); its bytes."""
    con = duckdb.connect(str(path))
    con.execute(table_sql)
    con.close()
    return path.read_bytes()
