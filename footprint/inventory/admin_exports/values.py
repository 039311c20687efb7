"""The values of an export's cells, read a whole column at a time: counts, dates, and the columns
a preset requires.

Owns: a count read as French office software writes it (blanks and apostrophes between
thousands dropped, a decimal comma in a « ; » file), a date read as ISO (``2025-06-30``,
``2025-12-17T10:25:07Z``) or French (``30/06/2025``, day first: one rule, never a guess per row),
the refusal of a missing column (naming the expected and the found ones), of a non-numeric,
negative or non-finite count, of an unreadable date and of a user twice in one period, each with
its count, its first line and that line's value.

Must not: know what a preset does with the values, or keep a user: a problem about a user names
its line, never its name.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.errors import InputError, Problem
from emission_factors.schema import read_input_bounds
from footprint.inventory.admin_exports.files import Sheet, find_column
from footprint.io.formatting import format_number

# Blanks and apostrophes people and spreadsheets put between thousands (« 1 234 », « 1'234 »), in RE2.
_THOUSANDS = r"[\s\x{a0}\x{202f}']"
# A number as Python writes one (« 12 », « 3.5 », « 1e6 »), in RE2.
_PLAIN_NUMBER = r"^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$"
# A date as ISO writes it, with or without its time and offset, and as French offices write it.
_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$"
_FRENCH_DATE = r"^[0-9]{2}/[0-9]{2}/[0-9]{4}( [0-9]{2}:[0-9]{2}(:[0-9]{2})?)?$"


def pick_columns(header: tuple[str, ...], fields: dict[str, tuple[str, ...]], required: Iterable[str],
                 shown: str, label: str, any_of: Iterable[tuple[Iterable[str], str]] = ()) -> dict[str, str]:
    """The file's column for each field (its spellings compared by plain key), or
    ``InputError`` naming the missing ones (and their other spellings) and the file's columns.
    ``any_of``: (fields, what they are) of which the file must have at least one."""
    found = {f: find_column(header, spellings) for f, spellings in fields.items()}
    missing = []
    for field in required:
        if found[field] is None:
            first, *others = fields[field]
            missing.append(f"« {first} »" + (f" (ou « {' », « '.join(others)} »)" if others else ""))
    missing += [what for group, what in any_of if all(found[f] is None for f in group)]
    if missing:
        raise InputError.single(f"colonnes manquantes pour {label} : {', '.join(missing)} (colonnes du fichier : "
                                f"{', '.join(header) or 'aucune'})", file=shown, line=1)
    return {f: c for f, c in found.items() if c is not None}


def require_rows(sheet: Sheet) -> None:
    """Refuse an export that has only its header."""
    if sheet.rows == 0:
        raise InputError.single("aucune ligne d'utilisateur : le fichier n'a que son en-tête", file=sheet.name)


def first_problem(sheet: Sheet, mask: np.ndarray, message: str, column: str | None,
                  values: pd.Series | None = None) -> Problem:
    """The problem of the first row ``mask`` marks, saying how many rows share it; ``values``:
    the cells shown as the value (none for a user's name)."""
    count = int(mask.sum())
    position = int(np.argmax(mask))
    if count > 1:
        message = f"{message} ({format_number(count)} lignes ; la première est celle-ci)"
    value = None if values is None else values.iloc[position]
    return sheet.problem(message, position, column, value)


def read_counts(sheet: Sheet, column: str, problems: list[Problem], *, empty_is_zero: bool = True,
                text: pd.Series | None = None) -> pd.Series:
    """The counts of a column (float64; an empty cell is 0, or NaN when not ``empty_is_zero``);
    a non-numeric, negative or non-finite one appended to ``problems`` (with its first line).
    ``text``: the column's cells as the preset rewrote them (« D30 » read as « 30 »)."""
    text = sheet.cells[column] if text is None else text
    cells = _arrow(text)
    plain = pc.match_substring_regex(cells, _PLAIN_NUMBER)
    if not pc.all(pc.fill_null(plain, True)).as_py():
        # « 1 234 », « 12,5 » in a « ; » file: written by a person or an office suite, read as ``cells``.
        cleaned = pc.replace_substring_regex(cells, _THOUSANDS, "")
        if sheet.decimal_comma:
            cleaned = pc.replace_substring(cleaned, ",", ".")
        cells = pc.if_else(plain, cells, cleaned)
        plain = pc.match_substring_regex(cells, _PLAIN_NUMBER)
    numbers = pc.cast(pc.if_else(plain, cells, pa.scalar(None, pa.string())), pa.float64()).to_numpy(
        zero_copy_only=False)
    given = text.notna().to_numpy()
    unreadable = given & ~np.isfinite(numbers)
    if unreadable.any():
        problems.append(first_problem(sheet, unreadable, "nombre illisible : un nombre entier positif est attendu",
                                      column, text))
    negative = given & ~unreadable & (np.nan_to_num(numbers) < 0)
    if negative.any():
        problems.append(first_problem(sheet, negative, "nombre négatif", column, text))
    numbers = np.where(given & ~unreadable & ~negative, numbers, np.nan)
    return pd.Series(np.nan_to_num(numbers) if empty_is_zero else numbers, index=text.index, dtype="float64")


def read_dates(sheet: Sheet, column: str, problems: list[Problem]) -> pd.Series:
    """The dates of a column (``datetime64[s]``, the day as written, its time and offset
    ignored; NaT for an empty cell): ISO (``2025-06-30``, ``2025-12-17T10:25:07Z``) or French
    (``30/06/2025``, day first); an unreadable one appended to ``problems`` (with its first line)."""
    text = sheet.cells[column]
    # A column of dates holds few distinct ones: each is read once, then given to its rows.
    encoded = _arrow(text).dictionary_encode()
    distinct = encoded.dictionary
    head = pc.utf8_slice_codeunits(distinct, 0, len("AAAA-MM-JJ"))
    days = None
    for pattern, layout in ((_ISO_DATE, "%Y-%m-%d"), (_FRENCH_DATE, "%d/%m/%Y")):
        wanted = pc.if_else(pc.match_substring_regex(distinct, pattern), head, pa.scalar(None, pa.string()))
        read = pc.strptime(wanted, format=layout, unit="s", error_is_null=True)
        # strptime moves 2025-02-30 to 2025-03-02: a day that does not exist is refused instead.
        real = pc.equal(pc.strftime(read, format=layout), wanted)
        read = pc.if_else(real, read, pa.scalar(None, read.type))
        days = read if days is None else pc.coalesce(days, read)
    out = pd.Series(pc.take(days, encoded.indices).to_numpy(zero_copy_only=False), index=text.index
                    ).astype("datetime64[s]")
    unreadable = text.notna().to_numpy() & out.isna().to_numpy()
    if unreadable.any():
        problems.append(first_problem(sheet, unreadable, "date illisible (attendues : AAAA-MM-JJ ou JJ/MM/AAAA)",
                                      column, text))
    return out


def _arrow(text: pd.Series) -> pa.Array:
    """A column of text as an Arrow array (no copy for the strings DuckDB gave)."""
    cells = pa.array(text.astype(pd.StringDtype("pyarrow")).array, type=pa.string())
    return cells.combine_chunks() if isinstance(cells, pa.ChunkedArray) else cells


def duplicate_users(sheet: Sheet, keys: pd.Series, column: str, within: pd.Series | None = None) -> list[Problem]:
    """A user given twice (in one period, when ``within`` names the periods): the first repeat's
    line and the line it repeats. The user is not shown: its line says where."""
    frame = pd.DataFrame({"key": keys.to_numpy(), "within": "" if within is None else within.to_numpy()})
    frame = frame[frame["key"].notna()]
    repeated = frame.duplicated(["key", "within"]).to_numpy()
    if not repeated.any():
        return []
    position = int(frame.index[np.argmax(repeated)])
    first = frame[(frame["key"] == frame.at[position, "key"]) & (frame["within"] == frame.at[position, "within"])]
    where = sheet.problem("", int(first.index[0]))
    earlier = f"ligne {where.line}" if where.line is not None else f"élément n° {int(first.index[0]) + 1}"
    count = int(repeated.sum())
    more = f" ; {format_number(count)} répétitions en tout" if count > 1 else ""
    period = " dans la même période" if within is not None else ""
    return [sheet.problem(f"utilisateur en double{period} : déjà {earlier}{more} ; un export donne une ligne par "
                          "utilisateur", position, column)]


def period_problem(days: float | None) -> str | None:
    """Why a period of ``days`` days cannot be an export's (None when it can): more than none, at
    most a year (the bound of ``days_per_year`` in schema.toml [inputs])."""
    most = read_input_bounds()["days_per_year"].maximum
    if days is None or not np.isfinite(days) or days <= 0 or days > most:
        return f"période illisible : attendu un nombre de jours entre 1 et {most:g}"
    return None


def settle_period(sheet: Sheet, in_file: float | None, given: float | None, column: str,
                  problems: list[Problem]) -> float | None:
    """The period of an export in days: the file's when it says it (``in_file``), else the
    caller's (``given``); a contradiction, or neither, appended to ``problems``."""
    if in_file is not None:
        if given is not None and not math.isclose(given, in_file):
            problems.append(sheet.problem(f"la période indiquée ({format_number(given)} jours) contredit celle du "
                                          f"fichier ({format_number(in_file)} jours)", column=column))
        return in_file
    if given is None:
        problems.append(sheet.problem("période de l'export inconnue : le fichier ne la dit pas ; indiquez le nombre "
                                      "de jours choisi à l'export (7, 28, 30, 90 ou 180 jours…)", column=column))
    return given
