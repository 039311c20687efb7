"""``python -m footprint enquete``: the diagnostic survey of the agents: the questionnaire
(``template``), its exports read back as declarations extrapolated to the whole authority
(``import``), and the figures of « IA non encadrée » (``show``).

Owns: the options of the group and what it prints. Must not: read a survey file, extrapolate or
hold the rows (``footprint.inventory.survey`` and the store do).
"""

from __future__ import annotations

import argparse
import json

from cli.arguments import add_group, factors_of, store_of, with_db
from cli.output import print_counts

COMMAND = "survey"
# ``footprint.inventory.survey.FORMATS``, repeated so that building the parser imports no reader.
FORMATS = ("template", "forms", "limesurvey", "framaforms")


def add_parsers(commands: argparse._SubParsersAction, parser_class: type) -> None:
    """The ``survey`` group: ``template``, ``import`` and ``show``."""
    actions = add_group(commands, parser_class, COMMAND, "enquête auprès des agents (diagnostic des usages)",
                        "Le questionnaire anonyme des usages d'IA (outils, compte personnel ou de la collectivité, "
                        "fréquence, usages, données sensibles), ses réponses extrapolées à toute la collectivité, et "
                        "la part de l'IA utilisée hors de tout cadre. Aucun nom, courriel ni texte libre n'est "
                        "conservé : seuls des totaux par service.")
    template = actions.add_parser("template", help="écrire le questionnaire (XLSX, et texte à coller)")
    template.add_argument("--out", required=True, metavar="FICHIER.xlsx", help="le classeur du questionnaire")
    template.add_argument("--text", metavar="FICHIER.txt",
                          help="les questions en texte, à coller dans Microsoft Forms, LimeSurvey ou Framaforms")
    template.add_argument("--force", action="store_true", help="remplacer les fichiers existants")
    survey_import = with_db(actions.add_parser(
        "import", help="importer les réponses (tout ou rien)",
        description="Les réponses deviennent des déclarations d'origine « enquête » par service × outil × usage × "
                    "compte, extrapolées à l'effectif de chaque service avec leur intervalle d'échantillonnage."))
    survey_import.add_argument("file", metavar="FICHIER")
    survey_import.add_argument("--format", default="template", choices=FORMATS,
                               help="l'outil qui a produit le fichier (template par défaut)")
    survey_import.add_argument("--year", required=True, help="année d'inventaire")
    survey_import.add_argument("--effectifs", metavar="SERVICE=N,…|FICHIER",
                               help="effectif de chaque service (« Finances=200,Culture=35 », ou un CSV "
                                    "service;effectif) ; sinon les agents du profil de la collectivité, répartis")
    survey_import.add_argument("--map", action="append", metavar="TITRE=CLÉ",
                               help="associer un titre de colonne à une question (service, tool_1, account_1…), "
                                    "répétable")
    survey_import.add_argument("--dry-run", action="store_true", help="montrer ce qui serait écrit, sans rien écrire")
    show = with_db(actions.add_parser("show", help="l'IA non encadrée, par service"), write=False)
    show.add_argument("--year", help="année d'inventaire (toutes par défaut)")
    show.add_argument("--json", action="store_true", help="un tableau JSON")


def run(args: argparse.Namespace) -> int:
    if args.action == "template":
        return _template(args)
    if args.action == "import":
        return _import(args)
    return _show(args)


def _template(args: argparse.Namespace) -> int:
    from footprint.factors import FactorBase
    from footprint.inventory.survey import survey_text, survey_workbook
    from footprint.io.output_files import shown, write_files

    factors = FactorBase.load()
    files = {args.out: survey_workbook(factors)}
    if args.text:
        files[args.text] = survey_text(factors).encode("utf-8")
    for path in write_files(files, force=args.force):
        print(f"Questionnaire écrit : {shown(path)}")
    return 0


def _headcounts(text: str | None) -> dict[str, int] | None:
    from pathlib import Path

    from footprint.inventory.survey import parse_headcounts, read_headcounts
    from footprint.io.tabular import read_table

    if not text:
        return None
    if "=" not in text and Path(text).is_file():
        return read_headcounts(read_table(text))
    return parse_headcounts(text)


def _import(args: argparse.Namespace) -> int:
    from cli.arguments import parse_year
    from footprint.inventory.survey import import_survey, parse_mapping, preview_survey
    from footprint.inventory.survey.questions import ACCOUNTS
    from footprint.io.formatting import format_number

    year = parse_year(args.year)
    mapping = parse_mapping(args.map or [])
    headcounts = _headcounts(args.effectifs)
    store = store_of(args)
    factors = factors_of(store)
    if args.dry_run:
        result, counts = preview_survey(args.file, store, factors, year, args.format, mapping=mapping,
                                        headcounts=headcounts), None
    else:
        result, counts = import_survey(args.file, store, factors, year, args.format, mapping=mapping,
                                       headcounts=headcounts)
    answers = result.answers
    print(f"Enquête {answers.file_name} ({args.format}) : {format_number(sum(answers.respondents.values()))} "
          f"répondant(s), {len(answers.answers)} usage(s) d'outil, {len(result.declarations)} déclaration(s) "
          f"d'origine « enquete:{result.import_id} » pour {year}.")
    print("Taux de réponse par service :")
    for row in result.services.itertuples(index=False):
        print(f"  {row.service} : {format_number(row.respondents)} sur {format_number(row.headcount)} agents "
              f"({format_number(100 * row.response_rate)} %, effectif : {row.headcount_source})")
    accounts = {choice.key: choice.label.lower() for choice in ACCOUNTS}
    print("Groupes de réponses (utilisateurs estimés, intervalle à 95 %) :")
    for row in result.groups.itertuples(index=False):
        width = (row.users_high - row.users_low) / row.users if row.users else float("nan")
        use_case = "–" if not isinstance(row.use_case, str) else row.use_case
        print(f"  {row.service} × {row.product} × {use_case} × {accounts.get(row.account, row.account)} : "
              f"{format_number(row.users)} utilisateurs (de {format_number(row.users_low)} à "
              f"{format_number(row.users_high)}, largeur {format_number(100 * width)} %) → {row.kept}")
    for text in (*result.warnings, *result.notes):
        print(f"  {text}")
    if counts is None:
        print("Aperçu : rien n'a été écrit (--dry-run).")
    else:
        print_counts(counts)
    return 0


def _show(args: argparse.Namespace) -> int:
    from cli.arguments import parse_year
    from footprint.inventory.survey import outside_framework
    from footprint.inventory.totals import compute_inventory
    from footprint.io.formatting import format_number

    year = parse_year(args.year) if args.year else None
    store = store_of(args, write=False)
    inventory = None
    if year is not None:
        inventory = compute_inventory(store, factors_of(store), year)
    table = outside_framework(store, inventory, year)
    if args.json:
        print(json.dumps(table.astype(object).where(table.notna(), None).to_dict("records"), ensure_ascii=False,
                         indent=2))
        return 0
    if table.empty:
        print("Aucune enquête importée : python -m footprint survey import FICHIER --year …")
        return 0
    print("IA non encadrée, par service (enquête auprès des agents) :")
    for row in table.itertuples(index=False):
        share = row.personal_gwp_share
        gwp = "–" if share != share else f"{format_number(100 * share)} %"  # NaN: no inventory given
        print(f"  {row.service} : {format_number(row.uses)} usage(s) ; par un compte personnel ou gratuit "
              f"{format_number(100 * row.personal_share)} % des usages, {gwp} de l'empreinte ; données personnelles "
              f"ou confidentielles : {format_number(100 * row.sensitive_share)} %")
    return 0
