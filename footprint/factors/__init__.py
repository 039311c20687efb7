"""The factor base as the library reads it: the sourced tables in DuckDB and their lookups
(``base``, with ``cache``, ``connection`` and ``mix`` behind it), a collectivité's own values
(``overrides`` checks and saves them, ``derived`` builds the base they apply to) and the
provenance of every factor a result used (``provenance``)."""

from footprint.factors.base import FactorBase, load_with_overrides
from footprint.factors.derived import LOCAL_SOURCE
from footprint.factors.overrides import delete_override, save_override, save_overrides

__all__ = ["LOCAL_SOURCE", "FactorBase", "delete_override", "load_with_overrides", "save_override", "save_overrides"]
