"""Physical bounds of the factor base: what the nature of a quantity imposes (a kWh of electricity
needs at least 3.6 MJ of primary energy, a PUE is at least 1, a share lies in [0, 1]) is declared
in schema.toml, a row that breaks it is refused with its file, line, column, value and the bound,
and the impossible figures of EcoLogits are replaced by sourced values, EcoLogits' own staying
reachable for those who ask for its dataset by name."""

import csv
import shutil

import duckdb
import pandas as pd
import pytest

from core.errors import InputError
from emission_factors.loader import load_factor_base
from emission_factors.schema import FACTOR_DIR, read_schema
from footprint.engine import compute_impacts


@pytest.fixture
def factor_copy(tmp_path):
    target = tmp_path / "factors"
    shutil.copytree(FACTOR_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def _rows(path):
    return list(csv.reader(path.read_text(encoding="utf-8").splitlines()))


def _set(path, match, column, value) -> int:
    """Set ``column`` of the first row whose cells start with ``match``; returns its line number."""
    rows = _rows(path)
    index = next(i for i, row in enumerate(rows) if row[:len(match)] == list(match))
    rows[index][rows[0].index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return index + 1


def _problems(directory):
    with pytest.raises(InputError) as caught:
        load_factor_base(duckdb.connect(), directory)
    return caught.value.problems


def test_every_parameter_declares_its_physical_bounds_and_plausible_lies_inside():
    for table in read_schema().values():
        for parameter in table.parameters.values():
            assert parameter.physical_kind, (table.name, parameter.name)
            assert parameter.physical_minimum <= parameter.minimum <= parameter.maximum <= parameter.physical_maximum
    tables = read_schema()
    assert tables["electricity_mix"].parameters["pe"].physical_minimum == pytest.approx(3.6)
    assert tables["hosting_profiles"].parameters["pue_min"].physical_minimum == 1
    assert (tables["electricity_mix"].parameters["gwp"].physical_minimum,
            tables["electricity_mix"].parameters["gwp"].physical_maximum) == (0, 1.5)
    share = tables["constants"].parameters["gpu_default_utilization"]
    assert (share.physical_minimum, share.physical_maximum) == (0, 1)


def test_a_primary_energy_below_a_kwh_is_refused_naming_file_line_column_value_and_bound(factor_copy):
    path = factor_copy / "electricity_mixes_ecologits.csv"
    line = _set(path, ["WOR", "ecologits", "2025", "pe"], "value", "2.5871")  # EcoLogits' own figure
    [problem] = _problems(factor_copy)
    assert (problem.file, problem.line, problem.column, problem.value) == (
        "electricity_mixes_ecologits.csv", line, "value", "2.5871")
    assert "physiquement impossible" in problem.message and "minimum physique 3.6 MJ / kWh" in problem.message
    assert "3,6 MJ" in problem.message  # the reason, in French
    assert f"electricity_mixes_ecologits.csv, ligne {line}, colonne « value »" in str(problem)


def test_the_bound_is_checked_in_the_canonical_unit(factor_copy):
    # 0.9 kWh of primary energy per kWh: 3.24 MJ/kWh once converted, below the bound.
    path = factor_copy / "electricity_mixes_ecologits.csv"
    _set(path, ["FRA", "ecologits", "2025", "pe"], "value", "0.9")
    _set(path, ["FRA", "ecologits", "2025", "pe"], "unit", "kWh / kWh")
    [problem] = _problems(factor_copy)
    assert "3.24 MJ / kWh" in problem.message and "physiquement impossible" in problem.message


@pytest.mark.parametrize("file_name, match, value, fragment", [
    ("hosting_profiles_france.csv", ["poste_de_travail", None], "0.9", "minimum physique 1"),       # PUE < 1
    ("electricity_mixes_france.csv", ["FRA", "ademe_base_empreinte", "2025"], "1.6", "maximum physique 1.5"),
    ("constants.csv", ["gpu_default_utilization"], "1.2", "maximum physique 1"),                   # a share
    ("gpus.csv", ["T4"], "-70", "minimum physique 0"),                                              # a power
    ("grid_trends.csv", ["FRA"], "-1.5", "minimum physique -1"),                                    # -150 %/year
    ("constants.csv", ["working_days_per_year"], "400", "maximum physique 366"),
])
def test_each_kind_of_physical_bound_is_enforced(factor_copy, file_name, match, value, fragment):
    path = factor_copy / file_name
    rows = _rows(path)
    header = rows[0]
    wanted = [(i, c) for i, c in enumerate(match) if c is not None]
    if file_name == "constants.csv":
        index = next(i for i, r in enumerate(rows) if r[header.index("parameter")] == match[0])
    elif file_name == "hosting_profiles_france.csv":
        index = next(i for i, r in enumerate(rows) if r[0] == match[0] and r[header.index("parameter")] == "pue_min")
    else:
        index = next(i for i, r in enumerate(rows) if all(r[j] == c for j, c in wanted))
    _set(path, rows[index][:len(header) - 4], "value", value)
    problems = _problems(factor_copy)
    assert any(p.file == file_name and p.line == index + 1 and p.column == "value" and p.value == value
               and "physiquement impossible" in p.message and fragment in p.message for p in problems), problems


def test_more_active_parameters_than_parameters_is_refused(factor_copy):
    path = factor_copy / "models_self_hosted.csv"
    rows = _rows(path)
    header = rows[0]
    line = next(i for i, r in enumerate(rows, start=1) if r[header.index("parameter")] == "active_parameters_max")
    _set(path, rows[line - 1][:len(header) - 4], "value", "100000")
    problems = _problems(factor_copy)
    assert any(p.line == line and "active_parameters_max" in p.message and "dépasse total_parameters_max"
               in p.message for p in problems), problems


def test_a_schema_whose_plausible_range_leaves_the_physical_one_is_refused(factor_copy):
    schema = factor_copy / "schema.toml"
    text = schema.read_text(encoding="utf-8")
    schema.write_text(text.replace('pe = { unit = "MJ / kWh", min = 3.6, max = 40.0, required = false',
                                   'pe = { unit = "MJ / kWh", min = 0.0, max = 40.0, required = false'), "utf-8")
    with pytest.raises(InputError) as caught:
        read_schema(factor_copy)
    assert any(p.file == "schema.toml" and "hors des bornes physiques" in p.message for p in caught.value.problems)


def test_a_parameter_without_physical_bounds_is_refused(factor_copy):
    schema = factor_copy / "schema.toml"
    text = schema.read_text(encoding="utf-8")
    declared = ', label = "Mémoire du GPU", physical = "non_negative"'
    schema.write_text(text.replace(declared, ', label = "Mémoire du GPU"'), "utf-8")
    with pytest.raises(InputError) as caught:
        read_schema(factor_copy)
    [problem] = caught.value.problems
    assert problem.column == "tables.gpus.parameters.memory" and "borne physique non déclarée" in problem.message


def test_no_zone_of_the_default_base_needs_less_primary_energy_than_a_kwh(factors):
    bound = read_schema()["electricity_mix"].parameters["pe"].physical_minimum
    assert factors.con.execute("SELECT count(*) FROM electricity_mix WHERE pe < ?", [bound]).fetchall()[0][0] == 0
    # Nor any factor the engine may pick, in the default order or from any dataset asked for.
    assert factors.con.execute("SELECT count(*) FROM mix_resolved WHERE pe < ?", [bound]).fetchall()[0][0] == 0
    assert factors.mix("WOR")["pe"].value >= bound
    for zone in factors.zones():
        assert factors.mix(zone)["pe"].value >= bound, zone


def test_the_world_mix_takes_the_sourced_replacement_with_a_note(factors):
    [(value, unit, source, url, note)] = factors.con.execute("""SELECT value, unit, source, source_url, note
        FROM factor_electricity_mix WHERE zone = 'WOR' AND dataset = 'ecologits' AND parameter = 'pe'""").fetchall()
    replacement = factors.con.execute("""SELECT canonical_value, source, source_url FROM
        factor_electricity_mix_replacements WHERE "case" = 'mix_mondial'""").fetchall()[0]
    assert (value, unit, source, url) == (pytest.approx(replacement[0]), "MJ / kWh", replacement[1], replacement[2])
    assert "2023/807" in source and url.startswith("https://eur-lex.europa.eu/")
    assert "remplacée" in note and "2,5871" in note and "pe_published" in note
    # The 77 zones without data of their own take the world value too: 78 rows in all.
    fallback = factors.con.execute("""SELECT count(*), min(value), max(value) FROM factor_electricity_mix
        WHERE dataset = 'ecologits' AND parameter = 'pe' AND (note LIKE '%valeur mondiale par défaut%'
        OR zone = 'WOR')""").fetchall()[0]
    assert fallback == (78, pytest.approx(replacement[0]), pytest.approx(replacement[0]))


def test_asking_for_ecologits_by_name_gives_its_own_figure_with_a_warning(factors):
    from ecologits.electricity_mix_repository import electricity_mixes

    published = electricity_mixes.find_electricity_mix("WOR").pe
    assert published < 3.6  # the figure this test is about
    rows = pd.DataFrame([{"kind": "measured", "energy_kwh": 100.0, "zone": "WOR", "pue": 1.0, "wue": 0.0,
                          "mix_dataset": "ecologits"}])
    asked = compute_impacts(rows, factors)
    assert asked["pe_mj_central"].iloc[0] == pytest.approx(100 * published)
    [warning] = [w for w in asked.attrs["warnings"] if "énergie primaire" in w]
    assert "WOR" in warning and "ecologits" in warning and "physiquement impossible" in warning
    assert "2,5871" in warning
    default = compute_impacts(rows.drop(columns="mix_dataset"), factors)
    assert default["pe_mj_central"].iloc[0] == pytest.approx(100 * factors.mix("WOR")["pe"].value)
    assert default["pe_mj_central"].iloc[0] > 100 * 3.6
    assert not [w for w in default.attrs["warnings"] if "énergie primaire" in w]
    # Other indicators and zones whose figures are possible are those of EcoLogits, with no warning.
    france = compute_impacts(rows.assign(zone="FRA"), factors)
    assert france["pe_mj_central"].iloc[0] == pytest.approx(100 * electricity_mixes.find_electricity_mix("FRA").pe)
    assert not [w for w in france.attrs["warnings"] if "énergie primaire" in w]


def test_a_local_value_below_a_physical_bound_is_refused(factors):
    key = {"zone": "WOR", "dataset": "ecologits", "year": 2025}
    [problem] = factors.check_override("electricity_mix", key, "pe", 2.5871, "MJ / kWh")
    assert problem.column == "valeur" and "3,6" in problem.message
    assert factors.check_override("electricity_mix", key, "pe", 7.0, "MJ / kWh") == []
    [problem] = factors.check_override("hosting_profiles", {"hosting": "salle_serveurs"}, "pue_min", 0.9,
                                       "dimensionless", 2024)
    assert problem.column == "valeur"


@pytest.mark.parametrize("file_name, column", [
    ("reporting_categories.csv", "beges_section"),
    ("reporting_categories.csv", "pcaet_source"),
    ("hosting_ownership.csv", "source"),
    ("electricity_mix_datasets.csv", "short_label"),
])
def test_a_classification_row_without_its_source_is_refused(factor_copy, file_name, column):
    path = factor_copy / file_name
    rows = _rows(path)
    rows[1][rows[0].index(column)] = ""
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    problems = _problems(factor_copy)
    assert any(p.file == file_name and p.line == 2 and p.column == column and "obligatoire" in p.message
               for p in problems), problems


def test_a_classification_link_must_be_a_web_link(factor_copy):
    path = factor_copy / "reporting_categories.csv"
    rows = _rows(path)
    rows[2][rows[0].index("pcaet_source_url")] = "javascript:alert(1)"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    [problem] = _problems(factor_copy)
    assert (problem.file, problem.line, problem.column) == ("reporting_categories.csv", 3, "pcaet_source_url")


def test_every_classification_row_cites_the_beges_method_and_the_pcaet_arrete(factors):
    rows = factors.con.execute("SELECT beges_source, beges_section, pcaet_source, pcaet_section "
                               "FROM reporting_categories").fetchall()
    assert rows
    for beges, section, pcaet, pcaet_section in rows:
        assert "version 5" in beges and section.startswith("§ 4.")
        assert "4 août 2016" in pcaet and pcaet_section
    sections = factors.con.execute("SELECT ownership, section FROM hosting_ownership").fetchall()
    assert sections and all(section.startswith("§ 4.") for _, section in sections)
