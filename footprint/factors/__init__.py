"""The factor base as the library reads it: the sourced tables in DuckDB and their lookups
(``base``, with ``cache``, ``connection``, ``mix`` and ``products`` behind it), a collectivité's
own values (``overrides`` checks and saves them, ``derived`` builds the base they apply to) and
the provenance of every factor a result used (``provenance``)."""

from footprint.factors.base import FactorBase, load_with_overrides
from footprint.factors.derived import LOCAL_SOURCE
from footprint.factors.overrides import delete_override, save_override, save_overrides
from footprint.factors.products import Product

__all__ = ["LOCAL_SOURCE", "FactorBase", "Product", "delete_override", "load_with_overrides", "save_override",
           "save_overrides"]
