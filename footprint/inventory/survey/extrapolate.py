"""From the respondents to the whole authority: survey answers turned into product declarations
(origin « enquete:<import> »), one per service × product × use case × account, with the
sampling interval of the share of users behind each.

Owns: the head-count of each service (given at import; else the collectivité's agents spread by
the respondents' share, with a warning; else the respondents themselves, with a warning), the
scale (head-count ÷ respondents of the service), the Wilson score interval of the share of users
with the finite population correction (``wilson_interval``), the messages (or units of a task)
per year of each group (extrapolated users × days of use of their frequencies, from the factor
base's ``survey_frequencies``, × the catalogue's messages per user and day of use, at both ends),
the rule that an admin export of the same product and service for the year wins (no double
count), and the anonymous groups the store keeps (``survey_groups``).

Must not: read a file (``readers``), hold a number of the method (the factor base's
``survey_frequencies`` and the constant ``survey_confidence_z``), keep a respondent, or write.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InputError, Problem
from footprint.factors import FactorBase
from footprint.inventory.declarations import check
from footprint.inventory.declarations.spellings import plain_key
from footprint.inventory.products import rate_name
from footprint.inventory.survey.questions import ACCOUNTS, UNKNOWN_TOOL, USE_CASES
from footprint.inventory.survey.readers import SurveyAnswers
from footprint.io.formatting import format_number
from footprint.vocabulary import DECLARATION_COLUMNS, DECLARATION_DTYPES, FILE_COLUMNS, for_audience

Z_CONSTANT = "survey_confidence_z"
ORIGIN_PREFIX = "enquete:"
# Origins whose counts are measured for a product and a service: they win over the survey.
COUNTED_ORIGINS = {"admin:": "export d'administration", "usage:": "journal de passerelle"}
KEPT_SURVEY = "enquête"
KEPT_UNKNOWN = "non déclaré : outil hors catalogue"
GROUP_COLUMNS = ("service", "product", "use_case", "account")


def wilson_interval(share, respondents, population, z):
    """Low and high ends of the share of users of a service, by the Wilson score interval with
    the finite population correction. Arrays in, arrays out.

    ``share``: the share of the respondents who use [dimensionless]; ``respondents``: n, the
    respondents of the service; ``population``: N, its head-count (N ≥ n); ``z``: the normal
    quantile of the confidence level (``survey_confidence_z``).

    The sampling variance p(1 − p)/n shrinks by (N − n)/(N − 1) when n agents out of N answer
    (sampling without replacement), i.e. n is replaced by n' = n (N − 1)/(N − n); the interval is
    Wilson's: (p + z²/2n' ± z √(p(1 − p)/n' + z²/4n'²)) / (1 + z²/n'). Everyone answered: the
    share is known (no interval).

    References: E. B. Wilson, « Probable inference, the law of succession, and statistical
    inference », JASA 22 (1927) 209-212; W. G. Cochran, Sampling Techniques, 3rd ed. (1977), § 2.5.

    >>> low, high = wilson_interval(0.5, 12, 200, 1.96)
    >>> round(float(low), 2), round(float(high), 2)
    (0.26, 0.74)
    >>> [round(float(v), 2) for v in wilson_interval(0.5, 150, 200, 1.96)]
    [0.46, 0.54]
    """
    share, n, big_n = (np.asarray(v, dtype="float64") for v in (share, respondents, population))
    with np.errstate(divide="ignore", invalid="ignore"):
        effective = np.where(big_n > n, n * (big_n - 1.0) / (big_n - n), np.inf)
        z2 = np.asarray(z, dtype="float64") ** 2
        denominator = 1.0 + z2 / effective
        centre = (share + z2 / (2.0 * effective)) / denominator
        half = z / denominator * np.sqrt(share * (1.0 - share) / effective + z2 / (4.0 * effective ** 2))
    low = np.where(np.isfinite(effective), np.clip(centre - half, 0.0, 1.0), share)
    high = np.where(np.isfinite(effective), np.clip(centre + half, 0.0, 1.0), share)
    return low, high


@dataclass(frozen=True)
class SurveyResult:
    """What an import makes of a survey, before anything is written: ``declarations`` (store
    columns), ``groups`` (the rows of ``survey_groups`` less who and when), ``services``
    (service, respondents, headcount, headcount_source, response_rate), ``warnings`` and
    ``notes`` (French)."""

    import_id: str
    year: int
    answers: SurveyAnswers
    declarations: pd.DataFrame
    groups: pd.DataFrame
    services: pd.DataFrame
    warnings: tuple[str, ...]
    notes: tuple[str, ...]


def parse_headcounts(text: str | None) -> dict[str, int]:
    """``"Finances=200, Culture=35"`` -> {service: head-count}; refuses what is not a whole number."""
    counts: dict[str, int] = {}
    problems = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        service, sep, count = part.rpartition("=")
        digits = count.strip().replace(" ", "").replace("\u202f", "")
        if not sep or not service.strip() or not digits.isdigit() or int(digits) < 1:
            problems.append(Problem("effectif illisible : écrivez « service=nombre d'agents » (ex. Finances=200)",
                                    column="--effectifs", value=part.strip()))
            continue
        counts[" ".join(service.split())] = int(digits)
    if problems:
        raise InputError(problems)
    return counts


def read_headcounts(table) -> dict[str, int]:
    """The head-counts of a ``service;effectif`` table (``footprint.io.tabular.Table``)."""
    keys = [plain_key(h) for h in table.header]
    if "service" not in keys or not ({"effectif", "agents"} & set(keys)):
        raise InputError.single("colonnes « service » et « effectif » attendues", file=table.file_name, line=1)
    where_service = keys.index("service")
    where_count = keys.index("effectif") if "effectif" in keys else keys.index("agents")
    text = ",".join(f"{cells[where_service]}={cells[where_count]}" for _, cells in table.rows
                    if len(cells) > max(where_service, where_count))
    return parse_headcounts(text)


def extrapolate(answers: SurveyAnswers, factors: FactorBase, year: int, *,
                headcounts: Mapping[str, int] | None = None, authority_agents: int | None = None,
                existing: pd.DataFrame | None = None) -> SurveyResult:
    """The declarations and groups of a survey for ``year``. ``headcounts``: service -> agents;
    ``authority_agents``: the collectivité's agents (profile), spread over the services without
    a head-count by their share of the respondents; ``existing``: the store's declarations of the
    year (an admin export or a gateway log of the same product and service wins). Raises
    ``InputError`` (all or nothing)."""
    import_id = f"ENQ-{year}-{_answers_digest(answers)[:8]}"
    warnings: list[str] = []
    services = _services(answers, headcounts or {}, authority_agents, warnings)
    frequencies = dict(factors.con.execute(
        "SELECT frequency, days_of_use_per_year FROM survey_frequencies").fetchall())
    z = float(factors.constant(Z_CONSTANT).m_as("dimensionless"))
    rows = []
    for answer in answers.answers:
        weight = 1.0 / len(answer.uses)  # one use of the tool is shared between its purposes
        for use in answer.uses:
            rows.append({"service": answer.service, "product": answer.product,
                         "use_case": USE_CASES.get(use) or "", "account": answer.account,
                         "respondent": answer.respondent, "weight": weight,
                         "days": frequencies[answer.frequency] * weight, "sensitive": answer.sensitive})
    if not rows:
        raise InputError.single("aucun usage d'outil d'IA dans les réponses : rien à déclarer", file=answers.file_name)
    long = pd.DataFrame(rows)
    grouped = long.groupby(list(GROUP_COLUMNS), sort=True).agg(
        respondents=("respondent", "nunique"), weight=("weight", "sum"), days=("days", "sum")).reset_index()
    sensitive = (long.drop_duplicates(["service", "product", "use_case", "account", "respondent"])
                 .pivot_table(index=list(GROUP_COLUMNS), columns="sensitive", values="respondent", aggfunc="count",
                              fill_value=0).reindex(columns=["yes", "no", "unknown"], fill_value=0).reset_index())
    grouped = grouped.merge(sensitive, on=list(GROUP_COLUMNS), how="left")
    grouped = grouped.merge(services[["service", "respondents", "headcount", "headcount_source"]]
                            .rename(columns={"respondents": "service_respondents", "headcount": "service_headcount"}),
                            on="service", how="left")
    share = grouped["weight"] / grouped["service_respondents"]
    low, high = wilson_interval(share, grouped["service_respondents"], grouped["service_headcount"], z)
    grouped["users"] = share * grouped["service_headcount"]
    grouped["users_low"] = np.maximum(low * grouped["service_headcount"], grouped["weight"])
    grouped["users_high"] = np.maximum(high * grouped["service_headcount"], grouped["users"])
    grouped["days_of_use_per_year"] = grouped["days"] / grouped["weight"]
    grouped = _volumes(grouped, factors, year)
    grouped["kept"], counted_by = _kept(grouped, existing, year)
    notes = list(answers.notes)
    for (service, product), origin in sorted(counted_by.items()):
        notes.append(f"{service} × {product} : {origin} gardé, la réponse à l'enquête n'est pas déclarée (pas de "
                     "double compte : un volume compté prime sur un volume déclaré)")
    declared = grouped[grouped["kept"] == KEPT_SURVEY]
    declarations = _declarations(declared, year, import_id, answers.file_name)
    if not declarations.empty:
        try:
            check(declarations, factors, file_name=answers.file_name)
        except InputError as error:
            unlocated = [Problem(p.message, file=answers.file_name, column=p.column, value=p.value)
                         for p in error.problems]
            raise InputError(for_audience(unlocated, "file", extra={FILE_COLUMNS["year"]: "--year"})) from None
    ids = dict(zip(declared.index, declarations["id"]))
    grouped["declaration_id"] = pd.Series(ids, dtype="string").reindex(grouped.index)
    groups = grouped.rename(columns={"yes": "sensitive_yes", "no": "sensitive_no", "unknown": "sensitive_unknown"})
    groups = groups.assign(import_id=import_id, year=year, use_case=groups["use_case"].replace("", None))
    groups = groups[list(GROUP_TABLE_COLUMNS)].reset_index(drop=True)
    return SurveyResult(import_id, year, answers, declarations, groups, services, tuple(warnings), tuple(notes))


# The columns of ``survey_groups`` a result gives (the store adds who and when).
GROUP_TABLE_COLUMNS = ("import_id", "year", "service", "product", "use_case", "account", "respondents",
                       "service_respondents", "service_headcount", "headcount_source", "users", "users_low",
                       "users_high", "days_of_use_per_year", "messages", "messages_low", "messages_high",
                       "sensitive_yes", "sensitive_no", "sensitive_unknown", "declaration_id", "kept")


def _answers_digest(answers: SurveyAnswers) -> str:
    """A digest of what was answered (not of the file's bytes: a survey exported again, with
    another date inside the workbook, is the same survey)."""
    given = sorted((a.service, a.product, a.account, a.frequency, a.uses, a.sensitive) for a in answers.answers)
    return hashlib.sha256(repr((given, sorted(answers.respondents.items()))).encode()).hexdigest()


def _services(answers: SurveyAnswers, headcounts: Mapping[str, int], agents: int | None,
              warnings: list[str]) -> pd.DataFrame:
    given = {plain_key(s): n for s, n in headcounts.items()}
    respondents = pd.Series(answers.respondents, dtype="float64")
    frame = pd.DataFrame({"service": list(answers.respondents), "respondents": respondents.to_numpy()})
    frame["headcount"] = frame["service"].map(lambda s: given.get(plain_key(s), np.nan)).astype("float64")
    frame["headcount_source"] = np.where(frame["headcount"].notna(), "import", None)
    missing = frame["headcount"].isna()
    unknown = sorted(set(given) - {plain_key(s) for s in frame["service"]})
    if unknown:
        warnings.append(f"effectifs donnés pour des services sans réponse, ignorés : {', '.join(unknown)}")
    if missing.any():
        remaining = (agents or 0) - frame.loc[~missing, "headcount"].sum()
        if agents and remaining > frame.loc[missing, "respondents"].sum():
            spread = remaining * frame.loc[missing, "respondents"] / frame.loc[missing, "respondents"].sum()
            frame.loc[missing, "headcount"] = np.maximum(spread.round(), frame.loc[missing, "respondents"])
            frame.loc[missing, "headcount_source"] = "profil"
            warnings.append(f"effectif inconnu pour {', '.join(frame.loc[missing, 'service'])} : les "
                            f"{format_number(remaining)} agents du profil de la collectivité (hors services dont "
                            "l'effectif est donné) répartis au prorata des répondants ; donnez --effectifs pour "
                            "une extrapolation juste")
        else:
            frame.loc[missing, "headcount"] = frame.loc[missing, "respondents"]
            frame.loc[missing, "headcount_source"] = "répondants"
            warnings.append(f"effectif inconnu pour {', '.join(frame.loc[missing, 'service'])} et profil de la "
                            "collectivité sans nombre d'agents : seuls les répondants sont comptés (aucune "
                            "extrapolation) ; donnez --effectifs")
    short = frame[frame["headcount"] < frame["respondents"]]
    if not short.empty:
        raise InputError([Problem(f"effectif ({format_number(r.headcount)}) inférieur au nombre de répondants "
                                  f"({format_number(r.respondents)})", file=answers.file_name, column="--effectifs",
                                  value=r.service) for r in short.itertuples()])
    frame["response_rate"] = frame["respondents"] / frame["headcount"]
    return frame


def _volumes(grouped: pd.DataFrame, factors: FactorBase, year: int) -> pd.DataFrame:
    """Messages (or units of a task) per year at both ends: users × days of use × the catalogue's
    rate per day of use (its low end with the low users, its high end with the high users)."""
    kinds, rate_low, rate_high = [], [], []
    for product in grouped["product"]:
        if product == UNKNOWN_TOOL:
            kinds.append(None)
            rate_low.append(np.nan)
            rate_high.append(np.nan)
            continue
        found = factors.product(product, year)
        low, high = found.span(rate_name(found))
        kinds.append(found.kind)
        rate_low.append(low)
        rate_high.append(high)
    low, high = np.asarray(rate_low), np.asarray(rate_high)
    days = grouped["days_of_use_per_year"]
    grouped = grouped.assign(kind=kinds)
    grouped["messages"] = grouped["users"] * days * 0.5 * (low + high)
    grouped["messages_low"] = grouped["users_low"] * days * low
    grouped["messages_high"] = grouped["users_high"] * days * high
    return grouped


def _kept(grouped: pd.DataFrame, existing: pd.DataFrame | None, year: int) -> tuple[pd.Series, dict]:
    """What each group becomes: « enquête », « export d'administration (…) » when a counted source
    of the same product and service exists for the year, or not declared (an unknown tool)."""
    counted: dict[tuple[str, str], str] = {}
    if existing is not None and not existing.empty:
        current = existing[pd.to_numeric(existing["year"], errors="coerce") == year]
        for row in current.itertuples(index=False):
            origin = "" if pd.isna(row.origin) else str(row.origin)
            for prefix, label in COUNTED_ORIGINS.items():
                if origin.startswith(prefix) and not pd.isna(row.product) and not pd.isna(row.service):
                    counted[(plain_key(row.service), str(row.product))] = f"{label} ({origin[len(prefix):]})"
    kept, used = [], {}
    for row in grouped.itertuples(index=False):
        key = (plain_key(row.service), row.product)
        if row.product == UNKNOWN_TOOL:
            kept.append(KEPT_UNKNOWN)
        elif key in counted:
            kept.append(counted[key])
            used[(row.service, row.product)] = counted[key]
        else:
            kept.append(KEPT_SURVEY)
    return pd.Series(kept, index=grouped.index, dtype="string"), used


def _declarations(declared: pd.DataFrame, year: int, import_id: str, file_name: str) -> pd.DataFrame:
    accounts = {a.key: a.label for a in ACCOUNTS}
    keys = (str(year) + "|" + declared["service"] + "|" + declared["product"] + "|" + declared["use_case"] + "|" +
            declared["account"]).tolist()
    is_task = (declared["kind"] == "task").to_numpy()
    personal = np.where(declared["yes"] > 0, True, np.where(declared["unknown"] > 0, None, False))
    frame = pd.DataFrame({
        "id": [f"E-{year}-{hashlib.sha256(k.encode()).hexdigest()[:8]}" for k in keys],
        "year": year,
        "service": declared["service"].to_numpy(),
        "use_case": declared["use_case"].replace("", None).to_numpy(),
        "kind": declared["kind"].to_numpy(),
        "product": declared["product"].to_numpy(),
        # The volume at both ends of the sampling interval: messages (or units) is the low end.
        "messages": np.where(is_task, np.nan, declared["messages_low"]),
        "units": np.where(is_task, declared["messages_low"], np.nan),
        "volume_high": declared["messages_high"].to_numpy(),
        "personal_data": personal,
        "comment": [_comment(row, accounts, file_name) for row in declared.itertuples(index=False)],
        "origin": ORIGIN_PREFIX + import_id,
    })
    return frame.reindex(columns=list(DECLARATION_COLUMNS)).astype(dict(DECLARATION_DTYPES))


def _comment(row, accounts: dict[str, str], file_name: str) -> str:
    """Where the volume comes from (French): a count of respondents, never a person."""
    plural = "s" if row.respondents > 1 else ""
    return (f"Enquête auprès des agents ({file_name}) : {format_number(row.respondents)} répondant{plural} sur "
            f"{format_number(row.service_respondents)} du service ({format_number(row.service_headcount)} agents), "
            f"{accounts.get(row.account, row.account).lower()} ; {format_number(row.users)} utilisateurs estimés "
            f"(de {format_number(row.users_low)} à {format_number(row.users_high)}, intervalle de Wilson) × "
            f"{format_number(row.days_of_use_per_year)} journées d'usage par an ; messages de "
            f"{format_number(row.messages_low)} à {format_number(row.messages_high)}")
