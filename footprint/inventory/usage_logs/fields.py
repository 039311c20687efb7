"""The columns of a usage log read as the fields of an import, per gateway format, in SQL.

Owns: the presets (which column of a LiteLLM, Albert / OpenGateLLM, OpenAI or generic log gives
the time, the provider, the model, the tokens, the requests, the service, the user, the kind of
call and the gateway's own estimate), what each preset's file is and where it is downloaded (in
French, for the command's help and the dashboard), the hosting a preset implies, and the SQL
expressions that read them as French office software writes them: numbers parsed as
``cells.parse_number`` parses them (``12,5`` and ``1 234`` in a ``;`` file, ``1,000`` refused as
ambiguous where the convention does not settle it), text trimmed, slashed dates read day first
(``JJ/MM/AAAA``). What each of millions of rows gives is read cheaply (``row_select``: times,
numbers, the names' raw text); names and kinds are read once per group of rows that write them
alike (``derived_select``). A user's name or key is only ever read as a lookup key (lower case,
trimmed): never a field of the result.

Must not: open the file (``files``, ``pages``), decide what a row is (``kinds``) or which values
are wrong (``checks``).
"""

from __future__ import annotations

from core.errors import InputError
from footprint.inventory.usage_logs.files import Log
from footprint.inventory.usage_logs.kinds import CLASSIFIED_PRESETS, kind_sql, names_sql, task_sql, units_sql

# Column of the file for each field ("name?": optional; "=value": a constant; None: no such
# field). ``service`` is the file's own service (a team, a project), the last resort after a
# user -> service mapping and ``--service``; ``user`` / ``end_user`` are only lookup keys of that
# mapping; ``operation`` says what kind of call a row is (``kinds``).
PRESETS: dict[str, dict[str, str | None]] = {
    "generic": {"timestamp": "timestamp", "provider": "provider", "model": "model", "input_tokens": "input_tokens",
                "output_tokens": "output_tokens", "requests": "requests?", "service": "service?", "user": "user?",
                "reasoning_tokens": "reasoning_tokens?"},
    "openai": {"timestamp": "start_time", "provider": "=openai", "model": "model", "input_tokens": "input_tokens",
               "output_tokens": "output_tokens", "requests": "num_model_requests?", "service": "project_id?",
               "user": "user_id?"},
    "openai-usage-api": {"timestamp": "start_time", "provider": "=openai", "model": "model?",
                         "input_tokens": "input_tokens?", "output_tokens": "output_tokens?",
                         "requests": "num_model_requests", "service": "project_id?", "user": "user_id?",
                         "operation": "object?", "audio_seconds": "seconds?", "images": "images?"},
    "litellm": {"timestamp": "startTime", "provider": "custom_llm_provider?", "model": "model",
                "model_group": "model_group?", "input_tokens": "prompt_tokens", "output_tokens": "completion_tokens",
                "requests": None, "service": "team_id?", "user": "user?", "end_user": "end_user?",
                "operation": "call_type", "outcome": "status?", "cache_hit": "cache_hit?"},
    "albert": {"timestamp": "datetime", "provider": "=self_hosted", "model": "model", "input_tokens": "prompt_tokens",
               "output_tokens": "completion_tokens", "requests": None, "service": None, "user": "user_id?",
               "operation": "endpoint?", "status": "status?", "request_model": "request_model?",
               "gateway_kwh_min": "kwh_min?", "gateway_kwh_max": "kwh_max?",
               "gateway_kgco2e_min": "kgco2eq_min?", "gateway_kgco2e_max": "kgco2eq_max?"},
}
# What each preset's file is and where it is downloaded, for the command's help and the dashboard.
PRESET_HELP: dict[str, str] = {
    "generic": "Journal générique : un fichier CSV, Parquet ou JSONL avec une ligne par requête ou par jour et les "
               "colonnes timestamp, provider, model, input_tokens, output_tokens (et, si vous les avez, requests, "
               "service, user, reasoning_tokens : tokens de raisonnement, déjà comptés dans output_tokens).",
    "openai": "Export OpenAI à plat : un CSV aux colonnes de l'API d'usage (start_time, model, input_tokens, "
              "output_tokens, num_model_requests, project_id, user_id), tel que l'écrit un script qui met à plat "
              "les réponses de l'API d'usage d'OpenAI.",
    "openai-usage-api": "API d'usage d'OpenAI : les réponses de GET https://api.openai.com/v1/organization/usage/"
                        "completions (clé d'administration de l'organisation, paramètres bucket_width=1d et "
                        "group_by=model, et group_by=project_id ou user_id pour les services), enregistrées telles "
                        "quelles dans un fichier .json : une page, un tableau de pages ou les pages à la suite "
                        "(les pages des points d'accès embeddings, audio_transcriptions et images sont lues aussi) ; "
                        "les tokens de raisonnement sont déjà comptés dans output_tokens.",
    "litellm": "Journal des dépenses de LiteLLM : la table LiteLLM_SpendLogs de la base PostgreSQL du proxy LiteLLM, "
               "exportée en CSV (\\copy (SELECT * FROM \"LiteLLM_SpendLogs\") TO 'spend_logs.csv' CSV HEADER dans "
               "psql) ou en Parquet ; les appels en échec, servis par le cache ou sans modèle sont comptés à part, "
               "et les tokens de raisonnement sont déjà dans completion_tokens.",
    "albert": "Journal d'Albert API / OpenGateLLM : la table usage de la base PostgreSQL de la passerelle, exportée en "
              "CSV (\\copy usage TO 'usage.csv' CSV HEADER dans psql) ou en Parquet ; les requêtes échouées sont "
              "comptées à part, les embeddings, transcriptions et OCR calculés comme des tâches à l'unité, et "
              "l'estimation de la passerelle (kwh_min…kgco2eq_max) est gardée à côté de la nôtre.",
}
PRESET_HOSTING = {"albert": "albert_api"}
GATEWAY_FIELDS = ("gateway_kwh_min", "gateway_kwh_max", "gateway_kgco2e_min", "gateway_kgco2e_max")
TEXT_FIELDS = ("provider", "model", "service")
# Fields read as numbers (checked by ``checks``), and the fields that are only users' lookup keys.
NUMBER_FIELDS = ("input_tokens", "output_tokens", "requests", "reasoning_tokens", "audio_seconds", "images",
                 *GATEWAY_FIELDS)
USER_FIELDS = ("user", "end_user")
# A French number in SQL, read as ``cells.parse_number`` reads it: blanks and apostrophes
# dropped; "1,000" refused as ambiguous unless the file writes decimals with a comma (then only
# "1.000" is); the last of "," and "." is the decimal separator when both appear.
_CLEAN_SQL = "replace(replace(replace(replace({x}, ' ', ''), chr(160), ''), chr(8239), ''), chr(39), '')"
_AMBIGUOUS_SQL = {True: "regexp_full_match({t}, '[+-]?[1-9][0-9]{{0,2}}[.][0-9]{{3}}')",
                  False: "regexp_full_match({t}, '[+-]?[1-9][0-9]{{0,2}}[.,][0-9]{{3}}')"}
_NUMBER_SQL = ("CASE WHEN {ambiguous} THEN NULL "
               "WHEN contains({t}, ',') AND contains({t}, '.') THEN TRY_CAST(CASE "
               "WHEN strpos(reverse({t}), ',') < strpos(reverse({t}), '.') "
               "THEN replace(replace({t}, '.', ''), ',', '.') ELSE replace({t}, ',', '') END AS DOUBLE) "
               "ELSE TRY_CAST(replace({t}, ',', '.') AS DOUBLE) END")
# Slashed dates are French (day first), as French Excel writes them: one rule, never a guess per row.
_FRENCH_DATES = "['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y']"


def _is_numeric(kind: str) -> bool:
    return any(t in kind.upper() for t in ("INT", "DOUBLE", "FLOAT", "DECIMAL", "REAL"))


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def row_select(preset: str, columns: dict[str, str], log: Log, keys: bool = False) -> tuple[str, list[str]]:
    """The SQL of what each row of the log gives, cheaply (this runs over millions of rows): the
    time, the numbers (each with its text and whether it is ambiguous), the HTTP status, and the
    file's text of every name (``_raw_provider``, ``_raw_model``, ``_raw_operation``…; the users'
    only with ``keys``), which the rows are grouped by before ``derived_select`` reads them.
    Returns the SQL and those names."""
    lowered = {name.strip().lower(): name for name in columns}
    parts, raw, missing, numbers = [], [], [], set()
    for field, source in PRESETS[preset].items():
        if source is None or source.startswith("="):
            continue
        name = lowered.get(source.rstrip("?").lower())
        if name is None:
            if not source.endswith("?"):
                missing.append(source)
            continue
        quoted = '"' + name.replace('"', '""') + '"'
        text = f"nullif(trim(CAST({quoted} AS VARCHAR)), '')"
        kind = columns[name].upper()
        if field == "timestamp":
            if _is_numeric(kind):
                moment = f"to_timestamp(TRY_CAST({quoted} AS DOUBLE))"
            elif "TIMESTAMP" in kind or "DATE" in kind:
                moment = f"CAST({quoted} AS TIMESTAMP)"
            else:
                moment = (f"CASE WHEN regexp_full_match({text}, '[0-9]+([.][0-9]+)?') "
                          f"THEN to_timestamp(TRY_CAST({text} AS DOUBLE)) "
                          f"WHEN contains({text}, '/') THEN try_strptime({text}, {_FRENCH_DATES}) "
                          f"ELSE CAST(TRY_CAST({text} AS TIMESTAMPTZ) AS TIMESTAMP) END")
            parts += [f"{moment} AS timestamp", f"{text} AS timestamp_text"]
        elif field in NUMBER_FIELDS:
            parts += _number_parts(field, quoted, text, kind, log)
            numbers.add(field)
        elif field in USER_FIELDS and not keys:
            continue
        else:
            if field == "status":
                parts += [f"{text} AS status_text", f"TRY_CAST({text} AS DOUBLE) AS status"]
            parts.append(f"CAST({quoted} AS VARCHAR) AS _raw_{field}")
            raw.append(f"_raw_{field}")
    if missing:
        raise InputError.single(
            f"colonne(s) manquante(s) pour le format « {preset} » : {', '.join(missing)} (colonnes du fichier : "
            f"{', '.join(c.strip() for c in columns)})", file=log.name)
    parts += [f"CAST(NULL AS DOUBLE) AS {field}" for field in NUMBER_FIELDS if field not in numbers]
    if log.reader == "read_csv":  # every column, read or not: a swallowed row may hide in any
        breaks = " OR ".join(f"regexp_matches(\"{c.replace(chr(34), chr(34) * 2)}\", '[\\r\\n]')" for c in columns)
        parts.append(f"coalesce({breaks}, false) AS _line_break")
    if log.reader == "read_pages":
        parts += ["_position", "_seq"]
    return ", ".join(parts), raw


def derived_select(preset: str, raw: list[str], service: str | None, keys: bool = False) -> str:
    """The SQL of the names and the kind a row (or a group of rows with the same ``raw`` texts)
    gives: its provider, model, service (``service`` when given and ``keys`` is false: the whole
    log's), ``kind``; with ``keys``, the users' lookup keys ``_user_key`` and ``_end_user_key``
    (lower case, trimmed)."""
    if service is not None and not service.strip():
        raise InputError.single("service vide : indiquez le nom du service, ou n'indiquez pas --service",
                                column="--service", value=service)
    text = {}
    for field, source in PRESETS[preset].items():
        if source is not None and source.startswith("="):
            text[field] = _literal(source[1:])
        elif f"_raw_{field}" in raw:
            text[field] = f"nullif(trim(_raw_{field}), '')"
        else:
            text[field] = "NULL"
    provider, model = names_sql(preset, text)
    given = _literal(service.strip()) if service is not None and not keys else text["service"]
    parts = [f"{provider} AS provider", f"{model} AS model", f"{given} AS service", f"{kind_sql(preset, text)} AS kind"]
    if keys:
        parts += [f"lower({text.get(field, 'NULL')}) AS _{field}_key" for field in USER_FIELDS]
    return ", ".join(parts)


def _number_parts(field: str, quoted: str, text: str, kind: str, log: Log) -> list[str]:
    """A number's value, its text as written and whether its writing is ambiguous."""
    if _is_numeric(kind):
        return [f"CAST({quoted} AS DOUBLE) AS {field}", f"CAST({quoted} AS VARCHAR) AS {field}_text",
                f"false AS {field}_ambiguous"]
    clean = _CLEAN_SQL.format(x=text)
    ambiguous = _AMBIGUOUS_SQL[log.decimal_comma].format(t=clean)
    return [f"{_NUMBER_SQL.format(t=clean, ambiguous=ambiguous)} AS {field}", f"{text} AS {field}_text",
            f"coalesce({ambiguous}, false) AS {field}_ambiguous"]


def file_column_names(preset: str, columns: dict[str, str]) -> dict[str, str]:
    """Field -> the file's column that gives it (``input_tokens`` -> ``prompt_tokens`` in a LiteLLM
    log), for problems named as the file names its columns."""
    lowered = {name.strip().lower(): name.strip() for name in columns}
    names = {}
    for field, source in PRESETS[preset].items():
        if source and not source.startswith("=") and source.rstrip("?").lower() in lowered:
            names[field] = lowered[source.rstrip("?").lower()]
    return names


def usage_sql(preset: str, raw: list[str], service: str | None, keys: bool = False) -> str:
    """The SELECT, over ``_rows`` (``row_select``), of one row per row of the log with its names,
    its kind and, for the rows computed as tasks, its task and units (``kinds``): what the checks
    look for a bad row in."""
    task = "CAST(NULL AS VARCHAR)" if preset not in CLASSIFIED_PRESETS else task_sql()
    units = "CAST(NULL AS DOUBLE)" if preset not in CLASSIFIED_PRESETS else units_sql()
    return (f"SELECT *, {task} AS task, {units} AS units "
            f"FROM (SELECT *, {derived_select(preset, raw, service, keys)} FROM _rows)")
