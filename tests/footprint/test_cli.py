"""``python -m footprint``, run as a user runs it: a real process, its exit code, its stdout and its
stderr. ``estimate``; then the store a command names (never created by mistake, never another
application's file, read-only, damaged, on a full disk), arguments that are not UTF-8, paths that
are never patterns, two people editing one declaration, and the versions of custom scenarios."""

import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.disks import fill, small_disk
from tests.stores import example_store, foreign_duckdb

ROOT = Path(__file__).resolve().parents[2]
IMPACT_KEYS = ["energy_kwh", "gwp_kgco2e", "gwp_usage_kgco2e", "gwp_embodied_kgco2e", "water_l", "adpe_kgsbeq",
               "pe_mj"]


def run(*args: str, extra_python: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *extra_python, "-m", "footprint", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_estimate_llm_json_has_the_contract_keys_and_its_factors():
    done = run("estimate", "llm", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "1000",
               "--requests", "10", "--zone", "FRA", "--json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    for key in IMPACT_KEYS:
        assert set(payload[key]) == {"low", "central", "high"}
        assert payload[key]["low"] <= payload[key]["central"] <= payload[key]["high"]
    assert len(payload["factor_base_version"]) == 12
    names = {f["name"] for f in payload["factors"]}
    assert {"active_parameters_min", "pue_min", "wue_onsite_max", "gwp", "gpu_energy_alpha", "batch_size"} <= names
    gwp = next(f for f in payload["factors"] if f["name"] == "gwp")
    assert gwp["value"] == 0.0461 and gwp["year"] == 2025 and "ADEME" in gwp["source"]
    assert all({"name", "value", "unit", "year", "source"} <= set(f) for f in payload["factors"])


def test_estimate_gpu_json_matches_the_reference_case():
    done = run("estimate", "gpu", "--gpu", "A100-SXM4", "--gpus", "1", "--hours", "100", "--utilization", "1",
               "--server-overhead-w", "0", "--pue", "1", "--zone", "FRA", "--no-embodied", "--json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["energy_kwh"]["central"] == pytest.approx(40.0)
    assert payload["gwp_embodied_kgco2e"]["central"] == 0


def test_human_summary_is_french_with_units_and_range():
    done = run("estimate", "llm", "--provider", "anthropic", "--model", "claude-sonnet-4-5", "--output-tokens",
               "1 000", "--requests", "2500")
    assert done.returncode == 0, done.stderr
    assert "Énergie" in done.stdout and "kWh" in done.stdout and "(de " in done.stdout
    assert "Émissions de GES" in done.stdout and "CO2e" in done.stdout
    assert "Eau consommée" in done.stdout and " L" in done.stdout
    assert "2\u202f500 requête(s)" in done.stdout


@pytest.mark.parametrize("args, fragment", [
    (["llm", "--provider", "openai", "--model", "gpt4o", "--output-tokens", "10"], "noms proches : openai/gpt-4o"),
    (["llm", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "-3"],
     "--output-tokens : valeur négative"),
    (["llm", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "abc"], "valeur non numérique"),
    (["llm", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "10", "--pue", "0.9"],
     "le PUE ne peut pas être inférieur à 1"),
    (["llm", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "10", "--zone", "XYZ"],
     "zone électrique inconnue"),
    (["gpu", "--gpu", "B900", "--hours", "3"], "GPU inconnu"),
    (["gpu", "--gpu", "T4", "--hours", "3", "--mix", "charbon"], "jeu de facteurs d'électricité inconnu"),
    (["llm", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "500", "--requests", "1,000"],
     "écriture ambiguë"),
    (["llm", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "1e308", "--json"], "invraisemblable"),
    (["llm", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "10", "--requests", "nan"],
     "valeur non numérique"),
    (["gpu", "--gpu", "T4", "--hours", "3", "--year", "2023.5"], "un nombre entier est attendu"),
    (["gpu", "--gpu", "T4", "--hours", "3", "--cpu-cores", "8"], "puissance par cœur"),
    (["llm", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "10", "--hosting", "nope"],
     "connus : albert_api"),
    (["llm", "--provider", "openai"], "arguments obligatoires manquants"),
])
def test_bad_input_exits_2_with_one_french_line_and_no_traceback(args, fragment):
    done = run("estimate", *args)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Erreur") and fragment in lines[0]
    assert "Traceback" not in done.stderr


def test_estimate_does_not_import_the_dashboard_or_the_tracker():
    done = run("estimate", "llm", "--provider", "mistralai", "--model", "mistral-small-latest", "--output-tokens",
               "100", extra_python=("-X", "importtime"))
    assert done.returncode == 0
    imported = {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines() if "|" in line}
    assert not imported & {"streamlit", "plotly", "codecarbon"}


def test_help_is_in_french():
    done = run("estimate", "gpu", "--help")
    assert done.returncode == 0
    assert "utilisation :" in done.stdout and "durée en heures" in done.stdout


def test_summary_says_which_electricity_and_pue_were_used():
    done = run("estimate", "llm", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "100")
    assert "Électricité : zone USA" in done.stdout and "PUE : 1,20 (hébergement openai)" in done.stdout
    assert "architecture non publiée" in done.stdout  # EcoLogits' own precision warning, in French


def test_zone_aliases_and_case_are_accepted():
    done = run("estimate", "measured", "--kwh", "10", "--zone", "fr", "--hosting", "Salle_Serveurs", "--json")
    assert done.returncode == 0, done.stderr
    gwp = next(f for f in json.loads(done.stdout)["factors"] if f["name"] == "gwp")
    assert gwp["key"].startswith("FRA / ademe_base_empreinte")


def test_a_factor_other_than_the_one_asked_for_is_announced():
    done = run("estimate", "measured", "--kwh", "10", "--zone", "DEU", "--mix", "rte_direct")
    assert "le jeu « rte_direct » n'a pas de facteur pour cette zone" in done.stdout
    done = run("estimate", "measured", "--kwh", "10", "--zone", "FRA", "--year", "2050")
    assert "pas de facteur « ademe_base_empreinte » pour 2050 ; facteur 2025 utilisé" in done.stdout


# -- the store a command names (--db) -----------------------------------------------------------


def run_with(*args, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    """``python -m footprint`` with arguments that may be bytes (a name that is not UTF-8)."""
    return subprocess.run([sys.executable, "-m", "footprint", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=180, env=None if env is None else os.environ | env)


def _french_only(done: subprocess.CompletedProcess) -> None:
    """One French error, without a traceback, an unexpected error or DuckDB's English words."""
    assert done.stderr.startswith("Erreur : "), done.stderr
    for english in ("Traceback", "Erreur inattendue", "Error", "error:", "Exception", "No space", "checksum"):
        assert english not in done.stderr, done.stderr


@pytest.fixture(scope="module")
def example_db(tmp_path_factory) -> Path:
    """A store with the example declarations, made by the command line (copy it before changing it)."""
    return example_store(tmp_path_factory.mktemp("exemple") / "s.duckdb")


def _copy(source: Path, target: Path) -> Path:
    target.write_bytes(source.read_bytes())
    return target


def test_a_reading_command_never_creates_a_store(tmp_path):
    for args in (("declarations", "list"), ("declarations", "history"), ("inventory", "--year", "2025"),
                 ("scenarios", "list"), ("factors", "overrides", "list")):
        done = run(*args, "--db", str(tmp_path / "faute" / "inventaire.duckdb"))
        assert done.returncode == 3, (args, done.stderr)
        assert "n'existe pas" in done.stderr
        _french_only(done)
    assert list(tmp_path.iterdir()) == []


def test_a_new_store_is_created_only_with_create(tmp_path):
    add = ("declarations", "add", "--year", "2025", "--service", "DSI", "--type", "mesure", "--kwh", "1",
           "--zone", "FRA")
    mistyped = tmp_path / "donnees" / "inventaire.duckdb"
    done = run(*add, "--db", str(mistyped))
    assert done.returncode == 3 and "--create" in done.stderr
    _french_only(done)
    assert not mistyped.parent.exists()
    for slip in ("inventaire.csv", "inventaire-typo.duckdb"):  # an existing folder: still nothing created
        done = run(*add, "--db", str(tmp_path / slip))
        assert done.returncode == 3 and "--create" in done.stderr and not (tmp_path / slip).exists()
    done = run(*add, "--db", str(mistyped), "--create")
    assert done.returncode == 0, done.stderr
    assert mistyped.exists()
    for args in (("declarations", "delete", "IA-00001"), ("declarations", "restore", "IA-00001")):
        done = run(*args, "--db", str(tmp_path / "absente.duckdb"))
        assert done.returncode == 3 and "n'existe pas" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["donnees"]


def test_another_applications_duckdb_file_is_refused_and_left_byte_identical(tmp_path):
    other = tmp_path / "comptabilite.duckdb"
    before = foreign_duckdb(other, "CREATE TABLE ecritures AS SELECT range AS numero, range * 1.5 AS montant "
                                   "FROM range(500)")
    for args in (("declarations", "list"), ("inventory", "--year", "2025"), ("scenarios", "run"),
                 ("declarations", "import", "examples/declarations.csv"), ("export", "pcaet"),
                 ("factors", "overrides", "list")):
        done = run(*args, "--db", str(other))
        assert done.returncode == 3, (args, done.stderr)
        assert "pas une base Empreinte IA" in done.stderr and "n'a pas été modifiée" in done.stderr
        _french_only(done)
        assert other.read_bytes() == before, args
    assert sorted(p.name for p in tmp_path.iterdir()) == ["comptabilite.duckdb"]


@contextmanager
def read_only_copy(source: Path, folder: Path):
    """``source`` copied where it can only be read: a read-only file system when run as root
    (root ignores file modes), else a file of mode 444 in a folder of mode 555."""
    folder.mkdir()
    if os.geteuid() == 0:
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(folder)]).returncode != 0:
            pytest.skip("cannot mount a tmpfs here to make a read-only store")
        try:
            _copy(source, folder / source.name)
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
            yield folder / source.name
        finally:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)
    else:
        target = _copy(source, folder / source.name)
        target.chmod(0o444)
        folder.chmod(0o555)
        try:
            yield target
        finally:
            folder.chmod(0o755)


def test_a_read_only_store_can_still_be_listed_and_exported(tmp_path, example_db):
    with read_only_copy(example_db, tmp_path / "lecture-seule") as db:
        before = db.read_bytes()
        for args in (("declarations", "list"), ("declarations", "history", "IA-00001"),
                     ("declarations", "export", str(tmp_path / "declarations.csv")),
                     ("inventory", "--year", "2025", "--json"), ("scenarios", "list"),
                     ("scenarios", "run", "--year", "2025", "--to", "2026", "--json"), ("scenarios", "history"),
                     ("recommend", "--year", "2025"), ("factors", "overrides", "list"),
                     ("export", "pcaet", "--year", "2025", "--scenarios", "none", "--out", str(tmp_path / "p.csv"))):
            done = run(*args, "--db", str(db))
            assert done.returncode == 0, (args, done.stderr)
        assert "IA-00001" in (tmp_path / "declarations.csv").read_text(encoding="utf-8-sig")
        done = run("declarations", "add", "--id", "IA-00001", "--agents", "3", "--db", str(db))
        assert done.returncode == 6 and ("lecture seule" in done.stderr or "Droits insuffisants" in done.stderr)
        _french_only(done)
        assert db.read_bytes() == before


def test_a_damaged_store_exits_5_in_french_and_is_never_written(tmp_path, example_db):
    data = example_db.read_bytes()
    altered = bytearray(data)
    altered[len(data) // 2: len(data) // 2 + 8192] = os.urandom(8192)
    for name, content in (("tronquee.duckdb", data[:4096]), ("alteree.duckdb", bytes(altered))):
        db = tmp_path / name
        db.write_bytes(content)
        for args in (("declarations", "list"), ("inventory", "--year", "2025"),
                     ("declarations", "add", "--id", "IA-00001", "--agents", "3"),
                     ("declarations", "import", "examples/declarations.csv"), ("export", "pcaet")):
            done = run(*args, "--db", str(db))
            assert done.returncode == 5, (name, args, done.stderr)
            assert "endommagée" in done.stderr and "n'a pas été modifiée" in done.stderr
            _french_only(done)
        assert db.read_bytes() == content and not Path(f"{db}.wal").exists()
    done = run_with("declarations", "list", "--db", str(tmp_path / "tronquee.duckdb"), env={"FOOTPRINT_DEBUG": "1"})
    assert done.returncode == 5 and "[FOOTPRINT_DEBUG]" in done.stderr  # the technical detail, on demand only






def test_a_full_disk_exits_6_in_french_and_the_store_stays_readable(tmp_path, example_db):
    with small_disk(tmp_path / "petit", size="8m") as disk:
        db = _copy(example_db, disk / "s.duckdb")
        filler = fill(disk)
        before = db.read_bytes()
        for args in (("declarations", "add", "--year", "2025", "--service", "DSI", "--type", "mesure", "--kwh",
                      "1", "--zone", "FRA"), ("declarations", "import", "examples/declarations.csv")):
            done = run(*args, "--db", str(db))
            assert done.returncode == 6, (args, done.stderr)
            assert "plein" in done.stderr and "rien n'a été modifié" in done.stderr
            _french_only(done)
        assert db.read_bytes() == before
        filler.unlink()
        done = run("declarations", "list", "--json", "--db", str(db))
        assert done.returncode == 0 and len(json.loads(done.stdout)) == 9


def test_an_argument_that_is_not_utf8_is_refused_in_french(tmp_path):
    name = os.fsencode(tmp_path) + b"/\xff.duckdb"
    done = run_with("declarations", "list", "--db", name)
    assert done.returncode == 2 and "UTF-8" in done.stderr and "\\xff.duckdb" in done.stderr
    _french_only(done)
    done = run_with("declarations", "import", b"\xe9t\xe9.csv", "--db", str(tmp_path / "s.duckdb"))
    assert done.returncode == 2 and "\\xe9t\\xe9.csv" in done.stderr
    assert list(tmp_path.iterdir()) == []


# -- a path is a file, never a pattern ----------------------------------------------------------


def test_usage_import_reads_the_file_named_never_a_glob(tmp_path):
    header = "timestamp,provider,model,input_tokens,output_tokens\n"
    for number in (1, 2):
        (tmp_path / f"journal{number}.csv").write_text(header + "2025-01-03,openai,gpt-4o,10,100\n" * 5)
    db = str(tmp_path / "s.duckdb")
    done = run("usage", "import", str(tmp_path / "journal[12].csv"), "--db", db, "--create")
    assert done.returncode == 2 and "fichier introuvable" in done.stderr, done.stderr
    assert not Path(db).exists()
    (tmp_path / "journal[12].csv").write_text(header + "2025-02-03,openai,gpt-4o,10,100\n")
    done = run("usage", "import", str(tmp_path / "journal[12].csv"), "--db", db, "--create")
    assert done.returncode == 0, done.stderr
    assert "1 ligne(s) agrégée(s) en 1 déclaration(s)" in done.stdout
    listed = json.loads(run("declarations", "list", "--json", "--db", db).stdout)
    assert [(row["requests"], row["output_tokens"]) for row in listed] == [(1, 100)]


# -- two people editing the same declaration -----------------------------------------------------


def test_two_edits_of_one_declaration_at_once_lose_neither(tmp_path, example_db):
    db = _copy(example_db, tmp_path / "s.duckdb")
    outcomes = []
    for trial, delay in enumerate((0.0, 0.05, 0.1, 0.15)):
        agents = run_async("declarations", "add", "--id", "IA-00001", "--agents", str(100 + trial), "--db", str(db))
        time.sleep(delay)
        comment = run_async("declarations", "add", "--id", "IA-00001", "--comment", f"essai {trial}", "--db", str(db))
        done = {"agents": agents.communicate(timeout=180), "comment": comment.communicate(timeout=180)}
        codes = {"agents": agents.returncode, "comment": comment.returncode}
        listed = json.loads(run("declarations", "list", "--json", "--db", str(db)).stdout)
        row = {r["id"]: r for r in listed}["IA-00001"]
        for what, code in codes.items():
            out, err = done[what]
            assert code in (0, 4), err
            if code == 0:
                assert "IA-00001 modifiée" in out
                # What was reported saved is in the declaration: no lost update.
                assert row["agents"] == 100 + trial if what == "agents" else row["comment"] == f"essai {trial}"
            else:
                assert "la déclaration IA-00001 a été modifiée entre-temps par " in err and "rechargez" in err
        outcomes.append(tuple(sorted(codes.values())))
    assert all(codes != (4, 4) for codes in outcomes)  # one of two always goes through


def run_async(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "footprint", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


# -- custom scenarios keep their versions --------------------------------------------------------


def test_scenarios_history_shows_and_gives_back_previous_versions(tmp_path, example_db):
    db = str(_copy(example_db, tmp_path / "s.duckdb"))
    custom = tmp_path / "local.toml"
    base = (ROOT / "scenarios" / "tendanciel.toml").read_text(encoding="utf-8")
    first = base.replace('id = "tendanciel"', 'id = "local"', 1)
    assert first != base
    custom.write_text(first, encoding="utf-8")
    done = run("scenarios", "save", str(custom), "--db", db)
    assert done.returncode == 0 and "version 1" in done.stdout, done.stderr
    custom.write_text(first.replace("Tendanciel", "Tendanciel révisé", 1), encoding="utf-8")
    assert "version 2" in run("scenarios", "save", str(custom), "--db", db).stdout
    done = run("scenarios", "history", "local", "--db", db)
    assert done.returncode == 0
    assert "local v1" in done.stdout and "local v2" in done.stdout and "création" in done.stdout
    done = run("scenarios", "history", "local", "--version", "1", "--db", db)
    assert done.returncode == 0 and done.stdout == first if first.endswith("\n") else first + "\n"
    assert run("scenarios", "delete", "local", "--db", db).returncode == 0
    assert "[supprimé]" in run("scenarios", "history", "local", "--db", db).stdout
    done = run("scenarios", "history", "local", "--version", "9", "--db", db)
    assert done.returncode == 2 and "version inconnue" in done.stderr
