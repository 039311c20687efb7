"""The factor base as the library reads it: the sourced tables in DuckDB (``base``), a
collectivité's own values (``overrides``) and the provenance of every factor a result used
(``provenance``)."""

from footprint.factors.base import (
    LOCAL_SOURCE,
    FactorBase,
    delete_override,
    load_with_overrides,
    save_override,
    save_overrides,
)

__all__ = ["LOCAL_SOURCE", "FactorBase", "delete_override", "load_with_overrides", "save_override", "save_overrides"]
