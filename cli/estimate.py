"""``python -m footprint estimate llm|gpu|task|product|measured``: one workload typed on the
command line, or the use of a product of the catalogue, its impacts with their range, the factors
behind them (``--json``: one JSON object).

Owns: the options of the five kinds, the flags of the engine columns it names otherwise than a
declaration does (``OWN_FLAGS``), the default zone of a workload without zone nor hosting
(``read_defaults().zone``) and the lines it prints, one per impact of the vocabulary.
Must not: open the store (an estimate records nothing), or turn a product into workloads
(``footprint.inventory.products``).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

from cli.arguments import FrenchParser, add_group, parse_number, parse_year
from core.errors import InputError, Problem
from emission_factors.schema import read_defaults
from footprint.vocabulary import FIELDS, IMPACT_KEYS, IMPACTS

COMMAND = "estimate"

# Engine columns whose ``estimate`` option is not the declaration's flag of the vocabulary (a
# per-request count, a detail of the server, a choice of method): how a problem names them.
OWN_FLAGS = {
    "output_tokens_per_request": "--output-tokens", "input_tokens_per_request": "--input-tokens",
    "server_overhead_w": "--server-overhead-w", "cpu_cores": "--cpu-cores", "cpu_power_w": "--cpu-power-w",
    "memory_gb": "--memory-gb", "mix_dataset": "--mix", "request_latency_s": "--latency",
    # estimate product: what it is given in the terms of footprint.inventory.products.
    "product": "--product", "messages": "--messages", "users": "--users", "licences": "--licences",
    "messages_per_user_per_day": "--messages-per-user-per-day", "days": "--days",
}
# Every impact on its line, a part of another indented under it.
IMPACT_LABELS = [(i.key, ("  " if i.part_of else "") + i.label, i.unit) for i in IMPACTS]


def _add_common(parser: argparse.ArgumentParser, default_zone_note: str = "", year_note: str = "") -> None:
    where = parser.add_argument_group("hébergement et électricité")
    where.add_argument("--zone",
                       help=f"zone électrique, code ISO 3166 alpha-3 (FRA, DEU, USA, WOR…){default_zone_note}")
    where.add_argument("--hosting", help="profil d'hébergement (salle_serveurs, datacenter_fr, albert_api, openai…)")
    where.add_argument("--pue", help="PUE du centre de données (remplace celui de l'hébergement)")
    where.add_argument("--wue", help="eau consommée sur site, en L/kWh (remplace celle de l'hébergement)")
    where.add_argument("--year", help=f"année du facteur d'électricité{year_note} (par défaut la plus récente)")
    where.add_argument("--mix", dest="mix_dataset",
                       help="jeu de facteurs d'électricité préféré : ademe_base_empreinte, ecologits, rte_direct")
    parser.add_argument("--json", action="store_true", help="un objet JSON sur la sortie standard")


def add_parsers(commands: argparse._SubParsersAction, parser_class: type = FrenchParser) -> None:
    """The ``estimate`` command and its four kinds of workload."""
    kinds = add_group(commands, parser_class, "estimate", "estimer les impacts d'une charge d'IA",
                      "Estimer les impacts d'une charge d'IA.", dest="kind", metavar="type")
    default_zone = f" ; {read_defaults().zone} par défaut"

    llm = kinds.add_parser("llm", help="requêtes à un modèle de langage (méthode EcoLogits)",
                           description="Requêtes à un modèle de langage, selon la méthode EcoLogits.")
    llm.add_argument("--provider", required=True, help="fournisseur : openai, mistralai, anthropic, self_hosted…")
    llm.add_argument("--model", required=True, help="modèle, tel qu'EcoLogits l'écrit (gpt-4o, mistral-large-latest…)")
    llm.add_argument("--output-tokens", required=True, help="tokens générés par requête")
    llm.add_argument("--input-tokens", help="tokens d'entrée par requête (comptés seulement avec --with-input-tokens)")
    llm.add_argument("--requests", default="1", help="nombre de requêtes (1 par défaut)")
    llm.add_argument("--latency", help="latence mesurée d'une requête, en secondes (plafonne la durée de génération)")
    llm.add_argument("--with-input-tokens", action="store_true",
                     help="ajouter le coût du traitement des tokens d'entrée (préremplissage ; hors méthode EcoLogits)")
    _add_common(llm)

    gpu = kinds.add_parser("gpu", help="heures de calcul sur GPU", description="Heures de calcul sur GPU.")
    gpu.add_argument("--gpu", required=True, help="modèle de GPU : H100-SXM, A100-SXM4, L40S, T4…")
    gpu.add_argument("--gpus", default="1", help="nombre de GPU (1 par défaut)")
    gpu.add_argument("--hours", required=True, help="durée en heures")
    gpu.add_argument("--utilization", help="taux d'utilisation moyen du GPU, entre 0 et 1")
    gpu.add_argument("--server-overhead-w", help="puissance du serveur hors GPU, en W par GPU")
    gpu.add_argument("--cpu-cores", help="cœurs de processeur à compter en plus")
    gpu.add_argument("--cpu-power-w", help="puissance par cœur de processeur, en W")
    gpu.add_argument("--memory-gb", help="mémoire vive à compter, en Go")
    gpu.add_argument("--no-embodied", action="store_true", help="ne pas compter la fabrication du matériel")
    _add_common(gpu, default_zone)

    task = kinds.add_parser("task", help="tâches à l'unité (images, minutes d'audio, pages…)",
                            description="Tâches à l'unité : images générées, minutes d'audio transcrites, pages lues…")
    task.add_argument("--task", required=True, help="tâche : generation_image, transcription_audio, ocr_modele_vision…")
    task.add_argument("--units", required=True, help="nombre d'unités (images, minutes, pages…)")
    _add_common(task, default_zone)

    product = kinds.add_parser("product", help="usage d'un produit d'IA du catalogue (ChatGPT, Copilot, Le Chat…)",
                               description="Usage d'un produit d'IA du catalogue (python -m footprint products list), "
                                           "à partir de ses messages par an, de ses utilisateurs actifs ou de ses "
                                           "licences : plus le volume est grossier, plus la fourchette est large.")
    product.add_argument("--product", required=True, help="produit, comme on le nomme : « Le Chat Pro », copilot, "
                                                          "chatgpt, albert…")
    volume = product.add_mutually_exclusive_group()
    volume.add_argument("--messages", help="messages envoyés par an (console d'administration, journal)")
    volume.add_argument("--users", help="utilisateurs actifs")
    volume.add_argument("--licences", help="licences (la part réellement utilisée vient du catalogue)")
    product.add_argument("--reasoning", action="store_true",
                         help="en mode raisonnement (« réflexion ») : les tokens de raisonnement cachés du catalogue "
                              "s'ajoutent à chaque réponse")
    product.add_argument("--messages-per-user-per-day",
                         help="messages par utilisateur actif et par jour (par défaut la fourchette du produit)")
    product.add_argument("--days", help="jours d'usage par an (par défaut les jours travaillés de la base de facteurs)")
    product.add_argument("--with-input-tokens", action="store_true",
                         help="ajouter le coût du traitement des tokens d'entrée (préremplissage ; hors méthode "
                              "EcoLogits)")
    _add_common(product, " ; par défaut celle de l'hébergement du produit", " et des lignes du catalogue")

    measured = kinds.add_parser("measured", help="énergie mesurée (CodeCarbon, wattmètre)",
                                description="Énergie mesurée, convertie avec les facteurs de la zone.")
    measured.add_argument("--kwh", required=True, help="énergie mesurée, en kWh")
    _add_common(measured, default_zone)


def _workload(args: argparse.Namespace) -> dict:
    number = {c: parse_number(getattr(args, c, None), FIELDS[c].flag) for c in ("pue", "wue", "year")}
    row: dict = {"kind": args.kind, "zone": args.zone, "hosting": args.hosting, "mix_dataset": args.mix_dataset,
                 **number}
    if args.kind == "llm":
        row |= {"provider": args.provider, "model": args.model,
                "output_tokens_per_request": parse_number(args.output_tokens, "--output-tokens"),
                "input_tokens_per_request": parse_number(args.input_tokens, "--input-tokens"),
                "requests": parse_number(args.requests, "--requests"),
                "request_latency_s": parse_number(args.latency, "--latency")}
    elif args.kind == "gpu":
        row |= {"gpu": args.gpu, "gpus": parse_number(args.gpus, "--gpus"),
                "hours": parse_number(args.hours, "--hours"),
                "utilization": parse_number(args.utilization, "--utilization"),
                "server_overhead_w": parse_number(args.server_overhead_w, "--server-overhead-w"),
                "cpu_cores": parse_number(args.cpu_cores, "--cpu-cores"),
                "cpu_power_w": parse_number(args.cpu_power_w, "--cpu-power-w"),
                "memory_gb": parse_number(args.memory_gb, "--memory-gb"), "embodied": not args.no_embodied}
    elif args.kind == "task":
        row |= {"task": args.task, "units": parse_number(args.units, "--units")}
    else:
        row |= {"energy_kwh": parse_number(args.kwh, "--kwh")}
    if args.kind != "llm" and not row["zone"] and not row["hosting"]:
        row["zone"] = read_defaults().zone
        row["zone_defaulted"] = True
    return row


def _resolve_names(factors, row: dict) -> dict:
    """The workload with names as the factor base spells them (for the provenance list)."""
    resolved = dict(row)
    if row["kind"] == "llm":
        resolved["provider"] = factors.provider_id(row["provider"])
        resolved["model"] = factors.model_name(resolved["provider"], row["model"])
    elif row["kind"] == "gpu":
        resolved["gpu"] = factors.gpu_id(row["gpu"])
    elif row["kind"] == "task":
        resolved["task"] = row["task"].strip().lower()
    if resolved.get("zone"):
        zone = resolved["zone"].strip().upper()
        resolved["zone"] = factors.zone_aliases().get(zone, zone)
    if resolved.get("hosting"):
        hostings = {h.lower(): h for h in factors.hostings()}
        resolved["hosting"] = hostings.get(resolved["hosting"].strip().lower(), resolved["hosting"])
    if resolved.get("mix_dataset"):
        resolved["mix_dataset"] = resolved["mix_dataset"].strip().lower()
    return resolved


def _place(row: dict) -> str:
    """Where a workload runs: its hosting and its zone, as given."""
    where = []
    if row.get("hosting"):
        where.append(f"hébergement {row['hosting']}")
    if row.get("zone"):
        where.append(f"zone {row['zone']}" + (" (par défaut)" if row.get("zone_defaulted") else ""))
    return ", ".join(where)


def _describe(row: dict) -> str:
    from footprint.io.formatting import format_number

    place = _place(row)
    if row["kind"] == "llm":
        what = (f"{row['provider']}/{row['model']}, {format_number(row['requests'])} requête(s) × "
                f"{format_number(row['output_tokens_per_request'])} tokens de sortie")
    elif row["kind"] == "gpu":
        what = f"{format_number(row['gpus'])} × {row['gpu']} pendant {format_number(row['hours'])} h"
    elif row["kind"] == "task":
        what = f"{format_number(row['units'])} unité(s) de la tâche {row['task']}"
    else:
        what = f"{format_number(row['energy_kwh'])} kWh mesurés"
    return f"{what} — {place}" if place else what


def _factor_lines(used: list[dict]) -> list[str]:
    """The electricity factor and the hosting behind the figures, in one or two lines."""
    from footprint.io.formatting import format_number

    lines = []
    gwp = next((f for f in used if f["table"] == "electricity_mix" and f["name"] == "gwp"), None)
    if gwp:
        zone, dataset, year = gwp["key"].split(" / ")
        lines.append(f"  Électricité : zone {zone}, {format_number(gwp['value'])} {gwp['unit']} "
                     f"({gwp['source']})")
    by_name = {f["name"]: f for f in used if f["table"] in ("hosting_profiles", "saisie", "constants")}
    pue = by_name.get("pue") or by_name.get("pue_min") or by_name.get("gpu_default_pue")
    if pue:
        high = by_name.get("pue_max")
        shown = format_number(pue["value"])
        if high and high["value"] != pue["value"]:
            shown += f" à {format_number(high['value'])}"
        origin = {"hosting_profiles": f"hébergement {pue['key']}", "saisie": "valeur saisie",
                  "constants": "valeur par défaut"}[pue["table"]]
        lines.append(f"  PUE : {shown} ({origin})")
    return lines


def run(args: argparse.Namespace) -> int:
    """Estimate the workload of the command line and print it (French lines, or one JSON object)."""
    if args.kind == "product":
        return _product(args)
    row = _workload(args)
    import pandas as pd

    from footprint.engine import compute_impacts, totals
    from footprint.factors import FactorBase
    from footprint.factors.provenance import factors_used

    factors = FactorBase.load()
    frame = pd.DataFrame([{k: v for k, v in row.items() if k != "zone_defaulted"}])
    result = compute_impacts(frame, factors, include_input_tokens=getattr(args, "with_input_tokens", False))
    if row["year"] is not None:
        row["year"] = int(row["year"])  # a whole number: the engine has checked it
    resolved = _resolve_names(factors, row)
    used = factors_used(factors, resolved, include_input_tokens=getattr(args, "with_input_tokens", False))
    extra = {"warnings": result.attrs["warnings"],
             "inputs": {k: v for k, v in resolved.items() if v is not None and k != "zone_defaulted"}}
    return report(args, totals(result), used, factors.version, extra, _describe(resolved),
                  result.attrs["warnings"] + input_tokens_warning(args, row.get("input_tokens_per_request")),
                  "Valeur centrale = milieu de la fourchette basse–haute.")


def _product(args: argparse.Namespace) -> int:
    """``estimate product``: the product named, its volume at the level given, its range."""
    from cli.products import product_text, volume_text
    from footprint.factors import FactorBase
    from footprint.inventory import LEVELS, compare, estimate_product, find_product, message_volume, one_message

    counts = {level: parse_number(getattr(args, level), f"--{level}") for level in LEVELS}
    given = [level for level in LEVELS if counts[level] is not None]
    if not given:
        raise InputError([Problem("précisez le volume : --messages (messages par an), --users (utilisateurs actifs) "
                                  "ou --licences (licences)")])
    rates = {"messages_per_user_per_day": parse_number(args.messages_per_user_per_day, "--messages-per-user-per-day"),
             "days": parse_number(args.days, "--days")}
    year = parse_year(args.year)
    numbers = {c: parse_number(getattr(args, c), FIELDS[c].flag) for c in ("pue", "wue")}
    factors = FactorBase.load()
    product = find_product(factors, args.product, year)
    try:
        volume = message_volume(factors, product, given[0], counts[given[0]], **rates)
    except InputError as error:  # each value as it was typed
        typed = {name: getattr(args, name) for name in (*LEVELS, *rates)}
        raise InputError([replace(p, value=typed.get(p.column, p.value)) for p in error.problems]) from None
    where = _resolve_names(factors, {"kind": "product", "zone": args.zone, "hosting": args.hosting,
                                     "mix_dataset": args.mix_dataset, "year": year, **numbers})
    where.pop("kind")
    try:
        estimate = estimate_product(factors, product, volume, where, include_input_tokens=args.with_input_tokens,
                                    reasoning=args.reasoning)
    except InputError as error:
        raise InputError([replace(p, column="--reasoning") if p.column == "reasoning" else p
                          for p in error.problems]) from None
    shown = {"product": product.product, "label": product.label, "valid_from": product.valid_from,
             "provider": product.provider, "models": list(product.models), "hosting": product.hosting}
    # What the provider publishes for one message, beside our estimate of one (same place, same year).
    one = one_message(factors, product, where)
    disclosed = compare(factors, product, one)
    extra = {"warnings": estimate.warnings, "product": shown, "level": volume.level, "volume": volume.as_dict(),
             "disclosures": disclosed,
             "inputs": {"product": args.product, given[0]: counts[given[0]],
                        **{k: v for k, v in (rates | where).items() if v is not None}}}
    place = _place({"hosting": product.hosting} | {k: v for k, v in where.items() if v is not None})
    counted = volume_text(volume, "message" if product.kind == "llm" else "unit")
    heading = f"{product_text(product)} ; {counted} — {place}"
    return report(args, estimate.impacts, estimate.factors, factors.version, extra, heading,
                  estimate.warnings + (input_tokens_warning(args, product.span("input_tokens_per_message")[1])
                                       if product.kind == "llm" else [])
                  + disclosure_notes(disclosed),
                  "Fourchette : du modèle possible le plus sobre à l'usage le plus faible (le moins de messages et "
                  "de tokens par message) au plus coûteux à l'usage le plus fort ; valeur centrale = milieu de la "
                  "fourchette, comme dans l'inventaire.")


def disclosure_notes(rows: list[dict]) -> list[str]:
    """What the provider publishes for one message of the product, beside our estimate of one, in
    French (one line per publication; none when it publishes nothing)."""
    from footprint.io.formatting import format_number, format_quantity, format_range

    notes = []
    for disclosure in dict.fromkeys(row["disclosure"] for row in rows):
        mine = [row for row in rows if row["disclosure"] == disclosure]
        figures = "; ".join(
            f"{row['impact_label']} {format_quantity(row['disclosed'], row['impact_unit'])} (notre estimation : "
            f"{format_range(*(row['estimate'][end] for end in ('low', 'central', 'high')), row['impact_unit'])}"
            + ("" if row["ratio"] is None else f", publié / estimé × {format_number(row['ratio'])}") + ")"
            for row in mine)
        notes.append(f"Le fournisseur publie, par message ({mine[0]['label']}, {mine[0]['year']}) : {figures}. "
                     "Périmètres différents : python -m footprint products disclosures ; base retenue dans "
                     "l'inventaire : python -m footprint products basis.")
    return notes


def input_tokens_warning(args: argparse.Namespace, input_tokens: float | None) -> list[str]:
    """The warning that input tokens were given but not counted (without ``--with-input-tokens``)."""
    if input_tokens and not getattr(args, "with_input_tokens", False):
        return ["Tokens d'entrée non comptés (méthode EcoLogits) : ajoutez --with-input-tokens pour les compter."]
    return []


def report(args: argparse.Namespace, summary: dict, used: list[dict], version: str, extra: dict, heading: str,
           warnings: list[str], central_note: str) -> int:
    """Print an estimate: with ``--json`` one object (each impact's low, central and high, the
    version of the factor base, the factors used, then ``extra``), else French lines (what was
    estimated, ``heading``; the electricity and the PUE; one line per impact; the ``warnings``;
    the version of the base; ``central_note``, what the central value is)."""
    if args.json:
        payload = {key: summary[key] for key in IMPACT_KEYS}
        payload |= {"factor_base_version": version, "factors": used, **extra}
        print(json.dumps(payload, ensure_ascii=False, indent=2, allow_nan=False))
        return 0
    from footprint.io.formatting import format_range

    lines = [f"Estimation : {heading}", *_factor_lines(used)]
    width = max(len(label) for _, label, _ in IMPACT_LABELS)
    for key, label, unit in IMPACT_LABELS:
        values = summary[key]
        lines.append(f"  {label.ljust(width)}  {format_range(values['low'], values['central'], values['high'], unit)}")
    lines += [f"  ! {warning}" for warning in warnings]
    lines.append(f"Base de facteurs : version {version} ({len(used)} facteurs utilisés ; --json pour le détail)")
    lines.append(central_note)
    print("\n".join(lines))
    return 0


