"""Where each product of the catalogue is processed and under which law its provider falls
(emission_factors/jurisdictions.csv): every product has its row, what a row says is sourced, and
the loader refuses a row whose region is not one of the allowed values, whose source or link is
missing, or which is empty without saying why, naming the file, line and column in French and
writing nothing."""

import csv
import shutil

import duckdb
import pytest

from core.errors import InputError
from emission_factors.checks import HOSTING_REGIONS
from emission_factors.loader import load_factor_base
from emission_factors.schema import FACTOR_DIR

FILE = "jurisdictions.csv"


@pytest.fixture
def factor_copy(tmp_path):
    """A private copy of the factor base folder, to break on purpose."""
    target = tmp_path / "factors"
    shutil.copytree(FACTOR_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def _rows(path) -> list[list[str]]:
    return list(csv.reader(path.read_text(encoding="utf-8").splitlines()))


def _set(path, product: str, changes: dict) -> int:
    """Change the cells of ``product``'s row; returns its line number."""
    rows = _rows(path)
    index = next(i for i, row in enumerate(rows) if row[0] == product)
    for column, value in changes.items():
        rows[index][rows[0].index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return index + 1


def _problems(directory) -> tuple[list, duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    with pytest.raises(InputError) as caught:
        load_factor_base(con, directory)
    return caught.value.problems, con


def test_every_product_of_the_catalogue_has_its_row(factors):
    products = {p for (p,) in factors.con.execute("SELECT DISTINCT product FROM products").fetchall()}
    rows = {p for (p,) in factors.con.execute("SELECT product FROM jurisdictions").fetchall()}
    assert products == rows


def test_what_a_row_says_is_sourced_and_a_us_provider_falls_under_us_law(factors):
    for product in {p for (p,) in factors.con.execute("SELECT product FROM jurisdictions").fetchall()}:
        row = factors.jurisdiction(product)
        assert row["hosting_region"] in (*HOSTING_REGIONS, None), product
        if row["hosting_region"] or row["hosting_location"]:
            assert row["source"] and row["source_url"].startswith("https://") and 1990 <= int(row["year"]) <= 2100
        if row["applicable_law"]:
            assert row["law_source"] and row["law_source_url"].startswith("https://"), product
        if not (row["applicable_law"] or row["hosting_region"] or row["hosting_location"]):
            assert row["note"].startswith("non renseigné"), product
        if row["provider_country"] == "États-Unis":
            assert row["applicable_law"] == "droit des États-Unis (CLOUD Act)", product
    assert factors.jurisdiction("le_chat_pro")["applicable_law"] == "droit français"
    assert factors.jurisdiction("un_produit_inconnu") is None


@pytest.mark.parametrize("changes, column, message", [
    ({"hosting_region": "Europe"}, "hosting_region",
     "région d'hébergement inconnue (valeurs possibles : UE, hors UE, UE (option))"),
    ({"source": ""}, "source", "source manquante : une région ou une localisation d'hébergement cite sa source"),
    ({"source_url": "javascript:alert(1)"}, "source_url", "lien vers la source manquant ou invalide"),
    ({"year": "26"}, "year", "année de la source invalide"),
    ({"law_source": ""}, "law_source", "source manquante : le droit applicable cite sa source"),
    ({"law_source_url": ""}, "law_source_url", "lien vers la source du droit applicable manquant"),
])
def test_a_bad_row_is_refused_in_french_naming_its_line_and_column(factor_copy, changes, column, message):
    line = _set(factor_copy / FILE, "le_chat_pro", changes)
    problems, _ = _problems(factor_copy)
    assert [(p.file, p.line, p.column) for p in problems] == [(FILE, line, column)], problems
    assert message in problems[0].message


def test_an_empty_row_must_say_why_and_a_product_must_exist(factor_copy):
    empty = _set(factor_copy / FILE, "generateur_images", {"note": ""})
    unknown = _set(factor_copy / FILE, "deepl", {"product": "deepl_pro"})
    problems, con = _problems(factor_copy)
    found = {(p.line, p.column): p.message for p in problems if p.file == FILE}
    assert "la note dit pourquoi (« non renseigné : … »)" in found[(empty, "note")]
    assert "référence inconnue : « deepl_pro » n'existe pas dans la table products" in found[(unknown, "product")]
    assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchall() == [(0,)]  # nothing written
