"""The inventory store on a real DuckDB file: schema versions, history, soft deletion, one
transaction per write, two processes at once, and a process killed in the middle of an import;
files that are not stores, damaged files, a full disk, stale edits and many threads at once."""

import logging
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from footprint.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Store,
    StoreConflict,
    StoreDamaged,
    StoreError,
    StoreWriteError,
)
from footprint.vocabulary import DECLARATION_COLUMNS
from tests.disks import fill, small_disk
from tests.stores import foreign_duckdb

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
    _old_declaration(con)
    con.close()
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION == 10
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


# -- what counts as a store, and when one is created ---------------------------------------------


def test_a_duckdb_file_of_another_application_is_refused_and_left_byte_identical(tmp_path):
    path = tmp_path / "autre-application.duckdb"
    before = foreign_duckdb(path, "CREATE TABLE clients AS SELECT range AS id, 'client ' || range AS nom "
                                  "FROM range(1000)")
    for attempt in (lambda: Store(path).declarations(), lambda: Store(path, read_only=True).declarations(),
                    lambda: Store(path).save(pd.DataFrame([_gpu(id="A")]))):
        with pytest.raises(StoreError, match="pas une base Empreinte IA") as error:
            attempt()
        assert "clients" not in str(error.value) and "Error" not in str(error.value)
    assert path.read_bytes() == before
    assert not Path(f"{path}.wal").exists()
    con = duckdb.connect(str(path), read_only=True)
    assert [row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()] == ["clients"]
    con.close()


def test_an_empty_duckdb_file_is_not_taken_for_a_store(tmp_path):
    path = tmp_path / "vide.duckdb"
    duckdb.connect(str(path)).close()  # a DuckDB file with nothing in it, made by someone else
    before = path.read_bytes()
    with pytest.raises(StoreError, match="pas une base Empreinte IA"):
        Store(path).schema_version()
    assert path.read_bytes() == before


def test_a_store_is_created_only_when_asked(tmp_path):
    path = tmp_path / "faute-de-frappe" / "inventaire.duckdb"
    for store in (Store(path, create=False), Store(path, read_only=True, create=False)):
        with pytest.raises(StoreError, match="n'existe pas"):
            store.declarations()
    assert not path.parent.exists()
    created = Store(path, create=True)
    assert not created.exists()
    assert created.schema_version() == SCHEMA_VERSION and created.exists()
    assert [p.name for p in path.parent.iterdir()] == ["inventaire.duckdb"]  # no temporary file left
    assert Store(path, create=False).declarations().empty


def test_a_read_only_store_reads_everything_and_writes_nothing(tmp_path):
    path = tmp_path / "s.duckdb"
    writer = Store(path)
    writer.save(pd.DataFrame([_gpu(id="A")]))
    writer.save_scenario("local", "Local", "id = 'local'")
    before = path.read_bytes()
    reader = Store(path, read_only=True)
    assert reader.declarations()["id"].tolist() == ["A"] and len(reader.history()) == 1
    assert reader.scenarios()["id"].tolist() == ["local"] and reader.revision() == writer.revision()
    with pytest.raises(StoreError, match="lecture seule"):
        reader.save(pd.DataFrame([_gpu(id="B")]))
    assert path.read_bytes() == before


def test_an_older_file_opened_read_only_is_upgraded_first(tmp_path):
    path = tmp_path / "v4.duckdb"
    _file_of_version(path, 4)
    assert Store(path, read_only=True).schema_version() == SCHEMA_VERSION
    assert Store(path, read_only=True).scenario_history().empty


def _file_of_version(path: Path, version: int) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    for number in range(1, version + 1):
        con.execute(MIGRATIONS[number])
    con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(version)])
    con.close()


# -- damaged files -------------------------------------------------------------------------------


def _real_store(path: Path) -> bytes:
    """A store with enough rows that its tables span several blocks; its bytes."""
    store = Store(path)
    store.save(pd.DataFrame([_gpu(service=f"Service {i}", hours=1 + i, comment="x" * 200) for i in range(3000)]))
    store.save_scenario("local", "Local", "id = 'local'")
    return path.read_bytes()


def _block_offsets(path: Path) -> dict[str, int]:
    """Where in the file a data block of each main table starts (DuckDB: 3 headers of 4 KiB,
    then blocks of 256 KiB)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        size = con.execute("SELECT block_size FROM pragma_database_size()").fetchall()[0][0]
        found = {}
        for table in ("declarations", "declaration_history", "meta"):
            block = con.execute(f"SELECT max(block_id) FROM pragma_storage_info('{table}') "
                                "WHERE block_id IS NOT NULL AND persistent").fetchall()[0][0]
            if block is not None:
                found[table] = 3 * 4096 + int(block) * size
        return found
    finally:
        con.close()


def _damaged_copies(tmp_path: Path) -> dict[str, bytes]:
    source = tmp_path / "source.duckdb"
    data = _real_store(source)
    copies = {"tronquée à 4 Ko": data[:4096], "tronquée de moitié": data[: len(data) // 2]}
    rng = random.Random(7)
    for table, offset in _block_offsets(source).items():
        altered = bytearray(data)
        altered[offset + 512: offset + 4608] = rng.randbytes(4096)  # random bytes inside the block
        copies[f"octets aléatoires dans {table}"] = bytes(altered)
    return copies


def test_a_damaged_store_is_refused_when_opened_and_never_written(tmp_path):
    copies = _damaged_copies(tmp_path)
    assert len(copies) >= 4
    for what, content in copies.items():
        path = tmp_path / f"abimee-{len(content)}-{abs(hash(what))}.duckdb"
        path.write_bytes(content)
        for attempt in (lambda p: Store(p).revision(), lambda p: Store(p, read_only=True).declarations(),
                        lambda p: Store(p).save(pd.DataFrame([_gpu(id="nouvelle")])),
                        lambda p: Store(p).save_scenario("x", "X", "id = 'x'")):
            with pytest.raises(StoreDamaged) as error:
                attempt(path)
            message = str(error.value)
            assert "endommagée" in message and "n'a pas été modifiée" in message, what
            assert not any(word in message for word in ("Error", "checksum", "Corrupt", "bytes")), message
        assert path.read_bytes() == content, what
        assert not Path(f"{path}.wal").exists(), what


# -- a full disk ---------------------------------------------------------------------------------






def test_a_full_disk_is_said_in_french_and_the_store_stays_whole(tmp_path):
    with small_disk(tmp_path / "petit") as disk:
        path = disk / "s.duckdb"
        Store(path).save(pd.DataFrame([_gpu(id="avant")]))
        filler = fill(disk)
        before = path.read_bytes()
        rows = pd.DataFrame([_gpu(service=f"S{i}", comment="y" * 100) for i in range(2000)])
        with pytest.raises(StoreWriteError, match="disque .* est plein") as error:
            Store(path).save(rows)
        assert "No space" not in str(error.value) and "rien n'a été modifié" in str(error.value)
        assert path.read_bytes() == before
        filler.unlink()
        assert Store(path).declarations()["id"].tolist() == ["avant"]
        Store(path).save(rows)  # once there is room again, the same write goes through
        assert len(Store(path).declarations()) == 2001


# -- versions read, versions replaced ------------------------------------------------------------


def test_a_save_based_on_a_stale_version_is_refused_and_writes_nothing(tmp_path):
    store = Store(tmp_path / "s.duckdb")
    store.save(pd.DataFrame([_gpu(id="IA-00012")]), user="alice")
    read = int(store.declarations().set_index("id").loc["IA-00012", "version"])
    store.save(pd.DataFrame([_gpu(id="IA-00012", hours=200)]), user="bob")  # someone else, in between
    revision = store.revision()
    with pytest.raises(StoreConflict) as error:
        store.save(pd.DataFrame([_gpu(id="IA-00012", hours=300), _gpu(id="B")]), user="alice",
                   expected_versions={"IA-00012": read})
    message = str(error.value)
    assert "la déclaration IA-00012 a été modifiée entre-temps par bob le " in message
    assert "rechargez" in message and "rien n'a été enregistré" in message
    assert error.value.conflicts["IA-00012"]["version"] == 2 and error.value.expected == {"IA-00012": 1}
    assert store.revision() == revision and store.declarations()["hours"].tolist() == [200]
    # With the version it holds now, the same edit goes through.
    assert store.save(pd.DataFrame([_gpu(id="IA-00012", hours=300)]), expected_versions={"IA-00012": 2}) == {
        "created": 0, "modified": 1, "unchanged": 0}
    with pytest.raises(StoreConflict, match="n'existe plus"):
        store.save(pd.DataFrame([_gpu(id="inconnue")]), expected_versions={"inconnue": 1})
    store.delete(["IA-00012"], user="carole")
    with pytest.raises(StoreConflict, match="par carole"):
        store.save(pd.DataFrame([_gpu(id="IA-00012", hours=1)]), expected_versions={"IA-00012": 3})


def test_two_threads_editing_what_they_read_lose_no_update(tmp_path):
    path = tmp_path / "s.duckdb"
    Store(path).save(pd.DataFrame([_gpu(id="A")]))
    barrier = threading.Barrier(2)
    outcomes = {}

    def edit(user: str, change: dict) -> None:
        store = Store(path)  # each session its own handle, as in the dashboard
        row = store.declarations().set_index("id").loc["A"]
        barrier.wait()  # both have read version 1 before either saves
        try:
            store.save(pd.DataFrame([_gpu(id="A") | change]), user=user,
                       expected_versions={"A": int(row["version"])})
            outcomes[user] = "modifiée"
        except StoreConflict as error:
            outcomes[user] = str(error)

    threads = [threading.Thread(target=edit, args=("alice", {"hours": 111})),
               threading.Thread(target=edit, args=("bob", {"gpus": 7}))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values(), key=len)[0] == "modifiée"
    [winner] = [user for user, outcome in outcomes.items() if outcome == "modifiée"]
    [loser] = [user for user in outcomes if user != winner]
    assert f"modifiée entre-temps par {winner}" in outcomes[loser]
    row = Store(path).declarations().set_index("id").loc["A"]
    assert (row["hours"], row["gpus"]) == ((111, 2) if winner == "alice" else (100, 7))
    assert Store(path).history("A")["version"].tolist() == [1, 2]


# -- many threads of one process (the dashboard's sessions) --------------------------------------


def test_many_threads_writing_at_once_all_succeed(tmp_path):
    path = tmp_path / "s.duckdb"
    Store(path).save(pd.DataFrame([_gpu(id="commune")]))
    failures = []
    sessions, steps = 5, 5

    def session(number: int) -> None:
        store = Store(path)
        try:
            for step in range(steps):
                store.save(pd.DataFrame([_gpu(service=f"Session {number}", hours=step + 1)]))  # new ids
                store.save(pd.DataFrame([_gpu(id="commune", hours=1000 * number + step)]))  # the same row
                store.save_scenario(f"s{number}", f"Session {number}", f"id = 's{number}' # {step}")
                store.save_factor_override("constants", {}, "server_power", 1 + number + step / 10, "kW", 2024,
                                           f"session {number}")
                store.revision()
        except Exception as error:  # noqa: BLE001 - any failure fails the test below, with its text
            failures.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=session, args=(n,)) for n in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    store = Store(path)
    declarations = store.declarations()
    assert len(declarations) == 1 + sessions * steps and declarations["id"].is_unique
    assert store.history("commune")["version"].tolist() == list(range(1, 2 + sessions * steps))
    assert len(store.scenario_history()) == sessions * steps
    assert len(store.factor_overrides()) == 1
    assert len(store.factor_overrides(include_deleted=True)) == sessions * steps


def test_threads_sharing_one_new_store_create_it_once_and_all_write(tmp_path):
    shared = Store(tmp_path / "nouvelle.duckdb")  # what the dashboard caches: one handle, many sessions
    failures = []

    def session(number: int) -> None:
        try:
            for step in range(3):
                if (number + step) % 2:
                    shared.revision()
                shared.save(pd.DataFrame([_gpu(service=f"Session {number}", hours=step + 1)]))
        except Exception as error:  # noqa: BLE001 - any failure fails the test below, with its text
            failures.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=session, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)  # no deadlock
    assert failures == []
    assert len(shared.declarations()) == 12 and shared.schema_version() == SCHEMA_VERSION


def test_a_transaction_refused_for_a_concurrent_change_is_retried_then_reported(tmp_path, caplog):
    path = tmp_path / "s.duckdb"
    store = Store(path)
    store.save(pd.DataFrame([_gpu(id="A")]))
    # A writer of this process that does not go through Store (so does not queue behind its
    # writes) holds a change of row A in an open transaction: DuckDB refuses Store's update of A.
    other = duckdb.connect(str(path))
    other.execute("BEGIN TRANSACTION")
    other.execute("UPDATE declarations SET comment = 'ailleurs' WHERE id = 'A'")
    retried = threading.Event()

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "concurrent change" in record.getMessage():
                retried.set()

    watch = Watch(logging.DEBUG)
    logging.getLogger("footprint.store").addHandler(watch)
    caplog.set_level(logging.DEBUG, logger="footprint.store")
    outcome = {}
    saver = threading.Thread(target=lambda: outcome.setdefault("counts", store.save(
        pd.DataFrame([_gpu(id="A", hours=5)]))))
    try:
        saver.start()
        assert retried.wait(10)  # refused once at least...
        other.execute("COMMIT")  # ...then the other transaction ends, and the retry goes through
        saver.join(20)
        assert outcome["counts"]["modified"] == 1
        assert store.declarations().set_index("id").loc["A", "hours"] == 5
        # Held for good: a bounded number of tries, then a French message, and nothing written.
        other.execute("BEGIN TRANSACTION")
        other.execute("UPDATE declarations SET comment = 'encore' WHERE id = 'A'")
        with pytest.raises(StoreError, match="modifiée au même moment") as error:
            store.save(pd.DataFrame([_gpu(id="A", hours=9)]))
        assert "Conflict" not in str(error.value)
        other.execute("ROLLBACK")
        assert store.declarations().set_index("id").loc["A", "hours"] == 5
    finally:
        logging.getLogger("footprint.store").removeHandler(watch)
        other.close()


# -- custom scenarios keep their history ---------------------------------------------------------


def test_saving_a_scenario_again_keeps_every_version(tmp_path):
    store = Store(tmp_path / "s.duckdb")
    assert store.save_scenario("local", "Local", "id = 'local' # 1", user="alice") == 1
    assert store.save_scenario("local", "Local", "id = 'local' # 1", user="alice") == 1  # the same: nothing new
    assert store.save_scenario("local", "Local révisé", "id = 'local' # 2", user="bob") == 2
    assert store.delete_scenario("local", user="carole")
    assert not store.delete_scenario("local")
    assert store.save_scenario("local", "Local", "id = 'local' # 3") == 4
    history = store.scenario_history("local")
    assert history["version"].tolist() == [1, 2, 3, 4]
    assert history["definition"].tolist() == ["id = 'local' # 1", "id = 'local' # 2", "id = 'local' # 2",
                                              "id = 'local' # 3"]
    assert history["action"].tolist() == ["création", "modification", "suppression", "restauration"]
    assert history["changed_by"].tolist()[:3] == ["alice", "bob", "carole"]
    assert history["deleted"].tolist() == [False, False, True, False]
    assert store.scenarios()["definition"].tolist() == ["id = 'local' # 3"]


def test_a_version_4_file_is_upgraded_and_its_scenarios_become_their_first_version(tmp_path):
    path = tmp_path / "v4.duckdb"
    _file_of_version(path, 4)
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO scenarios VALUES ('ancien', 'Ancien', 'id = \"ancien\"', false, now(), 'alice')")
    _old_declaration(con)
    con.close()
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION == 10
    assert store.declarations()["id"].tolist() == ["avant"]
    [first] = store.scenario_history("ancien").to_dict("records")
    assert first["version"] == 1 and first["definition"] == 'id = "ancien"' and first["changed_by"] == "alice"
    assert store.save_scenario("ancien", "Ancien", 'id = "ancien" # revu') == 2


def test_a_version_5_file_gets_the_product_columns_empty_and_keeps_its_declarations_and_history(tmp_path):
    path = tmp_path / "v5.duckdb"
    _file_of_version(path, 5)
    con = duckdb.connect(str(path))
    _old_declaration(con)
    con.execute("""INSERT INTO declaration_history (id, year, service, kind, version, deleted, action, changed_at,
                   changed_by) VALUES ('avant', 2025, 'DSI', 'gpu', 1, false, 'saisie', now(), 'alice')""")
    con.close()
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION == 10
    [before] = store.declarations().to_dict("records")
    assert before["id"] == "avant" and before["created_by"] == "alice"
    assert all(pd.isna(before[c]) for c in ("product", "users", "licences", "messages"))
    # What is read has the vocabulary's order, whatever order the migrations left in the table.
    assert list(store.declarations().columns[:len(DECLARATION_COLUMNS)]) == list(DECLARATION_COLUMNS)
    assert list(store.history().columns[:len(DECLARATION_COLUMNS)]) == list(DECLARATION_COLUMNS)
    store.save(pd.DataFrame([{"id": "apres", "year": 2025, "service": "DSI", "kind": "llm",
                              "product": "m365_copilot", "licences": 150.0}]))
    assert store.declarations().set_index("id").at["apres", "licences"] == 150.0
    assert store.history("avant")["changed_by"].tolist() == ["alice"]


def _old_declaration(con) -> None:
    """One declaration « avant » as a file of an older schema holds it."""
    con.execute("""INSERT INTO declarations (id, year, service, kind, version, deleted, created_at, created_by,
                   updated_at, updated_by) VALUES ('avant', 2025, 'DSI', 'gpu', 1, false, now(), 'alice', now(),
                   'alice')""")
