"""Usage logs of an API gateway (Albert / OpenGateLLM, OpenAI exports, any CSV, Parquet or
JSONL file with one row per request or per day) turned into ``llm`` declarations.

Owns: the column presets, reading the file with DuckDB directly (the raw log is never copied
into the store), aggregating it by month x service x provider x model, refusing unknown models
(with their request counts and the closest known names) unless they are mapped, and keeping
the gateway's own estimate beside ours. Importing the same file twice adds nothing.

Must not: compute impacts itself (``engine``) or write outside one store transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from emission_factors.errors import InputError, Problem
from footprint.declarations import check, file_sha256, to_workloads
from footprint.engine import ENDS, IMPACT_KEYS, compute_impacts
from footprint.factor_base import FactorBase
from footprint.formatting import format_number
from footprint.store import Store

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
READERS = {".csv": "read_csv", ".tsv": "read_csv", ".txt": "read_csv", ".parquet": "read_parquet",
           ".jsonl": "read_json", ".ndjson": "read_json", ".json": "read_json"}
NO_SERVICE = "(service non précisé)"


@dataclass
class UsageImport:
    """What an import did, for the CLI and the dashboard."""

    file_name: str
    rows: int
    declarations: pd.DataFrame
    counts: dict[str, int]
    ours: dict[str, dict[str, float]]
    gateway: dict[str, float] | None


def _reader_sql(path: Path) -> str:
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise InputError.single("format de journal inconnu : attendu .csv, .parquet ou .jsonl", file=path.name)
    escaped = str(path).replace("'", "''")
    if reader == "read_csv":
        return f"read_csv('{escaped}', header = true, auto_detect = true, sample_size = 20480)"
    if reader == "read_json":
        return f"read_json('{escaped}', format = 'newline_delimited')"
    return f"read_parquet('{escaped}')"


def _columns(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {_reader_sql(path)}").fetchall()
    except duckdb.Error as error:
        first = str(error).splitlines()[0]
        raise InputError.single(f"journal illisible ({first})", file=path.name) from None
    return {name: kind for name, kind, *_ in described}


def _select_list(preset: str, columns: dict[str, str], path: Path, service: str | None) -> str:
    """SQL expressions giving the normalised fields from the file's columns."""
    lowered = {name.lower(): name for name in columns}
    parts, missing = [], []
    for field, source in PRESETS[preset].items():
        if field == "service" and service:
            parts.append(f"'{service.replace(chr(39), chr(39) * 2)}' AS service")
            continue
        if source is None:
            parts.append(f"NULL AS {field}")
            continue
        if source.startswith("="):
            parts.append(f"'{source[1:]}' AS {field}")
            continue
        optional = source.endswith("?")
        name = lowered.get(source.rstrip("?").lower())
        if name is None:
            if not optional:
                missing.append(source)
            parts.append(f"NULL AS {field}")
            continue
        quoted = '"' + name.replace('"', '""') + '"'
        if field == "timestamp":
            kind = columns[name].upper()
            numeric = any(t in kind for t in ("INT", "DOUBLE", "FLOAT", "DECIMAL"))
            parts.append(f"to_timestamp(TRY_CAST({quoted} AS DOUBLE)) AS timestamp" if numeric
                         else f"TRY_CAST({quoted} AS TIMESTAMP) AS timestamp")
            parts.append(f"CAST({quoted} AS VARCHAR) AS timestamp_text")
        elif field in ("provider", "model", "service"):
            parts.append(f"trim(CAST({quoted} AS VARCHAR)) AS {field}")
        else:
            parts.append(f"TRY_CAST({quoted} AS DOUBLE) AS {field}")
            parts.append(f"CAST({quoted} AS VARCHAR) AS {field}_text")
    parts += [f"CAST(NULL AS DOUBLE) AS {f}" for f in GATEWAY_FIELDS if f not in PRESETS[preset]]
    if missing:
        raise InputError.single(
            f"colonne(s) manquante(s) pour le format « {preset} » : {', '.join(missing)} (colonnes du fichier : "
            f"{', '.join(columns)})", file=path.name)
    return ", ".join(parts)


def _checks(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """The checks of a log's values (unreadable timestamps, negative or non-numeric volumes…) that
    its columns allow: (column, French label, SQL condition of a bad row, column of an example)."""
    checks = [("timestamp", "horodatage illisible", "timestamp IS NULL", "timestamp_text"),
              ("output_tokens", "tokens de sortie manquants, non numériques ou négatifs",
               "output_tokens IS NULL OR output_tokens < 0 OR isinf(output_tokens) OR isnan(output_tokens)",
               "output_tokens_text"),
              ("input_tokens", "tokens d'entrée non numériques ou négatifs",
               "input_tokens_text IS NOT NULL AND (input_tokens IS NULL OR input_tokens < 0 OR isinf(input_tokens)"
               " OR isnan(input_tokens))", "input_tokens_text"),
              ("requests", "nombre de requêtes non numérique ou négatif",
               "requests_text IS NOT NULL AND (requests IS NULL OR requests < 0 OR isinf(requests) OR isnan(requests))",
               "requests_text"),
              ("requests", "nombre de requêtes nul alors que des tokens sont générés",
               "requests = 0 AND output_tokens > 0", "requests_text"),
              ("output_tokens", "tokens de sortie invraisemblables (plus de 10 millions par requête)",
               "output_tokens > 1e7 * coalesce(nullif(requests, 0), 1)", "output_tokens_text"),
              ("input_tokens", "tokens d'entrée invraisemblables (plus de 100 millions par requête)",
               "input_tokens > 1e8 * coalesce(requests, 1)", "input_tokens_text"),
              ("model", "modèle manquant", "model IS NULL OR model = ''", "model")]
    available = {row[0] for row in con.execute("DESCRIBE _usage").fetchall()}
    return [(c, label, condition, example) for c, label, condition, example in checks if example in available]


def _check_sql(clauses: list[tuple]) -> str:
    """Aggregates counting each check's failures, with an example, computed in the same scan as
    the monthly totals (one pass over a 10-million-row log, not two)."""
    return "".join(f", count(*) FILTER (WHERE {condition}) AS _bad_{i}, "
                   f"any_value({example}) FILTER (WHERE {condition}) AS _example_{i}"
                   for i, (_, _, condition, example) in enumerate(clauses))


def _check_problems(aggregated: pd.DataFrame, clauses: list[tuple], path: Path) -> list[Problem]:
    problems = []
    for i, (column, label, _, _) in enumerate(clauses):
        count = int(aggregated[f"_bad_{i}"].sum())
        if count:
            example = aggregated[f"_example_{i}"].dropna()
            problems.append(Problem(f"{count} ligne(s) : {label}", file=path.name, column=column,
                                    value=example.iloc[0] if len(example) else None))
    return problems


def _resolve_models(aggregated: pd.DataFrame, factors: FactorBase, mapping: dict[str, str],
                    file_name: str) -> pd.DataFrame:
    """Providers and models as the factor base spells them; unknown ones refused with counts."""
    problems = []
    resolved_provider, resolved_model = {}, {}
    for (provider, model), requests in aggregated.groupby(["provider", "model"], dropna=False)["requests"].sum(
            ).items():
        target = mapping.get(model, mapping.get(f"{provider}/{model}", model))
        # "provider/model" in a mapping names another provider, unless the whole name is a model
        # of this provider (Hugging Face names contain a slash: mistralai/Mistral-Small-…).
        candidates = [(provider, target)]
        if "/" in (target or ""):
            candidates.append(tuple(target.split("/", 1)))
        provider_id = name = None
        for candidate_provider, candidate_model in candidates:
            provider_id = factors.provider_id(candidate_provider or "")
            name = factors.model_name(provider_id, candidate_model) if provider_id else None
            if name is not None:
                break
        if name is None:
            close = factors.suggest_models(factors.provider_id(provider or ""), target or "")
            hint = f" ; noms proches : {', '.join(close)}" if close else ""
            problems.append(Problem(
                f"modèle inconnu « {provider}/{model} » ({format_number(requests)} requêtes){hint} ; associez-le à "
                f"un modèle connu avec --map \"{model}=fournisseur/modèle\"", file=file_name, column="model",
                value=model))
            continue
        resolved_provider[(provider, model)] = provider_id
        resolved_model[(provider, model)] = name
    if problems:
        raise InputError(problems)
    keys = list(zip(aggregated["provider"], aggregated["model"]))
    aggregated = aggregated.copy()
    aggregated["provider"] = [resolved_provider[k] for k in keys]
    aggregated["model"] = [resolved_model[k] for k in keys]
    return aggregated


def parse_mapping(pairs: list[str] | None) -> dict[str, str]:
    mapping = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise InputError.single("--map attend « ancien=nouveau »", column="--map", value=pair)
        old, new = pair.split("=", 1)
        mapping[old.strip()] = new.strip()
    return mapping


def import_usage(path: Path | str, store: Store, factors: FactorBase, preset: str = "generic",
                 service: str | None = None, mapping: dict[str, str] | None = None,
                 hosting: str | None = None) -> UsageImport:
    """Aggregate a usage log into monthly ``llm`` declarations and save them in one transaction."""
    path = Path(path)
    if not path.is_file():
        raise InputError.single("fichier introuvable", file=path.name)
    if path.stat().st_size == 0:
        raise InputError.single("fichier vide", file=path.name)
    if preset not in PRESETS:
        raise InputError.single(f"format inconnu (attendus : {', '.join(PRESETS)})", column="--preset", value=preset)
    con = duckdb.connect()
    try:
        columns = _columns(con, path)
        select = _select_list(preset, columns, path, service)
        try:
            con.execute(f"CREATE TEMP VIEW _usage AS SELECT {select} FROM {_reader_sql(path)}")
            clauses = _checks(con)
            gateway_sums = ", ".join(f"sum({f}) AS {f}" for f in GATEWAY_FIELDS)
            aggregated = con.execute(f"""
                SELECT strftime(timestamp, '%Y-%m') AS month,
                       coalesce(nullif(service, ''), '{NO_SERVICE}') AS service, provider, model, count(*) AS rows,
                       sum(coalesce(requests, 1)) AS requests, sum(coalesce(input_tokens, 0)) AS input_tokens,
                       sum(output_tokens) AS output_tokens, {gateway_sums}{_check_sql(clauses)}
                FROM _usage GROUP BY ALL ORDER BY month, service, provider, model""").df()
        except duckdb.Error as error:
            raise InputError.single(f"journal illisible ({str(error).splitlines()[0]})", file=path.name) from None
    finally:
        con.close()
    problems = _check_problems(aggregated, clauses, path)
    if problems:
        raise InputError(problems)
    aggregated = aggregated.drop(columns=[c for c in aggregated.columns if c.startswith(("_bad_", "_example_"))])
    rows = int(aggregated["rows"].sum())
    if rows == 0:
        raise InputError.single("aucune ligne d'usage : le fichier n'a qu'une ligne d'en-tête", file=path.name)
    aggregated = aggregated[aggregated["requests"] > 0]
    aggregated = _resolve_models(aggregated, factors, mapping or {}, path.name)
    # Two spellings of one model (gpt-4o, GPT-4o, or a --map) become one declaration.
    sums = ["rows", "requests", "input_tokens", "output_tokens", *GATEWAY_FIELDS]
    aggregated = aggregated.groupby(["month", "service", "provider", "model"], as_index=False, sort=True)[sums].sum(
        min_count=1)
    digest = file_sha256(path)
    declarations = _declarations(aggregated, preset, path.name, hosting or PRESET_HOSTING.get(preset))
    try:
        check(declarations, factors, file_name=path.name)
    except InputError as error:
        where = {"hebergement": "--hosting", "annee": "timestamp"}
        raise InputError([Problem(p.message, file=path.name, column=where.get(p.column, p.column), value=p.value)
                          for p in error.problems]) from None
    counts = store.save(declarations, action=f"journal d'usage {path.name}",
                        import_record={"kind": f"usage:{preset}", "file_name": path.name, "file_sha256": digest})
    impacts = compute_impacts(to_workloads(declarations, factors), factors)
    ours = {key: {end: float(impacts[f"{key}_{end}"].sum()) for end in ENDS} for key in IMPACT_KEYS}
    gateway = None
    if aggregated[list(GATEWAY_FIELDS)].notna().any().any():
        gateway = {f: float(aggregated[f].sum()) for f in GATEWAY_FIELDS}
    return UsageImport(path.name, rows, declarations, counts, ours, gateway)


def _declarations(aggregated: pd.DataFrame, preset: str, file_name: str, hosting: str | None) -> pd.DataFrame:
    # One declaration per gateway format, month, service and model: a later log that covers the
    # same month replaces it (a new version; the old one stays in the history), never adds to it.
    def identifier(row) -> str:
        key = f"{preset}|{row.month}|{row.service}|{row.provider}|{row.model}".encode()
        return f"U-{row.month}-{hashlib.sha256(key).hexdigest()[:8]}"

    frame = pd.DataFrame({
        "id": [identifier(r) for r in aggregated.itertuples(index=False)],
        "year": aggregated["month"].str.slice(0, 4).astype(int),
        "service": aggregated["service"],
        "kind": "llm",
        "provider": aggregated["provider"],
        "model": aggregated["model"],
        "hosting": hosting,
        "requests": aggregated["requests"].astype(float),
        "input_tokens": aggregated["input_tokens"].astype(float),
        "output_tokens": aggregated["output_tokens"].astype(float),
        "comment": [f"Journal d'usage {file_name}, {m} ({format_number(n)} lignes)"
                    for m, n in zip(aggregated["month"], aggregated["rows"])],
        "origin": f"usage:{file_name}",
        **{f: aggregated[f].astype(float) for f in GATEWAY_FIELDS},
    })
    frame["input_tokens"] = frame["input_tokens"].where(frame["input_tokens"] > 0, np.nan)
    return frame.reset_index(drop=True)
