"""Fixtures of the dashboard tests: a real store file per test (empty, or with the example
inventory loaded the way the first start loads it), and the app driven by Streamlit's AppTest."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import example
from footprint.store import Store

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGES = ("synthese", "declarer", "usages", "mesures", "scenarios", "recommandations", "diagnostic", "registre",
         "collectivite", "facteurs", "export", "methode", "journal", "validation")


@pytest.fixture
def empty_store(tmp_path, monkeypatch) -> Store:
    path = tmp_path / "footprint.duckdb"
    monkeypatch.setenv("FOOTPRINT_DB", str(path))
    store = Store(path)
    store.schema_version()  # the file exists: the app does not load the example
    return store


@pytest.fixture
def example_store(empty_store, factors) -> Store:
    example.create_example(empty_store, factors)
    return empty_store


def open_app(page: str = "synthese") -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    if page != "synthese":
        app.switch_page(f"app_pages/{page}.py")
        app.run()
    return app


def no_failure(app: AppTest) -> None:
    """Neither a traceback nor the French message of an unexpected error."""
    assert not app.exception, [e.value for e in app.exception]
    assert not [e.value for e in app.error if "Erreur inattendue" in e.value]
