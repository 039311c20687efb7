"""Declarations written for people: a CSV or XLSX file with the French headers, and the history
of a declaration as « nom : avant → après ».

Owns: the export of declarations (store columns) as a file that ``reading`` reads back (French
headers of ``footprint.vocabulary.FILE_COLUMNS``, kinds in their French codes), and how a stored
value is shown in a history. Must not: read the store itself (its caller passes the frames) or
open a file but through ``output_files`` (atomic, never through a link).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InputError
from footprint.io.cells import is_missing
from footprint.io.formatting import format_number
from footprint.io.output_files import write_file
from footprint.io.writing import csv_bytes, xlsx_bytes
from footprint.vocabulary import CONTENT_COLUMNS, FILE_COLUMNS, KINDS_FR


def export_declarations(frame: pd.DataFrame, path: Path | str, file_format: str | None = None,
                        separator: str = ";", decimal: str = ",", force: bool = False) -> Path:
    """Write declarations (store columns) to CSV or XLSX with the French columns; atomic, never
    through a link, an existing file replaced only with ``force`` (``output_files``)."""
    path = Path(path)
    file_format = (file_format or path.suffix.lstrip(".") or "csv").lower()
    header = list(FILE_COLUMNS.values())
    rows = []
    for record in frame.reindex(columns=list(FILE_COLUMNS)).to_dict("records"):
        row = []
        for column, value in record.items():
            if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
                row.append(None)
            elif column == "kind":
                row.append(KINDS_FR.get(value, value))
            elif column == "year":
                row.append(int(value))
            else:
                row.append(value.item() if hasattr(value, "item") else value)
        rows.append(row)
    if file_format == "xlsx":
        data = xlsx_bytes({"declarations": (header, rows)})
    elif file_format == "csv":
        data = csv_bytes(header, rows, separator=separator, decimal=decimal)
    else:
        raise InputError.single(f"format d'export inconnu « {file_format} » (attendus : csv, xlsx)")
    return write_file(path, data, force=force)


def shown_value(column: str, value: object) -> str:
    """A stored value as people read it in a history: « (vide) », oui/non, French kinds, numbers
    the French way with all their figures."""
    if is_missing(value):
        return "(vide)"
    if isinstance(value, bool | np.bool_):
        return "oui" if value else "non"
    if column == "kind":
        return KINDS_FR.get(value, value)
    if isinstance(value, float):
        return format_number(value, significant=12)
    return str(value)


def history_changes(history: pd.DataFrame, names: dict[str, str]) -> list[dict]:
    """Each version of ``history`` (``Store.history``, oldest first) with ``changes``: what differs
    from the previous version of the same declaration, as « nom : avant → après » (``names``: the
    column names to show, e.g. ``FRENCH_COLUMNS``)."""
    found, previous = [], {}
    for row in history.to_dict("records"):
        before = previous.get(row["id"])
        changes = []
        for column in CONTENT_COLUMNS if before is not None else ():
            old, new = shown_value(column, before[column]), shown_value(column, row[column])
            if old != new:
                changes.append(f"{names[column]} : {old} → {new}")
        found.append(row | {"changes": changes})
        previous[row["id"]] = row
    return found
