"""The Export page: the export date as the library reads it, what each downloaded file is called
in French, and the collectivité and target the export carries, in words.

Must not: import Streamlit or build an export (``scenarios.pcaet``, through ``state``).
"""

from __future__ import annotations

import datetime

from footprint.io.formatting import format_number
from scenarios.pcaet import DEFAULT_AUTHORITY, check_export_date

__all__ = ["DOWNLOAD_LABELS", "authority_name", "download_label", "export_date", "profile_caption"]

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


def authority_name(profile, example_name: str | None = None) -> str:
    """The name the page proposes: the profile's, else the example's (while it is loaded), else
    « Collectivité »."""
    return (profile.name if profile is not None else None) or example_name or DEFAULT_AUTHORITY


def profile_caption(profile) -> str:
    """What the export carries of the profile (``footprint.inventory.authority.Profile`` or
    None), and the target its scenarios are judged against, in one sentence."""
    if profile is None:
        return ("Profil de la collectivité non renseigné : pas de SIREN ni de chiffres par agent dans l'export ; "
                "les scénarios sont jugés au rythme de la SNBC.")
    siren = f" (SIREN {profile.siren})" if profile.siren else ""
    target = (f"son objectif du PCAET, −{format_number(profile.target_reduction_pct)} % en {profile.target_year}"
              if profile.target else "le rythme de la SNBC (pas d'objectif dans le profil)")
    return f"Profil de la collectivité : {profile.name}{siren}. Scénarios jugés selon {target}."
