"""The collectivité's profile, in a real store: checked field by field with French messages that
name the field, kept with its history (who and when, never overwritten), migrated into a store of
the previous schema, set and shown by the command line, and the footprint put in perspective."""

import json

import duckdb
import pytest

from cli.main import main
from core.errors import InputError
from footprint.inventory.authority import BY_NAME, FIELDS, check_profile, perspective, profile_of
from footprint.store import SCHEMA_VERSION, Store
from footprint.store import register as register_tables
from footprint.store import survey as survey_tables
from footprint.store import users as user_tables
from footprint.store.schema import ADDED_COLUMNS, REVIEW_COLUMNS
from tests.stores import new_store

# A real SIREN (Ville de Paris, 217 500 016: INSEE's Sirene directory); its Luhn sum is right.
PARIS = "217 500 016"
VALUES = {"nom": "Ville de Test", "siren": PARIS, "population": "48 000", "agents": "1 250",
          "beges_tco2e": "12 500,5", "annee_beges": "2024", "objectif_baisse_pct": "40", "annee_objectif": "2030"}


def test_a_profile_is_read_the_french_way():
    profile = check_profile(VALUES)
    assert profile.name == "Ville de Test" and profile.siren == "217500016"
    assert (profile.population, profile.agents, profile.beges_year) == (48000, 1250, 2024)
    assert profile.beges_tco2e == 12500.5
    assert profile.target == (pytest.approx(0.4), 2030)
    assert profile.territory_tco2e is None


@pytest.mark.parametrize(("field", "value", "why"), [
    ("siren", "217500017", "Luhn"),  # one digit changed: the control digit no longer fits
    ("siren", "21750001", "9 chiffres"),
    ("population", "1,5", "entier"),
    ("population", "0", "bornes"),
    ("agents", "beaucoup", "non numérique"),
    ("beges_tco2e", "-3", "bornes"),
    ("objectif_baisse_pct", "100", "bornes"),
    ("annee_beges", "20240", "bornes"),
    ("nom", "Ville\x00", "illisible"),
])
def test_a_wrong_field_is_named_with_its_value_and_why(field, value, why):
    with pytest.raises(InputError) as raised:
        check_profile(VALUES | {field: value})
    problem, = raised.value.problems
    assert problem.column == field and problem.value == value and why in problem.message
    assert BY_NAME[problem.column].label  # the dashboard names the field by its label


def test_a_figure_without_its_year_is_refused_and_every_problem_is_given():
    values = {"nom": "", "population": "x", "territoire_tco2e": "5000"}
    with pytest.raises(InputError) as raised:
        check_profile(values)
    columns = {p.column for p in raised.value.problems}
    assert columns == {"nom", "population", "annee_territoire"}


def test_a_change_keeps_the_other_fields_and_an_empty_one_clears(tmp_path):
    first = check_profile(VALUES)
    second = check_profile({"agents": "1 300", "objectif_baisse_pct": "", "annee_objectif": ""}, first.values())
    assert second.agents == 1300 and second.population == 48000 and second.target is None
    with pytest.raises(InputError):
        check_profile({"champ": "1"}, first.values())


def test_the_store_keeps_every_version_with_who_and_when(tmp_path):
    store = Store(tmp_path / "s.duckdb")
    assert store.authority_profile() is None and store.snapshot().authority is None
    profile = check_profile(VALUES)
    assert store.save_authority_profile(profile.values(), user="climat@ville.fr")
    assert not store.save_authority_profile(profile.values(), user="autre@ville.fr")  # same values: nothing written
    changed = check_profile({"agents": "1 300"}, store.authority_profile())
    revision = store.revision()
    assert store.save_authority_profile(changed.values(), user="drh@ville.fr")
    assert store.revision() != revision
    assert profile_of(store.authority_profile()) == changed
    history = store.authority_history()
    assert list(history["agents"]) == [1250, 1300]
    assert list(history["saved_by"]) == ["climat@ville.fr", "drh@ville.fr"]
    snapshot = store.snapshot().authority
    assert snapshot["agents"] == 1300
    with pytest.raises(TypeError):
        snapshot["agents"] = 1  # shared between sessions: read only


def test_a_store_of_the_previous_schema_gains_the_profile_table(tmp_path):
    path = tmp_path / "old.duckdb"
    Store(path).schema_version()
    con = duckdb.connect(str(path))
    # What migrations 7, 8 and 10 add as tables…
    for table in ("authority_profile", *survey_tables.TABLES, *register_tables.TABLES, *user_tables.TABLES):
        con.execute(f"DROP TABLE {table}")
    for table in ("declarations", "declaration_history"):  # … and what migrations 9 and 10 add as columns
        for column in (*ADDED_COLUMNS[9], *REVIEW_COLUMNS):
            con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    con.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
    con.close()
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION
    assert store.authority_profile() is None
    assert store.save_authority_profile(check_profile(VALUES).values())


def test_perspective_divides_by_the_authority_not_by_the_declarations():
    profile = check_profile(VALUES | {"territoire_tco2e": "500 000", "annee_territoire": "2022"})
    shown = perspective({"low": 100.0, "central": 220.0, "high": 400.0}, profile)
    assert shown.per_agent_kgco2e == pytest.approx((100 / 1250, 220 / 1250, 400 / 1250))
    assert shown.per_inhabitant_kgco2e[1] == pytest.approx(220 / 48000)
    assert shown.beges_share[1] == pytest.approx(220 / 12_500_500)  # tCO2e through Pint
    assert shown.territory_share[1] == pytest.approx(220 / 500_000_000)
    assert perspective({"low": 1, "central": 2, "high": 3}, None).per_agent_kgco2e is None
    alone = perspective({"low": 1, "central": 2, "high": 3}, check_profile({"nom": "Sans chiffres"}))
    assert alone.beges_share is None and alone.per_agent_kgco2e is None


def _cli(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_line_sets_and_shows_the_profile(tmp_path, capsys):
    db = new_store(tmp_path / "c.duckdb")
    code, out, err = _cli(capsys, "collectivite", "show", "--db", db)
    assert code == 0 and "non renseigné" in out
    code, out, err = _cli(capsys, "collectivite", "set", "--db", db, "--nom", "Ville de Test", "--siren", PARIS,
                          "--population", "48 000", "--agents", "1250", "--beges-tco2e", "12 500",
                          "--annee-beges", "2024")
    assert code == 0, err
    assert "Profil enregistré" in out and "48\u202f000" in out
    code, out, err = _cli(capsys, "collectivite", "set", "--db", db, "--population", "1,5", "--siren", "12")
    assert code == 2 and "--population" in err and "--siren" in err and "Traceback" not in err
    code, out, _ = _cli(capsys, "collectivite", "show", "--db", db, "--json")
    shown = json.loads(out)
    assert set(shown) == {f.name for f in FIELDS}
    assert shown["population"] == 48000 and shown["agents"] == 1250  # the refused change wrote nothing
