"""What each row of a gateway's log is, read from the values the gateway itself writes, in SQL.

Owns: the kinds of row (a text generation, embeddings, a transcription, an OCR, an image; a
failed request, a reply served by the gateway's cache, another call that computes nothing), the
task of the factor base each countable non-generation kind is computed with, and the provider and
model a gateway's row names, as each gateway spells them:

- LiteLLM (``LiteLLM_SpendLogs``): ``call_type`` is a value of LiteLLM's ``CallTypes``
  (``acompletion``, ``aembedding``, ``atranscription``, ``aocr``…, litellm/types/utils.py), ``status``
  is ``success`` or ``failure`` (``_get_status_for_spend_log``, litellm/proxy/spend_tracking/
  spend_tracking_utils.py), ``cache_hit`` is ``True`` for a reply served by LiteLLM's cache, and
  ``model`` is the deployment's name, prefixed by its provider (``openai/gpt-4o``,
  ``hosted_vllm/mistralai/…``, ``reconstruct_model_name``) or not (older versions, ``gpt-4o``), with
  the provider in ``custom_llm_provider``.
- OpenGateLLM / Albert (table ``usage``): ``endpoint`` is the request's path (``/v1/chat/
  completions``, ``/v1/embeddings``, ``/v1/audio/transcriptions``, ``/v1/ocr`` or ``/v1/ocr-beta``,
  ``/v1/rerank``, ``/v1/models``…: every router is logged), ``status`` the HTTP status answered;
  a request that failed has a status other than 2xx, or no model in its answer.
- OpenAI's usage API: the ``object`` of each result (``organization.usage.completions.result``,
  ``….embeddings.result``, ``….audio_transcriptions.result`` with its ``seconds``,
  ``….images.result`` with its ``images``).

Failed requests, cached replies and other calls are counted and reported, never computed.
Reasoning tokens are never added: every gateway read here counts them inside the output tokens
(OpenAI's ``completion_tokens`` includes ``completion_tokens_details.reasoning_tokens``; LiteLLM and
OpenGateLLM pass the provider's ``completion_tokens`` on).

Must not: read the file (``files``, ``pages``) or decide which values are wrong (``checks``).
"""

from __future__ import annotations

from core.units import ureg

# Kinds computed: a generation by the LLM method, the others by a task of the factor base.
COUNTED_KINDS = ("llm", "embeddings", "transcription", "ocr", "image")
# Kinds counted and reported, not computed. Code -> what people read (with a count before it).
UNCOUNTED_KINDS = {"failed": "requête(s) échouée(s)",
                   "cached": "réponse(s) servie(s) par le cache de la passerelle",
                   "other": "autre(s) appel(s) sans calcul (modèles, fichiers, modération…)"}
KIND_LABELS = {"llm": "génération de texte", "embeddings": "embeddings", "transcription": "transcription audio",
               "ocr": "lecture de documents (OCR)", "image": "génération d'images"}
# The task of the factor base (emission_factors/tasks.csv) each non-generation kind is computed
# with; a transcription whose audio duration is known is counted by the audio minute.
TASKS = {"embeddings": "embeddings_texte", "transcription": "transcription_requete", "ocr": "ocr_modele_vision",
         "image": "generation_image"}
TASK_BY_AUDIO_MINUTE = "transcription_audio"
# What one unit of each task is, for the comment of its declaration.
TASK_UNITS = {"embeddings_texte": "requêtes", "transcription_requete": "requêtes",
              "transcription_audio": "minutes d'audio", "ocr_modele_vision": "pages (au moins une par requête)",
              "generation_image": "images"}

# LiteLLM's call types (litellm/types/utils.py, ``CallTypes``), by kind; any other is "other".
LITELLM_CALL_TYPES = {
    "llm": ("completion", "acompletion", "text_completion", "atext_completion", "responses", "aresponses",
            "anthropic_messages", "aanthropic_messages", "generate_content", "agenerate_content",
            "generate_content_stream", "agenerate_content_stream"),
    "embeddings": ("embedding", "aembedding"),
    "transcription": ("transcription", "atranscription"),
    "ocr": ("ocr", "aocr"),
    "image": ("image_generation", "aimage_generation"),
}
# LiteLLM's provider names (``custom_llm_provider``, https://docs.litellm.ai/docs/providers) that
# the factor base spells otherwise. Azure OpenAI serves OpenAI's models; vLLM, Ollama, LM Studio…
# serve open models the authority hosts. The other names are looked up as they are.
LITELLM_PROVIDERS = {"azure": "openai", "azure_text": "openai", "text-completion-openai": "openai",
                     "vertex_ai": "google_genai", "vertex_ai_beta": "google_genai", "gemini": "google_genai",
                     "mistral": "mistralai", "codestral": "mistralai", "cohere_chat": "cohere",
                     "huggingface": "huggingface_hub", "hosted_vllm": "self_hosted", "vllm": "self_hosted",
                     "ollama": "self_hosted", "ollama_chat": "self_hosted", "lm_studio": "self_hosted",
                     "llamafile": "self_hosted", "xinference": "self_hosted", "triton": "self_hosted"}
# The ``object`` of each result of OpenAI's usage API, by kind (completions, embeddings, audio
# transcriptions and images endpoints of https://platform.openai.com/docs/api-reference/usage).
OPENAI_USAGE_OBJECTS = {"organization.usage.completions.result": "llm",
                        "organization.usage.embeddings.result": "embeddings",
                        "organization.usage.audio_transcriptions.result": "transcription",
                        "organization.usage.images.result": "image"}
# The presets whose rows say what kind of call they are; every row of the others is a generation.
CLASSIFIED_PRESETS = ("litellm", "albert", "openai-usage-api")
_SECONDS_PER_AUDIO_MINUTE = ureg.Quantity(1, "minute").m_as("second")


def _quoted(values) -> str:
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values)


def kind_sql(preset: str, x: dict[str, str]) -> str:
    """The SQL giving each row's kind, from ``x`` (field -> SQL text of the row's value, trimmed,
    NULL when empty or when the file has no such column)."""
    if preset == "litellm":
        outcome, call_type = f"lower({x['outcome']})", f"lower({x['operation']})"
        branches = "".join(
            f"WHEN {call_type} IN ({_quoted(types)}) THEN "
            + (f"CASE WHEN {x['model']} IS NULL THEN 'other' ELSE 'llm' END " if kind == "llm" else f"'{kind}' ")
            for kind, types in LITELLM_CALL_TYPES.items())
        return (f"CASE WHEN {outcome} IS NOT NULL AND {outcome} <> 'success' THEN 'failed' "
                f"WHEN lower({x['cache_hit']}) = 'true' THEN 'cached' {branches}ELSE 'other' END")
    if preset == "albert":
        endpoint = f"lower({x['operation']})"
        generation = f"({endpoint} IS NULL OR regexp_matches({endpoint}, '/completions$'))"
        return (f"CASE WHEN {x['status']} IS NOT NULL AND NOT regexp_full_match({x['status']}, '2[0-9][0-9]([.]0*)?') "
                f"THEN 'failed' "
                f"WHEN contains({endpoint}, '/audio/transcriptions') THEN 'transcription' "
                f"WHEN {generation} THEN CASE WHEN {x['model']} IS NULL THEN 'failed' ELSE 'llm' END "
                f"WHEN regexp_matches({endpoint}, '/embeddings$') "
                f"THEN CASE WHEN {x['model']} IS NULL THEN 'failed' ELSE 'embeddings' END "
                f"WHEN contains({endpoint}, '/ocr') THEN CASE WHEN {x['model']} IS NULL THEN 'failed' ELSE 'ocr' END "
                f"ELSE 'other' END")
    if preset == "openai-usage-api":
        branches = "".join(f"WHEN '{obj}' THEN '{kind}' " for obj, kind in OPENAI_USAGE_OBJECTS.items())
        return (f"CASE WHEN {x['operation']} IS NULL THEN 'llm' "
                f"ELSE CASE lower({x['operation']}) {branches}ELSE 'other' END END")
    return "'llm'"


def names_sql(preset: str, x: dict[str, str]) -> tuple[str, str]:
    """The SQL giving each row's provider and model, as the gateway names them."""
    if preset == "litellm":
        model = f"coalesce({x['model']}, {x['model_group']})"
        prefix = f"CASE WHEN contains({model}, '/') THEN split_part({model}, '/', 1) END"
        named = f"coalesce({x['provider']}, {prefix})"
        stripped = (f"CASE WHEN {named} IS NOT NULL AND starts_with(lower({model}), lower({named}) || '/') "
                    f"THEN substr({model}, length({named}) + 2) ELSE {model} END")
        spellings = "".join(f"WHEN '{old}' THEN '{new}' " for old, new in LITELLM_PROVIDERS.items())
        return f"CASE lower({named}) {spellings}ELSE {named} END", stripped
    if preset == "albert":
        return x["provider"], f"coalesce({x['model']}, {x['request_model']})"
    return x["provider"], x["model"]


def task_sql() -> str:
    """The SQL giving the task of a countable non-generation row (``kind``, ``audio_seconds``)."""
    branches = "".join(f"WHEN '{kind}' THEN '{task}' " for kind, task in TASKS.items() if kind != "transcription")
    return (f"CASE kind WHEN 'transcription' THEN CASE WHEN audio_seconds IS NOT NULL THEN '{TASK_BY_AUDIO_MINUTE}' "
            f"ELSE '{TASKS['transcription']}' END {branches}END")


def units_sql() -> str:
    """The SQL giving a task row's units: its audio minutes, its images, else its requests."""
    return (f"CASE WHEN kind = 'transcription' AND audio_seconds IS NOT NULL "
            f"THEN audio_seconds / {_SECONDS_PER_AUDIO_MINUTE!r} "
            f"WHEN kind = 'image' AND images IS NOT NULL THEN images "
            f"WHEN kind IN ({_quoted(k for k in COUNTED_KINDS if k != 'llm')}) THEN coalesce(requests, 1) END")
