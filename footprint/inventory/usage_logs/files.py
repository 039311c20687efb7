"""A gateway's usage log made readable by DuckDB, safely: one file, under a name this server chose.

Owns: the formats a log may have (CSV, Parquet, JSON lines; the JSON pages of an API are
``pages``), the private folder a log is read from (a link to a UTF-8 file, a UTF-8 copy of a
Windows-1252 or UTF-16 one, or the bytes of an upload), the header of a CSV log, DuckDB's
reader of it and DuckDB's refusals said in French with their line. A CSV log is read by the
rules of ``tabular`` (the one reader of French files): its encoding (a file that mixes encodings
is refused with its line) and its separator. A path is never read as a glob, and an upload's
name never becomes a path.

Must not: interpret the log's columns (``fields``), check its values (``checks``) or write anything
outside its private folder.
"""

from __future__ import annotations

import codecs
import csv
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from core.errors import InputError
from footprint.io.tabular import decode_text, display_name, first_line, read_source, sniff_separator

READERS = {".csv": "read_csv", ".tsv": "read_csv", ".txt": "read_csv", ".parquet": "read_parquet",
           ".jsonl": "read_json", ".ndjson": "read_json", ".json": "read_json"}


@dataclass(frozen=True)
class Log:
    """A log ready for DuckDB: a private file, how to read it and how its numbers are written."""

    path: Path
    reader: str
    name: str
    separator: str | None
    header: tuple[str, ...] = ()
    # The SQL of the rows when they are not the file's own rows (the results of JSON pages,
    # ``pages``): it names each row's place in the file (``_position``) and its order (``_seq``).
    relation: str | None = None

    @property
    def decimal_comma(self) -> bool:
        """A ";" file writes its decimals with a comma (French office software)."""
        return self.separator == ";"

    @property
    def first_line(self) -> int:
        """The line of the file that holds the first row (after a CSV's header)."""
        return 2 if self.reader == "read_csv" else 1

    @property
    def row_sql(self) -> str:
        """The SQL numbering the rows in the order of the file (from 1)."""
        return "_seq" if self.relation is not None else "row_number() OVER ()"


@contextmanager
def private_copy(source: Path | str | bytes, name: str | None) -> Iterator[Log]:
    """The log under a name this server chose, in a private folder removed afterwards: a link to
    a UTF-8 file, a UTF-8 copy of a Windows-1252 or UTF-16 one, or the bytes of an upload."""
    upload = isinstance(source, (bytes, bytearray, memoryview))
    path = None if upload else Path(source)
    shown = display_name(name if upload or name else path.name)
    if path is not None and not path.is_file():
        raise InputError.single("fichier introuvable", file=shown)
    if path is not None and path.stat().st_size == 0:
        raise InputError.single("fichier vide", file=shown)
    suffix = Path(shown).suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        raise InputError.single("format de journal inconnu : attendu .csv, .parquet ou .jsonl", file=shown)
    folder = Path(tempfile.mkdtemp(prefix="empreinte-journal-"))
    target = folder / f"journal{suffix}"
    try:
        header = ""
        if upload:
            data, _ = read_source(bytes(source), shown)
            if reader == "read_csv":
                text = _one_kind_of_line_break(decode_text(data, shown))
                header, data = first_line(text), text.encode("utf-8")
            target.write_bytes(data)
        elif reader == "read_csv":
            header = _link_or_transcode(path, target, shown)
        else:
            target.symlink_to(path.resolve())
        if reader != "read_csv":
            yield Log(target, reader, shown, None)
        else:
            separator = sniff_separator(header)
            yield Log(target, reader, shown, separator, _header_names(header, separator, shown))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _header_names(line: str, separator: str, shown: str) -> tuple[str, ...]:
    """The column names of a CSV header line (a blank one named after its place), unique."""
    names = next(csv.reader([first_line(line)], delimiter=separator), [])
    names = [name.strip() or f"colonne_{i + 1}" for i, name in enumerate(names)]
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if name.lower() in seen:
            raise InputError.single(f"colonne « {name} » en double (colonnes {seen[name.lower()] + 1} et {index + 1})",
                                    file=shown, line=1)
        seen[name.lower()] = index
    return tuple(names)


def _link_or_transcode(path: Path, target: Path, shown: str) -> str:
    """Link ``target`` to a UTF-8 CSV, or write there a UTF-8 copy of one in another encoding
    (checked block by block: a log may hold millions of lines). Returns the header line."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    header = None
    with path.open("rb") as handle:
        block = handle.read(1 << 16)
        # UTF-16, or lines ended by CR alone (old Mac files): rewritten in UTF-8 with LF.
        rewrite = block.startswith((b"\xff\xfe", b"\xfe\xff")) or (b"\r" in block and b"\n" not in block)
        try:
            while block and not rewrite:
                text = decoder.decode(block)
                header = first_line(text) if header is None else header
                block = handle.read(1 << 20)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            rewrite = True  # not UTF-8 throughout: decode_text below says why, with the line
    if rewrite:
        # decode_text refuses a file that mixes encodings (with the line) and reads Windows-1252.
        text = _one_kind_of_line_break(decode_text(path.read_bytes(), shown))
        target.write_text(text, encoding="utf-8")
        return first_line(text)
    target.symlink_to(path.resolve())
    return header or ""


def _one_kind_of_line_break(text: str) -> str:
    """A text whose lines end with CR alone (old Mac files) written with LF, as DuckDB reads it."""
    return text.replace("\r", "\n") if "\r" in text and "\n" not in text else text


def reader_sql(log: Log) -> str:
    if log.relation is not None:
        return f"({log.relation})"
    escaped = str(log.path).replace("'", "''")
    if log.reader == "read_csv":
        delimiter = log.separator.replace("\t", "\\t")
        columns = ", ".join("'" + name.replace("'", "''") + "': 'VARCHAR'" for name in log.header)
        return (f"read_csv('{escaped}', header = true, delim = '{delimiter}', quote = '\"', escape = '\"', "
                f"columns = {{{columns}}}, auto_detect = false, strict_mode = true, null_padding = false)")
    if log.reader == "read_json":
        # The whole file is sampled: a key or a type that appears late is read, not refused.
        shape = "newline_delimited" if log.path.suffix in (".jsonl", ".ndjson") else "auto"
        return f"read_json('{escaped}', format = '{shape}', sample_size = -1)"
    return f"read_parquet('{escaped}')"


def duckdb_problem(error: duckdb.Error, log: Log) -> InputError:
    """DuckDB's refusal of a file (in English), said in French, with the line when it gives one."""
    text = str(error)
    found = re.search(r"[Ll]ine:? (\d+)", text)
    line = int(found.group(1)) if found else None
    lowered = text.lower()
    if "unterminated quote" in lowered or "quote" in lowered and "number of columns" not in lowered:
        reason = "CSV mal formé : guillemet ouvert et jamais refermé, ou mal placé"
    elif "number of columns" in lowered or "too many columns" in lowered:
        reason = "CSV mal formé : nombre de cellules différent de celui de l'en-tête (un séparateur en trop ?)"
    elif "unicode" in lowered or "utf" in lowered or "encod" in lowered:
        reason = "journal illisible : encodage inconnu, enregistrez le journal en UTF-8"
    elif log.reader == "read_parquet":
        reason = "journal illisible : fichier Parquet corrompu"
    elif log.reader == "read_json":
        reason = "journal illisible : chaque ligne d'un fichier JSONL doit être un objet JSON"
    else:
        reason = "journal illisible : ce n'est pas un fichier CSV valide"
    return InputError.single(reason, file=log.name, line=line)


def file_columns(con: duckdb.DuckDBPyConnection, log: Log) -> dict[str, str]:
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {reader_sql(log)}").fetchall()
    except duckdb.Error as error:
        raise duckdb_problem(error, log) from None
    return {name: kind for name, kind, *_ in described}

