"""The collectivité's inventory on disk: one DuckDB file with declarations, their history,
measurements, usage imports, scenarios and factor overrides."""

from footprint.store.database import (
    CONTENT_COLUMNS,
    DECLARATION_COLUMNS,
    MIGRATIONS,
    SCHEMA_VERSION,
    Snapshot,
    Store,
    StoreConflict,
    StoreDamaged,
    StoreError,
    StoreWriteError,
    default_path,
)

__all__ = ["CONTENT_COLUMNS", "DECLARATION_COLUMNS", "MIGRATIONS", "SCHEMA_VERSION", "Snapshot", "Store",
           "StoreConflict", "StoreDamaged", "StoreError", "StoreWriteError", "default_path"]
