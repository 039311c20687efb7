"""The measured runs in the store (CodeCarbon, one row per run) and the ``measured`` declarations
they feed.

Owns: the ``measurements`` table's rows (columns: ``schema.MEASUREMENT_COLUMNS``): a run is added
once (importing a file twice adds nothing), a run already recorded is replaced only by a longer
record of it, and each ``measured`` declaration's ``energy_kwh`` becomes the sum of its runs,
saved as a new version (``declarations.save``) in the same transaction. Every function here
takes an open connection: ``Store`` opens it (``connection``).

Must not: read CodeCarbon's files or run a measurement (``footprint.measurement``), or compute
impacts (``footprint.engine``).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from footprint.store import declarations
from footprint.store.schema import MEASUREMENT_COLUMNS


def runs_frame(runs: pd.DataFrame, user: str) -> pd.DataFrame:
    """The runs with the table's columns, stamped with who records them and when (now)."""
    frame = runs.reindex(columns=list(MEASUREMENT_COLUMNS)).copy()
    frame["recorded_by"] = user
    frame["recorded_at"] = pd.Timestamp.now(tz="UTC")
    return frame


def save(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, measured: pd.DataFrame, user: str) -> dict[str, int]:
    """``Store.save_measurements`` inside an open transaction; ``frame`` from ``runs_frame``,
    ``measured``: the declarations the runs belong to."""
    con.register("_runs", frame)
    columns = ", ".join(MEASUREMENT_COLUMNS)
    # A run already recorded is replaced only by a longer record of it (CodeCarbon's flush()
    # writes partial rows; the final one has the whole duration).
    longer = con.execute("""SELECT count(*) FROM _runs r JOIN measurements m USING (run_id)
        WHERE r.duration_s > m.duration_s""").fetchall()[0][0]
    con.execute("""DELETE FROM measurements WHERE run_id IN
        (SELECT r.run_id FROM _runs r JOIN measurements m USING (run_id) WHERE r.duration_s > m.duration_s)""")
    added = con.execute(f"""INSERT INTO measurements ({columns}) SELECT {columns} FROM _runs
        WHERE run_id NOT IN (SELECT run_id FROM measurements)""").fetchall()[0][0]
    added -= longer
    con.unregister("_runs")
    if not added and not longer:
        return {"runs": 0, "updated_runs": 0, "created": 0, "modified": 0, "unchanged": len(measured)}
    totals = dict(con.execute("SELECT declaration_id, sum(energy_kwh) FROM measurements "
                              "GROUP BY declaration_id").fetchall())
    updated = measured.copy()
    updated["energy_kwh"] = updated["id"].map(totals)
    counts, _ = declarations.save(con, updated, "mesure", None, user)
    return {"runs": int(added), "updated_runs": int(longer), **counts}


def listed(con: duckdb.DuckDBPyConnection, declaration_id: str | None) -> pd.DataFrame:
    """The runs of one declaration (or of all), in the order they started."""
    where, params = ("WHERE declaration_id = ?", [declaration_id]) if declaration_id else ("", [])
    return con.execute(f"SELECT * FROM measurements {where} ORDER BY started_at", params).df()
