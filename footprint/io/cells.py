"""One cell of the tables people exchange, in either direction: what a text cell may hold and how
it is made safe for a spreadsheet, and how a number is written by a person and written back.

Owns: the characters no cell may hold (C0/C1 controls, U+FFFE/FFFF, lone surrogates), the
formula signs and the neutralisation of formula-like text (``needs_quote``, ``neutralise``,
and its undoing on the way in), numbers written the French way (``parse_number``: ``1 234,5``;
ambiguous ``1,000`` refused) and their exact writing back (``exact_number``), empty cells.

Must not: read or write files (``tabular`` reads, ``writing`` writes) nor know what a column means.
"""

from __future__ import annotations

import math
import re
import unicodedata

# The first character of a text that a spreadsheet would run as a formula (ASCII and full-width
# signs: some spreadsheets convert the latter), once blanks and control characters are skipped.
FORMULA_SIGNS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")


# Characters no text cell may hold: C0 and C1 controls (tab and line breaks aside), and what XML
# cannot carry (U+FFFE, U+FFFF, lone surrogates): a spreadsheet would be damaged, or hide a sign.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


# Characters that show nothing before a formula sign: blanks, format characters (Cf: bidi marks,
# zero-width spaces, soft hyphen…), combining marks and the Hangul fillers.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"})


_FILLERS = frozenset("\u115f\u1160\u3164\uffa0")


MAX_CELL_CHARACTERS = 32_767  # the most a spreadsheet cell holds (Excel's specifications and limits)


_NUMBER = re.compile(r"^[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)([eE][+-]?[0-9]+)?$")


# "1,000" or "1.500": thousands in one convention, decimals in the other. Refused, not guessed,
# unless the file says which convention it follows (a ";" file writes decimals with a comma).
_AMBIGUOUS = re.compile(r"^[+-]?[1-9][0-9]{0,2}[.,][0-9]{3}$")


_DECIMAL_COMMA = re.compile(r"^[+-]?[0-9]+,[0-9]+$")


class AmbiguousNumber(ValueError):
    """A number that reads differently in French and in English (``1,000``)."""

    def __init__(self, text: str):
        super().__init__(f"écriture ambiguë « {text} » (mille ou un ?) : écrivez 1000 ou 1 000 pour des milliers, "
                         "1,0 pour une décimale")


def number_problem(error: ValueError) -> str:
    """The French reason a text is not accepted as a number."""
    if isinstance(error, AmbiguousNumber):
        return str(error)
    return "nombre trop grand" if str(error) == "non fini" else "valeur non numérique"


def needs_quote(text: str) -> bool:
    """Whether a spreadsheet could take this text for a formula (or it starts with the quote
    that neutralises one, which must then be doubled to survive a round trip): its first visible
    character, after blanks, format characters and fillers, is a formula sign."""
    if not text:
        return False
    if text[0] in "'\t\r\n":
        return True
    for character in text:
        if character in FORMULA_SIGNS:
            return True
        if not (character.isspace() or character in _FILLERS
                or unicodedata.category(character) in _INVISIBLE_CATEGORIES):
            return False
    return False


def restore_text(value: str) -> str:
    """Undo the neutralisation of a formula-like cell (``'=SOMME`` -> ``=SOMME``)."""
    if value.startswith("'") and needs_quote(value[1:]):
        return value[1:]
    return value


def neutralise(value: str) -> str:
    """A text cell made safe for a spreadsheet: control characters removed (a spreadsheet cannot
    hold them, and they would hide a formula sign), then a leading quote if what remains could
    run as a formula. Every writer calls this last, on every text cell."""
    text = CONTROL_CHARACTERS.sub("", str(value))
    return "'" + text if needs_quote(text) else text


def parse_number(value: object, decimal: str | None = None) -> float | None:
    """A number written by a person: ``1 234,5``, ``1234.5``, ``1.234,5``, ``1e6``; None if empty.

    ``decimal``: the file's decimal separator when its convention is known (``","``), so that
    ``1,234`` reads as 1.234 there instead of being refused as ambiguous.
    Raises ``ValueError`` for text that is not a number, and for ``nan``, ``inf`` or a number
    too large for a float (``1e400``).
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
    if decimal == "," and _DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    elif _AMBIGUOUS.match(text):
        raise AmbiguousNumber(str(value).strip())
    if "," in text and "." in text:
        # The last separator is the decimal one: 1.234,5 or 1,234.5.
        text = text.replace(".", "") if text.rfind(",") > text.rfind(".") else text.replace(",", "")
    text = text.replace(",", ".")
    if not _NUMBER.match(text):
        raise ValueError(text)
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("non fini")
    return number


def exact_number(value: float, decimal: str = ",") -> str:
    """A number written so that reading it back gives the same float (shortest exact form)."""
    if float(value).is_integer() and abs(value) < 1e16:
        return str(int(value))
    text = repr(float(value))
    if _AMBIGUOUS.match(text):
        text += "0"  # 2.345 -> 2.3450: reads back as a decimal in either convention
    return text.replace(".", decimal) if decimal != "." else text


def has_control_characters(text: str) -> bool:
    """Characters a spreadsheet cannot hold (refused on import, so that exports never fail)."""
    return bool(CONTROL_CHARACTERS.search(text))


def is_missing(value: object) -> bool:
    """None, NaN or pandas' NA: a cell with nothing in it."""
    try:
        return value is None or bool(value != value)
    except (TypeError, ValueError):  # pandas' NA refuses to be a boolean
        return True
