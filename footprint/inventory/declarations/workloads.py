"""Declarations as the engine's workloads: the volumes people declare turned into requests and
tokens per request, with the use-case profiles of the factor base.

Owns: the use-case profiles (typical input and output tokens per request of « rédaction de
courriers », « synthèse »…, looked up by their code or label as a plain key) and the conversion,
row for row, of declarations (store columns) into the engine's workload columns. Must not:
check a declaration (``rules``), compute an impact (``footprint.engine``) or loop over rows in
Python beyond the few distinct use cases.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.units import convert
from footprint.engine.workloads import HIGH_END
from footprint.factors import FactorBase
from footprint.inventory.declarations.spellings import plain_key
from footprint.inventory.declarations.volumes import product_columns, yearly_messages
from footprint.vocabulary import DECLARATION_COLUMNS, NUMBER_COLUMNS

# The constant that gives the days of use when a declaration does not say, in its unit; and the
# messages per year of one message per day of use on one day of use a year (a Pint conversion).
WORKING_DAYS, DAYS_UNIT = "working_days_per_year", "day / year"
PER_YEAR = convert(1.0, f"message / day * {DAYS_UNIT}", "message / year")


def use_case_profiles(factors: FactorBase) -> pd.DataFrame:
    """The use-case profiles of the factor base: code, label, tokens per request in and out."""
    return factors.con.execute("SELECT use_case, label, input_tokens_per_request, output_tokens_per_request "
                               "FROM use_cases ORDER BY use_case").df()


def profile_of(use_case: object, profiles: pd.DataFrame):
    """The profile (a row of ``profiles``) whose code or label is ``use_case``, or None."""
    if use_case is None or (isinstance(use_case, float) and np.isnan(use_case)) or use_case is pd.NA:
        return None
    key = plain_key(use_case)
    for row in profiles.itertuples(index=False):
        if key in (plain_key(row.use_case), plain_key(row.label)):
            return row
    return None


def to_workloads(frame: pd.DataFrame, factors: FactorBase) -> pd.DataFrame:
    """The engine's workload table for declarations (store columns), row for row.

    LLM volume, at each end of the range: messages or requests per year as counted (at the high
    end, ``volume_high`` when the volume is known as a range, a survey's say); else active
    users (or agents) × messages per user and day (typed, else the product's range) × days of use
    (``jours_par_an``, else the factor base's working days); else licences × the product's share
    of licences really used × the same; else output tokens per year / output tokens per request.
    Tokens per request: as declared, else tokens per year / requests, else the product's range of
    tokens per message, else the use-case profile; in a product's reasoning mode (``reasoning``),
    output tokens × (1 + the product's reasoning tokens per output token), unless counted. A
    product gives the provider, the set of models (the range spans them unless the declaration
    names its model) and the hosting, unless the declaration gives them.
    """
    frame = frame.reindex(columns=list(DECLARATION_COLUMNS))
    profiles = use_case_profiles(factors)
    keys = {**{plain_key(r.use_case): r for r in profiles.itertuples(index=False)},
            **{plain_key(r.label): r for r in profiles.itertuples(index=False)}}
    use_case_keys = frame["use_case"].astype("string").map(lambda v: plain_key(v) if isinstance(v, str) else "")
    profile_out = use_case_keys.map(lambda k: keys[k].output_tokens_per_request if k in keys else np.nan)
    profile_in = use_case_keys.map(lambda k: keys[k].input_tokens_per_request if k in keys else np.nan)
    number = {c: pd.to_numeric(frame[c], errors="coerce").astype("float64") for c in NUMBER_COLUMNS}
    product = product_columns(frame, factors)
    days = number["days_per_year"].fillna(factors.constant(WORKING_DAYS).m_as(DAYS_UNIT)) * PER_YEAR
    counted = number["messages"].fillna(number["requests"])
    reasoning_on = frame["reasoning"].astype("boolean").fillna(False).astype(bool)
    people = number["users"].fillna(number["agents"])
    ends = {}
    for end in ("low", "high"):
        rate = number["requests_per_agent_per_day"].fillna(product[f"rate_{end}"])
        from_people = yearly_messages(people, rate, days)
        from_licences = yearly_messages(number["licences"], rate, days, product[f"share_{end}"])
        # A volume known as a range (``volume_high``): ``messages`` is its low end, this its high end.
        counted_end = counted if end == "low" else number["volume_high"].where(counted.notna()).fillna(counted)
        requests_given = counted_end.fillna(from_people).fillna(from_licences)
        # From tokens per year, the fewest requests (the longest messages) at the low end.
        other = "high" if end == "low" else "low"
        product_output = product[f"output_{end}"].where(requests_given.notna(), product[f"output_{other}"])
        output_per_request = (number["output_tokens_per_request"]
                              .fillna(number["output_tokens"] / requests_given)
                              .fillna(product_output)
                              .fillna(profile_out.astype("float64")))
        requests = requests_given.fillna(number["output_tokens"] / output_per_request)
        # A product used in its reasoning mode writes hidden tokens beside each visible one (the
        # catalogue's share), unless its tokens were counted (a log counts them already).
        reasoning = reasoning_on & requests_given.notna() & number["output_tokens"].isna()
        hidden = product[f"reasoning_{end}"].fillna(0.0)
        output_per_request = output_per_request.where(~reasoning, output_per_request * (1.0 + hidden))
        input_per_request = (number["input_tokens_per_request"]
                             .fillna(number["input_tokens"] / requests)
                             .fillna(product[f"input_{end}"])
                             .fillna(profile_in.astype("float64")))
        ends[end] = (requests, output_per_request, input_per_request)
    kind = frame["kind"].astype("string").fillna(product["kind"])
    is_llm = (kind == "llm").fillna(False)
    # A task product's units of work at each end: counted, else its users' or licences' units per day.
    units = {}
    for end in ("low", "high"):
        from_people = yearly_messages(people, number["requests_per_agent_per_day"].fillna(product[f"units_{end}"]),
                                      days)
        from_licences = yearly_messages(number["licences"],
                                        number["requests_per_agent_per_day"].fillna(product[f"units_{end}"]), days,
                                        product[f"share_{end}"])
        given_units = number["units"].fillna(number["messages"])
        if end == "high":
            given_units = number["volume_high"].where(given_units.notna()).fillna(given_units)
        units[end] = given_units.fillna(from_people).fillna(from_licences)
    is_task_product = (kind == "task").fillna(False) & product["product"].notna()
    units_low = number["units"].where(~is_task_product, units["low"])
    ranged = is_task_product | number["volume_high"].notna()
    units_high = units["high"].where(ranged & (units["high"] != units_low))
    model = frame["model"].astype("string")
    (requests, output_per_request, input_per_request), high = ends["low"], ends["high"]
    workloads = pd.DataFrame({
        "kind": kind,
        "provider": frame["provider"].astype("string").fillna(product["provider"]),
        "model": model,
        "models": product["models"].where(model.isna() & is_llm),
        "hosting": frame["hosting"].astype("string").fillna(product["hosting"].where(is_llm | is_task_product)),
        "zone": frame["zone"].astype("string"),
        "year": pd.to_numeric(frame["year"], errors="coerce").astype("float64"),
        "pue": number["pue"],
        "wue": number["wue"],
        "requests": requests.where(is_llm),
        "output_tokens_per_request": output_per_request.where(is_llm),
        "input_tokens_per_request": input_per_request.where(is_llm),
        **{HIGH_END[name]: values.where(is_llm & (values != low))
           for name, values, low in zip(("requests", "output_tokens_per_request", "input_tokens_per_request"),
                                        high, (requests, output_per_request, input_per_request))},
        "gpu": frame["gpu"].astype("string"),
        "gpus": number["gpus"].where(kind != "gpu", number["gpus"].fillna(1.0)),
        "hours": number["hours"],
        "utilization": number["utilization"],
        "task": frame["task"].astype("string").fillna(product["task"]),
        "units": units_low,
        "units_high": units_high,
        "energy_kwh": number["energy_kwh"],
        # Not read by the engine: the product row set behind the figures, for their sources.
        "product": product["product"].where(is_llm | is_task_product),
        "product_valid_from": product["valid_from"].where(is_llm | is_task_product),
    }, index=frame.index)
    return workloads
