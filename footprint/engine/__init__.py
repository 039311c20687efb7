"""The vectorised engine: a table of workloads joined with the factor base, the formulas of
``footprint.methods`` applied in one pass, impacts with their range."""

from footprint.engine.compute import ENDS, IMPACT_KEYS, compute_impacts, compute_llm, group_rows, totals

__all__ = ["ENDS", "IMPACT_KEYS", "compute_impacts", "compute_llm", "group_rows", "totals"]
