"""What goes into the PCAET and the BEGES: where each declaration goes (``classification``), the
summary with its totals, the detail, the sources and the indicators (``summary``), the methodology
note (``note``, made safe and turned into HTML by ``markdown``) and the export files (``files``)."""

from footprint.reporting.files import Export, render, tables, write
from footprint.reporting.markdown import escape_markdown, note_html
from footprint.reporting.note import note_markdown
from footprint.reporting.summary import (
    KEYS,
    Period,
    column_label,
    detail,
    electricity_factors,
    indicators,
    sources,
    summary,
    totals,
    with_totals,
)

__all__ = ["KEYS", "Export", "Period", "column_label", "detail", "electricity_factors", "escape_markdown",
           "indicators", "note_html", "note_markdown", "render", "sources", "summary", "tables", "totals",
           "with_totals", "write"]
