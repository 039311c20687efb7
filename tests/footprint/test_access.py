"""Roles are checked in the library (issue 16): every write path of ``Store`` is called as each
role, over a real DuckDB file. What a role may do succeeds and records the person's name and
e-mail; what it may not raises ``AccessDenied`` (French) and leaves the store as it was. A new
write method of ``Store`` without a line here fails ``test_every_write_path_is_in_the_table``.
"""

from __future__ import annotations

import inspect
import shutil
from pathlib import Path

import pandas as pd
import pytest

from core.errors import InputError
from dashboard.example import example_profile
from footprint.factors import save_override
from footprint.inventory import import_declarations
from footprint.inventory.authority import check_profile
from footprint.inventory.survey import import_survey
from footprint.inventory.users import add_user, remove_user
from footprint.measurement.emissions_file import import_emissions
from footprint.store import Store
from footprint.store.access import PERMISSIONS, ROLES, AccessDenied, Actor

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = {role: Actor(f"{role}@ville.fr", f"Personne {role}", role, ("Urbanisme",) if role == "agent" else ())
          for role in ROLES}


def _declaration(service: str, identifier: str | None = None, agents: float = 10) -> pd.DataFrame:
    return pd.DataFrame([{"id": identifier, "year": 2025, "service": service, "use_case": "redaction_courrier",
                          "kind": "llm", "provider": "mistralai", "model": "mistral-large-latest", "agents": agents,
                          "requests_per_agent_per_day": 5, "origin": "saisie"}])


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A store with one declaration of each of two services, a scenario, a factor value of a
    hosting and an administrator, written by the machine's user (single-user mode)."""
    path = tmp_path_factory.mktemp("access") / "template.duckdb"
    store = Store(path)
    store.save(pd.concat([_declaration("Urbanisme"), _declaration("Finances"), _declaration("Urbanisme", agents=2)],
                         ignore_index=True))
    store.delete(store.last_ids[-1:])
    store.acting(PEOPLE["agent"]).save(_declaration("Urbanisme", agents=1))  # waits for validation
    store.save_scenario("mon-scenario", "Mon scénario", 'label = "Mon scénario"')
    store.save_factor_override("hosting_profiles", {"hosting": "salle_serveurs"}, "pue_min", 1.4,
                               "dimensionless", 2024, "mesure de la DSI")
    store.save_user("chef@ville.fr", "administrateur")
    store.save_user("lecteur@ville.fr", "lecteur")
    return path


# Each write path: the permission it needs (None: decided by the services, see below), and the call.
def _ids(store: Store, service: str, deleted: bool = False) -> list[str]:
    found = store.declarations(include_deleted=True)
    return found.loc[(found["service"] == service) & (found["deleted"] == deleted), "id"].tolist()


def _override_id(store: Store) -> str:
    return store.factor_overrides()["id"].iloc[0]


WRITES = {
    "save (own service)": ("service_declarations", lambda s, f: s.save(_declaration("Urbanisme", agents=3))),
    "save (another service)": ("declarations", lambda s, f: s.save(_declaration("Finances", agents=3))),
    "save (edit another service's row)": ("declarations", lambda s, f: s.save(
        _declaration("Urbanisme", _ids(s, "Finances")[0], agents=7))),
    "save (import of a file)": ("imports", lambda s, f: import_declarations(ROOT / "examples" / "declarations.csv",
                                                                            s, f)),
    "delete (own service)": ("service_declarations", lambda s, f: s.delete(_ids(s, "Urbanisme"))),
    "delete (another service)": ("declarations", lambda s, f: s.delete(_ids(s, "Finances"))),
    "restore": ("service_declarations", lambda s, f: s.restore(_ids(s, "Urbanisme", deleted=True))),
    "validate": ("validation", lambda s, f: s.validate(_ids(s, "Urbanisme"))),
    "send_back": ("validation", lambda s, f: s.send_back(_ids(s, "Urbanisme"), "préciser le volume")),
    "save_scenario": ("scenarios", lambda s, f: s.save_scenario("autre", "Autre", 'label = "Autre"')),
    "delete_scenario": ("scenarios", lambda s, f: s.delete_scenario("mon-scenario")),
    "save_product_basis": ("products", lambda s, f: s.save_product_basis("chatgpt_plus", "declaration", "rapport")),
    "save_authority_profile": ("authority", lambda s, f: s.save_authority_profile(
        check_profile(example_profile()).values())),
    "save_register_entry": ("register", lambda s, f: s.save_register_entry("REG-test", {"nom": "Essai"}, 0)),
    "save_survey": ("survey", lambda s, f: import_survey(ROOT / "examples" / "enquete-exemple.csv", s, f, 2025,
                                                         headcounts={"Communication": 25, "Urbanisme": 30,
                                                                     "Ressources humaines": 40})),
    "save_factor_override (hosting)": ("hosting_factors", lambda s, f: save_override(
        s, f, "hosting_profiles", {"hosting": "salle_serveurs"}, "pue_max", 1.9, "dimensionless", 2024,
        "mesure de la DSI")),
    "save_factor_overrides (another table)": ("factors", lambda s, f: s.save_factor_overrides([{
        "table": "gpus", "key": {"gpu": "nvidia_l4"}, "parameter": "power_w", "value": 70.0, "unit": "W",
        "year": 2024, "justification": "fiche du constructeur"}])),
    "delete_factor_override (hosting)": ("hosting_factors", lambda s, f: s.delete_factor_override(_override_id(s))),
    "save_measurements": ("measurements", lambda s, f: import_emissions(ROOT / "examples" / "emissions-exemple.csv",
                                                                        s, f, service="DSI")),
    "save_user": ("users", lambda s, f: add_user(s, "nouveau@ville.fr", "lecteur")),
    "remove_user": ("users", lambda s, f: remove_user(s, "lecteur@ville.fr")),
    "transaction": ("never", lambda s, f: s.transaction().__enter__()),
}
# Which Store method each line above ends in (the check that no write path is missing).
METHODS = {"save", "delete", "restore", "validate", "send_back", "save_scenario", "delete_scenario",
           "save_product_basis", "save_authority_profile", "save_register_entry", "save_survey",
           "save_factor_override", "save_factor_overrides", "delete_factor_override", "save_measurements",
           "save_user", "remove_user", "transaction"}


def test_every_write_path_is_in_the_table():
    # A write is a call to ``_write``/``_set_deleted``, directly or through another method
    # (``validate`` goes through ``_review``): follow the calls until no new writer appears.
    sources = {name: inspect.getsource(member)
               for name, member in inspect.getmembers(Store, inspect.isfunction)}
    writers = {"_write", "_set_deleted"}
    while True:
        found = {name for name, source in sources.items()
                 if name not in writers and any(f"self.{w}(" in source for w in writers)}
        if not found:
            break
        writers |= found
    public = {name for name in writers if not name.startswith("_")}
    assert public | {"transaction"} == METHODS


def _allowed(role: str, permission: str) -> bool:
    if permission == "never":
        return False
    granted = PERMISSIONS[role]
    # Whoever may write every service's declarations may write its own; a hosting's factor values
    # are within « factors ».
    return (permission in granted or (permission == "service_declarations" and "declarations" in granted)
            or (permission == "hosting_factors" and "factors" in granted))


@pytest.mark.parametrize("write", list(WRITES))
def test_each_write_path_as_each_role(write, template, factors, tmp_path):
    permission, call = WRITES[write]
    for role, person in PEOPLE.items():
        path = tmp_path / f"{role}.duckdb"
        shutil.copyfile(template, path)
        store = Store(path).acting(person)
        before = store.revision()
        if _allowed(role, permission):
            call(store, factors)
            assert store.revision() != before, f"{write} par {role} n'a rien écrit"
            overrides = store.factor_overrides(include_deleted=True)
            recorded = set(pd.concat([
                store.history()["changed_by"], store.scenario_history()["changed_by"],
                store.user_history()["changed_by"], store.register_history()["saved_by"],
                overrides["created_by"], overrides["deleted_by"], store.imports()["imported_by"],
                store.measurements()["recorded_by"], store.product_bases(include_history=True)["saved_by"],
                store.authority_history()["saved_by"]]))
            assert person.label in recorded, (write, role)
        else:
            with pytest.raises(AccessDenied) as refused:
                call(store, factors)
            message = str(refused.value)
            assert "rien n'a été enregistré" in message and "Traceback" not in message
            assert store.revision() == before, f"{write} refusé à {role} a pourtant écrit"


def test_a_signed_in_person_is_recorded_by_name_and_e_mail_not_the_machine_user(template, tmp_path):
    path = tmp_path / "who.duckdb"
    shutil.copyfile(template, path)
    agent = Store(path).acting(PEOPLE["agent"])
    agent.save(_declaration("Urbanisme", agents=4), user="root")  # a user name given is not believed
    latest = agent.history().iloc[-1]
    assert latest["changed_by"] == "Personne agent <agent@ville.fr>"
    assert Store(path).actor.local  # the plain handle stays the machine's user


def test_an_agent_s_declarations_wait_for_the_referent_who_validates_or_sends_them_back(template, tmp_path):
    path = tmp_path / "review.duckdb"
    shutil.copyfile(template, path)
    agent, referent = Store(path).acting(PEOPLE["agent"]), Store(path).acting(PEOPLE["referent"])
    agent.save(_declaration("Urbanisme", agents=4))
    new = agent.last_ids[0]
    assert agent.declarations().set_index("id").at[new, "review"] == "à valider"
    assert referent.send_back([new], "préciser le nombre d'agents") == 1
    row = agent.declarations().set_index("id").loc[new]
    assert (row["review"], row["review_comment"]) == ("renvoyée", "préciser le nombre d'agents")
    agent.save(_declaration("Urbanisme", new, agents=6), expected_versions={new: int(row["version"])})
    assert agent.declarations().set_index("id").at[new, "review"] == "à valider"
    assert referent.validate([new]) == 1 and referent.validate([new]) == 0
    assert agent.declarations().set_index("id").at[new, "review"] == "validée"
    actions = agent.history(new)[["action", "changed_by", "review"]].values.tolist()
    assert [a[0] for a in actions] == ["création (saisie)", "renvoi au déclarant", "modification (saisie)",
                                       "validation"]
    assert {a[1] for a in actions} == {PEOPLE["agent"].label, PEOPLE["referent"].label}
    # What the single-user mode wrote (and the référent's own rows) is validated.
    others = Store(path).declarations()
    assert set(others.loc[others["created_by"] != PEOPLE["agent"].label, "review"]) == {"validée"}


def test_an_agent_cannot_move_a_declaration_of_another_service_into_his_own(template, tmp_path):
    path = tmp_path / "move.duckdb"
    shutil.copyfile(template, path)
    agent = Store(path).acting(PEOPLE["agent"])
    other = _ids(agent, "Finances")[0]
    with pytest.raises(AccessDenied, match="Finances"):
        agent.save(_declaration("Urbanisme", other))
    assert Store(path).declarations().set_index("id").at[other, "service"] == "Finances"
    # The service is compared without case or accents: « urbanisme » is his own.
    agent.save(_declaration("urbanisme", agents=2))


def test_the_users_are_checked_and_the_last_administrator_stays(tmp_path):
    store = Store(tmp_path / "users.duckdb")
    with pytest.raises(InputError) as wrong:
        add_user(store, "pas une adresse", "chef", ["Urbanisme"])
    assert {p.column for p in wrong.value.problems} == {"email", "role"}
    with pytest.raises(InputError, match="au moins un service"):
        add_user(store, "a@ville.fr", "agent")
    add_user(store, " Chef@Ville.FR ", "Administrateur")
    add_user(store, "anne@ville.fr", "agent", ["Urbanisme", " urbanisme ", "Voirie"], "Anne")
    assert store.role_of("ANNE@ville.fr") == Actor("anne@ville.fr", "Anne", "agent", ("Urbanisme", "Voirie"))
    with pytest.raises(InputError, match="dernier administrateur"):
        store.remove_user("chef@ville.fr")
    with pytest.raises(InputError, match="dernier administrateur"):
        add_user(store, "chef@ville.fr", "lecteur")
    add_user(store, "dsi@ville.fr", "DSI")
    assert store.role_of("dsi@ville.fr").role == "dsi" and store.role_of("inconnu@ville.fr") is None
    assert remove_user(store, "anne@ville.fr") and not remove_user(store, "anne@ville.fr")
    assert store.role_of("anne@ville.fr") is None
    assert store.user_history("anne@ville.fr")["action"].tolist() == ["ajout", "retrait"]


def test_an_older_store_is_kept_beside_itself_before_its_upgrade(template, tmp_path):
    import duckdb

    path = tmp_path / "old.duckdb"
    shutil.copyfile(template, path)
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE users")
    for table in ("declarations", "declaration_history"):
        con.execute(f"ALTER TABLE {table} DROP COLUMN review")
        con.execute(f"ALTER TABLE {table} DROP COLUMN review_comment")
    con.execute("UPDATE meta SET value = '9' WHERE key = 'schema_version'")
    con.close()
    store = Store(path)
    assert store.schema_version() == 10
    kept = path.with_name("old.avant-migration-v9.duckdb")
    with duckdb.connect(str(kept), read_only=True) as con:  # as it was: schema 9, no users table
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "9"
        assert "users" not in {row[0] for row in con.execute("SHOW TABLES").fetchall()}
    assert set(store.declarations()["review"]) == {"validée"}
    shutil.copyfile(kept, tmp_path / "again.duckdb")
    assert len(Store(tmp_path / "again.duckdb").declarations()) == len(store.declarations())


def test_the_command_line_creates_the_first_administrator_and_lists_the_roles(tmp_path):
    import json
    import subprocess
    import sys

    database = str(tmp_path / "cli.duckdb")

    def footprint(*args):
        return subprocess.run([sys.executable, "-m", "footprint", "users", *args, "--db", database], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)

    first = footprint("add", "Chef@Ville.fr", "--role", "administrateur", "--create")
    assert first.returncode == 0 and "chef@ville.fr ajouté : administrateur" in first.stdout
    agent = footprint("add", "anne@ville.fr", "--role", "agent", "--service", "Urbanisme", "--nom", "Anne Martin")
    assert agent.returncode == 0, agent.stderr
    wrong = footprint("add", "anne@ville.fr", "--role", "chef")
    assert wrong.returncode == 2 and "--role : rôle inconnu « chef »" in wrong.stderr
    assert "Traceback" not in wrong.stderr
    listed = json.loads(footprint("list", "--json").stdout)
    assert [(p["email"], p["role"], p["services"], p["nom"]) for p in listed] == [
        ("anne@ville.fr", "agent", ["Urbanisme"], "Anne Martin"), ("chef@ville.fr", "administrateur", [], None)]
    last = footprint("remove", "chef@ville.fr")
    assert last.returncode == 2 and "dernier administrateur" in last.stderr
    assert footprint("remove", "anne@ville.fr").returncode == 0
    assert "1 utilisateur(s)." in footprint("list").stdout
