"""A usage log imported as declarations: aggregated, its models resolved, saved, and its
impacts compared with the gateway's own estimate.

Owns: the aggregation of a log by month x service x kind x provider x model in one DuckDB scan
(the raw log is never copied into the store; months are counted in UTC), the service of each
row (the user -> service mapping, else ``--service``, else the log's team or project, else
``NO_SERVICE``: joined to the grouped rows, so that no user ever leaves DuckDB), the refusal of
unknown models of text generations (with their request counts and the closest known names)
unless they are mapped, one ``llm`` declaration per gateway format, month, service and model and
one ``task`` declaration per month, service, task and model for embeddings, transcriptions, OCR
and images (importing the same file twice adds nothing; a later log of the same month makes a
new version), the failed requests, cached replies and other calls counted and said (in the
result and in the comments), never computed, the declarations' check by their rules, their
saving in one store transaction, and our impacts beside the gateway's estimate.

Must not: compute impacts itself (``engine``) or write outside one store transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from core.errors import InputError, Problem
from footprint.engine import compute_impacts, totals
from footprint.factors import FactorBase
from footprint.inventory.declarations import check, file_sha256, to_workloads
from footprint.inventory.usage_logs.checks import (
    check_problems,
    control_checks,
    group_check_sql,
    row_check_sql,
    value_checks,
)
from footprint.inventory.usage_logs.fields import (
    GATEWAY_FIELDS,
    PRESET_HOSTING,
    PRESETS,
    derived_select,
    file_column_names,
    row_select,
    usage_sql,
)
from footprint.inventory.usage_logs.files import Log, duckdb_problem, file_columns, private_copy, reader_sql
from footprint.inventory.usage_logs.kinds import (
    CLASSIFIED_PRESETS,
    COUNTED_KINDS,
    KIND_LABELS,
    TASK_UNITS,
    UNCOUNTED_KINDS,
    task_sql,
    units_sql,
)
from footprint.inventory.usage_logs.pages import pages_log
from footprint.io.formatting import format_number
from footprint.store import Store
from footprint.vocabulary import FILE_COLUMNS, for_audience

NO_SERVICE = "(service non précisé)"


@dataclass
class UsageImport:
    """What an import did, for the CLI and the dashboard. ``uncounted``: the requests counted and
    not computed, by kind (``failed``, ``cached``, ``other``: labels in ``UNCOUNTED_KINDS``);
    ``requests_by_kind``: the requests computed, by kind (``llm``, ``embeddings``…)."""

    file_name: str
    rows: int
    declarations: pd.DataFrame
    counts: dict[str, int]
    ours: dict[str, dict[str, float]]
    gateway: dict[str, float] | None
    uncounted: dict[str, int] = field(default_factory=dict)
    requests_by_kind: dict[str, int] = field(default_factory=dict)


def import_usage(source: Path | str | bytes, store: Store, factors: FactorBase, preset: str = "generic",
                 service: str | None = None, mapping: dict[str, str] | None = None,
                 hosting: str | dict[str, str] | None = None, name: str | None = None,
                 services: dict[str, str] | None = None) -> UsageImport:
    """Aggregate a usage log into monthly declarations and save them in one transaction.

    ``source``: the log's path (one file, never a pattern), or the bytes of an upload shown as
    ``name`` (which is never used as a path). ``services``: user -> service (plain keys: stripped,
    lower case; ``admin_exports.read_user_services`` reads it from a file); a user of the log it
    names gets that service, the others ``service``, else the log's team or project, else
    ``NO_SERVICE``. Users are lookup keys only: nothing but services is stored. ``hosting``: the
    hosting profile of every row, or provider -> profile (``{"self_hosted": "salle_serveurs"}``:
    a gateway that serves cloud models and the authority's own, each provider keeping its
    default hosting unless named)."""
    if preset not in PRESETS:
        raise InputError.single(f"format inconnu (attendus : {', '.join(PRESETS)})", column="--preset", value=preset)
    services = {str(k).strip().lower(): str(v).strip() for k, v in (services or {}).items() if str(k).strip()}
    with private_copy(source, name) as log:
        aggregated = aggregate(log, preset, service, services)
        digest = file_sha256(source if isinstance(source, (bytes, bytearray)) else log.path)
    file_name = log.name
    rows = int(aggregated["rows"].sum())
    if rows == 0:
        raise InputError.single("aucune ligne d'usage : le fichier n'a qu'une ligne d'en-tête", file=file_name)
    counted = aggregated["kind"].isin(COUNTED_KINDS)
    uncounted = aggregated[~counted]
    notes = _uncounted_notes(uncounted)
    generations = aggregated[(aggregated["kind"] == "llm") & (aggregated["requests"] > 0)]
    generations = _resolve_models(generations, factors, mapping or {}, file_name)
    # Two spellings of one model (gpt-4o, GPT-4o, or a --map) become one declaration.
    sums = ["rows", "requests", "input_tokens", "output_tokens", *GATEWAY_FIELDS]
    generations = generations.groupby(["month", "service", "provider", "model"], as_index=False, sort=True)[
        sums].sum(min_count=1)
    tasks = aggregated[counted & (aggregated["kind"] != "llm") & (aggregated["units"] > 0)]
    tasks = tasks.astype({"model": "object", "provider": "object"}).fillna({"model": "", "provider": ""})
    tasks = tasks.groupby(["month", "service", "kind", "task", "provider", "model"], as_index=False, sort=True)[
        ["rows", "requests", "units", *GATEWAY_FIELDS]].sum(min_count=1)
    by_kind = aggregated[counted].groupby("kind")["requests"].sum()
    totals_uncounted = uncounted.groupby("kind")["requests"].sum()
    if generations.empty and tasks.empty:
        said = ", ".join(f"{format_number(n)} {UNCOUNTED_KINDS[k]}" for k, n in totals_uncounted.items())
        raise InputError.single(f"aucune requête à compter dans le journal{f' ({said})' if said else ''}",
                                file=file_name)
    hosting_of = _hosting_rule(hosting, PRESET_HOSTING.get(preset))
    frames = []
    if not generations.empty:
        frames.append(_declarations(generations, preset, file_name, hosting_of, notes))
    if not tasks.empty:
        frames.append(_task_declarations(tasks, preset, file_name, hosting_of, notes, factors))
    declarations = pd.concat(frames, ignore_index=True)
    try:
        check(declarations, factors, file_name=file_name)
    except InputError as error:
        # Said to whoever imports the log: the hosting is its --hosting, the year its timestamps; the
        # lines are those of the aggregated declarations, not of the log, so none is given.
        for_import = {FILE_COLUMNS["hosting"]: "--hosting", FILE_COLUMNS["year"]: "timestamp"}
        unlocated = [Problem(p.message, file=file_name, column=p.column, value=p.value) for p in error.problems]
        raise InputError(for_audience(unlocated, "file", extra=for_import)) from None
    counts = store.save(declarations, action=f"journal d'usage {file_name}",
                        import_record={"kind": f"usage:{preset}", "file_name": file_name, "file_sha256": digest,
                                       "replaces": True})
    impacts = compute_impacts(to_workloads(declarations, factors), factors)
    ours = totals(impacts)
    gateway = None
    computed = aggregated[counted]
    if computed[list(GATEWAY_FIELDS)].notna().any().any():
        gateway = {f: float(computed[f].sum()) for f in GATEWAY_FIELDS}
    return UsageImport(file_name, rows, declarations, counts, ours, gateway,
                       {str(k): int(n) for k, n in totals_uncounted.items() if n},
                       {str(k): int(n) for k, n in by_kind.items() if n})


def aggregate(log: Log, preset: str, service: str | None, services: dict[str, str] | None = None) -> pd.DataFrame:
    """The log's monthly totals by service, kind and model, every row checked in the same scan;
    ``InputError`` with the first bad line of each failed check. The rows are grouped by month and
    by the texts they name things with (a few thousand groups), then each group is read (its
    names, its kind) and, with ``services`` (user -> service), joined to its users' services:
    the users never leave the in-memory database."""
    con = duckdb.connect()
    try:
        # Months are counted in UTC whatever this machine's zone: an epoch second is UTC, an
        # ISO time with an offset (…T23:30:00-05:00) is moved to UTC, one without is taken as UTC.
        con.execute("SET TimeZone = 'UTC'")
        if PRESETS[preset].get("operation") == "object?":  # the usage API's pages
            log = pages_log(con, log)
        columns = file_columns(con, log)
        keys = bool(services)
        rows, raw = row_select(preset, columns, log, keys)
        view = usage_sql(preset, raw, service, keys)
        try:
            con.execute(f"CREATE TEMP VIEW _rows AS SELECT {rows} FROM {reader_sql(log)}")
            con.execute(f"CREATE TEMP VIEW _usage AS {view}")
            clauses = value_checks(con, preset)
            aggregated = con.execute(_totals_sql(con, preset, raw, clauses, service, services)).df()
            clauses += control_checks(aggregated)
            for i in range(len(clauses)):
                if f"_bad_{i}" not in aggregated:
                    aggregated[f"_bad_{i}"] = 1
            problems = check_problems(con, aggregated, clauses, log, file_column_names(preset, columns))
        except duckdb.Error as error:
            raise duckdb_problem(error, log) from None
    finally:
        con.close()
    if problems:
        raise InputError(problems)
    return aggregated.drop(columns=[c for c in aggregated.columns if c.startswith("_bad_")])


def _totals_sql(con: duckdb.DuckDBPyConnection, preset: str, raw: list[str], clauses: list, service: str | None,
                services: dict[str, str] | None) -> str:
    """The SQL of the monthly totals (and of the failed checks' counts) of ``_rows``: one scan
    grouping the rows by month and by their texts, then the groups read (``derived_select``),
    their tasks and units, and, with ``services``, their users' services (``_services``)."""
    keys = bool(services)
    gateway = "".join(f", sum({f}) AS {f}" for f in GATEWAY_FIELDS)
    grouped = (f"SELECT date_trunc('month', timestamp) AS _month{''.join(', ' + r for r in raw)}, count(*) AS rows, "
               f"sum(coalesce(requests, 1)) AS requests, sum(coalesce(input_tokens, 0)) AS input_tokens, "
               f"sum(output_tokens) AS output_tokens, sum(audio_seconds) AS audio_seconds, sum(images) AS images"
               f"{gateway}{row_check_sql(clauses)} FROM _rows GROUP BY ALL")
    classified = preset in CLASSIFIED_PRESETS
    read = (f"SELECT *, {task_sql() if classified else 'CAST(NULL AS VARCHAR)'} AS task, "
            f"{units_sql() if classified else 'CAST(NULL AS DOUBLE)'} AS units "
            f"FROM (SELECT *, {derived_select(preset, raw, service, keys)} FROM ({grouped}))")
    sums = ", ".join(f"sum({f}) AS {f}" for f in _SUMS) + group_check_sql(clauses)
    order = "ORDER BY month, service, kind, task, provider, model"
    if not keys:
        return (f"SELECT strftime(_month, '%Y-%m') AS month, coalesce(service, '{NO_SERVICE}') AS service, kind, task, "
                f"provider, model, {sums} FROM ({read}) GROUP BY ALL {order}")
    con.register("_services", pd.DataFrame({"user_key": list(services), "service": list(services.values())}))
    given = "'" + service.strip().replace("'", "''") + "'" if service is not None else "NULL"
    return (f"SELECT strftime(_month, '%Y-%m') AS month, "
            f"coalesce(u.service, e.service, {given}, d.service, '{NO_SERVICE}') AS service, kind, task, provider, "
            f"model, {sums} FROM ({read}) d "
            f"LEFT JOIN _services u ON u.user_key = d._user_key LEFT JOIN _services e ON e.user_key = d._end_user_key "
            f"GROUP BY ALL {order}")


_SUMS = ("rows", "requests", "units", "input_tokens", "output_tokens", *GATEWAY_FIELDS)


def _uncounted_notes(uncounted: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(month, service) -> what was counted and not computed that month in that service, said in
    French for the comments of its declarations (« non comptés : 3 requête(s) échouée(s) »)."""
    notes = {}
    for (month, service), frame in uncounted.groupby(["month", "service"]):
        by_kind = frame.groupby("kind")["requests"].sum()
        said = ", ".join(f"{format_number(by_kind[k])} {label}" for k, label in UNCOUNTED_KINDS.items()
                         if by_kind.get(k, 0))
        if said:
            notes[(month, service)] = f" ; non comptés : {said}"
    return notes


def _resolve_models(aggregated: pd.DataFrame, factors: FactorBase, mapping: dict[str, str],
                    file_name: str) -> pd.DataFrame:
    """Providers and models as the factor base spells them; unknown ones refused with counts."""
    problems = []
    resolved_provider, resolved_model = {}, {}
    for (provider, model), requests in aggregated.groupby(["provider", "model"], dropna=False)["requests"].sum(
            ).items():
        provider = provider if isinstance(provider, str) else None
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
            named = f"« {provider}/{model} »" if provider else f"« {model} » (fournisseur non précisé)"
            problems.append(Problem(
                f"modèle inconnu {named} ({format_number(requests)} requêtes){hint} ; associez-le à "
                f"un modèle connu avec --map \"{model}=fournisseur/modèle\"", file=file_name, column="model",
                value=model))
            continue
        resolved_provider[(provider, model)] = provider_id
        resolved_model[(provider, model)] = name
    if problems:
        raise InputError(problems)
    keys = [(p if isinstance(p, str) else None, m) for p, m in zip(aggregated["provider"], aggregated["model"])]
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


def _hosting_rule(hosting: str | dict[str, str] | None, preset_hosting: str | None):
    """provider -> the hosting profile a declaration of this import gets (None: the provider's)."""
    if isinstance(hosting, dict):
        by_provider = {str(k).strip().lower(): v for k, v in hosting.items()}
        return lambda provider: by_provider.get(str(provider or "").strip().lower()) or preset_hosting
    return lambda provider: hosting or preset_hosting


def _declarations(aggregated: pd.DataFrame, preset: str, file_name: str, hosting_of,
                  notes: dict[tuple[str, str], str]) -> pd.DataFrame:
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
        "hosting": [hosting_of(p) for p in aggregated["provider"]],
        "requests": aggregated["requests"].astype(float),
        "input_tokens": aggregated["input_tokens"].astype(float),
        "output_tokens": aggregated["output_tokens"].astype(float),
        "comment": [f"Journal d'usage {file_name}, {m} ({format_number(n)} lignes){notes.get((m, s), '')}"
                    for m, s, n in zip(aggregated["month"], aggregated["service"], aggregated["rows"])],
        "origin": f"usage:{file_name}",
        **{f: aggregated[f].astype(float) for f in GATEWAY_FIELDS},
    })
    frame["input_tokens"] = frame["input_tokens"].where(frame["input_tokens"] > 0, np.nan)
    return frame.reset_index(drop=True)


def _task_declarations(tasks: pd.DataFrame, preset: str, file_name: str, hosting_of,
                       notes: dict[tuple[str, str], str], factors: FactorBase) -> pd.DataFrame:
    """The ``task`` declarations of the embeddings, transcriptions, OCR and images: one per month,
    service, task and model, hosted where the preset, ``--hosting`` or the provider says."""
    hostings = {}
    for provider in tasks["provider"].unique():  # the providers of a log: a handful
        provider_id = factors.provider_id(provider) if provider else None
        hostings[provider] = hosting_of(provider_id) or (factors.default_hosting(provider_id) if provider_id else None)
    unhosted = sorted({p or "?" for p, h in hostings.items() if h is None})
    if unhosted:
        raise InputError.single(
            f"hébergement inconnu pour les embeddings, transcriptions ou OCR du fournisseur {', '.join(unhosted)} : "
            "précisez où tournent ces modèles avec --hosting (par exemple salle_serveurs ou datacenter_fr)",
            file=file_name, column="--hosting")

    def identifier(row) -> str:
        key = f"{preset}|{row.month}|{row.service}|task:{row.task}|{row.model}".encode()
        return f"U-{row.month}-{hashlib.sha256(key).hexdigest()[:8]}"

    def comment(row) -> str:
        model = f", modèle {row.model}" if row.model else ""
        return (f"Journal d'usage {file_name}, {row.month} ({format_number(row.rows)} lignes) : "
                f"{KIND_LABELS[row.kind]}{model}, {format_number(row.units)} {TASK_UNITS[row.task]}"
                f"{notes.get((row.month, row.service), '')}")

    rows = list(tasks.itertuples(index=False))
    return pd.DataFrame({
        "id": [identifier(r) for r in rows],
        "year": tasks["month"].str.slice(0, 4).astype(int),
        "service": tasks["service"],
        "kind": "task",
        "task": tasks["task"],
        "hosting": [hostings[p] for p in tasks["provider"]],
        "units": tasks["units"].astype(float),
        "comment": [comment(r) for r in rows],
        "origin": f"usage:{file_name}",
        **{f: tasks[f].astype(float) for f in GATEWAY_FIELDS},
    }).reset_index(drop=True)
