"""The diagnostic of uses: a questionnaire for every agent, its exports read back (our template,
Microsoft Forms, LimeSurvey, Framaforms), the answers extrapolated from the respondents to the
whole authority and saved as declarations of origin « enquete:<import> », and the figures of
« IA non encadrée » (uses through personal or free accounts, personal or confidential data).

One room per concept: ``questions`` (the questionnaire), ``template`` (its files), ``readers``
(the exports), ``extrapolate`` (answers -> declarations, with the sampling interval). Callers
import from here.

Must not: keep a name, an e-mail, an IP address or a free text (only counts by service × product
× use case × account), compute impacts itself (``engine``) or write outside one store
transaction.
"""

from __future__ import annotations

import pandas as pd

from footprint.factors import FactorBase
from footprint.inventory.survey.extrapolate import (
    KEPT_SURVEY,
    SurveyResult,
    extrapolate,
    parse_headcounts,
    read_headcounts,
    wilson_interval,
)
from footprint.inventory.survey.questions import QUESTIONS, TEMPLATE_COLUMNS
from footprint.inventory.survey.readers import FORMATS, SurveyAnswers, parse_mapping, read_survey, survey_headers
from footprint.inventory.survey.template import survey_text, survey_workbook
from footprint.store import Store

__all__ = ["FORMATS", "KEPT_SURVEY", "QUESTIONS", "TEMPLATE_COLUMNS", "SurveyAnswers", "SurveyResult",
           "extrapolate", "import_survey", "outside_framework", "parse_headcounts", "parse_mapping",
           "preview_survey", "read_headcounts", "read_survey", "survey_headers", "survey_text", "survey_workbook",
           "wilson_interval"]


def preview_survey(source, store: Store, factors: FactorBase, year: int, survey_format: str = "template", *,
                   name: str | None = None, mapping: dict[str, str] | None = None,
                   headcounts: dict[str, int] | None = None) -> SurveyResult:
    """What importing a survey export would write, reading the store but writing nothing."""
    answers = read_survey(source, factors, survey_format, name=name, mapping=mapping, year=year)
    profile = store.authority_profile() or {}
    agents = profile.get("agents")
    return extrapolate(answers, factors, year, headcounts=headcounts,
                       authority_agents=None if agents is None else int(agents), existing=store.declarations(year))


def import_survey(source, store: Store, factors: FactorBase, year: int, survey_format: str = "template", *,
                  name: str | None = None, mapping: dict[str, str] | None = None,
                  headcounts: dict[str, int] | None = None) -> tuple[SurveyResult, dict[str, int]]:
    """Read, extrapolate and save a survey export: its declarations and its groups in one
    transaction (all or nothing). Returns the result and the counts of declarations."""
    result = preview_survey(source, store, factors, year, survey_format, name=name, mapping=mapping,
                            headcounts=headcounts)
    answers = result.answers
    counts = store.save_survey(result.declarations, result.groups, year,
                               action=f"enquête {answers.file_name}",
                               import_record={"kind": f"enquete:{answers.format}", "file_name": answers.file_name,
                                              "file_sha256": answers.digest, "replaces": True})
    return result, counts


def outside_framework(store: Store, inventory=None, year: int | None = None) -> pd.DataFrame:
    """« IA non encadrée » by service, from the survey's groups: ``uses`` (respondents' uses of a
    tool, a use counted once per tool and purpose), ``personal_share`` (their share through a
    personal or free account), ``personal_gwp_share`` (the share of the service's survey
    footprint, kgCO2e central, through those accounts: the groups' declarations joined with
    ``inventory``, an ``Inventory`` of ``footprint.inventory.totals``, NaN without it; its year
    when ``year`` is not given), ``sensitive_share``
    (share of the respondents' uses with personal or confidential data)."""
    if year is None and inventory is not None:
        year = inventory.year
    groups = store.survey_groups(year)
    columns = ["service", "uses", "personal_share", "personal_gwp_share", "sensitive_share"]
    if groups.empty:
        return pd.DataFrame(columns=columns)
    groups = groups.assign(personal=groups["account"] == "personal",
                           sensitive_count=groups["sensitive_yes"],
                           answered=groups["sensitive_yes"] + groups["sensitive_no"] + groups["sensitive_unknown"])
    gwp = pd.Series(float("nan"), index=groups.index)
    if inventory is not None and not inventory.declarations.empty:
        by_id = pd.Series(inventory.impacts["gwp_kgco2e_central"].to_numpy(),
                          index=inventory.declarations["id"].astype(str).to_numpy())
        gwp = groups["declaration_id"].map(by_id).astype("float64")
    groups = groups.assign(gwp=gwp, personal_gwp=gwp.where(groups["personal"], 0.0))
    table = groups.groupby("service", sort=True).agg(
        uses=("respondents", "sum"), personal_uses=("respondents", lambda s: s[groups.loc[s.index, "personal"]].sum()),
        sensitive=("sensitive_count", "sum"), answered=("answered", "sum"),
        gwp=("gwp", lambda s: s.sum(min_count=1)), personal_gwp=("personal_gwp", "sum")).reset_index()
    table["personal_share"] = table["personal_uses"] / table["uses"]
    table["personal_gwp_share"] = table["personal_gwp"] / table["gwp"]
    table["sensitive_share"] = table["sensitive"] / table["answered"]
    return table[columns]
