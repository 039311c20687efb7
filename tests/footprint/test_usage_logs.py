"""Usage logs of an API gateway, read by DuckDB and aggregated into monthly declarations."""

import json

import pandas as pd
import pytest

from cli.main import main
from core.errors import InputError
from footprint.inventory.usage_logs import import_usage
from footprint.store import Store
from tests.stores import new_store

GENERIC = """timestamp,provider,model,input_tokens,output_tokens,requests,service
2025-01-03T09:12:00,openai,gpt-4o,1200,300,1,DRH
2025-01-03T10:00:00,openai,gpt-4o,800,200,2,DRH
2025-01-20T11:00:00,mistralai,mistral-small-latest,100,50,1,DSI
2025-02-01T08:00:00,openai,gpt-4o,1000,250,1,DRH
"""


def _file(tmp_path, text, name="usage.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_generic_log_becomes_monthly_declarations_by_service_and_model(tmp_path, factors):
    store = Store(tmp_path / "s.duckdb")
    done = import_usage(_file(tmp_path, GENERIC), store, factors)
    assert done.rows == 4 and done.counts["created"] == 3
    frame = store.declarations().set_index(["service", "model", "year"])
    january = store.declarations()
    january = january[january["comment"].str.contains("2025-01") & (january["model"] == "gpt-4o")].iloc[0]
    assert january["requests"] == 3 and january["output_tokens"] == 500 and january["input_tokens"] == 2000
    assert set(frame.index.get_level_values("service")) == {"DRH", "DSI"}
    assert done.ours["energy_kwh"]["central"] > 0


def test_importing_the_same_log_twice_adds_nothing(tmp_path, factors):
    store = Store(tmp_path / "s.duckdb")
    path = _file(tmp_path, GENERIC)
    import_usage(path, store, factors)
    again = import_usage(path, store, factors)
    assert again.counts == {"created": 0, "modified": 0, "unchanged": 3}
    assert len(store.declarations()) == 3


def test_albert_log_keeps_the_gateway_estimate_beside_ours(tmp_path, factors):
    text = ("datetime,model,prompt_tokens,completion_tokens,kwh_min,kwh_max,kgco2eq_min,kgco2eq_max\n"
            "2025-03-01 10:00:00,albert-large,500,400,0.0002,0.0004,0.00001,0.00002\n"
            "2025-03-02 10:00:00,albert-large,700,300,0.0001,0.0003,0.00001,0.00002\n")
    path = _file(tmp_path, text, "albert.csv")
    store = Store(tmp_path / "s.duckdb")
    with pytest.raises(InputError) as caught:
        import_usage(path, store, factors, preset="albert")
    assert "modèle inconnu « self_hosted/albert-large » (2 requêtes)" in str(caught.value)
    assert "--map" in str(caught.value)
    assert store.declarations().empty
    done = import_usage(path, store, factors, preset="albert",
                        mapping={"albert-large": "mistralai/Mistral-Small-3.2-24B-Instruct-2506"})
    assert done.gateway == pytest.approx({"gateway_kwh_min": 0.0003, "gateway_kwh_max": 0.0007,
                                          "gateway_kgco2e_min": 0.00002, "gateway_kgco2e_max": 0.00004})
    [row] = store.declarations().to_dict("records")
    assert row["hosting"] == "albert_api" and row["model"] == "mistralai/Mistral-Small-3.2-24B-Instruct-2506"
    assert row["gateway_kwh_max"] == pytest.approx(0.0007)


def test_openai_export_with_unix_times_and_request_counts(tmp_path, factors):
    text = ("start_time,end_time,model,input_tokens,output_tokens,num_model_requests,project_id\n"
            "1735689600,1735776000,gpt-4o-mini,100000,40000,120,proj_mairie\n"
            "1738368000,1738454400,gpt-4o-mini,50000,20000,60,proj_mairie\n")
    store = Store(tmp_path / "s.duckdb")
    done = import_usage(_file(tmp_path, text, "openai.csv"), store, factors, preset="openai")
    assert sorted(done.declarations["year"]) == [2025, 2025]
    assert sorted(done.declarations["requests"]) == [60, 120]
    assert set(done.declarations["service"]) == {"proj_mairie"}


def test_parquet_and_jsonl_logs_are_read(tmp_path, factors):
    frame = pd.read_csv(pd.io.common.StringIO(GENERIC))
    parquet = tmp_path / "usage.parquet"
    frame.to_parquet(parquet)
    jsonl = tmp_path / "usage.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in frame.to_dict("records")), encoding="utf-8")
    for path in (parquet, jsonl):
        done = import_usage(path, Store(tmp_path / f"{path.suffix}.duckdb"), factors)
        assert len(done.declarations) == 3, path


@pytest.mark.parametrize("text, fragment", [
    ("", "fichier vide"),
    ("timestamp,provider,model,input_tokens,output_tokens\n", "aucune ligne d'usage"),
    ("timestamp,provider,model,input_tokens\n2025-01-01,openai,gpt-4o,3\n", "colonne(s) manquante(s)"),
    ("timestamp,provider,model,input_tokens,output_tokens\n2025-01-01,openai,gpt-4o,3,-8\n",
     "tokens de sortie manquants, non numériques ou négatifs"),
    ("timestamp,provider,model,input_tokens,output_tokens\n2025-01-01,openai,gpt-4o,3,beaucoup\n",
     "tokens de sortie manquants, non numériques ou négatifs"),
    ("timestamp,provider,model,input_tokens,output_tokens\nhier,openai,gpt-4o,3,8\n", "horodatage illisible"),
    ("timestamp,provider,model,input_tokens,output_tokens\n2025-01-01,openai,gpt-5-turbo-max,3,8\n",
     "noms proches"),
    ("timestamp,provider,model,input_tokens,output_tokens\n2025-01-01,openai,gpt-4o,3,1e30\n",
     "tokens de sortie invraisemblables"),
    ("timestamp,provider,model,input_tokens,output_tokens\n2025-01-01,openai,gpt-4o,3,NaN\n",
     "tokens de sortie manquants, non numériques ou négatifs"),
])
def test_broken_logs_exit_2_and_write_nothing(capsys, tmp_path, text, fragment):
    db = tmp_path / "s.duckdb"
    new_store(db)
    path = _file(tmp_path, text)
    code = main(["usage", "import", str(path), "--db", str(db)])
    err = capsys.readouterr().err
    assert code == 2 and fragment in err and "Traceback" not in err
    assert Store(db).declarations().empty


def test_binary_garbage_is_refused(capsys, tmp_path):
    path = tmp_path / "usage.parquet"
    path.write_bytes(bytes(range(256)) * 50)
    code = main(["usage", "import", str(path), "--db", new_store(tmp_path / "s.duckdb")])
    assert code == 2 and "journal illisible" in capsys.readouterr().err


def test_usage_import_command_prints_both_estimates(capsys, tmp_path):
    text = ("datetime,model,prompt_tokens,completion_tokens,kwh_min,kwh_max,kgco2eq_min,kgco2eq_max\n"
            "2025-03-01 10:00:00,Qwen/Qwen3-8B,500,400,0.0002,0.0004,0.00001,0.00002\n")
    code = main(["usage", "import", str(_file(tmp_path, text)), "--preset", "albert", "--service", "Relation usagers",
                 "--db", new_store(tmp_path / "s.duckdb")])
    out = capsys.readouterr().out
    assert code == 0
    assert "Empreinte IA :" in out and "Estimation de la passerelle" in out
    assert Store(tmp_path / "s.duckdb").declarations()["service"].tolist() == ["Relation usagers"]


def test_two_spellings_of_one_model_make_one_declaration(tmp_path, factors):
    text = ("timestamp,provider,model,input_tokens,output_tokens\n"
            "2025-01-03,openai,gpt-4o,10,100\n2025-01-04,OpenAI,GPT-4o,10,100\n2025-01-05,openai,gpt4o,10,100\n")
    store = Store(tmp_path / "s.duckdb")
    done = import_usage(_file(tmp_path, text), store, factors, mapping={"gpt4o": "openai/gpt-4o"})
    [row] = store.declarations().to_dict("records")
    assert row["requests"] == 3 and row["output_tokens"] == 300 and done.rows == 3


def test_an_overlapping_log_replaces_the_month_instead_of_adding_to_it(tmp_path, factors):
    january = "timestamp,provider,model,input_tokens,output_tokens\n2025-01-03,openai,gpt-4o,10,100\n"
    both = january + "2025-02-03,openai,gpt-4o,10,200\n"
    store = Store(tmp_path / "s.duckdb")
    import_usage(_file(tmp_path, january, "janvier.csv"), store, factors)
    import_usage(_file(tmp_path, both, "janvier-fevrier.csv"), store, factors)
    import_usage(_file(tmp_path, january.replace("\n", "\r\n"), "janvier-windows.csv"), store, factors)
    frame = store.declarations()
    assert len(frame) == 2 and frame["output_tokens"].sum() == 300


def test_zero_requests_with_tokens_is_named_as_such(capsys, tmp_path):
    path = _file(tmp_path, "timestamp,provider,model,input_tokens,output_tokens,requests\n"
                           "2025-01-01,openai,gpt-4o,3,300,0\n")
    assert main(["usage", "import", str(path), "--db", new_store(tmp_path / "s.duckdb")]) == 2
    assert "nombre de requêtes nul" in capsys.readouterr().err


# -- real files: French office software, hostile names -------------------------------------------

FRENCH = ("horodatage;fournisseur;modele;tokens_entree;tokens_sortie;service\n"
          "09/11/2025 10:15;openai;gpt-4o;1 200;300,0;  Déchets et propreté  \n"
          "25/11/2025 11:00;openai;gpt-4o;800;200;Déchets et propreté\n")
FRENCH_MAP = ["--map", "x=y"]


def _french(text: str) -> str:
    return text.replace("horodatage;fournisseur;modele;tokens_entree;tokens_sortie;service",
                        "timestamp;provider;model;input_tokens;output_tokens;service")


def test_a_windows_1252_log_saved_by_french_excel_is_read(tmp_path, factors):
    path = tmp_path / "journal.csv"
    path.write_bytes(_french(FRENCH).encode("cp1252"))
    store = Store(tmp_path / "s.duckdb")
    done = import_usage(path, store, factors)
    [row] = done.declarations.to_dict("records")
    assert row["service"] == "Déchets et propreté" and row["input_tokens"] == 2000 and row["output_tokens"] == 500
    assert row["year"] == 2025 and "2025-11" in row["comment"]  # 09/11 is the 9th of November


def test_french_slashed_dates_are_read_day_first(tmp_path, factors):
    text = _french(FRENCH).replace("25/11/2025", "03/02/2025")
    done = import_usage(_file(tmp_path, text), Store(tmp_path / "s.duckdb"), factors)
    assert sorted(m[-7:] for m in done.declarations["id"].str.slice(2, 9)) == ["2025-02", "2025-11"]


def test_a_decimal_comma_number_in_a_semicolon_log_is_a_number(tmp_path, factors):
    text = _french(FRENCH).replace("300,0", "1,234")
    done = import_usage(_file(tmp_path, text), Store(tmp_path / "s.duckdb"), factors)
    assert done.declarations["output_tokens"].sum() == pytest.approx(201.234)


def test_errors_name_the_first_bad_line_and_its_value(tmp_path, capsys):
    lines = [GENERIC.splitlines()[0]] + [f"2025-01-0{d}T09:00:00,openai,gpt-4o,10,20,1,DRH" for d in range(1, 8)]
    lines[5] = "2025-01-05T09:00:00,openai,gpt-4o,10,beaucoup,1,DRH"
    lines[7] = "2025-01-07T09:00:00,openai,gpt-4o,10,-3,1,DRH"
    path = _file(tmp_path, "\n".join(lines) + "\n")
    code = main(["usage", "import", str(path), "--db", new_store(tmp_path / "s.duckdb")])
    err = capsys.readouterr().err
    assert code == 2 and "ligne 6" in err and "beaucoup" in err and "2 lignes" in err and "Traceback" not in err


def test_one_windows_1252_line_in_a_utf8_log_is_refused_with_its_line(tmp_path, capsys):
    path = tmp_path / "journal.csv"
    path.write_bytes(_french(FRENCH).encode("utf-8") + "01/12/2025 10:00;openai;gpt-4o;1;2;Élus\n".encode("cp1252"))
    code = main(["usage", "import", str(path), "--db", new_store(tmp_path / "s.duckdb")])
    err = capsys.readouterr().err
    assert code == 2 and "ligne 4" in err and "encodage mélangé" in err


@pytest.mark.parametrize("text, fragment", [
    (GENERIC + '2025-03-01T00:00:00,openai,"gpt-4o,1,2,1,DRH\n2025-03-02T00:00:00,openai,gpt-4o,1,2,1,DRH\n',
     "guillemet"),
    (GENERIC + "2025-03-01T00:00:00,openai,gpt-4o,1,2,1,DRH,en trop\n", "nombre de cellules"),
    (GENERIC + "2025-03-01T00:00:00,openai,gpt-4o,1,2,1,\x01=HYPERLINK(1)\n", "caractère de contrôle"),
])
def test_malformed_csv_logs_get_a_french_reason_and_write_nothing(tmp_path, capsys, text, fragment):
    db = tmp_path / "s.duckdb"
    new_store(db)
    code = main(["usage", "import", str(_file(tmp_path, text)), "--db", str(db)])
    err = capsys.readouterr().err
    assert code == 2 and fragment in err and "Error" not in err and "Traceback" not in err
    assert Store(db).declarations().empty


def test_a_path_names_one_file_never_a_pattern(tmp_path, factors):
    for name in ("journal1.csv", "journal2.csv"):
        _file(tmp_path, GENERIC, name)
    store = Store(tmp_path / "s.duckdb")
    with pytest.raises(InputError, match="fichier introuvable"):
        import_usage(tmp_path / "journal[12].csv", store, factors)
    literal = _file(tmp_path, GENERIC.splitlines()[0] + "\n" + GENERIC.splitlines()[1] + "\n", "journal[12].csv")
    assert import_usage(literal, store, factors).rows == 1


def test_an_upload_is_read_from_memory_and_its_name_never_becomes_a_path(tmp_path, factors, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = Store(tmp_path / "s.duckdb")
    done = import_usage(GENERIC.encode(), store, factors, name="../../x.csv")
    assert done.file_name == "x.csv" and done.rows == 4
    assert not (tmp_path.parent / "x.csv").exists() and not (tmp_path / "x.csv").exists()


def test_a_quote_left_open_in_a_log_is_refused_instead_of_swallowing_rows(tmp_path, factors):
    text = (GENERIC.splitlines()[0] + "\n" + '2025-08-05T10:00:00,openai,gpt-4o,100,200,1,"DRH\n'
            "2025-08-05T10:00:00,openai,gpt-4o,100,200,1,DSI\n2025-08-05T10:00:00,openai,gpt-4o,100,200,1,Culture\"\n"
            "2025-08-06T10:00:00,openai,gpt-4o,100,200,1,Sport\n")
    store = Store(tmp_path / "s.duckdb")
    with pytest.raises(InputError, match="guillemet") as caught:
        import_usage(_file(tmp_path, text), store, factors)
    assert caught.value.problems[0].line == 2 and store.declarations().empty


def test_a_log_whose_lines_end_with_cr_alone_is_read(tmp_path, factors):
    path = tmp_path / "mac.csv"
    path.write_bytes(GENERIC.replace("\n", "\r").encode())
    assert import_usage(path, Store(tmp_path / "s.duckdb"), factors).rows == 4


def test_a_blank_service_option_is_refused(tmp_path, factors):
    with pytest.raises(InputError, match="service vide"):
        import_usage(_file(tmp_path, GENERIC), Store(tmp_path / "s.duckdb"), factors, service="   ")


def test_a_jsonl_key_that_appears_late_is_read(tmp_path, factors):
    line = '{"timestamp": "2025-05-01T10:00:00", "provider": "openai", "model": "gpt-4o", "input_tokens": 1, ' \
           '"output_tokens": 2}\n'
    late = line.replace('"output_tokens": 2}', '"output_tokens": 2, "service": "DRH"}')
    path = tmp_path / "journal.jsonl"
    path.write_text(line * 25_000 + late, encoding="utf-8")
    done = import_usage(path, Store(tmp_path / "s.duckdb"), factors)
    assert done.rows == 25_001 and set(done.declarations["service"]) == {"DRH", "(service non précisé)"}


def test_months_are_counted_in_utc_whatever_the_machine_zone(tmp_path, factors, monkeypatch):
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14: a zone where these times fall a day later
    text = ("timestamp,provider,model,input_tokens,output_tokens\n1735689599,openai,gpt-4o,1,2\n"
            "2025-01-31T23:30:00-05:00,openai,gpt-4o,1,2\n")
    done = import_usage(_file(tmp_path, text), Store(tmp_path / "s.duckdb"), factors)
    assert sorted(done.declarations["comment"].str.extract(r"(\d{4}-\d{2})")[0]) == ["2024-12", "2025-02"]
