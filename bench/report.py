"""Benchmark of the printable report on the example inventory (the dashboard's first start) with a
collectivité's profile and the three built-in scenarios: the first report of a process (the PDF
and chart libraries imported, the fonts registered, the projection's alternatives computed), then
the next ones, and the parts of a report (projection, recommendations, charts, layout). Prints
figures; asserts nothing.

Usage: ``.venv/bin/python bench/report.py [--repeat 3] [--out rapport-exemple.pdf]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.example import AUTHORITY, create_example  # noqa: E402
from footprint.factors import FactorBase  # noqa: E402
from footprint.inventory import compute_inventory  # noqa: E402
from footprint.inventory.authority import check_profile  # noqa: E402
from footprint.io.formatting import format_number as fr  # noqa: E402
from footprint.reporting.report_pdf import render_pdf  # noqa: E402
from footprint.store import Store  # noqa: E402
from scenarios.definitions import built_in_scenarios  # noqa: E402
from scenarios.projection import project  # noqa: E402
from scenarios.recommendations import recommend  # noqa: E402
from scenarios.report import build_report, report_content  # noqa: E402

# The example's fictional agglomération (dashboard/example.py): a plausible profile for the bench.
PROFILE = {"nom": AUTHORITY, "population": "102 000", "agents": "1 450", "beges_tco2e": "18 500",
           "annee_beges": "2024", "objectif_baisse_pct": "30", "annee_objectif": "2030"}
DATE = "2026-03-15"


def _seconds(run) -> tuple[float, object]:
    start = time.perf_counter()
    value = run()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", help="write the last report there")
    args = parser.parse_args()
    factors = FactorBase.load()
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "bench.duckdb", create=True)
        create_example(store, factors)
        profile = check_profile(PROFILE)
        scenarios = built_in_scenarios()
        inventory = compute_inventory(store, factors, 2025)
        first, data = _seconds(lambda: build_report(inventory, scenarios, factors, profile, DATE))
        again = [_seconds(lambda: build_report(inventory, scenarios, factors, profile, DATE))[0]
                 for _ in range(args.repeat)]
        projection_s, _ = _seconds(lambda: project(inventory, scenarios, factors))
        recommend_s, found = _seconds(lambda: recommend(inventory, factors))
        content_s, content = _seconds(lambda: report_content(inventory, scenarios, factors, profile, DATE,
                                                              recommendations=found))
        render_s, _ = _seconds(lambda: render_pdf(content))
    print(f"Rapport de l'exemple ({len(inventory.declarations)} déclarations, {len(scenarios)} scénarios) : "
          f"{fr(len(data) / 1000)} ko")
    print(f"  premier rapport du processus : {fr(first)} s")
    print(f"  rapports suivants (médiane de {args.repeat}) : {fr(statistics.median(again))} s")
    print(f"  dont projection {fr(projection_s)} s, recommandations {fr(recommend_s)} s, contenu et graphiques "
          f"(recommandations données) {fr(content_s)} s, mise en page PDF {fr(render_s)} s")
    if args.out:
        Path(args.out).write_bytes(data)
        print(f"  écrit : {args.out}")


if __name__ == "__main__":
    main()
