"""Files a user names (``--out``, ``declarations export FICHIER``): written whole, never through a
symbolic link, never over an existing file unless asked, never in a folder created behind the
user's back, readable by colleagues (the usual permissions), and a full disk said in French.
Real files, real links, a real small file system, and the real command line."""

import os
import stat
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from core.errors import InputError
from footprint.io.output_files import OutputWriteError, write_file, write_files
from tests.disks import fill, small_disk
from tests.stores import example_store

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def umask(mask: int):
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or p.name.endswith(".tmp"))


def test_a_new_file_gets_the_usual_permissions_not_owner_only(tmp_path):
    with umask(0o022):
        assert write_file(tmp_path / "export.csv", b"a;b\r\n") == tmp_path / "export.csv"
    assert _mode(tmp_path / "export.csv") == 0o644
    with umask(0o002):
        write_file(tmp_path / "partage.csv", b"a;b\r\n")
    assert _mode(tmp_path / "partage.csv") == 0o664
    assert (tmp_path / "export.csv").read_bytes() == b"a;b\r\n"
    assert _leftovers(tmp_path) == []


def test_an_existing_file_is_replaced_only_when_asked(tmp_path):
    target = tmp_path / "export.csv"
    target.write_bytes(b"le travail d'hier")
    with pytest.raises(InputError, match="existe déjà : ajoutez --force") as error:
        write_file(target, b"nouveau")
    assert error.value.problems[0].file == str(target)
    assert target.read_bytes() == b"le travail d'hier"
    write_file(target, b"nouveau", force=True)
    assert target.read_bytes() == b"nouveau"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("dangling", [False, True])
def test_a_symbolic_link_is_never_followed_even_with_force(tmp_path, dangling):
    victim = tmp_path / "ailleurs" / "fichier-important.txt"
    victim.parent.mkdir()
    if not dangling:
        victim.write_bytes(b"ne pas toucher")
    link = tmp_path / "export.csv"
    link.symlink_to(victim)
    for force in (False, True):
        with pytest.raises(InputError, match="lien symbolique"):
            write_file(link, b"contenu", force=force)
    assert link.is_symlink() and os.readlink(link) == str(victim)
    assert victim.read_bytes() == b"ne pas toucher" if not dangling else not victim.exists()
    assert _leftovers(tmp_path) == []


def test_a_missing_folder_is_refused_and_not_created(tmp_path):
    target = tmp_path / "rapport" / "2025" / "export.csv"
    with pytest.raises(InputError, match="ce dossier n'existe pas") as error:
        write_file(target, b"x")
    assert error.value.problems[0].file == str(target.parent)
    assert not (tmp_path / "rapport").exists()


def test_a_folder_or_a_special_file_is_not_a_file_to_write(tmp_path):
    (tmp_path / "dossier.csv").mkdir()
    with pytest.raises(InputError, match="c'est un dossier"):
        write_file(tmp_path / "dossier.csv", b"x", force=True)
    fifo = tmp_path / "tube.csv"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="pas un fichier ordinaire"):
        write_file(fifo, b"x", force=True)


def test_the_files_of_one_export_are_written_all_or_nothing(tmp_path):
    (tmp_path / "x-note.md").write_bytes(b"ancienne note")
    files = {tmp_path / "x.csv": b"synthese", tmp_path / "x-detail.csv": b"detail", tmp_path / "x-note.md": b"note"}
    with pytest.raises(InputError) as error:
        write_files(files)
    assert [p.file for p in error.value.problems] == [str(tmp_path / "x-note.md")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x-note.md"]  # nothing else was written
    assert (tmp_path / "x-note.md").read_bytes() == b"ancienne note"
    assert write_files(files, force=True) == list(files)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {"x.csv": b"synthese", "x-detail.csv": b"detail",
                                                                    "x-note.md": b"note"}




def test_a_full_disk_is_said_in_french_and_leaves_nothing_behind(tmp_path):
    with small_disk(tmp_path / "petit", size="1m") as disk:
        (disk / "existant.csv").write_bytes(b"avant")
        big = b"x" * (2 << 20)  # 2 MiB on a 1 MiB disk
        for force in (False, True):
            target = disk / ("existant.csv" if force else "export.csv")
            with pytest.raises(OutputWriteError, match="disque plein") as error:
                write_files({disk / "petit.csv": b"ok", target: big}, force=force)
            assert "No space" not in str(error.value) and str(target) in str(error.value)
            assert sorted(p.name for p in disk.iterdir()) == ["existant.csv"]
        assert (disk / "existant.csv").read_bytes() == b"avant"


# -- the command line ---------------------------------------------------------------------------


def run(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "footprint", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=180, env=env)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return example_store(tmp_path_factory.mktemp("base") / "s.duckdb")


def test_declarations_export_refuses_a_link_and_an_existing_file_without_force(tmp_path, store):
    victim = tmp_path / "victime.txt"
    victim.write_text("ne pas toucher")
    (tmp_path / "lien.csv").symlink_to(victim)
    done = run("declarations", "export", str(tmp_path / "lien.csv"), "--db", str(store), "--force")
    assert done.returncode == 2 and "lien symbolique" in done.stderr and "Traceback" not in done.stderr
    assert victim.read_text() == "ne pas toucher"
    out = tmp_path / "declarations.csv"
    assert run("declarations", "export", str(out), "--db", str(store)).returncode == 0
    assert _mode(out) == 0o666 & ~_current_umask()
    first = out.read_bytes()
    done = run("declarations", "export", str(out), "--db", str(store), "--format", "xlsx")
    assert done.returncode == 2 and "--force" in done.stderr and out.read_bytes() == first
    assert run("declarations", "export", str(out), "--db", str(store), "--format", "xlsx", "--force").returncode == 0
    assert out.read_bytes()[:2] == b"PK"


def test_export_pcaet_refuses_a_missing_folder_a_link_and_an_existing_file_without_force(tmp_path, store):
    common = ("export", "pcaet", "--year", "2025", "--scenarios", "none", "--db", str(store), "--export-date",
              "2026-01-15")
    done = run(*common, "--out", str(tmp_path / "manquant" / "pcaet.csv"))
    assert done.returncode == 2 and "n'existe pas" in done.stderr and not (tmp_path / "manquant").exists()
    victim = tmp_path / "victime.txt"
    victim.write_text("ne pas toucher")
    (tmp_path / "pcaet-note.md").symlink_to(victim)
    done = run(*common, "--out", str(tmp_path / "pcaet.csv"), "--force")
    assert done.returncode == 2 and "lien symbolique" in done.stderr
    assert victim.read_text() == "ne pas toucher" and not (tmp_path / "pcaet.csv").exists()  # all or nothing
    (tmp_path / "pcaet-note.md").unlink()
    assert run(*common, "--out", str(tmp_path / "pcaet.csv")).returncode == 0
    written = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("pcaet"))
    assert written == ["pcaet-detail.csv", "pcaet-indicateurs.csv", "pcaet-note.html", "pcaet-note.md",
                       "pcaet-sources.csv", "pcaet.csv"]
    assert {_mode(tmp_path / name) for name in written} == {0o666 & ~_current_umask()}
    done = run(*common, "--out", str(tmp_path / "pcaet.xlsx"))  # its note would replace the CSV export's
    assert done.returncode == 2 and "pcaet-note.md" in done.stderr and not (tmp_path / "pcaet.xlsx").exists()
    assert run(*common, "--out", str(tmp_path / "pcaet.xlsx"), "--force").returncode == 0




def test_an_export_to_a_full_disk_exits_6_in_french(tmp_path, store):
    with small_disk(tmp_path / "petit", size="256k") as disk:
        filler = fill(disk)
        for args in (("declarations", "export", str(disk / "d.csv"), "--db", str(store)),
                     ("export", "pcaet", "--year", "2025", "--db", str(store), "--out", str(disk / "p.csv"))):
            done = run(*args)
            assert done.returncode == 6, done.stderr
            assert "disque plein" in done.stderr and "Erreur inattendue" not in done.stderr
            assert "No space" not in done.stderr and "Traceback" not in done.stderr
            assert list(disk.iterdir()) == [filler]


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
