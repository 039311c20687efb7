"""Usage logs of an API gateway (Albert / OpenGateLLM, OpenAI exports, any CSV, Parquet or
JSONL file with one row per request or per day) turned into ``llm`` declarations.

Owns: the column presets, reading the file with DuckDB directly (the raw log is never copied
into the store), aggregating it by month x service x provider x model, refusing unknown models
(with their request counts and the closest known names) unless they are mapped, and keeping
the gateway's own estimate beside ours. Importing the same file twice adds nothing.

A CSV log is read as French office software writes it, by the rules of ``tabular`` (the one
reader of French files): its encoding (a Windows-1252 or UTF-16 log is transcoded, a file that
mixes encodings is refused with its line), its separator and so its decimal convention (``12,5``
and ``1 234`` in a ``;`` file), numbers parsed in SQL as ``tabular.parse_number`` parses them
(``1,000`` refused as ambiguous where the convention does not settle it), text trimmed, slashed
dates read day first (``JJ/MM/AAAA``). DuckDB reads a private link to (or UTF-8 copy of) the
file under a name this server chose: a path is never read as a glob, and an upload's name never
becomes a path. Every refusal names the file, the first bad line, the column and the value.

Must not: compute impacts itself (``engine``) or write outside one store transaction.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from core.errors import InputError, Problem
from emission_factors.loader import read_input_bounds
from footprint.engine import ENDS, IMPACT_KEYS, compute_impacts
from footprint.factors import FactorBase
from footprint.inventory.declarations import check, file_sha256, to_workloads
from footprint.io.formatting import format_number
from footprint.io.tabular import decode_text, display_name, first_line, read_source, sniff_separator
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
TEXT_FIELDS = ("provider", "model", "service")
NUMBER_LABELS = {"output_tokens": "tokens de sortie manquants, non numériques ou négatifs",
                 "input_tokens": "tokens d'entrée non numériques ou négatifs",
                 "requests": "nombre de requêtes non numérique ou négatif",
                 **{f: "estimation de la passerelle non numérique ou négative" for f in GATEWAY_FIELDS}}

# A French number in SQL, read as ``tabular.parse_number`` reads it: blanks and apostrophes
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
# What no name may hold (as ``tabular`` refuses it): C0 and C1 controls, U+FFFE and U+FFFF.
_CONTROL_CHARACTER = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]"
_CONTROL_SQL = "regexp_matches({x}, '[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x{{9f}}\\x{{fffe}}\\x{{ffff}}]')"
# A line break inside a cell of a log: a quote left open has swallowed the following rows.
_SWALLOWED = ("CSV mal formé : un guillemet ouvert dans cette ligne n'est pas refermé avant la fin de la ligne, et "
              "les lignes suivantes seraient lues comme le texte d'une seule cellule ; refermez le guillemet")
# Slashed dates are French (day first), as French Excel writes them: one rule, never a guess per row.
_FRENCH_DATES = "['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y']"


@dataclass
class UsageImport:
    """What an import did, for the CLI and the dashboard."""

    file_name: str
    rows: int
    declarations: pd.DataFrame
    counts: dict[str, int]
    ours: dict[str, dict[str, float]]
    gateway: dict[str, float] | None


@dataclass(frozen=True)
class _Log:
    """A log ready for DuckDB: a private file, how to read it and how its numbers are written."""

    path: Path
    reader: str
    name: str
    separator: str | None
    header: tuple[str, ...] = ()

    @property
    def decimal_comma(self) -> bool:
        """A ";" file writes its decimals with a comma (French office software)."""
        return self.separator == ";"

    @property
    def first_line(self) -> int:
        """The line of the file that holds the first row (after a CSV's header)."""
        return 2 if self.reader == "read_csv" else 1


@contextmanager
def _private_copy(source: Path | str | bytes, name: str | None) -> Iterator[_Log]:
    """The log under a name this server chose, in a private folder removed afterwards: a link to
    a UTF-8 file, a UTF-8 copy of a Windows-1252 or UTF-16 one, or the bytes of an upload."""
    upload = isinstance(source, (bytes, bytearray, memoryview))
    path = None if upload else Path(source)
    shown = display_name(name if upload or name else path.name)
    if path is not None and not path.is_file():
        raise InputError.single("fichier introuvable", file=shown)
    if path is not None and path.stat().st_size == 0:
        raise InputError.single("fichier vide", file=shown)
    suffix = Path(shown).suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        raise InputError.single("format de journal inconnu : attendu .csv, .parquet ou .jsonl", file=shown)
    folder = Path(tempfile.mkdtemp(prefix="empreinte-journal-"))
    target = folder / f"journal{suffix}"
    try:
        header = ""
        if upload:
            data, _ = read_source(bytes(source), shown)
            if reader == "read_csv":
                text = _one_kind_of_line_break(decode_text(data, shown))
                header, data = first_line(text), text.encode("utf-8")
            target.write_bytes(data)
        elif reader == "read_csv":
            header = _link_or_transcode(path, target, shown)
        else:
            target.symlink_to(path.resolve())
        if reader != "read_csv":
            yield _Log(target, reader, shown, None)
        else:
            separator = sniff_separator(header)
            yield _Log(target, reader, shown, separator, _header_names(header, separator, shown))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _header_names(line: str, separator: str, shown: str) -> tuple[str, ...]:
    """The column names of a CSV header line (a blank one named after its place), unique."""
    names = next(csv.reader([first_line(line)], delimiter=separator), [])
    names = [name.strip() or f"colonne_{i + 1}" for i, name in enumerate(names)]
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if name.lower() in seen:
            raise InputError.single(f"colonne « {name} » en double (colonnes {seen[name.lower()] + 1} et {index + 1})",
                                    file=shown, line=1)
        seen[name.lower()] = index
    return tuple(names)


def _link_or_transcode(path: Path, target: Path, shown: str) -> str:
    """Link ``target`` to a UTF-8 CSV, or write there a UTF-8 copy of one in another encoding
    (checked block by block: a log may hold millions of lines). Returns the header line."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    header = None
    with path.open("rb") as handle:
        block = handle.read(1 << 16)
        # UTF-16, or lines ended by CR alone (old Mac files): rewritten in UTF-8 with LF.
        rewrite = block.startswith((b"\xff\xfe", b"\xfe\xff")) or (b"\r" in block and b"\n" not in block)
        try:
            while block and not rewrite:
                text = decoder.decode(block)
                header = first_line(text) if header is None else header
                block = handle.read(1 << 20)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            rewrite = True  # not UTF-8 throughout: decode_text below says why, with the line
    if rewrite:
        # decode_text refuses a file that mixes encodings (with the line) and reads Windows-1252.
        text = _one_kind_of_line_break(decode_text(path.read_bytes(), shown))
        target.write_text(text, encoding="utf-8")
        return first_line(text)
    target.symlink_to(path.resolve())
    return header or ""


def _one_kind_of_line_break(text: str) -> str:
    """A text whose lines end with CR alone (old Mac files) written with LF, as DuckDB reads it."""
    return text.replace("\r", "\n") if "\r" in text and "\n" not in text else text


def _reader_sql(log: _Log) -> str:
    escaped = str(log.path).replace("'", "''")
    if log.reader == "read_csv":
        delimiter = log.separator.replace("\t", "\\t")
        columns = ", ".join("'" + name.replace("'", "''") + "': 'VARCHAR'" for name in log.header)
        return (f"read_csv('{escaped}', header = true, delim = '{delimiter}', quote = '\"', escape = '\"', "
                f"columns = {{{columns}}}, auto_detect = false, strict_mode = true, null_padding = false)")
    if log.reader == "read_json":
        # The whole file is sampled: a key or a type that appears late is read, not refused.
        shape = "newline_delimited" if log.path.suffix in (".jsonl", ".ndjson") else "auto"
        return f"read_json('{escaped}', format = '{shape}', sample_size = -1)"
    return f"read_parquet('{escaped}')"


def _duckdb_problem(error: duckdb.Error, log: _Log) -> InputError:
    """DuckDB's refusal of a file (in English), said in French, with the line when it gives one."""
    text = str(error)
    found = re.search(r"[Ll]ine:? (\d+)", text)
    line = int(found.group(1)) if found else None
    lowered = text.lower()
    if "unterminated quote" in lowered or "quote" in lowered and "number of columns" not in lowered:
        reason = "CSV mal formé : guillemet ouvert et jamais refermé, ou mal placé"
    elif "number of columns" in lowered or "too many columns" in lowered:
        reason = "CSV mal formé : nombre de cellules différent de celui de l'en-tête (un séparateur en trop ?)"
    elif "unicode" in lowered or "utf" in lowered or "encod" in lowered:
        reason = "journal illisible : encodage inconnu, enregistrez le journal en UTF-8"
    elif log.reader == "read_parquet":
        reason = "journal illisible : fichier Parquet corrompu"
    elif log.reader == "read_json":
        reason = "journal illisible : chaque ligne d'un fichier JSONL doit être un objet JSON"
    else:
        reason = "journal illisible : ce n'est pas un fichier CSV valide"
    return InputError.single(reason, file=log.name, line=line)


def _columns(con: duckdb.DuckDBPyConnection, log: _Log) -> dict[str, str]:
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {_reader_sql(log)}").fetchall()
    except duckdb.Error as error:
        raise _duckdb_problem(error, log) from None
    return {name: kind for name, kind, *_ in described}


def _is_numeric(kind: str) -> bool:
    return any(t in kind.upper() for t in ("INT", "DOUBLE", "FLOAT", "DECIMAL", "REAL"))


def _select_list(preset: str, columns: dict[str, str], log: _Log, service: str | None) -> str:
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


def _checks(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """The checks of a log's values (unreadable timestamps, negative or non-numeric volumes…) that
    its columns allow: (column, French label, SQL condition of a bad row, column of an example)."""
    bounds = read_input_bounds()  # the plausible volumes per request, as for a declaration typed by hand
    most_out, most_in = bounds["output_tokens_per_request"].maximum, bounds["input_tokens_per_request"].maximum
    checks = [("timestamp", "horodatage illisible (attendus : AAAA-MM-JJ HH:MM:SS, JJ/MM/AAAA HH:MM ou secondes "
               "depuis 1970)", "timestamp IS NULL", "timestamp_text", ()),
              ("output_tokens", NUMBER_LABELS["output_tokens"], "output_tokens_text IS NULL", "output_tokens_text", ())]
    for field, label in NUMBER_LABELS.items():
        checks.append((field, "écriture ambiguë (mille ou un ?) : écrivez 1000 ou 1 000 pour des milliers, 1,0 pour "
                       "une décimale", f"{field}_ambiguous", f"{field}_text", (f"{field}_ambiguous",)))
        checks.append((field, label,
                       f"{field}_text IS NOT NULL AND NOT {field}_ambiguous AND ({field} IS NULL OR {field} < 0 "
                       f"OR isinf({field}) OR isnan({field}))", f"{field}_text", (f"{field}_ambiguous",)))
    checks += [("requests", "nombre de requêtes nul alors que des tokens sont générés",
                "requests = 0 AND output_tokens > 0", "requests_text", ()),
               ("output_tokens", f"tokens de sortie invraisemblables (plus de {format_number(most_out)} par requête)",
                f"isfinite(output_tokens) AND output_tokens > {most_out!r} * coalesce(nullif(requests, 0), 1)",
                "output_tokens_text", ()),
               ("input_tokens", f"tokens d'entrée invraisemblables (plus de {format_number(most_in)} par requête)",
                f"isfinite(input_tokens) AND input_tokens > {most_in!r} * coalesce(requests, 1)", "input_tokens_text",
                ()),
               ("model", "modèle manquant", "model IS NULL", "model", ()),
               ("timestamp", _SWALLOWED, "_line_break", "timestamp_text", ("_line_break",))]
    available = {row[0] for row in con.execute("DESCRIBE _usage").fetchall()}
    return [(column, label, condition, example) for column, label, condition, example, needs in checks
            if example in available and all(n in available for n in needs)]


def _check_sql(clauses: list[tuple]) -> str:
    """Aggregates counting each check's failures, computed in the same scan as the monthly
    totals (one pass over a 10-million-row log, not two)."""
    return "".join(f", count(*) FILTER (WHERE {condition}) AS _bad_{i}"
                   for i, (_, _, condition, _) in enumerate(clauses))


def _check_problems(con: duckdb.DuckDBPyConnection, aggregated: pd.DataFrame, clauses: list[tuple],
                    log: _Log) -> list[Problem]:
    """One problem per failed check, with its count, its first bad line and that line's value
    (found by a second scan, made only when a check failed)."""
    failed = [(i, clause) for i, clause in enumerate(clauses) if int(aggregated[f"_bad_{i}"].sum())]
    if not failed:
        return []
    firsts = ", ".join(f"min(_row) FILTER (WHERE {condition}), arg_min({example}, _row) FILTER (WHERE {condition})"
                       for _, (_, _, condition, example) in failed)
    found = con.execute(f"SELECT {firsts} FROM (SELECT *, row_number() OVER () AS _row FROM _usage)").fetchall()[0]
    problems = []
    for k, (i, (column, label, _, _)) in enumerate(failed):
        count = int(aggregated[f"_bad_{i}"].sum())
        row, example = found[2 * k], found[2 * k + 1]
        if count > 1:
            label = f"{label} ({format_number(count)} lignes ; la première est celle-ci)"
        if isinstance(example, str):
            example = re.sub(r"[\x00-\x1f\x7f]", "?", example)[:80]
        problems.append(Problem(label, file=log.name, line=None if row is None else int(row) + log.first_line - 1,
                                column=column, value=example))
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



def import_usage(source: Path | str | bytes, store: Store, factors: FactorBase, preset: str = "generic",
                 service: str | None = None, mapping: dict[str, str] | None = None,
                 hosting: str | None = None, name: str | None = None) -> UsageImport:
    """Aggregate a usage log into monthly ``llm`` declarations and save them in one transaction.

    ``source``: the log's path (one file, never a pattern), or the bytes of an upload shown as
    ``name`` (which is never used as a path)."""
    if preset not in PRESETS:
        raise InputError.single(f"format inconnu (attendus : {', '.join(PRESETS)})", column="--preset", value=preset)
    with _private_copy(source, name) as log:
        aggregated = _aggregate(log, preset, service)
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
        where = {"hebergement": "--hosting", "annee": "timestamp"}
        raise InputError([Problem(p.message, file=file_name, column=where.get(p.column, p.column), value=p.value)
                          for p in error.problems]) from None
    counts = store.save(declarations, action=f"journal d'usage {file_name}",
                        import_record={"kind": f"usage:{preset}", "file_name": file_name, "file_sha256": digest})
    impacts = compute_impacts(to_workloads(declarations, factors), factors)
    ours = {key: {end: float(impacts[f"{key}_{end}"].sum()) for end in ENDS} for key in IMPACT_KEYS}
    gateway = None
    if aggregated[list(GATEWAY_FIELDS)].notna().any().any():
        gateway = {f: float(aggregated[f].sum()) for f in GATEWAY_FIELDS}
    return UsageImport(file_name, rows, declarations, counts, ours, gateway)


def _aggregate(log: _Log, preset: str, service: str | None) -> pd.DataFrame:
    """The log's monthly totals by service and model, every row checked in the same scan;
    ``InputError`` with the first bad line of each failed check."""
    con = duckdb.connect()
    try:
        # Months are counted in UTC whatever this machine's zone: an epoch second is UTC, an
        # ISO time with an offset (…T23:30:00-05:00) is moved to UTC, one without is taken as UTC.
        con.execute("SET TimeZone = 'UTC'")
        columns = _columns(con, log)
        select = _select_list(preset, columns, log, service)
        try:
            con.execute(f"CREATE TEMP VIEW _usage AS SELECT {select} FROM {_reader_sql(log)}")
            clauses = _checks(con)
            gateway_sums = ", ".join(f"sum({f}) AS {f}" for f in GATEWAY_FIELDS)
            aggregated = con.execute(f"""
                SELECT strftime(timestamp, '%Y-%m') AS month,
                       coalesce(service, '{NO_SERVICE}') AS service, provider, model, count(*) AS rows,
                       sum(coalesce(requests, 1)) AS requests, sum(coalesce(input_tokens, 0)) AS input_tokens,
                       sum(output_tokens) AS output_tokens, {gateway_sums}{_check_sql(clauses)}
                FROM _usage GROUP BY ALL ORDER BY month, service, provider, model""").df()
            # Control characters are looked for in the grouped names (hundreds), not in every row.
            clauses += [(field, "caractère de contrôle invisible (collé depuis un autre logiciel ?) : retirez-le",
                         _CONTROL_SQL.format(x=field), field) for field in TEXT_FIELDS
                        if aggregated[field].astype("string").str.contains(_CONTROL_CHARACTER, na=False).any()]
            for i in range(len(clauses)):
                if f"_bad_{i}" not in aggregated:
                    aggregated[f"_bad_{i}"] = 1
            problems = _check_problems(con, aggregated, clauses, log)
        except duckdb.Error as error:
            raise _duckdb_problem(error, log) from None
    finally:
        con.close()
    if problems:
        raise InputError(problems)
    return aggregated.drop(columns=[c for c in aggregated.columns if c.startswith("_bad_")])


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
