"""Writing the export: the CSV files (or one XLSX workbook) of the summary (with its total lines),
the detail, the sources and the indicators, and the note in Markdown and HTML.

Owns: the names of the files and sheets; the headers (what a person reads, « Émissions (tCO2e) »,
and the machine names: on a second header row in the XLSX, instead of the French ones in the CSV
with ``technical_names``; the indicators keep the layout of Territoires en Transitions); the
rounding of each column (``SIGNIFICANT`` figures for quantities, factor values exact: see the
note's « Arrondis »); handing every file's bytes, built in memory first, to ``output_files``,
which writes them all or none (temporary names, then renamed; never through a link; existing
files replaced only with ``force``).

Must not: compute the tables (``summary``) or the note (``note``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from footprint.io.output_files import write_files
from footprint.io.writing import Table, csv_bytes, xlsx_bytes
from footprint.reporting.markdown import note_html
from footprint.reporting.summary import INDICATOR_HEAD, TOTAL_LINE, column_label, with_totals

# A presentation choice, not a factor: every quantity of the files shows 4 significant figures,
# its integer part always whole (0.09 tCO2e stays 0,09, never 0,000; 123 456,7 kWh is 123 457).
SIGNIFICANT = 4
# Columns written exactly: the factor values, as their sources publish them.
EXACT_COLUMNS = frozenset({"valeur"})


@dataclass
class Export:
    """Everything an export holds: its four tables (the summary without its total lines, which
    ``with_totals`` adds), its note (Markdown), and the target and verdicts it states."""

    summary: pd.DataFrame
    detail: pd.DataFrame
    sources: pd.DataFrame
    indicators: pd.DataFrame
    note: str
    target: str = ""
    verdicts: list = field(default_factory=list)


SHEETS = (("synthese", "summary"), ("detail", "detail"), ("sources", "sources"), ("indicateurs", "indicators"))


def _header(columns: list[str]) -> list[str]:
    """What a person reads above each column (« Émissions (tCO2e) »)."""
    return [column_label(column) for column in columns]


def _significant(frame: pd.DataFrame) -> list[int | None]:
    return [None if column in EXACT_COLUMNS else SIGNIFICANT for column in frame.columns]


def _headers(frame: pd.DataFrame) -> list[list[str]]:
    """The indicators as the platform lays them out (one header row); the other tables with the
    French header then the machine names."""
    if list(frame.columns[:len(INDICATOR_HEAD)]) == list(INDICATOR_HEAD):
        return [list(frame.columns)]
    return [_header(list(frame.columns)), list(frame.columns)]


def _table(frame: pd.DataFrame) -> Table:
    """One sheet of the workbook; total lines in bold."""
    headers = _headers(frame)
    emphasised = (frozenset(int(i) for i in (frame["type_ligne"] == TOTAL_LINE).to_numpy().nonzero()[0])
                  if "type_ligne" in frame.columns else frozenset())
    return Table(headers, _rows(frame), _significant(frame), emphasised)


def tables(export: Export) -> dict[str, pd.DataFrame]:
    """The tables of the files, by sheet name: the summary with its total lines."""
    found = {name: getattr(export, attribute) for name, attribute in SHEETS}
    found["synthese"] = with_totals(found["synthese"])
    return found


def write(export: Export, path: Path, file_format: str, separator: str = ";", decimal: str = ",",
          stamp: str | None = None, force: bool = False, technical_names: bool = False) -> list[Path]:
    """Write the export: CSV files (summary at ``path``, then ``-detail``, ``-sources``,
    ``-indicateurs``) or one XLSX workbook, plus the note in Markdown and HTML. Everything is
    built in memory first, then written all or nothing by ``output_files`` (never through a link;
    existing files replaced only with ``force``)."""
    files = render(export, Path(path), file_format, separator=separator, decimal=decimal, stamp=stamp,
                   technical_names=technical_names)
    return write_files(files, force=force)


def render(export: Export, path: Path, file_format: str, separator: str = ";", decimal: str = ",",
           stamp: str | None = None, technical_names: bool = False) -> dict[Path, bytes]:
    """The bytes of each file of the export (see ``write``), by path; nothing is written.
    ``technical_names``: the CSV headers are the machine names (``emissions_tco2e``) instead of
    what a person reads (« Émissions (tCO2e) »); the XLSX always has both."""
    stem = Path(path).with_suffix("")
    files: dict[Path, bytes] = {}
    found = tables(export)
    if file_format == "xlsx":
        files[stem.with_suffix(".xlsx")] = xlsx_bytes({name: _table(t) for name, t in found.items()},
                                                      stamp=stamp)
    else:
        for name, table in found.items():
            target = stem.with_suffix(".csv") if name == "synthese" else Path(f"{stem}-{name}.csv")
            header = _headers(table)[-1 if technical_names else 0]
            files[target] = csv_bytes(header, _rows(table), separator=separator, decimal=decimal,
                                      significant=_significant(table))
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
