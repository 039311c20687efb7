"""The printable report as PDF bytes: plain content in (``Report``: a title, sections of
paragraphs, tables and figures, all plain text), a laid-out A4 document out, in French, with the
page number on every page.

Owns: the layout (styles, margins, tables, figures, the footer « page N sur M »), the font (DejaVu
Sans, the one matplotlib bundles: French typography needs the narrow no-break space and the minus
sign, which the PDF's built-in fonts lack; nothing is fetched), the escaping of every text for
the mini-markup of reportlab's ``Paragraph`` (a service named ``<b>x</b>`` is printed as those
characters), and the bytes being the same for the same content (reportlab's invariant mode, the
document's date set from ``Report.date``, never the clock).

Must not: compute or choose a figure (``scenarios.report`` assembles the content), draw a chart
(``report_figures``) or write a file (``footprint.io.output_files``). reportlab is imported only
when a report is rendered: the command line's help and the dashboard start without it.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
_FONT_FILES = {FONT: "DejaVuSans.ttf", FONT_BOLD: "DejaVuSans-Bold.ttf"}
_FONTS_LOCK = threading.Lock()
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")

# Presentation choices of the page (points, reportlab's unit: 72 to the inch).
_MARGIN = 48
_BODY_SIZE = 9.5
_SMALL_SIZE = 7
_INK = "#1f2328"  # text: contrast above 15:1 on white
_MUTED = "#4b5563"  # captions and footer: contrast above 7:1 on white
_ACCENT = "#0f5e5a"  # titles and table headers (white text on it: contrast above 7:1)
_RULE = "#c9cfd6"
_CALLOUT = "#eef5f4"


@dataclass(frozen=True)
class Table:
    """A table of plain text: ``header`` then ``rows``; ``widths``: each column's share of the
    text width (equal when empty); ``right``: the columns aligned right (numbers); ``small``:
    in the small size (long tables such as the sources)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...] = ()
    right: tuple[int, ...] = ()
    small: bool = False


@dataclass(frozen=True)
class Figure:
    """A chart (PNG bytes) shown ``width`` (share of the text width) wide, with its caption."""

    png: bytes
    caption: str
    width: float = 1.0


@dataclass(frozen=True)
class Callout:
    """A paragraph in a tinted box (what the reader must not miss)."""

    text: str


@dataclass(frozen=True)
class Section:
    """A titled part of the report: its blocks in order (plain-text paragraphs, ``Table``,
    ``Figure``, ``Callout``); ``new_page``: starts on a new page."""

    title: str
    blocks: tuple[object, ...]
    new_page: bool = False


@dataclass(frozen=True)
class Report:
    """What the report says. ``date``: ``AAAA-MM-JJ``, printed in French and used as the PDF's
    date; ``lead``: the paragraphs (and callouts, tables) under the title, before the sections."""

    title: str
    subtitle: str
    date: str
    authority: str
    lead: tuple[object, ...] = ()
    sections: tuple[Section, ...] = ()
    footer: str = ""
    keywords: tuple[str, ...] = field(default=())


def french_date(text: str) -> str:
    """``2026-03-15`` -> « 15 mars 2026 » (« 1er » for the first of the month)."""
    day = date.fromisoformat(text)
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS[day.month - 1]} {day.year}"


def markup(text: object) -> str:
    """Plain text as reportlab's Paragraph markup: ``&``, ``<`` and ``>`` escaped, so that no
    text of the data (a service's name, the collectivité's) is read as a tag; line breaks kept."""
    return escape(str(text)).replace("\n", "<br/>")


def _register_fonts() -> None:
    """DejaVu Sans (regular and bold) from matplotlib's bundled fonts, once per process."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    with _FONTS_LOCK:
        if FONT in pdfmetrics.getRegisteredFontNames():
            return
        import matplotlib

        folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        for name, file in _FONT_FILES.items():
            pdfmetrics.registerFont(TTFont(name, str(folder / file)))
        addMapping(FONT, 0, 0, FONT)
        addMapping(FONT, 1, 0, FONT_BOLD)
        addMapping(FONT, 0, 1, FONT)
        addMapping(FONT, 1, 1, FONT_BOLD)


def _styles() -> dict:
    from reportlab.lib.colors import HexColor
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    ink, muted, accent = HexColor(_INK), HexColor(_MUTED), HexColor(_ACCENT)
    body = ParagraphStyle("body", fontName=FONT, fontSize=_BODY_SIZE, leading=_BODY_SIZE * 1.35, textColor=ink,
                          spaceAfter=_BODY_SIZE * 0.6)
    return {
        "title": ParagraphStyle("title", parent=body, fontName=FONT_BOLD, fontSize=17, leading=21,
                                textColor=accent, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=10.5, leading=14, textColor=muted,
                                   spaceAfter=10),
        "heading": ParagraphStyle("heading", parent=body, fontName=FONT_BOLD, fontSize=12.5, leading=16,
                                  textColor=accent, spaceBefore=10, spaceAfter=5, keepWithNext=True),
        "body": body,
        "intro": ParagraphStyle("intro", parent=body, keepWithNext=True),
        "callout": ParagraphStyle("callout", parent=body, backColor=HexColor(_CALLOUT), borderColor=accent,
                                  borderWidth=0.6, borderPadding=6, spaceBefore=6, spaceAfter=12),
        "caption": ParagraphStyle("caption", parent=body, fontSize=_SMALL_SIZE + 0.5, leading=_SMALL_SIZE * 1.4,
                                  textColor=muted, spaceAfter=8),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0),
        "cell_right": ParagraphStyle("cell_right", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0,
                                     alignment=TA_RIGHT),
        "small": ParagraphStyle("small", parent=body, fontSize=_SMALL_SIZE, leading=_SMALL_SIZE * 1.25,
                                spaceAfter=0),
        "small_right": ParagraphStyle("small_right", parent=body, fontSize=_SMALL_SIZE, leading=_SMALL_SIZE * 1.25,
                                      spaceAfter=0, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", parent=body, fontName=FONT_BOLD, fontSize=8.5, leading=10.5, spaceAfter=0,
                               textColor=HexColor("#ffffff")),
    }


def _table(table: Table, width: float, styles: dict):
    from reportlab.lib.colors import HexColor
    from reportlab.platypus import Paragraph, TableStyle
    from reportlab.platypus import Table as PdfTable

    count = len(table.header)
    shares = table.widths or tuple(1.0 / count for _ in range(count))
    total = sum(shares)
    cell, right = ("small", "small_right") if table.small else ("cell", "cell_right")
    head_style = styles["head"]
    data = [[Paragraph(markup(text), head_style) for text in table.header]]
    for row in table.rows:
        data.append([Paragraph(markup(text), styles[right if column in table.right else cell])
                     for column, text in enumerate(row)])
    built = PdfTable(data, colWidths=[width * share / total for share in shares], repeatRows=1, hAlign="LEFT")
    built.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), HexColor(_ACCENT)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, HexColor(_RULE)),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]))
    return built


def _figure(figure: Figure, width: float, styles: dict) -> list:
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image, Paragraph

    pixels_wide, pixels_high = ImageReader(io.BytesIO(figure.png)).getSize()
    shown = width * figure.width
    image = Image(io.BytesIO(figure.png), width=shown, height=shown * pixels_high / pixels_wide)
    image.hAlign = "LEFT"
    return [image, Paragraph(markup(figure.caption), styles["caption"])]


def _flowables(blocks: tuple[object, ...], width: float, styles: dict) -> list:
    from reportlab.platypus import Paragraph

    found: list = []
    for position, block in enumerate(blocks):
        following = blocks[position + 1] if position + 1 < len(blocks) else None
        if isinstance(block, Table):
            found += [_table(block, width, styles), _spacer(8)]
        elif isinstance(block, Figure):
            found += _figure(block, width, styles)
        elif isinstance(block, Callout):
            found.append(Paragraph(markup(block.text), styles["callout"]))
        else:
            # A sentence that introduces a table or a chart stays on its page.
            style = styles["intro" if isinstance(following, (Table, Figure)) else "body"]
            found.append(Paragraph(markup(block), style))
    return found


def _spacer(height: float):
    from reportlab.platypus import Spacer

    return Spacer(1, height)


def _canvas_class(report: Report):
    """A canvas that draws « page N sur M » and the footer once the page count is known, and
    dates the document from the report, not the clock."""
    from reportlab.lib.colors import HexColor
    from reportlab.pdfgen.canvas import Canvas

    day = date.fromisoformat(report.date)

    def stamp(*_clock) -> str:
        return f"D:{day.year:04d}{day.month:02d}{day.day:02d}000000+00'00'"

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.setDateFormatter(stamp)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            count = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._footer(count)
                super().showPage()
            super().save()

        def _footer(self, count: int) -> None:
            width, _ = self._pagesize
            self.saveState()
            self.setFont(FONT, _SMALL_SIZE)
            self.setFillColor(HexColor(_MUTED))
            self.drawString(_MARGIN, _MARGIN / 2, report.footer)
            self.drawRightString(width - _MARGIN, _MARGIN / 2, f"page {self._pageNumber} sur {count}")
            self.restoreState()

    return NumberedCanvas


def render_pdf(report: Report) -> bytes:
    """The PDF of ``report`` (A4, French), the same bytes for the same content."""
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    _register_fonts()
    styles = _styles()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=_MARGIN, rightMargin=_MARGIN, topMargin=_MARGIN,
                                 bottomMargin=_MARGIN, title=report.title, author=report.authority,
                                 subject=report.subtitle, creator="Empreinte IA", producer="Empreinte IA",
                                 keywords=list(report.keywords), invariant=1, lang="fr-FR")
    width = document.width
    story = [Paragraph(markup(report.title), styles["title"]),
             Paragraph(markup(f"{report.subtitle} — {french_date(report.date)}"), styles["subtitle"])]
    story += _flowables(report.lead, width, styles)
    for section in report.sections:
        if section.new_page:
            story.append(PageBreak())
        story.append(Paragraph(markup(section.title), styles["heading"]))
        story += _flowables(section.blocks, width, styles)
    document.build(story, canvasmaker=_canvas_class(report))
    return buffer.getvalue()
