"""Le Chat's usage by user, as Mistral AI's administration API returns it (Team and Enterprise
plans): the JSON of ``GET /v1/admin/analytics/lechat/usage/by_user_stats`` saved as it came, or
the same table as CSV or spreadsheet.

Owns: its fields (``user_id``, ``messages_count``, ``unique_conversations_count``,
``files_count``, ``images_count``, ``last_message_at``…; an e-mail column is taken as the user
when there is no ``user_id``), its period (the response's ``start_time`` and ``end_time``, Unix
seconds, or the same columns of a table; else the caller's) and the level of its volume
(messages counted). The export cannot tell Team from Enterprise: the caller says.

Format: https://docs.mistral.ai/admin/admin-api/usage-metrics (« le Chat analytics », by user)
and https://docs.mistral.ai/api/endpoint/beta/admin/analytics (the response's fields).

Must not: map users to services, scale to the year or write anything (``importing``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from core.errors import InputError, Problem
from core.units import convert
from footprint.inventory.admin_exports.activity import MESSAGES_LEVEL, Activity, Preset, user_rows
from footprint.inventory.admin_exports.files import Sheet, read_sheet, shown_name
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

FIELDS = {"user": ("user_id", "email", "user_email", "user"), "messages": ("messages_count",),
          "last": ("last_message_at",), "start": ("start_time",), "end": ("end_time",)}
WINDOW = ("start_time", "end_time")
LABEL = "Le Chat (Mistral AI)"


def read(source: Path | str | bytes, name: str | None, product: str, period_days: float | None) -> Activity:
    """The activity of a Le Chat usage export: each user's messages of its window, all counted
    for ``product`` (the export does not name its plan)."""
    columns: dict[str, str] = {}

    def pick(header: tuple[str, ...]) -> list[str]:
        columns.update(pick_columns(header, FIELDS, ["user", "messages"], shown, f"l'export d'usage de {LABEL}"))
        return list(columns.values())

    shown = shown_name(source, name)
    sheet = read_sheet(source, name, pick)
    require_rows(sheet)
    problems: list[Problem] = []
    users = sheet.cells[columns["user"]]
    if users.isna().any():
        problems.append(first_problem(sheet, users.isna().to_numpy(), "utilisateur manquant", columns["user"]))
    problems += duplicate_users(sheet, users.str.lower(), columns["user"])
    messages = read_counts(sheet, columns["messages"], problems)
    last = read_dates(sheet, columns["last"], problems) if "last" in columns else None
    before = len(problems)
    start, end = _window(sheet, columns, problems)
    in_file = None
    if start is not None and end is not None:
        in_file = float(convert((end - start).total_seconds(), "second", "day"))
        if (reason := period_problem(in_file)) is not None:
            problems.append(sheet.problem(f"{reason} (de start_time à end_time)", column=WINDOW[1]))
    days = settle_period(sheet, in_file, period_days, WINDOW[0], problems) if len(problems) == before else None
    if problems:
        raise InputError(problems)
    notes, year, year_from = [], None, None
    if end is not None:
        year, year_from = int(end.year), "la fin de la fenêtre de l'export (end_time)"
    elif last is not None and last.notna().any():
        year, year_from = int(pd.Timestamp(last.max()).year), "le dernier message de l'export (last_message_at)"
    frame = user_rows(users, product, messages > 0, messages)
    return Activity(sheet.name, sheet.digest, sheet.rows, int(users.str.lower().nunique()), frame, MESSAGES_LEVEL,
                    float(days), start, end, year, year_from, tuple(notes))


def _window(sheet: Sheet, columns: dict[str, str], problems: list[Problem]
            ) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The export's window: the response's ``start_time`` and ``end_time`` (Unix seconds or ISO
    times), or the same columns of a table, one value for the whole table."""
    moments = []
    for field, key in zip(("start", "end"), WINDOW):
        value, position, column = None, None, key
        if key in sheet.fields:
            value = sheet.fields[key]
        elif field in columns:
            column = columns[field]
            given = sheet.cells[column].dropna().drop_duplicates()
            if len(given) > 1:
                problems.append(sheet.problem(f"plusieurs valeurs de {key} : un export couvre une seule fenêtre",
                                              int(given.index[1]), column, given.iloc[1]))
            elif len(given):
                value, position = given.iloc[0], int(given.index[0])
        moments.append(None if value is None else _moment(sheet, column, value, position, problems))
    return moments[0], moments[1]


def _moment(sheet: Sheet, column: str, value: object, position: int | None, problems: list[Problem]
            ) -> pd.Timestamp | None:
    """A time written as Unix seconds or as an ISO time, in UTC (without its zone)."""
    text = pd.Series([str(value)], dtype="string")
    seconds = pd.to_numeric(text, errors="coerce").iloc[0]
    moment = pd.NaT
    try:
        if pd.notna(seconds):
            moment = pd.Timestamp(float(seconds), unit="s", tz="UTC")
        else:
            moment = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True).iloc[0]
    except (OverflowError, ValueError):  # beyond the years a timestamp holds (OutOfBoundsDatetime)
        moment = pd.NaT
    if pd.isna(moment):
        problems.append(sheet.problem("date illisible (attendues : secondes depuis 1970 ou AAAA-MM-JJ)", position,
                                      column, value))
        return None
    return moment.tz_localize(None)


PRESET = Preset(
    name="mistral-admin", label=LABEL,
    description=("Usage de Le Chat par utilisateur (offres Team et Enterprise), tel que le donne l'API "
                 "d'administration de Mistral AI : GET https://api.mistral.ai/v1/admin/analytics/lechat/usage/"
                 "by_user_stats?start_time=…&end_time=… avec une clé d'API d'administration (créée dans la console "
                 "d'administration, admin.mistral.ai), réponse enregistrée telle quelle en .json ; ou la même table "
                 "en CSV ou XLSX (colonnes user_id, messages_count, unique_conversations_count, files_count, "
                 "images_count, last_message_at). L'export ne dit pas l'offre : précisez le_chat_team pour une offre "
                 "Team."),
    products=("le_chat_enterprise", "le_chat_team"), choosable=True, count_noun="messages", read=read)
