"""The journal (issue 16): every change each table of a real store records appears once, with who
made it, its kind and its action, newest first; the filters keep what they say; a hostile name
stays text in the CSV and the JSON; ``python -m footprint journal`` prints, filters by the days of
the local time zone, and writes the file."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from dashboard.example import example_profile
from footprint.inventory import import_declarations
from footprint.inventory.authority import check_profile
from footprint.inventory.survey import import_survey
from footprint.reporting.journal import HEADERS, journal_csv, journal_records
from footprint.store import Store, journal
from footprint.store.access import Actor

ROOT = Path(__file__).resolve().parents[2]
ALICE = Actor("alice@ville.fr", "Alice Martin", "administrateur")
REFERENT = Actor("rene@ville.fr", "René Référent", "referent")
AGENT = Actor("agathe@ville.fr", "Agathe Agent", "agent", ("Urbanisme",))
FORMULA_NAME = '=HYPERLINK("http://x")'
SCRIPT_NAME = "<script>alert(1)</script>"
FORMULA_FILE = "=SOMME(A1).csv"


def _declaration(identifier: str | None = None, **extra) -> pd.DataFrame:
    return pd.DataFrame([{"id": identifier, "year": 2025, "service": "Urbanisme", "use_case": "redaction_courrier",
                          "kind": "llm", "provider": "mistralai", "model": "mistral-large-latest", "agents": 10,
                          "requests_per_agent_per_day": 5, "origin": "saisie"} | extra])


def _entries(store: Store, **filters) -> pd.DataFrame:
    with store.connect() as con:
        return journal.entries(con, **filters)


# Each write, in order: (who is recorded, kind, record, action) of the rows it adds to the journal
# (a record of None: whatever id the write gave).
@pytest.fixture(scope="module")
def written(tmp_path_factory, factors) -> tuple[Store, list[tuple[str, str, str | None, str]]]:
    store = Store(tmp_path_factory.mktemp("journal") / "journal.duckdb")
    steps: list[tuple[str, str, str | None, str]] = []
    alice = store.acting(ALICE)
    alice.save(_declaration(), action="saisie")
    first = alice.last_ids[0]
    steps.append((ALICE.label, journal.DECLARATION, first, "création (saisie)"))
    store.save(_declaration(first, agents=12), action="saisie", user="bob")
    steps.append(("bob", journal.DECLARATION, first, "modification (saisie)"))
    store.delete([first], user="carole")
    steps.append(("carole", journal.DECLARATION, first, "suppression"))
    store.restore([first], user="dan")
    steps.append(("dan", journal.DECLARATION, first, "restauration"))
    agent = store.acting(AGENT)
    agent.save(_declaration(agents=3), action="saisie")
    pending = agent.last_ids[0]
    steps.append((AGENT.label, journal.DECLARATION, pending, "création (saisie)"))
    store.acting(REFERENT).send_back([pending], "Précisez le nombre d'agents")
    steps.append((REFERENT.label, journal.DECLARATION, pending, "renvoi au déclarant"))
    store.acting(REFERENT).validate([pending])
    steps.append((REFERENT.label, journal.DECLARATION, pending, "validation"))
    lines = (ROOT / "examples" / "declarations.csv").read_text(encoding="utf-8-sig").splitlines()
    data = "\n".join([lines[0]] + [";" + line.split(";", 1)[1] for line in lines[1:]]).encode()  # new ids
    _, counts = import_declarations(data, store, factors, user="eve", name=FORMULA_FILE)
    created = store.last_ids
    assert counts["created"] == len(created) > 1
    steps.append(("eve", journal.IMPORT, None, "import"))
    steps += [("eve", journal.DECLARATION, identifier, "création (import)") for identifier in created]
    store.save_scenario("sobre-local", "Sobre local", 'label = "Sobre local"', user="fanny")
    steps.append(("fanny", journal.SCENARIO, "sobre-local", "création"))
    store.save_scenario("sobre-local", "Sobre local", 'label = "Sobre local, révisé"', user="fanny")
    steps.append(("fanny", journal.SCENARIO, "sobre-local", "modification"))
    store.delete_scenario("sobre-local", user=FORMULA_NAME)
    steps.append((FORMULA_NAME, journal.SCENARIO, "sobre-local", "suppression"))
    value = store.save_factor_override("hosting_profiles", {"hosting": "salle_serveurs"}, "pue_min", 1.4,
                                       "dimensionless", 2024, "mesure de la DSI", user="gaston")
    steps.append(("gaston", journal.FACTOR, value, "ajout"))
    replacing = store.save_factor_override("hosting_profiles", {"hosting": "salle_serveurs"}, "pue_min", 7.5e-05,
                                           "dimensionless", 2025, "relevé 2025", user="gaston")
    steps.append(("gaston", journal.FACTOR, replacing, "modification"))
    store.delete_factor_override(replacing, user="hugo")
    steps.append(("hugo", journal.FACTOR, replacing, "suppression"))
    store.save_product_basis("le_chat_pro", "enveloppe", "les deux chiffres", user="ines")
    steps.append(("ines", journal.PRODUCT_BASIS, "le_chat_pro", "création"))
    store.save_authority_profile(check_profile(example_profile()).values(), user=SCRIPT_NAME)
    steps.append((SCRIPT_NAME, journal.AUTHORITY, None, "création"))
    store.save_register_entry("REG-0001", {"name": "Courriers", "service": "Urbanisme"}, 0, user="jules")
    steps.append(("jules", journal.REGISTER, "REG-0001", "création"))
    store.save_register_entry("REG-0001", {"name": "Courriers", "service": "Urbanisme"}, 1, deleted=True,
                              user="jules")
    steps.append(("jules", journal.REGISTER, "REG-0001", "suppression"))
    store.save_user("nadia@ville.fr", "agent", ("Urbanisme",), name="Nadia", user="karim")
    steps.append(("karim", journal.USER, "nadia@ville.fr", "ajout"))
    store.remove_user("nadia@ville.fr", user="karim")
    steps.append(("karim", journal.USER, "nadia@ville.fr", "retrait"))
    store.save_measurements(pd.DataFrame([{"run_id": "run-1", "name": "ocr", "service": "DSI",
                                           "declaration_id": "IA-00900", "duration_s": 60.0, "energy_kwh": 0.5}]),
                            pd.DataFrame([{"id": "IA-00900", "year": 2025, "service": "DSI", "kind": "measured"}]),
                            user="lea")
    steps += [("lea", journal.MEASUREMENT, "run-1", "ajout"),
              ("lea", journal.DECLARATION, "IA-00900", "création (mesure)")]
    survey = store.acting(REFERENT)
    import_survey(ROOT / "examples" / "enquete-exemple.csv", survey, factors, 2025,
                  headcounts={"Communication": 25, "Urbanisme": 30, "Ressources humaines": 40})
    steps.append((REFERENT.label, journal.SURVEY, None, "import"))
    steps += [(REFERENT.label, journal.DECLARATION, identifier, None) for identifier in survey.last_ids]
    return store, steps


def test_every_change_appears_once_with_who_kind_and_action(written):
    store, steps = written
    found = _entries(store)
    assert list(found.columns) == list(journal.COLUMNS)
    assert len(found) == len(steps)
    for who, kind, record, action in steps:
        rows = found[(found["who"] == who) & (found["kind"] == kind)]
        if record is not None:
            rows = rows[rows["record"] == record]
        if action is not None:
            rows = rows[rows["action"] == action]
        assert len(rows) >= 1, (who, kind, record, action)
    # Every version of every declaration is there, once.
    history = store.history()
    declared = found[found["kind"] == journal.DECLARATION]
    assert sorted(zip(declared["record"], declared["action"], strict=True)) == \
        sorted(zip(history["id"], history["action"], strict=True))
    assert not found.duplicated().any()


def test_the_newest_change_comes_first(written):
    store, steps = written
    found = _entries(store)
    assert found["at"].is_monotonic_decreasing
    # Oldest first, the writers follow one another as the steps wrote (one write's rows together).
    chronological = found["who"].tolist()[::-1]
    writers = [who for index, who in enumerate(chronological) if index == 0 or who != chronological[index - 1]]
    expected = [who for index, (who, *_) in enumerate(steps) if index == 0 or who != steps[index - 1][0]]
    assert writers == expected
    assert found.iloc[0]["kind"] == journal.SURVEY  # the import before the declarations it brought
    assert found.iloc[-1]["who"] == ALICE.label


def test_the_signed_in_person_is_recorded_by_name_and_e_mail(written):
    store, _ = written
    found = _entries(store, who="alice@ville.fr")
    assert set(found["who"]) == {"Alice Martin <alice@ville.fr>"}
    sent_back = _entries(store, who="rené")
    returned = sent_back[sent_back["action"] == "renvoi au déclarant"]
    assert "commentaire : Précisez le nombre d'agents" in returned.iloc[0]["detail"]


def test_details_say_what_changed(written):
    store, _ = written
    found = _entries(store)
    by_kind = {kind: found[found["kind"] == kind] for kind in journal.KINDS}
    assert (by_kind[journal.IMPORT]["detail"].str.startswith(FORMULA_FILE + " — fichier de déclarations")).all()
    assert by_kind[journal.DECLARATION]["detail"].str.contains("Urbanisme · mistralai/mistral-large-latest · "
                                                               "redaction_courrier").any()
    factor = by_kind[journal.FACTOR].set_index("action")["detail"]
    assert factor["ajout"] == ("hosting_profiles · pue_min = 1,4 dimensionless · hosting : salle_serveurs · "
                               "année 2024 — mesure de la DSI")
    assert "pue_min = 0,000075 " in factor["modification"]  # never « 7.5e-05 »
    assert factor["modification"].endswith("(remplace VL-00001)")
    assert "rôle : agent · services : Urbanisme" in by_kind[journal.USER]["detail"].iloc[0]
    assert by_kind[journal.SURVEY]["detail"].iloc[0].startswith("enquete-exemple.csv — réponses à l'enquête")
    assert by_kind[journal.MEASUREMENT]["detail"].iloc[0] == "ocr · DSI · déclaration IA-00900"


def test_each_filter_keeps_what_it_says(written):
    store, _ = written
    everything = _entries(store)
    today = date.today()
    assert len(_entries(store, since=today, until=today)) == len(everything)
    assert _entries(store, until=today - timedelta(days=1)).empty
    assert _entries(store, since=(today + timedelta(days=1)).isoformat()).empty
    for kind in journal.KINDS:
        kept = _entries(store, kind=kind)
        assert len(kept) == (everything["kind"] == kind).sum() > 0, kind
    assert set(_entries(store, who="ALICE")["who"]) == {ALICE.label}
    assert set(_entries(store, text="ia-00900")["record"]) == {"IA-00900", "run-1"}  # the run names it
    assert set(_entries(store, text="somme(a1)")["kind"]) == {journal.IMPORT}
    assert _entries(store, who="gaston", kind=journal.FACTOR, text="relevé")["action"].tolist() == ["modification"]
    newest = _entries(store, limit=3)
    assert newest.equals(everything.head(3))


def test_typed_text_is_a_value_never_sql(written):
    store, _ = written
    before = len(_entries(store))
    for hostile in ("'; DROP TABLE declarations; --", "%%%", "' OR '1'='1"):  # LIKE would match all with « %%% »
        assert _entries(store, who=hostile).empty
        assert _entries(store, text=hostile).empty
    assert len(_entries(store)) == before
    # « _ » is a character, not LIKE's wildcard: only the rows that hold one.
    everything = _entries(store)
    holding = everything["record"].str.contains("_", regex=False) | everything["detail"].str.contains("_", regex=False)
    assert 0 < len(_entries(store, text="_")) == holding.sum() < before
    with pytest.raises(ValueError, match="type inconnu"):
        _entries(store, kind="declaration' OR '1'='1")
    with pytest.raises(ValueError, match="date invalide"):
        _entries(store, since="2025-02-30")


def test_a_hostile_name_stays_text_in_the_csv_and_the_json(written):
    store, _ = written
    found = _entries(store)
    data = journal_csv(found)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == list(HEADERS.values())
    assert len(rows) == len(found) + 1
    cells = [cell for row in rows[1:] for cell in row]
    assert "'" + FORMULA_NAME in cells and FORMULA_NAME not in cells
    assert not any(cell[:1] in "=+-@" for cell in cells if cell)  # no cell a spreadsheet would run
    assert any(cell.startswith("'" + FORMULA_FILE) for cell in cells)
    assert SCRIPT_NAME in cells  # not a formula: kept as it was typed
    assert all(len(row[0]) == 19 and row[0][2] == "/" for row in rows[1:])  # 02/12/2026 10:09:41
    records = journal_records(found)
    back = json.loads(json.dumps(records, ensure_ascii=False))
    assert {FORMULA_NAME, SCRIPT_NAME} <= {record["qui"] for record in back}
    assert set(back[0]) == {"date", "qui", "type", "element", "action", "detail"}
    assert pd.Timestamp(back[0]["date"]).tzinfo is not None


def test_an_empty_store_has_an_empty_journal(tmp_path):
    store = Store(tmp_path / "vide.duckdb")
    found = _entries(store)
    assert found.empty and list(found.columns) == list(journal.COLUMNS)
    assert journal_csv(found).decode("utf-8-sig").splitlines() == [";".join(HEADERS.values())]


# -- the command line --------------------------------------------------------------------------

def _run(*args: str, tz: str | None = None) -> subprocess.CompletedProcess:
    env = os.environ | ({"TZ": tz} if tz else {})
    return subprocess.run([sys.executable, "-m", "footprint", "journal", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=env)


@pytest.fixture
def dated_store(tmp_path) -> Path:
    """Three versions of a scenario, dated on both sides of midnight in Paris (2025-03-31 and
    2025-04-01 there; 22:30 UTC is already 00:30 the next day in summer time)."""
    path = tmp_path / "dates.duckdb"
    store = Store(path)
    for version, who in enumerate(("avant", "veille", FORMULA_NAME), start=1):
        store.save_scenario("local", f"Local {version}", f"label = 'Local {version}'", user=who)
    with store.transaction() as con:
        for version, moment in ((1, "2025-03-31 08:00:00+00"), (2, "2025-03-31 20:00:00+00"),
                                (3, "2025-03-31 22:30:00+00")):
            con.execute("UPDATE scenario_history SET changed_at = ?::TIMESTAMPTZ WHERE version = ?",
                        [moment, version])
    return path


def test_the_cli_filters_by_the_days_of_the_local_time_zone(dated_store):
    done = _run("--db", str(dated_store), "--depuis", "2025-04-01", "--jusqu-au", "2025-04-01", tz="Europe/Paris")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("01/04/2025 00:30:00  =HYPERLINK")
    assert lines[-1] == "1 modification(s)."
    done = _run("--db", str(dated_store), "--jusqu-au", "2025-03-31", "--json", tz="Europe/Paris")
    assert done.returncode == 0, done.stderr
    assert [record["qui"] for record in json.loads(done.stdout)] == ["veille", "avant"]
    done = _run("--db", str(dated_store), "--jusqu-au", "2025-03-31", tz="UTC")
    assert done.stdout.splitlines()[-1] == "3 modification(s)."


def test_the_cli_writes_the_csv_and_reads_a_kind_typed_without_accents(dated_store, tmp_path):
    before = dated_store.read_bytes()
    out = tmp_path / "journal.csv"
    done = _run("--db", str(dated_store), "--type", "Scenario", "--qui", "hyperlink", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "Journal écrit" in done.stdout and "(1 modification(s))" in done.stdout
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert rows[0] == list(HEADERS.values()) and len(rows) == 2
    assert rows[1][1] == "'" + FORMULA_NAME and rows[1][2] == "scénario"
    again = _run("--db", str(dated_store), "--out", str(out))
    assert again.returncode == 2 and "--force" in again.stderr  # never replaced without --force
    assert dated_store.read_bytes() == before  # a reading command: the store is not written


@pytest.mark.parametrize(("args", "flag"), [(("--depuis", "2025-02-30"), "--depuis"),
                                            (("--type", "truc"), "--type"),
                                            (("--depuis", "2025-05-01", "--jusqu-au", "2025-04-01"), "--jusqu-au"),
                                            (("--out", "journal.xlsx"), "--out")])
def test_the_cli_explains_a_bad_filter_in_french(dated_store, args, flag):
    done = _run("--db", str(dated_store), *args)
    assert done.returncode == 2
    assert done.stderr.startswith(f"Erreur : {flag} : ") and "Traceback" not in done.stderr
    assert done.stdout == ""
