"""The collectivité's profile: its name, SIREN, population, head-count, its latest BEGES and
territorial totals and its PCAET target, set once and changed rarely.

Owns: the ``authority_profile`` table's rows: one row per change, never updated nor deleted (the
latest row holds; the earlier ones are its history, with who and when). Every function here
takes an open connection: ``Store`` opens it (``connection``).

Must not: check a value (``footprint.inventory.authority`` does) or compute anything with it.
"""

from __future__ import annotations

import duckdb
import pandas as pd

# The columns of a profile, in the table's order (without who and when).
COLUMNS = ("name", "siren", "population", "agents", "beges_tco2e", "beges_year", "territory_tco2e",
           "territory_year", "target_reduction_pct", "target_year")


def current(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The profile now (its latest row, with ``saved_at`` and ``saved_by``), or None when none was set."""
    found = con.execute("SELECT * FROM authority_profile ORDER BY saved_at DESC, rowid DESC LIMIT 1").df()
    if found.empty:
        return None
    return {key: (None if pd.isna(value) else value) for key, value in found.iloc[0].to_dict().items()}


def history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every version of the profile, oldest first."""
    return con.execute("SELECT * FROM authority_profile ORDER BY saved_at, rowid").df()


def save(con: duckdb.DuckDBPyConnection, values: dict, user: str) -> bool:
    """``Store.save_authority_profile`` inside an open transaction; False when the profile already
    holds exactly these values (nothing written)."""
    held = current(con)
    row = [values.get(column) for column in COLUMNS]
    if held is not None and [held.get(column) for column in COLUMNS] == row:
        return False
    con.execute(f"INSERT INTO authority_profile ({', '.join(COLUMNS)}, saved_at, saved_by) "
                f"VALUES ({', '.join('?' for _ in COLUMNS)}, now(), ?)", [*row, user])
    return True
