"""Writing the export: the CSV files (or one XLSX workbook) of the summary, the detail, the sources
and the indicators, and the note in Markdown and HTML.

Owns: the names of the files and sheets, the XLSX headers with their units (« emissions_tco2e
(tCO2e) »), and handing every file's bytes, built in memory first, to ``output_files``, which
writes them all or none (temporary names, then renamed; never through a link; existing files
replaced only with ``force``).

Must not: compute the tables (``summary``) or the note (``note``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from footprint.io.output_files import write_files
from footprint.io.writing import csv_bytes, xlsx_bytes
from footprint.reporting.markdown import note_html
from footprint.reporting.summary import EXPORT_UNITS


@dataclass
class Export:
    """Everything an export holds: its four tables and its note (Markdown)."""

    summary: pd.DataFrame
    detail: pd.DataFrame
    sources: pd.DataFrame
    indicators: pd.DataFrame
    note: str


SHEETS = (("synthese", "summary"), ("detail", "detail"), ("sources", "sources"), ("indicateurs", "indicators"))


def _header(columns: list[str]) -> list[str]:
    """Column names with their unit, for the XLSX sheets (« emissions_tco2e (tCO2e) »)."""
    return [f"{column} ({EXPORT_UNITS[column]})" if column in EXPORT_UNITS else column for column in columns]


def write(export: Export, path: Path, file_format: str, separator: str = ";", decimal: str = ",",
          stamp: str | None = None, force: bool = False) -> list[Path]:
    """Write the export: CSV files (summary at ``path``, then ``-detail``, ``-sources``,
    ``-indicateurs``) or one XLSX workbook, plus the note in Markdown and HTML. Everything is
    built in memory first, then written all or nothing by ``output_files`` (never through a link;
    existing files replaced only with ``force``)."""
    files = render(export, Path(path), file_format, separator=separator, decimal=decimal, stamp=stamp)
    return write_files(files, force=force)


def render(export: Export, path: Path, file_format: str, separator: str = ";", decimal: str = ",",
           stamp: str | None = None) -> dict[Path, bytes]:
    """The bytes of each file of the export (see ``write``), by path; nothing is written."""
    stem = Path(path).with_suffix("")
    files: dict[Path, bytes] = {}
    tables = {name: getattr(export, attribute) for name, attribute in SHEETS}
    if file_format == "xlsx":
        files[stem.with_suffix(".xlsx")] = xlsx_bytes({name: (_header(list(t.columns)), _rows(t))
                                                      for name, t in tables.items()}, stamp=stamp)
    else:
        for name, table in tables.items():
            target = stem.with_suffix(".csv") if name == "synthese" else Path(f"{stem}-{name}.csv")
            files[target] = csv_bytes(list(table.columns), _rows(table), separator=separator, decimal=decimal)
    files[Path(f"{stem}-note.md")] = export.note.encode("utf-8")
    files[Path(f"{stem}-note.html")] = note_html(export.note, note_links(export)).encode("utf-8")
    return files


def note_links(export: Export) -> list[str]:
    """The links the HTML note may hold: the ``source_url`` of the factors of the export."""
    if "lien" not in export.sources.columns:
        return []
    return [u for u in export.sources["lien"] if isinstance(u, str) and u]


def _rows(frame: pd.DataFrame) -> list[list[object]]:
    rows = []
    for record in frame.itertuples(index=False):
        rows.append([None if (isinstance(v, float) and math.isnan(v)) or v is pd.NA else
                     (v.item() if hasattr(v, "item") else v) for v in record])
    return rows
