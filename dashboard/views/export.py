"""The Export page: the export date as the library reads it, and what each downloaded file is
called in French.

Must not: import Streamlit or build an export (``scenarios.pcaet``, through ``state``).
"""

from __future__ import annotations

import datetime

from scenarios.pcaet import check_export_date

__all__ = ["DOWNLOAD_LABELS", "download_label", "export_date"]

# The suffix of each CSV of ``export pcaet`` (after ``export-pcaet-AAAA``) -> what it is.
DOWNLOAD_LABELS = {"": "Synthèse PCAET/BEGES", "-detail": "Détail par déclaration", "-sources": "Sources des facteurs",
                   "-indicateurs": "Indicateurs Territoires en Transitions"}


def export_date(chosen: datetime.date | str) -> str:
    """The export date picked in the page, as ``AAAA-MM-JJ`` (``InputError`` when unreadable)."""
    return check_export_date(str(chosen))


def download_label(name: str, year: int) -> str:
    """What a CSV of the export of ``year`` is, named by its file name."""
    suffix = name.removeprefix(f"export-pcaet-{year}").removesuffix(".csv")
    return DOWNLOAD_LABELS.get(suffix, name)
