"""What an Empreinte IA store holds: its tables, its schema version and the migrations that bring
an older file to it, and the checks of an existing file's schema.

Owns: ``SCHEMA_VERSION``, ``MIGRATIONS`` (version N-1 -> N, never edited once shipped; the
declarations tables are built from ``footprint.vocabulary``), ``MEASUREMENT_COLUMNS``,
``SCHEMA_TABLES``, ``REVISION_SQL`` (what changes whenever any table changes), reading the
version in ``meta`` (``identify`` refuses a DuckDB file of another application or of a newer
Empreinte IA), reading every block once (``verify``: a damaged file is found before anything is
written) and running the migrations (``migrate``, one transaction each).

Must not: open or lock the file (``connection``) or read or write records.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from footprint.store import register as register_tables
from footprint.store import survey as survey_tables
from footprint.store import users as user_tables
from footprint.store.errors import StoreDamaged, StoreError
from footprint.vocabulary import DECLARATION_COLUMNS

SCHEMA_VERSION = 10

# The declaration columns of version 1, frozen: a shipped migration never changes, a new column
# of ``footprint.vocabulary`` is added by a migration of its own (``ADDED_COLUMNS``).
_VERSION_1_COLUMNS = (
    "id", "year", "service", "use_case", "kind", "provider", "model", "hosting", "zone", "agents",
    "requests_per_agent_per_day", "days_per_year", "requests", "input_tokens_per_request",
    "output_tokens_per_request", "input_tokens", "output_tokens", "gpu", "gpus", "hours", "utilization", "pue",
    "wue", "task", "units", "energy_kwh", "owner", "personal_data", "ai_act_risk", "human_oversight", "comment",
    "origin", "gateway_kwh_min", "gateway_kwh_max", "gateway_kgco2e_min", "gateway_kgco2e_max")
VERSION_1_DECLARATION_COLUMNS = {name: DECLARATION_COLUMNS[name] for name in _VERSION_1_COLUMNS}
# The declaration columns each later migration adds (to the declarations and their history).
ADDED_COLUMNS: dict[int, tuple[str, ...]] = {6: ("product", "users", "licences", "messages", "reasoning"),
                                             9: ("volume_high",)}

# The review of a declaration (migration 10): audit columns, like ``version``, not content.
REVIEW_COLUMNS_SQL = ("review VARCHAR DEFAULT 'validée'", "review_comment VARCHAR")
REVIEW_COLUMNS = ("review", "review_comment")

# One row per measured run (CodeCarbon), linked to a ``measured`` declaration.
MEASUREMENT_COLUMNS: dict[str, str] = {
    "run_id": "VARCHAR",
    "name": "VARCHAR",
    "service": "VARCHAR",
    "year": "INTEGER",
    "declaration_id": "VARCHAR",
    "command": "VARCHAR",
    "country_iso_code": "VARCHAR",
    "started_at": "TIMESTAMPTZ",
    "ended_at": "TIMESTAMPTZ",
    "duration_s": "DOUBLE",
    "energy_kwh": "DOUBLE",
    "cpu_energy_kwh": "DOUBLE",
    "gpu_energy_kwh": "DOUBLE",
    "ram_energy_kwh": "DOUBLE",
    "codecarbon_kgco2e": "DOUBLE",
    "gwp_kgco2e": "DOUBLE",
    "gwp_factor_kgco2e_per_kwh": "DOUBLE",
    "gwp_factor_source": "VARCHAR",
    "cpu_model": "VARCHAR",
    "cpu_count": "DOUBLE",
    "gpu_model": "VARCHAR",
    "gpu_count": "DOUBLE",
    "tracking_mode": "VARCHAR",
    "codecarbon_version": "VARCHAR",
    "exit_code": "INTEGER",
    "status": "VARCHAR",
    "status_detail": "VARCHAR",
    "tokens": "DOUBLE",
    "units": "DOUBLE",
    "task": "VARCHAR",
    "provider": "VARCHAR",
    "model": "VARCHAR",
    "origin": "VARCHAR",
    "recorded_at": "TIMESTAMPTZ",
    "recorded_by": "VARCHAR",
}


def _columns_sql(columns: dict[str, str]) -> str:
    return ",\n  ".join(f"{name} {kind}" for name, kind in columns.items())


# Each migration brings the schema from version N-1 to N. Never edit one that has shipped.
MIGRATIONS: dict[int, str] = {
    1: f"""
CREATE TABLE declarations (
  {_columns_sql(VERSION_1_DECLARATION_COLUMNS)},
  version INTEGER NOT NULL,
  deleted BOOLEAN NOT NULL DEFAULT false,
  created_at TIMESTAMPTZ NOT NULL,
  created_by VARCHAR NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  updated_by VARCHAR NOT NULL,
  PRIMARY KEY (id)
);
CREATE TABLE declaration_history (
  {_columns_sql(VERSION_1_DECLARATION_COLUMNS)},
  version INTEGER NOT NULL,
  deleted BOOLEAN NOT NULL,
  action VARCHAR NOT NULL,
  changed_at TIMESTAMPTZ NOT NULL,
  changed_by VARCHAR NOT NULL,
  import_id VARCHAR
);
CREATE TABLE imports (
  import_id VARCHAR PRIMARY KEY,
  kind VARCHAR NOT NULL,
  file_name VARCHAR NOT NULL,
  file_sha256 VARCHAR NOT NULL,
  rows INTEGER NOT NULL,
  created INTEGER NOT NULL,
  modified INTEGER NOT NULL,
  unchanged INTEGER NOT NULL,
  imported_at TIMESTAMPTZ NOT NULL,
  imported_by VARCHAR NOT NULL
);
""",
    2: "CREATE TABLE measurements (\n  " + _columns_sql(MEASUREMENT_COLUMNS) + ",\n  PRIMARY KEY (run_id)\n);",
    3: """
CREATE TABLE scenarios (
  id VARCHAR PRIMARY KEY,
  label VARCHAR NOT NULL,
  definition VARCHAR NOT NULL,
  deleted BOOLEAN NOT NULL DEFAULT false,
  saved_at TIMESTAMPTZ NOT NULL,
  saved_by VARCHAR NOT NULL
);
""",
    # The authority's own value of one numeric factor (a row of a factor table), with its
    # justification; replacing or deleting one only marks it deleted, so that the history stays.
    4: """
CREATE TABLE factor_overrides (
  id VARCHAR PRIMARY KEY,
  table_name VARCHAR NOT NULL,
  key_json VARCHAR NOT NULL,
  parameter VARCHAR NOT NULL,
  value DOUBLE NOT NULL,
  unit VARCHAR NOT NULL,
  year INTEGER,
  justification VARCHAR NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  created_by VARCHAR NOT NULL,
  deleted BOOLEAN NOT NULL DEFAULT false,
  deleted_at TIMESTAMPTZ,
  deleted_by VARCHAR
);
""",
    # Every version of each custom scenario (saving one with an existing id used to replace it for
    # good); the scenarios a version-4 file holds become their version 1.
    5: """
CREATE TABLE scenario_history (
  id VARCHAR NOT NULL,
  version INTEGER NOT NULL,
  label VARCHAR NOT NULL,
  definition VARCHAR NOT NULL,
  deleted BOOLEAN NOT NULL,
  action VARCHAR NOT NULL,
  changed_at TIMESTAMPTZ NOT NULL,
  changed_by VARCHAR NOT NULL
);
INSERT INTO scenario_history
  SELECT id, 1, label, definition, deleted, 'reprise (mise à jour du schéma)', saved_at, saved_by FROM scenarios;
""",
    # The product a declaration names (« Microsoft 365 Copilot »), its volume as people know it
    # (active users, licences, messages per year) and whether it is used in its reasoning mode.
    # Existing declarations keep them empty.
    # The basis the authority chose for the figures of a product (our estimate, the provider's
    # disclosure, or both): one row per choice, never updated, the latest one holds.
    6: "\n".join(f"ALTER TABLE {table} ADD COLUMN {name} {DECLARATION_COLUMNS[name]};"
                 for table in ("declarations", "declaration_history") for name in ADDED_COLUMNS[6]) + """
CREATE TABLE product_bases (
  product VARCHAR NOT NULL,
  basis VARCHAR NOT NULL,
  justification VARCHAR,
  saved_at TIMESTAMPTZ NOT NULL,
  saved_by VARCHAR NOT NULL
);
""",
    # The collectivité's profile (name, SIREN, population, head-count, its latest BEGES and
    # territorial totals, its PCAET target): one row per change, never updated, the latest holds.
    7: """
CREATE TABLE authority_profile (
  name VARCHAR NOT NULL,
  siren VARCHAR,
  population BIGINT,
  agents BIGINT,
  beges_tco2e DOUBLE,
  beges_year INTEGER,
  territory_tco2e DOUBLE,
  territory_year INTEGER,
  target_reduction_pct DOUBLE,
  target_year INTEGER,
  saved_at TIMESTAMPTZ NOT NULL,
  saved_by VARCHAR NOT NULL
);
""",
    # The diagnostic survey's anonymous aggregates and the register of AI uses (each table's
    # definition lives with its rows: ``survey``, ``register``).
    8: survey_tables.TABLES_SQL + register_tables.TABLES_SQL,
    # The high end of a volume known as a range (a survey's extrapolation: messages or units at
    # both ends of its sampling interval); ``messages`` or ``units`` is then the low end.
    9: "\n".join(f"ALTER TABLE {table} ADD COLUMN {name} {DECLARATION_COLUMNS[name]};"
                 for table in ("declarations", "declaration_history") for name in ADDED_COLUMNS[9]),
    # A shared instance (issue 16): the people and their roles, and the review of each declaration
    # (« validée », « à valider » when an agent wrote it, « renvoyée » with the référent's comment).
    # What a single-user store already holds was written with every right: it stays validated.
    10: user_tables.TABLES_SQL + "\n".join(
        f"ALTER TABLE {table} ADD COLUMN {name};" for table in ("declarations", "declaration_history")
        for name in REVIEW_COLUMNS_SQL),
}
assert set(VERSION_1_DECLARATION_COLUMNS).union(*ADDED_COLUMNS.values()) == set(DECLARATION_COLUMNS), \
    "a column of footprint.vocabulary has no migration that adds it"
# The tables of the schema (what the integrity check reads in full when a file is first opened).
SCHEMA_TABLES = ("meta", "declarations", "declaration_history", "imports", "measurements", "scenarios",
                 "factor_overrides", "scenario_history", "product_bases", "authority_profile",
                 *survey_tables.TABLES, *register_tables.TABLES, *user_tables.TABLES)

# What ``Store.revision`` reads: for each table, enough to see any insert, update or soft deletion
# (every change of a declaration adds a history row; the other tables insert or flag rows).
REVISION_SQL = """
SELECT
  (SELECT count(*) FROM declaration_history), (SELECT max(changed_at) FROM declaration_history),
  (SELECT count(*) FROM declarations), (SELECT max(updated_at) FROM declarations),
  (SELECT count(*) FROM measurements), (SELECT max(recorded_at) FROM measurements),
  (SELECT count(*) FROM imports), (SELECT max(imported_at) FROM imports),
  (SELECT count(*) FROM scenarios), (SELECT count(*) FILTER (WHERE deleted) FROM scenarios),
  (SELECT max(saved_at) FROM scenarios),
  (SELECT count(*) FROM factor_overrides), (SELECT count(*) FILTER (WHERE deleted) FROM factor_overrides),
  (SELECT max(greatest(created_at, coalesce(deleted_at, created_at))) FROM factor_overrides),
  (SELECT count(*) FROM product_bases), (SELECT max(saved_at) FROM product_bases),
  (SELECT count(*) FROM authority_profile), (SELECT max(saved_at) FROM authority_profile),
  """ + survey_tables.REVISION_SQL + ",\n  " + register_tables.REVISION_SQL + ",\n  " + user_tables.REVISION_SQL + "\n"


def stored_version(con: duckdb.DuckDBPyConnection) -> tuple | None:
    """The ``schema_version`` row of ``meta`` (its text, as stored), or None when there is none."""
    return (con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall() or [None])[0]


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [row[0] for row in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main'").fetchall()]


def identify(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """The schema version of an existing file; ``StoreError`` for a DuckDB file of another
    application (no ``meta`` table) or one from a newer version of Empreinte IA."""
    if "meta" not in _tables(con):
        raise StoreError(
            f"{path} est une base DuckDB, mais pas une base Empreinte IA (pas de table « meta » avec "
            "la version du schéma) : elle n'a pas été modifiée. Vérifiez le chemin (--db) ; pour une nouvelle "
            "base, indiquez un fichier qui n'existe pas encore.")
    row = stored_version(con)
    try:
        version = int(row[0]) if row else 0
    except (TypeError, ValueError):
        raise StoreDamaged(f"La base {path} a une version de schéma illisible (« {row[0]} ») : elle n'a pas "
                           "été modifiée.") from None
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"La base {path} a été créée par une version plus récente d'Empreinte IA (schéma {version}, "
            f"cette version connaît le schéma {SCHEMA_VERSION}). Mettez l'outil à jour ; la base n'a pas été "
            "modifiée.")
    return version


def verify(con: duckdb.DuckDBPyConnection) -> None:
    """Read every column of every table once: DuckDB checks each block it reads, so a truncated
    or altered file is found now, before anything is written (a few ms per 10 000 rows)."""
    for table in [name for name in _tables(con) if name in SCHEMA_TABLES]:
        con.execute(f'SELECT bit_xor(hash(COLUMNS(*))) FROM "{table}"').fetchall()


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Undo the open transaction, if any (a failed COMMIT already ended it)."""
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:  # no transaction left: nothing to undo
        pass


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Bring the schema to ``SCHEMA_VERSION``, one transaction per migration (re-reading the
    version inside it: another process may have upgraded the file meanwhile). The caller holds
    the file's write lock."""
    while True:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
            row = stored_version(con)
            version = int(row[0]) if row else 0
            if version >= SCHEMA_VERSION:
                con.execute("COMMIT")
                return
            con.execute(MIGRATIONS[version + 1])
            con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(version + 1)])
            con.execute("COMMIT")
        except BaseException:
            rollback(con)
            raise
