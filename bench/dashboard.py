"""Benchmark of the dashboard's script time with 1,000 declarations in the store: the server's
first session on Synthèse (imports, factor base, inventory), the render after someone changed
the store (read again, inventory recomputed, as a new session would see it), the first render of
a year not computed yet, and reruns after widget changes (year picked in the sidebar, the kind
of the form, a scenario slider). Streamlit's AppTest runs the real app in this process; each figure is the script time
of one run: AppTest's wall time less its own cost on a one-line script (measured in the same
run and printed). Prints figures; asserts nothing.

Usage: ``.venv/bin/python bench/dashboard.py [--declarations 1000] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from footprint.factors import FactorBase  # noqa: E402
from footprint.inventory.declarations import read_declarations  # noqa: E402
from footprint.io.formatting import format_number as fr  # noqa: E402
from footprint.store import Store  # noqa: E402


def _declarations(count: int, folder: Path) -> Path:
    """``count`` declarations over two years, made of the example's rows with varied volumes."""
    example = pd.read_csv(ROOT / "examples" / "inventaire-exemple.csv", sep=";", dtype=str, encoding="utf-8-sig")
    rows = example.sample(count, replace=True, random_state=7).reset_index(drop=True)
    generator = np.random.default_rng(7)
    rows["annee"] = np.where(np.arange(count) % 2 == 0, "2025", "2024")
    rows["service"] = [f"Service {i % 40:02d}" for i in range(count)]
    for column in ("agents", "requetes", "unites", "heures"):
        numbers = pd.to_numeric(rows[column], errors="coerce")
        rows[column] = (numbers * generator.uniform(0.2, 3.0, count)).round().astype("Int64").astype("string")
    rows["origine"] = "banc"
    path = folder / "bench.csv"
    rows.to_csv(path, sep=";", index=False)
    return path


def _timed(app) -> float:
    """Wall time of one script run driven by AppTest, less AppTest's own cost for a trivial
    script measured in the same process (``BASELINE``)."""
    start = time.perf_counter()
    app.run()
    elapsed = time.perf_counter() - start
    assert not app.exception, [e.value for e in app.exception]
    return max(elapsed - BASELINE.get(id(app), BASELINE.get("rerun", 0.0)), 0.0)


BASELINE: dict = {}


def _baseline(repeat: int) -> None:
    """AppTest's own cost: a first run of a new AppTest (it scans the installed packages for
    components) and a rerun, on a one-line script."""
    from streamlit.testing.v1 import AppTest

    firsts, reruns = [], []
    for _ in range(repeat):
        trivial = AppTest.from_string("import streamlit as st\nst.write('ok')")
        start = time.perf_counter()
        trivial.run()
        firsts.append(time.perf_counter() - start)
        start = time.perf_counter()
        trivial.run()
        reruns.append(time.perf_counter() - start)
    BASELINE.update(first=statistics.median(firsts), rerun=statistics.median(reruns))
    print(f"Coût propre d'AppTest (script d'une ligne), retranché : premier passage {BASELINE['first'] * 1000:.0f} ms, "
          f"relance {BASELINE['rerun'] * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    os.environ["FOOTPRINT_DB"] = str(folder / "footprint.duckdb")
    factors = FactorBase.load()
    store = Store(os.environ["FOOTPRINT_DB"])
    frame = read_declarations(_declarations(args.declarations, folder), factors)
    store.save(frame, action="import")
    print(f"Base : {fr(len(store.declarations()))} déclarations (2024 et 2025), {os.environ['FOOTPRINT_DB']}")

    from streamlit.testing.v1 import AppTest

    _baseline(args.repeat)
    # The server's first session imports Streamlit's elements, Plotly and the pages, loads the
    # factor base, reads the store and computes the inventory of the latest year.
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    BASELINE[id(app)] = BASELINE["first"]
    first = _timed(app)
    del BASELINE[id(app)]  # later runs of this AppTest are reruns
    print(f"Synthèse, première session du serveur (imports, base de facteurs, inventaire 2025 calculé) : "
          f"{first * 1000:.0f} ms")
    figures: dict[str, list[float]] = {}

    def measure(label: str, action) -> None:
        figures.setdefault(label, []).append(action())

    for _ in range(args.repeat):
        measure("Synthèse, relance sans changement", lambda: _timed(app))
    # Someone else (another session, the command line) changes a declaration: the next render
    # reads the store again and computes the inventory anew, as a new session would.
    changed = store.declarations(year=2025).head(1)
    for agents in range(args.repeat):
        store.save(changed.assign(agents=float(agents + 1)), action="saisie")
        measure("Synthèse, après une modification de la base (inventaire recalculé)", lambda: _timed(app))
    # The first visit of 2024 computes its inventory; later switches find it cached.
    app.sidebar.selectbox[0].set_value(2024)
    print(f"Synthèse, premier passage à 2024 (inventaire 2024 calculé) : {_timed(app) * 1000:.0f} ms")
    for _ in range(args.repeat):
        for year in (2025, 2024):
            app.sidebar.selectbox[0].set_value(year)
            measure("Synthèse, année changée dans le menu", lambda: _timed(app))
    app.switch_page("app_pages/declarer.py")
    _timed(app)
    for _ in range(args.repeat):
        for kind in ("gpu", "llm"):
            app.radio(key="form_kind").set_value(kind)
            measure("Déclarer, type d'usage changé", lambda: _timed(app))
    app.switch_page("app_pages/scenarios.py")
    print(f"Scénarios 2030, premier affichage (projection des 3 scénarios) : {_timed(app) * 1000:.0f} ms")
    slider = next(s for s in app.slider if s.key and s.key.endswith("volume_growth"))
    for value in range(args.repeat):
        slider.set_value(float(value))
        measure("Scénarios 2030, curseur déplacé", lambda: _timed(app))
    print(f"Relance après un changement de widget, médiane (min–max) sur {args.repeat} à {2 * args.repeat} relances :")
    for label, values in figures.items():
        print(f"  {label:<66} {statistics.median(values) * 1000:6.0f} ms ({min(values) * 1000:.0f}–"
              f"{max(values) * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
