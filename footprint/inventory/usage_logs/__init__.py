"""Usage logs of an API gateway (Albert / OpenGateLLM, OpenAI exports, any CSV, Parquet or
JSONL file with one row per request or per day) turned into ``llm`` declarations.

One room per concept: ``files`` (the log made readable by DuckDB under a name this server chose,
a CSV transcoded to UTF-8 by the rules of ``tabular``, DuckDB's refusals in French), ``fields``
(the presets of each gateway and the SQL that reads their columns as French office software
writes them), ``checks`` (every row's values checked in the scan that aggregates them, each
failed check with its first bad line) and ``importing`` (the aggregation by month x service x
provider x model, unknown models refused unless mapped, the declarations saved in one
transaction, our estimate beside the gateway's). The raw log is never copied into the store, and
importing the same file twice adds nothing. Callers import from here.

Must not: compute impacts itself (``engine``) or write outside one store transaction.
"""

from footprint.inventory.usage_logs.fields import GATEWAY_FIELDS, PRESET_HOSTING, PRESETS
from footprint.inventory.usage_logs.files import READERS
from footprint.inventory.usage_logs.importing import NO_SERVICE, UsageImport, import_usage, parse_mapping

__all__ = ["GATEWAY_FIELDS", "NO_SERVICE", "PRESETS", "PRESET_HOSTING", "READERS", "UsageImport", "import_usage",
           "parse_mapping"]
