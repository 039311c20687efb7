"""The declarations template: an XLSX workbook a service fills in and imports back.

Owns: its layout. The first sheet, « declarations », has the French headers of the files
(``vocabulary.DECLARATION_FIELDS``, those a person writes: not the origin nor a gateway's own
estimates) and no row; each column with a closed vocabulary (types, use cases, tools, models,
hostings, GPUs, tasks, oui/non…) gets a drop-down list (openpyxl ``DataValidation``) read from
the sheet « valeurs », and each number column a check of the plausible bounds of
``schema.toml`` [inputs]. Both only warn: the import checks everything again and says, in
French, what is wrong and what is closest. The sheet « aide » explains each column in French.

Must not: know the factor base or the store (the caller passes the valid values), read a
file, or write to disk (``output_files`` does).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from emission_factors.schema import read_input_bounds
from footprint.io.cells import neutralise
from footprint.io.formatting import format_number
from footprint.vocabulary import DECLARATION_FIELDS, FILE_COLUMNS, KIND_LABELS, KINDS, KINDS_FR, Field

__all__ = ["DATA_SHEET", "HELP_SHEET", "VALUES_SHEET", "declarations_template", "template_columns"]

DATA_SHEET, VALUES_SHEET, HELP_SHEET = "declarations", "valeurs", "aide"

# What each kind of declaration needs, as the help sheet says it (file headers).
_BY_KIND = {
    "llm": "« outil » et « utilisateurs », « licences » ou « messages » ; ou bien « fournisseur », « modele » et "
           "« agents » × « requetes_par_agent_par_jour » (ou « requetes » par an)",
    "gpu": "« gpu », « nb_gpu » et « heures » par an (heures par jour × jours d'utilisation)",
    "task": "« tache » et « unites » par an (pages, minutes d'audio, images…)",
    "measured": "« kwh_mesures » (énergie mesurée sur l'année)",
}
_TYPES = {"VARCHAR": "texte", "DOUBLE": "nombre (virgule décimale acceptée)", "INTEGER": "nombre entier",
          "BOOLEAN": "oui ou non"}


def _bound(field: Field, value: float) -> str:
    """A bound as the help says it: a year as written (« 1990 »), a number the French way."""
    return str(int(value)) if field.sql_type == "INTEGER" else format_number(value)


def template_columns() -> list[Field]:
    """The columns of the template: every column a person writes in a declarations file."""
    return [field for field in DECLARATION_FIELDS if field.flag is not None]


def declarations_template(choices: Mapping[str, Sequence[str]], required: Sequence[str], max_rows: int,
                          labels: Mapping[str, Mapping[str, str]] | None = None) -> bytes:
    """The template workbook (XLSX bytes).

    ``choices``: store column -> its valid values (the drop-down list); ``required``: the file
    headers every row needs; ``max_rows``: the rows the checks cover (the import's own limit);
    ``labels``: store column -> value -> what people read, listed on the help sheet
    (« redaction_courrier » : « Rédaction d'un courrier ou d'une note »)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    columns = template_columns()
    bounds = read_input_bounds()
    labels = labels or {}
    workbook = Workbook()
    data = workbook.active
    data.title = DATA_SHEET
    data.append([neutralise(field.file) for field in columns])
    for cell in data[1]:
        cell.font = Font(bold=True)
    data.freeze_panes = "A2"
    values = workbook.create_sheet(VALUES_SHEET)
    listed = [field for field in columns if choices.get(field.name)]
    for position, field in enumerate(listed, start=1):
        letter = get_column_letter(position)
        values.cell(row=1, column=position, value=neutralise(field.file)).font = Font(bold=True)
        for row, value in enumerate(choices[field.name], start=2):
            values.cell(row=row, column=position, value=neutralise(str(value)))
        values.column_dimensions[letter].width = min(max(len(str(v)) for v in [field.file, *choices[field.name]]) + 2,
                                                     60)
    for position, field in enumerate(columns, start=1):
        letter = get_column_letter(position)
        cells = f"{letter}2:{letter}{max_rows + 1}"
        data.column_dimensions[letter].width = max(len(field.file) + 2, 12)
        if field in listed:
            source = get_column_letter(listed.index(field) + 1)
            check = DataValidation(
                type="list", allow_blank=True,
                formula1=f"={quote_sheetname(VALUES_SHEET)}!${source}$2:${source}${len(choices[field.name]) + 1}",
                errorStyle="warning", errorTitle="Valeur inconnue",
                error=f"Cette valeur n'est pas dans la liste de « {field.file} » (feuille « {VALUES_SHEET} »). "
                      "L'import la vérifiera et proposera le nom le plus proche.",
                promptTitle=field.label[:32], prompt=f"Choisissez dans la liste ({field.label}).")
        elif field.sql_type in ("DOUBLE", "INTEGER") and field.name in bounds:
            bound = bounds[field.name]
            check = DataValidation(
                type="whole" if field.sql_type == "INTEGER" else "decimal", operator="between",
                formula1=f"{bound.minimum:g}", formula2=f"{bound.maximum:g}", allow_blank=True,
                errorStyle="warning", errorTitle="Valeur invraisemblable",
                error=f"« {field.file} » : un nombre de {_bound(field, bound.minimum)} à "
                      f"{_bound(field, bound.maximum)} est attendu.")
        else:
            continue
        check.add(cells)
        data.add_data_validation(check)

    help_sheet = workbook.create_sheet(HELP_SHEET)
    help_sheet.append(["Modèle de déclarations des usages d'IA"])
    help_sheet["A1"].font = Font(bold=True, size=14)
    for line in (
        f"Une ligne par usage, dans la feuille « {DATA_SHEET} » ; laissez vides les colonnes qui ne vous concernent "
        "pas. Enregistrez en XLSX (ou en CSV séparé par des « ; ») puis importez le fichier dans la page Déclarer, "
        "onglet « Importer un fichier » : tout le fichier est vérifié avant d'écrire quoi que ce soit.",
        f"Colonnes obligatoires : {', '.join(required)} (le type peut être omis si « {FILE_COLUMNS['product']} » "
        "nomme un outil du catalogue).",
        f"Les listes déroulantes viennent de la feuille « {VALUES_SHEET} » (la base de facteurs de l'outil). Une "
        "valeur hors liste est signalée par Excel ou LibreOffice, et l'import propose le nom le plus proche.",
        "Les identifiants (« id ») sont attribués à l'import : laissez la colonne vide pour une nouvelle déclaration, "
        "gardez-la pour modifier une déclaration existante.",
    ):
        help_sheet.append([line])
    help_sheet.append([])
    help_sheet.append(["Type", "Code à écrire", "Colonnes à remplir"])
    for kind in KINDS:
        help_sheet.append([KIND_LABELS[kind], KINDS_FR[kind], _BY_KIND[kind]])
    help_sheet.append([])
    help_sheet.append(["Colonne", "Signification", "Format", "Valeurs possibles"])
    header_rows = [help_sheet.max_row, help_sheet.max_row - len(KINDS) - 2]
    for field in columns:
        if field in listed:
            allowed = f"liste déroulante (feuille « {VALUES_SHEET} »)"
        elif field.name in bounds:
            bound = bounds[field.name]
            allowed = f"de {_bound(field, bound.minimum)} à {_bound(field, bound.maximum)}"
        else:
            allowed = ""
        help_sheet.append([field.file, field.label + (" (obligatoire)" if field.file in required else ""),
                           _TYPES[field.sql_type], allowed])
    for field in listed:
        shown = labels.get(field.name, {})
        if not shown:
            continue
        help_sheet.append([])
        help_sheet.append([field.file, "Code à écrire", "Ce qu'il désigne"])
        header_rows.append(help_sheet.max_row)
        for value in choices[field.name]:
            if value in shown:
                help_sheet.append(["", neutralise(str(value)), neutralise(str(shown[value]))])
    for row in header_rows:
        for cell in help_sheet[row]:
            cell.font = Font(bold=True)
    for letter, width in zip("ABCD", (28, 44, 34, 60)):
        help_sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
