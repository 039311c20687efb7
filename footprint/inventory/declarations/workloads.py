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

from footprint.factors import FactorBase
from footprint.inventory.declarations.spellings import plain_key
from footprint.vocabulary import DECLARATION_COLUMNS, NUMBER_COLUMNS


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

    LLM volume: agents x requests per agent per day x working days (``jours_par_an``, else the
    factor base's default), else requests per year, else output tokens per year / output tokens
    per request. Tokens per request: as declared, else tokens per year / requests, else the
    use-case profile.
    """
    frame = frame.reindex(columns=list(DECLARATION_COLUMNS))
    profiles = use_case_profiles(factors)
    keys = {**{plain_key(r.use_case): r for r in profiles.itertuples(index=False)},
            **{plain_key(r.label): r for r in profiles.itertuples(index=False)}}
    use_case_keys = frame["use_case"].astype("string").map(lambda v: plain_key(v) if isinstance(v, str) else "")
    profile_out = use_case_keys.map(lambda k: keys[k].output_tokens_per_request if k in keys else np.nan)
    profile_in = use_case_keys.map(lambda k: keys[k].input_tokens_per_request if k in keys else np.nan)
    number = {c: pd.to_numeric(frame[c], errors="coerce").astype("float64") for c in NUMBER_COLUMNS}
    days = number["days_per_year"].fillna(factors.constant("working_days_per_year").m_as("day/year"))
    from_agents = number["agents"] * number["requests_per_agent_per_day"] * days
    requests_given = number["requests"].fillna(from_agents)
    output_per_request = (number["output_tokens_per_request"]
                          .fillna(number["output_tokens"] / requests_given)
                          .fillna(profile_out.astype("float64")))
    requests = requests_given.fillna(number["output_tokens"] / output_per_request)
    input_per_request = (number["input_tokens_per_request"]
                         .fillna(number["input_tokens"] / requests)
                         .fillna(profile_in.astype("float64")))
    is_llm = frame["kind"] == "llm"
    workloads = pd.DataFrame({
        "kind": frame["kind"].astype("string"),
        "provider": frame["provider"].astype("string"),
        "model": frame["model"].astype("string"),
        "hosting": frame["hosting"].astype("string"),
        "zone": frame["zone"].astype("string"),
        "year": pd.to_numeric(frame["year"], errors="coerce").astype("float64"),
        "pue": number["pue"],
        "wue": number["wue"],
        "requests": requests.where(is_llm),
        "output_tokens_per_request": output_per_request.where(is_llm),
        "input_tokens_per_request": input_per_request.where(is_llm),
        "gpu": frame["gpu"].astype("string"),
        "gpus": number["gpus"].where(frame["kind"] != "gpu", number["gpus"].fillna(1.0)),
        "hours": number["hours"],
        "utilization": number["utilization"],
        "task": frame["task"].astype("string"),
        "units": number["units"],
        "energy_kwh": number["energy_kwh"],
    }, index=frame.index)
    return workloads
