"""Writing the tables that French offices exchange: CSV (``;``, decimal comma, UTF-8 with BOM by
default) and XLSX (numbers as numbers, frozen header, fitted widths, dated entries so that the
same content gives the same bytes).

Owns: the bytes of a table, and how a number is shown: never in scientific notation; rounded to
``significant`` figures where the caller asks (``rounded``: 4 figures, the integer part always
whole), in the CSV as the rounded value and in the XLSX as the exact value with a number format
that displays the rounded one (``display_format``). Every text cell and header goes through
``cells.neutralise`` as the very last step, so nothing a person typed runs as a formula.

Must not: write to disk (``output_files`` does, all or nothing) nor know what a column means.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from core.errors import InputError
from footprint.io.cells import exact_number, neutralise


def plain_number(value: float, decimal: str = ",") -> str:
    """A number written exactly (reading it back gives the same float) and never in scientific
    notation: ``7.368624e-05`` is ``0,00007368624``."""
    text = exact_number(value, ".")
    if "e" in text.lower():
        text = np.format_float_positional(float(value), trim="-")
    return text.replace(".", decimal) if decimal != "." else text


def decimals_for(value: float, significant: int) -> int:
    """How many decimals show ``value`` with ``significant`` figures, its integer part whole
    (208.89324 with 4 figures: 1 decimal; 123456.7: none; 0.0000736862: 8)."""
    if not value or not math.isfinite(value):
        return 0
    return max(0, significant - 1 - math.floor(math.log10(abs(value))))


def rounded(value: float, significant: int) -> float:
    """``value`` rounded to ``significant`` figures, its integer part never rounded."""
    if not math.isfinite(value):
        return value
    return round(float(value), decimals_for(value, significant)) + 0.0  # + 0.0: no « -0 »


def display_format(value: float, significant: int | None) -> str:
    """The XLSX number format that shows ``value`` rounded to ``significant`` figures (the exact
    value when None), with a thousands separator (the reader's spreadsheet shows its own signs)."""
    if significant is None:
        text = plain_number(value, ".")
        decimals = len(text.split(".")[1]) if "." in text else 0
    else:
        decimals = decimals_for(value, significant)
    return "#,##0" + ("." + "0" * decimals if decimals else "")


@dataclass(frozen=True)
class Table:
    """One sheet of a workbook: its header rows (the first one is what people read; a second one
    may hold the names scripts use), its rows, the significant figures of each column (None:
    written exactly) and the rows shown in bold (totals)."""

    headers: list[list[str]]
    rows: list[list[object]]
    significant: Sequence[int | None] | None = None
    emphasised: frozenset[int] = field(default_factory=frozenset)


def csv_bytes(header: list[str], rows: list[list[object]], separator: str = ";", decimal: str = ",",
              bom: bool = True, significant: Sequence[int | None] | None = None) -> bytes:
    """CSV text of a table: numbers written exactly, or rounded to ``significant`` figures for the
    columns that give one, never in scientific notation; text neutralised against formula injection."""
    if separator not in (";", ",", "\t", "|") or decimal not in (",", ".") or separator == decimal:
        raise InputError.single("séparateur de colonnes : « ; », « , », tabulation ou « | » ; séparateur décimal : "
                                "« , » ou « . » ; les deux différents",
                                column="--separator", value=f"{separator} {decimal}")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    writer.writerow([neutralise(str(h)) for h in header])
    digits = list(significant) if significant is not None else [None] * len(header)
    for row in rows:
        writer.writerow([_cell_text(v, decimal, d) for v, d in zip(row, digits, strict=False)])
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def _cell_text(value: object, decimal: str, significant: int | None = None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and significant is not None:
        return plain_number(rounded(value, significant), decimal)
    if isinstance(value, (int, float)):
        return plain_number(value, decimal)
    return neutralise(str(value))


def xlsx_bytes(sheets: dict[str, Table | tuple[list[str], list[list[object]]]], stamp: str | None = None) -> bytes:
    """An XLSX workbook: one sheet per entry (a ``Table``, or a header and its rows), numbers as
    numbers (exact, shown rounded where the table gives significant figures, never as
    ``7.37E-05``), header rows in bold and frozen, widths fitted.

    ``stamp`` (AAAA-MM-JJ): the date written in the workbook and its zip entries, so that the
    same content gives the same bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, table in sheets.items():
        if not isinstance(table, Table):
            table = Table([list(table[0])], table[1])
        sheet = workbook.create_sheet(title=title[:31])
        width_of = len(table.headers[0])
        digits = list(table.significant) if table.significant is not None else [None] * width_of
        for position, header in enumerate(table.headers):
            sheet.append([neutralise(str(h)) for h in header])
            for cell in sheet[position + 1]:
                cell.font = Font(bold=True) if position == 0 else Font(italic=True, color="595959")
        first = len(table.headers) + 1
        for offset, row in enumerate(table.rows):
            sheet.append([_xlsx_value(v) for v in row])
            for cell, value, significant in zip(sheet[first + offset], row, digits, strict=False):
                if isinstance(value, float) and math.isfinite(value):
                    cell.number_format = display_format(value, significant)
                elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
                    cell.number_format = "#,##0"
                if offset in table.emphasised:
                    cell.font = Font(bold=True)
        sheet.freeze_panes = f"A{first}"
        for index in range(1, width_of + 1):
            values = [h[index - 1] for h in table.headers] + [
                _cell_text(row[index - 1], ",", digits[index - 1]) for row in table.rows[:500]]
            width = max(len(_cell_text(v, ",")) for v in values) + 2
            sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = min(max(width, 8), 60)
    if stamp:
        import datetime

        moment = datetime.datetime.fromisoformat(stamp)
        workbook.properties.created = workbook.properties.modified = moment
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _fixed_zip(buffer.getvalue(), stamp) if stamp else buffer.getvalue()


def _fixed_zip(data: bytes, stamp: str) -> bytes:
    """The same zip with every entry dated ``stamp`` (zip entries otherwise carry the current time)."""
    import zipfile

    year, month, day = (int(part) for part in stamp[:10].split("-"))
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(year, month, day, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl writes the time of saving there
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + f"{stamp[:10]}T00:00:00Z".encode(),
                                 content)
            target.writestr(fixed, content)
    return out.getvalue()


def _xlsx_value(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (int, float)):
        return value
    return neutralise(str(value))
