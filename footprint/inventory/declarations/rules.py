"""The rules of a declaration: its values typed, what each kind requires, and its names spelt as
the factor base spells them.

Owns: parsing one record of text cells (numbers the French way, oui/non, kinds and AI Act
levels in their spellings, text without control characters), the table of typed declarations
(store columns and types), the identifiers' rules, the declarations' own rules (year, service,
plausible numbers, what each kind requires), the check of every name by a dry run of the
engine, and the normalisation of names. Every problem names its column by the French header of
the files (``footprint.vocabulary.for_audience``) and its line. Must not: read or write a file
(``reading``, ``exporting``), write to the store, or compute impacts beyond that dry run.
"""

from __future__ import annotations

import difflib
import re

import numpy as np
import pandas as pd

from core.errors import InputError, Problem
from emission_factors.schema import read_defaults, read_input_bounds
from footprint.engine import compute_impacts
from footprint.factors import FactorBase
from footprint.inventory.declarations.spellings import AI_ACT_LEVELS, KIND_ALIASES, NO, YES, plain_key
from footprint.inventory.declarations.workloads import profile_of, to_workloads, use_case_profiles
from footprint.io.cells import has_control_characters, is_missing, number_problem, parse_number
from footprint.io.formatting import format_number
from footprint.vocabulary import (
    DECLARATION_COLUMNS,
    DECLARATION_DTYPES,
    KINDS,
    KINDS_FR,
    NUMBER_COLUMNS,
    for_audience,
    year_problem,
)

# Plausible ranges of what people type (schema.toml, [inputs]): beyond them, a typo.
BOUNDS = read_input_bounds()
MAX_LISTED = 50
_KIND_CODES = ", ".join(KINDS_FR[kind] for kind in KINDS)




# -- one record ----------------------------------------------------------------------------------


def parse_record(record: dict, file_name: str, line: int, problems: list[Problem], decimal: str | None = None
                 ) -> dict:
    """Typed values of one row; problems are appended with the French column name. ``decimal``:
    the file's decimal separator when its convention is known (see ``cells.parse_number``)."""
    out: dict[str, object] = {}
    found: list[Problem] = []

    def bad(column: str, message: str, value: object) -> None:
        found.append(Problem(message, file=file_name, line=line, column=column, value=value))

    for column, value in record.items():
        if column in NUMBER_COLUMNS or column == "year":
            try:
                number = parse_number(value, decimal)
            except ValueError as error:
                bad(column, number_problem(error), value)
                continue
            out[column] = number
        elif DECLARATION_COLUMNS.get(column) == "BOOLEAN":
            text = plain_key(value) if value not in (None, "") else ""
            if text == "":
                out[column] = None
            elif text in YES or text in NO:
                out[column] = text in YES
            else:
                bad(column, "attendu « oui » ou « non »", value)
        elif column == "ai_act_risk":
            text = plain_key(value) if value not in (None, "") else ""
            if text and text not in AI_ACT_LEVELS:
                bad(column, f"niveau inconnu (attendus : {', '.join(sorted(set(AI_ACT_LEVELS.values())))})", value)
            out[column] = AI_ACT_LEVELS.get(text) if text else None
        elif column == "kind":
            text = plain_key(value) if value not in (None, "") else ""
            if not text:  # no type: a product says its own, else the rules say it is missing
                out[column] = None
                continue
            if text not in KIND_ALIASES:
                bad(column, f"type inconnu (attendus : {_KIND_CODES})", value)
            out[column] = KIND_ALIASES.get(text)
        else:
            text = None if value is None else str(value).strip()
            if isinstance(value, float) and value.is_integer():
                text = str(int(value))
            if text and has_control_characters(text):
                bad(column, "caractère de contrôle invisible (collé depuis un autre logiciel ?) : retirez-le", text)
                continue
            out[column] = text or None
    problems += for_audience(found, "file")
    return out


def records_frame(records: list[dict]) -> pd.DataFrame:
    """Parsed records (``parse_record``) as a table of every store column, with the store's types."""
    frame = pd.DataFrame.from_records(records).reindex(columns=list(DECLARATION_COLUMNS))
    for column, sql_type in DECLARATION_COLUMNS.items():
        if sql_type == "INTEGER":
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
        frame[column] = frame[column].astype(DECLARATION_DTYPES[column]) if sql_type != "INTEGER" else frame[column]
    return frame


_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")
_NUMBERED_ID = re.compile(r"(?i)ia-([0-9]+)")


def check_ids(frame: pd.DataFrame, file_name: str, lines: list[int]) -> list[Problem]:
    """Ids written the store's way (``ia-00002`` is ``IA-00002``, not a new declaration beside it),
    made of letters, digits, ``-``, ``_`` and ``.`` only, and each once."""
    problems = []
    numbered = frame["id"].astype("string").str.fullmatch(_NUMBERED_ID.pattern, case=False).fillna(False)
    frame.loc[numbered, "id"] = frame.loc[numbered, "id"].str.upper()
    ids = frame["id"].astype("string")
    first: dict[str, int] = {}
    for position, value in enumerate(ids):
        if pd.isna(value):
            continue
        if not _ID.fullmatch(value):
            problems.append(Problem("identifiant invalide : lettres, chiffres, « - », « _ » et « . » seulement "
                                    "(80 caractères au plus), ou vide pour une nouvelle déclaration", file=file_name,
                                    line=lines[position], column="id", value=value))
            continue
        if value in first:
            problems.append(Problem(f"identifiant en double (déjà utilisé ligne {first[value]})", file=file_name,
                                    line=lines[position], column="id", value=value))
        else:
            first[value] = lines[position]
    return problems


# -- the checks ----------------------------------------------------------------------------------


def check(frame: pd.DataFrame, factors: FactorBase, file_name: str | None = None,
          lines: list[int] | None = None) -> None:
    """Check declarations (store columns): required values by type, volumes, plausible numbers,
    then every name against the factor base (by a dry run of the engine). Raises ``InputError``
    listing every problem, each with its line (``lines[i]`` for row i; i + 1 otherwise) and its
    French column."""
    problems = rule_problems(frame, factors, file_name, lines)
    if problems:
        raise InputError(problems[:MAX_LISTED])
    check_names(frame, factors, file_name, lines)


def check_names(frame: pd.DataFrame, factors: FactorBase, file_name: str | None, lines: list[int] | None) -> None:
    """Models, zones, GPUs, tasks and hostings checked by a dry run of the engine; its problems
    (row number, engine column) said as a declaration's (file line, French column)."""
    try:
        compute_impacts(to_workloads(frame, factors), factors)
    except InputError as error:
        lines = lines or list(range(1, len(frame) + 1))
        located = [Problem(p.message, file=file_name, line=lines[p.line - 1] if p.line else None,
                           column=p.column or "", value=p.value) for p in error.problems]
        raise InputError(for_audience(located, "file")) from None


def rule_problems(frame: pd.DataFrame, factors: FactorBase, file_name: str | None = None,
                  lines: list[int] | None = None) -> list[Problem]:
    """Problems of the declarations' own rules: year, service, plausible numbers, and what each
    type requires (names are checked against the factor base by ``check``)."""
    frame = frame.reindex(columns=list(DECLARATION_COLUMNS))
    lines = lines or list(range(1, len(frame) + 1))
    problems: list[Problem] = []

    def bad(position: int, column: str, message: str, value: object = None) -> None:
        problems.append(Problem(message, file=file_name, line=lines[position], column=column, value=value))

    profiles = use_case_profiles(factors)
    for position, row in enumerate(frame.itertuples(index=False)):
        values = row._asdict()
        year = values["year"]
        if pd.isna(year):
            bad(position, "year", "année obligatoire")
        elif (reason := year_problem(year)) is not None:
            bad(position, "year", reason, year)
        if pd.isna(values["service"]):
            bad(position, "service", "service obligatoire (direction ou service qui utilise l'IA)")
        for column in NUMBER_COLUMNS:
            number, bound = values[column], BOUNDS.get(column)
            if pd.isna(number) or bound is None:
                continue
            if number < 0:
                bad(position, column, "valeur négative", number)
            elif number > bound.maximum:
                bad(position, column, f"valeur invraisemblable (au-delà de {format_number(bound.maximum)})", number)
        high = values["volume_high"]
        if not pd.isna(high):
            low = next((values[c] for c in ("messages", "requests", "units") if not pd.isna(values[c])), None)
            if low is None:
                bad(position, "volume_high", "haut de la fourchette sans son bas : donnez aussi les messages, les "
                                             "requêtes ou les unités par an (le bas)", high)
            elif high < low:
                bad(position, "volume_high", f"inférieur au bas de la fourchette ({format_number(low)})", high)
        kind = values["kind"]
        if (kind is None or pd.isna(kind)) and isinstance(values.get("product"), str):
            # A product of the catalogue says its own type (generative AI, or a task by the unit).
            found = factors.product_id(values["product"])
            kind = factors.product(found).kind if found else "llm"
        if kind is None or pd.isna(kind):
            bad(position, "kind", f"type obligatoire ({_KIND_CODES}), ou un outil du catalogue")
            continue
        for message, column in _kind_problems(kind, values, profiles, factors):
            value = values.get(column)
            bad(position, column, message, ("oui" if value else "non") if isinstance(value, bool | np.bool_) else value)
        if len(problems) >= MAX_LISTED:
            break
    return for_audience(problems, "file")


def _kind_problems(kind: str, values: dict, profiles: pd.DataFrame, factors: FactorBase) -> list[tuple[str, str]]:
    given = {c for c, v in values.items() if v is not None and not (isinstance(v, float) and np.isnan(v))
             and v is not pd.NA}
    problems = []
    shown = KINDS_FR.get(kind, kind)
    if "product" in given:
        problem = _product_problem(kind, values["product"], factors)
        if problem:
            return [(problem, "product")]
        year = None if pd.isna(values.get("year")) else int(values["year"])
        problems += _beside_product(factors.product(factors.product_id(values["product"]), year), given, values,
                                    factors)
    if "reasoning" in given and bool(values["reasoning"]):
        found = factors.product_id(str(values["product"])) if "product" in given else None
        if found is None:
            problems.append(("le mode raisonnement se déclare pour un outil du catalogue (qui donne ses tokens de "
                             "raisonnement) : indiquez l'outil, ou comptez les tokens de sortie", "reasoning"))
        elif "reasoning_tokens_per_output_token_min" not in factors.product(found).parameters:
            problems.append((f"« {factors.product(found).label} » n'a pas de mode raisonnement dans le catalogue",
                             "reasoning"))
    if kind == "llm" and "product" in given:
        problems += _volume_problems(given, values, product=True)
    elif kind == "task" and "product" in given:
        ways = [w for w in ("units", "messages", "users", "agents", "licences") if w in given]
        if not ways:
            problems.append(("volume manquant : unités par an (minutes d'audio, pages, images…), utilisateurs actifs "
                             "ou licences", "units"))
        elif len(ways) > 1:
            problems.append((f"volume donné de plusieurs façons ({', '.join(_WAYS[w] for w in ways)}) : une seule",
                             ways[1]))
    elif kind == "llm":
        for column, label in (("provider", "fournisseur"), ("model", "modèle")):
            if column not in given:
                problems.append((f"{label} obligatoire pour une déclaration « {shown} » (ou indiquez l'outil : "
                                 "Copilot, ChatGPT, Le Chat, Albert…)", column))
        problems += _volume_problems(given, values, product=False)
        has_profile = profile_of(values.get("use_case"), profiles) is not None
        per_request = "output_tokens_per_request" in given or {"output_tokens", "requests"} <= given \
            or {"output_tokens", "messages"} <= given
        if not has_profile and not per_request and "use_case" in given:
            close = difflib.get_close_matches(plain_key(str(values["use_case"])),
                                              [plain_key(u) for u in profiles["use_case"]], n=1, cutoff=0.5)
            known = dict(zip([plain_key(u) for u in profiles["use_case"]], profiles["use_case"]))
            hint = f" ; le plus proche : « {known[close[0]]} »" if close else ""
            problems.append((f"cas d'usage inconnu{hint} (connus : {', '.join(profiles['use_case'])}), ou précisez "
                             "« tokens_sortie_par_requete »", "use_case"))
        elif not has_profile and not per_request:
            problems.append(("tokens de sortie par requête inconnus : précisez « tokens_sortie_par_requete » ou un "
                             f"cas d'usage connu ({', '.join(profiles['use_case'])})", "output_tokens_per_request"))
    elif kind == "gpu":
        for column, label in (("gpu", "modèle de GPU"), ("hours", "nombre d'heures")):
            if column not in given:
                problems.append((f"{label} obligatoire pour une déclaration « {shown} »", column))
    elif kind == "task" and "product" not in given:
        for column, label in (("task", "tâche"), ("units", "nombre d'unités")):
            if column not in given:
                problems.append((f"{label} obligatoire pour une déclaration « {shown} »", column))
    elif kind == "measured" and "energy_kwh" not in given:
        problems.append((f"énergie mesurée (kWh) obligatoire pour une déclaration « {shown} »", "energy_kwh"))
    if kind != "llm" and not ({"zone", "hosting", "product"} & given):
        problems.append((f"précisez l'hébergement ou la zone électrique (par exemple {read_defaults().zone})", "zone"))
    return problems


def _product_problem(kind: str, text: str, factors: FactorBase) -> str | None:
    """Why ``text`` is not a product a declaration of ``kind`` can name, or None."""
    product_id = factors.product_id(str(text))
    if product_id is None:
        close = factors.suggest_products(str(text))
        return "outil inconnu du catalogue" + (f" ; outils proches : {', '.join(close)}" if close else
                                               " (python -m footprint products list donne la liste)")
    product = factors.product(product_id)
    if product.kind != kind:
        shown = "une IA générative" if product.kind == "llm" else "une tâche à l'unité"
        return f"« {product.label} » est {shown} : type « {KINDS_FR[product.kind]} » (ou laissez le type vide)"
    return None


# What a declaration of a product may not give: what belongs to another kind of use.
_NOT_FOR = {"llm": ("gpu", "gpus", "hours", "utilization", "task", "units", "energy_kwh"),
            "task": ("provider", "model", "input_tokens_per_request", "output_tokens_per_request", "input_tokens",
                     "output_tokens", "requests", "gpu", "gpus", "hours", "utilization", "energy_kwh")}


def _beside_product(product, given: set[str], values: dict, factors: FactorBase) -> list[tuple[str, str]]:
    """What contradicts the product a declaration names: a column of another kind of use, a
    provider other than the product's, a model outside its set."""
    shown = "d'IA générative" if product.kind == "llm" else "de tâche à l'unité"
    problems = [(f"ne s'applique pas à un outil {shown} (« {product.label} ») : videz cette colonne", column)
                for column in _NOT_FOR[product.kind] if column in given]
    if product.kind == "llm" and "provider" in given and factors.provider_id(str(values["provider"])) != \
            product.provider:
        problems.append((f"« {product.label} » est servi par « {product.provider} » : videz le fournisseur ou "
                         "changez d'outil", "provider"))
    if product.kind == "llm" and "model" in given and str(values["model"]).strip() not in product.models:
        problems.append((f"modèle hors de ceux de « {product.label} » (modèles possibles : "
                         f"{', '.join(product.models)}) : videz-le pour couvrir tous ses modèles", "model"))
    return problems


# How the volume of a generative-AI use is given, in French, for the messages that name them.
_WAYS = {"output_tokens": "tokens de sortie par an", "messages": "messages par an", "requests": "requêtes par an",
         "users": "utilisateurs actifs", "agents": "agents", "licences": "licences", "units": "unités par an"}


def _volume_problems(given: set[str], values: dict, product: bool) -> list[tuple[str, str]]:
    """What is wrong with the volume of an ``llm`` declaration: none given, two of one kind
    (messages and requests, users and agents), or several ways at once. Counted tokens may come
    with the requests or messages that carried them (tokens per request follow from them)."""
    counts = [w for w in ("messages", "requests") if w in given]
    people = [w for w in ("users", "agents") if w in given]
    licences = ["licences"] if "licences" in given else []
    tokens = ["output_tokens"] if "output_tokens" in given else []
    if not (counts or people or licences or tokens):
        listed = ("messages par an, utilisateurs actifs, licences ou tokens de sortie par an" if product else
                  "agents (ou utilisateurs) × requêtes par agent et par jour, requêtes (ou messages) par an, ou "
                  "tokens de sortie par an")
        return [(f"volume manquant : {listed}", "messages" if product else "requests")]
    for pair in (counts, people):
        if len(pair) == 2:
            return [(f"{_WAYS[pair[0]]} et {_WAYS[pair[1]]} : l'un ou l'autre, pas les deux", pair[1])]
    ways = [way for way in (counts, people, licences) if way]
    if len(ways) > 1 or (tokens and (people or licences)):
        named = ", ".join(_WAYS[w] for w in (*counts, *people, *licences, *tokens))
        return [(f"volume donné de plusieurs façons ({named}) : une seule", (people or licences)[0])]
    if not product and licences:
        return [("des licences se comptent pour un outil du catalogue (qui donne la part des licences réellement "
                 "utilisées) : indiquez l'outil, ou comptez les utilisateurs actifs", "licences")]
    if not product and people and "requests_per_agent_per_day" not in given:
        return [("précisez aussi le nombre de requêtes par agent et par jour", "requests_per_agent_per_day")]
    if counts and tokens and "output_tokens_per_request" in given:
        implied = values["output_tokens"] / values[counts[0]] if values[counts[0]] else None
        if implied is None or abs(implied - values["output_tokens_per_request"]) > 0.01 * implied:
            return [(f"tokens de sortie par an, {_WAYS[counts[0]]} et tokens par requête incohérents : donnez-en "
                     "deux sur trois", "output_tokens_per_request")]
    return []


# -- names ---------------------------------------------------------------------------------------


def normalise_names(frame: pd.DataFrame, factors: FactorBase) -> pd.DataFrame:
    """Names as the factor base spells them (provider ``Mistral`` -> ``mistralai``, GPU ``a100`` ->
    ``A100-SXM4``, zone ``FR`` -> ``FRA``, product ``Copilot`` -> ``m365_copilot``…), so that the
    inventory groups one model under one name.
    Call after ``check``: every name is known by then. Each distinct name is looked up once."""
    frame = frame.copy()
    hostings = {h.lower(): h for h in factors.hostings()}
    aliases = factors.zone_aliases()

    def mapped(column: str, rule) -> None:
        values = frame[column]
        known = {value: rule(value) for value in values.dropna().unique()}
        frame[column] = values.map(lambda v: known.get(v, v) if isinstance(v, str) else v).astype(values.dtype)

    providers = {p: factors.provider_id(p) for p in frame["provider"].dropna().unique()}
    pairs = frame[["provider", "model"]].dropna().drop_duplicates()
    models = {(p, m): (factors.model_name(providers[p], m) if providers.get(p) else None) or m
              for p, m in pairs.itertuples(index=False)}
    frame["model"] = [models.get((p, m), m) if isinstance(p, str) and isinstance(m, str) else m
                      for p, m in zip(frame["provider"], frame["model"])]
    frame["model"] = frame["model"].astype("string")
    mapped("provider", lambda v: providers.get(v) or v)
    mapped("gpu", lambda v: factors.gpu_id(v) or v)
    mapped("zone", lambda v: aliases.get(v.strip().upper(), v.strip().upper()))
    mapped("hosting", lambda v: hostings.get(v.strip().lower(), v))
    mapped("task", lambda v: v.strip().lower())
    mapped("product", lambda v: factors.product_id(v) or v)
    # A declaration that names a product and no type takes the product's.
    kinds = frame["product"].map(lambda v: factors.product(v).kind if isinstance(v, str) and factors.product_id(v)
                                 else None)
    frame["kind"] = frame["kind"].astype("string").fillna(kinds.astype("string"))
    return frame


def validate_records(rows: list[dict], factors: FactorBase, origin: str | None = None) -> pd.DataFrame:
    """Declarations a person typed (a form, the table editor, ``declarations add``): each row
    (column -> value, store or file names) read and checked exactly as a row of a file, then
    typed and named as the store keeps them. ``InputError`` names the row (its position, from 1)
    and the column; ``origin`` (« formulaire », « tableau ») stands where a file's name would."""
    problems: list[Problem] = []
    records = [parse_record({column: None if is_missing(value) else value for column, value in values.items()},
                            origin, position, problems)
               for position, values in enumerate(rows, start=1)]
    if problems:
        raise InputError(problems)
    frame = records_frame(records)
    check(frame, factors, origin)
    return normalise_names(frame, factors)
