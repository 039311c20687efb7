"""Measurement with the real CodeCarbon offline tracker: real runs of short CPU-bound commands,
their exit codes and signals, partial runs, the network blocked, config files ignored, the
Python API, emissions.csv imports and the calibration against estimates."""

import csv
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import footprint
from cli.main import main
from footprint.store import Store
from tests.stores import new_store

ROOT = Path(__file__).resolve().parents[2]
BUSY = "s = sum(i * i for i in range(3_000_000))"


def _measure(tmp_path, *command, extra=(), env=None, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "footprint", "measure", "--name", "essai", "--year", "2025",
                           "--service", "DSI", "--db", new_store(tmp_path / "s.duckdb"), *extra, "--", *command],
                          cwd=cwd, capture_output=True, text=True, timeout=120, env=env)


def test_a_measured_command_is_recorded_with_the_french_factor(tmp_path):
    done = _measure(tmp_path, sys.executable, "-c", f"print('sortie du traitement'); {BUSY}")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "sortie du traitement\n"  # the command's output goes through untouched
    [run] = Store(tmp_path / "s.duckdb").measurements().to_dict("records")
    assert run["energy_kwh"] > 0 and run["status"] == "complet" and run["exit_code"] == 0
    assert run["country_iso_code"] == "FRA" and run["gwp_factor_source"] == "ademe_base_empreinte 2025"
    assert run["gwp_kgco2e"] == pytest.approx(run["energy_kwh"] * 0.0461, rel=1e-12)
    assert run["energy_kwh"] == pytest.approx(run["cpu_energy_kwh"] + run["gpu_energy_kwh"] + run["ram_energy_kwh"])
    assert run["started_at"].tzinfo is not None and run["ended_at"] > run["started_at"]
    assert run["codecarbon_version"] and run["tracking_mode"] == "machine" and run["cpu_count"] > 0
    [declaration] = Store(tmp_path / "s.duckdb").declarations().to_dict("records")
    assert declaration["kind"] == "measured" and declaration["energy_kwh"] == pytest.approx(run["energy_kwh"])
    assert "Mesure complète" in done.stderr


def test_exit_codes_are_passed_on_and_a_signal_marks_the_run_partial(tmp_path):
    assert _measure(tmp_path, sys.executable, "-c", "import sys; sys.exit(3)").returncode == 3
    killed = _measure(tmp_path, sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)")
    assert killed.returncode == 128 + signal.SIGTERM
    runs = Store(tmp_path / "s.duckdb").measurements()
    assert runs["exit_code"].tolist() == [3, 128 + signal.SIGTERM]
    assert runs["status"].tolist() == ["complet", "partiel"]
    assert "SIGTERM" in runs["status_detail"].iloc[1]
    # Both runs add up in the same measured declaration.
    declaration = Store(tmp_path / "s.duckdb").declarations().iloc[0]
    assert declaration["energy_kwh"] == pytest.approx(runs["energy_kwh"].sum())


def test_a_command_that_does_not_exist_is_recorded_as_partial(tmp_path):
    done = _measure(tmp_path, "commande-qui-n-existe-pas")
    assert done.returncode == 127
    [run] = Store(tmp_path / "s.duckdb").measurements().to_dict("records")
    assert run["status"] == "partiel" and run["status_detail"] == "commande introuvable"


def test_ctrl_c_records_the_partial_measurement(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "footprint", "measure", "--name", "long", "--db",
                                new_store(tmp_path / "s.duckdb"), "--", sys.executable, "-c",
                                "import time; time.sleep(60)"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    time.sleep(6)
    os.killpg(process.pid, signal.SIGINT)  # what the terminal does on Ctrl-C: the whole process group
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    [run] = Store(tmp_path / "s.duckdb").measurements().to_dict("records")
    assert run["status"] == "partiel" and "Ctrl-C" in run["status_detail"]


def test_measurement_works_with_the_network_blocked_and_never_tries_it(tmp_path):
    guard = tmp_path / "guard"
    guard.mkdir()
    attempts = tmp_path / "attempts.txt"
    loaded = tmp_path / "guard-loaded.txt"
    (guard / "sitecustomize.py").write_text(textwrap.dedent(f"""
        open({str(loaded)!r}, "w").write("oui")
        import socket
        def _blocked(*args, **kwargs):
            with open({str(attempts)!r}, "a") as log:
                log.write(repr(args) + "\\n")
            raise OSError("réseau bloqué pour le test")
        socket.socket.connect = _blocked
        socket.socket.connect_ex = _blocked
        socket.create_connection = _blocked
        socket.getaddrinfo = _blocked
    """))
    env = dict(os.environ, PYTHONPATH=str(guard))
    done = _measure(tmp_path, sys.executable, "-c", BUSY, env=env)
    assert done.returncode == 0, done.stderr
    assert loaded.exists()  # the guard was really in place
    assert not attempts.exists(), attempts.read_text()
    assert len(Store(tmp_path / "s.duckdb").measurements()) == 1


def test_codecarbon_config_files_do_not_change_the_result(tmp_path):
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    config = "[codecarbon]\ncountry_iso_code = USA\npue = 3.0\nsave_to_api = True\nlog_level = debug\n"
    (home / ".codecarbon.config").write_text(config)
    (work / ".codecarbon.config").write_text(config)
    env = dict(os.environ, HOME=str(home), CODECARBON_PUE="2.5", CODECARBON_COUNTRY_ISO_CODE="USA",
               PYTHONPATH=str(ROOT))
    done = _measure(tmp_path, sys.executable, "-c", BUSY, env=env, cwd=work)
    assert done.returncode == 0, done.stderr
    [run] = Store(tmp_path / "s.duckdb").measurements().to_dict("records")
    # CodeCarbon's own factor is its French one (Our World in Data, about 56 g/kWh), not the USA one.
    assert run["codecarbon_kgco2e"] / run["energy_kwh"] == pytest.approx(0.056039, rel=0.05)
    # PUE 1: CodeCarbon's total is exactly the sum of its parts.
    assert run["energy_kwh"] == pytest.approx(run["cpu_energy_kwh"] + run["gpu_energy_kwh"] + run["ram_energy_kwh"])


def test_an_unknown_country_is_refused_before_the_tracker_starts(capsys, tmp_path):
    code = main(["measure", "--name", "x", "--country", "ATLANTIDE", "--db", new_store(tmp_path / "s.duckdb"), "--",
                 "true"])
    assert code == 2 and "pays inconnu" in capsys.readouterr().err
    assert Store(tmp_path / "s.duckdb").measurements().empty


def test_python_api_as_context_manager_and_decorator(tmp_path, factors):
    db = tmp_path / "s.duckdb"
    new_store(db)
    with footprint.measure("transcription-conseil", service="Assemblées", year=2025, db=db, factors=factors):
        sum(i * i for i in range(2_000_000))

    @footprint.measure("ocr-courrier", year=2025, db=db, factors=factors)
    def read_mail() -> int:
        return sum(range(1_000_000))

    assert read_mail() == sum(range(1_000_000))
    with pytest.raises(ZeroDivisionError):
        with footprint.measure("transcription-conseil", year=2025, db=db, factors=factors):
            _ = 1 / 0
    runs = Store(db).measurements()
    assert runs["name"].tolist() == ["transcription-conseil", "ocr-courrier", "transcription-conseil"]
    assert runs["status"].tolist() == ["complet", "complet", "partiel"]
    assert set(Store(db).declarations()["id"]) == {"M-2025-FRA-transcription-conseil", "M-2025-FRA-ocr-courrier"}


def test_calibration_compares_measured_and_estimated_energy_per_token(tmp_path):
    done = _measure(tmp_path, sys.executable, "-c", BUSY,
                    extra=("--tokens", "5000", "--model", "self_hosted/meta-llama/Llama-3.1-8B-Instruct"))
    assert done.returncode == 0, done.stderr
    assert "Wh par token" in done.stderr and "rapport mesure / estimation" in done.stderr
    done = _measure(tmp_path, sys.executable, "-c", BUSY, extra=("--units", "12", "--task", "ocr_modele_vision"))
    assert "Wh par page" in done.stderr


# -- importing emissions.csv ------------------------------------------------------------------

V3 = ["timestamp", "project_name", "run_id", "experiment_id", "duration", "emissions", "emissions_rate", "cpu_power",
      "gpu_power", "ram_power", "cpu_energy", "gpu_energy", "ram_energy", "energy_consumed", "water_consumed",
      "country_name", "country_iso_code", "region", "cloud_provider", "cloud_region", "os", "python_version",
      "codecarbon_version", "cpu_count", "cpu_model", "gpu_count", "gpu_model", "longitude", "latitude",
      "ram_total_size", "tracking_mode", "cpu_utilization_percent", "gpu_utilization_percent",
      "ram_utilization_percent", "ram_used_gb", "on_cloud", "pue", "wue"]
V2 = [c for c in V3 if c not in ("water_consumed", "wue", "cpu_utilization_percent", "gpu_utilization_percent",
                                 "ram_utilization_percent", "ram_used_gb")]


def _emissions(path: Path, columns: list[str], rows: list[dict]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


def _row(run_id: str, duration: float, energy: float, country: str = "FRA", **extra) -> dict:
    return {"timestamp": "2025-06-03T10:00:00", "project_name": "whisper-conseil", "run_id": run_id,
            "duration": duration, "emissions": energy * 0.056, "energy_consumed": energy, "cpu_energy": energy / 2,
            "gpu_energy": energy / 2, "ram_energy": 0, "country_iso_code": country, "cpu_model": "Xeon",
            "gpu_model": "1 x NVIDIA L40S", "gpu_count": 1, "codecarbon_version": "3.3.2", **extra}


def test_import_keeps_the_last_flush_row_of_each_run_and_is_idempotent(tmp_path, factors, capsys):
    path = _emissions(tmp_path / "emissions.csv", V3, [_row("a", 60, 0.1), _row("a", 120, 0.25), _row("b", 30, 0.05)])
    db = new_store(tmp_path / "s.duckdb")
    assert main(["measure", "import", str(path), "--db", db, "--service", "Assemblées"]) == 0
    runs = Store(db).measurements().set_index("run_id")
    assert runs.loc["a", "energy_kwh"] == 0.25 and runs.loc["b", "energy_kwh"] == 0.05
    assert runs.loc["a", "gwp_kgco2e"] == pytest.approx(0.25 * 0.0461)
    assert main(["measure", "import", str(path), "--db", db]) == 0
    assert "0 mesure(s) ajoutée(s)" in capsys.readouterr().out
    assert len(Store(db).measurements()) == 2
    [declaration] = Store(db).declarations().to_dict("records")
    assert declaration["energy_kwh"] == pytest.approx(0.30) and declaration["service"] == "Assemblées"


def test_import_reads_codecarbon_2_files(tmp_path, factors):
    path = _emissions(tmp_path / "emissions-2x.csv", V2, [_row("old", 10, 0.01)])
    assert main(["measure", "import", str(path), "--db", new_store(tmp_path / "s.duckdb")]) == 0
    assert Store(tmp_path / "s.duckdb").measurements()["energy_kwh"].tolist() == [0.01]


@pytest.mark.parametrize("rows, extra, fragment", [
    ([_row("a", 1, 0.1, country="")], [], "pays absent ou inconnu"),
    ([_row("a", 1, 0.1, country="USA")], ["--country", "FRA"], "pays différent de celui déclaré"),
    ([_row("a", 1, -0.1)], [], "valeur absente ou négative"),
    ([_row("a", 1, 1e30)], [], "énergie invraisemblable"),
    ([_row("", 1, 0.1)], [], "run_id) manquant"),
    ([_row("a", 1, 0.1, timestamp="hier")], [], "horodatage illisible"),
    ([_row("a", 1, 0.1, timestamp="")], [], "horodatage illisible"),
])
def test_import_refuses_bad_rows_whole(capsys, tmp_path, rows, extra, fragment):
    path = _emissions(tmp_path / "emissions.csv", V3, [_row("ok", 1, 0.1), *rows])
    code = main(["measure", "import", str(path), "--db", new_store(tmp_path / "s.duckdb"), *extra])
    assert code == 2 and fragment in capsys.readouterr().err
    assert Store(tmp_path / "s.duckdb").measurements().empty


def test_import_refuses_a_file_that_is_not_from_codecarbon(capsys, tmp_path):
    path = tmp_path / "emissions.csv"
    path.write_text("a,b\n1,2\n")
    assert main(["measure", "import", str(path), "--db", new_store(tmp_path / "s.duckdb")]) == 2
    assert "pas un fichier emissions.csv de CodeCarbon" in capsys.readouterr().err


def test_measured_runs_appear_in_the_inventory(tmp_path, capsys):
    path = _emissions(tmp_path / "emissions.csv", V3, [_row("a", 60, 2.0)])
    db = new_store(tmp_path / "s.duckdb")
    assert main(["measure", "import", str(path), "--db", db]) == 0
    capsys.readouterr()
    assert main(["inventory", "--year", "2025", "--json", "--db", db]) == 0
    import json

    total = json.loads(capsys.readouterr().out)["total"]
    assert total["energy_kwh"]["central"] == pytest.approx(2.0)
    assert total["gwp_kgco2e"]["central"] == pytest.approx(2.0 * 0.0461)


def test_runs_in_two_countries_keep_their_own_factor(tmp_path, capsys):
    db = new_store(tmp_path / "s.duckdb")
    path = _emissions(tmp_path / "e.csv", V3, [_row("fr", 60, 10.0), _row("de", 60, 10.0, country="DEU")])
    assert main(["measure", "import", str(path), "--db", db]) == 0
    capsys.readouterr()
    assert main(["inventory", "--year", "2025", "--json", "--db", db]) == 0
    import json

    total = json.loads(capsys.readouterr().out)["total"]["gwp_kgco2e"]["central"]
    runs = Store(db).measurements()
    assert total == pytest.approx(runs["gwp_kgco2e"].sum())
    assert sorted(Store(db).declarations()["zone"]) == ["DEU", "FRA"]


def test_a_longer_record_of_a_run_completes_it(tmp_path, capsys):
    db = new_store(tmp_path / "s.duckdb")
    assert main(["measure", "import", str(_emissions(tmp_path / "a.csv", V3, [_row("a", 60, 0.1)])), "--db", db]) == 0
    assert main(["measure", "import", str(_emissions(tmp_path / "b.csv", V3, [_row("a", 600, 5.0)])), "--db", db]) == 0
    assert Store(db).measurements()["energy_kwh"].tolist() == [5.0]
    assert Store(db).declarations()["energy_kwh"].tolist() == [5.0]


def test_a_french_saved_emissions_file_is_read(tmp_path):
    path = tmp_path / "e.csv"
    rows = [_row("a", 60, 0.25)]
    _emissions(path, V3, rows)
    french = path.read_text().replace(",", ";").replace("0.25", "0,25")
    path.write_text(french)
    assert main(["measure", "import", str(path), "--db", new_store(tmp_path / "s.duckdb")]) == 0
    assert Store(tmp_path / "s.duckdb").measurements()["energy_kwh"].tolist() == [0.25]


@pytest.mark.parametrize("extra, fragment", [
    (["--declaration", "IA-00001"], "déclaration « mesure » créée par des mesures"),
    (["--declaration", "NOPE"], "déclaration inconnue"),
    (["--tokens", "100", "--model", "openai/gpt-99"], "modèle inconnu"),
    (["--units", "10", "--task", "inconnue"], "tâche inconnue"),
    (["--year", "1800"], "année invalide"),
])
def test_bad_options_are_refused_before_the_job_runs(capsys, tmp_path, extra, fragment):
    db = new_store(tmp_path / "s.duckdb")
    assert main(["declarations", "import", "examples/declarations.csv", "--db", db]) == 0
    marker = tmp_path / "ran.txt"
    code = main(["measure", "--name", "x", "--db", db, *extra, "--", sys.executable, "-c",
                 f"open({str(marker)!r}, 'w').write('oui')"])
    assert code == 2 and fragment in capsys.readouterr().err
    assert not marker.exists()  # the job never started
    assert Store(db).measurements().empty


def test_a_decorated_function_that_failed_once_records_later_calls_as_complete(tmp_path, factors):
    db = tmp_path / "s.duckdb"
    new_store(db)

    @footprint.measure("job", year=2025, db=db, factors=factors)
    def job(fail: bool) -> None:
        if fail:
            raise ValueError("échec")

    with pytest.raises(ValueError):
        job(True)
    job(False)
    assert Store(db).measurements()["status"].tolist() == ["partiel", "complet"]


def test_measure_import_with_a_name_before_it_is_refused(capsys, tmp_path):
    code = main(["measure", "--name", "whisper", "--db", new_store(tmp_path / "s.duckdb"), "import", "e.csv"])
    assert code == 2 and "measure import FICHIER" in capsys.readouterr().err


# -- signals: a closed terminal or a stop request still records the run -------------------------


def _start_measure(tmp_path, child: str, preexec_fn=None) -> tuple[subprocess.Popen, int]:
    """``measure`` of a Python child that writes its pid once it runs (so the tracker has started)."""
    pid_file = tmp_path / "child.pid"
    code = f"import os, signal, time\n{child}\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\ntime.sleep(30)"
    process = subprocess.Popen([sys.executable, "-m", "footprint", "measure", "--db", new_store(tmp_path / "s.duckdb"),
                                "--name", "n", "--", sys.executable, "-c", code],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=preexec_fn)
    deadline = time.monotonic() + 60
    while not (pid_file.exists() and pid_file.read_text()):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.1)
    return process, int(pid_file.read_text())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _kill_leftover(pid: int) -> None:
    if _alive(pid):  # only on failure: the child the old code left running, unmeasured
        os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_records_the_partial_run_and_stops_the_job(tmp_path, number):
    process, child = _start_measure(tmp_path, "")
    try:
        process.send_signal(number)  # to the measuring process only, as `kill PID` or a closing terminal
        out, err = process.communicate(timeout=60)
        assert process.returncode == 128 + number, err
        assert not _alive(child)  # passed on: the job did not go on unmeasured
    finally:
        _kill_leftover(child)
    [run] = Store(tmp_path / "s.duckdb").measurements().to_dict("records")
    name = signal.Signals(number).name
    assert run["status"] == "partiel" and run["status_detail"] == f"interrompu (signal {name})"
    assert run["exit_code"] == 128 + number and run["energy_kwh"] > 0
    assert f"partielle (interrompu (signal {name}))" in err


def test_under_nohup_a_closed_terminal_stops_nothing(tmp_path):
    process, child = _start_measure(tmp_path, "", preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    try:
        process.send_signal(signal.SIGHUP)
        time.sleep(1)
        assert process.poll() is None and _alive(child)  # ignored, as nohup asked
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
        assert process.returncode == 128 + signal.SIGTERM, err
    finally:
        _kill_leftover(child)
    [run] = Store(tmp_path / "s.duckdb").measurements().to_dict("records")
    assert run["status_detail"] == "interrompu (signal SIGTERM)"


def test_a_job_that_ignores_the_stop_signal_is_killed_after_a_bounded_wait(tmp_path):
    from footprint.measurement import STOP_GRACE_S

    process, child = _start_measure(tmp_path, "signal.signal(signal.SIGTERM, signal.SIG_IGN)")
    try:
        sent = time.monotonic()
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60 + STOP_GRACE_S)
        assert process.returncode == 128 + signal.SIGTERM, err
        assert STOP_GRACE_S <= time.monotonic() - sent < STOP_GRACE_S + 30
        assert not _alive(child)
    finally:
        _kill_leftover(child)
    [run] = Store(tmp_path / "s.duckdb").measurements().to_dict("records")
    assert run["status_detail"].startswith("interrompu (signal SIGTERM) ; traitement arrêté de force")


# -- timestamps: one rule for the whole file -----------------------------------------------------

DATA = Path(__file__).parent / "data"


def _local(moment) -> tuple:
    """A stored UTC time as the local time CodeCarbon (and Excel) wrote it."""
    local = moment.to_pydatetime().astimezone()
    return local.year, local.month, local.day, local.hour, local.minute


def test_a_file_resaved_by_french_excel_reads_its_dates_day_first(tmp_path):
    # `;`, decimal comma, Windows-1252, dates jj/mm/aaaa hh:mm without seconds.
    db = new_store(tmp_path / "s.duckdb")
    assert main(["measure", "import", str(DATA / "emissions_excel_fr.csv"), "--db", db]) == 0
    runs = Store(db).measurements().set_index("run_id")
    first, second = runs.loc["a1f3c2d4-0001"], runs.loc["b7e9d0aa-0002"]
    assert _local(first["ended_at"]) == (2023, 11, 9, 10, 20)  # 9 November, not 11 September
    assert _local(second["ended_at"]) == (2023, 11, 25, 14, 5)
    assert first["energy_kwh"] == 0.0246 and first["duration_s"] == 600.25
    assert (first["ended_at"] - first["started_at"]).total_seconds() == pytest.approx(600.25)
    assert first["name"] == "transcription-séances" and first["year"] == 2023


def test_iso_and_day_first_dates_mix_in_one_file(tmp_path):
    path = _emissions(tmp_path / "e.csv", V3, [_row("iso", 60, 0.1, timestamp="2023-11-09T10:00:00"),
                                               _row("fr", 60, 0.1, timestamp="09/11/2023 10:15:30")])
    assert main(["measure", "import", str(path), "--db", new_store(tmp_path / "s.duckdb")]) == 0
    runs = Store(tmp_path / "s.duckdb").measurements().set_index("run_id")
    assert _local(runs.loc["iso", "ended_at"]) == (2023, 11, 9, 10, 0)
    assert _local(runs.loc["fr", "ended_at"]) == (2023, 11, 9, 10, 15)


@pytest.mark.parametrize("stamp, fragment", [
    ("11/25/2023 10:15", "ne se lit que mois/jour/année"),  # an American file: its 11/09 would be 11 September
    ("09/11/23 10:15", "année sur deux chiffres"),
    ("31/02/2023 10:15", "date impossible"),
    ("09/11/2023 24:15", "heure impossible"),
])
def test_slashed_dates_that_break_the_day_first_rule_refuse_the_file(capsys, tmp_path, stamp, fragment):
    path = _emissions(tmp_path / "e.csv", V3, [_row("a", 60, 0.1, timestamp="11/09/2023 10:15"),
                                               _row("b", 60, 0.1, timestamp=stamp)])
    assert main(["measure", "import", str(path), "--db", new_store(tmp_path / "s.duckdb")]) == 2
    err = capsys.readouterr().err
    assert "e.csv, ligne 3, colonne « timestamp » : " in err and fragment in err and f"« {stamp} »" in err
    assert Store(tmp_path / "s.duckdb").measurements().empty


# -- bounds, non-finite values, zero and negative energies ----------------------------------------


@pytest.mark.parametrize("column, value, fragment", [
    ("duration", 1e12, "durée invraisemblable"),  # was « Erreur inattendue (OutOfBoundsTimedelta) »
    ("duration", 1e10, "durée invraisemblable"),  # was accepted, starting in 1706
    ("duration", 31_622_401, "durée invraisemblable"),  # one second more than a year of 366 days
    ("duration", "1e400", "nombre trop grand"),
    ("energy_consumed", "1e400", "nombre trop grand"),
    ("emissions", "1e400", "nombre trop grand"),
    ("cpu_energy", "1e400", "nombre trop grand"),
    ("cpu_energy", 2e9, "énergie invraisemblable"),
    ("gpu_count", -1, "nombre de GPU invraisemblable"),
    ("gpu_count", 1.5, "nombre de GPU invraisemblable"),
    ("cpu_count", 1e9, "nombre de cœurs de processeur invraisemblable"),
])
def test_out_of_bounds_or_infinite_values_are_refused_in_french(capsys, tmp_path, column, value, fragment):
    row = _row("a", 60, 0.1)
    row[column] = value
    path = _emissions(tmp_path / "e.csv", V3, [_row("ok", 60, 0.1), row])
    assert main(["measure", "import", str(path), "--db", new_store(tmp_path / "s.duckdb")]) == 2
    err = capsys.readouterr().err
    assert f"e.csv, ligne 3, colonne « {column} » : " in err and fragment in err, err
    assert "Erreur inattendue" not in err
    assert Store(tmp_path / "s.duckdb").measurements().empty


def test_a_run_of_one_year_is_accepted(tmp_path):
    path = _emissions(tmp_path / "e.csv", V3, [_row("a", 31_622_400, 100.0)])
    assert main(["measure", "import", str(path), "--db", new_store(tmp_path / "s.duckdb")]) == 0
    [run] = Store(tmp_path / "s.duckdb").measurements().to_dict("records")
    assert (run["ended_at"] - run["started_at"]).days == 366


def test_a_run_of_zero_kwh_is_imported(tmp_path, capsys):
    # A very short run really measures 0 kWh: it is a measurement, not an error.
    path = _emissions(tmp_path / "e.csv", V3, [_row("court", 0.4, 0.0), _row("long", 60, 0.1)])
    db = new_store(tmp_path / "s.duckdb")
    assert main(["measure", "import", str(path), "--db", db]) == 0
    runs = Store(db).measurements().set_index("run_id")
    assert runs.loc["court", "energy_kwh"] == 0 and runs.loc["court", "gwp_kgco2e"] == 0
    assert Store(db).declarations()["energy_kwh"].tolist() == [pytest.approx(0.1)]


def test_a_negative_energy_component_refuses_the_file(capsys, tmp_path):
    # What CodeCarbon 2.7.2 wrote on Windows: a negative gpu_energy, included in energy_consumed.
    row = _row("win", 3600, 0.02, cpu_energy=0.03, gpu_energy=-0.0125, ram_energy=0.0025, codecarbon_version="2.7.2")
    path = _emissions(tmp_path / "e.csv", V2, [row])
    assert main(["measure", "import", str(path), "--db", new_store(tmp_path / "s.duckdb")]) == 2
    err = capsys.readouterr().err
    assert "e.csv, ligne 2, colonne « gpu_energy » : énergie du GPU négative" in err and "« -0.0125 »" in err
    assert "la compter pour 0 la sous-estimerait" in err and "corrigez energy_consumed" in err
    assert Store(tmp_path / "s.duckdb").measurements().empty


def test_a_total_below_the_sum_of_its_components_is_refused(capsys, tmp_path):
    # The negative gpu_energy written 0 but energy_consumed left as it was: inconsistent.
    row = _row("win", 3600, 0.02, cpu_energy=0.03, gpu_energy=0, ram_energy=0.0025)
    path = _emissions(tmp_path / "e.csv", V2, [row])
    assert main(["measure", "import", str(path), "--db", new_store(tmp_path / "s.duckdb")]) == 2
    err = capsys.readouterr().err
    assert "ligne 2, colonne « energy_consumed » : énergie totale inférieure à la somme" in err
    # Corrected, it is imported.
    _emissions(path, V2, [row | {"energy_consumed": 0.0325}])
    assert main(["measure", "import", str(path), "--db", new_store(tmp_path / "s.duckdb")]) == 0
    assert Store(tmp_path / "s.duckdb").measurements()["energy_kwh"].tolist() == [0.0325]
