"""The architecture as a test: the import contracts of pyproject.toml ([tool.importlinter]) hold
on the code, and they would catch an upward import, one written inside a function included, and
a page that imports the library instead of going through the dashboard."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINTER = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
PACKAGES = tuple(LINTER["root_packages"])
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"]
PAGES_ONLY = {"footprint", "scenarios", "emission_factors", "core", "cli"}


def _lint(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*LINT, "--no-cache"], cwd=folder, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"})


def _lint_with_import_inside_a_function(tmp_path: Path, module: str, imported: str) -> subprocess.CompletedProcess:
    """The import contracts on a copy of the code where ``module`` (a file under ``tmp_path``)
    imports ``imported`` inside a function."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.csv", "__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    path = tmp_path / module
    name, _, what = imported.rpartition(".")
    path.write_text(path.read_text() + f"\n\ndef _direct():\n    from {name} import {what}\n\n    return {what}\n")
    return _lint(tmp_path)


def _pages_contract() -> dict:
    [contract] = [c for c in LINTER["contracts"] if c["type"] == "forbidden" and c["source_modules"] == ["app_pages"]]
    return contract


def test_every_import_points_down_the_layers():
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_pages_reach_the_library_only_through_the_dashboard():
    contract = _pages_contract()
    assert PAGES_ONLY <= set(contract["forbidden_modules"])
    done = _lint(ROOT)
    assert f"{contract['name']} KEPT" in done.stdout, done.stdout + done.stderr


def test_an_upward_import_inside_a_function_breaks_the_contract(tmp_path):
    done = _lint_with_import_inside_a_function(tmp_path, "emission_factors/loader.py", "footprint.store.Store")
    [layers] = [c for c in LINTER["contracts"] if c["type"] == "layers" and "containers" not in c]
    assert done.returncode != 0 and f"{layers['name']} BROKEN" in " ".join(done.stdout.split())
    assert "emission_factors.loader -> footprint.store" in done.stdout


def test_a_page_that_imports_the_library_breaks_the_pages_contract(tmp_path):
    done = _lint_with_import_inside_a_function(tmp_path, "app_pages/methode.py", "footprint.store.Store")
    assert done.returncode != 0 and "1 broken" in done.stdout
    assert f"{_pages_contract()['name']} BROKEN" in done.stdout
    assert "app_pages.methode -> footprint.store" in done.stdout


@pytest.mark.parametrize(("module", "imported", "arrow"), [
    ("footprint/engine/compute.py", "footprint.inventory.Inventory", "footprint.engine.compute -> footprint.inventory"),
    ("footprint/store/handle.py", "footprint.engine.compute_impacts", "footprint.store.handle -> footprint.engine"),
    ("footprint/vocabulary.py", "footprint.io.tabular.read_table", "footprint.vocabulary -> footprint.io.tabular"),
], ids=["upward", "between-siblings", "from-the-vocabulary"])
def test_a_cycle_between_rooms_of_the_library_breaks_the_rooms_contract(tmp_path, module, imported, arrow):
    [contract] = [c for c in LINTER["contracts"] if c.get("containers") == ["footprint"]]
    done = _lint_with_import_inside_a_function(tmp_path, module, imported)
    assert done.returncode != 0 and f"{contract['name']} BROKEN" in " ".join(done.stdout.split()), done.stdout
    assert arrow in done.stdout
