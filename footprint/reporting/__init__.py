"""What goes into the PCAET and the BEGES: the summary, the detail, the sources and the note."""

from footprint.reporting.report import (
    KEYS,
    Export,
    Period,
    detail,
    electricity_factors,
    escape_markdown,
    indicators,
    note_html,
    note_markdown,
    render,
    sources,
    summary,
    write,
)

__all__ = ["KEYS", "Export", "Period", "detail", "electricity_factors", "escape_markdown", "indicators", "note_html",
           "note_markdown", "render", "sources", "summary", "write"]
