"""Benchmark of the projection: 1,000 declarations x the three built-in scenarios x every year to
2030, with ranges, by service. Prints figures; asserts nothing.

The inventory's own impacts are computed first (they are what the dashboard already holds); the
projection then runs the engine once per model or hosting a scenario moves usage to, and one
vectorised pass over scenarios x years x declarations.

Usage: ``.venv/bin/python bench/scenarios.py [--declarations 1000] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from footprint.factors import FactorBase  # noqa: E402
from footprint.inventory import compute_inventory  # noqa: E402
from footprint.inventory.declarations import read_declarations  # noqa: E402
from footprint.io.formatting import format_number as fr  # noqa: E402
from footprint.store import Store  # noqa: E402
from scenarios.definitions import built_in_scenarios  # noqa: E402
from scenarios.projection import project  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    factors = FactorBase.load()
    example = read_declarations(ROOT / "examples" / "declarations.csv", factors)
    copies = -(-args.declarations // len(example))
    rng = np.random.default_rng(7)
    frame = pd.concat([example] * copies, ignore_index=True).head(args.declarations)
    frame["id"] = [f"B-{i:05d}" for i in range(len(frame))]
    frame["service"] = [f"Service {i % 25}" for i in range(len(frame))]
    for column in ("agents", "requests", "units", "hours", "energy_kwh"):
        frame[column] = frame[column] * rng.uniform(0.5, 2.0, len(frame))
    scenarios = built_in_scenarios()
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "bench.duckdb")
        store.save(frame)
        inventory = compute_inventory(store, factors, 2025)
        project(compute_inventory(store, factors, 2025), scenarios, factors)  # warm-up
        first = []
        for _ in range(args.repeat):
            fresh = compute_inventory(store, factors, 2025)
            start = time.perf_counter()
            project(fresh, scenarios, factors, to_year=2030).totals(by="service")
            first.append(time.perf_counter() - start)
        project(inventory, scenarios, factors)
        timings = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            projection = project(inventory, scenarios, factors, to_year=2030)
            projection.totals(by="service")
            timings.append(time.perf_counter() - start)
    print(f"Projection : {fr(len(frame))} déclarations × {len(scenarios)} scénarios × {len(projection.years)} années, "
          f"fourchettes comprises, totaux par service")
    print(f"  passe vectorisée (scénarios × années × déclarations, chiffres des modèles et hébergements cibles "
          f"déjà calculés) : médiane {fr(statistics.median(timings))} s, meilleur {fr(min(timings))} s "
          f"sur {args.repeat} passes")
    print(f"  première projection d'un inventaire (dont le moteur pour les 4 modèles et hébergements cibles) : "
          f"médiane {fr(statistics.median(first))} s, meilleur {fr(min(first))} s")


if __name__ == "__main__":
    main()
