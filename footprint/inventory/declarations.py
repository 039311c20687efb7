"""Declarations of AI workloads: what they contain, how they are checked, and how they become
workloads for the engine.

A declaration says, in the user's own terms, what AI a service uses: "15 agents, about 20
requests a day each, drafting letters with Mistral Large". Owns: the French column names of
imports and exports, reading a CSV/XLSX file of declarations (all or nothing, every bad row
listed with its line, column, value and a French reason), the register fields (owner,
personal data, AI Act risk level, human oversight), and the conversion of volumes
(agents x requests per day x working days; requests per year; tokens per year) into the
engine's workload columns, using the use-case profiles of the factor base.

Must not: write to the store (``store``) or compute impacts itself (``engine``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InputError, Problem
from emission_factors.loader import read_input_bounds
from footprint.engine import compute_impacts
from footprint.factors import FactorBase
from footprint.io.formatting import format_number
from footprint.io.output_files import write_file
from footprint.io.tabular import (
    Table,
    csv_bytes,
    has_control_characters,
    is_missing,
    number_problem,
    parse_number,
    read_table,
    xlsx_bytes,
)
from footprint.vocabulary import CONTENT_COLUMNS, DECLARATION_COLUMNS, KINDS_FR

# Store column -> French column of the files, in the order of the exports.
FRENCH_COLUMNS: dict[str, str] = {
    "id": "id",
    "year": "annee",
    "service": "service",
    "use_case": "cas_usage",
    "kind": "type",
    "provider": "fournisseur",
    "model": "modele",
    "hosting": "hebergement",
    "zone": "zone",
    "agents": "agents",
    "requests_per_agent_per_day": "requetes_par_agent_par_jour",
    "days_per_year": "jours_par_an",
    "requests": "requetes",
    "input_tokens_per_request": "tokens_entree_par_requete",
    "output_tokens_per_request": "tokens_sortie_par_requete",
    "input_tokens": "tokens_entree",
    "output_tokens": "tokens_sortie",
    "gpu": "gpu",
    "gpus": "nb_gpu",
    "hours": "heures",
    "utilization": "taux_utilisation",
    "pue": "pue",
    "wue": "wue",
    "task": "tache",
    "units": "unites",
    "energy_kwh": "kwh_mesures",
    "owner": "responsable",
    "personal_data": "donnees_personnelles",
    "ai_act_risk": "niveau_risque_ia_act",
    "human_oversight": "supervision_humaine",
    "comment": "commentaire",
    "origin": "origine",
    "gateway_kwh_min": "kwh_passerelle_min",
    "gateway_kwh_max": "kwh_passerelle_max",
    "gateway_kgco2e_min": "kgco2e_passerelle_min",
    "gateway_kgco2e_max": "kgco2e_passerelle_max",
}
ENGLISH_COLUMNS = {french: english for english, french in FRENCH_COLUMNS.items()}
HEADER_ALIASES = {"cas_d_usage": "cas_usage", "modele_ia": "modele", "nombre_de_gpu": "nb_gpu",
                  "nombre_gpu": "nb_gpu", "tache_a_l_unite": "tache", "kwh_mesure": "kwh_mesures",
                  "annee_d_inventaire": "annee", "risque_ia_act": "niveau_risque_ia_act"}
REQUIRED_HEADER = ("annee", "service", "type")

KIND_ALIASES = {"llm": "llm", "ia_generative": "llm", "modele_de_langage": "llm", "gpu": "gpu",
                "heures_gpu": "gpu", "tache": "task", "task": "task", "mesure": "measured",
                "measured": "measured", "mesuree": "measured"}
AI_ACT_LEVELS = {"inacceptable": "inacceptable", "eleve": "élevé", "haut": "élevé", "limite": "limité",
                 "minimal": "minimal", "non_evalue": "non évalué"}
YES = {"oui", "o", "yes", "y", "vrai", "true", "1", "x"}
NO = {"non", "n", "no", "faux", "false", "0"}

TEXT_FIELDS = ("id", "service", "use_case", "provider", "model", "hosting", "zone", "gpu", "task", "owner",
               "human_oversight", "comment", "origin")
NUMBER_FIELDS = tuple(c for c, t in DECLARATION_COLUMNS.items() if t == "DOUBLE")
# Plausible ranges of what people type (schema.toml, [inputs]): beyond them, a typo.
BOUNDS = read_input_bounds()
MAX_FILE_BYTES = 20_000_000
MAX_ROWS = 20_000  # an inventory holds a few thousand declarations; a gateway's log goes through usage_logs
MAX_LISTED = 50

# Engine column -> the declaration column a user should fix.
ENGINE_TO_DECLARATION = {"output_tokens_per_request": "output_tokens_per_request", "requests": "requests",
                         "input_tokens_per_request": "input_tokens_per_request", "gpus": "gpus",
                         "energy_kwh": "energy_kwh"}


def plain_key(text: str) -> str:
    """Header or code as a plain key: lower case, no accents, underscores."""
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_")


def _dtype(sql_type: str) -> str:
    return {"VARCHAR": "string", "DOUBLE": "float64", "INTEGER": "Int64", "BOOLEAN": "boolean"}[sql_type]


# -- reading files -------------------------------------------------------------------------------


def read_declarations(source: Path | str | bytes, factors: FactorBase, name: str | None = None) -> pd.DataFrame:
    """Declarations of a CSV or spreadsheet file (a path, or an upload's bytes shown as ``name``),
    checked; ``InputError`` lists every bad row."""
    table = read_table(source, max_bytes=MAX_FILE_BYTES, name=name, max_rows=MAX_ROWS,
                       what="fichier de déclarations (pour le journal d'une passerelle : « usage import »)")
    columns = _map_header(table)
    problems: list[Problem] = []
    records, lines = [], []
    for line, cells in table.rows:
        record: dict[str, object] = {}
        for index, english in columns.items():
            value = cells[index] if index < len(cells) else None
            record[english] = value
        extra = [c for c in cells[len(table.header):] if c not in (None, "")]
        if extra:
            problems.append(Problem(f"{len(extra)} cellule(s) de plus que de colonnes dans l'en-tête (un séparateur "
                                    "en trop ?)", file=table.file_name, line=line, value=extra[0]))
        parsed = parse_record(record, table.file_name, line, problems, decimal=table.decimal)
        records.append(parsed)
        lines.append(line)
        if len(problems) >= MAX_LISTED:
            break
    if not records and not problems:
        raise InputError.single("aucune déclaration : le fichier n'a qu'une ligne d'en-tête", file=table.file_name)
    frame = records_frame(records)
    problems += _check_ids(frame, table.file_name, lines)
    unreadable = {p.line for p in problems}
    readable = [i for i, line in enumerate(lines) if line not in unreadable]
    problems += rule_problems(frame.iloc[readable], factors, table.file_name, [lines[i] for i in readable])
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.line or 0))[:MAX_LISTED])
    _check_names(frame, factors, table.file_name, lines)
    frame = normalise_names(frame, factors)
    frame.attrs["columns"] = ["id", *columns.values()]  # what the file gave, for updates of existing ids
    return frame


def _map_header(table: Table) -> dict[int, str]:
    mapping, unknown, seen = {}, [], {}
    for index, raw in enumerate(table.header):
        key = plain_key(raw)
        key = HEADER_ALIASES.get(key, key)
        if key == "" and str(raw).strip():
            unknown.append(str(raw))  # "€", "備考": a name, but none of ours
            continue
        if key == "":
            filled = next((line for line, cells in table.rows if index < len(cells) and cells[index] not in (None, "")),
                          None)
            if filled is not None:
                raise InputError.single(f"colonne {index + 1} sans nom d'en-tête, mais remplie (sa valeur serait "
                                        "perdue) : nommez-la ou videz-la", file=table.file_name, line=filled)
            continue
        if key not in ENGLISH_COLUMNS:
            unknown.append(str(raw))
            continue
        if key in seen:
            raise InputError.single(f"colonne « {raw} » en double (colonnes {seen[key] + 1} et {index + 1})",
                                    file=table.file_name, line=1)
        seen[key] = index
        mapping[index] = ENGLISH_COLUMNS[key]
    problems = []
    if unknown:
        hint = ""
        if len(table.header) == 1:
            hint = " ; le séparateur de colonnes n'a pas été reconnu (attendu : point-virgule, virgule ou tabulation)"
        problems.append(Problem(f"colonne(s) inconnue(s) : {', '.join(unknown)}{hint}. Colonnes possibles : "
                                f"{', '.join(FRENCH_COLUMNS.values())}", file=table.file_name, line=1))
    missing = [c for c in REQUIRED_HEADER if c not in seen]
    if missing:
        problems.append(Problem(f"colonne(s) obligatoire(s) manquante(s) : {', '.join(missing)}",
                                file=table.file_name, line=1))
    if problems:
        raise InputError(problems)
    return mapping


def parse_record(record: dict, file_name: str, line: int, problems: list[Problem], decimal: str | None = None
                 ) -> dict:
    """Typed values of one row; problems are appended with the French column name. ``decimal``:
    the file's decimal separator when its convention is known (see ``tabular.parse_number``)."""
    out: dict[str, object] = {}

    def bad(column: str, message: str, value: object) -> None:
        problems.append(Problem(message, file=file_name, line=line, column=FRENCH_COLUMNS[column], value=value))

    for column, value in record.items():
        if column in NUMBER_FIELDS or column == "year":
            try:
                number = parse_number(value, decimal)
            except ValueError as error:
                bad(column, number_problem(error), value)
                continue
            out[column] = number
        elif column == "personal_data":
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
            if text not in KIND_ALIASES:
                bad(column, "type inconnu (attendus : llm, gpu, tache, mesure)", value)
            out[column] = KIND_ALIASES.get(text)
        else:
            text = None if value is None else str(value).strip()
            if isinstance(value, float) and value.is_integer():
                text = str(int(value))
            if text and has_control_characters(text):
                bad(column, "caractère de contrôle invisible (collé depuis un autre logiciel ?) : retirez-le", text)
                continue
            out[column] = text or None
    return out


def records_frame(records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records).reindex(columns=list(DECLARATION_COLUMNS))
    for column, sql_type in DECLARATION_COLUMNS.items():
        if sql_type == "INTEGER":
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
        frame[column] = frame[column].astype(_dtype(sql_type)) if sql_type != "INTEGER" else frame[column]
    return frame


_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")
_NUMBERED_ID = re.compile(r"(?i)ia-([0-9]+)")


def _check_ids(frame: pd.DataFrame, file_name: str, lines: list[int]) -> list[Problem]:
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


# -- checking ------------------------------------------------------------------------------------


def check(frame: pd.DataFrame, factors: FactorBase, file_name: str | None = None,
          lines: list[int] | None = None) -> None:
    """Check declarations (store columns): required values by type, volumes, plausible numbers,
    then every name against the factor base (by a dry run of the engine). Raises ``InputError``
    listing every problem, each with its line (``lines[i]`` for row i; i + 1 otherwise) and its
    French column."""
    problems = rule_problems(frame, factors, file_name, lines)
    if problems:
        raise InputError(problems[:MAX_LISTED])
    _check_names(frame, factors, file_name, lines)


def _check_names(frame: pd.DataFrame, factors: FactorBase, file_name: str | None, lines: list[int] | None) -> None:
    """Models, zones, GPUs, tasks and hostings checked by a dry run of the engine."""
    try:
        compute_impacts(to_workloads(frame, factors), factors)
    except InputError as error:
        lines = lines or list(range(1, len(frame) + 1))
        raise InputError([_relocate(p, file_name, lines) for p in error.problems]) from None


def rule_problems(frame: pd.DataFrame, factors: FactorBase, file_name: str | None = None,
                  lines: list[int] | None = None) -> list[Problem]:
    """Problems of the declarations' own rules: year, service, plausible numbers, and what each
    type requires (names are checked against the factor base by ``check``)."""
    frame = frame.reindex(columns=list(DECLARATION_COLUMNS))
    lines = lines or list(range(1, len(frame) + 1))
    problems: list[Problem] = []

    def bad(position: int, column: str, message: str, value: object = None) -> None:
        problems.append(Problem(message, file=file_name, line=lines[position], column=FRENCH_COLUMNS[column],
                                value=value))

    profiles = _profiles(factors)
    for position, row in enumerate(frame.itertuples(index=False)):
        values = row._asdict()
        year = values["year"]
        if pd.isna(year):
            bad(position, "year", "année obligatoire")
        elif not (BOUNDS["year"].minimum <= year <= BOUNDS["year"].maximum) or year != int(year):
            bad(position, "year", f"année invalide (attendu un entier entre {BOUNDS['year'].minimum:g} et "
                                  f"{BOUNDS['year'].maximum:g})", year)
        if pd.isna(values["service"]):
            bad(position, "service", "service obligatoire (direction ou service qui utilise l'IA)")
        for column in NUMBER_FIELDS:
            number, bound = values[column], BOUNDS.get(column)
            if pd.isna(number) or bound is None:
                continue
            if number < 0:
                bad(position, column, "valeur négative", number)
            elif number > bound.maximum:
                bad(position, column, f"valeur invraisemblable (au-delà de {bound.maximum:g})", number)
        kind = values["kind"]
        if kind is None or pd.isna(kind):
            bad(position, "kind", "type obligatoire (llm, gpu, tache, mesure)")
            continue
        for message, column in _kind_problems(kind, values, profiles):
            bad(position, column, message, values.get(column))
        if len(problems) >= MAX_LISTED:
            break
    return problems


def _kind_problems(kind: str, values: dict, profiles: pd.DataFrame) -> list[tuple[str, str]]:
    given = {c for c, v in values.items() if v is not None and not (isinstance(v, float) and np.isnan(v))
             and v is not pd.NA}
    problems = []
    if kind == "llm":
        for column, label in (("provider", "fournisseur"), ("model", "modèle")):
            if column not in given:
                problems.append((f"{label} obligatoire pour une déclaration « llm »", column))
        ways = [{"agents", "requests_per_agent_per_day"} <= given, "requests" in given, "output_tokens" in given]
        if "agents" in given and "requests_per_agent_per_day" not in given:
            problems.append(("précisez aussi le nombre de requêtes par agent et par jour",
                             "requests_per_agent_per_day"))
        elif not any(ways):
            problems.append(("volume manquant : agents × requêtes par agent et par jour, ou requêtes par an, ou "
                             "tokens de sortie par an", "requests"))
        elif ways[0] and (ways[1] or ways[2]):
            problems.append(("volume donné de plusieurs façons : agents × requêtes par jour, ou requêtes par an, ou "
                             "tokens de sortie par an, une seule", "agents"))
        elif ways[1] and ways[2] and "output_tokens_per_request" in given:
            implied = values["output_tokens"] / values["requests"] if values["requests"] else None
            if implied is None or abs(implied - values["output_tokens_per_request"]) > 0.01 * implied:
                problems.append(("tokens de sortie par an, requêtes et tokens par requête incohérents : donnez-en "
                                 "deux sur trois", "output_tokens_per_request"))
        has_profile = _profile_of(values.get("use_case"), profiles) is not None
        per_request = "output_tokens_per_request" in given or {"output_tokens", "requests"} <= given
        if not has_profile and not per_request:
            problems.append(("tokens de sortie par requête inconnus : précisez « tokens_sortie_par_requete » ou un "
                             f"cas d'usage connu ({', '.join(profiles['use_case'])})", "output_tokens_per_request"))
    elif kind == "gpu":
        for column, label in (("gpu", "modèle de GPU"), ("hours", "nombre d'heures")):
            if column not in given:
                problems.append((f"{label} obligatoire pour une déclaration « gpu »", column))
    elif kind == "task":
        for column, label in (("task", "tâche"), ("units", "nombre d'unités")):
            if column not in given:
                problems.append((f"{label} obligatoire pour une déclaration « tache »", column))
    elif kind == "measured" and "energy_kwh" not in given:
        problems.append(("énergie mesurée (kWh) obligatoire pour une déclaration « mesure »", "energy_kwh"))
    if kind != "llm" and not ({"zone", "hosting"} & given):
        problems.append(("précisez l'hébergement ou la zone électrique (par exemple FRA)", "zone"))
    return problems


def _relocate(problem: Problem, file_name: str | None, lines: list[int]) -> Problem:
    """An engine problem (row number, engine column) as a declaration problem (file line, French column)."""
    column = ENGINE_TO_DECLARATION.get(problem.column or "", problem.column or "")
    french = FRENCH_COLUMNS.get(column, column)
    line = lines[problem.line - 1] if problem.line else None
    return Problem(problem.message, file=file_name, line=line, column=french, value=problem.value)


def normalise_names(frame: pd.DataFrame, factors: FactorBase) -> pd.DataFrame:
    """Names as the factor base spells them (provider ``Mistral`` -> ``mistralai``, GPU ``a100`` ->
    ``A100-SXM4``, zone ``FR`` -> ``FRA``…), so that the inventory groups one model under one name.
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
    return frame


# -- volumes -------------------------------------------------------------------------------------


def _profiles(factors: FactorBase) -> pd.DataFrame:
    return factors.con.execute("SELECT use_case, label, input_tokens_per_request, output_tokens_per_request "
                               "FROM use_cases ORDER BY use_case").df()


def _profile_of(use_case: object, profiles: pd.DataFrame):
    if use_case is None or (isinstance(use_case, float) and np.isnan(use_case)) or use_case is pd.NA:
        return None
    key = plain_key(use_case)
    for row in profiles.itertuples(index=False):
        if key in (plain_key(row.use_case), plain_key(row.label)):
            return row
    return None


def to_workloads(frame: pd.DataFrame, factors: FactorBase) -> pd.DataFrame:
    """The engine's workload table for declarations (store columns), row for row.

    LLM volume: agents x requests per agent per day x working days (``jours_par_an``, else the
    factor base's default), else requests per year, else output tokens per year / output tokens
    per request. Tokens per request: as declared, else tokens per year / requests, else the
    use-case profile.
    """
    frame = frame.reindex(columns=list(DECLARATION_COLUMNS))
    profiles = _profiles(factors)
    keys = {**{plain_key(r.use_case): r for r in profiles.itertuples(index=False)},
            **{plain_key(r.label): r for r in profiles.itertuples(index=False)}}
    use_case_keys = frame["use_case"].astype("string").map(lambda v: plain_key(v) if isinstance(v, str) else "")
    profile_out = use_case_keys.map(lambda k: keys[k].output_tokens_per_request if k in keys else np.nan)
    profile_in = use_case_keys.map(lambda k: keys[k].input_tokens_per_request if k in keys else np.nan)
    number = {c: pd.to_numeric(frame[c], errors="coerce").astype("float64") for c in NUMBER_FIELDS}
    days = number["days_per_year"].fillna(factors.constant("working_days_per_year").m_as("day/year"))
    from_agents = number["agents"] * number["requests_per_agent_per_day"] * days
    requests_given = number["requests"].fillna(from_agents)
    output_per_request = (number["output_tokens_per_request"]
                          .fillna(number["output_tokens"] / requests_given)
                          .fillna(profile_out.astype("float64")))
    requests = requests_given.fillna(number["output_tokens"] / output_per_request)
    input_per_request = (number["input_tokens_per_request"]
                         .fillna(number["input_tokens"] / requests)
                         .fillna(profile_in.astype("float64")))
    is_llm = frame["kind"] == "llm"
    workloads = pd.DataFrame({
        "kind": frame["kind"].astype("string"),
        "provider": frame["provider"].astype("string"),
        "model": frame["model"].astype("string"),
        "hosting": frame["hosting"].astype("string"),
        "zone": frame["zone"].astype("string"),
        "year": pd.to_numeric(frame["year"], errors="coerce").astype("float64"),
        "pue": number["pue"],
        "wue": number["wue"],
        "requests": requests.where(is_llm),
        "output_tokens_per_request": output_per_request.where(is_llm),
        "input_tokens_per_request": input_per_request.where(is_llm),
        "gpu": frame["gpu"].astype("string"),
        "gpus": number["gpus"].where(frame["kind"] != "gpu", number["gpus"].fillna(1.0)),
        "hours": number["hours"],
        "utilization": number["utilization"],
        "task": frame["task"].astype("string"),
        "units": number["units"],
        "energy_kwh": number["energy_kwh"],
    }, index=frame.index)
    return workloads


# -- writing files -------------------------------------------------------------------------------


def export_declarations(frame: pd.DataFrame, path: Path | str, file_format: str | None = None,
                        separator: str = ";", decimal: str = ",", force: bool = False) -> Path:
    """Write declarations (store columns) to CSV or XLSX with the French columns; atomic, never
    through a link, an existing file replaced only with ``force`` (``output_files``)."""
    path = Path(path)
    file_format = (file_format or path.suffix.lstrip(".") or "csv").lower()
    header = list(FRENCH_COLUMNS.values())
    rows = []
    for record in frame.reindex(columns=list(FRENCH_COLUMNS)).to_dict("records"):
        row = []
        for column, value in record.items():
            if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
                row.append(None)
            elif column == "kind":
                row.append(KINDS_FR.get(value, value))
            elif column == "year":
                row.append(int(value))
            else:
                row.append(value.item() if hasattr(value, "item") else value)
        rows.append(row)
    if file_format == "xlsx":
        data = xlsx_bytes({"declarations": (header, rows)})
    elif file_format == "csv":
        data = csv_bytes(header, rows, separator=separator, decimal=decimal)
    else:
        raise InputError.single(f"format d'export inconnu « {file_format} » (attendus : csv, xlsx)")
    return write_file(path, data, force=force)


def file_sha256(path: Path | str | bytes) -> str:
    """The SHA-256 of a file (a path, or the bytes of an upload)."""
    if isinstance(path, (bytes, bytearray, memoryview)):
        return hashlib.sha256(path).hexdigest()
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- history -------------------------------------------------------------------------------------


def shown_value(column: str, value: object) -> str:
    """A stored value as people read it in a history: « (vide) », oui/non, French kinds, numbers
    the French way with all their figures."""
    if is_missing(value):
        return "(vide)"
    if isinstance(value, bool | np.bool_):
        return "oui" if value else "non"
    if column == "kind":
        return KINDS_FR.get(value, value)
    if isinstance(value, float):
        return format_number(value, significant=12)
    return str(value)


def history_changes(history: pd.DataFrame, names: dict[str, str]) -> list[dict]:
    """Each version of ``history`` (``Store.history``, oldest first) with ``changes``: what differs
    from the previous version of the same declaration, as « nom : avant → après » (``names``: the
    column names to show, e.g. ``FRENCH_COLUMNS``)."""
    found, previous = [], {}
    for row in history.to_dict("records"):
        before = previous.get(row["id"])
        changes = []
        for column in CONTENT_COLUMNS if before is not None else ():
            old, new = shown_value(column, before[column]), shown_value(column, row[column])
            if old != new:
                changes.append(f"{names[column]} : {old} → {new}")
        found.append(row | {"changes": changes})
        previous[row["id"]] = row
    return found
