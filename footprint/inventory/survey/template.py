"""The questionnaire as files: an XLSX workbook that collects one answer per row, with drop-down
lists, and the same questions as plain text ready to paste into Microsoft Forms, LimeSurvey or
Framaforms, whose exports ``readers`` reads back.

Owns: the layout of the workbook (sheet « reponses »: one row per tool of a respondent, the
respondent a number; sheet « questions »: each question in plain French with its answers;
sheet « listes »: the lists of the drop-downs) and of the text (each question, its type, its
answers with their LimeSurvey codes).

Must not: read a file, know the store, or write to disk (``footprint.io.output_files`` does).
"""

from __future__ import annotations

import io

from footprint.factors import FactorBase
from footprint.inventory.survey.questions import (
    NO_TOOL_LABEL,
    QUESTIONS,
    TEMPLATE_CHOICES,
    TEMPLATE_COLUMNS,
    TEMPLATE_QUESTIONS,
    TOOLS_ASKED,
    tool_choices,
)
from footprint.io.cells import neutralise

ANSWERS_SHEET, QUESTIONS_SHEET, LISTS_SHEET = "reponses", "questions", "listes"
INTRODUCTION = ("Questionnaire anonyme sur les usages de l'intelligence artificielle (IA) dans les services. Il sert "
                "au diagnostic des usages et au calcul de l'empreinte environnementale de l'IA de la collectivité. "
                "N'écrivez ni votre nom, ni votre adresse électronique, ni le nom d'une autre personne : seuls des "
                "totaux par service sont conservés.")


def survey_workbook(factors: FactorBase, year: int | None = None, max_rows: int = 2000) -> bytes:
    """The XLSX questionnaire (bytes): one answer per row, drop-down lists on every closed question."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    tools = tool_choices(factors, year)
    lists = {"tool": [c.label for c in tools], **{k: [c.label for c in v] for k, v in TEMPLATE_CHOICES.items()}}
    workbook = Workbook()
    answers = workbook.active
    answers.title = ANSWERS_SHEET
    answers.append(list(TEMPLATE_COLUMNS.values()))
    for cell in answers[1]:
        cell.font = Font(bold=True)
    answers.freeze_panes = "A2"
    listed = workbook.create_sheet(LISTS_SHEET)
    for position, (key, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(position)
        listed.cell(row=1, column=position, value=TEMPLATE_COLUMNS[key]).font = Font(bold=True)
        for row, value in enumerate(values, start=2):
            listed.cell(row=row, column=position, value=neutralise(value))
        listed.column_dimensions[letter].width = min(max(len(v) for v in values) + 2, 60)
    keys = list(TEMPLATE_COLUMNS)
    for position, key in enumerate(keys, start=1):
        letter = get_column_letter(position)
        answers.column_dimensions[letter].width = max(len(TEMPLATE_COLUMNS[key]) + 4, 24)
        if key not in lists or key == "uses":  # several uses: a list would allow only one
            continue
        source = get_column_letter(list(lists).index(key) + 1)
        check = DataValidation(type="list", allow_blank=True,
                               formula1=f"={quote_sheetname(LISTS_SHEET)}!${source}$2:${source}${len(lists[key]) + 1}",
                               errorStyle="warning", errorTitle="Réponse hors liste",
                               error="Choisissez dans la liste (feuille « listes »).",
                               promptTitle=TEMPLATE_COLUMNS[key][:32], prompt=TEMPLATE_QUESTIONS[key][:255])
        check.add(f"{letter}2:{letter}{max_rows + 1}")
        answers.add_data_validation(check)
    sheet = workbook.create_sheet(QUESTIONS_SHEET)
    sheet.append(["Questionnaire : usages de l'IA dans les services"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([INTRODUCTION])
    sheet.append([f"Une ligne par outil utilisé, dans la feuille « {ANSWERS_SHEET} » ; un agent qui n'utilise aucun "
                  f"outil remplit une ligne avec son service et « {NO_TOOL_LABEL} » (ou rien) comme outil, pour "
                  "compter dans le taux de réponse. Le numéro de questionnaire relie les lignes d'un même agent."])
    sheet.append([])
    sheet.append(["Colonne", "Question", "Réponses possibles"])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for key, header in TEMPLATE_COLUMNS.items():
        allowed = " ; ".join(lists[key]) if key in lists else ""
        sheet.append([header, TEMPLATE_QUESTIONS[key], allowed])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 20, 70
    sheet.column_dimensions["C"].width = 90
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def survey_text(factors: FactorBase, year: int | None = None) -> str:
    """The questions as plain text, to paste into an online form: each question with its type
    and its answers (LimeSurvey codes in brackets). The export is read back with the same titles."""
    tools = tool_choices(factors, year)
    lines = ["QUESTIONNAIRE : USAGES DE L'IA DANS LES SERVICES", "", INTRODUCTION, "",
             "Pour Microsoft Forms, Framaforms ou LimeSurvey : créez les questions ci-dessous avec exactement ces "
             "intitulés (l'import reconnaît les colonnes par leur intitulé, ou par le code LimeSurvey entre "
             "crochets). Questions facultatives sauf le service. Ne demandez ni nom ni adresse électronique "
             "(Microsoft Forms : réglage « Enregistrer le nom » désactivé).", ""]
    for position, question in enumerate(QUESTIONS, start=1):
        if question.key.startswith("tool_"):
            number = question.key.split("_")[1]
            lines += [f"--- Outil n° {number} (sur {TOOLS_ASKED}) : à remplir si vous utilisez un {number}e outil "
                      "d'IA ---" if number != "1" else "--- Outil n° 1 ---", ""]
        kind = ("Choix multiples (plusieurs réponses)" if question.multiple else
                "Choix unique" if question.choices or question.key.startswith("tool_") else "Texte court")
        lines.append(f"{position}. {question.text}  [code {question.code}]")
        lines.append(f"   Type : {kind}" + (" — avec l'option « Autre » (texte libre)" if question.key.startswith(
            "tool_") else ""))
        if question.help:
            lines.append(f"   Aide : {question.help}")
        choices = question.choices or (tuple(tools[:-1]) if question.key.startswith("tool_") else ())
        for choice in choices:
            lines.append(f"   - {choice.label}  [{choice.code}]")
        lines.append("")
    return "\n".join(lines)
