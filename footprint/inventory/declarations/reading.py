"""Reading a CSV or spreadsheet file of declarations, all or nothing.

Owns: the size limits of a declarations file, the mapping of its header to store columns (the
French headers of ``footprint.vocabulary.FILE_COLUMNS`` and their other spellings), reading its
rows through ``tabular`` (the one reader of French files) and the rules of ``rules``, every bad
row listed with its line, column, value and a French reason; and the SHA-256 an import is
recorded with. Must not: write to the store (``totals`` saves what this reads), or read a
gateway's log (``usage_logs``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from core.errors import InputError, Problem
from footprint.factors import FactorBase
from footprint.inventory.declarations.rules import (
    MAX_LISTED,
    check_ids,
    check_names,
    normalise_names,
    parse_record,
    records_frame,
    rule_problems,
)
from footprint.inventory.declarations.spellings import HEADER_ALIASES, plain_key
from footprint.io.tabular import Table, read_table
from footprint.vocabulary import FILE_COLUMNS, STORE_COLUMNS

REQUIRED_HEADER = tuple(FILE_COLUMNS[c] for c in ("year", "service", "kind"))
MAX_FILE_BYTES = 20_000_000
MAX_ROWS = 20_000  # an inventory holds a few thousand declarations; a gateway's log goes through usage_logs


def read_declarations(source: Path | str | bytes, factors: FactorBase, name: str | None = None) -> pd.DataFrame:
    """Declarations of a CSV or spreadsheet file (a path, or an upload's bytes shown as ``name``),
    checked; ``InputError`` lists every bad row."""
    table = read_table(source, max_bytes=MAX_FILE_BYTES, name=name, max_rows=MAX_ROWS,
                       what="fichier de déclarations (pour le journal d'une passerelle : « usage import »)")
    columns = _map_header(table)
    problems: list[Problem] = []
    records, lines = [], []
    for line, cells in table.rows:
        record: dict[str, object] = {}
        for index, english in columns.items():
            value = cells[index] if index < len(cells) else None
            record[english] = value
        extra = [c for c in cells[len(table.header):] if c not in (None, "")]
        if extra:
            problems.append(Problem(f"{len(extra)} cellule(s) de plus que de colonnes dans l'en-tête (un séparateur "
                                    "en trop ?)", file=table.file_name, line=line, value=extra[0]))
        parsed = parse_record(record, table.file_name, line, problems, decimal=table.decimal)
        records.append(parsed)
        lines.append(line)
        if len(problems) >= MAX_LISTED:
            break
    if not records and not problems:
        raise InputError.single("aucune déclaration : le fichier n'a qu'une ligne d'en-tête", file=table.file_name)
    frame = records_frame(records)
    problems += check_ids(frame, table.file_name, lines)
    unreadable = {p.line for p in problems}
    readable = [i for i, line in enumerate(lines) if line not in unreadable]
    problems += rule_problems(frame.iloc[readable], factors, table.file_name, [lines[i] for i in readable])
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.line or 0))[:MAX_LISTED])
    check_names(frame, factors, table.file_name, lines)
    frame = normalise_names(frame, factors)
    frame.attrs["columns"] = ["id", *columns.values()]  # what the file gave, for updates of existing ids
    return frame


def _map_header(table: Table) -> dict[int, str]:
    """Index of each column of the file -> its store column; ``InputError`` for an unknown, a
    repeated or a missing required header, or a nameless column that holds values."""
    mapping, unknown, seen = {}, [], {}
    for index, raw in enumerate(table.header):
        key = plain_key(raw)
        key = HEADER_ALIASES.get(key, key)
        if key == "" and str(raw).strip():
            unknown.append(str(raw))  # "€", "備考": a name, but none of ours
            continue
        if key == "":
            filled = next((line for line, cells in table.rows if index < len(cells) and cells[index] not in (None, "")),
                          None)
            if filled is not None:
                raise InputError.single(f"colonne {index + 1} sans nom d'en-tête, mais remplie (sa valeur serait "
                                        "perdue) : nommez-la ou videz-la", file=table.file_name, line=filled)
            continue
        if key not in STORE_COLUMNS:
            unknown.append(str(raw))
            continue
        if key in seen:
            raise InputError.single(f"colonne « {raw} » en double (colonnes {seen[key] + 1} et {index + 1})",
                                    file=table.file_name, line=1)
        seen[key] = index
        mapping[index] = STORE_COLUMNS[key]
    problems = []
    if unknown:
        hint = ""
        if len(table.header) == 1:
            hint = " ; le séparateur de colonnes n'a pas été reconnu (attendu : point-virgule, virgule ou tabulation)"
        problems.append(Problem(f"colonne(s) inconnue(s) : {', '.join(unknown)}{hint}. Colonnes possibles : "
                                f"{', '.join(FILE_COLUMNS.values())}", file=table.file_name, line=1))
    # A file that names each use's product may leave the type out: the product says it.
    missing = [c for c in REQUIRED_HEADER if c not in seen and not (c == FILE_COLUMNS["kind"]
                                                                     and FILE_COLUMNS["product"] in seen)]
    if missing:
        problems.append(Problem(f"colonne(s) obligatoire(s) manquante(s) : {', '.join(missing)}",
                                file=table.file_name, line=1))
    if problems:
        raise InputError(problems)
    return mapping


def file_sha256(path: Path | str | bytes) -> str:
    """The SHA-256 of a file (a path, or the bytes of an upload)."""
    if isinstance(path, (bytes, bytearray, memoryview)):
        return hashlib.sha256(path).hexdigest()
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
