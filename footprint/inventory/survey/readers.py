"""Survey exports read into anonymous answers: one per respondent × tool, each value one of the
questionnaire's lists, nothing that names a person.

Formats (``FORMATS``):
- ``template``: our XLSX or CSV (``template``), one row per tool of a respondent, the
  respondent a number (« repondant »), several uses joined by « ; ».
- ``forms``: Microsoft Forms « Ouvrir dans Excel » / « Open results in Excel » (Microsoft support,
  Microsoft Forms, « Check your form results », https://support.microsoft.com/forms): one row
  per response, columns ID, Start time, Completion time, Email, Name (Heure de début, Heure de
  fin, Adresse de messagerie, Nom in French), sometimes Last modified time, then one column per
  question titled by its text; a multiple choice lists the options chosen, each followed by
  « ; » (« Courriers et notes;Synthèses de documents; »), an « Other » answer gives its text.
- ``limesurvey``: LimeSurvey « Export responses » CSV (LimeSurvey manual, « Export responses »,
  https://manual.limesurvey.org/Export_responses): id, submitdate, lastpage, startlanguage, seed,
  then one column per question, headed by its code (« OUTIL1 ») or its full text; a multiple
  choice gives one column per option (« USAGE1[COUR] », or « question [option] » in full text),
  « Y » when chosen (« Oui »/« Yes » with full answers), empty otherwise; a list with « Other »
  adds « OUTIL1[other] ».
- ``framaforms``: Framaforms is Drupal Webform 7.x: « Téléchargement » as CSV (Webform,
  ``webform_results_download``, https://www.drupal.org/docs/contributed-modules/webform): three
  header rows (the form, the components, the columns), the columns Serial, SID, Time, Draft,
  IP Address, UID, Username, then one column per component; a select list with several answers
  exported « separate » gives one column per option (« X » when chosen), « compact » one column
  with the options joined by « , ».

Owns: recognising each question's column (by the question's text or code, whatever the case or
accents, or by the caller's mapping ``--map "texte=service"``), the values of each list read
(label, key or code), a tool named by the catalogue (« Autre : … » reduced to a catalogue
product, else « autre outil », the text dropped), and every problem with file, line, column,
value and why (all or nothing).

Must not: keep a name, e-mail, IP address, time or free text (those columns are never read), or
compute anything (``extrapolate``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import InputError, Problem
from footprint.factors import FactorBase
from footprint.inventory.declarations.spellings import plain_key
from footprint.inventory.survey.questions import (
    BY_KEY,
    NO_TOOL_LABEL,
    OTHER_TOOL_LABEL,
    QUESTIONS,
    SERVICE,
    TEMPLATE_CHOICES,
    TEMPLATE_COLUMNS,
    TOOLS_ASKED,
    UNKNOWN_TOOL,
    Choice,
    tool_choices,
)
from footprint.io.cells import is_missing
from footprint.io.tabular import read_source, read_table

FORMATS = {"template": "modèle Empreinte IA (XLSX ou CSV)", "forms": "Microsoft Forms (Ouvrir dans Excel)",
           "limesurvey": "LimeSurvey (Exporter les réponses, CSV)", "framaforms": "Framaforms (Téléchargement CSV)"}
MAX_BYTES, MAX_ROWS = 20_000_000, 100_000
# What an option column holds when the option was chosen (LimeSurvey Y, Webform X, full answers).
_CHOSEN = {"y", "yes", "oui", "x", "1", "true", "vrai"}
# The first header of Webform's column row (its other header rows come above it).
_WEBFORM_FIRST = "serial"
_OPTION_HEADER = re.compile(r"^(?P<question>.*?)\s*\[(?P<option>[^\]]+)\]\s*$")


@dataclass(frozen=True)
class Answer:
    """One respondent's use of one tool, anonymous: ``respondent`` a number of this file only."""

    respondent: int
    line: int
    service: str
    product: str  # a catalogue product id, or ``UNKNOWN_TOOL``
    account: str
    frequency: str
    uses: tuple[str, ...]
    sensitive: str


@dataclass(frozen=True)
class SurveyAnswers:
    """A survey export read: its answers, the respondents of each service (those who use no tool
    count too), and what was deduced (French)."""

    format: str
    file_name: str
    digest: str
    answers: tuple[Answer, ...]
    respondents: dict[str, int]
    notes: tuple[str, ...] = field(default=())


def parse_mapping(pairs: str | list[str] | None) -> dict[str, str]:
    """``"Titre de colonne=service, Autre titre=tool_1"`` (or a list of ``titre=clé``, each one
    pair: a title may then hold a comma) -> {header: question key}."""
    mapping: dict[str, str] = {}
    for part in (pairs or "").split(",") if isinstance(pairs, str) or pairs is None else pairs:
        if not part.strip():
            continue
        header, sep, key = part.rpartition("=")
        if not sep or not header.strip() or key.strip() not in BY_KEY and key.strip() not in TEMPLATE_COLUMNS:
            known = ", ".join([*BY_KEY, *TEMPLATE_COLUMNS])
            raise InputError.single(f"correspondance de colonne illisible : écrivez « titre de la colonne=clé » "
                                    f"(clés : {known})", column="--map", value=part.strip())
        mapping[header.strip()] = key.strip()
    return mapping


def survey_headers(source: Path | str | bytes, name: str | None = None) -> list[str]:
    """The column titles of a survey export (its first row, blank ones left out), to map them onto
    the questions; the same size and row limits as ``read_survey`` (``InputError`` in French)."""
    data, shown = read_source(source, name, MAX_BYTES, "fichier d'enquête")
    table = read_table(data, MAX_BYTES, name=shown, max_rows=MAX_ROWS, what="fichier d'enquête")
    return [str(h) for h in table.header if str(h or "").strip()]


def read_survey(source: Path | str | bytes, factors: FactorBase, survey_format: str = "template", *,
                name: str | None = None, mapping: dict[str, str] | None = None,
                year: int | None = None) -> SurveyAnswers:
    """Read a survey export (a path, or the bytes of an upload shown as ``name``). Raises
    ``InputError`` listing every problem (file, line, column, value, why); reads nothing else."""
    if survey_format not in FORMATS:
        raise InputError.single(f"format d'enquête inconnu (attendus : {', '.join(FORMATS)})", column="--format",
                                value=survey_format)
    data, shown = read_source(source, name, MAX_BYTES, "fichier d'enquête")
    digest = hashlib.sha256(data).hexdigest()
    table = read_table(data, MAX_BYTES, name=shown, max_rows=MAX_ROWS, what="fichier d'enquête")
    header, rows = [str(h or "").strip() for h in table.header], table.rows
    if survey_format == "framaforms":
        header, rows = _webform_header(header, rows, shown)
    tools = tool_choices(factors, year)
    reader = _Reader(shown, factors, tools, year)
    if survey_format == "template":
        answers, respondents = reader.template(header, rows, mapping or {})
    else:
        answers, respondents = reader.wide(header, rows, mapping or {})
    if reader.problems:
        raise InputError(reader.problems[:50])
    if not respondents:
        raise InputError.single("aucune réponse dans le fichier", file=shown)
    return SurveyAnswers(survey_format, shown, digest, tuple(answers), respondents, tuple(reader.notes))


def _webform_header(header: list[str], rows: list, file_name: str) -> tuple[list[str], list]:
    """Webform's three header rows made one: « composant [option] » over the option columns."""
    above = [header]
    for position, (_, cells) in enumerate(rows[:3]):
        if header and plain_key(header[0]) == _WEBFORM_FIRST:
            break
        if cells and plain_key(str(cells[0] or "")) == _WEBFORM_FIRST:
            columns = [str(c or "").strip() for c in cells]
            owners = [str(c or "").strip() for c in above[-1]] + [""] * len(columns)
            # A component's name stands over its first option column; its other options follow,
            # until a column that is a question of its own.
            combined, current = [], ""
            for name, owner in zip(columns, owners):
                if owner:
                    current = owner if plain_key(owner) in _question_keys() else ""
                elif plain_key(name) in _question_keys() or plain_key(name) == _WEBFORM_FIRST:
                    current = ""
                combined.append(f"{current} [{name}]" if current and current != name else name)
            return combined, rows[position + 1:]
        above.append([str(c or "").strip() for c in cells])
    if header and plain_key(header[0]) == _WEBFORM_FIRST:
        return header, rows
    raise InputError.single("export Framaforms (Webform) attendu : aucune ligne d'en-tête ne commence par « Serial »",
                            file=file_name)


def _question_keys() -> set[str]:
    return {plain_key(q.text) for q in QUESTIONS}


class _Reader:
    """The checks of one file, collecting every problem."""

    def __init__(self, file_name: str, factors: FactorBase, tools: list[Choice], year: int | None):
        self.file_name, self.factors, self.year = file_name, factors, year
        self.tools = tools
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self._unknown_tools = 0

    def problem(self, message: str, line: int | None, column: str | None, value: object = None) -> None:
        self.problems.append(Problem(message, file=self.file_name, line=line, column=column, value=value))

    # -- one list's value -------------------------------------------------------------------
    def choice(self, value: object, choices: tuple[Choice, ...], line: int, column: str) -> str | None:
        text = "" if is_missing(value) else str(value).strip()
        if not text:
            return None
        key = plain_key(text)
        for item in choices:
            if key in (plain_key(item.key), plain_key(item.label), plain_key(item.code)):
                return item.key
        self.problem(f"réponse inattendue (attendues : {', '.join(c.label for c in choices)})", line, column, text)
        return None

    def choices(self, value: object, choices: tuple[Choice, ...], line: int, column: str,
                separators: str = ";") -> tuple[str, ...]:
        text = "" if is_missing(value) else str(value)
        parts = [p for p in re.split(f"[{re.escape(separators)}]", text) if p.strip()]
        found = [self.choice(p, choices, line, column) for p in parts]
        return tuple(dict.fromkeys(k for k in found if k))

    def tool(self, value: object, line: int, column: str) -> str | None:
        """A catalogue product id, ``UNKNOWN_TOOL`` for an « autre » the catalogue does not know
        (its text is dropped), None for no tool."""
        text = "" if is_missing(value) else str(value).strip()
        text = re.sub(r"^(autre|other)\s*[:：-]\s*", "", text, flags=re.IGNORECASE).strip()
        if not text or plain_key(text) in (plain_key(NO_TOOL_LABEL), "aucun_outil", "none", "non"):
            return None
        key = plain_key(text)
        for item in self.tools:
            if key in (plain_key(item.key), plain_key(item.label), plain_key(item.code)):
                return item.key if item.key != "autre" else UNKNOWN_TOOL
        if key == plain_key(OTHER_TOOL_LABEL):
            return UNKNOWN_TOOL
        found = self.factors.product_id(text)
        if found is not None:
            return found
        self._unknown_tools += 1
        return UNKNOWN_TOOL

    def service(self, value: object, line: int, column: str) -> str | None:
        text = "" if is_missing(value) else " ".join(str(value).split())
        if not text:
            self.problem("service manquant : chaque réponse dit son service", line, column)
            return None
        if "@" in text:
            self.problem("le service ressemble à une adresse électronique : aucune donnée personnelle n'est gardée",
                         line, column)
            return None
        return text

    def one(self, respondent: int, line: int, service: str, tool: str, values: dict, columns: dict
            ) -> Answer | None:
        account = self.choice(values.get("account"), BY_KEY["account_1"].choices, line, columns.get("account"))
        frequency = self.choice(values.get("frequency"), BY_KEY["frequency_1"].choices, line,
                                columns.get("frequency"))
        uses = values.get("uses") or ()
        sensitive = self.choice(values.get("sensitive"), BY_KEY["sensitive_1"].choices, line,
                                columns.get("sensitive")) or "unknown"
        for key, given in (("account", account), ("frequency", frequency)):
            if given is None and not self._located(line, columns.get(key)):
                self.problem(f"réponse manquante : « {BY_KEY[key + '_1'].text} » pour l'outil déclaré", line,
                             columns.get(key))
        if account is None or frequency is None:
            return None
        return Answer(respondent, line, service, tool, account, frequency, tuple(uses) or ("autre",), sensitive)

    def _located(self, line: int, column: str | None) -> bool:
        return any(p.line == line and p.column == column for p in self.problems)

    def finish(self) -> None:
        if self._unknown_tools:
            self.notes.append(f"{self._unknown_tools} outil(s) « autre » absent(s) du catalogue, comptés comme "
                              f"« {UNKNOWN_TOOL} » (le texte saisi n'est pas gardé)")

    # -- our template: one row per tool -----------------------------------------------------
    def template(self, header: list[str], rows: list, mapping: dict[str, str]):
        wanted = {plain_key(v): k for k, v in TEMPLATE_COLUMNS.items()}
        wanted.update({plain_key(h): k for h, k in mapping.items() if k in TEMPLATE_COLUMNS})
        position = {wanted[plain_key(h)]: i for i, h in enumerate(header) if plain_key(h) in wanted}
        missing = [TEMPLATE_COLUMNS[k] for k in ("respondent", "service", "tool", "account", "frequency")
                   if k not in position]
        if missing:
            self.problem(f"colonnes manquantes : {', '.join(missing)} (en-têtes du modèle : "
                         f"{', '.join(TEMPLATE_COLUMNS.values())} ; sinon --map « titre=clé »)", 1, None)
            return [], {}
        answers, services = [], {}
        for line, cells in rows:
            def cell(key, cells=cells):
                return cells[position[key]] if key in position and position[key] < len(cells) else None
            if all(is_missing(c) or not str(c).strip() for c in cells):
                continue
            number = cell("respondent")
            respondent_text = "" if is_missing(number) else str(number).strip()
            if not re.fullmatch(r"\d+(\.0)?", respondent_text):
                self.problem("numéro de questionnaire attendu (1, 2, 3…), jamais un nom", line,
                             TEMPLATE_COLUMNS["respondent"], respondent_text)
                continue
            service = self.service(cell("service"), line, TEMPLATE_COLUMNS["service"])
            if service is None:
                continue
            respondent = int(float(respondent_text))
            services.setdefault(service, set()).add(respondent)
            tool = self.tool(cell("tool"), line, TEMPLATE_COLUMNS["tool"])
            if tool is None:
                continue
            values = {"account": cell("account"), "frequency": cell("frequency"), "sensitive": cell("sensitive"),
                      "uses": self.choices(cell("uses"), TEMPLATE_CHOICES["uses"], line, TEMPLATE_COLUMNS["uses"])}
            columns = {k: TEMPLATE_COLUMNS[k] for k in ("account", "frequency", "sensitive")}
            answer = self.one(respondent, line, service, tool, values, columns)
            if answer is not None:
                answers.append(answer)
        self.finish()
        return answers, {s: len(r) for s, r in sorted(services.items())}

    # -- an online form: one row per respondent ---------------------------------------------
    def wide(self, header: list[str], rows: list, mapping: dict[str, str]):
        columns = self._columns(header, mapping)
        if "service" not in {key for key, _ in columns.values()}:
            self.problem(f"colonne du service introuvable (« {SERVICE.text} », code {SERVICE.code}) : donnez-la avec "
                         "--map « titre de la colonne=service »", 1, None)
            return [], {}
        answers, services = [], {}
        for respondent, (line, cells) in enumerate(rows, start=1):
            if all(is_missing(c) or not str(c).strip() for c in cells):
                continue
            values: dict[str, object] = {}
            options: dict[str, list[str]] = {}
            names: dict[str, str] = {}
            for index, (key, option) in columns.items():
                value = cells[index] if index < len(cells) else None
                names.setdefault(key, header[index])
                if option is None:
                    if not (is_missing(value) or str(value).strip() == "") or key not in values:
                        values[key] = value
                elif not is_missing(value) and plain_key(str(value)) in _CHOSEN | {plain_key(option)}:
                    options.setdefault(key, []).append(option)
                elif not is_missing(value) and str(value).strip() and key.startswith("tool_"):
                    values[key] = str(value)  # LimeSurvey « OUTIL1[other] »: the text, reduced below
            service = self.service(values.get("service"), line, names.get("service"))
            if service is None:
                continue
            services.setdefault(service, set()).add(respondent)
            for number in range(1, TOOLS_ASKED + 1):
                tool = self.tool(values.get(f"tool_{number}"), line, names.get(f"tool_{number}"))
                if tool is None:
                    continue
                uses_key = f"uses_{number}"
                uses_choices = BY_KEY[uses_key].choices
                if uses_key in options:
                    uses = tuple(dict.fromkeys(k for k in (self.choice(o, uses_choices, line, names[uses_key])
                                                           for o in options[uses_key]) if k))
                else:
                    uses = self.choices(values.get(uses_key), uses_choices, line, names.get(uses_key), ";,")
                given = {"account": values.get(f"account_{number}"), "frequency": values.get(f"frequency_{number}"),
                         "sensitive": values.get(f"sensitive_{number}"), "uses": uses}
                where = {k: names.get(f"{k}_{number}") for k in ("account", "frequency", "sensitive")}
                answer = self.one(respondent, line, service, tool, given, where)
                if answer is not None:
                    answers.append(answer)
        self.finish()
        return answers, {s: len(r) for s, r in sorted(services.items())}

    def _columns(self, header: list[str], mapping: dict[str, str]) -> dict[int, tuple[str, str | None]]:
        """Column index -> (question key, option or None) for every column that is a question."""
        by_text = {plain_key(q.text): q.key for q in QUESTIONS}
        by_code = {plain_key(q.code): q.key for q in QUESTIONS}
        mapped = {plain_key(h): k for h, k in mapping.items()}
        found: dict[int, tuple[str, str | None]] = {}
        for index, title in enumerate(header):
            key = plain_key(title)
            if key in mapped:
                found[index] = (mapped[key], None)
            elif key in by_text or key in by_code:
                found[index] = (by_text.get(key) or by_code[key], None)
            elif (match := _OPTION_HEADER.match(title)) is not None:
                question = plain_key(match["question"])
                owner = mapped.get(question) or by_text.get(question) or by_code.get(question)
                if owner is not None:
                    option = match["option"].strip()
                    found[index] = (owner, None if plain_key(option) in ("other", "autre", "comment") else option)
        return found
