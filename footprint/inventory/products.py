"""From a product of the catalogue (ChatGPT, Microsoft 365 Copilot, Le Chat, Albert…) and what a
collectivité knows of its use to one range of impacts: product → messages per year → tokens →
the engine.

Owns: finding the product a person named (``find_product``: an unknown name gets the closest
products), the three levels of volume (``LEVELS``, finest first: messages per year; active users
× messages per user and day × days of use; licences × the share of licences really used × the
same) and the messages per year each gives, the workloads of a product (one ``llm`` workload per
model of its set and end of the range), their combination into one range and the factors behind
it. Every function is pure: it reads the factor base, writes nothing.

The range: a product's use is one declaration of the inventory (``declarations.to_workloads``:
its set of models, its ranges of tokens per message, of messages per user and day and of the
share of licences used), computed by the engine like any other: the low end is the lowest low of
the models with the fewest messages and tokens, the high end the highest high with the most, the
central value the midpoint, as everywhere in the tool. ``estimate product`` and the inventory
give one figure for one use.

Must not: hold a number (tokens, messages, days and shares are rows of the factor base, the
plausible values typed are ``schema.toml`` [inputs]), compute an impact itself
(``footprint.engine`` does), parse a command line or print (``cli``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import pandas as pd

from core.errors import InputError, Problem
from emission_factors.schema import read_input_bounds
from footprint.engine import ENDS, IMPACT_KEYS, compute_impacts
from footprint.factors import FactorBase, Product
from footprint.factors.provenance import factors_used
from footprint.inventory.declarations import to_workloads
from footprint.inventory.declarations.volumes import yearly_messages
from footprint.inventory.declarations.workloads import DAYS_UNIT, PER_YEAR, WORKING_DAYS

# The levels of volume, from the finest (the narrowest range) to the coarsest.
LEVELS = ("messages", "users", "licences")
# Each value typed for a product -> the entry of schema.toml [inputs] that bounds it.
INPUT_BOUNDS = {"messages": "requests", "users": "agents", "licences": "agents",
                "messages_per_user_per_day": "requests_per_agent_per_day", "days": "days_per_year"}
# The parameters of a product (``name_min`` and ``name_max`` in the catalogue).
INPUT_TOKENS, OUTPUT_TOKENS = "input_tokens_per_message", "output_tokens_per_message"
MESSAGES_PER_DAY, ACTIVE_SHARE = "messages_per_user_per_day", "active_share_of_licences"
LOW, CENTRAL, HIGH = ENDS
# The declaration column that holds the count of each level (a task product counts its units of
# work where a language model counts its messages).
LEVEL_COLUMNS = {"messages": "messages", "users": "users", "licences": "licences"}
UNITS_PER_DAY = "units_per_user_per_day"
REASONING = "reasoning_tokens_per_output_token"


def find_product(factors: FactorBase, text: str, year: int | None = None) -> Product:
    """The product ``text`` names (id, label or alias, whatever the case, accents, spaces or
    punctuation), as it is in ``year``. Raises ``InputError`` (column ``product``) naming the
    closest products for an unknown name, and for a product that is not a language model."""
    product_id = factors.product_id(text or "")
    if product_id is None:
        close = factors.suggest_products(text or "")
        hint = f" ; produits proches : {', '.join(close)}" if close else ""
        raise InputError([Problem(f"produit inconnu du catalogue{hint}", column="product", value=text)])
    return factors.product(product_id, year)


def rate_name(product: Product) -> str:
    """The parameter of ``product`` that gives what one active user does a day: messages for a
    language model, units of work (minutes of audio, pages, images…) for a task."""
    return MESSAGES_PER_DAY if product.kind == "llm" else UNITS_PER_DAY


def _span(low: float, high: float) -> dict[str, float]:
    return {LOW: low, CENTRAL: 0.5 * (low + high), HIGH: high}


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
    per_day = product.span(rate_name(product)) if messages_per_user_per_day is None else (
        messages_per_user_per_day, messages_per_user_per_day)
    days_of_use = factors.constant(WORKING_DAYS).m_as(DAYS_UNIT) if days is None else days
    share = product.span(ACTIVE_SHARE) if level == "licences" else None
    yearly = [float(yearly_messages(count, rate, days_of_use * PER_YEAR, 1.0 if share is None else share[end]))
              for end, rate in enumerate(per_day)]
    return Volume(level, count, _span(*yearly), per_day, days_of_use, share, typed)


def product_declaration(product: Product, volume: Volume, where: dict | None = None,
                        reasoning: bool = False) -> pd.DataFrame:
    """The use of ``product`` as one declaration of the inventory (store columns): its level's
    count, the rates a person typed, and ``where`` (hosting, zone, pue, wue, year; empty ones
    dropped). Its year, when ``where`` has none, is the first year of the product's row set."""
    place = {k: v for k, v in (where or {}).items() if v is not None and v != ""}
    typed = {"requests_per_agent_per_day": volume.messages_per_user_per_day[0]
             if MESSAGES_PER_DAY in volume.typed else None,
             "days_per_year": volume.days_per_year if "days" in volume.typed else None}
    column = "units" if product.kind == "task" and volume.level == "messages" else LEVEL_COLUMNS[volume.level]
    row = {"kind": product.kind, "product": product.product, column: volume.count,
           **{k: v for k, v in typed.items() if v is not None},
           **{k: place[k] for k in ("hosting", "zone", "pue", "wue") if k in place},
           "year": place.get("year", product.valid_from), **({"reasoning": True} if reasoning else {})}
    return pd.DataFrame([row])


def _entry(table: str, key: str, row: dict) -> dict:
    return {"name": row["parameter"], "table": table, "key": key,
            **{k: row[k] for k in ("value", "unit", "year", "source", "source_url")}}


def product_rows(factors: FactorBase, product: Product, level: str, rate_typed: bool = False,
                 include_input_tokens: bool = False, reasoning: bool = False) -> list[dict]:
    """The rows of the catalogue behind the estimate of a use of ``product`` known at ``level``
    (a code of ``footprint.vocabulary.VOLUME_LEVELS``): its output tokens per message (and input
    ones with the prefill term), its messages per user and day (for users and licences, unless a
    rate was typed), its share of licences really used (for licences) and, in its reasoning mode,
    its reasoning tokens per output token."""
    used = ([OUTPUT_TOKENS] + ([INPUT_TOKENS] if include_input_tokens else [])) if product.kind == "llm" else []
    if level in ("users", "licences") and not rate_typed:
        used.append(rate_name(product))
    if level == "licences":
        used.append(ACTIVE_SHARE)
    if reasoning and level != "tokens":
        used.append(REASONING)
    key = f"{product.product} / {product.valid_from}"
    rows = factors.source_rows("products", "product = ? AND valid_from = ?", [product.product, str(product.valid_from)])
    return [_entry("products", key, row) for row in rows if row["parameter"].rsplit("_", 1)[0] in used]


def product_factors(factors: FactorBase, product: Product, volume: Volume, workload: dict,
                    include_input_tokens: bool = False, reasoning: bool = False) -> list[dict]:
    """Every factor behind a product's estimate, each once: the product's parameters it used,
    the working days when no days were typed, then those of its workload (each model of its set)."""
    entries = product_rows(factors, product, volume.level, MESSAGES_PER_DAY in volume.typed, include_input_tokens,
                           reasoning)
    if volume.level != "messages" and "days" not in volume.typed:
        entries += [_entry("constants", "", row) for row in factors.constant_sources([WORKING_DAYS])]
    entries += factors_used(factors, workload, include_input_tokens)
    return list({(e["table"], e["key"], e["name"]): e for e in entries}.values())


@dataclass(frozen=True)
class ProductEstimate:
    """A product's estimate: its volume, its workload (one row), one range per impact
    (``{impact: {"low", "central", "high"}}``), the engine's warnings and the factors behind it."""

    product: Product
    volume: Volume
    workloads: pd.DataFrame
    impacts: dict[str, dict[str, float]]
    warnings: list[str]
    factors: list[dict]


def estimate_product(factors: FactorBase, product: Product, volume: Volume, where: dict | None = None, *,
                     include_input_tokens: bool = False, reasoning: bool = False) -> ProductEstimate:
    """The impacts of a product's use: its declaration (``product_declaration``) through
    ``to_workloads`` and the engine, as the inventory computes it. Raises ``InputError`` for what
    the engine refuses (an unknown zone…), each problem once and without a row."""
    if reasoning and REASONING + "_min" not in product.parameters:
        raise InputError([Problem(f"« {product.label} » n'a pas de mode raisonnement dans le catalogue",
                                  column="reasoning")])
    workloads = to_workloads(product_declaration(product, volume, where, reasoning), factors)
    year, dataset = (where or {}).get("year"), (where or {}).get("mix_dataset")
    workloads["year"] = float(year) if year not in (None, "") else float("nan")
    if dataset:
        workloads["mix_dataset"] = dataset
    try:
        result = compute_impacts(workloads, factors, include_input_tokens=include_input_tokens)
    except InputError as error:  # one row: its number says nothing to whoever typed the options
        raise InputError(list(dict.fromkeys(replace(p, line=None) for p in error.problems))) from None
    impacts = {key: {end: float(result.at[0, f"{key}_{end}"]) for end in ENDS} for key in IMPACT_KEYS}
    record = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in workloads.iloc[0].items()}
    record = {k: (None if v is pd.NA else v) for k, v in record.items()}
    return ProductEstimate(product, volume, workloads, impacts, list(result.attrs["warnings"]),
                           product_factors(factors, product, volume, record, include_input_tokens, reasoning))


def one_message(factors: FactorBase, product: Product, where: dict | None = None) -> dict[str, dict[str, float]]:
    """Our estimate of one message (or one unit of work) of ``product``, ``{impact: {"low",
    "central", "high"}}``: what a provider's disclosure per message is set beside."""
    return estimate_product(factors, product, message_volume(factors, product, "messages", 1.0), where).impacts
