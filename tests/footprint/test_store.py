"""The inventory store on a real DuckDB file: schema versions, history, soft deletion, one
transaction per write, two processes at once, and a process killed in the middle of an import."""

import signal
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from footprint.store import MIGRATIONS, SCHEMA_VERSION, Store, StoreError

ROOT = Path(__file__).resolve().parents[2]


def _gpu(**extra):
    return dict(year=2025, service="DSI", kind="gpu", gpu="L40S", gpus=2, hours=100, zone="FRA") | extra


def test_first_use_creates_the_file_with_its_schema_version(tmp_path):
    store = Store(tmp_path / "sub" / "inventaire.duckdb")
    assert store.schema_version() == SCHEMA_VERSION
    assert store.path.exists()
    assert store.declarations().empty


def test_a_file_from_a_newer_version_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "future.duckdb"
    Store(path).schema_version()
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="version plus récente"):
        Store(path).declarations()
    assert path.read_bytes() == before


def test_an_older_file_is_upgraded(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")  # a schema-0 file
    con.close()
    assert Store(path).schema_version() == SCHEMA_VERSION


def test_a_version_3_file_gets_the_factor_overrides_and_keeps_its_declarations(tmp_path):
    path = tmp_path / "v3.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    for version in (1, 2, 3):
        con.execute(MIGRATIONS[version])
    con.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    con.execute("""INSERT INTO declarations (id, year, service, kind, version, deleted, created_at, created_by,
                   updated_at, updated_by) VALUES ('avant', 2025, 'DSI', 'gpu', 1, false, now(), 'alice', now(),
                   'alice')""")
    con.close()
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION == 4
    assert store.declarations()["id"].tolist() == ["avant"]
    assert store.factor_overrides(include_deleted=True).empty
    identifier = store.save_factor_override("hosting_profiles", {"hosting": "salle_serveurs"}, "pue_min", 1.2,
                                            "dimensionless", 2024, "mesure")
    assert identifier == "VL-00001" and store.factor_overrides()["key"].tolist() == [{"hosting": "salle_serveurs"}]


def test_the_revision_changes_with_every_kind_of_write_and_only_then(tmp_path):
    store = Store(tmp_path / "s.duckdb")
    seen = [store.revision()]

    def changed() -> bool:
        revision = store.revision()
        assert revision == store.revision()  # reading twice changes nothing
        new = revision not in seen
        seen.append(revision)
        return new

    assert not changed()
    store.save(pd.DataFrame([_gpu(id="A")]))
    assert changed()
    store.save(pd.DataFrame([_gpu(id="A")]))  # the same declaration: nothing written
    assert not changed()
    store.save(pd.DataFrame([_gpu(id="A", hours=5)]))
    assert changed()
    store.delete(["A"])
    assert changed()
    store.restore(["A"])
    assert changed()
    store.save(pd.DataFrame([_gpu(id="B")]), import_record={"kind": "declarations", "file_name": "b.csv",
                                                              "file_sha256": "x"})
    assert changed()
    store.save_measurements(pd.DataFrame([{"run_id": "r1", "name": "ocr", "declaration_id": "M", "duration_s": 1.0,
                                           "energy_kwh": 0.5}]),
                            pd.DataFrame([dict(id="M", year=2025, service="DSI", kind="measured")]))
    assert changed()
    store.save_scenario("local", "Local", "id = 'local'")
    assert changed()
    store.delete_scenario("local")
    assert changed()
    identifier = store.save_factor_override("constants", {}, "server_power", 1.5, "kW", 2024, "fiche")
    assert changed()
    store.delete_factor_override(identifier)
    assert changed()
    assert not changed()


def test_edits_keep_every_version_and_deletion_is_soft(tmp_path):
    store = Store(tmp_path / "s.duckdb")
    assert store.save(pd.DataFrame([_gpu()]), user="alice") == {"created": 1, "modified": 0, "unchanged": 0}
    [identifier] = store.declarations()["id"]
    assert identifier == "IA-00001"
    assert store.save(pd.DataFrame([_gpu(id=identifier)]), user="bob")["unchanged"] == 1
    assert store.save(pd.DataFrame([_gpu(id=identifier, hours=250)]), user="bob")["modified"] == 1
    assert store.delete([identifier], user="carole") == 1
    assert store.declarations().empty
    history = store.history(identifier)
    assert history["version"].tolist() == [1, 2, 3]
    assert history["hours"].tolist() == [100, 250, 250]
    assert history["changed_by"].tolist() == ["alice", "bob", "carole"]
    assert history["deleted"].tolist() == [False, False, True]
    assert store.restore([identifier]) == 1
    assert store.declarations()["version"].tolist() == [4]


def test_an_earlier_state_of_the_inventory_can_be_seen(tmp_path):
    store = Store(tmp_path / "s.duckdb")
    store.save(pd.DataFrame([_gpu(id="A")]))
    moment = store.history("A")["changed_at"].iloc[-1]
    time.sleep(0.01)
    store.save(pd.DataFrame([_gpu(id="A", hours=999), _gpu(id="B")]))
    then = store.as_of(moment)
    assert then["id"].tolist() == ["A"] and then["hours"].tolist() == [100]


def test_a_write_failing_after_its_inserts_is_rolled_back(tmp_path):
    store = Store(tmp_path / "s.duckdb")
    record = {"import_id": "IMP-1", "kind": "declarations", "file_name": "a.csv", "file_sha256": "x"}
    store.save(pd.DataFrame([_gpu(id="A")]), import_record=record)
    # The declarations are inserted first; the import record then collides and the whole write fails.
    with pytest.raises(duckdb.ConstraintException):
        store.save(pd.DataFrame([_gpu(id="B"), _gpu(id="C")]), import_record=record)
    assert store.declarations()["id"].tolist() == ["A"]
    assert len(store.history()) == 1 and len(store.imports()) == 1


def _hold_lock_script(path: Path, seconds: float) -> str:
    return textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from footprint.store import Store
        with Store({str(path)!r}).transaction() as con:
            print("held", flush=True)
            time.sleep({seconds})
    """)


@contextmanager
def _another_process_holds(path: Path, seconds: float):
    """A real second process holding the store in a transaction for ``seconds``."""
    holder = subprocess.Popen([sys.executable, "-c", _hold_lock_script(path, seconds)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait()


def test_two_processes_at_once_wait_for_each_other_and_lose_nothing(tmp_path):
    path = tmp_path / "shared.duckdb"
    Store(path).schema_version()
    with _another_process_holds(path, 1.5):
        start = time.monotonic()
        Store(path, lock_timeout_s=20).save(pd.DataFrame([_gpu(id="pendant")]))
        waited = time.monotonic() - start
    assert waited > 0.5  # it did wait for the other process
    assert Store(path).declarations()["id"].tolist() == ["pendant"]


def test_a_reader_waits_for_a_writer_and_sees_its_work(tmp_path):
    path = tmp_path / "shared.duckdb"
    Store(path).save(pd.DataFrame([_gpu(id="avant")]))
    with _another_process_holds(path, 1.5):
        start = time.monotonic()
        seen = Store(path, lock_timeout_s=20).declarations()["id"].tolist()  # what the dashboard does
        waited = time.monotonic() - start
    assert waited > 0.5 and seen == ["avant"]


def test_a_lock_held_too_long_gives_a_french_message(tmp_path):
    path = tmp_path / "busy.duckdb"
    Store(path).schema_version()
    with _another_process_holds(path, 5):
        with pytest.raises(StoreError, match="occupée par un autre programme"):
            Store(path, lock_timeout_s=0.5).save(pd.DataFrame([_gpu(id="refusé")]))
    assert Store(path).declarations().empty


def test_a_process_killed_during_an_import_leaves_all_or_nothing(tmp_path):
    rows = 30_000
    source = tmp_path / "beaucoup.csv"
    lines = ["id;annee;service;type;gpu;nb_gpu;heures;zone"]
    lines += [f"G-{i};2025;Service {i % 40};gpu;T4;1;{1 + i % 50};FRA" for i in range(rows)]
    source.write_text("\n".join(lines), encoding="utf-8")
    outcomes = set()
    # Killed at fixed times (mostly while the file is read), then as soon as DuckDB starts writing
    # its log of the transaction (the .wal file appears while the write is on its way to the disk).
    for when in (0.5, 2.0, "wal", "wal", "wal"):
        db = tmp_path / f"kill-{len(outcomes)}-{when}-{time.monotonic_ns()}.duckdb"
        Store(db).schema_version()
        process = subprocess.Popen([sys.executable, "-m", "footprint", "declarations", "import", str(source),
                                    "--db", str(db)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if when == "wal":
            wal = Path(str(db) + ".wal")
            deadline = time.monotonic() + 60
            while not wal.exists() and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.001)
        else:
            time.sleep(when)
        process.send_signal(signal.SIGKILL)
        process.wait()
        count = len(Store(db).declarations())  # opens (and recovers) the file: it must stay readable
        assert count in (0, rows), (when, count)
        assert len(Store(db).history()) == count
        outcomes.add(count)
    assert 0 in outcomes  # at least one kill happened before the commit was complete


def test_a_snapshot_holds_what_the_separate_reads_give(tmp_path):
    store = Store(tmp_path / "s.duckdb")
    store.save(pd.DataFrame([_gpu(id="A"), _gpu(id="B", hours=3)]))
    store.delete(["B"])
    store.save_factor_override("hosting_profiles", {"hosting": "salle_serveurs"}, "pue_min", 1.2, "dimensionless",
                               2025, "mesure")
    snapshot = store.snapshot()
    assert snapshot.revision == store.revision()
    pd.testing.assert_frame_equal(snapshot.declarations, store.declarations())
    assert snapshot.declarations["id"].tolist() == ["A"]
    pd.testing.assert_frame_equal(snapshot.factor_overrides, store.factor_overrides())
