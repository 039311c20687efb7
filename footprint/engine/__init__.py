"""The vectorised engine: a table of workloads joined with the factor base, the formulas of
``footprint.methods`` applied in one pass, impacts with their range.

``workloads`` (the input columns, their checks), ``resolution`` (the SQL joins with the factor
base), ``results`` (output impacts and units), ``llm`` (the LLM kernel), ``kinds`` (gpu, task,
measured) and ``compute`` (``compute_impacts``, ``totals``).
"""

from footprint.engine.compute import compute_impacts, totals
from footprint.engine.llm import compute_llm
from footprint.engine.workloads import group_rows
from footprint.vocabulary import ENDS, IMPACT_KEYS

__all__ = ["ENDS", "IMPACT_KEYS", "compute_impacts", "compute_llm", "group_rows", "totals"]
