"""Writing the tables that French offices exchange: CSV (``;``, decimal comma, UTF-8 with BOM by
default) and XLSX (numbers as numbers, frozen header, fitted widths, dated entries so that the
same content gives the same bytes).

Owns: the bytes of a table. Every text cell and header goes through ``cells.neutralise`` as the
very last step, so nothing a person typed runs as a formula.

Must not: write to disk (``output_files`` does, all or nothing) nor know what a column means.
"""

from __future__ import annotations

import csv
import io
import math
import re

from core.errors import InputError
from footprint.io.cells import exact_number, neutralise


def csv_bytes(header: list[str], rows: list[list[object]], separator: str = ";", decimal: str = ",",
              bom: bool = True) -> bytes:
    """CSV text of a table: numbers written exactly, text neutralised against formula injection."""
    if separator not in (";", ",", "\t", "|") or decimal not in (",", ".") or separator == decimal:
        raise InputError.single("séparateur de colonnes : « ; », « , », tabulation ou « | » ; séparateur décimal : "
                                "« , » ou « . » ; les deux différents",
                                column="--separator", value=f"{separator} {decimal}")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    writer.writerow([neutralise(str(h)) for h in header])
    for row in rows:
        writer.writerow([_cell_text(v, decimal) for v in row])
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def _cell_text(value: object, decimal: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (int, float)):
        return exact_number(value, decimal)
    return neutralise(str(value))


def xlsx_bytes(sheets: dict[str, tuple[list[str], list[list[object]]]], stamp: str | None = None) -> bytes:
    """An XLSX workbook: one sheet per entry, numbers as numbers, header frozen, widths fitted.

    ``stamp`` (AAAA-MM-JJ): the date written in the workbook and its zip entries, so that the
    same content gives the same bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, (header, rows) in sheets.items():
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append([neutralise(str(h)) for h in header])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_xlsx_value(v) for v in row])
        sheet.freeze_panes = "A2"
        for index, name in enumerate(header, start=1):
            values = [name] + [row[index - 1] for row in rows[:500]]
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
