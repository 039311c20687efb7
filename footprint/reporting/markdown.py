"""The Markdown of the methodology note, made safe, and the same note as an HTML page.

Owns: ``escape_markdown`` (user text as literal Markdown on one line: it cannot open a link, an
image, HTML, emphasis, a heading, a list or a table cell), the form of the factor base's links in
the note, the table cells, and ``note_html``, which reads back the small Markdown the note uses
(headings, lists, tables, paragraphs, links) with everything escaped; its only links are the http(s)
sources of the factor base.

Must not: decide what the note says (``note``), or let a text make a link that is not a source.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable
from urllib.parse import quote

import numpy as np

from footprint.io.writing import plain_number

# What a text may not carry into Markdown: backslash escapes for Markdown's punctuation, the
# sequences that make bare links (``://``, ``www.``, ``@``), entities for ``<``, ``>`` and ``&``.
_MARKDOWN_SPECIAL = re.compile(r"[\\`*_\[\]()#!|~@<>&]|://|(?i:www)\.")
_MARKDOWN_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def escape_markdown(text: object) -> str:
    """``text`` as literal Markdown on one line: rendered, it reads the same, and it cannot open
    a link, an image, HTML, emphasis, a heading, a list or a table cell."""
    def escaped(match: re.Match) -> str:
        found = match.group(0)
        if found in _MARKDOWN_ENTITIES:
            return _MARKDOWN_ENTITIES[found]
        if found == "://":
            return "\\://"
        if found.lower() == "www.":
            return found[:3] + "\\."
        return "\\" + found

    return _MARKDOWN_SPECIAL.sub(escaped, " ".join(str(text).split()))


def markdown_url(url: str) -> str:
    """A link of the factor base, written so that it cannot end a Markdown link early or break a
    table cell (spaces, brackets, quotes and bars percent-encoded)."""
    return quote(url.strip(), safe="/:?#&=%+,;@!$*~.-_")


def cell(value: object) -> str:
    """A table cell of the note: a number written exactly the French way (« 0,0461 », « 2025 »,
    never « 2025.0 » nor « 1e-08 »), a text escaped, nothing for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return plain_number(float(value), ",")
    return escape_markdown(value)


def year_cell(value: object) -> str:
    """A year of the note (stored as a float beside missing years in a frame)."""
    return str(int(value)) if isinstance(value, (int, float, np.integer, np.floating)) and math.isfinite(value) else ""

LINK_URL = re.compile(r"https?://[^\s()<>\"'\\|\[\]`]+")
_MARKDOWN_LINK = re.compile(r"\[((?:\\.|[^\\\[\]])*)\]\((" + LINK_URL.pattern + r")\)")
_HTML_ENTITIES = {entity: char for char, entity in _MARKDOWN_ENTITIES.items()}


def _html_text(char: str) -> str:
    """One literal character as HTML text (brackets as entities: no Markdown left in the page)."""
    return {"[": "&#91;", "]": "&#93;"}.get(char) or html.escape(char, quote=True)


def _html_inline(text: str, links: set[str] | None, in_link: bool = False) -> str:
    """The inline Markdown of the note as HTML: backslash escapes and the entities of
    ``escape_markdown`` read back as text, everything else escaped; ``[text](url)`` becomes a
    link only for an http(s) URL in ``links`` (any http(s) URL when ``links`` is None)."""
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and re.match(r"[!-/:-@\[-`{-~]", text[i + 1]):
            out.append(_html_text(text[i + 1]))
            i += 2
            continue
        if char == "&":
            entity = next((e for e in _HTML_ENTITIES if text.startswith(e, i)), None)
            out.append(_html_text(_HTML_ENTITIES[entity]) if entity else "&amp;")
            i += len(entity) if entity else 1
            continue
        if char == "[" and not in_link:
            match = _MARKDOWN_LINK.match(text, i)
            if match and (links is None or match.group(2) in links):
                out.append(f'<a href="{html.escape(match.group(2), quote=True)}">'
                           f"{_html_inline(match.group(1), links, in_link=True)}</a>")
                i = match.end()
                continue
        out.append(_html_text(char))
        i += 1
    return "".join(out)


def _table_cells(line: str) -> list[str]:
    """The cells of a Markdown table row, split on the bars that are not escaped."""
    cells, current, i = [], [], 0
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            current.append(body[i:i + 2])
            i += 2
            continue
        if body[i] == "|":
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(body[i])
        i += 1
    if "".join(current).strip():
        cells.append("".join(current).strip())
    return cells


def note_html(markdown: str, links: Iterable[str] | None = None) -> str:
    """The same note as a standalone HTML page (headings, lists, tables, links). Everything is
    escaped; the only links are the http(s) ones of ``links`` (the ``source_url`` of the factors
    used; when None, any http(s) link of the note, whose user text ``note_markdown`` escaped)."""
    allowed = None if links is None else {markdown_url(u) for u in links if isinstance(u, str) and u}
    body, table = [], []

    def inline(text: str) -> str:
        return _html_inline(text, allowed)

    def flush_table() -> None:
        if table:
            rows = [r for r in table if not set(r.replace("|", "").strip()) <= {"-", " "}]
            cells = [_table_cells(r) for r in rows]
            head = "".join(f"<th>{inline(c)}</th>" for c in cells[0])
            lines = "".join("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>" for r in cells[1:])
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{lines}</tbody></table>")
            table.clear()

    for line in markdown.splitlines():
        if line.startswith("|"):
            table.append(line)
            continue
        flush_table()
        if line.startswith("## "):
            body.append(f"<h2>{inline(line[3:])}</h2>")
        elif line.startswith("# "):
            body.append(f"<h1>{inline(line[2:])}</h1>")
        elif line.startswith("- "):
            body.append(f"<ul><li>{inline(line[2:])}</li></ul>")
        elif line.strip():
            body.append(f"<p>{inline(line)}</p>")
    flush_table()
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #999;padding:.2em .5em;text-align:left}")
    return (f'<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><title>Note méthodologique</title>'
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")
