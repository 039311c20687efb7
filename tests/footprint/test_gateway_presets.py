"""The usage logs a DSI already has, imported as they are downloaded: LiteLLM's spend logs,
OpenGateLLM's (Albert API's) ``usage`` table, the JSON pages of OpenAI's usage API. Each file is
built exactly in its documented format; the expected figures are computed by hand beside it.

Formats, as their sources give them:
- LiteLLM: the ``LiteLLM_SpendLogs`` model of https://github.com/BerriAI/litellm/blob/main/schema.prisma
  (columns in that order), ``call_type`` values of ``CallTypes`` (litellm/types/utils.py: ``acompletion``,
  ``aembedding``, ``atranscription``, ``amoderation``…), ``status`` ``success`` / ``failure``
  (``_get_status_for_spend_log``, litellm/proxy/spend_tracking/spend_tracking_utils.py), ``model`` the
  deployment's name with its provider prefix (``reconstruct_model_name``: ``openai/gpt-4o``,
  ``azure/gpt-4o``) or without it (older versions), ``cache_hit`` ``True`` / ``False``.
- OpenGateLLM: the ``usage`` model of https://github.com/etalab-ia/OpenGateLLM/blob/main/api/sql/models.py
  (app/sql/models.py before), ``endpoint`` the request's path (``/v1/chat/completions``, ``/v1/embeddings``,
  ``/v1/audio/transcriptions``, ``/v1/ocr-beta``, ``/v1/models``: app/utils/variables.py, every router
  hooked in app/factory.py), ``method`` the name of an ``HTTPMethod``, ``status`` the HTTP status.
- Both tables as PostgreSQL's ``COPY … TO … (FORMAT csv, HEADER)`` writes them (``\\copy`` in psql): NULL
  as nothing, an empty string as ``""``, a value holding a comma, a quote or a line break quoted, quotes
  doubled (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4).
- OpenAI: the pages of ``GET /v1/organization/usage/completions``
  (https://platform.openai.com/docs/api-reference/usage/completions), saved as ``curl`` writes them.
"""

import json

import duckdb
import pandas as pd
import pytest

from core.errors import InputError
from footprint.inventory.usage_logs import NO_SERVICE, PRESET_HELP, PRESETS, import_usage
from footprint.store import Store

# -- LiteLLM_SpendLogs ---------------------------------------------------------------------------

SPEND_LOG_COLUMNS = ("request_id", "call_type", "api_key", "spend", "total_tokens", "prompt_tokens",
                     "completion_tokens", "startTime", "endTime", "request_duration_ms", "completionStartTime",
                     "model", "model_id", "model_group", "custom_llm_provider", "api_base", "user", "metadata",
                     "cache_hit", "cache_key", "request_tags", "team_id", "organization_id", "end_user",
                     "requester_ip_address", "messages", "response", "session_id", "status",
                     "mcp_namespaced_tool_name", "agent_id", "proxy_server_request")
JEANNE, PAUL = "jeanne.martin@ville-exemple.fr", "Paul.Durand@ville-exemple.fr"
KEY_DRH = "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b"
KEY_DSI = "2f1e0b7c9a6d4e3f8b5a1c0d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f"
END_USER = "agent-7781"


def _spend_row(request_id, call_type, model, provider, prompt, completion, start, user, team, key, status="success",
               cache_hit="False", end_user=None, reasoning=0):
    """One row of LiteLLM_SpendLogs, as LiteLLM's ``get_logging_payload`` fills it."""
    metadata = json.dumps({"user_api_key": key, "user_api_key_alias": f"cle-{team}", "user_api_key_team_id": team,
                           "user_api_key_user_id": user, "status": status,
                           "additional_usage_values": {"completion_tokens_details": {"reasoning_tokens": reasoning}}})
    return {"request_id": request_id, "call_type": call_type, "api_key": key, "spend": "0.00125",
            "total_tokens": str(prompt + completion), "prompt_tokens": str(prompt),
            "completion_tokens": str(completion), "startTime": start, "endTime": start[:-6] + "09.871",
            "request_duration_ms": "1371",
            "completionStartTime": None, "model": model, "model_id": "7d3f0c1e", "model_group": model.split("/")[-1],
            "custom_llm_provider": provider, "api_base": "https://api.openai.com/v1", "user": user,
            "metadata": metadata, "cache_hit": cache_hit, "cache_key": "Cache OFF", "request_tags": "[]",
            "team_id": team, "organization_id": None, "end_user": end_user or "", "requester_ip_address": "10.1.2.3",
            "messages": "{}", "response": "{}", "session_id": f"s-{request_id}", "status": status,
            "mcp_namespaced_tool_name": None, "agent_id": None, "proxy_server_request": "{}"}


SPEND_ROWS = [
    _spend_row("chatcmpl-01", "acompletion", "openai/gpt-4o", "openai", 1200, 300, "2025-03-03 09:12:00.123", JEANNE,
               "team-drh", KEY_DRH),
    _spend_row("chatcmpl-02", "acompletion", "openai/gpt-4o", "openai", 800, 200, "2025-03-10 14:00:00.500", JEANNE,
               "team-drh", KEY_DRH),
    # An older LiteLLM: the model without its provider's prefix.
    _spend_row("chatcmpl-03", "completion", "gpt-4o-mini", "openai", 400, 100, "2025-03-11 08:30:00.000", PAUL,
               "team-dsi", KEY_DSI),
    # An Azure OpenAI deployment named after its model.
    _spend_row("chatcmpl-04", "acompletion", "azure/gpt-4o", "azure", 100, 50, "2025-03-12 16:45:00.000", PAUL,
               "team-dsi", KEY_DSI, end_user=END_USER),
    _spend_row("emb-05", "aembedding", "openai/text-embedding-3-small", "openai", 2000, 0, "2025-03-13 10:00:00.000",
               JEANNE, "team-drh", KEY_DRH),
    _spend_row("emb-06", "aembedding", "openai/text-embedding-3-small", "openai", 1500, 0, "2025-03-14 10:00:00.000",
               JEANNE, "team-drh", KEY_DRH),
    _spend_row("tr-07", "atranscription", "openai/whisper-1", "openai", 0, 0, "2025-03-15 11:00:00.000", PAUL,
               "team-dsi", KEY_DSI),
    _spend_row("chatcmpl-08", "acompletion", "openai/gpt-4o", "openai", 0, 0, "2025-03-17 09:00:00.000", JEANNE,
               "team-drh", KEY_DRH, status="failure"),
    _spend_row("chatcmpl-09_cache_hit1742205600.12", "acompletion", "openai/gpt-4o", "openai", 1200, 300,
               "2025-03-17 10:00:00.000", JEANNE, "team-drh", KEY_DRH, cache_hit="True"),
    _spend_row("modr-10", "amoderation", "openai/omni-moderation-latest", "openai", 0, 0, "2025-03-18 10:00:00.000",
               PAUL, "team-dsi", KEY_DSI),
    # A reasoning model: completion_tokens (900) already counts its 700 reasoning tokens.
    _spend_row("chatcmpl-11", "acompletion", "openai/o3-mini", "openai", 100, 900, "2025-04-02 09:00:00.000", PAUL,
               "team-dsi", KEY_DSI, reasoning=700),
]


def _copy_csv_value(value) -> str:
    """A value as PostgreSQL's COPY … CSV writes it."""
    if value is None:
        return ""
    text = str(value)
    if text == "" or any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _copy_csv(columns, rows) -> str:
    lines = [",".join(columns)] + [",".join(_copy_csv_value(row[c]) for c in columns) for row in rows]
    return "\n".join(lines) + "\n"


def _file(tmp_path, text: str, name: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _by(frame: pd.DataFrame, *keys: str) -> dict:
    return {tuple(row[k] for k in keys): row for row in frame.to_dict("records")}


def test_a_litellm_spend_log_becomes_generations_and_tasks_by_team(tmp_path, factors):
    path = _file(tmp_path, _copy_csv(SPEND_LOG_COLUMNS, SPEND_ROWS), "spend_logs.csv")
    store = Store(tmp_path / "s.duckdb")
    done = import_usage(path, store, factors, preset="litellm")
    assert done.rows == 11
    assert done.uncounted == {"failed": 1, "cached": 1, "other": 1}
    assert done.requests_by_kind == {"llm": 5, "embeddings": 2, "transcription": 1}
    generations = _by(done.declarations[done.declarations["kind"] == "llm"], "year", "service", "model")
    # By hand: team-drh gpt-4o in March = rows 1 and 2 (the failed row 8 and the cached row 9 are not computed).
    drh = generations[(2025, "team-drh", "gpt-4o")]
    assert (drh["requests"], drh["input_tokens"], drh["output_tokens"]) == (2, 1200 + 800, 300 + 200)
    assert "2025-03" in drh["comment"] and "1 requête(s) échouée(s)" in drh["comment"]
    assert "1 réponse(s) servie(s) par le cache" in drh["comment"]
    assert (generations[(2025, "team-dsi", "gpt-4o-mini")]["output_tokens"], generations[(2025, "team-dsi", "gpt-4o")]
            ["output_tokens"]) == (100, 50)  # gpt-4o on Azure is OpenAI's gpt-4o
    reasoning = done.declarations[done.declarations["model"] == "o3-mini"].iloc[0]
    assert reasoning["output_tokens"] == 900  # the 700 reasoning tokens are in the 900, counted once
    assert "2025-04" in reasoning["comment"]
    tasks = _by(done.declarations[done.declarations["kind"] == "task"], "service", "task")
    assert tasks[("team-drh", "embeddings_texte")]["units"] == 2
    assert tasks[("team-dsi", "transcription_requete")]["units"] == 1
    assert {t["hosting"] for t in tasks.values()} == {"openai"}  # the provider's own data centres
    assert "modèle text-embedding-3-small" in tasks[("team-drh", "embeddings_texte")]["comment"]
    assert len(store.declarations()) == 6 and done.ours["energy_kwh"]["central"] > 0


def test_a_litellm_spend_log_exported_as_parquet_gives_the_same_declarations(tmp_path, factors):
    frame = pd.DataFrame(SPEND_ROWS)
    for column in ("spend",):
        frame[column] = frame[column].astype(float)
    for column in ("total_tokens", "prompt_tokens", "completion_tokens", "request_duration_ms"):
        frame[column] = frame[column].astype("int64")
    for column in ("startTime", "endTime"):
        frame[column] = pd.to_datetime(frame[column], format="ISO8601").dt.tz_localize("UTC")  # Prisma stores UTC
    frame.to_parquet(tmp_path / "spend_logs.parquet")
    csv = import_usage(_file(tmp_path, _copy_csv(SPEND_LOG_COLUMNS, SPEND_ROWS), "spend_logs.csv"),
                       Store(tmp_path / "csv.duckdb"), factors, preset="litellm")
    parquet = import_usage(tmp_path / "spend_logs.parquet", Store(tmp_path / "pq.duckdb"), factors, preset="litellm")
    columns = ["id", "service", "kind", "model", "task", "requests", "units", "input_tokens", "output_tokens"]
    pd.testing.assert_frame_equal(csv.declarations[columns], parquet.declarations[columns])


def test_users_are_mapped_to_services_then_service_option_then_team(tmp_path, factors):
    path = _file(tmp_path, _copy_csv(SPEND_LOG_COLUMNS, SPEND_ROWS), "spend_logs.csv")
    services = {JEANNE: "Ressources humaines", END_USER: "Relation usagers"}
    done = import_usage(path, Store(tmp_path / "a.duckdb"), factors, preset="litellm", services=services)
    by = _by(done.declarations[done.declarations["kind"] == "llm"], "service", "model")
    assert by[("Ressources humaines", "gpt-4o")]["requests"] == 2
    assert by[("Relation usagers", "gpt-4o")]["requests"] == 1  # Paul's key, an agent's end_user mapped
    assert by[("team-dsi", "gpt-4o-mini")]["requests"] == 1  # Paul is not in the mapping: his team
    # Unmapped users go to --service when it is given, before their team.
    done = import_usage(path, Store(tmp_path / "b.duckdb"), factors, preset="litellm", services=services,
                        service="DSI")
    assert set(done.declarations["service"]) == {"Ressources humaines", "Relation usagers", "DSI"}
    # A mapping's keys are plain keys: Paul's mixed-case e-mail is found by its lower case.
    done = import_usage(path, Store(tmp_path / "c.duckdb"), factors, preset="litellm",
                        services={PAUL.lower(): "Systèmes d'information"})
    assert "Systèmes d'information" in set(done.declarations["service"])
    assert "team-dsi" not in set(done.declarations["service"])


def test_a_litellm_log_without_team_nor_mapping_goes_to_no_service(tmp_path, factors):
    rows = [dict(r, team_id=None) for r in SPEND_ROWS[:2]]
    done = import_usage(_file(tmp_path, _copy_csv(SPEND_LOG_COLUMNS, rows), "spend_logs.csv"),
                        Store(tmp_path / "s.duckdb"), factors, preset="litellm")
    assert done.declarations["service"].tolist() == [NO_SERVICE]


# -- OpenGateLLM / Albert API: the usage table ---------------------------------------------------

USAGE_COLUMNS = ("id", "datetime", "duration", "time_to_first_token", "user_id", "token_id", "endpoint", "method",
                 "model", "request_model", "prompt_tokens", "completion_tokens", "total_tokens", "cost", "status",
                 "kwh_min", "kwh_max", "kgco2eq_min", "kgco2eq_max")
MISTRAL = "mistralai/Mistral-Small-3.2-24B-Instruct-2506"
VISION = "mistralai/Mistral-Small-3.1-24B-Instruct-2503"
CHAT = "/v1/chat/completions"
U1, K1, U2, K2 = 4821377, 9071554, 5911723, 9072881  # user_id and token_id of two agents
ALBERT_ROWS = [
    # id, datetime, duration, ttft, user_id, token_id, endpoint, method, model, request_model, prompt_tokens,
    # completion_tokens, total_tokens, cost, status, kwh_min, kwh_max, kgco2eq_min, kgco2eq_max
    (1, "2025-03-03 09:15:02.123456", 1840, 310, U1, K1, CHAT, "POST", MISTRAL, MISTRAL, 500, 400, 900, 0, 200,
     0.0002, 0.0004, 0.00001, 0.00002),
    (2, "2025-03-04 10:00:00.5", 900, None, U2, K2, CHAT, "POST", MISTRAL, MISTRAL, 700, 300, 1000, 0, 200,
     0.0001, 0.0003, 0.00001, 0.00002),
    # Refused by a rate limit: no model answered.
    (3, "2025-03-04 10:01:00", 12, None, U2, K2, CHAT, "POST", None, MISTRAL, None, None, None, None, 429,
     None, None, None, None),
    # A 200 without a model: the answer never came (a stream cut short).
    (4, "2025-03-05 11:00:00", 30000, None, U1, K1, CHAT, "POST", None, MISTRAL, None, None, None, None, 200,
     None, None, None, None),
    (5, "2025-03-05 11:05:00", 80, None, U1, K1, "/v1/embeddings", "POST", "BAAI/bge-m3", "BAAI/bge-m3", 50, 0, 50,
     0, 200, None, None, None, None),
    (6, "2025-03-05 11:06:00", 75, None, U1, K1, "/v1/embeddings", "POST", "BAAI/bge-m3", "BAAI/bge-m3", 40, 0, 40,
     0, 200, None, None, None, None),
    # A transcription: no tokens, and no model in its answer (the request names it).
    (7, "2025-03-06 14:00:00", 15000, None, U2, K2, "/v1/audio/transcriptions", "POST", None,
     "openai/whisper-large-v3", None, None, None, None, 200, None, None, None, None),
    (8, "2025-03-06 15:00:00", 9000, None, U1, K1, "/v1/ocr-beta", "POST", VISION, VISION, 1500, 800, 2300, 0, 200,
     None, None, None, None),
    (9, "2025-03-06 15:10:00", 5, None, U1, K1, "/v1/models", "GET", None, None, None, None, None, None, 200,
     None, None, None, None),
    (10, "2025-03-07 09:00:00", 40, None, U2, K2, CHAT, "POST", None, MISTRAL, None, None, None, None, 500,
     None, None, None, None),
]


def _albert_csv(rows=ALBERT_ROWS) -> str:
    return _copy_csv(USAGE_COLUMNS, [dict(zip(USAGE_COLUMNS, row)) for row in rows])


def test_an_albert_usage_table_counts_each_kind_of_row_and_never_refuses_for_it(tmp_path, factors):
    store = Store(tmp_path / "s.duckdb")
    done = import_usage(_file(tmp_path, _albert_csv(), "usage.csv"), store, factors, preset="albert")
    assert done.rows == 10
    assert done.uncounted == {"failed": 3, "other": 1}  # rows 3, 4, 10 failed; row 9 listed the models
    [generation] = done.declarations[done.declarations["kind"] == "llm"].to_dict("records")
    assert (generation["requests"], generation["input_tokens"], generation["output_tokens"]) == (2, 1200, 700)
    assert generation["model"] == MISTRAL and generation["hosting"] == "albert_api"
    assert "3 requête(s) échouée(s)" in generation["comment"]
    assert done.gateway == pytest.approx({"gateway_kwh_min": 0.0003, "gateway_kwh_max": 0.0007,
                                          "gateway_kgco2e_min": 0.00002, "gateway_kgco2e_max": 0.00004})
    tasks = done.declarations[done.declarations["kind"] == "task"].set_index("task")
    assert tasks["units"].to_dict() == {"embeddings_texte": 2, "ocr_modele_vision": 1, "transcription_requete": 1}
    assert set(tasks["hosting"]) == {"albert_api"}
    assert "openai/whisper-large-v3" in tasks.loc["transcription_requete", "comment"]
    frame = store.declarations()
    assert len(frame) == 4 and set(frame["kind"]) == {"llm", "task"}


def test_an_albert_user_mapped_to_a_service(tmp_path, factors):
    done = import_usage(_file(tmp_path, _albert_csv(), "usage.csv"), Store(tmp_path / "s.duckdb"), factors,
                        preset="albert", services={str(U1): "Relation usagers"})
    frame = done.declarations
    mapped = frame[(frame["kind"] == "llm") & (frame["service"] == "Relation usagers")]
    assert mapped["output_tokens"].tolist() == [400]  # U1's one generation (row 1)
    assert frame.groupby("service")["id"].count().to_dict() == {"Relation usagers": 3, NO_SERVICE: 2}


def test_the_albert_files_read_before_still_read(tmp_path, factors):
    text = ("datetime,model,prompt_tokens,completion_tokens,kwh_min,kwh_max,kgco2eq_min,kgco2eq_max\n"
            f"2025-03-01 10:00:00,{MISTRAL},500,400,0.0002,0.0004,0.00001,0.00002\n")
    done = import_usage(_file(tmp_path, text, "albert.csv"), Store(tmp_path / "s.duckdb"), factors, preset="albert")
    assert done.declarations["output_tokens"].tolist() == [400] and done.uncounted == {}


# -- OpenAI's usage API: pages as saved ----------------------------------------------------------

def _result(model, project, input_tokens, output_tokens, requests, user=None, key=None):
    return {"object": "organization.usage.completions.result", "input_tokens": input_tokens,
            "output_tokens": output_tokens, "input_cached_tokens": 0, "input_audio_tokens": 0,
            "output_audio_tokens": 0, "num_model_requests": requests, "project_id": project, "user_id": user,
            "api_key_id": key, "model": model, "batch": None}


MARCH_1, MARCH_2, APRIL_1 = 1740787200, 1740873600, 1743465600  # 2025-03-01, 2025-03-02, 2025-04-01 at 00:00 UTC
DAY = 86400


def _pages():
    first = {"object": "page", "data": [
        {"object": "bucket", "start_time": MARCH_1, "end_time": MARCH_1 + DAY, "results": [
            _result("gpt-4o-mini-2024-07-18", "proj_urbanisme", 10000, 4000, 50, user="user-Xk2jR9",
                    key="key_abc123"),
            _result("gpt-4o-2024-08-06", "proj_drh", 3000, 1000, 10, user="user-Pq7Lm3", key="key_def456")]},
        {"object": "bucket", "start_time": MARCH_2, "end_time": MARCH_2 + DAY, "results": [
            _result("gpt-4o-mini-2024-07-18", "proj_urbanisme", 6000, 2000, 30, user="user-Xk2jR9",
                    key="key_abc123")]}],
        "has_more": True, "next_page": "page_AAAAAGdGxdEiJdKOAAAAAGcqsYA="}
    second = {"object": "page", "data": [
        {"object": "bucket", "start_time": APRIL_1, "end_time": APRIL_1 + DAY, "results": [
            _result("gpt-4o-2024-08-06", "proj_drh", 5000, 1500, 20, user="user-Pq7Lm3", key="key_def456")]}],
        "has_more": False, "next_page": None}
    return first, second


# By hand: March urbanisme = 50 + 30 requests, 10 000 + 6 000 in, 4 000 + 2 000 out; March DRH; April DRH.
EXPECTED_PAGES = {("2025-03", "proj_urbanisme", "gpt-4o-mini-2024-07-18"): (80, 16000, 6000),
                  ("2025-03", "proj_drh", "gpt-4o-2024-08-06"): (10, 3000, 1000),
                  ("2025-04", "proj_drh", "gpt-4o-2024-08-06"): (20, 5000, 1500)}


def _figures(done):
    return {(row["comment"].split(", ")[1][:7], row["service"], row["model"]):
            (row["requests"], row["input_tokens"], row["output_tokens"])
            for row in done.declarations.to_dict("records")}


@pytest.mark.parametrize("saved", ["concatenated", "array", "compact"])
def test_usage_api_pages_saved_one_after_the_other_or_as_an_array(tmp_path, factors, saved):
    first, second = _pages()
    text = {"concatenated": json.dumps(first, indent=2) + "\n" + json.dumps(second, indent=2) + "\n",  # curl >> file
            "array": json.dumps([first, second], indent=2),  # json.dump(pages, f)
            "compact": json.dumps(first) + json.dumps(second)}[saved]
    done = import_usage(_file(tmp_path, text, "usage.json"), Store(tmp_path / "s.duckdb"), factors,
                        preset="openai-usage-api")
    assert done.rows == 4 and _figures(done) == EXPECTED_PAGES


def test_a_single_usage_api_page_and_its_users_mapped(tmp_path, factors):
    _, second = _pages()
    done = import_usage(_file(tmp_path, json.dumps(second), "avril.json"), Store(tmp_path / "s.duckdb"), factors,
                        preset="openai-usage-api", services={"user-pq7lm3": "Ressources humaines"})
    assert done.declarations["service"].tolist() == ["Ressources humaines"]
    assert done.declarations["output_tokens"].tolist() == [1500]


def test_usage_api_embeddings_and_transcription_pages_become_tasks(tmp_path, factors):
    page = {"object": "page", "data": [{"object": "bucket", "start_time": MARCH_1, "end_time": MARCH_1 + DAY,
                                        "results": [
        {"object": "organization.usage.embeddings.result", "input_tokens": 16000, "num_model_requests": 8,
         "project_id": None, "user_id": None, "api_key_id": None, "model": "text-embedding-3-small"},
        {"object": "organization.usage.audio_transcriptions.result", "seconds": 900, "num_model_requests": 3,
         "project_id": None, "user_id": None, "api_key_id": None, "model": "whisper-1"}]}],
        "has_more": False, "next_page": None}
    done = import_usage(_file(tmp_path, json.dumps(page), "usage.json"), Store(tmp_path / "s.duckdb"), factors,
                        preset="openai-usage-api")
    tasks = _by(done.declarations, "task")
    assert tasks[("embeddings_texte",)]["units"] == 8
    assert tasks[("transcription_audio",)]["units"] == 15  # 900 seconds of audio = 15 audio minutes


# -- broken files: refused with their place, their column and their value, in French -------------

def _refusal(tmp_path, factors, text, name, preset) -> InputError:
    store = Store(tmp_path / "refused.duckdb")
    with pytest.raises(InputError) as caught:
        import_usage(_file(tmp_path, text, name), store, factors, preset=preset)
    assert store.declarations().empty
    return caught.value


def test_a_spend_log_without_its_call_type_is_refused(tmp_path, factors):
    columns = tuple(c for c in SPEND_LOG_COLUMNS if c != "call_type")
    error = _refusal(tmp_path, factors, _copy_csv(columns, SPEND_ROWS), "spend_logs.csv", "litellm")
    assert "colonne(s) manquante(s) pour le format « litellm » : call_type" in str(error)
    assert error.problems[0].file == "spend_logs.csv"


def test_a_bad_number_in_a_spend_log_names_its_line_column_and_value(tmp_path, factors):
    rows = [dict(r) for r in SPEND_ROWS]
    rows[2]["prompt_tokens"] = "quatre cents"
    [problem] = _refusal(tmp_path, factors, _copy_csv(SPEND_LOG_COLUMNS, rows), "spend_logs.csv", "litellm").problems
    assert (problem.file, problem.line, problem.column, problem.value) == (
        "spend_logs.csv", 4, "prompt_tokens", "quatre cents")  # the header is line 1: the third row is line 4
    assert "tokens d'entrée non numériques" in problem.message


def test_a_bad_date_in_an_albert_table_names_its_line(tmp_path, factors):
    rows = [list(r) for r in ALBERT_ROWS]
    rows[4][1] = "2025-02-30 11:05:00"
    [problem] = _refusal(tmp_path, factors, _albert_csv([tuple(r) for r in rows]), "usage.csv", "albert").problems
    assert (problem.line, problem.column, problem.value) == (6, "datetime", "2025-02-30 11:05:00")
    assert "horodatage illisible" in problem.message


def test_an_unreadable_http_status_is_refused(tmp_path, factors):
    rows = [list(r) for r in ALBERT_ROWS]
    rows[1][14] = "OK"
    [problem] = _refusal(tmp_path, factors, _albert_csv([tuple(r) for r in rows]), "usage.csv", "albert").problems
    assert (problem.line, problem.column, problem.value) == (3, "status", "OK")
    assert "statut HTTP illisible" in problem.message


@pytest.mark.parametrize("breakage, place, column, value, fragment", [
    ("number", "page 1, data[0].results[1]", "output_tokens", "beaucoup", "tokens de sortie"),
    ("date", "page 2, data[0].results[0]", "start_time", "hier", "horodatage illisible"),
    ("model", "page 1, data[1].results[0]", "model", None, "group_by=model"),
])
def test_a_bad_value_in_usage_api_pages_names_its_place(tmp_path, factors, breakage, place, column, value, fragment):
    first, second = _pages()
    if breakage == "number":
        first["data"][0]["results"][1]["output_tokens"] = "beaucoup"
    elif breakage == "date":
        second["data"][0]["start_time"] = "hier"
    else:  # saved without group_by=model: the API gives a null model
        first["data"][1]["results"][0]["model"] = None
    text = json.dumps(first) + "\n" + json.dumps(second)
    [problem] = _refusal(tmp_path, factors, text, "usage.json", "openai-usage-api").problems
    assert (problem.file, problem.column, problem.value) == ("usage.json", column, value)
    assert place in problem.message and fragment in problem.message


@pytest.mark.parametrize("make, fragment, column", [
    # The cookbook's loop keeps the buckets of each page (all_data.extend(data["data"])): not pages.
    (lambda first, second: json.dumps(first["data"] + second["data"]), "l'élément n° 1 du fichier n'est pas une "
     "page de l'API d'usage", "object"),
    (lambda first, second: json.dumps([first, {"object": "list", "data": []}]), "l'élément n° 2 du fichier n'est pas "
     "une page", "object"),
    (lambda first, second: json.dumps({**second, "data": [{"object": "bucket", "start_time": APRIL_1}]}),
     "page 1, data[0] n'est pas une tranche", "object"),
    # Only the first page saved while the API said there was more.
    (lambda first, second: json.dumps(first), "annonce d'autres pages (has_more: true)", "has_more"),
    (lambda first, second: "[]", "aucune page", None),
    (lambda first, second: "start_time,model\n1740787200,gpt-4o\n", "ne commence ni par", None),
])
def test_a_file_that_is_not_usage_api_pages_is_refused(tmp_path, factors, make, fragment, column):
    error = _refusal(tmp_path, factors, make(*_pages()), "usage.json", "openai-usage-api")
    assert fragment in str(error) and error.problems[0].column == column


def test_malformed_usage_api_json_names_its_line(tmp_path, factors):
    first, second = _pages()
    second = json.dumps(second, indent=2).replace('"has_more": false', '"has_more": ')
    text = json.dumps(first, indent=2) + "\n" + second
    bad_line = text.splitlines().index('  "has_more": ,') + 1
    [problem] = _refusal(tmp_path, factors, text, "usage.json", "openai-usage-api").problems
    assert problem.line == bad_line and "JSON mal formé" in problem.message
    assert not any(word in problem.message for word in ("Expecting", "delimiter", "Unterminated"))


def test_usage_api_pages_are_not_json_lines_nor_csv(tmp_path, factors):
    first, second = _pages()
    lines = json.dumps(first) + "\n" + json.dumps(second) + "\n"
    error = _refusal(tmp_path, factors, lines, "usage.jsonl", "openai-usage-api")
    assert "pages JSON" in str(error) and "fichier .json" in str(error)


# -- twice, and nothing personal -----------------------------------------------------------------

@pytest.mark.parametrize("preset, name, text", [
    ("litellm", "spend_logs.csv", _copy_csv(SPEND_LOG_COLUMNS, SPEND_ROWS)),
    ("albert", "usage.csv", _albert_csv()),
    ("openai-usage-api", "usage.json", "\n".join(json.dumps(p) for p in _pages())),
])
def test_importing_a_gateway_log_twice_adds_nothing(tmp_path, factors, preset, name, text):
    store = Store(tmp_path / "s.duckdb")
    path = _file(tmp_path, text, name)
    first = import_usage(path, store, factors, preset=preset)
    again = import_usage(path, store, factors, preset=preset)
    assert again.counts == {"created": 0, "modified": 0, "unchanged": first.counts["created"]}
    assert len(store.declarations()) == first.counts["created"]


def test_no_user_email_or_key_of_a_log_is_stored_anywhere(tmp_path, factors):
    store = Store(tmp_path / "s.duckdb")
    import_usage(_file(tmp_path, _copy_csv(SPEND_LOG_COLUMNS, SPEND_ROWS), "spend_logs.csv"), store, factors,
                 preset="litellm", services={JEANNE: "Ressources humaines"})
    import_usage(_file(tmp_path, _albert_csv(), "usage.csv"), store, factors, preset="albert",
                 services={str(U1): "Relation usagers"})
    import_usage(_file(tmp_path, "\n".join(json.dumps(p) for p in _pages()), "usage.json"), store, factors,
                 preset="openai-usage-api", services={"user-xk2jr9": "Urbanisme"})
    secrets = {JEANNE, PAUL, KEY_DRH, KEY_DSI, END_USER, *map(str, (U1, K1, U2, K2)), "user-Xk2jR9",
               "user-Pq7Lm3", "key_abc123", "key_def456", "10.1.2.3"}
    found = []
    with store.connect() as con:
        tables = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                             "WHERE data_type = 'VARCHAR' OR data_type = 'JSON'").fetchall()
        assert len({t for t, _ in tables}) > 3 and store.declarations().shape[0] > 0
        for table, column in tables:
            for secret in secrets:
                count = con.execute(f'SELECT count(*) FROM "{table}" WHERE contains(lower(CAST("{column}" AS '
                                    f'VARCHAR)), ?)', [secret.lower()]).fetchone()[0]
                if count:
                    found.append((table, column, secret))
    assert found == []


def test_every_preset_says_what_its_file_is_and_where_it_is_downloaded():
    assert set(PRESET_HELP) == set(PRESETS)
    assert "LiteLLM_SpendLogs" in PRESET_HELP["litellm"] and "/v1/organization/usage/completions" in PRESET_HELP[
        "openai-usage-api"] and "usage" in PRESET_HELP["albert"]


def test_duckdb_reads_the_spend_log_exactly_as_postgres_wrote_it(tmp_path):
    """The test file itself: a JSON column with commas and quotes is one cell, as PostgreSQL wrote it."""
    path = _file(tmp_path, _copy_csv(SPEND_LOG_COLUMNS, SPEND_ROWS), "spend_logs.csv")
    metadata = duckdb.sql(f"SELECT metadata FROM read_csv('{path}', all_varchar = true) LIMIT 1").fetchall()[0][0]
    assert json.loads(metadata)["user_api_key_team_id"] == "team-drh"


# -- reasoning tokens, hosting, nothing to count -------------------------------------------------

def test_reasoning_tokens_of_a_generic_log_are_counted_once_in_the_output_tokens(tmp_path, factors):
    header = "timestamp,provider,model,input_tokens,output_tokens,reasoning_tokens\n"
    done = import_usage(_file(tmp_path, header + "2025-05-02T10:00:00,openai,o3-mini,100,900,700\n", "usage.csv"),
                        Store(tmp_path / "s.duckdb"), factors)
    assert done.declarations["output_tokens"].tolist() == [900]  # OpenAI's 900 already hold the 700
    text = header + "2025-05-02T10:00:00,openai,o3-mini,100,900,700\n2025-05-03T10:00:00,openai,o3-mini,100,200,700\n"
    [problem] = _refusal(tmp_path, factors, text, "usage.csv", "generic").problems
    assert (problem.line, problem.column, problem.value) == (3, "reasoning_tokens", "700")
    assert "une seule fois" in problem.message


def test_a_gateway_serving_cloud_and_self_hosted_models_keeps_each_hosting(tmp_path, factors):
    rows = SPEND_ROWS[:2] + [
        _spend_row("chatcmpl-20", "acompletion", f"hosted_vllm/{MISTRAL}", "hosted_vllm", 300, 120,
                   "2025-03-20 10:00:00.000", PAUL, "team-dsi", KEY_DSI),
        _spend_row("emb-21", "aembedding", "hosted_vllm/BAAI/bge-m3", "hosted_vllm", 80, 0, "2025-03-20 10:05:00.000",
                   PAUL, "team-dsi", KEY_DSI)]
    path = _file(tmp_path, _copy_csv(SPEND_LOG_COLUMNS, rows), "spend_logs.csv")
    error = _refusal(tmp_path, factors, path.read_text(encoding="utf-8"), "spend_logs.csv", "litellm")
    assert "--hosting" in str(error)  # a self-hosted model runs where only the authority knows
    done = import_usage(path, Store(tmp_path / "s.duckdb"), factors, preset="litellm",
                        hosting={"self_hosted": "salle_serveurs"})
    hostings = {(r["kind"], r["provider"] if r["kind"] == "llm" else r["task"]): r["hosting"]
                for r in store_records(tmp_path / "s.duckdb")}
    assert hostings == {("llm", "openai"): None, ("llm", "self_hosted"): "salle_serveurs",
                        ("task", "embeddings_texte"): "salle_serveurs"}
    assert done.declarations.set_index("kind").loc["llm"].set_index("provider").loc["self_hosted", "model"] == MISTRAL


def store_records(path) -> list[dict]:
    """The declarations of a store as it gives them back, missing values as None."""
    frame = Store(path).declarations()
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def test_a_log_of_failed_requests_only_is_refused_with_what_it_holds(tmp_path, factors):
    rows = [r for r in ALBERT_ROWS if r[0] in (3, 4, 9, 10)]
    error = _refusal(tmp_path, factors, _albert_csv(rows), "usage.csv", "albert")
    assert "aucune requête à compter" in str(error) and "3 requête(s) échouée(s)" in str(error)


def test_the_same_usage_api_page_saved_twice_is_refused_not_counted_twice(tmp_path, factors):
    # « curl … >> usage.json » run twice for the last page: its buckets come back identical.
    first, second = _pages()
    store = Store(tmp_path / "s.duckdb")
    text = json.dumps(first) + "\n" + json.dumps(second) + "\n" + json.dumps(second) + "\n"
    with pytest.raises(InputError) as error:
        import_usage(_file(tmp_path, text, "usage.json"), store, factors, preset="openai-usage-api")
    [problem] = error.value.problems
    assert "page 3, data[0] répète à l'identique la tranche de la page 2, data[0]" in problem.message
    assert store.declarations().empty
