"""From a product of the catalogue (ChatGPT, Microsoft 365 Copilot, Le Chat, Albert…) and what a
collectivité knows of its use to one range of impacts: product → messages per year → tokens →
the engine.

Owns: finding the product a person named (``find_product``: an unknown name gets the closest
products), the three levels of volume (``LEVELS``, finest first: messages per year; active users
× messages per user and day × days of use; licences × the share of licences really used × the
same) and the messages per year each gives, the workloads of a product (one ``llm`` workload per
model of its set and end of the range), their combination into one range and the factors behind
it. Every function is pure: it reads the factor base, writes nothing.

The range: at ``low``, the fewest messages with the fewest tokens per message; at ``high``, the
most with the most; at ``central``, the geometric mean of both ends for the messages and for each
kind of token. Low is the lowest low of the models at the low setting, high the highest high at
the high setting, central the mean over the models of the engine's centrals at the central
setting (every model of the set is taken as equally likely). Each impact is combined on its own:
the ends of a total need not be the sums of the ends of its parts, taken from other models.

Must not: hold a number (tokens, messages, days and shares are rows of the factor base, the
plausible values typed are ``schema.toml`` [inputs]), compute an impact itself
(``footprint.engine`` does), parse a command line or print (``cli``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import pandas as pd

from core.errors import InputError, Problem
from core.units import ureg
from emission_factors.schema import read_input_bounds
from footprint.engine import ENDS, IMPACT_KEYS, compute_impacts
from footprint.factors import FactorBase, Product
from footprint.factors.provenance import factors_used

# The levels of volume, from the finest (the narrowest range) to the coarsest.
LEVELS = ("messages", "users", "licences")
# Each value typed for a product -> the entry of schema.toml [inputs] that bounds it.
INPUT_BOUNDS = {"messages": "requests", "users": "agents", "licences": "agents",
                "messages_per_user_per_day": "requests_per_agent_per_day", "days": "days_per_year"}
# The constant of the factor base that gives the days of use when nobody says.
WORKING_DAYS = "working_days_per_year"
# The parameters of a product (``name_min`` and ``name_max`` in the catalogue).
INPUT_TOKENS, OUTPUT_TOKENS = "input_tokens_per_message", "output_tokens_per_message"
MESSAGES_PER_DAY, ACTIVE_SHARE = "messages_per_user_per_day", "active_share_of_licences"
# The workload column that says at which end of the range a workload is set.
SETTING = "setting"
LOW, CENTRAL, HIGH = ENDS
YEARLY = "message / year"


def find_product(factors: FactorBase, text: str, year: int | None = None) -> Product:
    """The product ``text`` names (id, label or alias, whatever the case, accents, spaces or
    punctuation), as it is in ``year``. Raises ``InputError`` (column ``product``) naming the
    closest products for an unknown name, and for a product that is not a language model."""
    product_id = factors.product_id(text or "")
    if product_id is None:
        close = factors.suggest_products(text or "")
        hint = f" ; produits proches : {', '.join(close)}" if close else ""
        raise InputError([Problem(f"produit inconnu du catalogue{hint}", column="product", value=text)])
    product = factors.product(product_id, year)
    if product.kind != "llm":
        raise InputError([Problem(f"« {product.label} » n'est pas un modèle de langage : son estimation par "
                                  "produit n'est pas encore possible", column="product", value=text)])
    return product


def geometric_mean(low: float, high: float) -> float:
    """The middle of a range spanning orders of magnitude: √(low × high).

    >>> geometric_mean(10.0, 1000.0)
    100.0
    """
    return math.sqrt(low * high)


def _span(low: float, high: float) -> dict[str, float]:
    return {LOW: low, CENTRAL: geometric_mean(low, high), HIGH: high}


@dataclass(frozen=True)
class Volume:
    """The messages per year of a use, at each end of the range (``messages``), from one level:
    ``count`` messages per year, active users or licences. The rest says what it took: messages
    per user and day and days of use per year (typed, or the product's and the base's), and the
    share of licences really used (``licences`` only); ``typed``: those a person gave."""

    level: str
    count: float
    messages: dict[str, float]
    messages_per_user_per_day: tuple[float, float] | None = None
    days_per_year: float | None = None
    active_share: tuple[float, float] | None = None
    typed: frozenset[str] = field(default_factory=frozenset)

    def as_dict(self) -> dict:
        """The volume as ``estimate product --json`` gives it."""
        pairs = {MESSAGES_PER_DAY: self.messages_per_user_per_day, ACTIVE_SHARE: self.active_share}
        return {"level": self.level, "count": self.count, "messages_per_year": dict(self.messages),
                **{name: None if pair is None else {"min": pair[0], "max": pair[1]} for name, pair in pairs.items()},
                "days_per_year": self.days_per_year, "typed": sorted(self.typed)}


def _bounds_problems(values: dict[str, float | None]) -> list[Problem]:
    """A value typed beyond its plausible range of schema.toml [inputs], in French."""
    bounds = read_input_bounds()
    problems = []
    for name, value in values.items():
        bound = bounds[INPUT_BOUNDS[name]]
        if value is not None and not bound.minimum <= value <= bound.maximum:
            reason = "valeur négative" if value < 0 else (
                f"valeur invraisemblable (attendue entre {bound.minimum:g} et {bound.maximum:g})")
            problems.append(Problem(reason, column=name, value=value))
    return problems


def message_volume(factors: FactorBase, product: Product, level: str, count: float, *,
                   messages_per_user_per_day: float | None = None, days: float | None = None) -> Volume:
    """The messages per year of ``count`` (messages per year, active users or licences, as
    ``level`` says). For users and licences: × messages per user and day (``messages_per_user_per_day``,
    else the product's range) × days of use per year (``days``, else the base's working days);
    licences also × the product's share of licences really used. Raises ``InputError`` for an
    unknown level, a value beyond its plausible range, or a rate given with a count of messages."""
    if level not in LEVELS:
        raise InputError([Problem(f"niveau de volume inconnu (attendus : {', '.join(LEVELS)})", column="level",
                                  value=level)])
    rates = {MESSAGES_PER_DAY: messages_per_user_per_day, "days": days}
    problems = _bounds_problems({level: count, **rates})
    if level == "messages":
        problems += [Problem("ne s'applique qu'à un nombre d'utilisateurs ou de licences : un nombre de messages "
                             "n'en a pas besoin", column=name, value=value)
                     for name, value in rates.items() if value is not None]
    if problems:
        raise InputError(problems)
    if level == "messages":
        return Volume(level, count, _span(count, count))
    typed = frozenset(name for name, value in rates.items() if value is not None)
    per_day = product.span(MESSAGES_PER_DAY) if messages_per_user_per_day is None else (
        messages_per_user_per_day, messages_per_user_per_day)
    days_of_use = factors.constant(WORKING_DAYS) if days is None else ureg.Quantity(days, "day / year")
    share = product.span(ACTIVE_SHARE) if level == "licences" else None
    users = (count * share[0], count * share[1]) if share else (count, count)
    per_day_unit = factors.unit("products", f"{MESSAGES_PER_DAY}_min")
    yearly = [(ureg.Quantity(u * m, per_day_unit) * days_of_use).m_as(YEARLY) for u, m in zip(users, per_day)]
    return Volume(level, count, _span(*yearly), per_day, days_of_use.m_as("day / year"), share, typed)


def product_workloads(product: Product, volume: Volume, where: dict | None = None) -> pd.DataFrame:
    """The ``llm`` workloads of a product: for each model of its set, one per end of the range
    (column ``setting``), each message one request of the model. ``where``: the hosting, zone,
    pue, wue, year and mix_dataset of the workloads (empty ones dropped; hosting: the product's
    unless given)."""
    place = {"hosting": product.hosting} | {k: v for k, v in (where or {}).items() if v is not None and v != ""}
    tokens = {"input_tokens_per_request": _span(*product.span(INPUT_TOKENS)),
              "output_tokens_per_request": _span(*product.span(OUTPUT_TOKENS))}
    rows = [{"kind": "llm", "provider": product.provider, "model": model, **place, SETTING: end,
             "requests": volume.messages[end], **{column: span[end] for column, span in tokens.items()}}
            for model in product.models for end in ENDS]
    return pd.DataFrame(rows)


def combine(workloads: pd.DataFrame, result: pd.DataFrame) -> dict[str, dict[str, float]]:
    """One range per impact over the models: the lowest low at the low setting, the highest high
    at the high setting, the mean of the centrals at the central setting."""
    setting = workloads[SETTING].to_numpy()
    return {key: {LOW: float(result[f"{key}_{LOW}"][setting == LOW].min()),
                  CENTRAL: float(result[f"{key}_{CENTRAL}"][setting == CENTRAL].mean()),
                  HIGH: float(result[f"{key}_{HIGH}"][setting == HIGH].max())} for key in IMPACT_KEYS}


def _entry(table: str, key: str, row: dict) -> dict:
    return {"name": row["parameter"], "table": table, "key": key,
            **{k: row[k] for k in ("value", "unit", "year", "source", "source_url")}}


def product_factors(factors: FactorBase, product: Product, volume: Volume, workloads: pd.DataFrame,
                    include_input_tokens: bool = False) -> list[dict]:
    """Every factor behind a product's estimate, each once: the product's parameters it used,
    the working days when no days were typed, then those of each model's central workload."""
    used = [OUTPUT_TOKENS] + ([INPUT_TOKENS] if include_input_tokens else [])
    if volume.level != "messages" and MESSAGES_PER_DAY not in volume.typed:
        used.append(MESSAGES_PER_DAY)
    if volume.active_share is not None:
        used.append(ACTIVE_SHARE)
    key = f"{product.product} / {product.valid_from}"
    rows = factors.source_rows("products", "product = ? AND valid_from = ?", [product.product, str(product.valid_from)])
    entries = [_entry("products", key, row) for row in rows if row["parameter"].rsplit("_", 1)[0] in used]
    if volume.level != "messages" and "days" not in volume.typed:
        entries += [_entry("constants", "", row) for row in factors.constant_sources([WORKING_DAYS])]
    central = workloads[workloads[SETTING] == CENTRAL].drop(columns=SETTING)
    for workload in central.to_dict("records"):
        entries += factors_used(factors, workload, include_input_tokens)
    return list({(e["table"], e["key"], e["name"]): e for e in entries}.values())


@dataclass(frozen=True)
class ProductEstimate:
    """A product's estimate: its volume, workloads, one range per impact (``{impact: {"low",
    "central", "high"}}``), the engine's warnings and the factors behind it."""

    product: Product
    volume: Volume
    workloads: pd.DataFrame
    impacts: dict[str, dict[str, float]]
    warnings: list[str]
    factors: list[dict]


def estimate_product(factors: FactorBase, product: Product, volume: Volume, where: dict | None = None, *,
                     include_input_tokens: bool = False) -> ProductEstimate:
    """The impacts of a product's use (``product_workloads`` through ``compute_impacts``,
    ``combine``d). Raises ``InputError`` for what the engine refuses (an unknown zone…), each
    problem once."""
    workloads = product_workloads(product, volume, where)
    try:
        result = compute_impacts(workloads, factors, include_input_tokens=include_input_tokens)
    except InputError as error:  # the workloads share what was given: each problem once, without a row
        raise InputError(list(dict.fromkeys(replace(p, line=None) for p in error.problems))) from None
    return ProductEstimate(product, volume, workloads, combine(workloads, result), list(result.attrs["warnings"]),
                           product_factors(factors, product, volume, workloads, include_input_tokens))
