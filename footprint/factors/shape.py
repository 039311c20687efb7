"""What the overrides and the derived base read of a factor base, as a protocol: ``FactorBase``
(``base``) is built on ``overrides`` and ``derived``, so they name its shape here instead of
importing it back.

Owns: the attributes those two modules use. Must not: hold code or data.
"""

from __future__ import annotations

import threading
from typing import Protocol

import pandas as pd

from emission_factors.loader import FactorBaseInfo
from footprint.factors.connection import SharedConnection


class FactorTables(Protocol):
    """A factor base: its info (version, tables), its connection, the base of its files
    (``_origin``) and the cache of bases derived from it."""

    info: FactorBaseInfo
    con: SharedConnection
    _origin: FactorTables
    _with_overrides: dict
    _with_overrides_lock: threading.Lock

    @property
    def version(self) -> str: ...

    def parameter_tables(self) -> list[str]: ...

    def _query(self, sql: str, params: list, frame: bool = False) -> list[tuple] | pd.DataFrame: ...
