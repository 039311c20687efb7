"""Benchmark of reading spreadsheets: time and peak memory of a generated XLSX of 200,000 rows
(about 5 MB) read by calamine (``footprint.io.tabular.read_table``, what the imports use) and, as
the baseline measured in the same run, by openpyxl in read-only mode (what they used before);
then what a declarations import of that file costs (refused at its row limit) and of a
20,000-row file (accepted). Each figure comes from a fresh process, so that peak memory is the
reader's own. Prints figures; asserts nothing.

Usage: ``.venv/bin/python bench/spreadsheet.py [--rows 200000] [--runs 3]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from footprint.io.formatting import format_number as fr  # noqa: E402

HEADER = ["annee", "service", "cas_usage", "type", "fournisseur", "modele", "agents", "requetes_par_agent_par_jour"]

# Each reader runs in its own process and prints {"seconds", "peak_mb", "rows" or "refused"}.
READERS = {
    "calamine": """
from footprint.io.tabular import read_table
table = read_table(PATH)
result = {"rows": len(table.rows)}""",
    "openpyxl": """
from openpyxl import load_workbook
workbook = load_workbook(PATH, read_only=True, data_only=True)
rows = sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True)) - 1
workbook.close()
result = {"rows": rows}""",
    "declarations": """
from core.errors import InputError
from footprint.inventory.declarations import read_declarations
from footprint.factors import FactorBase
factors = FactorBase.load()
start = time.perf_counter()
try:
    result = {"rows": len(read_declarations(PATH, factors))}
except InputError as error:
    result = {"refused": str(error)}""",
}
RUNNER = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
PATH = {path!r}
start = time.perf_counter()
{body}
result["seconds"] = time.perf_counter() - start
result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(result))
"""


def generate(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Déclarations")
    sheet.append(HEADER)
    for i in range(rows):
        sheet.append([2025, f"Service {i % 40}", "redaction_courrier", "llm", "openai", "gpt-4o", 10 + i % 90, 5])
    workbook.save(path)


def run(reader: str, path: Path) -> dict:
    code = RUNNER.format(root=str(ROOT), path=str(path), body=READERS[reader])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary(reader: str, path: Path, runs: int) -> dict:
    results = [run(reader, path) for _ in range(runs)]
    seconds = [r["seconds"] for r in results]
    return results[-1] | {"median": statistics.median(seconds), "best": min(seconds),
                          "peak": max(r["peak_mb"] for r in results)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        big, small = Path(folder) / "grand.xlsx", Path(folder) / "inventaire.xlsx"
        generate(big, args.rows)
        generate(small, 20_000)
        print(f"Classeur de {fr(args.rows)} lignes ({fr(big.stat().st_size / 1e6)} Mo), {args.runs} passes par "
              "lecteur, chacune dans un processus neuf :")
        found = {reader: summary(reader, big, args.runs) for reader in ("openpyxl", "calamine")}
        for reader, label in (("openpyxl", "openpyxl (lecture seule, avant)"), ("calamine", "calamine (maintenant)")):
            r = found[reader]
            print(f"  {label} : {fr(r['rows'])} lignes lues, médiane {fr(r['median'])} s (meilleure "
                  f"{fr(r['best'])} s), pic de mémoire du processus {fr(r['peak'])} Mo")
        ratio = found["openpyxl"]["median"] / found["calamine"]["median"]
        print(f"  calamine est {fr(ratio)} fois plus rapide que openpyxl sur ce fichier")
        refused = summary("declarations", big, args.runs)
        print(f"Import de déclarations de ce classeur : refusé en {fr(refused['median'])} s (médiane), pic "
              f"{fr(refused['peak'])} Mo : « {refused.get('refused', '?')} »")
        accepted = summary("declarations", small, args.runs)
        print(f"Import d'un inventaire de 20 000 lignes ({fr(small.stat().st_size / 1e6)} Mo) : "
              f"{fr(accepted.get('rows', 0))} déclarations lues et vérifiées en {fr(accepted['median'])} s (médiane), "
              f"pic {fr(accepted['peak'])} Mo")


if __name__ == "__main__":
    main()
