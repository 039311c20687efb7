"""Benchmark of the usage-log import: a generated 1,000,000-row CSV log and a 10,000,000-row
Parquet log, each read by DuckDB, aggregated by month x service x model into declarations,
checked, saved in a fresh store and their impacts computed. Prints figures; asserts nothing.

Usage: ``.venv/bin/python bench/usage_import.py [--csv-rows 1000000] [--parquet-rows 10000000]``
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from footprint.factors import FactorBase  # noqa: E402
from footprint.inventory.usage_logs import import_usage  # noqa: E402
from footprint.io.formatting import format_number as fr  # noqa: E402
from footprint.store import Store  # noqa: E402

MODELS = [("openai", "gpt-4o"), ("openai", "gpt-4o-mini"), ("mistralai", "mistral-large-latest"),
          ("mistralai", "mistral-small-latest"), ("anthropic", "claude-sonnet-4-5"),
          ("google_genai", "gemini-2.5-flash"), ("mistralai", "codestral-latest")]
SERVICES = ["DRH", "DGS", "Relation usagers", "Assemblées", "DSI", "Urbanisme", "Finances", "Culture"]


def generate(path: Path, rows: int) -> None:
    """A synthetic log, one row per request over 2025, written by DuckDB."""
    models = ", ".join(f"('{p}', '{m}')" for p, m in MODELS)
    services = ", ".join(f"'{s}'" for s in SERVICES)
    fmt = "(FORMAT parquet)" if path.suffix == ".parquet" else "(HEADER, DELIMITER ',')"
    duckdb.sql(f"""
        COPY (
          SELECT TIMESTAMP '2025-01-01' + to_seconds(CAST(hash(i) % 31536000 AS BIGINT)) AS timestamp,
                 m.p AS provider, m.m AS model,
                 CAST(50 + hash(i * 7) % 4000 AS INTEGER) AS input_tokens,
                 CAST(20 + hash(i * 13) % 1500 AS INTEGER) AS output_tokens,
                 ([{services}])[1 + CAST(hash(i * 3) % {len(SERVICES)} AS INTEGER)] AS service
          FROM range({rows}) t(i)
          JOIN (SELECT row_number() OVER () - 1 AS k, p, m FROM (VALUES {models}) v(p, m)) m
            ON m.k = hash(i * 5) % {len(MODELS)}
        ) TO '{path}' {fmt}""")


def measure(path: Path, factors: FactorBase, work: Path) -> tuple[float, int]:
    store = Store(work / f"{path.stem}.duckdb")
    start = time.perf_counter()
    done = import_usage(path, store, factors)
    return time.perf_counter() - start, len(done.declarations)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--parquet-rows", type=int, default=10_000_000)
    args = parser.parse_args()
    factors = FactorBase.load()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        csv_path, parquet_path = work / "usage.csv", work / "usage.parquet"
        generate(csv_path, args.csv_rows)
        generate(parquet_path, args.parquet_rows)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        for path, rows in ((csv_path, args.csv_rows), (parquet_path, args.parquet_rows)):
            seconds, declarations = measure(path, factors, work)
            size = path.stat().st_size / 1e6
            print(f"{path.suffix[1:].upper()} : {fr(rows)} lignes ({fr(size)} Mo) → {declarations} déclarations "
                  f"mensuelles, importées et calculées en {fr(seconds)} s ({fr(rows / seconds)} lignes/s)")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"Mémoire : pic du processus {fr(peak)} Mo (dont {fr(rss_before)} Mo avant les imports : "
              "génération des fichiers et base de facteurs)")


if __name__ == "__main__":
    main()
