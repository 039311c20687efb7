"""The user engagement export of a ChatGPT Enterprise or Business workspace's analytics: one row
per user and period (weekly or monthly).

Owns: its columns (``cadence``, ``period_start``, ``period_end``, ``email``, ``public_id``,
``is_active``, ``messages``, ``gpt_messages``, ``tool_messages``…; ``messages`` is « the total
messages a user sent in a given period », custom GPTs' and tools' included), the periods a file
covers (one or several weeks or months, never overlapping: their days add up), and the level of
its volume (messages counted). The export cannot tell Enterprise from Business: the caller says.

Format: OpenAI's workspace analytics (https://help.openai.com/en/articles/10875114-user-analytics-
for-chatgpt-enterprise-and-edu: « Export » button, weekly or monthly CSV); OpenAI does not publish
the columns on a web page: they are those of the glossary shipped with the export
(``glossary_user_engagement.csv``).

Must not: map users to services, scale to the year or write anything (``importing``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InputError, Problem
from footprint.inventory.admin_exports.activity import MESSAGES_LEVEL, Activity, Preset, user_rows
from footprint.inventory.admin_exports.files import read_sheet, shown_name
from footprint.inventory.admin_exports.values import (
    duplicate_users,
    first_problem,
    pick_columns,
    read_counts,
    read_dates,
    require_rows,
)

FIELDS = {"user": ("email",), "other": ("public_id",), "start": ("period_start",), "end": ("period_end",),
          "messages": ("messages",)}
LABEL = "ChatGPT Enterprise ou Business"


def read(source: Path | str | bytes, name: str | None, product: str, period_days: float | None) -> Activity:
    """The activity of a workspace analytics export: each user's messages of the file's periods,
    all counted for ``product`` (the export does not name its plan). ``period_days`` must not be
    given: the file says its periods."""
    columns: dict[str, str] = {}

    def pick(header: tuple[str, ...]) -> list[str]:
        columns.update(pick_columns(header, FIELDS, ["user", "start", "end", "messages"], shown,
                                    f"l'export d'analyse de l'espace de travail {LABEL}"))
        return list(columns.values())

    shown = shown_name(source, name)
    sheet = read_sheet(source, name, pick, json_allowed=False)
    require_rows(sheet)
    problems: list[Problem] = []
    users = sheet.cells[columns["user"]]
    if users.isna().any():
        problems.append(first_problem(sheet, users.isna().to_numpy(), "utilisateur manquant", columns["user"]))
    starts, ends = (read_dates(sheet, columns[f], problems) for f in ("start", "end"))
    for field in ("start", "end"):
        missing = sheet.cells[columns[field]].isna().to_numpy()
        if missing.any():
            problems.append(first_problem(sheet, missing, "date de période manquante", columns[field]))
    messages = read_counts(sheet, columns["messages"], problems)
    if problems:
        raise InputError(problems)
    backwards = (ends < starts).to_numpy()
    if backwards.any():
        raise InputError([first_problem(sheet, backwards, "fin de période avant son début", columns["end"],
                                        sheet.cells[columns["end"]])])
    problems += duplicate_users(sheet, users.str.lower(), columns["user"], within=starts.astype("string"))
    if period_days is not None:
        problems.append(sheet.problem("la période se lit dans le fichier (period_start, period_end) : ne la donnez "
                                      "pas", column=columns["start"]))
    if problems:
        raise InputError(problems)
    days = _covered_days(sheet, starts, ends, columns)
    end = pd.Timestamp(ends.max())
    frame = user_rows(users, product, messages > 0, messages,
                      other_key=sheet.cells[columns["other"]] if "other" in columns else None)
    return Activity(sheet.name, sheet.digest, sheet.rows, int(users.str.lower().nunique()), frame, MESSAGES_LEVEL,
                    days, pd.Timestamp(starts.min()), end, int(end.year), "la fin de la dernière période de l'export")


def _covered_days(sheet, starts: pd.Series, ends: pd.Series, columns: dict[str, str]) -> float:
    """The days the file's periods cover: each (start, end) once, none overlapping another."""
    periods = pd.DataFrame({"start": starts, "end": ends}).drop_duplicates().sort_values(["start", "end"])
    overlap = (periods["start"] <= periods["end"].shift()).to_numpy()
    if overlap.any():
        late = periods.iloc[int(np.argmax(overlap))]
        position = int(((starts == late["start"]) & (ends == late["end"])).to_numpy().argmax())
        raise InputError([sheet.problem("périodes qui se chevauchent : exportez des semaines ou des mois, pas les deux",
                                        position, columns["start"], sheet.cells[columns["start"]].iloc[position])])
    return float(((periods["end"] - periods["start"]).dt.days + 1).sum())


PRESET = Preset(
    name="chatgpt-enterprise", label=LABEL,
    description=("Export « User engagement » de l'analyse de l'espace de travail ChatGPT Enterprise ou Business (CSV, "
                 "une ligne par utilisateur et par semaine ou par mois). Dans ChatGPT : Paramètres de l'espace de "
                 "travail (Workspace settings) > Analyse de l'espace de travail (Workspace analytics), bouton "
                 "Exporter en haut à droite, format hebdomadaire ou mensuel. L'export ne dit pas l'offre : précisez "
                 "chatgpt_business pour un espace Business (ex-Team)."),
    products=("chatgpt_enterprise", "chatgpt_business"), choosable=True, count_noun="messages", read=read)
