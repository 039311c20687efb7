"""The columns of a usage log read as the fields of an import, per gateway format, in SQL.

Owns: the presets (which column of an Albert / OpenGateLLM, OpenAI or generic log gives the
time, the provider, the model, the tokens, the requests, the service and the gateway's own
estimate), the hosting a preset implies, and the SQL expressions that read them as French
office software writes them: numbers parsed as ``cells.parse_number`` parses them (``12,5``
and ``1 234`` in a ``;`` file, ``1,000`` refused as ambiguous where the convention does not
settle it), text trimmed, slashed dates read day first (``JJ/MM/AAAA``).

Must not: open the file (``files``) or decide which values are wrong (``checks``).
"""

from __future__ import annotations

from core.errors import InputError
from footprint.inventory.usage_logs.files import Log

# Column of the file for each field; a (str) constant where the file has no such column.
PRESETS: dict[str, dict[str, str | None]] = {
    "generic": {"timestamp": "timestamp", "provider": "provider", "model": "model", "input_tokens": "input_tokens",
                "output_tokens": "output_tokens", "requests": "requests?", "service": "service?"},
    "openai": {"timestamp": "start_time", "provider": "=openai", "model": "model", "input_tokens": "input_tokens",
               "output_tokens": "output_tokens", "requests": "num_model_requests?", "service": "project_id?"},
    "albert": {"timestamp": "datetime", "provider": "=self_hosted", "model": "model", "input_tokens": "prompt_tokens",
               "output_tokens": "completion_tokens", "requests": None, "service": None,
               "gateway_kwh_min": "kwh_min?", "gateway_kwh_max": "kwh_max?",
               "gateway_kgco2e_min": "kgco2eq_min?", "gateway_kgco2e_max": "kgco2eq_max?"},
}
PRESET_HOSTING = {"albert": "albert_api"}
GATEWAY_FIELDS = ("gateway_kwh_min", "gateway_kwh_max", "gateway_kgco2e_min", "gateway_kgco2e_max")
TEXT_FIELDS = ("provider", "model", "service")
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


def select_list(preset: str, columns: dict[str, str], log: Log, service: str | None) -> str:
    """SQL expressions giving the normalised fields from the file's columns."""
    lowered = {name.strip().lower(): name for name in columns}
    parts, missing = [], []
    for field, source in PRESETS[preset].items():
        if field == "service" and service is not None:
            if not service.strip():
                raise InputError.single("service vide : indiquez le nom du service, ou n'indiquez pas --service",
                                        column="--service", value=service)
            parts.append(f"'{service.strip().replace(chr(39), chr(39) * 2)}' AS service")
            continue
        if source is None:
            parts.append(f"NULL AS {field}")
            continue
        if source.startswith("="):
            parts.append(f"'{source[1:]}' AS {field}")
            continue
        name = lowered.get(source.rstrip("?").lower())
        if name is None:
            if not source.endswith("?"):
                missing.append(source)
            parts.append(f"NULL AS {field}")
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
        elif field in TEXT_FIELDS:
            parts.append(f"{text} AS {field}")
        elif _is_numeric(kind):
            parts += [f"CAST({quoted} AS DOUBLE) AS {field}", f"CAST({quoted} AS VARCHAR) AS {field}_text",
                      f"false AS {field}_ambiguous"]
        else:
            clean = _CLEAN_SQL.format(x=text)
            ambiguous = _AMBIGUOUS_SQL[log.decimal_comma].format(t=clean)
            parts += [f"{_NUMBER_SQL.format(t=clean, ambiguous=ambiguous)} AS {field}", f"{text} AS {field}_text",
                      f"coalesce({ambiguous}, false) AS {field}_ambiguous"]
    parts += [f"CAST(NULL AS DOUBLE) AS {f}" for f in GATEWAY_FIELDS if f not in PRESETS[preset]]
    if log.reader == "read_csv":  # every column, read or not: a swallowed row may hide in any
        breaks = " OR ".join(f"regexp_matches(\"{c.replace(chr(34), chr(34) * 2)}\", '[\\r\\n]')" for c in columns)
        parts.append(f"coalesce({breaks}, false) AS _line_break")
    if missing:
        raise InputError.single(
            f"colonne(s) manquante(s) pour le format « {preset} » : {', '.join(missing)} (colonnes du fichier : "
            f"{', '.join(c.strip() for c in columns)})", file=log.name)
    return ", ".join(parts)
