"""The checks of a usage log's values, counted in the scan that aggregates it.

Owns: what makes a row of a log wrong (an unreadable time, a missing, negative, ambiguous or
implausible number of tokens or requests, a missing model, a row swallowed by an open quote, a
control character in a name), the SQL that counts each failure in the same pass as the monthly
totals, and the French problems of the failed checks, each with its count, its first bad line
and that line's value (found by a second scan, made only when a check failed).

Must not: read the file other than through the view ``_usage`` that ``importing`` creates.
"""

from __future__ import annotations

import re

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
                 **{f: "estimation de la passerelle non numérique ou négative" for f in GATEWAY_FIELDS}}
# What no name may hold (as ``tabular`` refuses it): C0 and C1 controls, U+FFFE and U+FFFF.
_CONTROL_CHARACTER = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]"
_CONTROL_SQL = "regexp_matches({x}, '[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x{{9f}}\\x{{fffe}}\\x{{ffff}}]')"
# A line break inside a cell of a log: a quote left open has swallowed the following rows.
_SWALLOWED = ("CSV mal formé : un guillemet ouvert dans cette ligne n'est pas refermé avant la fin de la ligne, et "
              "les lignes suivantes seraient lues comme le texte d'une seule cellule ; refermez le guillemet")


def value_checks(con: duckdb.DuckDBPyConnection) -> list[tuple]:
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


def check_sql(clauses: list[tuple]) -> str:
    """Aggregates counting each check's failures, computed in the same scan as the monthly
    totals (one pass over a 10-million-row log, not two)."""
    return "".join(f", count(*) FILTER (WHERE {condition}) AS _bad_{i}"
                   for i, (_, _, condition, _) in enumerate(clauses))


def control_checks(aggregated: pd.DataFrame) -> list[tuple]:
    """The checks for control characters in the names (provider, model, service), made only for
    the names where ``aggregated`` shows one: they are looked for in the grouped names (hundreds),
    not in every row."""
    return [(field, "caractère de contrôle invisible (collé depuis un autre logiciel ?) : retirez-le",
             _CONTROL_SQL.format(x=field), field) for field in TEXT_FIELDS
            if aggregated[field].astype("string").str.contains(_CONTROL_CHARACTER, na=False).any()]


def check_problems(con: duckdb.DuckDBPyConnection, aggregated: pd.DataFrame, clauses: list[tuple],
                   log: Log) -> list[Problem]:
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

