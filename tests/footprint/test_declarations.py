"""Declarations: the files French offices produce, all-or-nothing imports with every bad row
listed in French, exact round trips, and volumes in the user's own terms."""

import io
import math

import pandas as pd
import pytest
from openpyxl import Workbook

from cli.main import main
from core.errors import InputError
from footprint.engine import compute_impacts
from footprint.inventory.declarations import export_declarations, read_declarations, to_workloads
from footprint.io.cells import parse_number
from footprint.store import Store
from tests.stores import new_store

HEADER = "id;annee;service;cas_usage;type;fournisseur;modele;agents;requetes_par_agent_par_jour;requetes;commentaire"


def _write(tmp_path, text: str, name: str = "declarations.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _run(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_example_file_imports_with_the_volumes_of_the_user(factors):
    frame = read_declarations("examples/declarations.csv", factors)
    assert len(frame) == 9
    workloads = to_workloads(frame, factors).set_index(frame["id"])
    # 15 agents x 20 requests a day x 228 working days; 600 output tokens from the profile.
    assert workloads.loc["IA-00001", "requests"] == 15 * 20 * 228
    assert workloads.loc["IA-00001", "output_tokens_per_request"] == 600
    assert workloads.loc["IA-00003", "requests"] == 120_000
    assert workloads.loc["IA-00008", "utilization"] == 0.7
    assert workloads.loc["IA-00009", "energy_kwh"] == 42.5


@pytest.mark.parametrize("text, encoding", [
    (f"{HEADER}\n;2025;DRH;redaction_courrier;llm;mistralai;mistral-large-latest;1 234;2,5;;Courriers à l'élu\n",
     "utf-8"),
    ("\ufeff" + f"{HEADER}\n;2025;DRH;redaction_courrier;llm;mistralai;mistral-large-latest;1 234;2,5;;Élus\n",
     "utf-8"),
    (f"{HEADER}\n;2025;DRH;redaction_courrier;llm;mistralai;mistral-large-latest;1 234;2,5;;Été, élus\n", "cp1252"),
    (HEADER.replace(";", ",") + '\n,2025,DRH,redaction_courrier,llm,mistralai,mistral-large-latest,1234,"2,5",,x\n',
     "utf-8"),
    (HEADER.replace(";", "\t") + "\n\t2025\tDRH\tredaction_courrier\tllm\tmistralai\tmistral-large-latest\t"
     "1\u00a0234\t2.5\t\tx\n", "utf-8"),
])
def test_french_office_csv_variants_are_read(factors, tmp_path, text, encoding):
    frame = read_declarations(_write(tmp_path, text, encoding=encoding), factors)
    assert frame.loc[0, "agents"] == 1234 and frame.loc[0, "requests_per_agent_per_day"] == 2.5
    assert frame.loc[0, "service"] == "DRH"


def test_accented_headers_and_cp1252_text_survive(factors, tmp_path):
    text = "Année;Service;Cas d'usage;Type;Fournisseur;Modèle;Requêtes;Commentaire\n2025;Mairie;traduction;LLM;" \
           "openai;gpt-4o-mini;500;Traduction des arrêtés\n"
    frame = read_declarations(_write(tmp_path, text, encoding="cp1252"), factors)
    assert frame.loc[0, "comment"] == "Traduction des arrêtés"
    assert frame.loc[0, "kind"] == "llm"


def test_xlsx_from_excel_is_read_with_numbers_and_text(factors, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["annee", "service", "type", "gpu", "nb_gpu", "heures", "hebergement", "donnees_personnelles"])
    sheet.append([2025, "DSI", "gpu", "A100", 4, 12.5, "salle_serveurs", "Oui"])
    path = tmp_path / "inventaire.xlsx"
    workbook.save(path)
    frame = read_declarations(path, factors)
    assert frame.loc[0, "hours"] == 12.5 and frame.loc[0, "gpus"] == 4 and frame.loc[0, "personal_data"]


def test_export_then_import_gives_back_the_same_declarations_to_the_last_digit(factors, tmp_path):
    store = Store(tmp_path / "s.duckdb")
    awkward = [0.1, 1 / 3, 1e-7, 123456789.123, 2.5e-12]
    rows = [dict(year=2025, service=f"=HYPERLINK(\"x\")-{i}", kind="measured", energy_kwh=value, zone="FRA",
                 comment="Nuit; « guillemets » et \"doubles\"\nsur deux lignes", owner="+33 1 23")
            for i, value in enumerate(awkward)]
    store.save(pd.DataFrame(rows))
    before = store.declarations()
    for name in ("export.csv", "export.xlsx"):
        path = export_declarations(before, tmp_path / name)
        again = read_declarations(path, factors)
        assert store.save(again) == {"created": 0, "modified": 0, "unchanged": len(rows)}, name
        assert again["energy_kwh"].tolist() == awkward
        assert again["service"].tolist() == before["service"].tolist()
        assert again["comment"].tolist() == before["comment"].tolist()


def test_export_neutralises_formulas_for_spreadsheets(factors, tmp_path):
    store = Store(tmp_path / "s.duckdb")
    store.save(pd.DataFrame([dict(year=2025, service="=1+1", kind="measured", energy_kwh=1.0, zone="FRA")]))
    path = export_declarations(store.declarations(), tmp_path / "x.csv")
    assert ";'=1+1;" in path.read_text(encoding="utf-8-sig")


def test_parse_number_reads_what_people_write():
    assert parse_number("1 234,5") == 1234.5
    assert parse_number("1.234,5") == 1234.5
    assert parse_number("1,234.5") == 1234.5
    assert parse_number("2e3") == 2000
    assert parse_number(" ") is None
    for text in ("nan", "inf", "12 kWh", "1,2,3"):
        with pytest.raises(ValueError):
            parse_number(text)


BAD_FILES = {
    "vide.csv": (b"", "fichier vide"),
    "entete.csv": (HEADER.encode(), "aucune déclaration"),
    "binaire.csv": (bytes(range(256)) * 40, "binaire"),
    "separateur.csv": (HEADER.replace(";", "|").encode() + b"\n|2025|DRH|x|llm|openai|gpt-4o|1|1||\n",
                       "séparateur de colonnes n'a pas été reconnu"),
    "colonne.csv": (b"id;service;type\n;DRH;llm\n", "colonne(s) obligatoire(s) manquante(s) : annee"),
    "negatif.csv": (f"{HEADER}\n;2025;DRH;redaction_courrier;llm;openai;gpt-4o;-3;2;;\n".encode(), "valeur négative"),
    "texte.csv": (f"{HEADER}\n;2025;DRH;redaction_courrier;llm;openai;gpt-4o;beaucoup;2;;\n".encode(),
                  "valeur non numérique"),
    "nan.csv": (f"{HEADER}\n;2025;DRH;redaction_courrier;llm;openai;gpt-4o;;;NaN;\n".encode(), "valeur non numérique"),
    "enorme.csv": (f"{HEADER}\n;2025;DRH;redaction_courrier;llm;openai;gpt-4o;;;1e30;\n".encode(),
                   "valeur invraisemblable"),
    "modele.csv": (f"{HEADER}\n;2025;DRH;redaction_courrier;llm;openai;gpt4o;;;100;\n".encode(),
                   "noms proches : openai/gpt-4o"),
    "zone.csv": (b"annee;service;type;kwh_mesures;zone\n2025;DSI;mesure;3;XXX\n", "zone électrique inconnue"),
    "gpu.csv": (b"annee;service;type;gpu;heures;zone\n2025;DSI;gpu;Z900;3;FRA\n", "GPU inconnu"),
    "doublon.csv": (f"{HEADER}\nA;2025;DRH;redaction_courrier;llm;openai;gpt-4o;;;10;\n"
                    f"A;2025;DRH;redaction_courrier;llm;openai;gpt-4o;;;20;\n".encode(), "identifiant en double"),
    "volume.csv": (f"{HEADER}\n;2025;DRH;redaction_courrier;llm;openai;gpt-4o;;;;\n".encode(), "volume manquant"),
    "faux.xlsx": (b"PK\x03\x04 pas un classeur", "XLSX illisible"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_broken_file_exits_2_with_a_french_message_and_changes_nothing(capsys, tmp_path, name):
    content, fragment = BAD_FILES[name]
    db = tmp_path / "inventaire.duckdb"
    new_store(db)
    code, out, err = _run(capsys, "declarations", "import", "examples/declarations.csv", "--db", str(db))
    assert code == 0
    before = Store(db).history()
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = _run(capsys, "declarations", "import", str(path), "--db", str(db))
    assert code == 2, err
    assert fragment in err and name in err
    assert "Traceback" not in err
    pd.testing.assert_frame_equal(Store(db).history(), before)


def test_every_bad_row_is_listed_with_its_line_and_column(factors, tmp_path):
    text = (f"{HEADER}\n;2025;DRH;redaction_courrier;llm;openai;gpt-4o;-1;2;;\n"
            f";2025;DRH;redaction_courrier;llm;openai;gpt-4o;;;10;\n"
            f";2025;DRH;redaction_courrier;llm;openai;gpt-4o;;;abc;\n")
    with pytest.raises(InputError) as caught:
        read_declarations(_write(tmp_path, text), factors)
    located = {(p.line, p.column) for p in caught.value.problems}
    assert located == {(2, "agents"), (4, "requetes")}
    assert all(p.file == "declarations.csv" for p in caught.value.problems)


def test_a_100_mb_file_is_refused_clearly_without_being_read(capsys, tmp_path):
    path = tmp_path / "enorme.csv"
    with path.open("wb") as handle:
        handle.write(HEADER.encode() + b"\n")
        line = b";2025;DRH;redaction_courrier;llm;openai;gpt-4o;;;10;\n"
        handle.write(line * (100_000_000 // len(line)))
    code, _, err = _run(capsys, "declarations", "import", str(path), "--db", new_store(tmp_path / "s.duckdb"))
    assert code == 2
    assert "trop volumineux" in err and "usage import" in err


def test_add_list_history_delete_restore_from_the_command_line(capsys, tmp_path, factors):
    db = new_store(tmp_path / "s.duckdb")
    code, out, _ = _run(capsys, "declarations", "add", "--db", db, "--year", "2025", "--service", "Culture",
                        "--type", "llm", "--provider", "Mistral", "--model", "mistral-small-latest", "--use-case",
                        "traduction", "--agents", "4", "--requests-per-agent-per-day", "3", "--personal-data", "non")
    assert code == 0 and "IA-00001 créée" in out
    code, out, _ = _run(capsys, "declarations", "add", "--db", db, "--id", "IA-00001", "--year", "2025",
                        "--service", "Culture", "--type", "llm", "--provider", "mistralai", "--model",
                        "mistral-small-latest", "--use-case", "traduction", "--agents", "5",
                        "--requests-per-agent-per-day", "3")
    assert code == 0 and "modifiée" in out
    code, out, _ = _run(capsys, "declarations", "history", "IA-00001", "--db", db)
    assert "v1" in out and "v2" in out and "agents : 4 → 5" in out and "fournisseur" not in out
    assert _run(capsys, "declarations", "delete", "IA-00001", "--db", db)[0] == 0
    assert "Aucune déclaration" in _run(capsys, "declarations", "list", "--db", db)[1]
    assert "[supprimée]" in _run(capsys, "declarations", "list", "--all", "--db", db)[1]
    assert _run(capsys, "declarations", "restore", "IA-00001", "--db", db)[0] == 0
    frame = Store(db).declarations()
    result = compute_impacts(to_workloads(frame, factors), factors)
    assert result["energy_kwh_central"].iloc[0] > 0


def test_add_refuses_bad_input_with_exit_2(capsys, tmp_path):
    code, _, err = _run(capsys, "declarations", "add", "--db", new_store(tmp_path / "s.duckdb"), "--service", "DRH",
                        "--type", "llm", "--provider", "openai", "--model", "gpt-4o", "--requests", "-5")
    assert code == 2 and "valeur négative" in err
    assert Store(tmp_path / "s.duckdb").declarations().empty


def test_inventory_totals_and_groups_agree(capsys, tmp_path):
    db = new_store(tmp_path / "s.duckdb")
    assert _run(capsys, "declarations", "import", "examples/declarations.csv", "--db", db)[0] == 0
    code, out, _ = _run(capsys, "inventory", "--year", "2025", "--by", "service", "--json", "--db", db)
    assert code == 0
    import json

    payload = json.loads(out)
    assert payload["declarations"] == 9 and payload["year"] == 2025
    for key in ("energy_kwh", "gwp_kgco2e", "water_l", "adpe_kgsbeq", "pe_mj"):
        total = sum(g[key]["central"] for g in payload["groups"])
        assert math.isclose(total, payload["total"][key]["central"], rel_tol=1e-9)
    code, out, _ = _run(capsys, "inventory", "--year", "2025", "--by", "type", "--csv", "--db", db)
    table = pd.read_csv(io.StringIO(out), sep=";", decimal=",")
    assert set(table["groupe"]) == {"llm", "gpu", "tache", "mesure", "TOTAL"}
    total_row = table[table["groupe"] == "TOTAL"].iloc[0]
    assert math.isclose(total_row["ges_kgco2e_central"], payload["total"]["gwp_kgco2e"]["central"], rel_tol=1e-9)


def test_add_with_an_id_changes_only_what_is_typed(capsys, tmp_path):
    db = new_store(tmp_path / "s.duckdb")
    assert main(["declarations", "import", "examples/declarations.csv", "--db", db]) == 0
    assert main(["declarations", "add", "--id", "IA-00001", "--agents", "16", "--db", db]) == 0
    row = Store(db).declarations().set_index("id").loc["IA-00001"]
    assert row["agents"] == 16 and row["year"] == 2025 and row["owner"] == "DRH" and row["personal_data"]
    capsys.readouterr()
    assert main(["declarations", "history", "IA-00001", "--db", db]) == 0
    assert "agents : 15 → 16" in capsys.readouterr().out


def test_a_file_without_some_columns_keeps_their_stored_values(tmp_path, capsys):
    db = new_store(tmp_path / "s.duckdb")
    assert main(["declarations", "import", "examples/declarations.csv", "--db", db]) == 0
    partial = tmp_path / "partiel.csv"
    partial.write_text("id;annee;service;type;fournisseur;modele;agents;requetes_par_agent_par_jour;cas_usage\n"
                       "IA-00001;2025;Direction des ressources humaines;llm;mistralai;mistral-large-latest;20;20;"
                       "redaction_courrier\n", encoding="utf-8")
    assert main(["declarations", "import", str(partial), "--db", db]) == 0
    row = Store(db).declarations().set_index("id").loc["IA-00001"]
    assert row["agents"] == 20 and row["owner"] == "DRH" and row["comment"].startswith("Assistant de rédaction")


def test_the_inventory_as_it_stood_at_a_date(capsys, tmp_path):
    db = new_store(tmp_path / "s.duckdb")
    assert main(["declarations", "import", "examples/declarations.csv", "--db", db]) == 0
    capsys.readouterr()
    assert main(["declarations", "list", "--as-of", "2020-01-01", "--db", db]) == 0
    assert "Aucune déclaration" in capsys.readouterr().out


@pytest.mark.parametrize("row, fragment", [
    ("IA-1;2025;DRH;redaction_courrier;llm;openai;gpt-4o;15;20;1000;", "volume donné de plusieurs façons"),
    ("IA-1;2025;DRH;redaction_courrier;llm;openai;gpt-4o;;;10;;en trop", r"cellule\(s\) de plus"),
    ("IA-1;2025;DRH;redaction_courrier;llm;openai;gpt-4o;;;10;\x01", "caractère de contrôle"),
])
def test_contradictory_or_malformed_rows_are_refused(factors, tmp_path, row, fragment):
    with pytest.raises(InputError, match=fragment):
        read_declarations(_write(tmp_path, f"{HEADER}\n{row}\n"), factors)


def test_a_csv_given_as_the_database_is_refused_and_left_untouched(capsys, tmp_path):
    victim = tmp_path / "victime.csv"
    victim.write_text("a;b\n1;2\n")
    code = main(["declarations", "import", "examples/declarations.csv", "--db", str(victim)])
    assert code == 3 and "n'est pas une base DuckDB" in capsys.readouterr().err
    assert victim.read_text() == "a;b\n1;2\n"


def test_data_under_a_header_that_names_nothing_is_not_dropped(factors, tmp_path):
    for header, fragment in (("annee;service;;type", "sans nom d'en-tête"), ("annee;service;€;type", "inconnue")):
        text = f"{header};fournisseur;modele;requetes;cas_usage\n2025;DRH;perdu;llm;openai;gpt-4o;10;traduction\n"
        with pytest.raises(InputError, match=fragment):
            read_declarations(_write(tmp_path, text), factors)


def test_an_id_is_written_the_store_way_or_refused(factors, tmp_path):
    row = "2025;DRH;traduction;llm;openai;gpt-4o;;;10;"
    frame = read_declarations(_write(tmp_path, f"{HEADER}\nia-00002;{row}\n"), factors)
    assert frame["id"].tolist() == ["IA-00002"]
    for bad in ("=1+1", "IA 00002", "../x"):
        with pytest.raises(InputError, match="identifiant invalide"):
            read_declarations(_write(tmp_path, f"{HEADER}\n{bad};{row}\n"), factors)
