"""Backups and restores of the store (``footprint.store.backup``, ``python -m footprint backup`` /
``restore``), on real DuckDB files: a backup holds every row of every table and opens as a store,
it never replaces a file, and it is one moment of the store while others write; a restore puts a
backup back, keeps the replaced file beside the store, upgrades an older backup on a private copy
(the backup itself untouched), refuses in French what is not a store of this version or a store
another program holds, and changes nothing then.

Writing while a backup is taken, two ways, because DuckDB gives a file to one process at a time:

- another process (an import, the dashboard's server) writes in a loop through ``Store``: each of
  its writes is a short connection, so the backup waits for a moment between two of them
  (``StoreFile``'s retry, ``FOOTPRINT_LOCK_TIMEOUT``) and holds the file while it copies, and the
  writer waits in turn; what makes the copy one moment is the file lock itself;
- threads of one process (the dashboard's sessions) write through the same file while that
  process holds it open: the backup's connection then shares the process's database, commits
  happen while it copies, and what makes the copy one moment is DuckDB's snapshot isolation (one
  transaction reads the counts and copies). The process holds a connection open for the whole
  test, as a dashboard serving a page does: a read-only backup that opens the file first, while no
  thread holds it, would make a writer of the same process fail (DuckDB refuses to hold one file
  both ways in a process, and ``StoreFile`` retries that only for a reader).

Each writer saves batches of ``BATCH`` new declarations, one transaction each, so any moment of the
store has as many history rows as declarations, a multiple of ``BATCH``: a copy mixing two moments
breaks that (and the backup's own check of its copy would refuse it).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from footprint.inventory.users import add_user, remove_user
from footprint.store import SCHEMA_VERSION, Store, StoreDamaged, StoreError
from footprint.store.backup import backup, contents, restore
from tests.stores import foreign_duckdb

ROOT = Path(__file__).resolve().parents[2]
BATCH = 3
# 10:30:05 in Paris (UTC+1 in winter) is 09:30:05 UTC: the names carry the UTC moment.
MOMENT = datetime(2025, 3, 14, 10, 30, 5, tzinfo=timezone(timedelta(hours=1)))
STAMP = "20250314-093005"
NAME = re.compile(r"empreinte-\d{8}-\d{6}\.duckdb")


def _gpu(**extra) -> dict:
    return dict(year=2025, service="DSI", kind="gpu", gpu="L40S", gpus=2, hours=100, zone="FRA") | extra


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listing(folder: Path) -> dict[str, str]:
    """Every file of ``folder`` (hidden temporary ones included) -> its hash."""
    return {child.name: _sha(child) for child in sorted(folder.iterdir()) if child.is_file()}


def _rows(path: Path) -> dict[str, list[tuple]]:
    """table -> its rows (sorted), read straight from the file with DuckDB (no ``Store``: nothing
    checked or upgraded on the way)."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [row[0] for row in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
                                                "ORDER BY table_name").fetchall()]
        return {table: sorted(con.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr) for table in tables}


def _definitions(path: Path) -> tuple[list, list]:
    """The tables' definitions and their constraints (primary keys, NOT NULL…)."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute("SELECT table_name, sql FROM duckdb_tables() ORDER BY table_name").fetchall()
        constraints = con.execute("SELECT table_name, constraint_type, constraint_column_names::VARCHAR "
                                  "FROM duckdb_constraints() ORDER BY ALL").fetchall()
    return tables, constraints


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A store with rows in most tables: declarations (one edited, one deleted, one imported),
    their history, an import, a measurement, a scenario, a factor value, a product's basis and
    two people (one of them removed)."""
    path = tmp_path_factory.mktemp("sauvegarde") / "modele.duckdb"
    store = Store(path)
    store.save(pd.DataFrame([_gpu(), _gpu(service="Urbanisme", hours=20)]))
    first, second = store.last_ids
    store.save(pd.DataFrame([_gpu(id=first, hours=150)]))
    store.delete([second])
    store.save(pd.DataFrame([_gpu(service="Finances", hours=7)]),
               import_record={"kind": "declarations", "file_name": "finances.csv", "file_sha256": "abc"})
    store.save_measurements(pd.DataFrame([{"run_id": "r1", "name": "ocr", "declaration_id": "M", "duration_s": 1.0,
                                           "energy_kwh": 0.5}]),
                            pd.DataFrame([dict(id="M", year=2025, service="DSI", kind="measured")]))
    store.save_scenario("local", "Local", "id = 'local'")
    store.save_factor_override("hosting_profiles", {"hosting": "salle_serveurs"}, "pue_min", 1.4, "dimensionless",
                               2024, "mesure de la DSI")
    store.save_product_basis("chatgpt_plus", "declaration", "rapport")
    add_user(store, "chef@ville.fr", "administrateur")
    add_user(store, "anne@ville.fr", "agent", ["Urbanisme"], "Anne Martin")
    add_user(store, "paul@ville.fr", "lecteur")
    remove_user(store, "paul@ville.fr")
    return path


@pytest.fixture
def store_path(template, tmp_path) -> Path:
    path = tmp_path / "base" / "footprint.duckdb"
    path.parent.mkdir()
    shutil.copyfile(template, path)
    return path


# -- backup ---------------------------------------------------------------------------------

def test_a_backup_holds_every_row_of_every_table_and_opens_as_a_store(store_path, tmp_path):
    before, store_bytes = _rows(store_path), _sha(store_path)
    assert {table for table, rows in before.items() if rows} >= {
        "meta", "declarations", "declaration_history", "imports", "measurements", "scenarios", "scenario_history",
        "factor_overrides", "product_bases", "users"}
    out = tmp_path / "sauvegardes" / "nuit"  # made, with its parents
    written = backup(store_path, out, now=MOMENT)
    assert written == out / f"empreinte-{STAMP}.duckdb"
    assert _rows(written) == before
    assert _definitions(written) == _definitions(store_path)
    assert sorted(os.listdir(out)) == [written.name]  # no temporary file, no DuckDB log left beside it
    assert _sha(store_path) == store_bytes  # the store was only read
    found = contents(written)
    assert (found.schema_version, found.size_bytes) == (SCHEMA_VERSION, written.stat().st_size)
    assert found.rows == {table: len(rows) for table, rows in before.items()}
    copy, original = Store(written), Store(store_path)
    pd.testing.assert_frame_equal(copy.declarations(include_deleted=True), original.declarations(include_deleted=True))
    pd.testing.assert_frame_equal(copy.history(), original.history())
    pd.testing.assert_frame_equal(copy.users(include_deleted=True), original.users(include_deleted=True))
    assert copy.role_of("anne@ville.fr") == original.role_of("anne@ville.fr")
    # Without a moment given, the current one, in UTC.
    assert NAME.fullmatch(backup(store_path, out).name)


def test_a_backup_never_replaces_a_file(store_path, tmp_path):
    out = tmp_path / "sauvegardes"
    out.mkdir()
    taken = out / f"empreinte-{STAMP}.duckdb"
    taken.write_bytes(b"une sauvegarde de la veille")
    second = backup(store_path, out, now=MOMENT)
    third = backup(store_path, out, now=MOMENT)
    assert (second.name, third.name) == (f"empreinte-{STAMP}-2.duckdb", f"empreinte-{STAMP}-3.duckdb")
    assert taken.read_bytes() == b"une sauvegarde de la veille"
    assert _rows(second) == _rows(third) == _rows(store_path)
    assert sorted(os.listdir(out)) == sorted([taken.name, second.name, third.name])


def test_a_backup_into_a_file_or_of_a_missing_store_writes_nothing(store_path, tmp_path):
    a_file = tmp_path / "pas-un-dossier"
    a_file.write_text("x")
    with pytest.raises(StoreError, match="n'est pas un dossier"):
        backup(store_path, a_file)
    assert a_file.read_text() == "x"
    with pytest.raises(StoreError, match="n'existe pas"):
        backup(tmp_path / "absente.duckdb", tmp_path / "jamais")
    assert not (tmp_path / "jamais").exists() and not (tmp_path / "absente.duckdb").exists()
    a_csv = tmp_path / "inventaire.csv"
    a_csv.write_text("id;annee\nA;2025\n", encoding="utf-8")
    with pytest.raises(StoreError, match="pas une base DuckDB d'Empreinte IA"):
        backup(a_csv, tmp_path / "jamais")
    assert not (tmp_path / "jamais").exists()


def _assert_one_moment(written: Path) -> int:
    """The copy's declarations (as many history rows, a multiple of ``BATCH``): their number."""
    found = contents(written).rows
    assert found["declarations"] == found["declaration_history"], found
    assert found["declarations"] % BATCH == 0, found
    assert len(Store(written).declarations()) == found["declarations"]
    return found["declarations"]


_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    import pandas as pd
    from footprint.store import Store
    store, stop, batch = Store({path!r}, lock_timeout_s=60), Path({stop!r}), 0
    while not stop.exists():
        batch += 1
        store.save(pd.DataFrame([dict(year=2025, service=f"Service {{batch}}-{{row}}", kind="gpu", gpu="T4", gpus=1,
                                      hours=batch, zone="FRA") for row in range({size})]))
        print(batch, flush=True)  # committed: the store holds {size} x batch declarations
""")


def test_a_backup_taken_while_another_process_writes_is_one_moment_of_the_store(tmp_path):
    path, stop = tmp_path / "ecrite.duckdb", tmp_path / "stop"
    Store(path).schema_version()
    writer = subprocess.Popen([sys.executable, "-c", _WRITER.format(root=str(ROOT), path=str(path), stop=str(stop),
                                                                    size=BATCH)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "1", writer.stderr.read()  # it has begun writing
        counts = [_assert_one_moment(backup(path, tmp_path / "sauvegardes", lock_timeout_s=60)) for _ in range(3)]
        # It went on writing after the last copy (a batch the copy does not hold was committed).
        while True:
            line = writer.stdout.readline()
            assert line, writer.stderr.read()  # an empty line: the writer has stopped
            if int(line) * BATCH > counts[-1]:
                break
        stop.touch()
        assert writer.wait(timeout=120) == 0, writer.stderr.read()
    finally:
        stop.touch()
        if writer.poll() is None:
            writer.kill()
        writer.wait()
    final = len(Store(path).declarations())
    assert BATCH <= counts[0] <= counts[1] <= counts[2] < final
    assert len(Store(path).history()) == final  # the writer lost nothing while it waited for the copies


def test_a_backup_taken_while_threads_of_the_same_process_write_is_one_moment_of_the_store(tmp_path):
    path = tmp_path / "tableau-de-bord.duckdb"
    store = Store(path)
    store.schema_version()
    stop, failures, committed = threading.Event(), [], [0]

    def write() -> None:
        try:
            while not stop.is_set():
                store.save(pd.DataFrame([_gpu(service=f"Service {committed[0]}-{row}") for row in range(BATCH)]))
                committed[0] += 1
        except Exception as error:  # reported by the test below
            failures.append(error)

    def wait_for(batches: int) -> None:
        deadline = time.monotonic() + 120
        while committed[0] < batches and not failures and time.monotonic() < deadline:
            time.sleep(0.01)

    thread = threading.Thread(target=write)
    with store.connect():  # the process holds the store, as a dashboard serving a page
        thread.start()
        try:
            wait_for(1)
            counts = [_assert_one_moment(backup(path, tmp_path / "sauvegardes", lock_timeout_s=60)) for _ in range(4)]
            wait_for(counts[-1] // BATCH + 1)
        finally:
            stop.set()
            thread.join()
    assert not failures
    final = len(store.declarations())
    assert BATCH <= counts[0] and counts == sorted(counts) and counts[-1] < final == len(store.history())


# -- restore --------------------------------------------------------------------------------

def test_a_restore_puts_the_backup_back_and_keeps_the_replaced_file_beside_the_store(store_path, tmp_path):
    written = backup(store_path, tmp_path / "sauvegardes")
    at_backup, backup_bytes = _rows(written), _sha(written)
    store = Store(store_path)
    store.save(pd.DataFrame([_gpu(service="Après la sauvegarde")]))
    store.delete([store.declarations()["id"].iloc[0]])
    add_user(store, "nouvelle@ville.fr", "lecteur")
    store.save_scenario("apres", "Après", "id = 'apres'")
    changed = _rows(store_path)
    assert changed != at_backup

    kept = restore(written, store_path, now=MOMENT)
    assert kept == store_path.with_name(f"footprint.avant-restauration-{STAMP}.duckdb")
    assert _rows(store_path) == at_backup
    assert _rows(kept) == changed  # the replaced store, whole
    assert Store(kept).role_of("nouvelle@ville.fr") is not None
    assert _sha(written) == backup_bytes  # the backup was only read
    assert sorted(os.listdir(store_path.parent)) == sorted([store_path.name, kept.name])  # nothing else left
    # The restored store is a store like any other: its keys hold, new ids follow the restored ones.
    restored = Store(store_path)
    assert restored.role_of("nouvelle@ville.fr") is None and restored.users()["email"].tolist() == [
        "anne@ville.fr", "chef@ville.fr"]
    identifier, version = restored.declarations()[["id", "version"]].iloc[0]
    restored.save(pd.DataFrame([_gpu(id=identifier, hours=1)]))
    assert restored.declarations().set_index("id").at[identifier, "version"] == version + 1
    restored.save(pd.DataFrame([_gpu(service="Ensuite")]))
    assert len(restored.declarations(include_deleted=True)) == len(at_backup["declarations"]) + 1
    # A second restore in the same second keeps the first copy aside too.
    again = restore(written, store_path, now=MOMENT)
    assert again.name == f"footprint.avant-restauration-{STAMP}-2.duckdb" and _rows(kept) == changed


def test_a_restore_where_there_is_no_store_yet_places_the_backup(store_path, tmp_path):
    written = backup(store_path, tmp_path / "sauvegardes")
    target = tmp_path / "nouveau-serveur" / "footprint.duckdb"
    assert restore(written, target) is None
    assert _rows(target) == _rows(written)
    assert os.listdir(target.parent) == [target.name]


def _random_bytes(path: Path, backup_file: Path) -> None:
    path.write_bytes(bytes(range(256)) * 40)


def _a_csv(path: Path, backup_file: Path) -> None:
    path.write_text("id;annee;service\nIA-00001;2025;DSI\n", encoding="utf-8")


def _an_empty_file(path: Path, backup_file: Path) -> None:
    path.write_bytes(b"")


def _another_application(path: Path, backup_file: Path) -> None:
    foreign_duckdb(path, "CREATE TABLE declarations (id VARCHAR, montant DOUBLE)")


def _a_newer_store(path: Path, backup_file: Path) -> None:
    shutil.copyfile(backup_file, path)
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])


def _a_truncated_backup(path: Path, backup_file: Path) -> None:
    path.write_bytes(backup_file.read_bytes()[:backup_file.stat().st_size // 2])


def _a_folder(path: Path, backup_file: Path) -> None:
    path.mkdir()


REFUSED = {
    "random bytes": (_random_bytes, "n'est pas une base Empreinte IA"),
    "a CSV": (_a_csv, "n'est pas une base Empreinte IA"),
    "an empty file": (_an_empty_file, "n'est pas une base Empreinte IA"),
    "a DuckDB file of another application": (_another_application, "pas une base Empreinte IA"),
    "a store of a newer version": (_a_newer_store, "version plus récente"),
    "a truncated backup": (_a_truncated_backup, "endommagée"),
    "a folder": (_a_folder, "est un dossier"),
    "nothing": (lambda path, backup_file: None, "n'existe pas"),
}


@pytest.mark.parametrize("kind", REFUSED)
def test_a_restore_refuses_what_is_not_a_backup_of_this_version_and_changes_nothing(kind, store_path, tmp_path):
    make, message = REFUSED[kind]
    written = backup(store_path, tmp_path / "sauvegardes")
    candidate = tmp_path / "candidat.duckdb"
    make(candidate, written)
    candidate_bytes = _sha(candidate) if candidate.is_file() else None
    before, rows = _listing(store_path.parent), _rows(store_path)
    with pytest.raises(StoreError, match=message):
        restore(candidate, store_path)
    assert _listing(store_path.parent) == before  # the store byte for byte, nothing kept aside, no leftover
    assert _rows(store_path) == rows
    assert (_sha(candidate) if candidate.is_file() else None) == candidate_bytes


def test_a_restore_refuses_the_store_itself_and_a_store_that_is_not_one(store_path, tmp_path):
    with pytest.raises(StoreError, match="la base elle-même"):
        restore(store_path, store_path)
    written = backup(store_path, tmp_path / "sauvegardes")
    not_a_store = tmp_path / "ailleurs" / "tableur.duckdb"
    not_a_store.parent.mkdir()
    not_a_store.write_text("nom;montant\nA;1\n", encoding="utf-8")
    before = _listing(not_a_store.parent)
    with pytest.raises(StoreError, match="Restauration refusée.*déplacez-le à la main"):
        restore(written, not_a_store)
    assert _listing(not_a_store.parent) == before


def _schema_9(path: Path) -> None:
    """Bring a store back to schema 9 (as ``test_access`` does): no ``users`` table, no review of
    the declarations."""
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE users")
        for table in ("declarations", "declaration_history"):
            con.execute(f"ALTER TABLE {table} DROP COLUMN review")
            con.execute(f"ALTER TABLE {table} DROP COLUMN review_comment")
        con.execute("UPDATE meta SET value = '9' WHERE key = 'schema_version'")


def test_an_older_backup_is_upgraded_on_a_private_copy_and_left_as_it_is(store_path, tmp_path):
    old = tmp_path / "anciennes" / "empreinte-20240101-000000.duckdb"
    old.parent.mkdir()
    shutil.copyfile(store_path, old)
    _schema_9(old)
    beside_old, old_rows = _listing(old.parent), _rows(old)
    Store(store_path).save(pd.DataFrame([_gpu(service="Après")]))

    kept = restore(old, store_path)
    assert _listing(old.parent) == beside_old  # the backup byte for byte, no copy made beside it
    assert contents(old).schema_version == 9
    restored = Store(store_path)
    assert restored.schema_version() == SCHEMA_VERSION
    assert restored.users().empty  # schema 9 had no people
    declarations = restored.declarations(include_deleted=True)
    assert set(declarations["review"]) == {"validée"}  # what schema 9 held was written with every right
    assert len(declarations) == len(old_rows["declarations"]) and len(restored.history()) == len(
        old_rows["declaration_history"])
    assert "Après" not in set(declarations["service"]) and "Après" in set(Store(kept).declarations()["service"])
    restored.save(pd.DataFrame([_gpu(service="Ensuite")]))  # and it takes new writes
    add_user(restored, "chef@ville.fr", "administrateur")


# -- the command line -----------------------------------------------------------------------

def _footprint(*args: str, **env: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "footprint", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=180, env=os.environ | {"FOOTPRINT_USER": "test"} | env)
    assert "Traceback" not in done.stderr + done.stdout
    return done


def test_the_command_line_backs_up_and_restores_in_french(store_path, tmp_path):
    out = tmp_path / "sauvegardes"
    saved = _footprint("backup", "--out", str(out), "--db", str(store_path))
    assert saved.returncode == 0, saved.stderr
    [written] = out.iterdir()
    assert NAME.fullmatch(written.name) and _rows(written) == _rows(store_path)
    assert f"Sauvegarde écrite : {written}" in saved.stdout
    assert f"schéma {SCHEMA_VERSION}" in saved.stdout and "  - déclarations : 4 lignes" in saved.stdout
    assert "  - personnes et rôles : 4 lignes" in saved.stdout  # every change of a person is a row
    assert "  - profil de la collectivité : 0 ligne" in saved.stdout

    at_backup = _rows(written)
    Store(store_path).save(pd.DataFrame([_gpu(service="Après")]))
    put_back = _footprint("restore", str(written), "--db", str(store_path))
    assert put_back.returncode == 0, put_back.stderr
    assert _rows(store_path) == at_backup
    [kept] = store_path.parent.glob("footprint.avant-restauration-*.duckdb")
    assert re.fullmatch(r"footprint\.avant-restauration-\d{8}-\d{6}\.duckdb", kept.name)
    assert f"Base {store_path} restaurée depuis {written}" in put_back.stdout
    assert f"La base remplacée est gardée sous {kept}." in put_back.stdout

    old = tmp_path / "ancienne.duckdb"
    shutil.copyfile(written, old)
    _schema_9(old)
    upgraded = _footprint("restore", str(old), "--db", str(store_path))
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"schéma 9 (mis à jour vers le schéma {SCHEMA_VERSION})" in upgraded.stdout


def test_the_command_line_refuses_in_french_and_writes_nothing(store_path, tmp_path):
    written = backup(store_path, tmp_path / "sauvegardes")
    before = _listing(store_path.parent)

    missing = _footprint("backup", "--out", str(tmp_path / "jamais"), "--db", str(tmp_path / "absente.duckdb"))
    assert missing.returncode == 3
    assert "Erreur : La base" in missing.stderr and "n'existe pas" in missing.stderr
    assert not (tmp_path / "jamais").exists() and not (tmp_path / "absente.duckdb").exists()

    no_out = _footprint("backup", "--db", str(store_path))
    assert no_out.returncode == 2 and "arguments obligatoires manquants : --out" in no_out.stderr

    a_csv = tmp_path / "declarations.csv"
    a_csv.write_text("id;annee\nA;2025\n", encoding="utf-8")
    not_a_store = _footprint("restore", str(a_csv), "--db", str(store_path))
    assert not_a_store.returncode == 3 and "n'est pas une base Empreinte IA" in not_a_store.stderr

    damaged = tmp_path / "abimee.duckdb"
    _a_truncated_backup(damaged, written)
    refused = _footprint("restore", str(damaged), "--db", str(store_path))
    assert refused.returncode == 5 and "endommagée" in refused.stderr

    absent = _footprint("restore", str(tmp_path / "introuvable.duckdb"), "--db", str(store_path))
    assert absent.returncode == 3 and "n'existe pas" in absent.stderr
    assert _listing(store_path.parent) == before


_HOLDER = textwrap.dedent("""
    import time, duckdb
    con = duckdb.connect({path!r})  # read-write, as the dashboard's server or an import holds it
    con.execute("SELECT count(*) FROM declarations").fetchall()
    print("held", flush=True)
    time.sleep(120)
""")


def test_a_restore_is_refused_while_another_program_holds_the_store(store_path, tmp_path):
    written = backup(store_path, tmp_path / "sauvegardes")
    Store(store_path).save(pd.DataFrame([_gpu(service="Après")]))
    before, rows = _listing(store_path.parent), _rows(store_path)
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER.format(path=str(store_path))], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        refused = _footprint("restore", str(written), "--db", str(store_path), FOOTPRINT_LOCK_TIMEOUT="0.5")
        assert refused.returncode == 3
        assert refused.stderr.startswith(f"Erreur : Restauration refusée : La base {store_path} est occupée par un "
                                         "autre programme")
        assert "Arrêtez d'abord le tableau de bord" in refused.stderr and "à la main" not in refused.stderr
        assert _listing(store_path.parent) == before  # nothing kept aside, nothing staged, the store as it was
        with pytest.raises(StoreError, match="occupée par un autre programme"):
            backup(store_path, tmp_path / "pendant", lock_timeout_s=0.5)
        assert not (tmp_path / "pendant").exists()
    finally:
        holder.kill()
        holder.wait()
    assert _listing(store_path.parent) == before and _rows(store_path) == rows
    # Once the program has let the store go, the same restore goes through.
    restore(written, store_path)
    assert _rows(store_path) == _rows(written)


def test_a_damaged_store_is_replaced_as_a_file_and_kept_beside(store_path, tmp_path):
    written = backup(store_path, tmp_path / "sauvegardes")
    store_path.write_bytes(store_path.read_bytes()[:store_path.stat().st_size // 2])
    damaged = _sha(store_path)
    with pytest.raises(StoreDamaged):
        Store(store_path).declarations()
    kept = restore(written, store_path, now=datetime(2025, 3, 14, 9, 30, 5, tzinfo=UTC))
    assert _sha(kept) == damaged and kept.name == f"footprint.avant-restauration-{STAMP}.duckdb"
    assert _rows(store_path) == _rows(written)
