"""The volume of a declaration: how it is known (its level and its source) and, for a product of
the catalogue (« Microsoft 365 Copilot », « Le Chat Pro »), what the product adds to it.

Owns: the level of each declaration (``footprint.vocabulary.VOLUME_LEVELS``: measured energy,
counted tokens, counted messages, GPU hours, task units, active users, licences), its source
(``VOLUME_SOURCES``, read from its ``origin``), the product each declaration names, as valid in
its year, and the product's columns (provider, set of models, hosting, and the low and high ends
of its tokens per message, messages per user and day and share of licences really used), and the
messages per year of a number of users or licences at both ends (``yearly_messages``).

Must not: hold a number (every one is a row of the factor base's ``products`` table), check a
declaration (``rules``) or compute an impact (``footprint.engine``). Loops run over the few
distinct products and years, never over rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from footprint.factors import FactorBase, Product

# The product's columns ``product_columns`` gives, each a parameter of the catalogue at both ends.
SPANS = {"input": "input_tokens_per_message", "output": "output_tokens_per_message",
         "rate": "messages_per_user_per_day", "units": "units_per_user_per_day", "share": "active_share_of_licences",
         "reasoning": "reasoning_tokens_per_output_token"}
# The prefix of a declaration's ``origin`` -> its source (``VOLUME_SOURCES``); any other origin
# (a form, a declarations file, the example) is a service's own declaration.
ORIGIN_SOURCES = {"usage:": "gateway_log", "admin:": "admin_export", "mesure": "measurement",
                  "import:": "measurement", "enquete": "survey"}


def _given(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(False, index=frame.index)
    return pd.to_numeric(frame[column], errors="coerce").notna()


def volume_levels(frame: pd.DataFrame) -> pd.Series:
    """The level of each declaration (store columns), a code of ``VOLUME_LEVELS``: the finest
    volume it gives.

    >>> volume_levels(pd.DataFrame({"kind": ["llm", "llm", "llm", "gpu"], "licences": [150, None, None, None],
    ...                             "messages": [None, 3000, None, None], "output_tokens": [None, None, 1e6, None]}))
    ... # doctest: +NORMALIZE_WHITESPACE
    0    licences
    1    messages
    2      tokens
    3   gpu_hours
    dtype: string
    """
    kind = frame["kind"].astype("string")
    llm = np.select(
        [_given(frame, "output_tokens"), _given(frame, "messages") | _given(frame, "requests"),
         _given(frame, "users") | _given(frame, "agents"), _given(frame, "licences")],
        ["tokens", "messages", "users", "licences"], default="messages")
    other = kind.map({"gpu": "gpu_hours", "task": "units", "measured": "measured"})
    # A task product counted by its users or licences is known at that level, not by its units.
    task = np.select([_given(frame, "units"), _given(frame, "users") | _given(frame, "agents"),
                      _given(frame, "licences")], ["units", "users", "licences"], default="units")
    levels = pd.Series(np.where(kind == "llm", llm, np.where(kind == "task", task, other.fillna("messages"))),
                       index=frame.index, dtype="string")
    # A survey's messages are estimated from the users it extrapolates, not counted: that level.
    surveyed = (volume_sources(frame) == "survey") & kind.isin(["llm", "task"]).fillna(False)
    return levels.mask(surveyed, "users")


def volume_sources(frame: pd.DataFrame) -> pd.Series:
    """The source of each declaration's volume, a code of ``VOLUME_SOURCES``, from its origin."""
    origin = frame["origin"].astype("string").fillna("") if "origin" in frame else pd.Series(
        "", index=frame.index, dtype="string")
    source = pd.Series("declaration", index=frame.index, dtype="string")
    for prefix, code in ORIGIN_SOURCES.items():
        source = source.mask(origin.str.startswith(prefix), code)
    return source


def products_of(frame: pd.DataFrame, factors: FactorBase) -> list[Product | None]:
    """The product each declaration names (its id, label or an alias), as valid in its year; None
    where it names none or one the catalogue does not know (``rules`` says so)."""
    if "product" not in frame:
        return [None] * len(frame)
    names = frame["product"].astype("string")
    years = pd.to_numeric(frame["year"], errors="coerce") if "year" in frame else pd.Series(np.nan, index=frame.index)
    found: dict[tuple, Product | None] = {}
    out = []
    for name, year in zip(names, years):
        if name is pd.NA or not str(name).strip():
            out.append(None)
            continue
        key = (name, None if pd.isna(year) else int(year))
        if key not in found:
            product_id = factors.product_id(str(name))
            found[key] = None if product_id is None else factors.product(product_id, key[1])
        out.append(found[key])
    return out


def product_columns(frame: pd.DataFrame, factors: FactorBase) -> pd.DataFrame:
    """The catalogue's columns for each declaration naming a product (NaN or NA elsewhere):
    ``product`` (its id), ``kind`` (``llm`` or ``task``), ``task`` (a task product's task),
    ``valid_from``, ``provider``, ``models`` (its set, ``|``-separated), ``hosting``, and
    ``<span>_low`` / ``<span>_high`` for each of ``SPANS`` (NaN where the product has none)."""
    products = products_of(frame, factors)
    columns: dict[str, object] = {
        "product": [p.product if p else None for p in products],
        "kind": [p.kind if p else None for p in products],
        "task": [p.models[0] if p and p.kind == "task" else None for p in products],
        "valid_from": [float(p.valid_from) if p else np.nan for p in products],
        "provider": [p.provider if p else None for p in products],
        "models": ["|".join(p.models) if p else None for p in products],
        "hosting": [p.hosting if p else None for p in products],
    }
    for short, name in SPANS.items():
        for end, position in (("low", 0), ("high", 1)):
            columns[f"{short}_{end}"] = [p.span(name)[position] if p and f"{name}_min" in p.parameters else np.nan
                                         for p in products]
    out = pd.DataFrame(columns, index=frame.index)
    for text in ("product", "kind", "task", "provider", "models", "hosting"):
        out[text] = out[text].astype("string")
    return out


def yearly_messages(people, rate, days, share=1.0):
    """Messages per year of ``people`` active users (or licences, with ``share`` the share of
    licences really used) sending ``rate`` messages per day of use, ``days`` days a year. Works
    on scalars and whole arrays alike.

    >>> float(yearly_messages(150, 10.0, 228, 0.5))
    171000.0
    """
    return np.multiply(np.multiply(np.multiply(people, share), rate), days)
