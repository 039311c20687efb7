"""The Journal page: who changed what in the store, and when, newest first, filtered by period,
person, kind and text; the table people read (French headers, French dates, every value a plain
text) and the CSV of the rows shown.

Must not: import Streamlit, read the tables itself (``footprint.store.journal``) or build the
file (``footprint.reporting.journal``); it writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

from footprint.io.formatting import format_number
from footprint.reporting.journal import HEADERS, journal_csv, shown_moments
from footprint.store import Store
from footprint.store import journal as journal_rows

__all__ = ["ALL_KINDS", "KINDS", "count_label", "empty_message", "journal_entries", "journal_file", "journal_table",
           "period_bounds"]

KINDS = journal_rows.KINDS
ALL_KINDS = "tous les types"


def period_bounds(picked: Sequence[date] | date | None) -> tuple[date | None, date | None]:
    """The first and last days of what the period picker holds: nothing (every day), one day
    (from that day on, while the second is being picked) or two (both included, in any order)."""
    if picked is None:
        return None, None
    if isinstance(picked, date):
        return picked, picked
    days = sorted(day for day in picked if day is not None)
    if not days:
        return None, None
    return (days[0], None) if len(days) == 1 else (days[0], days[-1])


def empty_message(period: Sequence[date] | date | None = None, who: str = "", kind: str | None = None,
                  text: str = "") -> str:
    """What the page says when the table is empty: nothing recorded yet, or nothing the filters keep."""
    filtered = period_bounds(period) != (None, None) or (who or "").strip() or (text or "").strip() or \
        kind not in (None, "", ALL_KINDS)
    return ("Aucune modification ne correspond à ces filtres." if filtered
            else "Aucune modification enregistrée pour l'instant : chaque enregistrement viendra s'inscrire ici.")


def journal_entries(store: Store, period: Sequence[date] | date | None = None, who: str = "",
                    kind: str | None = None, text: str = "") -> pd.DataFrame:
    """The changes the filters keep (``footprint.store.journal.entries``), newest first; ``kind``
    ``ALL_KINDS`` or empty for every kind."""
    since, until = period_bounds(period)
    return store.journal(since=since, until=until, who=(who or "").strip() or None,
                         kind=None if kind in (None, "", ALL_KINDS) else kind, text=(text or "").strip() or None)


def journal_table(entries: pd.DataFrame) -> pd.DataFrame:
    """The journal as people read it: French headers, dates as JJ/MM/AAAA HH:MM:SS, text as text."""
    table = entries.reindex(columns=list(HEADERS)).astype({c: object for c in list(HEADERS)[1:]})
    table["at"] = shown_moments(entries["at"]) if len(entries) else pd.Series(dtype=object)
    return table.rename(columns=HEADERS).reset_index(drop=True)


def journal_file(entries: pd.DataFrame) -> bytes:
    """The CSV of the rows shown (French, « ; », UTF-8 with BOM, formulas neutralised)."""
    return journal_csv(entries)


def count_label(entries: pd.DataFrame) -> str:
    """How many changes the table shows, the French way (« 12 345 modifications »)."""
    count = len(entries)
    return f"{format_number(count)} modification{'s' if count > 1 else ''}"
