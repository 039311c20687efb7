"""Reading the tables that French offices exchange: CSV and spreadsheets.

Owns: reading a file a person gives (from disk or from the bytes of an upload, under a name
that is only ever shown, never used as a path): its encoding (UTF-8 with or without BOM,
UTF-16 with BOM as Excel's « Texte Unicode », else Windows-1252; a file that mixes UTF-8 and
Windows-1252 is refused with the line), its separator (``;``, ``,`` or tab) and so its decimal
convention, its quoting (an unterminated quote is refused, never allowed to swallow the next
rows), spreadsheets (XLSX, XLSM, ODS and XLS through calamine, which reads every row whatever
the file's ``<dimension>`` says, within stated size and row limits). Control characters are
refused on the way in, and a formula-like cell neutralised by our writers is restored
(``cells``). Writing is ``writing``.

Must not: know what the columns mean (that is ``declarations``, the imports and the exports).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from core.errors import InputError
from core.units import convert

# The first character of a text that a spreadsheet would run as a formula (ASCII and full-width
# signs: some spreadsheets convert the latter), once blanks and control characters are skipped.
from footprint.io.cells import CONTROL_CHARACTERS, MAX_CELL_CHARACTERS, restore_text

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


# A valid multi-byte UTF-8 sequence: seen beside invalid bytes, the file mixes two encodings.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


# Limits of what a spreadsheet may cost to read: its size once unzipped (a small XLSX can hold
# gigabytes of XML) and its number of rows, each caller choosing its own bound of rows.
MAX_UNZIPPED_BYTES = 200_000_000


SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".ods", ".xls")


@dataclass
class Table:
    """Cells of a file as read: the header and the rows, each with its line number in the file.

    ``decimal``: the decimal separator the file's convention implies (``","`` for a CSV
    separated by semicolons, as French office software writes it), None when unknown."""

    file_name: str
    header: list[str]
    rows: list[tuple[int, list[object]]]
    decimal: str | None = None


def display_name(name: str | None) -> str:
    """A file name as it may be shown: its last component (after ``/`` or ``\\``), without
    control characters, at most 120 characters. It is never used as a path."""
    last = re.split(r"[\\/]", str(name or ""))[-1]
    cleaned = CONTROL_CHARACTERS.sub("", last).replace("\n", " ").replace("\r", " ").strip()
    return (cleaned[:117] + "…" if len(cleaned) > 120 else cleaned) or "fichier"


def read_table(source: Path | str | bytes, max_bytes: int | None = None, *, name: str | None = None,
               max_rows: int | None = None, what: str = "fichier") -> Table:
    """Read a CSV or spreadsheet file; raise ``InputError`` (French, with the file name) if it
    cannot be read whole.

    ``source``: a path, or the bytes of an upload (``name`` is then the name to show).
    ``max_bytes``, ``max_rows``: refuse larger files, saying the limit (``what`` names the file
    in that message)."""
    data, name = read_source(source, name, max_bytes, what)
    if _is_spreadsheet(name, data):
        table = _read_spreadsheet(data, name, max_rows, what)
    else:
        table = _read_csv(data, name, max_rows, what)
    if not table.header or all(str(h).strip() == "" for h in table.header):
        raise InputError.single("fichier vide : aucune ligne d'en-tête", file=name)
    return table


def read_source(source: Path | str | bytes, name: str | None = None, max_bytes: int | None = None,
                what: str = "fichier") -> tuple[bytes, str]:
    """The bytes of a file given as a path or as the bytes of an upload, and the name to show."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, shown = bytes(source), display_name(name)
    else:
        path = Path(source)
        shown = display_name(name or path.name)
        if not path.is_file():
            raise InputError.single("fichier introuvable", file=shown)
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise _too_big(size, max_bytes, shown, what)
        try:
            data = path.read_bytes()
        except OSError:
            raise InputError.single("fichier illisible (droits d'accès ?)", file=shown) from None
    if not data:
        raise InputError.single("fichier vide", file=shown)
    if max_bytes is not None and len(data) > max_bytes:
        raise _too_big(len(data), max_bytes, shown, what)
    return data, shown


def _megabytes(size: int) -> str:
    """A size in bytes as whole megabytes (10⁶ bytes, as file managers show them)."""
    return f"{convert(size, 'byte', 'megabyte'):.0f}"


def _too_big(size: int, limit: int, name: str, what: str) -> InputError:
    return InputError.single(f"fichier trop volumineux ({_megabytes(size)} Mo, limite {_megabytes(limit)} Mo pour un "
                             f"{what})", file=name)


def _is_spreadsheet(name: str, head: bytes) -> bool:
    return (name.lower().endswith(SPREADSHEET_SUFFIXES) or head.startswith(b"PK\x03\x04")
            or head.startswith(b"\xd0\xcf\x11\xe0"))


def decode_text(data: bytes, name: str) -> str:
    """The text of a file written by office software, or a French refusal saying which line."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's « Texte Unicode » (UTF-16 with BOM)
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise InputError.single("encodage UTF-16 illisible", file=name,
                                    line=data[:error.start].decode("utf-16", "replace").count("\n") + 1) from None
    if b"\x00" in data[:8192]:
        raise InputError.single("fichier binaire ou illisible : un fichier CSV (texte) ou un classeur est attendu",
                                file=name)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start:error.start + 1].hex().upper()
        if _UTF8_MULTIBYTE.search(data):
            raise InputError.single(
                f"encodage mélangé : le fichier est en UTF-8 mais cette ligne contient un caractère d'un autre "
                f"encodage (octet 0x{byte}, Windows-1252 ?) ; réenregistrez tout le fichier en UTF-8",
                file=name, line=line) from None
    text = data.decode("cp1252", errors="replace")
    if "\ufffd" in text:
        line = text[:text.index("\ufffd")].count("\n") + 1
        raise InputError.single("encodage illisible : ni UTF-8 ni Windows-1252 ; enregistrez le fichier en UTF-8",
                                file=name, line=line)
    return text


def sniff_separator(first_line: str) -> str:
    """The column separator of a CSV, from its header line: ``;``, ``,`` or tab."""
    return max((";", ",", "\t"), key=first_line.count)


def first_line(text: str) -> str:
    """The first line of a text, whatever its line breaks (LF, CRLF, or CR alone as old Macs wrote)."""
    return _LINE_BREAK.split(text, 1)[0]


def _read_csv(data: bytes, name: str, max_rows: int | None, what: str) -> Table:
    text = decode_text(data, name)
    separator = sniff_separator(first_line(text))
    csv.field_size_limit(max(csv.field_size_limit(), 4 * MAX_CELL_CHARACTERS))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    header: list[str] = []
    rows: list[tuple[int, list[object]]] = []
    start = 1
    try:
        header = [h.strip() for h in next(reader, [])]
        _check_cells(header, name, 1, None)
        start = reader.line_num + 1
        for values in reader:
            end = reader.line_num
            if any(v.strip() for v in values):
                _check_swallowed(values, separator, name, start, end)
                cells = [restore_text(v.strip()) for v in values]
                _check_cells(cells, name, start, header)
                rows.append((start, cells))
                if max_rows is not None and len(rows) > max_rows:
                    raise _too_long(max_rows, name, what)
            start = end + 1
    except csv.Error as error:
        if "field limit" in str(error):
            raise _cell_too_long(name, start, None) from None
        reason = ("guillemet ouvert et jamais refermé" if "end of data" in str(error)
                  else "guillemet mal placé dans une cellule")
        raise InputError.single(f"CSV mal formé : {reason} (une cellule entre guillemets doit se terminer par un "
                                "guillemet ; doublez-le s'il fait partie du texte)", file=name, line=start) from None
    decimal = "," if separator == ";" else None
    return Table(name, header, rows, decimal)


def _check_swallowed(values: list[str], separator: str, name: str, start: int, end: int) -> None:
    """Refuse a quoted cell whose later lines hold the file's separator, as rows of the file do
    (short rows too): a quote left open has turned the following rows into the text of one cell.
    A cell written on several lines without the separator (an address, a note) is kept."""
    for value in values:
        lines = _LINE_BREAK.split(value)
        if len(lines) > 1 and any(separator in line for line in lines[1:]):
            raise InputError.single(
                f"CSV mal formé : un guillemet ouvert dans cette ligne n'est refermé qu'à la ligne {end}, et les "
                "lignes entre les deux seraient lues comme le texte d'une seule cellule ; refermez le guillemet",
                file=name, line=start, value=lines[0][:60])


def _check_cells(cells: list[object], name: str, line: int, header: list[str] | None) -> None:
    for index, cell in enumerate(cells):
        if not isinstance(cell, str):
            continue
        column = header[index] if header and index < len(header) else None
        if CONTROL_CHARACTERS.search(cell):
            raise InputError.single("caractère de contrôle invisible (collé depuis un autre logiciel ?) : retirez-le",
                                    file=name, line=line, column=column, value=CONTROL_CHARACTERS.sub("?", cell)[:60])
        if len(cell) > MAX_CELL_CHARACTERS:
            raise _cell_too_long(name, line, column)


def _cell_too_long(name: str, line: int, column: str | None) -> InputError:
    shown = f"{MAX_CELL_CHARACTERS:,}".replace(",", "\u202f")
    return InputError.single(f"cellule trop longue : plus de {shown} caractères, ce qu'une cellule de tableur peut "
                             "contenir", file=name, line=line, column=column)


def _too_long(max_rows: int, name: str, what: str) -> InputError:
    shown = f"{max_rows:,}".replace(",", "\u202f")
    return InputError.single(f"fichier trop long : plus de {shown} lignes, la limite pour un {what}", file=name)


def _read_spreadsheet(data: bytes, name: str, max_rows: int | None, what: str) -> Table:
    from python_calamine import CalamineWorkbook

    label = {".ods": "ODS", ".xls": "XLS"}.get(Path(name).suffix.lower(), "XLSX")

    if data.startswith(b"PK\x03\x04"):
        try:
            unzipped = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
        except (zipfile.BadZipFile, OSError, ValueError):
            raise InputError.single(f"classeur {label} illisible ou corrompu", file=name) from None
        if unzipped > MAX_UNZIPPED_BYTES:
            raise InputError.single(f"classeur trop volumineux une fois décompressé ({_megabytes(unzipped)} Mo, limite "
                                    f"{_megabytes(MAX_UNZIPPED_BYTES)} Mo)", file=name)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise InputError.single("classeur sans feuille", file=name)
        sheet = workbook.get_sheet_by_index(0)
        # Rows come from the sheet's first row (line 1), blank ones included: the header is the
        # first row that holds something.
        grid = enumerate(sheet.iter_rows(), start=1)
        first_row, header_cells = next(((n, row) for n, row in grid if any(v not in ("", None) for v in row)),
                                       (1, []))
    except InputError:
        raise
    except Exception:  # calamine raises its own types (zip, XML, password) for a corrupt file
        raise InputError.single(f"classeur {label} illisible, corrompu ou protégé par un mot de passe (attendus : "
                                "XLSX, ODS ou XLS)", file=name) from None
    header = [_spreadsheet_text(h) for h in header_cells]
    while header and header[-1] == "":
        header.pop()
    _check_cells(header, name, first_row, None)
    rows = []
    try:
        for number, values in grid:
            cells = [_spreadsheet_cell(v) for v in values[:len(header)]]
            extra = [v for v in values[len(header):] if v not in ("", None)]
            if all(c is None for c in cells) and not extra:
                continue
            _check_cells(cells, name, number, header)
            rows.append((number, cells + extra))
            if max_rows is not None and len(rows) > max_rows:
                raise _too_long(max_rows, name, what)
    except InputError:
        raise
    except Exception:
        raise InputError.single(f"classeur {label} illisible ou corrompu", file=name) from None
    if data.startswith(b"PK\x03\x04"):
        _check_formulas(data, name)
    return Table(name, header, rows, None)


_CELL = re.compile(rb'<c\b([^>]*?)(?:/>|>(.*?)</c>)', re.S)


_REFERENCE = re.compile(rb'\br="([A-Z]+)([0-9]+)"')


def _check_formulas(data: bytes, name: str) -> None:
    """Refuse a formula whose value the file does not hold (a workbook generated by a program,
    never opened in a spreadsheet: its row would read as empty) and a formula error (#DIV/0!…)."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    sheet = _first_sheet_path(archive)
    if sheet is None:
        return
    xml = archive.read(sheet)
    if b"<f" not in xml and b't="e"' not in xml:
        return
    for found in _CELL.finditer(xml):
        attributes, content = found.group(1), found.group(2) or b""
        error = b't="e"' in attributes
        missing = b"<f" in content and not re.search(rb"<v>[^<]", content)
        if not (error or missing):
            continue
        reference = _REFERENCE.search(attributes)
        cell = (reference.group(1) + reference.group(2)).decode() if reference else "?"
        line = int(reference.group(2)) if reference else None
        if error:
            value = re.search(rb"<v>([^<]*)</v>", content)
            shown = value.group(1).decode(errors="replace") if value else "#ERREUR"
            raise InputError.single(f"cellule {cell} : la formule donne une erreur ({shown}) ; corrigez-la dans le "
                                    "tableur", file=name, line=line, value=shown)
        raise InputError.single(f"cellule {cell} : formule sans valeur calculée (le classeur n'a pas été enregistré "
                                "par un tableur) ; ouvrez-le dans un tableur et enregistrez-le, ou saisissez la valeur",
                                file=name, line=line)


def _first_sheet_path(archive: zipfile.ZipFile) -> str | None:
    """The path, in an XLSX archive, of the workbook's first sheet (the one that is read)."""
    try:
        workbook = archive.read("xl/workbook.xml")
        relations = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    first = re.search(rb'<(?:\w+:)?sheet\b[^>]*?\br:id="([^"]+)"', workbook)
    if not first:
        return None
    for relation in re.finditer(rb"<Relationship\b[^>]*>", relations):
        if f'Id="{first.group(1).decode()}"'.encode() in relation.group(0):
            target = re.search(rb'Target="([^"]+)"', relation.group(0))
            if target:
                path = target.group(1).decode().lstrip("/")
                path = path if path.startswith("xl/") else f"xl/{path}"
                return path if path in archive.namelist() else None
    return None


def _spreadsheet_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _spreadsheet_cell(value: object) -> object:
    """A spreadsheet cell as the CSV reader would give it: None when empty, text trimmed."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        return restore_text(text) if text else None
    return value

