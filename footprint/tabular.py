"""Reading and writing the tables that French offices exchange: CSV and XLSX.

Owns: guessing a CSV's encoding (UTF-8 with or without BOM, else Windows-1252) and separator
(``;``, ``,`` or tab), reading XLSX sheets, parsing numbers written the French way
(``1 234,5``), and writing CSV (``;``, decimal comma, UTF-8 with BOM by default) and XLSX
(numbers as numbers, frozen header, fitted widths). Text cells that a spreadsheet would take
for a formula are neutralised on the way out and restored on the way in.

Must not: know what the columns mean (that is ``declarations`` and the exports).
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from emission_factors.errors import InputError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISED = (*FORMULA_STARTS, "'")  # a leading quote is doubled too, so that it survives a round trip
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
# "1,000" or "1.500": thousands in one convention, decimals in the other. Refused, not guessed.
_AMBIGUOUS = re.compile(r"^[+-]?[1-9]\d{0,2}[.,]\d{3}$")


class AmbiguousNumber(ValueError):
    """A number that reads differently in French and in English (``1,000``)."""

    def __init__(self, text: str):
        super().__init__(f"écriture ambiguë « {text} » (mille ou un ?) : écrivez 1000 ou 1 000 pour des milliers, "
                         "1,0 pour une décimale")


def number_problem(error: ValueError) -> str:
    """The French reason a text is not accepted as a number."""
    return str(error) if isinstance(error, AmbiguousNumber) else "valeur non numérique"


@dataclass
class Table:
    """Cells of a file as read: the header and the rows, each with its line number in the file."""

    file_name: str
    header: list[str]
    rows: list[tuple[int, list[object]]]


def _is_xlsx(path: Path, head: bytes) -> bool:
    return path.suffix.lower() in (".xlsx", ".xlsm") or head.startswith(b"PK\x03\x04")


def read_table(path: Path | str, max_bytes: int | None = None) -> Table:
    """Read a CSV or XLSX file; raise ``InputError`` (French, with the file name) if it cannot be read."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise InputError.single("fichier introuvable", file=name)
    size = path.stat().st_size
    if size == 0:
        raise InputError.single("fichier vide", file=name)
    if max_bytes is not None and size > max_bytes:
        raise InputError.single(
            f"fichier trop volumineux ({size / 1e6:.0f} Mo, limite {max_bytes / 1e6:.0f} Mo) : un inventaire de "
            "déclarations tient en quelques milliers de lignes ; pour des journaux d'usage d'une passerelle, "
            "utilisez « python -m footprint usage import »", file=name)
    with path.open("rb") as handle:
        head = handle.read(4096)
    table = _read_xlsx(path) if _is_xlsx(path, head) else _read_csv(path, head)
    if not table.header or all(str(h).strip() == "" for h in table.header):
        raise InputError.single("fichier vide : aucune ligne d'en-tête", file=name)
    return table


def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data[:8192]:
        raise InputError.single("fichier binaire ou illisible : un fichier CSV (texte) ou XLSX est attendu",
                                file=name)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        if text.count("\ufffd") > max(3, len(text) // 1000):
            raise InputError.single("encodage illisible : enregistrez le fichier en UTF-8 ou en Windows-1252",
                                    file=name) from None
        return text


def _read_csv(path: Path, head: bytes) -> Table:
    text = _decode(path.read_bytes(), path.name)
    first_line = text.split("\n", 1)[0]
    separator = max((";", ",", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        header = [h.strip() for h in next(reader, [])]
        rows = []
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            rows.append((reader.line_num, [_restore_text(v) for v in values]))
    except csv.Error as error:
        raise InputError.single(f"CSV mal formé : {error}", file=path.name, line=reader.line_num) from None
    return Table(path.name, header, rows)


def _read_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a corrupt or non-XLSX zip
        raise InputError.single("classeur XLSX illisible ou corrompu", file=path.name) from None
    try:
        sheet = workbook.worksheets[0]
        rows_iter = sheet.iter_rows(values_only=True)
        header = [("" if h is None else str(h).strip()) for h in next(rows_iter, ())]
        while header and header[-1] == "":
            header.pop()
        rows = []
        for number, values in enumerate(rows_iter, start=2):
            cells = [_restore_text(v) if isinstance(v, str) else v for v in values[:len(header)]]
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                continue
            rows.append((number, cells))
    finally:
        workbook.close()
    return Table(path.name, header, rows)


def _restore_text(value: str) -> str:
    """Undo the neutralisation of a formula-like cell (``'=SOMME`` -> ``=SOMME``)."""
    if len(value) > 1 and value[0] == "'" and value[1] in NEUTRALISED:
        return value[1:]
    return value


def neutralise(value: str) -> str:
    """A text cell that a spreadsheet would run as a formula, made inert with a leading quote."""
    return "'" + value if value and value[0] in NEUTRALISED else value


def parse_number(value: object) -> float | None:
    """A number written by a person: ``1 234,5``, ``1234.5``, ``1.234,5``, ``1e6``; None if empty.

    Raises ``ValueError`` for text that is not a number (``nan`` and ``inf`` included).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("booléen")
    if isinstance(value, (int, float)):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError("non fini")
        return number
    text = str(value).strip().replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace("'", "")
    if text == "":
        return None
    if _AMBIGUOUS.match(text):
        raise AmbiguousNumber(str(value).strip())
    if "," in text and "." in text:
        # The last separator is the decimal one: 1.234,5 or 1,234.5.
        text = text.replace(".", "") if text.rfind(",") > text.rfind(".") else text.replace(",", "")
    text = text.replace(",", ".")
    if not _NUMBER.match(text):
        raise ValueError(text)
    return float(text)


def format_number(value: float, decimal: str = ",") -> str:
    """A number written so that reading it back gives the same float (shortest exact form)."""
    if float(value).is_integer() and abs(value) < 1e16:
        return str(int(value))
    text = repr(float(value))
    if _AMBIGUOUS.match(text):
        text += "0"  # 2.345 -> 2.3450: reads back as a decimal in either convention
    return text.replace(".", decimal) if decimal != "." else text


def write_atomically(path: Path, data: bytes) -> None:
    """Write a file under a temporary name, then rename it: never a half-written file."""
    path = Path(path).resolve()
    if path.is_dir():
        raise InputError.single("c'est un dossier : indiquez un nom de fichier", file=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def csv_bytes(header: list[str], rows: list[list[object]], separator: str = ";", decimal: str = ",",
              bom: bool = True) -> bytes:
    """CSV text of a table: numbers written exactly, text neutralised against formula injection."""
    if len(separator) != 1 or len(decimal) != 1 or separator == decimal:
        raise InputError.single("séparateur de colonnes et séparateur décimal : un caractère chacun, différents",
                                column="--separator", value=f"{separator} {decimal}")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell_text(v, decimal) for v in row])
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def _cell_text(value: object, decimal: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (int, float)):
        return format_number(value, decimal)
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
        sheet.append(header)
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


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def has_control_characters(text: str) -> bool:
    """Characters a spreadsheet cannot hold (refused on import, so that exports never fail)."""
    return bool(_CONTROL.search(text))


def _xlsx_value(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (int, float)):
        return value
    return _CONTROL.sub("", neutralise(str(value)))



def is_missing(value: object) -> bool:
    """None, NaN or pandas' NA: a cell with nothing in it."""
    try:
        return value is None or bool(value != value)
    except (TypeError, ValueError):  # pandas' NA refuses to be a boolean
        return True
