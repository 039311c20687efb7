"""Usage logs of an API gateway (LiteLLM, Albert / OpenGateLLM, OpenAI's usage API and exports,
any CSV, Parquet or JSONL file with one row per request or per day) turned into declarations:
``llm`` for text generations, ``task`` for embeddings, transcriptions, OCR and images.

One room per concept: ``files`` (the log made readable by DuckDB under a name this server chose,
a CSV transcoded to UTF-8 by the rules of ``tabular``, DuckDB's refusals in French), ``pages``
(the JSON pages of OpenAI's usage API read as rows, anything else refused with its place),
``fields`` (the presets of each gateway, what each file is and where it is downloaded, and the
SQL that reads their columns as French office software writes them), ``kinds`` (what each row
is, from the gateway's own values: a generation, embeddings, a transcription, an OCR, a failed
request, a cached reply, another call; and the task each is computed with), ``checks`` (every
row's values checked in the scan that aggregates them, each failed check with its first bad line)
and ``importing`` (the aggregation by month x service x kind x provider x model, the users'
services joined inside DuckDB, unknown models refused unless mapped, the declarations saved in
one transaction, our estimate beside the gateway's). The raw log is never copied into the store,
no user, e-mail or key is ever stored, and importing the same file twice adds nothing. Callers
import from here.

Must not: compute impacts itself (``engine``) or write outside one store transaction.
"""

from footprint.inventory.usage_logs.fields import GATEWAY_FIELDS, PRESET_HELP, PRESET_HOSTING, PRESETS
from footprint.inventory.usage_logs.files import READERS
from footprint.inventory.usage_logs.importing import NO_SERVICE, UsageImport, import_usage, parse_mapping
from footprint.inventory.usage_logs.kinds import KIND_LABELS, TASKS, UNCOUNTED_KINDS

__all__ = ["GATEWAY_FIELDS", "KIND_LABELS", "NO_SERVICE", "PRESETS", "PRESET_HELP", "PRESET_HOSTING", "READERS",
           "TASKS", "UNCOUNTED_KINDS", "UsageImport", "import_usage", "parse_mapping"]
