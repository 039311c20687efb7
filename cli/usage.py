"""``python -m footprint usage import FICHIER``: the usage logs of an API gateway (Albert /
OpenGateLLM, OpenAI, a generic CSV, Parquet or JSONL), aggregated into monthly declarations,
with the gateway's own estimate beside ours.

Owns: the options of the group and what it prints. Must not: read the log itself
(``footprint.inventory.usage_logs`` does) nor take a file name as a pattern.
"""

from __future__ import annotations

import argparse

from cli.arguments import add_group, factors_of, store_of, with_db
from cli.output import print_counts
from core.errors import InputError, Problem
from footprint.io.formatting import format_number, format_range

COMMAND = "usage"
# The formats ``usage import`` reads: the gateways' usage logs, then the products' admin exports
# (``footprint.inventory.usage_logs.PRESETS`` and ``admin_exports.ADMIN_PRESETS``, repeated here
# so that building the parser imports none of the readers: a test checks they are the same).
LOG_PRESETS = ("generic", "openai", "openai-usage-api", "litellm", "albert")
ADMIN_PRESETS = ("m365-copilot", "chatgpt-enterprise", "mistral-admin")


def add_parsers(commands: argparse._SubParsersAction, parser_class: type) -> None:
    """The ``usage`` group and its one action, ``import``."""
    actions = add_group(commands, parser_class, "usage",
                        "importer les journaux d'une passerelle d'API ou l'export d'administration d'un outil",
                        "Journaux d'usage (Albert/OpenGateLLM, LiteLLM, API d'usage d'OpenAI, générique) et exports "
                        "d'administration (Microsoft 365 Copilot, ChatGPT Enterprise, Le Chat). Aucun nom, courriel "
                        "ni identifiant n'est conservé : seuls les totaux par service le sont.")
    usage_import = with_db(actions.add_parser(
        "import", help="importer un journal (CSV, Parquet, JSONL, JSON) ou un export d'administration",
        description="Importer un journal d'usage (regroupé par mois, service et modèle) ou l'export d'administration "
                    "d'un outil (regroupé par service et outil), tout ou rien. Formats : "
                    + " ; ".join(f"{p}" for p in (*LOG_PRESETS, *ADMIN_PRESETS))
                    + ". python -m footprint usage formats dit ce qu'est chaque fichier et où le télécharger."))
    usage_import.add_argument("file", metavar="FICHIER")
    usage_import.add_argument("--preset", default="generic", choices=[*LOG_PRESETS, *ADMIN_PRESETS],
                              help="format du fichier (generic par défaut)")
    usage_import.add_argument("--service", help="service des utilisateurs non rattachés (ou de tout le fichier)")
    usage_import.add_argument("--user-services", metavar="FICHIER",
                              help="correspondance utilisateur → service (CSV ou XLSX : colonnes utilisateur, "
                                   "service), appliquée puis oubliée")
    usage_import.add_argument("--map", action="append", metavar="ANCIEN=NOUVEAU",
                              help="journal : associer un nom de modèle du journal à un modèle connu (répétable)")
    usage_import.add_argument("--hosting", help="journal : profil d'hébergement des modèles du journal")
    usage_import.add_argument("--product", help="export d'administration : l'outil, si le fichier ne le dit pas "
                                                "(chatgpt_business, le_chat_team…)")
    usage_import.add_argument("--period-days", metavar="N",
                              help="export d'administration : jours couverts, si le fichier ne le dit pas")
    usage_import.add_argument("--year", help="export d'administration : année d'inventaire (par défaut celle de la "
                                             "période)")
    actions.add_parser("formats", help="ce qu'est chaque format et où télécharger le fichier")


def run(args: argparse.Namespace) -> int:
    if args.action == "formats":
        return _formats()
    from pathlib import Path

    # The name is a file, never a pattern: « journal[12].csv » is that file or nothing.
    for name in (args.file, args.user_services):
        if name is not None and not Path(name).is_file():
            what = "c'est un dossier, pas un fichier" if Path(name).is_dir() else "fichier introuvable"
            raise InputError([Problem(what, file=name)])
    services = None
    if args.user_services:
        from footprint.inventory.admin_exports import read_user_services

        services = read_user_services(args.user_services)
    store = store_of(args)
    if args.preset in ADMIN_PRESETS:
        return _admin_export(args, store, services)
    from footprint.inventory.usage_logs import KIND_LABELS, UNCOUNTED_KINDS, import_usage, parse_mapping

    done = import_usage(args.file, store, factors_of(store), preset=args.preset, service=args.service,
                        mapping=parse_mapping(args.map), hosting=args.hosting, services=services)
    print(f"Journal {done.file_name} : {format_number(done.rows)} ligne(s) agrégée(s) en "
          f"{len(done.declarations)} déclaration(s) mensuelle(s).")
    computed = ", ".join(f"{format_number(count)} {KIND_LABELS.get(kind, kind)}"
                         for kind, count in done.requests_by_kind.items() if count)
    if computed:
        print(f"  Requêtes calculées : {computed}.")
    for kind, count in done.uncounted.items():
        if count:
            print(f"  {format_number(count)} {UNCOUNTED_KINDS.get(kind, kind)}, comptée(s) sans calcul.")
    print_counts(done.counts)
    energy, gwp = done.ours["energy_kwh"], done.ours["gwp_kgco2e"]
    print(f"  Empreinte IA : {format_range(energy['low'], energy['central'], energy['high'], 'kWh')} ; "
          f"{format_range(gwp['low'], gwp['central'], gwp['high'], 'kgCO2e')}")
    if done.gateway:
        g = done.gateway
        print(f"  Estimation de la passerelle : de {format_number(g['gateway_kwh_min'])} à "
              f"{format_number(g['gateway_kwh_max'])} kWh ; de {format_number(g['gateway_kgco2e_min'])} à "
              f"{format_number(g['gateway_kgco2e_max'])} kgCO2e")
    return 0


def _admin_export(args: argparse.Namespace, store, services: dict[str, str] | None) -> int:
    """``usage import --preset m365-copilot|chatgpt-enterprise|mistral-admin``."""
    from cli.arguments import parse_number, parse_year
    from footprint.inventory.admin_exports import import_admin_export

    done = import_admin_export(args.file, store, factors_of(store), args.preset, services=services,
                               service=args.service, product=args.product, year=parse_year(args.year),
                               period_days=parse_number(args.period_days, "--period-days"))
    print(f"Export {done.file_name} : {format_number(done.rows)} ligne(s), {format_number(done.active_users)} "
          f"utilisateur(s) actif(s) sur {format_number(done.users)}, en {len(done.declarations)} déclaration(s) par "
          f"service et outil ; période de {format_number(done.period_days)} jours ramenée à l'année {done.year} "
          f"(× {format_number(done.scaling)}).")
    if done.unmapped_users:
        print(f"  {format_number(done.unmapped_users)} utilisateur(s) absent(s) de la correspondance, comptés dans "
              "le service par défaut.")
    for note in done.notes:
        print(f"  {note}")
    print_counts(done.counts)
    return 0


def _formats() -> int:
    """What each format is and where its file is downloaded."""
    from footprint.inventory.admin_exports import ADMIN_PRESETS as ADMIN_HELP
    from footprint.inventory.usage_logs import PRESET_HELP

    for name, text in {**PRESET_HELP, **ADMIN_HELP}.items():
        print(f"{name} : {text}")
    return 0
