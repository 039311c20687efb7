"""An admin export (or the mapping of its users to services) read as a table of text cells, safely
and whole columns at a time.

Owns: the formats such a file may have (a CSV read by DuckDB from a private copy, as the usage
logs are: ``usage_logs.files``; a spreadsheet read by ``tabular``; the JSON an administration API
returns, an object whose ``data`` is the list of rows), the columns matched by their plain key
(« Last Activity Date » and « last activity date » are one column), the cells trimmed (an empty
one is NA), DuckDB's refusals said in French, and where a row is for a problem: its line, or its
element of a JSON list. The SHA-256 an import is recorded with is taken of the file as given.

Must not: know what a column means (the presets do), check a value, or write anything outside
the private folder of ``usage_logs.files``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from core.errors import InputError, Problem
from footprint.inventory.declarations import file_sha256, plain_key
from footprint.inventory.usage_logs.files import duckdb_problem, private_copy, reader_sql
from footprint.io.cells import CONTROL_CHARACTERS
from footprint.io.tabular import SPREADSHEET_SUFFIXES, decode_text, display_name, read_source, read_table

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
JSON_SUFFIXES = (".json",)
# What a JSON export holds its rows in (Mistral AI's administration API: ``{"data": [...]}``).
JSON_ROWS = "data"
_LINE_BREAK = r"[\r\n]"
# What no cell may hold (``cells.CONTROL_CHARACTERS``, surrogates aside: UTF-8 cannot carry them), in RE2.
_CONTROL_SQL = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x{9f}\\x{fffe}\\x{ffff}]"


@dataclass(frozen=True)
class Sheet:
    """A file read as text cells. ``cells``: the columns read (named as in the file), each of
    dtype ``string`` with NA for an empty cell; ``lines``: the file line of each row (None for a
    JSON list, whose rows are its elements); ``fields``: the other top-level values of a JSON
    object (``start_time``…); ``digest``: the SHA-256 of the file as given."""

    name: str
    header: tuple[str, ...]
    cells: pd.DataFrame
    lines: np.ndarray | None
    decimal_comma: bool
    digest: str
    fields: dict = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return len(self.cells)

    def problem(self, message: str, position: int | None = None, column: str | None = None,
                value: object = None) -> Problem:
        """A problem of the row at ``position`` (0-based), located by its line, or for a JSON
        list by its element."""
        if position is None:
            return Problem(message, file=self.name, column=column, value=value)
        if self.lines is None:
            return Problem(f"{message} (élément n° {position + 1} de « {JSON_ROWS} »)", file=self.name,
                           column=column, value=value)
        return Problem(message, file=self.name, line=int(self.lines[position]), column=column, value=value)


def find_column(header: Iterable[str], spellings: Iterable[str]) -> str | None:
    """The column of ``header`` written as one of ``spellings`` (compared by plain key), or None."""
    keys = {plain_key(name): name for name in reversed(list(header))}
    for spelling in spellings:
        if plain_key(spelling) in keys:
            return keys[plain_key(spelling)]
    return None


def shown_name(source: Path | str | bytes, name: str | None) -> str:
    """The name a file is shown by: ``name`` for an upload (or when given), else its path's last
    part, as ``tabular.display_name`` cleans it."""
    upload = isinstance(source, (bytes, bytearray, memoryview))
    return display_name(name if upload or name else Path(source).name)


def read_sheet(source: Path | str | bytes, name: str | None, pick: Callable[[tuple[str, ...]], list[str]], *,
               json_allowed: bool = True, texts: Iterable[str] = ()) -> Sheet:
    """The columns ``pick(header)`` chooses of a CSV, spreadsheet or JSON file (a path, or the
    bytes of an upload shown as ``name``, never used as a path). ``pick`` raises ``InputError``
    when a required column is missing; ``texts``: the chosen columns whose text is kept (a
    control character there is refused, as ``tabular`` refuses it; elsewhere a number or a date
    holding one is unreadable anyway). Raises ``InputError`` (French, with the file and the line)
    for a file that cannot be read whole."""
    shown = shown_name(source, name)
    suffix = Path(shown).suffix.lower()
    formats = CSV_SUFFIXES + SPREADSHEET_SUFFIXES + (JSON_SUFFIXES if json_allowed else ())
    if suffix not in formats:
        expected = "CSV, XLSX, ODS ou JSON" if json_allowed else "CSV, XLSX ou ODS"
        raise InputError.single(f"format de fichier inconnu « {suffix or 'sans extension'} » (attendus : {expected})",
                                file=shown)
    if suffix in CSV_SUFFIXES:
        return _read_csv(source, shown, pick, texts)
    data, shown = read_source(source, shown)
    digest = file_sha256(data)
    if suffix in JSON_SUFFIXES:
        return _read_json(data, shown, pick, digest, texts)
    table = read_table(data, name=shown)
    width = len(table.header)
    header = tuple(h or f"colonne_{i + 1}" for i, h in enumerate(table.header))
    _check_unique(header, shown)
    frame = pd.DataFrame([(cells + [None] * width)[:width] for _, cells in table.rows], columns=list(header),
                         dtype=object)
    chosen = pick(header)
    return Sheet(shown, header, _trimmed(frame.reindex(columns=chosen)),
                 np.array([line for line, _ in table.rows], dtype=np.int64), False, digest)


def _read_csv(source: Path | str | bytes, shown: str, pick: Callable[[tuple[str, ...]], list[str]],
              texts: Iterable[str]) -> Sheet:
    digest = file_sha256(bytes(source) if isinstance(source, (bytes, bytearray, memoryview)) else source)
    with private_copy(source, shown) as log:
        if not log.header or all(not h.strip() for h in log.header):
            raise InputError.single("fichier vide : aucune ligne d'en-tête", file=log.name)
        chosen = pick(log.header)
        kept = set(texts)
        quoted = [_quoted(c) for c in chosen]
        # A line break in any cell, read or not: a quote left open has swallowed the next rows.
        every = ", ".join(_quoted(c) for c in log.header)
        select = ", ".join([f"nullif(trim({q}), '') AS c{i}" for i, q in enumerate(quoted)]
                           + [f"coalesce(regexp_matches({q}, '{_CONTROL_SQL}'), false) AS _control{i}"
                              for i, (q, c) in enumerate(zip(quoted, chosen)) if c in kept]
                           + [f"coalesce(regexp_matches(concat_ws('', {every}), '{_LINE_BREAK}'), false) AS _break"])
        con = duckdb.connect()
        try:
            frame = con.sql(f"SELECT {select} FROM {reader_sql(log)}").to_arrow_table().to_pandas(
                types_mapper=_arrow_strings)
        except duckdb.Error as error:
            refusal = duckdb_problem(error, log).problems[0]
            message = refusal.message if refusal.message.startswith("CSV mal formé") else (
                "fichier illisible : ce n'est pas un fichier CSV valide")
            raise InputError([Problem(message, file=log.name, line=refusal.line)]) from None
        finally:
            con.close()
        name, decimal_comma = log.name, log.decimal_comma
        lines = _row_lines(log.path.read_bytes(), len(frame))
    broken = frame.pop("_break").to_numpy(dtype=bool)
    if broken.any():
        raise InputError.single("CSV mal formé : une cellule court sur plusieurs lignes (un guillemet ouvert et jamais "
                                "refermé ?) ; refermez le guillemet", file=name, line=int(lines[broken.argmax()]))
    controls = {c: frame.pop(f"_control{i}").to_numpy(dtype=bool) for i, c in enumerate(chosen) if c in kept}
    frame.columns = chosen
    # Trimmed by DuckDB, empty cells NA, strings stored by Arrow: as ``_trimmed`` gives the others.
    sheet = Sheet(name, tuple(log.header), frame, lines, decimal_comma, digest)
    _check_controls(sheet, controls)
    return sheet


def _row_lines(data: bytes, rows: int) -> np.ndarray:
    """The line of each row of a CSV (after its header): DuckDB skips empty lines, the lines
    go on counting them. (A cell on several lines is refused: a row is one line.)"""
    octets = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(octets == ord("\n"))
    starts = np.concatenate([[0], ends + 1])
    lengths = np.concatenate([ends, [len(octets)]]) - starts
    carriage = octets[np.minimum(starts, max(len(octets) - 1, 0))] == ord("\r") if len(octets) else np.zeros(0, bool)
    blank = (lengths == 0) | ((lengths == 1) & carriage)
    lines = np.flatnonzero(~blank)[1:] + 1
    return lines if len(lines) == rows else np.arange(2, rows + 2, dtype=np.int64)


def _read_json(data: bytes, shown: str, pick: Callable[[tuple[str, ...]], list[str]], digest: str,
               texts: Iterable[str]) -> Sheet:
    try:
        document = json.loads(decode_text(data, shown))
    except json.JSONDecodeError as error:
        raise InputError.single(f"JSON illisible : {_json_reason(error.msg)}", file=shown, line=error.lineno) from None
    fields = {}
    if isinstance(document, dict):
        fields = {k: v for k, v in document.items() if k != JSON_ROWS and not isinstance(v, (dict, list))}
        document = document.get(JSON_ROWS)
    if not isinstance(document, list):
        raise InputError.single(f"JSON inattendu : attendu un objet dont « {JSON_ROWS} » est la liste des "
                                "utilisateurs, ou cette liste", file=shown)
    if not document:
        raise InputError.single(f"aucune ligne d'utilisateur : la liste « {JSON_ROWS} » est vide", file=shown)
    odd = [i for i, row in enumerate(document) if not isinstance(row, dict)]
    if odd:
        raise InputError.single(f"JSON inattendu : chaque élément de « {JSON_ROWS} » doit être un objet (élément n° "
                                f"{odd[0] + 1})", file=shown)
    frame = pd.DataFrame.from_records(document)
    header = tuple(str(c) for c in frame.columns)
    frame.columns = list(header)
    _check_unique(header, shown)
    chosen = pick(header)
    sheet = Sheet(shown, header, _trimmed(frame.reindex(columns=chosen)), None, False, digest, fields)
    _check_controls(sheet, {c: sheet.cells[c].str.contains(CONTROL_CHARACTERS.pattern, regex=True).fillna(False)
                            .to_numpy(dtype=bool) for c in chosen if c in set(texts)})
    return sheet


def _check_controls(sheet: Sheet, controls: dict[str, np.ndarray]) -> None:
    """Refuse a cell holding a control character (as ``tabular`` refuses it in any file), with
    the first such cell of each column."""
    problems = []
    for column, control in controls.items():
        if control.any():
            position = int(control.argmax())
            value = CONTROL_CHARACTERS.sub("?", str(sheet.cells[column].iloc[position]))[:60]
            problems.append(sheet.problem("caractère de contrôle invisible (collé depuis un autre logiciel ?) : "
                                          "retirez-le", position, column, value))
    if problems:
        raise InputError(problems)


def _json_reason(message: str) -> str:
    """The French reason of Python's JSON refusal (the usual ones; else a general one)."""
    reasons = {"Expecting value": "valeur attendue", "Expecting ',' delimiter": "virgule attendue",
               "Expecting property name enclosed in double quotes": "nom de champ entre guillemets attendu",
               "Unterminated string": "texte entre guillemets jamais refermé", "Extra data": "texte après la fin"}
    return next((french for english, french in reasons.items() if message.startswith(english)),
                "ce n'est pas un document JSON valide")


def _arrow_strings(kind: pa.DataType) -> pd.StringDtype | None:
    """DuckDB's text columns as pandas strings stored by Arrow (no Python object per cell)."""
    return pd.StringDtype("pyarrow") if pa.types.is_string(kind) or pa.types.is_large_string(kind) else None


def _quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _check_unique(header: tuple[str, ...], shown: str) -> None:
    seen: dict[str, int] = {}
    for index, name in enumerate(header):
        key = plain_key(name)
        if key in seen:
            raise InputError.single(f"colonne « {name} » en double (colonnes {seen[key] + 1} et {index + 1})",
                                    file=shown, line=1)
        seen[key] = index


def _trimmed(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as text (dtype ``string``, stored by Arrow), trimmed, NA where empty; the
    numbers and dates of a spreadsheet or a JSON document written as text (dates as ISO)."""
    out = {}
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object:
            values = values.map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
        text = values.astype(pd.StringDtype("pyarrow")).str.strip()
        out[column] = text.mask(text == "")
    return pd.DataFrame(out, index=range(len(frame)))
