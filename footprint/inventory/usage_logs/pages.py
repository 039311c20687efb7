"""The JSON pages of OpenAI's usage API, as saved from the API, read as rows by DuckDB.

Owns: the shape of a saved answer of ``GET /v1/organization/usage/completions`` (and of the
embeddings, audio transcriptions and images endpoints, which answer the same pages):
``{"object": "page", "data": [{"object": "bucket", "start_time", "end_time", "results": [{…}]}],
"has_more", "next_page"}`` (https://platform.openai.com/docs/api-reference/usage/completions).
A file holds one page (``curl … > usage.json``), a JSON array of pages (a script that collects
them, ``json.dump(pages, f)``) or pages one after the other (``curl … >> usage.json`` once per
page). Anything else is refused, with the place of the first element that is not a page or a
bucket; a file whose last page announces more pages (``has_more``) is refused as incomplete.
Each result becomes one row, with the time of its bucket and its place in the file
(``page 2, data[0].results[3]``), which problems name instead of a line.

Must not: interpret the results' fields (``fields``, ``kinds``) or check their values (``checks``).
"""

from __future__ import annotations

import json
from dataclasses import replace

import duckdb

from core.errors import InputError
from footprint.inventory.usage_logs.files import Log

# The fields of a bucket's results that are read (the others are ignored): the documented ones
# of the completions, embeddings, audio transcriptions and images results.
RESULT_FIELDS = ("object", "input_tokens", "output_tokens", "input_cached_tokens", "input_audio_tokens",
                 "output_audio_tokens", "num_model_requests", "project_id", "user_id", "api_key_id", "model",
                 "batch", "seconds", "images")
_SAVE_AS_IS = ("enregistrez les réponses de l'API telles quelles dans un fichier .json : une page, un tableau de "
               "pages [page, page…] ou les pages à la suite")
_PAGE = 'un objet {"object": "page", "data": [...]}'
_BUCKET = 'un objet {"object": "bucket", "start_time": …, "results": [...]}'


def pages_log(con: duckdb.DuckDBPyConnection, log: Log) -> Log:
    """``log`` read as the results of its pages: a ``Log`` whose ``relation`` gives one row per
    result. ``InputError`` when the file is not pages of the usage API, or misses pages."""
    if log.reader != "read_json" or log.path.suffix.lower() != ".json":
        raise InputError.single(f"l'API d'usage d'OpenAI répond par des pages JSON : {_SAVE_AS_IS} (pour un CSV "
                                "aux colonnes de l'API, choisissez le format « openai »)", file=log.name)
    data = log.path.read_bytes()
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start not in (b"[", b"{"):
        raise InputError.single(f"ce n'est pas une page de l'API d'usage (le fichier ne commence ni par « {{ » ni par "
                                f"« [ ») : {_SAVE_AS_IS}", file=log.name, value=start.decode("utf-8", "replace"))
    escaped = str(log.path).replace("'", "''")
    # A page may hold thousands of results (group_by=user_id): no page of the file is too large.
    objects = (f"read_json_objects('{escaped}', format = '{'array' if start == b'[' else 'unstructured'}', "
               f"maximum_object_size = {len(data) + 1})")
    pages = f"SELECT row_number() OVER () AS _page, json AS page FROM {objects}"
    buckets = ("SELECT _page, b AS _bucket, d[b] AS bucket FROM (SELECT _page, "
               "CAST(json_extract(page, '$.data') AS JSON[]) AS d FROM pages), unnest(range(1, len(d) + 1)) AS t(b)")
    try:
        _check_pages(con, log, pages, buckets)
    except duckdb.Error:
        raise _malformed(log, data) from None
    results = ", ".join(f"json_extract_string(r[i], '$.{field}') AS \"{field}\"" for field in RESULT_FIELDS)
    relation = (f"WITH pages AS ({pages}), buckets AS ({buckets}) "
                f"SELECT json_extract_string(bucket, '$.start_time') AS start_time, "
                f"json_extract_string(bucket, '$.end_time') AS end_time, {results}, "
                f"'page ' || _page || ', data[' || (_bucket - 1) || '].results[' || (i - 1) || ']' AS _position, "
                f"row_number() OVER (ORDER BY _page, _bucket, i) AS _seq "
                f"FROM (SELECT _page, _bucket, bucket, CAST(json_extract(bucket, '$.results') AS JSON[]) AS r "
                f"FROM buckets), unnest(range(1, len(r) + 1)) AS t(i)")
    return replace(log, reader="read_pages", relation=relation)


def _check_pages(con: duckdb.DuckDBPyConnection, log: Log, pages: str, buckets: str) -> None:
    """Every element a page, every page's data buckets, the last page not announcing more."""
    not_page = ("(json_extract_string(page, '$.object') IS DISTINCT FROM 'page' "
                "OR json_type(json_extract(page, '$.data')) IS DISTINCT FROM 'ARRAY')")
    count, bad_page, bad_object, last_more = con.execute(f"""
        WITH pages AS ({pages})
        SELECT count(*), min(_page) FILTER (WHERE {not_page}),
               arg_min(coalesce(json_extract_string(page, '$.object'), left(CAST(page AS VARCHAR), 40)), _page)
                   FILTER (WHERE {not_page}),
               arg_max(json_extract_string(page, '$.has_more'), _page)
        FROM pages""").fetchone()
    if count == 0:
        raise InputError.single(f"aucune page dans le fichier : {_SAVE_AS_IS}", file=log.name)
    if bad_page is not None:
        hint = (" (ce sont des tranches sorties de leurs pages : enregistrez les pages entières)"
                if bad_object == "bucket" else "")
        raise InputError.single(f"l'élément n° {bad_page} du fichier n'est pas une page de l'API d'usage (attendu "
                                f"{_PAGE}){hint} : {_SAVE_AS_IS}", file=log.name, column="object", value=bad_object)
    bad = con.execute(f"""
        WITH pages AS ({pages}), buckets AS ({buckets})
        SELECT _page, _bucket, coalesce(json_extract_string(bucket, '$.object'), left(CAST(bucket AS VARCHAR), 40))
        FROM buckets
        WHERE json_extract_string(bucket, '$.object') IS DISTINCT FROM 'bucket'
           OR json_type(json_extract(bucket, '$.results')) IS DISTINCT FROM 'ARRAY'
        ORDER BY _page, _bucket LIMIT 1""").fetchone()
    if bad is not None:
        raise InputError.single(f"page {bad[0]}, data[{bad[1] - 1}] n'est pas une tranche de l'API d'usage (attendu "
                                f"{_BUCKET}) : {_SAVE_AS_IS}", file=log.name, column="object", value=bad[2])
    # The same page saved twice (« curl >> usage.json » run again) would count its requests twice.
    twice = con.execute(f"""
        WITH pages AS ({pages}), buckets AS ({buckets}),
             seen AS (SELECT _page, _bucket,
                             first_value(_page) OVER same AS first_page, first_value(_bucket) OVER same AS first_bucket,
                             row_number() OVER same AS n
                      FROM buckets WHERE json_array_length(json_extract(bucket, '$.results')) > 0
                      WINDOW same AS (PARTITION BY CAST(bucket AS VARCHAR) ORDER BY _page, _bucket))
        SELECT _page, _bucket, first_page, first_bucket FROM seen WHERE n = 2 ORDER BY _page, _bucket LIMIT 1"""
                        ).fetchone()
    if twice is not None:
        raise InputError.single(
            f"page {twice[0]}, data[{twice[1] - 1}] répète à l'identique la tranche de la page {twice[2]}, "
            f"data[{twice[3] - 1}] : la même page enregistrée deux fois compterait ses requêtes deux fois ; "
            "retirez la copie", file=log.name, column="data")
    if last_more == "true":
        raise InputError.single(
            "la dernière page du fichier annonce d'autres pages (has_more: true) qui n'y sont pas : téléchargez les "
            "pages suivantes (paramètre page=<next_page>) et ajoutez-les à la suite, sinon l'import serait incomplet",
            file=log.name, column="has_more", value="true")


# The reasons Python's JSON reader gives, in French.
_JSON_ERRORS = {"Expecting value": "valeur attendue", "Expecting ',' delimiter": "virgule attendue",
                "Expecting ':' delimiter": "deux-points attendu",
                "Unterminated string starting at": "texte non refermé",
                "Expecting property name enclosed in double quotes": "nom de champ entre guillemets attendu",
                "Extra data": "données en trop après le JSON", "Invalid control character at": "caractère de contrôle",
                "Invalid \\escape": "échappement invalide"}


def _malformed(log: Log, data: bytes) -> InputError:
    """A file that is not JSON, with the line and column of its first error (Python's reader,
    which says where, run only once DuckDB has refused the file)."""
    text = data.decode("utf-8", "replace").lstrip("\ufeff")
    decoder, position = json.JSONDecoder(), 0
    try:
        while True:
            while position < len(text) and text[position].isspace():
                position += 1
            if position >= len(text):
                break
            _, position = decoder.raw_decode(text, position)
    except json.JSONDecodeError as error:
        said = _JSON_ERRORS.get(error.msg, "syntaxe invalide")  # Python's reason is English: said in French
        return InputError.single(f"JSON mal formé ({said}, colonne {error.colno}) : {_SAVE_AS_IS}",
                                 file=log.name, line=error.lineno)
    return InputError.single(f"JSON illisible : {_SAVE_AS_IS}", file=log.name)
