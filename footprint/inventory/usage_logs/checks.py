"""The checks of a usage log's values, counted in the scan that aggregates it.

Owns: what makes a row of a log wrong (an unreadable time or HTTP status, a missing, negative,
ambiguous or implausible number of tokens or requests, reasoning tokens beyond the output tokens
they are part of, a missing model, a row swallowed by an open quote, a control character in a
name), the SQL that counts each failure in the same pass as the monthly totals, and the French
problems of the failed checks, each with its count, its first bad line (or its place in a JSON
file) and that line's value (found by a second scan, made only when a check failed). The
volumes of a generation are checked on generations only: a failed request, an embedding or a
transcription has no output tokens, and is never a reason to refuse the file.

Must not: read the file other than through the view ``_usage`` that ``importing`` creates.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import duckdb
import pandas as pd

from core.errors import Problem
from emission_factors.schema import read_input_bounds
from footprint.inventory.usage_logs.fields import GATEWAY_FIELDS, TEXT_FIELDS
from footprint.inventory.usage_logs.files import Log
from footprint.io.formatting import format_number

NUMBER_LABELS = {"output_tokens": "tokens de sortie manquants, non numériques ou négatifs",
                 "input_tokens": "tokens d'entrée non numériques ou négatifs",
                 "requests": "nombre de requêtes non numérique ou négatif",
                 "reasoning_tokens": "tokens de raisonnement non numériques ou négatifs",
                 "audio_seconds": "durée d'audio (secondes) non numérique ou négative",
                 "images": "nombre d'images non numérique ou négatif",
                 **{f: "estimation de la passerelle non numérique ou négative" for f in GATEWAY_FIELDS}}
# A missing model, said for each format: the usage API names models only when grouped by them.
MODEL_LABELS = {"openai-usage-api": "modèle absent : les résultats ne sont pas groupés par modèle ; téléchargez à "
                                    "nouveau les pages avec le paramètre group_by=model (par exemple "
                                    "…/usage/completions?bucket_width=1d&group_by=model&group_by=project_id)"}
# What no name may hold (as ``tabular`` refuses it): C0 and C1 controls, U+FFFE and U+FFFF.
_CONTROL_CHARACTER = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]"
_CONTROL_SQL = "regexp_matches({x}, '[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x{{9f}}\\x{{fffe}}\\x{{ffff}}]')"
# A line break inside a cell of a log: a quote left open has swallowed the following rows.
_SWALLOWED = ("CSV mal formé : un guillemet ouvert dans cette ligne n'est pas refermé avant la fin de la ligne, et "
              "les lignes suivantes seraient lues comme le texte d'une seule cellule ; refermez le guillemet")


class Check(NamedTuple):
    """One check of a log's values: the field it is about, its French label, the SQL condition of a
    bad row, the column whose value is shown, whether only generations are checked, and whether
    the condition is on names (checked on the grouped rows, where the names are read)."""

    column: str
    label: str
    condition: str
    example: str
    generations_only: bool = False
    on_names: bool = False

    @property
    def row_condition(self) -> str:
        """The condition on one row of ``_usage`` (which has its kind)."""
        return f"kind = 'llm' AND ({self.condition})" if self.generations_only else self.condition


def value_checks(con: duckdb.DuckDBPyConnection, preset: str = "generic") -> list[Check]:
    """The checks of a log's values (unreadable timestamps, negative or non-numeric volumes…) that
    its columns allow."""
    bounds = read_input_bounds()  # the plausible volumes per request, as for a declaration typed by hand
    most_out, most_in = bounds["output_tokens_per_request"].maximum, bounds["input_tokens_per_request"].maximum
    checks = [(Check("timestamp", "horodatage illisible (attendus : AAAA-MM-JJ HH:MM:SS, JJ/MM/AAAA HH:MM ou "
                     "secondes depuis 1970)", "timestamp IS NULL", "timestamp_text"), ()),
              (Check("output_tokens", NUMBER_LABELS["output_tokens"], "output_tokens_text IS NULL",
                     "output_tokens_text", generations_only=True), ()),
              (Check("status", "statut HTTP illisible (attendu un nombre, 200 par exemple)",
                     "status_text IS NOT NULL AND status IS NULL", "status_text"), ())]
    for field, label in NUMBER_LABELS.items():
        checks.append((Check(field, "écriture ambiguë (mille ou un ?) : écrivez 1000 ou 1 000 pour des milliers, 1,0 "
                             "pour une décimale", f"{field}_ambiguous", f"{field}_text"), (f"{field}_ambiguous",)))
        checks.append((Check(field, label, f"{field}_text IS NOT NULL AND NOT {field}_ambiguous AND ({field} IS NULL "
                             f"OR {field} < 0 OR isinf({field}) OR isnan({field}))", f"{field}_text"),
                       (f"{field}_ambiguous",)))
    checks += [(Check("requests", "nombre de requêtes nul alors que des tokens sont générés",
                      "requests = 0 AND output_tokens > 0", "requests_text", generations_only=True), ()),
               (Check("output_tokens", f"tokens de sortie invraisemblables (plus de {format_number(most_out)} par "
                      f"requête)", f"isfinite(output_tokens) AND output_tokens > {most_out!r} * "
                      f"coalesce(nullif(requests, 0), 1)", "output_tokens_text", generations_only=True), ()),
               (Check("input_tokens", f"tokens d'entrée invraisemblables (plus de {format_number(most_in)} par "
                      f"requête)", f"isfinite(input_tokens) AND input_tokens > {most_in!r} * coalesce(requests, 1)",
                      "input_tokens_text", generations_only=True), ()),
               # Reasoning tokens are part of the output tokens (OpenAI's completion_tokens_details):
               # more of them than output tokens is a log that counts them apart, or a slip.
               (Check("reasoning_tokens", "tokens de raisonnement plus nombreux que les tokens de sortie, dont ils "
                      "font partie : comptez-les dans output_tokens (une seule fois)",
                      "reasoning_tokens > output_tokens", "reasoning_tokens_text", generations_only=True), ()),
               (Check("model", MODEL_LABELS.get(preset, "modèle manquant"), "model IS NULL", "model",
                      generations_only=True, on_names=True), ()),
               (Check("timestamp", _SWALLOWED, "_line_break", "timestamp_text"), ("_line_break",))]
    available = {row[0] for row in con.execute("DESCRIBE _usage").fetchall()}
    return [check for check, needs in checks if check.example in available and all(n in available for n in needs)]


def row_check_sql(clauses: list[Check]) -> str:
    """Aggregates counting, by group of rows, the rows that fail each check on values, computed in
    the same scan as the monthly totals (one pass over a 10-million-row log, not two)."""
    return "".join(f", count(*) FILTER (WHERE {check.condition}) AS _row_bad_{i}"
                   for i, check in enumerate(clauses) if not check.on_names)


def group_check_sql(clauses: list[Check]) -> str:
    """Aggregates of the groups' counts into each check's failures, once the groups have their
    names and kind: a check of generations counts the rows of generations only."""
    parts = []
    for i, check in enumerate(clauses):
        kinds = " AND kind = 'llm'" if check.generations_only else ""
        if check.on_names:
            parts.append(f", coalesce(sum(rows) FILTER (WHERE ({check.condition}){kinds}), 0) AS _bad_{i}")
        else:
            parts.append(f", coalesce(sum(_row_bad_{i}) FILTER (WHERE true{kinds}), 0) AS _bad_{i}")
    return "".join(parts)


def control_checks(aggregated: pd.DataFrame) -> list[Check]:
    """The checks for control characters in the names (provider, model, service), made only for
    the names where ``aggregated`` shows one: they are looked for in the grouped names (hundreds),
    not in every row."""
    return [Check(field, "caractère de contrôle invisible (collé depuis un autre logiciel ?) : retirez-le",
                  _CONTROL_SQL.format(x=field), field, on_names=True) for field in TEXT_FIELDS
            if aggregated[field].astype("string").str.contains(_CONTROL_CHARACTER, na=False).any()]


def check_problems(con: duckdb.DuckDBPyConnection, aggregated: pd.DataFrame, clauses: list[Check],
                   log: Log, names: dict[str, str] | None = None) -> list[Problem]:
    """One problem per failed check, with its count, its first bad line (in JSON pages: its place,
    ``page 2, data[0].results[3]``) and that line's value (found by a second scan, made only when
    a check failed). ``names``: field -> the file's column, the one a problem names."""
    names = names or {}
    failed = [(i, clause) for i, clause in enumerate(clauses) if int(aggregated[f"_bad_{i}"].sum())]
    if not failed:
        return []
    firsts = ", ".join(f"min(_row) FILTER (WHERE {c.row_condition}), "
                       f"arg_min({c.example}, _row) FILTER (WHERE {c.row_condition})" for _, c in failed)
    positions = log.relation is not None  # JSON pages: a place in the file, not a line
    if positions:
        firsts += ", " + ", ".join(f"arg_min(_position, _row) FILTER (WHERE {c.row_condition})" for _, c in failed)
    found = con.execute(f"SELECT {firsts} FROM (SELECT *, {log.row_sql} AS _row FROM _usage)").fetchall()[0]
    problems = []
    for k, (i, check) in enumerate(failed):
        column, label = names.get(check.column, check.column), check.label
        count = int(aggregated[f"_bad_{i}"].sum())
        row, example = found[2 * k], found[2 * k + 1]
        if count > 1:
            label += (f" ({format_number(count)} résultats ; le premier est celui-ci)" if positions
                      else f" ({format_number(count)} lignes ; la première est celle-ci)")
        if isinstance(example, str):
            example = re.sub(r"[\x00-\x1f\x7f]", "?", example)[:80]
        if positions:
            place = found[2 * len(failed) + k]
            problems.append(Problem(f"{label} — {place}" if place else label, file=log.name, column=column,
                                    value=example))
            continue
        problems.append(Problem(label, file=log.name, line=None if row is None else int(row) + log.first_line - 1,
                                column=column, value=example))
    return problems

