"""Declarations of AI workloads: what they contain, how they are checked, and how they become
workloads for the engine.

A declaration says, in the user's own terms, what AI a service uses: "15 agents, about 20
requests a day each, drafting letters with Mistral Large". Its columns, their French headers and
its kinds are those of ``footprint.vocabulary`` (``FRENCH_COLUMNS`` is ``FILE_COLUMNS``). One room
per concept: ``spellings`` (plain keys and the other ways people write a header or a code),
``reading`` (a CSV/XLSX file read all or nothing, every bad row listed with its line, column,
value and a French reason), ``rules`` (a record parsed, the register fields, what each kind
requires, names checked by a dry run of the engine and normalised), ``workloads`` (volumes:
agents x requests per day x working days, requests or tokens per year, turned into the engine's
workload columns with the use-case profiles) and ``exporting`` (the French file written back,
the history of a declaration). Callers import from here.

Must not: write to the store (``footprint.store``) or compute impacts itself (``footprint.engine``).
"""

from footprint.inventory.declarations.exporting import export_declarations, history_changes, shown_value
from footprint.inventory.declarations.reading import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    REQUIRED_HEADER,
    file_sha256,
    read_declarations,
)
from footprint.inventory.declarations.rules import (
    BOUNDS,
    MAX_LISTED,
    check,
    check_names,
    normalise_names,
    parse_record,
    records_frame,
    rule_problems,
    validate_records,
)
from footprint.inventory.declarations.spellings import AI_ACT_LEVELS, HEADER_ALIASES, KIND_ALIASES, NO, YES, plain_key
from footprint.inventory.declarations.workloads import profile_of, to_workloads, use_case_profiles
from footprint.vocabulary import FILE_COLUMNS as FRENCH_COLUMNS
from footprint.vocabulary import KINDS_FR
from footprint.vocabulary import NUMBER_COLUMNS as NUMBER_FIELDS
from footprint.vocabulary import STORE_COLUMNS as ENGLISH_COLUMNS

__all__ = ["AI_ACT_LEVELS", "BOUNDS", "ENGLISH_COLUMNS", "FRENCH_COLUMNS", "HEADER_ALIASES", "KINDS_FR",
           "KIND_ALIASES", "MAX_FILE_BYTES", "MAX_LISTED", "MAX_ROWS", "NO", "NUMBER_FIELDS", "REQUIRED_HEADER",
           "YES", "check", "check_names", "export_declarations", "file_sha256", "history_changes", "normalise_names",
           "parse_record", "plain_key", "profile_of", "read_declarations", "records_frame", "rule_problems",
           "shown_value", "to_workloads", "use_case_profiles", "validate_records"]
