"""The diagnostic survey of the agents: the questionnaire, its exports read back, the answers
extrapolated to the whole authority, with a real store and the real factor base.

Each export is built exactly as its tool writes it:
- Microsoft Forms, « Ouvrir dans Excel » / « Open results in Excel » (Microsoft support, Microsoft
  Forms, « Check your form results », https://support.microsoft.com/forms):
  an XLSX, one row per response: ID, Start time, Completion time (Excel date cells), Email, Name,
  Last modified time, then one column per question titled by its text; a multiple choice holds
  the options chosen, each followed by « ; »; « Other » gives the text typed.
- LimeSurvey, « Export responses » as CSV (LimeSurvey manual,
  https://manual.limesurvey.org/Export_responses): comma-separated, every field quoted, headers
  « question code » (or « full question text »): id, submitdate, lastpage, startlanguage, seed,
  startdate, datestamp, ipaddr (« Save IP address » on), then the questions; a multiple choice has
  one column per option, CODE[SUBCODE], « Y » or empty; a list with « Other » adds CODE[other]
  (its code « -oth- »).
- Framaforms (Drupal Webform 7.x-4, « Téléchargement », delimited text, tab by default;
  ``webform_results_download`` in includes/webform.report.inc,
  https://git.drupalcode.org/project/webform/-/blob/7.x-4.x/includes/webform.report.inc): three header
  rows (the « Submission Details » row, the component names over their option columns, the
  columns), Serial, SID, Time (« small » date, 14/03/2025 - 10:22), Draft, IP Address, UID,
  Username, then one column per component; a select list with several answers « separate »: one
  column per option, « X » when chosen.
The people are made up.
"""

import io
import subprocess
import sys
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from core.errors import InputError
from footprint.inventory.admin_exports import import_admin_export, read_user_services
from footprint.inventory.survey import (
    import_survey,
    outside_framework,
    preview_survey,
    read_survey,
    survey_text,
    survey_workbook,
    wilson_interval,
)
from footprint.inventory.survey.questions import QUESTIONS, TEMPLATE_COLUMNS
from footprint.inventory.totals import compute_inventory
from footprint.store import Store

PEOPLE = {"marie.dupont@ville-exemple.fr": "Marie Dupont", "karim.benali@ville-exemple.fr": "Karim Benali",
          "lea.rousseau@ville-exemple.fr": "Léa Rousseau", "paul.girard@ville-exemple.fr": "Paul Girard"}
MARIE, KARIM, LEA, PAUL = PEOPLE
IPS = ("192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.13")
FREE_TEXT = "Outil de Marie Dupont"  # an « autre » naming a person: never kept
TEXT = {q.key: q.text for q in QUESTIONS}
CODE = {q.key: q.code for q in QUESTIONS}
# Each respondent: service, then up to two tools (label, account, frequency, uses, sensitive).
ANSWERS = [
    ("Finances", [("ChatGPT (version gratuite, OpenAI)", "Compte personnel ou version gratuite", "Tous les jours",
                   ["Courriers et notes", "Synthèses de documents"], "Oui"),
                  ("DeepL Traducteur", "Licence ou compte fourni par la collectivité", "Chaque semaine",
                   ["Traduction"], "Non")]),
    ("Finances", [("Le Chat Pro (Mistral AI)", "Compte personnel ou version gratuite", "Plusieurs fois par jour",
                   ["Synthèses de documents"], "Je ne sais pas")]),
    ("Finances", []),  # uses no AI tool: counts in the response rate
    ("Culture", [(FREE_TEXT, "Compte personnel ou version gratuite", "Rarement", ["Images"], "Non")]),
]


def _scan_store(path, forbidden: list[str]) -> list[str]:
    """Every value of every table of the store, as text, that contains a forbidden string."""
    import duckdb

    found = []
    con = duckdb.connect(str(path), read_only=True)
    try:
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
            text = con.execute(f'SELECT * FROM "{table}"').df().astype(str).to_csv()
            found += [f"{table}: {word}" for word in forbidden if word.lower() in text.lower()]
    finally:
        con.close()
    return found


FORBIDDEN = [*PEOPLE, *PEOPLE.values(), *IPS, FREE_TEXT, "Dupont"]


def _xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def forms_export() -> bytes:
    """Microsoft Forms' « Open in Excel » workbook for ``ANSWERS``."""
    header = ["ID", "Start time", "Completion time", "Email", "Name", "Last modified time", TEXT["service"]]
    for n in (1, 2):
        header += [TEXT[f"{k}_{n}"] for k in ("tool", "account", "frequency", "uses", "sensitive")]
    rows = [header]
    for number, ((service, tools), email) in enumerate(zip(ANSWERS, PEOPLE), start=1):
        row = [number, datetime(2025, 3, 14, 10, number), datetime(2025, 3, 14, 10, number + 4), email, PEOPLE[email],
               None, service]
        for n in range(2):
            if n < len(tools):
                tool, account, frequency, uses, sensitive = tools[n]
                row += [tool, account, frequency, "".join(f"{u};" for u in uses), sensitive]
            else:
                row += [None] * 5
        rows.append(row)
    return _xlsx(rows)


USE_CODES = {"Courriers et notes": "COUR", "Synthèses de documents": "SYNTH", "Traduction": "TRAD", "Images": "IMG"}
USE_OPTIONS = ["COUR", "CR", "SYNTH", "USAG", "TRAD", "CODE", "IMG", "AUTRE"]
ACCOUNT_CODES = {"Compte personnel ou version gratuite": "PERSO", "Licence ou compte fourni par la collectivité": "LIC"}
FREQUENCY_CODES = {"Tous les jours": "JOUR", "Chaque semaine": "SEM", "Plusieurs fois par jour": "PJOUR",
                   "Rarement": "RARE"}
SENSITIVE_CODES = {"Oui": "OUI", "Non": "NON", "Je ne sais pas": "NSP"}


def limesurvey_export(factors) -> bytes:
    """LimeSurvey's « Export responses » CSV, question codes and answer codes, for ``ANSWERS``."""
    from footprint.inventory.survey.questions import tool_choices

    tool_codes = {c.label: c.code for c in tool_choices(factors)}
    header = ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "ipaddr", "SERVICE"]
    for n in (1, 2):
        header += [f"OUTIL{n}", f"OUTIL{n}[other]", f"COMPTE{n}", f"FREQ{n}",
                   *(f"USAGE{n}[{code}]" for code in USE_OPTIONS), f"DONNEES{n}"]
    lines = [header]
    for number, ((service, tools), ip) in enumerate(zip(ANSWERS, IPS), start=1):
        stamp = f"2025-03-14 10:{number:02d}:31"
        row = [str(number), stamp, "2", "fr", str(1234567 + number), stamp, stamp, ip, service]
        for n in range(2):
            if n < len(tools):
                tool, account, frequency, uses, sensitive = tools[n]
                code = tool_codes.get(tool.replace(" (Mistral AI)", " (Mistral AI)"), "-oth-")
                other = "" if code != "-oth-" else tool
                chosen = {USE_CODES[u] for u in uses}
                row += [code, other, ACCOUNT_CODES[account], FREQUENCY_CODES[frequency],
                        *("Y" if c in chosen else "" for c in USE_OPTIONS), SENSITIVE_CODES[sensitive]]
            else:
                row += ["", "", "", "", *([""] * len(USE_OPTIONS)), ""]
        lines.append(row)
    return ("\n".join(",".join(f'"{cell}"' for cell in line) for line in lines) + "\n").encode("utf-8")


USE_LABELS = ["Courriers et notes", "Comptes rendus", "Synthèses de documents",
              "Relation avec les usagers (réponses aux courriels, accueil)", "Traduction", "Code informatique",
              "Images", "Autre"]


def framaforms_export() -> bytes:
    """Framaforms' (Webform 7.x-4) « Téléchargement », tab-delimited, three header rows."""
    first = ["Submission Details", "", "", "", "", "", "", ""]
    second = [""] * 7 + [""]
    third = ["Serial", "SID", "Time", "Draft", "IP Address", "UID", "Username", TEXT["service"]]
    for n in (1, 2):
        first += [""] * (4 + len(USE_LABELS))
        second += ["", "", "", TEXT[f"uses_{n}"], *([""] * (len(USE_LABELS) - 1)), ""]
        third += [TEXT[f"tool_{n}"], TEXT[f"account_{n}"], TEXT[f"frequency_{n}"], *USE_LABELS,
                  TEXT[f"sensitive_{n}"]]
    # Webform puts the « sensitive » column after the uses: the component row is blank over it.
    second = second[:len(third)]
    lines = [first[:len(third)], second, third]
    for number, ((service, tools), ip, email) in enumerate(zip(ANSWERS, IPS, PEOPLE), start=1):
        row = [str(number), str(400 + number), f"14/03/2025 - 10:{number:02d}", "0", ip, "0", email.split("@")[0],
               service]
        for n in range(2):
            if n < len(tools):
                tool, account, frequency, uses, sensitive = tools[n]
                row += [tool, account, frequency, *("X" if u in uses else "" for u in USE_LABELS), sensitive]
            else:
                row += ["", "", "", *([""] * len(USE_LABELS)), ""]
        lines.append(row)
    return ("\n".join("\t".join(line) for line in lines) + "\n").encode("utf-8")


def template_export(factors) -> bytes:
    """Our own workbook (``survey_workbook``) filled in, one row per tool of a respondent."""
    workbook = load_workbook(io.BytesIO(survey_workbook(factors)))
    sheet = workbook["reponses"]
    for number, (service, tools) in enumerate(ANSWERS, start=1):
        if not tools:
            sheet.append([number, service, "Aucun"])
        for tool, account, frequency, uses, sensitive in tools:
            sheet.append([number, service, f"Autre : {tool}" if tool == FREE_TEXT else tool, account, frequency,
                          " ; ".join(uses), sensitive])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


HEADCOUNTS = {"Finances": 60, "Culture": 20}


def _check_import(tmp_path, factors, data: bytes, survey_format: str, name: str):
    store = Store(tmp_path / "s.duckdb")
    result, counts = import_survey(data, store, factors, 2025, survey_format, name=name, headcounts=HEADCOUNTS)
    assert result.answers.respondents == {"Culture": 1, "Finances": 3}
    declarations = store.declarations(2025).set_index("product")
    # ChatGPT (two purposes: two declarations), DeepL, Le Chat Pro; the « autre » is not declared.
    assert sorted(declarations.index) == ["chatgpt_free", "chatgpt_free", "deepl", "le_chat_pro"]
    assert counts["created"] == 4
    assert set(declarations["origin"]) == {f"enquete:{result.import_id}"}
    chatgpt = declarations.loc["chatgpt_free"].set_index("use_case")
    assert set(chatgpt.index) == {"redaction_courrier", "synthese_document"}
    # One daily respondent of 3, half of her use for each purpose: users = 0.5 / 3 × 60 = 10.
    groups = store.survey_groups(2025).set_index(["product", "use_case"])
    letters = groups.loc[("chatgpt_free", "redaction_courrier")]
    assert letters["users"] == pytest.approx(10.0)
    assert letters["days_of_use_per_year"] == 228
    product = factors.product("chatgpt_free", 2025)
    low, high = product.span("messages_per_user_per_day")
    assert letters["messages"] == pytest.approx(10.0 * 228 * (low + high) / 2)
    assert letters["messages_low"] < letters["messages"] < letters["messages_high"]
    # The declaration carries both ends of the interval: messages (the low end) and its high end.
    assert chatgpt.loc["redaction_courrier", "messages"] == pytest.approx(letters["messages_low"])
    assert chatgpt.loc["redaction_courrier", "volume_high"] == pytest.approx(letters["messages_high"])
    assert letters["users_low"] < letters["users"] < letters["users_high"]
    assert bool(chatgpt.loc["redaction_courrier", "personal_data"]) is True
    assert declarations.loc["deepl", "kind"] == "task" and declarations.loc["deepl", "units"] > 0
    assert groups.loc[("le_chat_pro", "synthese_document"), "days_of_use_per_year"] == 684
    other = store.survey_groups(2025).query("product == 'autre outil'")
    assert list(other["kept"]) == ["non déclaré : outil hors catalogue"] and other["declaration_id"].isna().all()
    assert _scan_store(tmp_path / "s.duckdb", FORBIDDEN) == []
    return store, result


def test_template_workbook_has_drop_downs_and_the_questions_sheet(factors):
    workbook = load_workbook(io.BytesIO(survey_workbook(factors)))
    assert workbook.sheetnames == ["reponses", "listes", "questions"]
    assert [c.value for c in workbook["reponses"][1]] == list(TEMPLATE_COLUMNS.values())
    lists = [v.formula1 for v in workbook["reponses"].data_validations.dataValidation]
    assert len(lists) == 4 and all("listes" in f for f in lists)  # all but « usages » (several answers)
    text = survey_text(factors)
    for question in QUESTIONS:
        assert question.text in text and f"[code {question.code}]" in text
    assert "ChatGPT (version gratuite, OpenAI)" in text and "Plusieurs fois par jour  [PJOUR]" in text


def test_template_import_declares_by_service_product_use_case_and_account(tmp_path, factors):
    _check_import(tmp_path, factors, template_export(factors), "template", "questionnaire.xlsx")


def test_microsoft_forms_export(tmp_path, factors):
    """Microsoft Forms « Open in Excel » (see the module docstring)."""
    _check_import(tmp_path, factors, forms_export(), "forms", "Enquête IA(1-4).xlsx")


def test_limesurvey_export_with_question_and_answer_codes(tmp_path, factors):
    """LimeSurvey « Export responses », CSV, question codes, answer codes (see the module docstring)."""
    _check_import(tmp_path, factors, limesurvey_export(factors), "limesurvey", "results-survey123456.csv")


def test_framaforms_export(tmp_path, factors):
    """Framaforms / Webform 7.x-4 « Téléchargement », options « separate » (see the module docstring)."""
    _check_import(tmp_path, factors, framaforms_export(), "framaforms", "enquete-ia.csv")


def test_sampling_interval_is_wide_for_12_answers_of_200_and_narrow_for_150():
    low_few, high_few = wilson_interval(0.5, 12, 200, 1.96)
    low_many, high_many = wilson_interval(0.5, 150, 200, 1.96)
    assert high_few - low_few > 0.45 and high_many - low_many < 0.1
    assert wilson_interval(0.5, 200, 200, 1.96) == (0.5, 0.5)  # everyone answered


def _answers_of(count: int, users: int) -> bytes:
    """A template CSV: ``count`` respondents of Finances, ``users`` of them on ChatGPT daily."""
    lines = [";".join(TEMPLATE_COLUMNS.values())]
    for number in range(1, count + 1):
        tool = ("ChatGPT (version gratuite, OpenAI);Compte personnel ou version gratuite;Tous les jours;"
                "Courriers et notes;Non") if number <= users else "Aucun;;;;"
        lines.append(f"{number};Finances;{tool}")
    return ("\n".join(lines) + "\n").encode()


def test_extrapolated_range_of_12_answers_out_of_200_is_wider_than_of_150(tmp_path, factors):
    store = Store(tmp_path / "s.duckdb")
    widths = {}
    for count, users in ((12, 6), (150, 75)):
        result = preview_survey(_answers_of(count, users), store, factors, 2025, name="r.csv",
                                headcounts={"Finances": 200})
        group = result.groups.iloc[0]
        assert group["users"] == pytest.approx(100.0)
        widths[count] = (group["users_high"] - group["users_low"]) / group["users"]
    assert widths[12] > 3 * widths[150]
    assert store.declarations().empty  # a preview writes nothing



def test_the_engine_range_follows_the_response_rate(tmp_path, factors):
    """Imported, 12 answers out of 200 give the inventory a wider range than 150 out of 200: the
    sampling interval reaches the engine (``volume_haut``), not only the import report."""
    ratios = {}
    for count, users in ((12, 6), (150, 75)):
        store = Store(tmp_path / f"s{count}.duckdb")
        import_survey(_answers_of(count, users), store, factors, 2025, name="r.csv", headcounts={"Finances": 200})
        total = compute_inventory(store, factors, 2025).total()["gwp_kgco2e"]
        ratios[count] = total["high"] / total["low"]
    assert ratios[12] > ratios[150] > 1


GRAPH_V1_HEADER = ("Report Refresh Date,Report Period,User Principal Name,Display Name,Last Activity Date,Microsoft "
                   "Teams Copilot Last Activity Date,Word Copilot Last Activity Date,Excel Copilot Last Activity Date,"
                   "PowerPoint Copilot Last Activity Date,Outlook Copilot Last Activity Date,OneNote Copilot Last "
                   "Activity Date,Loop Copilot Last Activity Date,Copilot Chat Last Activity Date")


def test_an_admin_export_of_the_same_product_and_service_is_kept_not_the_survey(tmp_path, factors):
    """Microsoft Graph getMicrosoft365CopilotUsageUserDetail CSV v1, period D30
    (https://learn.microsoft.com/graph/api/reportroot-getmicrosoft365copilotusageuserdetail)."""
    store = Store(tmp_path / "s.duckdb")
    report = "\n".join([GRAPH_V1_HEADER, f"2025-06-30,30,{MARIE},Marie Dupont,2025-06-28,,2025-06-28,,,,,,"]) + "\n"
    import_admin_export(report.encode(), store, factors, "m365-copilot", name="copilot.csv",
                        services=read_user_services(f"utilisateur;service\n{MARIE};Finances\n".encode(), name="m.csv"))
    survey = [";".join(TEMPLATE_COLUMNS.values()),
              "1;Finances;Microsoft 365 Copilot;Licence ou compte fourni par la collectivité;Tous les jours;"
              "Courriers et notes;Non",
              "2;Finances;Le Chat (version gratuite, Mistral AI);Compte personnel ou version gratuite;Chaque mois;"
              "Traduction;Oui"]
    result, _ = import_survey(("\n".join(survey) + "\n").encode(), store, factors, 2025, name="r.csv",
                              headcounts={"Finances": 40})
    kept = store.survey_groups(2025).set_index("product")["kept"]
    assert kept["m365_copilot"] == "export d'administration (copilot.csv)"
    assert kept["le_chat_free"] == "enquête"
    products = store.declarations(2025).groupby("product")["origin"].agg(list).to_dict()
    assert products["m365_copilot"] == ["admin:copilot.csv"]
    assert any("export d'administration (copilot.csv) gardé" in note for note in result.notes)
    assert _scan_store(tmp_path / "s.duckdb", FORBIDDEN) == []


def test_a_bad_file_writes_nothing_and_says_line_column_value_and_why(tmp_path, factors):
    store = Store(tmp_path / "s.duckdb")
    lines = [";".join(TEMPLATE_COLUMNS.values()),
             "1;Finances;ChatGPT;Compte personnel ou version gratuite;Tous les jours;Courriers et notes;Non",
             "2;Finances;ChatGPT;Compte personnel ou version gratuite;Souvent;Courriers et notes;Non",
             f"{MARIE};Finances;ChatGPT;Compte personnel ou version gratuite;Tous les jours;Code informatique;Non"]
    with pytest.raises(InputError) as raised:
        import_survey(("\n".join(lines) + "\n").encode(), store, factors, 2025, name="r.csv")
    problems = raised.value.problems
    assert [(p.line, p.column, p.value) for p in problems] == [(3, "frequence", "Souvent"), (4, "repondant", MARIE)]
    assert all(p.file == "r.csv" and p.message for p in problems)
    assert "réponse inattendue" in problems[0].message
    assert store.declarations().empty and store.survey_groups().empty


def test_unmatched_headers_are_mapped_and_the_profile_spreads_its_agents(tmp_path, factors):
    store = Store(tmp_path / "s.duckdb")
    store.save_authority_profile({"name": "Ville exemple", "agents": 400})
    data = forms_export()
    workbook = load_workbook(io.BytesIO(data))
    workbook.active.cell(row=1, column=7, value="Votre direction")
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(InputError, match="service"):
        read_survey(out.getvalue(), factors, "forms", name="f.xlsx")
    result, _ = import_survey(out.getvalue(), store, factors, 2025, "forms", name="f.xlsx",
                              mapping={"Votre direction": "service"})
    services = result.services.set_index("service")
    assert services["headcount"].to_dict() == {"Culture": 100.0, "Finances": 300.0}
    assert set(services["headcount_source"]) == {"profil"}
    assert any("profil de la collectivité" in w for w in result.warnings)


def test_outside_framework_by_service_joins_the_footprint(tmp_path, factors):
    store, _ = _check_import(tmp_path, factors, forms_export(), "forms", "f.xlsx")
    inventory = compute_inventory(store, factors, 2025)
    table = outside_framework(store, inventory).set_index("service")
    finances = table.loc["Finances"]
    # Finances: ChatGPT (personal, 2 purposes), DeepL (licence), Le Chat Pro (personal).
    assert finances["uses"] == 4 and finances["personal_share"] == pytest.approx(3 / 4)
    assert 0 < finances["personal_gwp_share"] < 1
    assert finances["sensitive_share"] == pytest.approx(2 / 4)
    assert np.isnan(table.loc["Culture", "personal_gwp_share"])  # its only tool is outside the catalogue


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "footprint", *args], capture_output=True, text=True, check=False)


def test_cli_template_import_show(tmp_path, factors):
    out = _cli("survey", "template", "--out", str(tmp_path / "q.xlsx"), "--text", str(tmp_path / "q.txt"))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "q.xlsx").stat().st_size > 0 and "Outil n° 1" in (tmp_path / "q.txt").read_text()
    (tmp_path / "lime.csv").write_bytes(limesurvey_export(factors))
    db = str(tmp_path / "s.duckdb")
    done = _cli("survey", "import", str(tmp_path / "lime.csv"), "--format", "limesurvey", "--year", "2025",
                "--effectifs", "Finances=60,Culture=20", "--db", db, "--create")
    assert done.returncode == 0, done.stderr
    assert "Finances : 3 sur 60 agents (5 %" in done.stdout and "4 déclaration(s) créée(s)" in done.stdout
    shown = _cli("survey", "show", "--year", "2025", "--db", db, "--json")
    assert shown.returncode == 0, shown.stderr
    rows = pd.read_json(io.StringIO(shown.stdout))
    assert set(rows["service"]) == {"Culture", "Finances"}
    bad = _cli("survey", "import", str(tmp_path / "q.txt"), "--year", "2025", "--db", db)
    assert bad.returncode == 2 and "q.txt" in bad.stderr


def test_diagnostic_page_offers_the_questionnaire_and_shows_the_ai_outside_any_framework(tmp_path, factors,
                                                                                         monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from dashboard.views import diagnostic

    store = Store(tmp_path / "s.duckdb")
    preview = diagnostic.preview_answers(forms_export(), "f.xlsx", store, factors, 2025, "forms",
                                         headcounts_text="Finances=60, Culture=20")
    services, groups = diagnostic.result_tables(preview)
    assert list(services["Taux de réponse (%)"]) == pytest.approx([5.0, 5.0])
    assert store.declarations().empty  # the preview wrote nothing
    diagnostic.import_answers(forms_export(), "f.xlsx", store, factors, 2025, "forms",
                              headcounts_text="Finances=60, Culture=20")
    monkeypatch.setenv("FOOTPRINT_DB", str(store.path))
    # Run from a script at the root's level (app_pages/ names would shadow the packages).
    page = str(Path(__file__).resolve().parents[2] / "app_pages" / "diagnostic.py")
    app = AppTest.from_string(f"import runpy\nrunpy.run_path({page!r}, run_name='__main__')", default_timeout=120)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert len(app.get("download_button")) == 2
    table = app.dataframe[0].value
    assert set(table["Service"]) == {"Culture", "Finances"}
    assert table.set_index("Service").loc["Finances", "Par un compte personnel ou gratuit (% des usages)"] == 75


def limesurvey_full_text_export(factors) -> bytes:
    """The same export with « Full question text » headings and « Full answers » (LimeSurvey's
    other export options): « question [option] » over each option column, « Oui » when chosen."""
    import csv

    from footprint.inventory.survey.questions import tool_choices

    labels = {c.code: c.label for q in QUESTIONS for c in (q.choices or ())}
    labels |= {c.code: c.label for c in tool_choices(factors)} | {"-oth-": "Autre"}
    texts = {q.code: q.text for q in QUESTIONS}
    rows = list(csv.reader(io.StringIO(limesurvey_export(factors).decode())))
    header = []
    for title in rows[0]:
        code, _, option = title.partition("[")
        option = option.rstrip("]")
        if code in texts:
            header.append(f"{texts[code]} [{'Autre' if option == 'other' else labels[option]}]" if option
                          else texts[code])
        else:
            header.append(title)
    body = [[("Oui" if v == "Y" else labels.get(v, v)) if i > 8 else v for i, v in enumerate(row)] for row in rows[1:]]
    return ("\n".join(",".join(f'"{c}"' for c in line) for line in [header, *body]) + "\n").encode()


def test_limesurvey_export_with_full_question_text_and_full_answers(tmp_path, factors):
    """LimeSurvey « Export responses », « Full question text » and « Full answers »."""
    _check_import(tmp_path, factors, limesurvey_full_text_export(factors), "limesurvey", "results.csv")


def test_importing_the_same_survey_twice_changes_nothing_and_a_new_one_replaces_it(tmp_path, factors):
    store = Store(tmp_path / "s.duckdb")
    import_survey(forms_export(), store, factors, 2025, "forms", name="f.xlsx", headcounts=HEADCOUNTS)
    _, again = import_survey(forms_export(), store, factors, 2025, "forms", name="f.xlsx", headcounts=HEADCOUNTS)
    assert again == {"created": 0, "modified": 0, "unchanged": 4}
    assert len(store.survey_groups(2025)) == 5
    newer, counts = import_survey(_answers_of(10, 4), store, factors, 2025, name="r.csv",
                                  headcounts={"Finances": 50})
    assert counts["replaced"] == 3  # DeepL, Le Chat Pro and one ChatGPT purpose are no longer answered
    assert list(store.declarations(2025)["product"]) == ["chatgpt_free"]
    assert set(store.survey_groups(2025)["import_id"]) == {newer.import_id}


def test_the_headers_of_an_upload_are_read_with_the_survey_reader_s_limits():
    from pathlib import Path

    from footprint.inventory.survey import survey_headers
    from footprint.inventory.survey.readers import MAX_BYTES, MAX_ROWS

    example = (Path(__file__).resolve().parents[2] / "examples" / "enquete-exemple.csv").read_bytes()
    headers = survey_headers(example, "enquete-exemple.csv")
    assert headers and headers[0] == example.decode("utf-8-sig").splitlines()[0].split(";")[0].strip('"')
    too_many = ("Service;Outil\n" + "Urbanisme;ChatGPT\n" * (MAX_ROWS + 1)).encode()
    with pytest.raises(InputError) as refused:
        survey_headers(too_many, "reponses.csv")
    assert "reponses.csv" in str(refused.value) and "Traceback" not in str(refused.value)
    with pytest.raises(InputError):
        survey_headers(b"Service;Outil\n" + b"x" * (MAX_BYTES + 1), "gros.csv")
