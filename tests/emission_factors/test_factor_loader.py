"""The factor base: every table loads, every number has a unit, a year and a source, and a bad
row is refused with its file, line and a French reason, writing nothing."""

import csv
import shutil

import duckdb
import pytest

from core.errors import InputError
from emission_factors.loader import factor_base_version, load_factor_base
from emission_factors.schema import FACTOR_DIR, read_schema


@pytest.fixture
def factor_copy(tmp_path):
    """A private copy of the factor base folder, to break on purpose."""
    target = tmp_path / "factors"
    shutil.copytree(FACTOR_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def _edit(path, line_number, column, value):
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    header = rows[0]
    rows[line_number - 1][header.index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def _append(path, row):
    with path.open("a", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerow(row)


def _load_error(directory) -> tuple[InputError, duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    with pytest.raises(InputError) as caught:
        load_factor_base(con, directory)
    return caught.value, con


def test_every_table_of_the_schema_loads_with_rows():
    con = duckdb.connect()
    info = load_factor_base(con)
    for name, spec in info.tables.items():
        table = name if spec.is_catalogue else f"factor_{name}"
        assert con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0] > 0, name


def test_every_number_has_a_unit_a_year_a_source_and_a_link():
    con = duckdb.connect()
    info = load_factor_base(con)
    for name, spec in info.tables.items():
        if spec.is_catalogue:
            continue
        bad = con.execute(f"""SELECT count(*) FROM "factor_{name}" WHERE unit = '' OR year IS NULL
            OR source = '' OR NOT (source_url LIKE 'http%')""").fetchall()[0][0]
        assert bad == 0, name


def test_ecologits_zones_and_french_regulatory_factors_are_present():
    con = duckdb.connect()
    load_factor_base(con)
    zones = {row[0] for row in con.execute("SELECT DISTINCT zone FROM electricity_mix").fetchall()}
    assert {"FRA", "WOR", "EEE", "USA", "SWE", "DEU"} <= zones
    assert len(zones) >= 215
    ademe = dict(con.execute("SELECT year, gwp FROM electricity_mix WHERE zone = 'FRA' "
                             "AND dataset = 'ademe_base_empreinte'").fetchall())
    assert ademe == {2021: 0.0569, 2022: 0.0520, 2023: 0.0580, 2024: 0.0519, 2025: 0.0461}


def test_units_are_converted_to_the_canonical_unit():
    con = duckdb.connect()
    load_factor_base(con)
    # RTE publishes grams per kWh; the base stores kgCO2e/kWh.
    value, unit, canonical = con.execute("""SELECT value, unit, canonical_value FROM factor_electricity_mix
        WHERE zone = 'FRA' AND dataset = 'rte_direct' AND year = 2024""").fetchall()[0]
    assert (value, unit) == (21.7, "gCO2e / kWh")
    assert canonical == pytest.approx(0.0217)
    # Energy per 1,000 images becomes energy per image.
    assert con.execute("SELECT energy_per_unit FROM tasks WHERE task = 'generation_image'").fetchall()[0][0] == \
        pytest.approx(1.63985e-3)


def test_version_is_a_short_hash_that_changes_with_any_byte(factor_copy):
    before = factor_base_version(factor_copy)
    assert before == factor_base_version(FACTOR_DIR)
    assert len(before) == 12
    _edit(factor_copy / "equivalences.csv", 2, "note", "modifié")
    assert factor_base_version(factor_copy) != before


def test_wrong_dimension_is_refused_with_file_line_and_column(factor_copy):
    _edit(factor_copy / "gpus.csv", 2, "unit", "kg")  # a TDP in kilograms
    error, _ = _load_error(factor_copy)
    [problem] = error.problems
    assert (problem.file, problem.line, problem.column) == ("gpus.csv", 2, "unit")
    assert "dimension" in problem.message


def test_missing_source_is_refused(factor_copy):
    _edit(factor_copy / "constants.csv", 3, "source", "")
    error, _ = _load_error(factor_copy)
    assert any(p.column == "source" and p.line == 3 and "source" in p.message for p in error.problems)


def test_negative_or_absurd_value_is_refused(factor_copy):
    _edit(factor_copy / "electricity_mixes_france.csv", 2, "value", "-0.05")
    _edit(factor_copy / "hosting_profiles_france.csv", 2, "value", "12")  # a PUE of 12
    error, _ = _load_error(factor_copy)
    columns = {(p.file, p.line, p.column) for p in error.problems}
    assert ("electricity_mixes_france.csv", 2, "value") in columns
    assert ("hosting_profiles_france.csv", 2, "value") in columns
    messages = {p.file: p.message for p in error.problems}
    # A negative grid factor is impossible; a PUE of 12 is possible but not plausible.
    assert "physiquement impossible" in messages["electricity_mixes_france.csv"]
    assert "intervalle plausible" in messages["hosting_profiles_france.csv"]


def test_duplicate_key_is_refused_naming_the_first_line(factor_copy):
    path = factor_copy / "electricity_mixes_france.csv"
    first = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))[1]
    _append(path, first)
    error, _ = _load_error(factor_copy)
    [problem] = error.problems
    assert "clé en double" in problem.message and "ligne 2" in problem.message


def test_unparsable_unit_non_numeric_value_and_bad_year_are_refused(factor_copy):
    _edit(factor_copy / "equivalences.csv", 2, "unit", "kgCO2e par km")
    _edit(factor_copy / "equivalences.csv", 3, "value", "deux")
    _edit(factor_copy / "equivalences.csv", 4, "year", "20xx")
    error, _ = _load_error(factor_copy)
    messages = {(p.line, p.column): p.message for p in error.problems}
    assert messages[(2, "unit")] == "unité illisible"
    assert messages[(3, "value")] == "valeur non numérique"
    assert "année invalide" in messages[(4, "year")]


def test_min_above_max_is_refused(factor_copy):
    path = factor_copy / "hosting_profiles_france.csv"
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    line = next(i for i, r in enumerate(rows, start=1) if r[0] == "salle_serveurs" and r[4] == "pue_min")
    _edit(path, line, "value", "2.5")
    error, _ = _load_error(factor_copy)
    assert any("pue_min est supérieur à pue_max" in p.message for p in error.problems)


def test_a_bad_file_writes_nothing(factor_copy):
    _edit(factor_copy / "tasks.csv", 2, "unit", "kWh / km")
    error, con = _load_error(factor_copy)
    assert "dimension" in str(error)
    assert con.execute("SHOW TABLES").fetchall() == []


def test_unknown_parameter_and_wrong_header_are_refused(factor_copy):
    _edit(factor_copy / "constants.csv", 2, "parameter", "magic_number")
    (factor_copy / "use_cases.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    error, _ = _load_error(factor_copy)
    text = str(error)
    assert "paramètre inconnu" in text and "magic_number" in text
    assert "use_cases.csv, ligne 1" in text and "en-tête inattendu" in text


def test_schema_names_every_csv_file_of_the_folder():
    named = {f for spec in read_schema().values() for f in spec.files}
    assert named == {p.name for p in FACTOR_DIR.glob("*.csv")}


@pytest.mark.parametrize("file_name, line, column, value", [
    ("tasks.csv", 2, "reference_gpu", "H100-SMX"),
    ("providers.csv", 2, "default_hosting", "open_ai"),
    ("electricity_mixes_france.csv", 2, "dataset", "ademe"),
    ("hosting_profiles_france.csv", 2, "zone", "FRX"),
    ("zone_aliases.csv", 2, "zone", "FRX"),
])
def test_a_reference_to_a_missing_row_is_refused(factor_copy, file_name, line, column, value):
    _edit(factor_copy / file_name, line, column, value)
    error, _ = _load_error(factor_copy)
    assert any(p.file == file_name and p.column == column and "référence inconnue" in p.message
               for p in error.problems), str(error)


def test_version_ignores_windows_line_endings(factor_copy):
    path = factor_copy / "equivalences.csv"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert factor_base_version(factor_copy) == factor_base_version(FACTOR_DIR)
