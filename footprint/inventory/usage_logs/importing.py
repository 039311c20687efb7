"""A usage log imported as ``llm`` declarations: aggregated, its models resolved, saved, and
its impacts compared with the gateway's own estimate.

Owns: the aggregation of a log by month x service x provider x model in one DuckDB scan (the
raw log is never copied into the store; months are counted in UTC), the refusal of unknown
models (with their request counts and the closest known names) unless they are mapped, one
declaration per gateway format, month, service and model (importing the same file twice adds
nothing; a later log of the same month makes a new version), their check by the declarations'
rules, their saving in one store transaction, and our impacts beside the gateway's estimate.

Must not: compute impacts itself (``engine``) or write outside one store transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from core.errors import InputError, Problem
from footprint.engine import compute_impacts, totals
from footprint.factors import FactorBase
from footprint.inventory.declarations import check, file_sha256, to_workloads
from footprint.inventory.usage_logs.checks import check_problems, check_sql, control_checks, value_checks
from footprint.inventory.usage_logs.fields import GATEWAY_FIELDS, PRESET_HOSTING, PRESETS, select_list
from footprint.inventory.usage_logs.files import Log, duckdb_problem, file_columns, private_copy, reader_sql
from footprint.io.formatting import format_number
from footprint.store import Store
from footprint.vocabulary import FILE_COLUMNS, for_audience

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


def import_usage(source: Path | str | bytes, store: Store, factors: FactorBase, preset: str = "generic",
                 service: str | None = None, mapping: dict[str, str] | None = None,
                 hosting: str | None = None, name: str | None = None) -> UsageImport:
    """Aggregate a usage log into monthly ``llm`` declarations and save them in one transaction.

    ``source``: the log's path (one file, never a pattern), or the bytes of an upload shown as
    ``name`` (which is never used as a path)."""
    if preset not in PRESETS:
        raise InputError.single(f"format inconnu (attendus : {', '.join(PRESETS)})", column="--preset", value=preset)
    with private_copy(source, name) as log:
        aggregated = aggregate(log, preset, service)
        digest = file_sha256(source if isinstance(source, (bytes, bytearray)) else log.path)
    file_name = log.name
    rows = int(aggregated["rows"].sum())
    if rows == 0:
        raise InputError.single("aucune ligne d'usage : le fichier n'a qu'une ligne d'en-tête", file=file_name)
    aggregated = aggregated[aggregated["requests"] > 0]
    aggregated = _resolve_models(aggregated, factors, mapping or {}, file_name)
    # Two spellings of one model (gpt-4o, GPT-4o, or a --map) become one declaration.
    sums = ["rows", "requests", "input_tokens", "output_tokens", *GATEWAY_FIELDS]
    aggregated = aggregated.groupby(["month", "service", "provider", "model"], as_index=False, sort=True)[sums].sum(
        min_count=1)
    declarations = _declarations(aggregated, preset, file_name, hosting or PRESET_HOSTING.get(preset))
    try:
        check(declarations, factors, file_name=file_name)
    except InputError as error:
        # Said to whoever imports the log: the hosting is its --hosting, the year its timestamps; the
        # lines are those of the aggregated declarations, not of the log, so none is given.
        for_import = {FILE_COLUMNS["hosting"]: "--hosting", FILE_COLUMNS["year"]: "timestamp"}
        unlocated = [Problem(p.message, file=file_name, column=p.column, value=p.value) for p in error.problems]
        raise InputError(for_audience(unlocated, "file", extra=for_import)) from None
    counts = store.save(declarations, action=f"journal d'usage {file_name}",
                        import_record={"kind": f"usage:{preset}", "file_name": file_name, "file_sha256": digest})
    impacts = compute_impacts(to_workloads(declarations, factors), factors)
    ours = totals(impacts)
    gateway = None
    if aggregated[list(GATEWAY_FIELDS)].notna().any().any():
        gateway = {f: float(aggregated[f].sum()) for f in GATEWAY_FIELDS}
    return UsageImport(file_name, rows, declarations, counts, ours, gateway)


def aggregate(log: Log, preset: str, service: str | None) -> pd.DataFrame:
    """The log's monthly totals by service and model, every row checked in the same scan;
    ``InputError`` with the first bad line of each failed check."""
    con = duckdb.connect()
    try:
        # Months are counted in UTC whatever this machine's zone: an epoch second is UTC, an
        # ISO time with an offset (…T23:30:00-05:00) is moved to UTC, one without is taken as UTC.
        con.execute("SET TimeZone = 'UTC'")
        columns = file_columns(con, log)
        select = select_list(preset, columns, log, service)
        try:
            con.execute(f"CREATE TEMP VIEW _usage AS SELECT {select} FROM {reader_sql(log)}")
            clauses = value_checks(con)
            gateway_sums = ", ".join(f"sum({f}) AS {f}" for f in GATEWAY_FIELDS)
            aggregated = con.execute(f"""
                SELECT strftime(timestamp, '%Y-%m') AS month,
                       coalesce(service, '{NO_SERVICE}') AS service, provider, model, count(*) AS rows,
                       sum(coalesce(requests, 1)) AS requests, sum(coalesce(input_tokens, 0)) AS input_tokens,
                       sum(output_tokens) AS output_tokens, {gateway_sums}{check_sql(clauses)}
                FROM _usage GROUP BY ALL ORDER BY month, service, provider, model""").df()
            clauses += control_checks(aggregated)
            for i in range(len(clauses)):
                if f"_bad_{i}" not in aggregated:
                    aggregated[f"_bad_{i}"] = 1
            problems = check_problems(con, aggregated, clauses, log)
        except duckdb.Error as error:
            raise duckdb_problem(error, log) from None
    finally:
        con.close()
    if problems:
        raise InputError(problems)
    return aggregated.drop(columns=[c for c in aggregated.columns if c.startswith("_bad_")])


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
    """The ``--map`` pairs « ancien=nouveau » (a model of the log -> a model of the factor base)."""
    mapping = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise InputError.single("--map attend « ancien=nouveau »", column="--map", value=pair)
        old, new = pair.split("=", 1)
        mapping[old.strip()] = new.strip()
    return mapping


def _declarations(aggregated: pd.DataFrame, preset: str, file_name: str, hosting: str | None) -> pd.DataFrame:
    """The ``llm`` declarations (store columns) of the monthly totals, with the gateway's estimate."""
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
