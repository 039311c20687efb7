"""The architecture as a test: the import contract of pyproject.toml ([tool.importlinter]) holds
on the code, and it would catch an upward import, one written inside a function included."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("dashboard", "cli", "scenarios", "footprint", "emission_factors")
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"]


def _lint(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*LINT, "--no-cache"], cwd=folder, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"})


def test_every_import_points_down_the_layers():
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_an_upward_import_inside_a_function_breaks_the_contract(tmp_path):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.csv", "__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    loader = tmp_path / "emission_factors" / "loader.py"
    loader.write_text(loader.read_text() + "\n\ndef _upwards():\n    from footprint.store import Store\n\n"
                      "    return Store\n")
    done = _lint(tmp_path)
    assert done.returncode != 0 and "1 broken" in done.stdout
    assert "emission_factors.loader -> footprint.store" in done.stdout
