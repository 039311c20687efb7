"""What several commands print alike: the French CSV of impact totals on the standard output
(one column per impact and end, decimal comma) and the counts of an import.

Must not: parse arguments, open a store or compute anything.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterable, Sequence

from footprint.vocabulary import ENDS_FR, IMPACT_COLUMNS_FR

# One cell's value: the impact's key and the end (low, central, high).
Value = Callable[[str, str], float]


def print_impacts_csv(lead: Sequence[str], rows: Iterable[tuple[Sequence[object], Value]]) -> None:
    """A French CSV (``;``, decimal comma) on stdout: the ``lead`` columns, then every impact
    at each end; each row gives its lead cells and how to read one impact at one end."""
    writer = csv.writer(sys.stdout, delimiter=";", lineterminator="\n")
    writer.writerow([*lead, *(f"{IMPACT_COLUMNS_FR[k]}_{ENDS_FR[e]}" for k in IMPACT_COLUMNS_FR for e in ENDS_FR)])
    for cells, value in rows:
        writer.writerow([*cells, *(format(value(k, e), ".10g").replace(".", ",")
                                   for k in IMPACT_COLUMNS_FR for e in ENDS_FR)])


def print_counts(counts: dict[str, int]) -> None:
    """What an import did: created, modified and unchanged declarations."""
    replaced = f", {counts['replaced']} remplacée(s) par celles-ci" if counts.get("replaced") else ""
    print(f"{counts['created']} déclaration(s) créée(s), {counts['modified']} modifiée(s), "
          f"{counts['unchanged']} inchangée(s){replaced}.")
