"""Benchmark of the fixed cost of measuring: what ``measure`` adds to a job (tracker start and
stop, recording in the store), in process and for the whole command line. Prints figures;
asserts nothing.

Usage: ``.venv/bin/python bench/measure_overhead.py [--repeat 5]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from footprint.factors import FactorBase  # noqa: E402
from footprint.io.formatting import format_number as fr  # noqa: E402
from footprint.measurement import Measurement  # noqa: E402

TEN_MINUTES_S = 600


def in_process(factors: FactorBase, db: Path) -> float:
    start = time.perf_counter()
    with Measurement("banc-vide", year=2025, db=db, factors=factors):
        pass
    return time.perf_counter() - start


def command_line(db: Path, measured: bool) -> float:
    job = [sys.executable, "-c", "pass"]
    command = ([sys.executable, "-m", "footprint", "measure", "--name", "banc", "--year", "2025", "--db", str(db),
                "--", *job] if measured else job)
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    factors = FactorBase.load()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.duckdb"
        first = in_process(factors, db)  # first run: CodeCarbon's imports and hardware detection
        tracker = [in_process(factors, db) for _ in range(args.repeat)]
        bare = [command_line(db, measured=False) for _ in range(args.repeat)]
        measured = [command_line(db, measured=True) for _ in range(args.repeat)]
    fixed = statistics.median(tracker)
    cli = statistics.median(measured) - statistics.median(bare)
    print(f"Coût fixe du suivi dans le processus (démarrage et arrêt du traceur CodeCarbon, enregistrement) : "
          f"médiane {fr(fixed)} s sur {args.repeat} mesures (min {fr(min(tracker))} s, max {fr(max(tracker))} s), "
          f"soit {fr(100 * fixed / TEN_MINUTES_S)} % d'un traitement de 10 minutes")
    print(f"Premier suivi d'un processus (import de CodeCarbon et détection du matériel compris) : {fr(first)} s, "
          f"soit {fr(100 * first / TEN_MINUTES_S)} % d'un traitement de 10 minutes")
    print(f"Coût fixe de la commande « measure » complète (démarrage de Python, base de facteurs, traceur, "
          f"enregistrement) : médiane {fr(cli)} s, soit {fr(100 * cli / TEN_MINUTES_S)} % d'un traitement de "
          "10 minutes")


if __name__ == "__main__":
    main()
