"""What a preset reads of an admin export, before any service is known: each user's activity
per product over the export's period, and the preset itself (its file, its products).

Owns: the shape every preset returns (``Activity``: one row per user and product, built by
``user_rows``; the period and where its ends and the year were read) and describes itself with
(``Preset``).

Must not: read a file (each preset module reads its own format through ``files``), map users to
services or write anything (``importing``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

# The columns of ``Activity.users``.
USER, OTHER_KEY, PRODUCT, MESSAGES, ACTIVE, ACTIVE_DAYS = ("user", "other_key", "product", "messages", "active",
                                                            "active_days")
# The levels of volume an export gives (those of ``footprint.inventory.products.LEVELS`` it can count).
MESSAGES_LEVEL, USERS_LEVEL = "messages", "users"


def user_rows(users: pd.Series, product: str, active, messages=np.nan, active_days: pd.Series | None = None,
              other_key: pd.Series | None = None) -> pd.DataFrame:
    """The rows of ``Activity.users`` for one product: each user, whether active in the period,
    its messages (NaN when not counted) and days of use (NaN when not given)."""
    return pd.DataFrame({USER: users, OTHER_KEY: pd.NA if other_key is None else other_key, PRODUCT: product,
                         MESSAGES: messages,
                         ACTIVE: pd.Series(active, index=users.index).fillna(False).astype(bool),
                         ACTIVE_DAYS: np.nan if active_days is None else active_days})


@dataclass(frozen=True)
class Activity:
    """What an export says, user by user. ``users``: one row per user and product, with ``user``
    (the user as the file writes it, compared later as a plain key), ``other_key`` (another
    identifier the mapping may use, or NA), ``product`` (a catalogue id), ``messages`` (counted
    over the period; NaN at the ``users`` level), ``active`` (whether the user used the product in
    the period) and ``active_days`` (days of use in the period, NaN when the export does not say).
    ``period_days``: the days the export covers; ``start``, ``end``: its first and last day when
    known; ``year``: the inventory year its end falls in, and ``year_from`` what it was read from
    (French); ``user_count``: the distinct users of the file; ``notes``: what was deduced (French)."""

    file_name: str
    digest: str
    rows: int
    user_count: int
    users: pd.DataFrame
    level: str
    period_days: float
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    year: int | None
    year_from: str | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Preset:
    """One admin export format. ``label``: the product family as people call it; ``description``:
    what the file is and where a DSI downloads it (French); ``products``: the catalogue ids it
    declares, the default first; ``choosable``: whether the caller chooses among them (the export
    cannot tell the plan); ``count_noun``: what its counts count (« invites », « messages »);
    ``read(source, name, product, period_days)``: the ``Activity`` of a file."""

    name: str
    label: str
    description: str
    products: tuple[str, ...]
    choosable: bool
    count_noun: str
    read: Callable[[Path | str | bytes, str | None, str, float | None], Activity]
