"""``python -m footprint``: the command line, in French.

Owns: parsing arguments, turning them into a workload row, calling the engine, and printing a
French summary or one JSON object; the exit codes (``EXIT_*`` below: 2 bad input, 3 store
unusable, 4 conflicting edit, 5 damaged store, 6 full disk or write refused), each failure with
its own French message on stderr, never a traceback nor DuckDB's English (``FOOTPRINT_DEBUG=1``
adds the technical detail). Starts fast: no streamlit, plotly or codecarbon import here, and the
heavy modules are imported only once the arguments are known to be valid.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence

from emission_factors.errors import InputError, MeasurementError, Problem
from footprint import inventory_commands

# argparse's own words, in French (it looks them up through gettext at run time).
_ARGPARSE_FR = {
    "usage: ": "utilisation : ",
    "options": "options",
    "positional arguments": "arguments",
    "show this help message and exit": "afficher cette aide et quitter",
}
argparse._ = lambda text: _ARGPARSE_FR.get(text, text)  # type: ignore[attr-defined]

FLAGS = {
    "provider": "--provider", "model": "--model", "output_tokens_per_request": "--output-tokens",
    "input_tokens_per_request": "--input-tokens", "requests": "--requests", "zone": "--zone",
    "hosting": "--hosting", "pue": "--pue", "wue": "--wue", "gpu": "--gpu", "gpus": "--gpus", "hours": "--hours",
    "utilization": "--utilization", "server_overhead_w": "--server-overhead-w", "cpu_cores": "--cpu-cores",
    "cpu_power_w": "--cpu-power-w", "memory_gb": "--memory-gb", "task": "--task", "units": "--units",
    "energy_kwh": "--kwh", "year": "--year", "mix_dataset": "--mix", "request_latency_s": "--latency",
}
DEFAULT_ZONE = "FRA"
IMPACT_LABELS = [
    ("energy_kwh", "Énergie", "kWh"),
    ("gwp_kgco2e", "Émissions de GES", "kgCO2e"),
    ("gwp_usage_kgco2e", "  dont usage (électricité)", "kgCO2e"),
    ("gwp_embodied_kgco2e", "  dont fabrication du matériel", "kgCO2e"),
    ("water_l", "Eau consommée", "L"),
    ("adpe_kgsbeq", "Ressources abiotiques", "kgSbeq"),
    ("pe_mj", "Énergie primaire", "MJ"),
]


class UsageError(Exception):
    """Bad command line, already phrased in French."""


class FrenchParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse calls this for every bad command line
        translations = [
            ("the following arguments are required: ", "arguments obligatoires manquants : "),
            ("unrecognized arguments: ", "arguments non reconnus : "),
            ("invalid choice: ", "choix invalide : "),
            ("expected one argument", "une valeur est attendue"),
            ("not allowed with argument", "incompatible avec l'argument"),
            ("(choose from ", "(choix possibles : "),
            ("argument ", "argument "),
        ]
        for english, french in translations:
            message = message.replace(english, french)
        raise UsageError(message)


def parse_number(text: str | None, flag: str) -> float | None:
    """A number typed by a person: ``1 234,5``, ``1234.5`` and ``1e6`` are all accepted."""
    from footprint.tabular import number_problem
    from footprint.tabular import parse_number as parse

    try:
        return parse(text)
    except ValueError as error:
        raise InputError([Problem(number_problem(error), column=flag, value=text)]) from None


def _add_common(parser: argparse.ArgumentParser, default_zone_note: str = "") -> None:
    where = parser.add_argument_group("hébergement et électricité")
    where.add_argument("--zone",
                       help=f"zone électrique, code ISO 3166 alpha-3 (FRA, DEU, USA, WOR…){default_zone_note}")
    where.add_argument("--hosting", help="profil d'hébergement (salle_serveurs, datacenter_fr, albert_api, openai…)")
    where.add_argument("--pue", help="PUE du centre de données (remplace celui de l'hébergement)")
    where.add_argument("--wue", help="eau consommée sur site, en L/kWh (remplace celle de l'hébergement)")
    where.add_argument("--year", help="année du facteur d'électricité (par défaut la plus récente)")
    where.add_argument("--mix", dest="mix_dataset",
                       help="jeu de facteurs d'électricité préféré : ademe_base_empreinte, ecologits, rte_direct")
    parser.add_argument("--json", action="store_true", help="un objet JSON sur la sortie standard")


def build_parser() -> FrenchParser:
    parser = FrenchParser(prog="python -m footprint",
                          description="Empreinte IA : impacts environnementaux des usages d'IA d'une collectivité.")
    commands = parser.add_subparsers(dest="command", metavar="commande", parser_class=FrenchParser)
    commands.required = True
    estimate = commands.add_parser("estimate", help="estimer les impacts d'une charge d'IA",
                                   description="Estimer les impacts d'une charge d'IA.")
    kinds = estimate.add_subparsers(dest="kind", metavar="type", parser_class=FrenchParser)
    kinds.required = True

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
    _add_common(gpu, f" ; {DEFAULT_ZONE} par défaut")

    task = kinds.add_parser("task", help="tâches à l'unité (images, minutes d'audio, pages…)",
                            description="Tâches à l'unité : images générées, minutes d'audio transcrites, pages lues…")
    task.add_argument("--task", required=True, help="tâche : generation_image, transcription_audio, ocr_modele_vision…")
    task.add_argument("--units", required=True, help="nombre d'unités (images, minutes, pages…)")
    _add_common(task, f" ; {DEFAULT_ZONE} par défaut")

    measured = kinds.add_parser("measured", help="énergie mesurée (CodeCarbon, wattmètre)",
                                description="Énergie mesurée, convertie avec les facteurs de la zone.")
    measured.add_argument("--kwh", required=True, help="énergie mesurée, en kWh")
    _add_common(measured, f" ; {DEFAULT_ZONE} par défaut")
    inventory_commands.add_parsers(commands, FrenchParser)
    # The scenarios room sits above footprint: the CLI, entry point of every room, reaches it here.
    from scenarios import commands as scenario_commands

    scenario_commands.add_parsers(commands, FrenchParser)
    return parser


def _workload(args: argparse.Namespace) -> dict:
    number = {c: parse_number(getattr(args, c, None), FLAGS[c])
              for c in ("pue", "wue", "year")}
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
        row["zone"] = DEFAULT_ZONE
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


def _describe(row: dict) -> str:
    from footprint.formatting import format_number

    where = []
    if row.get("hosting"):
        where.append(f"hébergement {row['hosting']}")
    if row.get("zone"):
        where.append(f"zone {row['zone']}" + (" (par défaut)" if row.get("zone_defaulted") else ""))
    place = ", ".join(where)
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
    from footprint.formatting import format_number

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


def _estimate(args: argparse.Namespace) -> int:
    row = _workload(args)
    import pandas as pd

    from footprint.engine import IMPACT_KEYS, compute_impacts, totals
    from footprint.factor_base import FactorBase
    from footprint.provenance import factors_used

    factors = FactorBase.load()
    frame = pd.DataFrame([{k: v for k, v in row.items() if k != "zone_defaulted"}])
    result = compute_impacts(frame, factors, include_input_tokens=getattr(args, "with_input_tokens", False))
    summary = totals(result)
    if row["year"] is not None:
        row["year"] = int(row["year"])  # a whole number: the engine has checked it
    resolved = _resolve_names(factors, row)
    used = factors_used(factors, resolved, include_input_tokens=getattr(args, "with_input_tokens", False))
    if args.json:
        payload = {key: summary[key] for key in IMPACT_KEYS}
        payload |= {"factor_base_version": factors.version, "factors": used,
                    "warnings": result.attrs["warnings"],
                    "inputs": {k: v for k, v in resolved.items() if v is not None and k != "zone_defaulted"}}
        print(json.dumps(payload, ensure_ascii=False, indent=2, allow_nan=False))
        return 0
    from footprint.formatting import format_range

    lines = [f"Estimation : {_describe(resolved)}", *_factor_lines(used)]
    width = max(len(label) for _, label, _ in IMPACT_LABELS)
    for key, label, unit in IMPACT_LABELS:
        values = summary[key]
        lines.append(f"  {label.ljust(width)}  {format_range(values['low'], values['central'], values['high'], unit)}")
    warnings = list(result.attrs["warnings"])
    if row.get("input_tokens_per_request") and not getattr(args, "with_input_tokens", False):
        warnings.append("Tokens d'entrée non comptés (méthode EcoLogits) : ajoutez --with-input-tokens pour les "
                        "compter.")
    lines += [f"  ! {warning}" for warning in warnings]
    lines.append(f"Base de facteurs : version {factors.version} "
                 f"({len(used)} facteurs utilisés ; --json pour le détail)")
    lines.append("Valeur centrale = milieu de la fourchette basse–haute.")
    print("\n".join(lines))
    return 0


def _message(error: InputError) -> str:
    """What the user reads: one line for a command line; for a file, every problem on its own
    line with its file, line and column, and the reassurance that nothing was written."""
    if any(p.file for p in error.problems):
        if len(error.problems) == 1:
            return f"Erreur : {error.problems[0]}. Rien n'a été enregistré."
        lines = [f"Erreur : {len(error.problems)} problèmes, rien n'a été enregistré :"]
        return "\n".join(lines + [f"- {p}" for p in error.problems])
    parts = []
    for problem in error.problems:
        flag = FLAGS.get(problem.column or "", problem.column or "")
        shown = f" (valeur : « {problem.value} »)" if problem.value is not None and problem.value != "" else ""
        parts.append(f"{flag} : {problem.message}{shown}" if flag else f"{problem.message}{shown}")
    return "Erreur : " + " ; ".join(parts)


# Exit codes (the README lists them): what a script calling the command line can rely on.
EXIT_OK = 0
EXIT_FAILED = 1  # a measurement that could not be made or recorded; an unexpected error (a bug)
EXIT_INPUT = 2  # bad command line or bad file: nothing was written
EXIT_STORE = 3  # the store cannot be used: busy, missing, not an Empreinte IA store, newer schema…
EXIT_CONFLICT = 4  # someone else saved the same declaration between reading and saving: nothing was written
EXIT_DAMAGED = 5  # the store is truncated or altered: refused, never written
EXIT_WRITE = 6  # a file or the store could not be written: full disk, read-only medium, no right to write
EXIT_INTERRUPTED = 130


def _not_utf8(argv: Sequence[str]) -> str | None:
    """The first argument (before a ``--``: what follows belongs to a measured command) that was
    not valid UTF-8 on the command line (Python keeps such bytes as lone surrogates), as shown."""
    for argument in argv:
        if argument == "--":
            return None
        if any("\udc80" <= character <= "\udcff" for character in argument):
            return argument.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return None


def _debug(error: BaseException) -> None:
    """The technical detail of a failure, on stderr only when FOOTPRINT_DEBUG is set."""
    if not os.environ.get("FOOTPRINT_DEBUG"):
        return
    detail = getattr(error, "detail", None) or repr(error.__cause__ or error.__context__ or error)
    print(f"[FOOTPRINT_DEBUG] {type(error).__name__} : {detail}", file=sys.stderr)


def _os_error(error: OSError) -> tuple[str, int]:
    """A file system failure, in French, with its exit code."""
    import errno

    name = f" ({error.filename})" if getattr(error, "filename", None) else ""
    if error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return (f"Erreur : disque plein{name} : l'opération n'a pas abouti. Libérez de la place, puis "
                "recommencez.", EXIT_WRITE)
    if error.errno == errno.EROFS:
        return f"Erreur : support en lecture seule{name} : rien n'a pu y être écrit.", EXIT_WRITE
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"Erreur : droits insuffisants{name} : demandez l'accès ou choisissez un autre fichier.", EXIT_WRITE
    if error.errno == errno.ENOENT:
        return f"Erreur : fichier ou dossier introuvable{name}.", EXIT_INPUT
    return (f"Erreur : le système a refusé l'opération{name} (erreur {errno.errorcode.get(error.errno, error.errno)}"
            ") ; relancez avec FOOTPRINT_DEBUG=1 pour le détail technique.", EXIT_FAILED)


_TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _say(message: str) -> None:
    """A message on stderr, control characters shown as « ? »: a file name that holds escape
    sequences must not drive the terminal that reads it."""
    print(_TERMINAL_CONTROL.sub("?", str(message)), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    from footprint.output_files import OutputWriteError
    from footprint.store import StoreConflict, StoreDamaged, StoreError, StoreWriteError

    argv = list(sys.argv[1:] if argv is None else argv)
    unreadable = _not_utf8(argv)
    if unreadable is not None:
        _say(f"Erreur : l'argument « {unreadable} » n'est pas du texte UTF-8 valide (un nom de fichier écrit dans un "
             "autre encodage ?) : renommez le fichier, ou utilisez un terminal réglé en UTF-8. Rien n'a été fait.")
        return EXIT_INPUT
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command == "estimate":
            return _estimate(args)
        if args.command in ("scenarios", "recommend", "export"):
            from scenarios import commands as scenario_commands

            return scenario_commands.run(args)
        return inventory_commands.run(args)
    except UsageError as error:
        _say(f"Erreur : {error}. Aide : python -m footprint --help")
        return EXIT_INPUT
    except InputError as error:
        try:
            message = _message(error)
        except Exception:  # printing a message must never end in a traceback
            message = "Erreur : " + "; ".join(p.message for p in error.problems)
        _say(message)
        return EXIT_INPUT
    except StoreError as error:
        _say(f"Erreur : {error}")
        _debug(error)
        if isinstance(error, StoreConflict):
            return EXIT_CONFLICT
        if isinstance(error, StoreDamaged):
            return EXIT_DAMAGED
        if isinstance(error, StoreWriteError):
            return EXIT_WRITE
        return EXIT_STORE
    except OutputWriteError as error:
        _say(f"Erreur : {error}")
        _debug(error)
        return EXIT_WRITE
    except BrokenPipeError:  # output piped into head or cut: not an error for the user
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return EXIT_OK
    except MeasurementError as error:
        _say(f"Erreur : {error}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        _say("Interrompu.")
        return EXIT_INTERRUPTED
    except OSError as error:  # the file system said no (full disk while printing, a vanished file…)
        if os.environ.get("FOOTPRINT_DEBUG"):
            raise
        message, code = _os_error(error)
        _say(message)
        return code
    except Exception as error:  # the last resort: a French line, the traceback only on demand
        if os.environ.get("FOOTPRINT_DEBUG"):
            raise
        _say(f"Erreur inattendue ({type(error).__name__}) : {error}. "
             "Relancez avec FOOTPRINT_DEBUG=1 pour le détail technique.")
        return EXIT_FAILED
