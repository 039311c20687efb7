"""Benchmark of the usage-log import: a generated 1,000,000-row CSV log and a 10,000,000-row
Parquet log in the generic format, and a 10,000,000-row LiteLLM spend log (the whole
``LiteLLM_SpendLogs`` table, every column of schema.prisma, exported to Parquet as DuckDB's
``COPY (SELECT * FROM postgres_scan(…, 'LiteLLM_SpendLogs')) TO 'spend_logs.parquet'`` writes it),
imported without and with a user -> service mapping (2,000 users), and the same table for
1,000,000 rows in CSV, as psql's ``\\copy "LiteLLM_SpendLogs" TO 'spend_logs.csv' CSV HEADER``
writes it. Each is read by DuckDB, aggregated by month x service x kind x model into
declarations, checked, saved in a fresh store and its impacts computed. Prints figures; asserts
nothing.

Usage: ``.venv/bin/python bench/usage_import.py [--csv-rows 1000000] [--parquet-rows 10000000]
[--litellm-rows 10000000] [--litellm-csv-rows 1000000]``
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from footprint.factors import FactorBase  # noqa: E402
from footprint.inventory.usage_logs import import_usage  # noqa: E402
from footprint.io.formatting import format_number as fr  # noqa: E402
from footprint.store import Store  # noqa: E402

MODELS = [("openai", "gpt-4o"), ("openai", "gpt-4o-mini"), ("mistralai", "mistral-large-latest"),
          ("mistralai", "mistral-small-latest"), ("anthropic", "claude-sonnet-4-5"),
          ("google_genai", "gemini-2.5-flash"), ("mistralai", "codestral-latest")]
SERVICES = ["DRH", "DGS", "Relation usagers", "Assemblées", "DSI", "Urbanisme", "Finances", "Culture"]
# LiteLLM deployments as its spend logs name them (custom_llm_provider, model).
DEPLOYMENTS = [("openai", "openai/gpt-4o"), ("openai", "openai/gpt-4o-mini"), ("azure", "azure/gpt-4o"),
               ("mistral", "mistral/mistral-large-latest"), ("anthropic", "anthropic/claude-sonnet-4-5"),
               ("hosted_vllm", "hosted_vllm/mistralai/Mistral-Small-3.2-24B-Instruct-2506")]
USERS, TEAMS = 2000, 20


def generate(path: Path, rows: int) -> None:
    """A synthetic log, one row per request over 2025, written by DuckDB."""
    models = ", ".join(f"('{p}', '{m}')" for p, m in MODELS)
    services = ", ".join(f"'{s}'" for s in SERVICES)
    fmt = "(FORMAT parquet)" if path.suffix == ".parquet" else "(HEADER, DELIMITER ',')"
    duckdb.sql(f"""
        COPY (
          SELECT TIMESTAMP '2025-01-01' + to_seconds(CAST(hash(i) % 31536000 AS BIGINT)) AS timestamp,
                 m.p AS provider, m.m AS model,
                 CAST(50 + hash(i * 7) % 4000 AS INTEGER) AS input_tokens,
                 CAST(20 + hash(i * 13) % 1500 AS INTEGER) AS output_tokens,
                 ([{services}])[1 + CAST(hash(i * 3) % {len(SERVICES)} AS INTEGER)] AS service
          FROM range({rows}) t(i)
          JOIN (SELECT row_number() OVER () - 1 AS k, p, m FROM (VALUES {models}) v(p, m)) m
            ON m.k = hash(i * 5) % {len(MODELS)}
        ) TO '{path}' {fmt}""")


def generate_spend_logs(path: Path, rows: int) -> None:
    """A synthetic LiteLLM_SpendLogs table, every column, as LiteLLM fills it: 88 % chat completions,
    8 % embeddings, 1 % transcriptions, 1 % moderations, 1 % failures, 1 % replies from the cache;
    2,000 users in 20 teams, each with its hashed key; metadata as LiteLLM writes it (~300 bytes)."""
    deployments = ", ".join(f"('{p}', '{m}')" for p, m in DEPLOYMENTS)
    duckdb.sql(f"""
        COPY (
          SELECT 'chatcmpl-' || md5(CAST(i AS VARCHAR)) AS request_id,
                 CASE WHEN k < 88 OR k >= 98 THEN 'acompletion' WHEN k < 96 THEN 'aembedding'
                      WHEN k = 96 THEN 'atranscription' ELSE 'amoderation' END AS call_type,
                 sha256('sk-' || u) AS api_key, CAST((hash(i * 17) % 1000) AS DOUBLE) / 1e5 AS spend,
                 prompt + completion AS total_tokens, prompt AS prompt_tokens, completion AS completion_tokens,
                 start AS "startTime", start + INTERVAL 2 SECOND AS "endTime",
                 CAST(hash(i * 19) % 5000 AS INTEGER) AS request_duration_ms,
                 start + INTERVAL 1 SECOND AS "completionStartTime",
                 CASE WHEN k BETWEEN 88 AND 95 THEN 'openai/text-embedding-3-small'
                      WHEN k = 96 THEN 'openai/whisper-1' WHEN k = 97 THEN 'openai/omni-moderation-latest'
                      ELSE d.m END AS model,
                 md5(d.m) AS model_id, split_part(d.m, '/', -1) AS model_group,
                 CASE WHEN k BETWEEN 88 AND 97 THEN 'openai' ELSE d.p END AS custom_llm_provider,
                 'https://api.example.org/v1' AS api_base,
                 'agent' || u || '@ville-exemple.fr' AS "user",
                 '{{"user_api_key": "' || sha256('sk-' || u) || '", "user_api_key_alias": "cle-' || u
                   || '", "user_api_key_team_id": "team-' || (u % {TEAMS}) || '", "user_api_key_user_id": "agent'
                   || u || '@ville-exemple.fr", "status": "success", "additional_usage_values": {{}}}}' AS metadata,
                 CASE WHEN k = 99 THEN 'True' ELSE 'False' END AS cache_hit, 'Cache OFF' AS cache_key,
                 '[]' AS request_tags, 'team-' || (u % {TEAMS}) AS team_id, CAST(NULL AS VARCHAR) AS organization_id,
                 '' AS end_user, '10.0.' || (u % 250) || '.' || (u % 200) AS requester_ip_address,
                 '{{}}' AS messages, '{{}}' AS response, md5(CAST(i * 23 AS VARCHAR)) AS session_id,
                 CASE WHEN k = 98 THEN 'failure' ELSE 'success' END AS status,
                 CAST(NULL AS VARCHAR) AS mcp_namespaced_tool_name, CAST(NULL AS VARCHAR) AS agent_id,
                 '{{}}' AS proxy_server_request
          FROM (SELECT i, hash(i * 11) % 100 AS k, hash(i * 3) % {USERS} AS u,
                       TIMESTAMP '2025-01-01' + to_seconds(CAST(hash(i) % 31536000 AS BIGINT)) AS start,
                       CAST(50 + hash(i * 7) % 4000 AS INTEGER) AS prompt,
                       CAST(CASE WHEN hash(i * 11) % 100 BETWEEN 88 AND 97 THEN 0 ELSE 20 + hash(i * 13) % 1500 END
                            AS INTEGER) AS completion,
                       hash(i * 5) % {len(DEPLOYMENTS)} AS j
                FROM range({rows}) t(i)) r
          JOIN (SELECT row_number() OVER () - 1 AS j, p, m FROM (VALUES {deployments}) v(p, m)) d USING (j)
        ) TO '{path}' {"(FORMAT parquet)" if path.suffix == ".parquet" else "(HEADER, DELIMITER ',')"}""")


def measure(path: Path, factors: FactorBase, work: Path, label: str, **options) -> tuple[float, int]:
    store = Store(work / f"{label}.duckdb")
    start = time.perf_counter()
    done = import_usage(path, store, factors, **options)
    return time.perf_counter() - start, len(done.declarations)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--parquet-rows", type=int, default=10_000_000)
    parser.add_argument("--litellm-rows", type=int, default=10_000_000)
    parser.add_argument("--litellm-csv-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    factors = FactorBase.load()
    users = {f"agent{u}@ville-exemple.fr": SERVICES[u % len(SERVICES)] for u in range(USERS)}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        csv_path, parquet_path, spend_path = work / "usage.csv", work / "usage.parquet", work / "spend_logs.parquet"
        spend_csv = work / "spend_logs.csv"
        generate(csv_path, args.csv_rows)
        generate(parquet_path, args.parquet_rows)
        started = time.perf_counter()
        generate_spend_logs(spend_path, args.litellm_rows)
        generate_spend_logs(spend_csv, args.litellm_csv_rows)
        print(f"Journaux LiteLLM générés en {fr(time.perf_counter() - started)} s")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        runs = [("générique CSV", csv_path, args.csv_rows, {}),
                ("générique Parquet", parquet_path, args.parquet_rows, {}),
                ("LiteLLM Parquet", spend_path, args.litellm_rows,
                 {"preset": "litellm", "hosting": {"self_hosted": "salle_serveurs"}}),
                ("LiteLLM Parquet + correspondance utilisateurs → services", spend_path, args.litellm_rows,
                 {"preset": "litellm", "hosting": {"self_hosted": "salle_serveurs"}, "services": users}),
                ("LiteLLM CSV (toutes les colonnes)", spend_csv, args.litellm_csv_rows,
                 {"preset": "litellm", "hosting": {"self_hosted": "salle_serveurs"}})]
        for number, (label, path, rows, options) in enumerate(runs):
            seconds, declarations = measure(path, factors, work, f"run{number}", **options)
            size = path.stat().st_size / 1e6
            print(f"{label} : {fr(rows)} lignes ({fr(size)} Mo) → {declarations} déclarations mensuelles, "
                  f"importées et calculées en {fr(seconds)} s ({fr(rows / seconds)} lignes/s)")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"Mémoire : pic du processus {fr(peak)} Mo (dont {fr(rss_before)} Mo avant les imports : "
              "génération des fichiers et base de facteurs)")


if __name__ == "__main__":
    main()
