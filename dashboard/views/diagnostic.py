"""The Diagnostic page: the agents' questionnaire to download (XLSX and text), a survey export
previewed (nothing written) then imported, the column mapping when its headers are not the
questionnaire's, and the « IA non encadrée » table by service.

Must not: import Streamlit, read or extrapolate a survey itself (``footprint.inventory.survey``
does), hold a number of its own, or write to the store except through ``import_answers``.
"""

from __future__ import annotations

import pandas as pd

from core.units import convert
from dashboard.views.common import YEAR_BOUNDS, percent
from footprint.factors import FactorBase
from footprint.inventory.survey import (
    FORMATS,
    QUESTIONS,
    TEMPLATE_COLUMNS,
    SurveyResult,
    import_survey,
    outside_framework,
    parse_headcounts,
    preview_survey,
    survey_headers,
    survey_text,
    survey_workbook,
)
from footprint.inventory.survey.readers import MAX_BYTES
from footprint.store import Store

__all__ = ["FORMATS", "YEAR_BOUNDS", "already_imported", "file_headers", "import_answers", "import_message",
           "mapping_targets", "outside_framework_table", "preview_answers", "questionnaire_files", "result_tables",
           "this_year"]


def this_year() -> int:
    """The year before the current one: the last whole year an inventory can cover."""
    return pd.Timestamp.now().year - 1


def questionnaire_files(factors: FactorBase) -> tuple[bytes, bytes]:
    """The questionnaire as an XLSX workbook and as UTF-8 text to paste into an online form."""
    return survey_workbook(factors), survey_text(factors).encode("utf-8")


def mapping_targets(survey_format: str) -> dict[str, str]:
    """Question key -> what people read, for the column mapping of ``survey_format``."""
    if survey_format == "template":
        return {key: header for key, header in TEMPLATE_COLUMNS.items()}
    return {q.key: q.text for q in QUESTIONS}


# The largest upload the page takes (MB): the survey reader's own limit (``readers.MAX_BYTES``).
SURVEY_MAX_MB = max(1, int(convert(MAX_BYTES, "byte", "megabyte")))


def file_headers(data: bytes, name: str) -> list[str]:
    """The column titles of an uploaded file (its first row), to map them (the survey reader's limits)."""
    return survey_headers(data, name)


def preview_answers(data: bytes, name: str, store: Store, factors: FactorBase, year: int, survey_format: str,
                    mapping: dict[str, str] | None = None, headcounts_text: str = "") -> SurveyResult:
    """What importing would write (raises ``InputError`` for a bad file); nothing is written."""
    return preview_survey(data, store, factors, year, survey_format, name=name, mapping=mapping or None,
                          headcounts=parse_headcounts(headcounts_text) or None)


def import_answers(data: bytes, name: str, store: Store, factors: FactorBase, year: int, survey_format: str,
                   mapping: dict[str, str] | None = None, headcounts_text: str = "") -> tuple[SurveyResult, dict]:
    """Import the survey export: its declarations and groups in one transaction (all or nothing)."""
    return import_survey(data, store, factors, year, survey_format, name=name, mapping=mapping or None,
                         headcounts=parse_headcounts(headcounts_text) or None)


def already_imported(store: Store, result: SurveyResult) -> bool:
    """Whether the store already holds the survey of ``result`` for its year (the same answers:
    its import id is a digest of what was answered, whatever the file's name or date)."""
    stored = store.survey_groups(result.year)
    return bool(len(stored)) and bool((stored["import_id"] == result.import_id).all())


def import_message(counts: dict[str, int], year: int) -> str:
    """What an import did (``import_answers``' counts), in French: created, modified, replaced
    (the declarations of an earlier survey of the year this one no longer gives) and unchanged;
    an import that found every declaration already there (the same answers again) says so."""
    created, modified = counts.get("created", 0), counts.get("modified", 0)
    replaced, unchanged = counts.get("replaced", 0), counts.get("unchanged", 0)
    if unchanged and not (created or modified or replaced):
        return (f"Aucune déclaration créée ni modifiée : ces réponses étaient déjà importées pour {year} "
                f"({unchanged} déclaration(s) inchangée(s)).")
    said = f"{created} déclaration(s) créée(s), {modified} modifiée(s)"
    if replaced:
        said += f", {replaced} retirée(s) (enquête précédente de {year})"
    if unchanged:
        said += f", {unchanged} inchangée(s)"
    return said + "."


def result_tables(result: SurveyResult, tools: dict[str, str] | None = None, use_cases: dict[str, str] | None = None
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The response rate by service and the groups (French columns) of a preview or an import;
    ``tools`` and ``use_cases`` (id -> label) name the products and the use cases as people do."""
    services = pd.DataFrame({
        "Service": result.services["service"],
        "Répondants": result.services["respondents"],
        "Effectif": result.services["headcount"],
        "Effectif d'après": result.services["headcount_source"],
        "Taux de réponse (%)": percent(result.services["response_rate"].to_numpy()),
    })
    groups = result.groups
    groups_table = pd.DataFrame({
        "Service": groups["service"], "Outil": groups["product"].map(lambda v: (tools or {}).get(v, v)),
        "Cas d'usage": groups["use_case"].map(lambda v: (use_cases or {}).get(v, v)),
        "Compte": groups["account"].map({"licence": "collectivité", "personal": "personnel ou gratuit"}),
        "Répondants": groups["respondents"], "Utilisateurs estimés": groups["users"].round(1),
        "Utilisateurs (bas)": groups["users_low"].round(1), "Utilisateurs (haut)": groups["users_high"].round(1),
        "Messages par an": groups["messages"].round(0), "Source gardée": groups["kept"],
    })
    return services, groups_table


def outside_framework_table(store: Store, inventory) -> pd.DataFrame:
    """« IA non encadrée » by service (French columns, percentages) for the inventory's year."""
    table = outside_framework(store, inventory)
    return pd.DataFrame({
        "Service": table["service"],
        "Usages déclarés": table["uses"],
        "Par un compte personnel ou gratuit (% des usages)": percent(table["personal_share"].to_numpy(dtype=float)),
        "Part de l'empreinte (kgCO2e) par ces comptes (%)": percent(table["personal_gwp_share"].to_numpy(dtype=float)),
        "Avec des données personnelles ou confidentielles (%)": percent(
            table["sensitive_share"].to_numpy(dtype=float)),
    })
