"""The journal of a store: every change any table records, with who made it and when, read as one
table, newest first (issue 16: « qui a changé quoi, et quand »).

Each kind of record keeps its own history, and the journal only reads them: the versions of the
declarations (``declaration_history``: creation, modification, deletion, restoration,
validation, return to the declarant, each import's rows), the files imported (``imports``; a
survey's import is the survey's one change: its groups are replaced with each survey, so the
import row is what stays of it), the measured runs, the versions of the custom scenarios, the
authority's own factor values (added, replacing another, deleted), the basis of each tool's
figures, the collectivité's profile, the register of AI uses and the people of a shared
instance. Who is what each table recorded: the signed-in person's « Nom <e-mail> » on a shared
instance (``access.Actor.label``), the machine's user name on a single-user one.

Owns: ``KINDS`` (the French label of each kind of record), the ``entries`` query (one SQL
statement, a ``UNION ALL`` of the history tables, every value a person may type bound as a
parameter, never written into the SQL) and its filters: a period (dates of the store's time
zone, both ends included), a person and a text (substrings, case ignored), a kind.

Must not: write anything, open the file (``Store`` gives the connection), or shape the journal
for a file or a page (``footprint.reporting.journal``, the dashboard).
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pandas as pd

from footprint.io.writing import plain_number
from footprint.store.access import ROLES

# The kind of each change, as people read it (the ``kind`` column and its filter).
DECLARATION, IMPORT, MEASUREMENT, SCENARIO = "déclaration", "import", "mesure", "scénario"
FACTOR, PRODUCT_BASIS, AUTHORITY = "valeur de facteur", "base d'un outil", "profil de la collectivité"
REGISTER, SURVEY, USER = "registre", "enquête", "utilisateur"
KINDS = (DECLARATION, IMPORT, MEASUREMENT, SCENARIO, FACTOR, PRODUCT_BASIS, AUTHORITY, REGISTER, SURVEY, USER)
COLUMNS = ("at", "who", "kind", "record", "action", "detail")
_SELECTED = ", ".join(f'"{column}"' for column in COLUMNS)  # « at » is a word of SQL: quoted

# What an import's ``kind`` (``declarations``, ``usage:<preset>``, ``admin:<preset>``,
# ``enquete:<format>``) says of its file.
_IMPORT_SOURCES = {"declarations": "fichier de déclarations", "usage": "journal d'usage",
                   "admin": "export d'administration", "enquete": "réponses à l'enquête"}
_NUMBER_FUNCTION = "journal_french_number"


def _french_number(value: float) -> str:
    """A factor's value as the journal writes it: exact, decimal comma, never ``1e-05``."""
    return plain_number(value, ",")


# A factor's key (``{"hosting": "salle_serveurs"}``) as « hosting : salle_serveurs ».
_FACTOR_DETAIL = f"""concat_ws(' · ', f.table_name,
    f.parameter || ' = ' || {_NUMBER_FUNCTION}(f.value) || ' ' || f.unit,
    nullif(replace(regexp_replace(trim(f.key_json, '{{}}'), '"', '', 'g'), ':', ' :'), ''),
    CASE WHEN f.year IS NOT NULL THEN 'année ' || f.year END) || coalesce(' — ' || f.justification, '')"""
# The override a new one replaced: the same table, key and parameter, deleted by the same write.
_REPLACED = """(SELECT min(r.id) FROM factor_overrides r WHERE r.table_name = f.table_name
    AND r.key_json = f.key_json AND r.parameter = f.parameter AND r.deleted_at = f.created_at AND r.id <> f.id)"""
_REPLACING = """EXISTS (SELECT 1 FROM factor_overrides n WHERE n.table_name = f.table_name
    AND n.key_json = f.key_json AND n.parameter = f.parameter AND n.created_at = f.deleted_at AND n.id <> f.id)"""


def _import_source() -> str:
    """« journal d'usage litellm »: the source's label, then its preset or format."""
    cases = " ".join(f"WHEN $source_{name} THEN $source_label_{name}" for name in _IMPORT_SOURCES)
    return (f"CASE split_part(kind, ':', 1) {cases} ELSE kind END"
            " || coalesce(' ' || nullif(split_part(kind, ':', 2), ''), '')")


def _role_label() -> str:
    return "CASE role " + " ".join(f"WHEN $role_{code} THEN $role_label_{code}" for code in ROLES) + " ELSE role END"


# Each branch: at, who, kind, record, action, detail, then what orders the changes of one write
# (``source``: an import before the declarations it brought; ``sequence``: the version).
_CHANGES = f"""
SELECT h.changed_at AS "at", h.changed_by AS who, $declaration AS kind, h.id AS record, h.action AS action,
       concat_ws(' · ', CAST(h.year AS VARCHAR), h.service,
                 coalesce(h.product, h.provider || '/' || h.model, h.model, h.gpu, h.task), h.use_case)
         || CASE WHEN h.action = 'renvoi au déclarant' AND h.review_comment IS NOT NULL
                 THEN ' — commentaire : ' || h.review_comment ELSE '' END AS detail,
       1 AS source, h.version AS sequence
FROM declaration_history h
UNION ALL
SELECT imported_at, imported_by, CASE WHEN split_part(kind, ':', 1) = 'enquete' THEN $survey ELSE $import END,
       import_id, 'import',
       file_name || ' — ' || {_import_source()} || ' : ' || rows || ' ligne(s), ' || created || ' créée(s), '
         || modified || ' modifiée(s), ' || unchanged || ' inchangée(s)', 0, 0
FROM imports
UNION ALL
SELECT recorded_at, recorded_by, $measurement, run_id, 'ajout',
       concat_ws(' · ', name, service, 'déclaration ' || declaration_id), 2, 0
FROM measurements
UNION ALL
SELECT changed_at, changed_by, $scenario, id, action, label || ' (version ' || version || ')', 3, version
FROM scenario_history
UNION ALL
SELECT f.created_at, f.created_by, $factor, f.id,
       CASE WHEN {_REPLACED} IS NULL THEN 'ajout' ELSE 'modification' END,
       {_FACTOR_DETAIL} || coalesce(' (remplace ' || {_REPLACED} || ')', ''), 4, 1
FROM factor_overrides f
UNION ALL
SELECT f.deleted_at, f.deleted_by, $factor, f.id, 'suppression', {_FACTOR_DETAIL}, 4, 2
FROM factor_overrides f WHERE f.deleted AND f.deleted_at IS NOT NULL AND NOT {_REPLACING}
UNION ALL
SELECT saved_at, saved_by, $product_basis, product,
       CASE WHEN row_number() OVER (PARTITION BY product ORDER BY saved_at, rowid) = 1 THEN 'création'
            ELSE 'modification' END,
       'base : ' || basis || coalesce(' — ' || justification, ''), 5, 0
FROM product_bases
UNION ALL
SELECT saved_at, saved_by, $authority, name,
       CASE WHEN row_number() OVER (ORDER BY saved_at, rowid) = 1 THEN 'création' ELSE 'modification' END,
       concat_ws(' · ', 'SIREN ' || siren, population || ' habitants', agents || ' agents',
                 'objectif de baisse du PCAET : ' || {_NUMBER_FUNCTION}(target_reduction_pct) || ' %'
                   || coalesce(' en ' || target_year, '')), 6, 0
FROM authority_profile
UNION ALL
SELECT saved_at, saved_by, $register, entry_id,
       CASE WHEN deleted THEN 'suppression'
            WHEN lag(deleted) OVER (PARTITION BY entry_id ORDER BY version) THEN 'restauration'
            WHEN version = 1 THEN 'création' ELSE 'modification' END,
       concat_ws(' · ', fields_json ->> 'name', fields_json ->> 'service', fields_json ->> 'tool',
                 fields_json ->> 'use_case'), 7, version
FROM register_entries
UNION ALL
SELECT changed_at, changed_by, $user, email, action,
       concat_ws(' · ', name, 'rôle : ' || {_role_label()},
                 'services : ' || nullif(array_to_string(from_json(services_json, '["VARCHAR"]'), ', '), '')),
       8, version
FROM users
"""

_LABELS = {"declaration": DECLARATION, "import": IMPORT, "measurement": MEASUREMENT, "scenario": SCENARIO,
           "factor": FACTOR, "product_basis": PRODUCT_BASIS, "authority": AUTHORITY, "register": REGISTER,
           "survey": SURVEY, "user": USER}
_FIXED_PARAMETERS = {**_LABELS,
                     **{f"source_{name}": name for name in _IMPORT_SOURCES},
                     **{f"source_label_{name}": label for name, label in _IMPORT_SOURCES.items()},
                     **{f"role_{code}": code for code in ROLES},
                     **{f"role_label_{code}": label for code, label in ROLES.items()}}


def _day(value: date | str | None, name: str) -> date | None:
    """A day of the period: a ``date`` (a ``datetime`` gives its day) or its ISO text (AAAA-MM-JJ)."""
    if value is None or isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{name} : date invalide « {value} » (attendu AAAA-MM-JJ, une date qui existe)") from None


def entries(con: duckdb.DuckDBPyConnection, *, since: date | str | None = None, until: date | str | None = None,
            who: str | None = None, kind: str | None = None, text: str | None = None,
            limit: int | None = None) -> pd.DataFrame:
    """Every change the store records, newest first: ``at`` (TIMESTAMPTZ), ``who`` (as
    recorded), ``kind`` (one of ``KINDS``), ``record`` (the id of what changed: IA-00012, a
    scenario's id, VL-00003, an import's id, a user's e-mail…), ``action`` (as its table records
    it: « création (saisie) », « suppression », « validation », « import », « ajout »,
    « retrait »…) and ``detail`` (a short French text: a declaration's year, service, tool and
    use case; an import's file and counts; a factor value's table, parameter, value and unit…).

    Filters, each optional: ``since`` and ``until`` (days, both included, in the store's time
    zone), ``who`` and ``text`` (substrings, case ignored; ``text`` is looked for in ``record``
    and ``detail``), ``kind`` (one of ``KINDS``), ``limit`` (the newest rows only). A bad day or
    kind raises ``ValueError`` with a French message."""
    parameters: dict[str, object] = dict(_FIXED_PARAMETERS)
    conditions = []
    first, last = _day(since, "début de la période"), _day(until, "fin de la période")
    if first is not None:
        conditions.append('"at" >= CAST($since AS DATE)::TIMESTAMPTZ')
        parameters["since"] = first
    if last is not None:
        conditions.append('"at" < (CAST($until AS DATE) + INTERVAL 1 DAY)::TIMESTAMPTZ')
        parameters["until"] = last
    if who:
        conditions.append("contains(lower(who), lower($who))")
        parameters["who"] = str(who)
    if kind:
        if kind not in KINDS:
            raise ValueError(f"type inconnu « {kind} » : les types sont {', '.join(KINDS)}")
        conditions.append("kind = $kind")
        parameters["kind"] = kind
    if text:
        conditions.append("(contains(lower(record), lower($text)) OR contains(lower(detail), lower($text)))")
        parameters["text"] = str(text)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    bounded = ""
    if limit is not None:
        if int(limit) < 0:
            raise ValueError(f"nombre de lignes négatif ({limit})")
        bounded, parameters["limit"] = "LIMIT $limit", int(limit)
    sql = (f"SELECT {_SELECTED} FROM ({_CHANGES}) {where} "
           f'ORDER BY "at" DESC, source, record DESC, sequence DESC {bounded}')
    con.create_function(_NUMBER_FUNCTION, _french_number, ["DOUBLE"], "VARCHAR", side_effects=False)
    try:
        return con.execute(sql, parameters).df()
    finally:
        con.remove_function(_NUMBER_FUNCTION)
