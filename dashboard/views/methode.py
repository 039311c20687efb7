"""The Méthode page: the full methodology (``docs/METHODOLOGIE.md``), as the page shows it.

Must not: import Streamlit or hold any of the method (the text and the factor base have it).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["METHODOLOGY_FILE", "methodology"]

METHODOLOGY_FILE = Path(__file__).resolve().parents[2] / "docs" / "METHODOLOGIE.md"


def methodology() -> str:
    """The Markdown text of ``docs/METHODOLOGIE.md`` (a file of the project, never a user's)."""
    return METHODOLOGY_FILE.read_text(encoding="utf-8")
