"""The Microsoft 365 Copilot usage report, one row per licensed user: the admin center's export
and the Microsoft Graph report ``getMicrosoft365CopilotUsageUserDetail``.

Owns: the columns of both families of headers (the admin center's « Last activity date of Word
Copilot (UTC) », « Prompts submitted (any app) », « Active Days »; Graph's « Word Copilot Last
Activity Date », « Prompts submitted for all apps », « Active Usage Days for all apps », « Report
Refresh Date », « Report Period »), the split between the two products of the catalogue
(``m365_copilot``: Copilot in Teams, Word, Excel, PowerPoint, Outlook, OneNote and Loop;
``m365_copilot_chat``: Copilot Chat, work and web), the level its volume is known at (prompts
counted when the report has them, else the users active in the period, read from their last
activity dates), and its period (« Report Period », else the caller's) and end (« Report Refresh
Date », else the latest activity date of the file). Names may be anonymised (MD5): they are
read as any other name, and never kept.

Formats: https://learn.microsoft.com/microsoft-365/admin/activity-reports/microsoft-365-copilot-usage
(admin center), https://learn.microsoft.com/graph/api/reportroot-getmicrosoft365copilotusageuserdetail
and https://learn.microsoft.com/microsoft-365/copilot/extensibility/api/admin-settings/reports/copilotreportroot-getmicrosoft365copilotusageuserdetail
(Graph, versions v1 and v2).

Must not: map users to services, scale to the year or write anything (``importing``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from core.errors import InputError, Problem
from footprint.inventory.admin_exports.activity import MESSAGES_LEVEL, USERS_LEVEL, Activity, Preset, user_rows
from footprint.inventory.admin_exports.files import find_column, read_sheet, shown_name
from footprint.inventory.admin_exports.values import (
    duplicate_users,
    first_problem,
    period_problem,
    pick_columns,
    read_counts,
    read_dates,
    require_rows,
    settle_period,
)

APPS_PRODUCT, CHAT_PRODUCT = "m365_copilot", "m365_copilot_chat"
# Each application's last activity date, admin center's spelling first, then Graph's.
APPS = {app: (f"Last activity date of {app} Copilot (UTC)", f"{graph} Copilot Last Activity Date")
        for app, graph in (("Teams", "Microsoft Teams"), ("Word", "Word"), ("Excel", "Excel"),
                           ("PowerPoint", "PowerPoint"), ("Outlook", "Outlook"), ("OneNote", "OneNote"),
                           ("Loop", "Loop"))}
CHATS = {"Copilot Chat (work)": ("Last activity date of Copilot Chat (work) (UTC)",
                                 "Copilot Chat (work) Last Activity Date"),
         "Copilot Chat (web)": ("Last activity date of Copilot Chat (web) (UTC)",
                                "Copilot Chat (web) Last Activity Date"),
         # Graph v1 has one date for Copilot Chat, work and web together.
         "Copilot Chat": ("Copilot Chat Last Activity Date",)}
FIELDS = {
    "user": ("User Principal Name", "User name", "Username"),
    "refresh": ("Report Refresh Date",),
    "period": ("Report Period",),
    "last": ("Last activity date (UTC)", "Last Activity Date", "Last activity date (UTC (Universal Time Code))"),
    "prompts": ("Prompts submitted (any app)", "Prompts submitted for all apps"),
    "prompts_work": ("Copilot Chat (work) prompts submitted", "Prompts submitted for Copilot Chat (work)"),
    "prompts_web": ("Copilot Chat (web) prompts submitted", "Prompts submitted for Copilot Chat (web)"),
    "active_days": ("Active Days", "Active Usage Days for all apps"),
    **{f"app:{app}": spellings for app, spellings in APPS.items()},
    **{f"chat:{chat}": spellings for chat, spellings in CHATS.items()},
}
PROMPTS = ("prompts", "prompts_work", "prompts_web")
LABEL = "Microsoft 365 Copilot"


def read(source: Path | str | bytes, name: str | None, product: str, period_days: float | None) -> Activity:
    """The activity of a Microsoft 365 Copilot usage report, per user and product. ``product``
    is not used: the report says which product each activity is."""
    columns: dict[str, str] = {}

    def pick(header: tuple[str, ...]) -> list[str]:
        if find_column(header, ("Prompts submitted",)) and not any(find_column(header, FIELDS[f]) for f in PROMPTS):
            # Its prompts are Copilot Chat's without a licence: not the licensed users' report read here.
            raise InputError.single("rapport d'usage de Copilot Chat (utilisateurs sans licence) : pas encore pris en "
                                    f"charge ; exportez le rapport {LABEL} (Rapports > Utilisation > Microsoft 365 "
                                    "Copilot > Copilot)", file=shown, line=1)
        activity = ["last", *PROMPTS, *(f"app:{a}" for a in APPS), *(f"chat:{c}" for c in CHATS)]
        columns.update(pick_columns(header, FIELDS, ["user"], shown, f"le rapport d'usage {LABEL}", any_of=[
            (activity, "au moins une colonne d'activité (« Prompts submitted (any app) », « Last activity date (UTC) » "
                       "ou la date de chaque application)")]))
        return list(columns.values())

    shown = shown_name(source, name)
    sheet = read_sheet(source, name, pick)
    require_rows(sheet)
    problems: list[Problem] = []
    users = sheet.cells[columns["user"]]
    if users.isna().any():
        problems.append(first_problem(sheet, users.isna().to_numpy(), "utilisateur manquant", columns["user"]))
    problems += duplicate_users(sheet, users.str.lower(), columns["user"])
    period = _period(sheet, columns, period_days, problems)
    dates = {field: read_dates(sheet, column, problems) for field, column in columns.items()
             if field in ("refresh", "last") or field.startswith(("app:", "chat:"))}
    counted = [field for field in PROMPTS if field in columns]
    counts = {field: read_counts(sheet, columns[field], problems) for field in counted}
    active_days = (read_counts(sheet, columns["active_days"], problems, empty_is_zero=False)
                   if "active_days" in columns else None)
    if problems:
        raise InputError(problems)
    notes = []
    end, year_from = _end(dates, notes)
    start = None if end is None or period is None else end - pd.Timedelta(days=period - 1)
    if active_days is not None and period is not None and (active_days > period).any():
        column = columns["active_days"]
        raise InputError([first_problem(sheet, (active_days > period).to_numpy(), "jours d'activité au-delà de la "
                                        "période du rapport", column, sheet.cells[column])])
    if counted:
        apps, chat = _prompts(counts, notes)
        level = MESSAGES_LEVEL
        frames = [user_rows(users, APPS_PRODUCT, apps > 0, apps, active_days),
                  user_rows(users, CHAT_PRODUCT, chat > 0, chat, active_days)]
    else:
        level = USERS_LEVEL
        since = start if start is not None else pd.NaT
        frames = [user_rows(users, product_id, _active_since(dates, prefix, since, users.index),
                            active_days=active_days)
                  for product_id, prefix in ((APPS_PRODUCT, "app:"), (CHAT_PRODUCT, "chat:"))]
        if not any(f.startswith(("app:", "chat:")) for f in dates) and "last" in dates:
            frames = [user_rows(users, APPS_PRODUCT, dates["last"] >= since, active_days=active_days)]
            notes.append("le rapport n'a pas de date par application : toute l'activité est comptée pour "
                         "Microsoft 365 Copilot")
        notes.append("sans nombre d'invites dans le rapport, le volume est celui des utilisateurs actifs sur la "
                     "période (leur dernière date d'activité y tombe)")
    return Activity(sheet.name, sheet.digest, sheet.rows, int(users.str.lower().nunique()),
                    pd.concat(frames, ignore_index=True), level, float(period), start, end,
                    None if end is None else int(end.year), year_from, tuple(notes))


def _period(sheet, columns: dict[str, str], period_days: float | None, problems: list[Problem]) -> float | None:
    """The report's period in days: its « Report Period » (« 30 », or « D30 » as Graph names it),
    the same on every row; else the caller's."""
    in_file = None
    if "period" in columns:
        column = columns["period"]
        text = sheet.cells[column].str.replace(r"^[Dd]", "", regex=True)
        days = read_counts(sheet, column, problems, empty_is_zero=False, text=text)
        if (days.isna() & text.notna()).any():
            return None  # unreadable: read_counts said which line
        if text.isna().any():
            problems.append(first_problem(sheet, text.isna().to_numpy(), "période du rapport manquante", column))
            return None
        distinct = sorted(days.unique())
        if len(distinct) > 1:
            shown = ", ".join(f"{d:g}" for d in distinct)
            problems.append(first_problem(sheet, (days != days.iloc[0]).to_numpy(), f"plusieurs périodes dans un même "
                                          f"rapport ({shown} jours) : exportez une seule période (pas « ALL »)", column,
                                          sheet.cells[column]))
            return None
        in_file = float(distinct[0])
        if (reason := period_problem(in_file)) is not None:
            problems.append(sheet.problem(reason, 0, column, sheet.cells[column].iloc[0]))
            return None
    return settle_period(sheet, in_file, period_days, FIELDS["period"][0], problems)


def _end(dates: dict[str, pd.Series], notes: list[str]) -> tuple[pd.Timestamp | None, str | None]:
    """The report's last day: its refresh date, else the latest activity date of the file."""
    if "refresh" in dates and dates["refresh"].notna().any():
        return pd.Timestamp(dates["refresh"].max()), "la date d'actualisation du rapport"
    latest = max((d.max() for d in dates.values() if d.notna().any()), default=None)
    if latest is None:
        return None, None
    notes.append("le rapport n'a pas de date d'actualisation : sa période est prise comme finissant à la dernière "
                 "date d'activité du fichier")
    return pd.Timestamp(latest), "la dernière date d'activité du rapport"


def _prompts(counts: dict[str, pd.Series], notes: list[str]) -> tuple[pd.Series, pd.Series]:
    """The prompts of each user in the applications (Word, Outlook, Teams…) and in Copilot Chat:
    Chat's are its work and web prompts, the applications' the rest of those of any app."""
    zero = pd.Series(0.0, index=next(iter(counts.values())).index)
    chat = counts.get("prompts_work", zero) + counts.get("prompts_web", zero)
    if "prompts" not in counts:
        notes.append("sans colonne « Prompts submitted (any app) », seules les invites de Copilot Chat sont comptées")
        return zero, chat
    if "prompts_work" not in counts and "prompts_web" not in counts:
        notes.append("le rapport ne sépare pas les invites de Copilot Chat : toutes sont comptées pour "
                     "Microsoft 365 Copilot")
    # Some reports counted Chat's prompts alone in « any app »: never fewer than none left for the apps.
    return (counts["prompts"] - chat).clip(lower=0.0), chat


def _active_since(dates: dict[str, pd.Series], prefix: str, since: pd.Timestamp, index: pd.Index) -> pd.Series:
    """Whether each user's last activity in one of the product's applications falls in the period."""
    columns = [d for field, d in dates.items() if field.startswith(prefix)]
    if not columns or pd.isna(since):
        return pd.Series(False, index=index)
    return pd.concat([c >= since for c in columns], axis=1).any(axis=1)


PRESET = Preset(
    name="m365-copilot", label=LABEL,
    description=("Rapport d'usage de Microsoft 365 Copilot, une ligne par utilisateur (CSV). Centre d'administration "
                 "Microsoft 365 (admin.microsoft.com) > Rapports > Utilisation > Microsoft 365 Copilot > Copilot, "
                 "onglet Utilisation : choisissez la période (7, 28 ou 30, 90 ou 180 jours), puis, sous le tableau "
                 "des utilisateurs, « Choisir les colonnes » (toutes) et Exporter. Ou le rapport Microsoft Graph "
                 "getMicrosoft365CopilotUsageUserDetail(period='D30') en CSV (la version v2 donne le nombre "
                 "d'invites). Les noms peuvent être anonymisés (Paramètres > Paramètres de l'organisation > "
                 "Rapports) : la correspondance des services les reconnaît."),
    products=(APPS_PRODUCT, CHAT_PRODUCT), choosable=False, count_noun="invites", read=read)
