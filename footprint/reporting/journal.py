"""The journal of changes (``footprint.store.journal.entries``) as people and scripts read it: the
French CSV (« ; », UTF-8 with BOM, French headers, dates as JJ/MM/AAAA HH:MM:SS in the store's
time zone) and the records of its JSON (ISO 8601 moments, with their offset).

Owns: the French names of the journal's columns (``HEADERS``) and how a moment is written.
Every cell goes through ``footprint.io.writing.csv_bytes``, which neutralises text a spreadsheet
would run as a formula: a person's name or a file's name is data (« =HYPERLINK(…) » is written
« '=HYPERLINK(…) »).

Must not: read the store (its caller passes the frame) or write a file (``output_files``).
"""

from __future__ import annotations

import pandas as pd

from footprint.io.cells import is_missing
from footprint.io.writing import csv_bytes

# The journal's columns as people read them, and the keys of its JSON records.
HEADERS = {"at": "Date", "who": "Qui", "kind": "Type", "record": "Élément", "action": "Action", "detail": "Détail"}
JSON_KEYS = {"at": "date", "who": "qui", "kind": "type", "record": "element", "action": "action", "detail": "detail"}
MOMENT_FORMAT = "%d/%m/%Y %H:%M:%S"


def shown_moments(moments: pd.Series) -> pd.Series:
    """Each moment as a French reader writes it (« 02/12/2026 10:09:41 »), in the time zone the
    store's connection gave (the server's own); empty for none."""
    return pd.to_datetime(moments).dt.strftime(MOMENT_FORMAT).fillna("")


def _text(value: object) -> str | None:
    return None if is_missing(value) else str(value)


def journal_csv(frame: pd.DataFrame) -> bytes:
    """The journal (``entries``' columns) as a French CSV file, in the frame's order."""
    moments = shown_moments(frame["at"]) if len(frame) else pd.Series(dtype=object)
    rows = [[moment, *(_text(value) for value in values)]
            for moment, values in zip(moments, frame[list(HEADERS)[1:]].itertuples(index=False), strict=True)]
    return csv_bytes(list(HEADERS.values()), rows)


def journal_records(frame: pd.DataFrame) -> list[dict[str, str | None]]:
    """The journal as JSON records (keys of ``JSON_KEYS``; ``date`` in ISO 8601 with its offset)."""
    records = []
    for row in frame[list(HEADERS)].itertuples(index=False):
        moment = pd.Timestamp(row[0])
        records.append({JSON_KEYS["at"]: moment.isoformat()}
                       | {JSON_KEYS[column]: _text(value) for column, value in zip(list(HEADERS)[1:], row[1:],
                                                                                   strict=True)})
    return records
