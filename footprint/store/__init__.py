"""The collectivité's inventory on disk: one DuckDB file with declarations, their history,
measurements, usage imports, scenarios and factor overrides.

Modules, bottom to top: ``errors`` (French ``StoreError`` family), ``schema`` (tables, version,
migrations, checks of a file's schema), ``connection`` (opening, locks, retries, transactions),
one module per kind of record (``declarations``, ``measurements``, ``scenarios``,
``factor_overrides``) and ``handle`` (``Store``, the public methods).
"""

from footprint.store.connection import default_path
from footprint.store.errors import StoreConflict, StoreDamaged, StoreError, StoreWriteError
from footprint.store.handle import Snapshot, Store
from footprint.store.schema import MIGRATIONS, SCHEMA_VERSION
from footprint.vocabulary import CONTENT_COLUMNS, DECLARATION_COLUMNS

__all__ = ["CONTENT_COLUMNS", "DECLARATION_COLUMNS", "MIGRATIONS", "SCHEMA_VERSION", "Snapshot", "Store",
           "StoreConflict", "StoreDamaged", "StoreError", "StoreWriteError", "default_path"]
