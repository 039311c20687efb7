"""The shared mode as each person meets it, driven by Streamlit's AppTest over a real store file:
Streamlit's secrets hold an ``[auth]`` section, and ``AppTest.user`` is who the identity provider
says signed in (the real provider and browser are in tests/e2e/test_signin.py). A visitor who has
not signed in gets the sign-in page and nothing else; a weak cookie secret is refused; a person
with no role reads whom to ask; each role's navigation holds its pages only, and what an agent
or an administrator writes through the pages is checked and recorded under his or her name."""

import secrets

import pytest
from conftest import APP, no_failure
from streamlit.testing.v1 import AppTest

from footprint.inventory.users import add_user

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": secrets.token_hex(32),
        "client_id": "empreinte-ia", "client_secret": secrets.token_hex(16),
        # Never reached: AppTest stands for the provider (``user``); nothing leaves the machine.
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
PEOPLE = {"agent": ("alice.agent@ville.fr", "agent", ["Communication"], "Alice Agent"),
          "referent": ("remi.referent@ville.fr", "referent", [], "Rémi Référent"),
          "admin": ("ada.admin@ville.fr", "administrateur", [], "Ada Admin"),
          "lecteur": ("luc.lecteur@ville.fr", "lecteur", [], "Luc Lecteur")}
SUBMIT = "FormSubmitter:declaration-Enregistrer la déclaration"


@pytest.fixture
def people(example_store):
    for email, role, services, name in PEOPLE.values():
        add_user(example_store, email, role, services, name)
    return example_store


def shared_app(user: dict, page: str | None = None, auth: dict | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.secrets["auth"] = dict(auth or AUTH)
    app.user = user
    app.run()
    if page:
        app.switch_page(f"app_pages/{page}.py")
        app.run()
    return app


def signed_in(who: str, page: str | None = None) -> AppTest:
    email, _, _, name = PEOPLE[who]
    # The provider's own spelling of the address: the store matches it whatever its case.
    return shared_app({"is_logged_in": True, "email": email.upper(), "name": name}, page)


def _declare(app: AppTest, agents: float, per_day: float) -> None:
    """Fill the guided form's API choice (the agent's one service is preselected) and send it."""
    next(w for w in app.selectbox if w.label == "Cas d'usage").set_value("redaction_courrier")
    numbers = {w.label: w for w in app.number_input}
    numbers["Nombre d'agents qui l'utilisent"].set_value(agents)
    numbers["Requêtes par agent et par jour"].set_value(per_day)
    app.button(key=SUBMIT).click().run()


def _text(blocks) -> str:
    return " ".join(b.value for b in blocks).replace("\\", "")


def test_a_visitor_who_has_not_signed_in_sees_the_sign_in_page_and_nothing_else(people):
    app = shared_app({"is_logged_in": False})
    no_failure(app)
    assert [t.value for t in app.title] == ["Empreinte IA"]
    assert [b.label for b in app.button] == ["Se connecter"]
    assert not app.metric and not app.dataframe and not app.get("download_button") and not app.get("plotly_chart")
    app.switch_page("app_pages/declarer.py").run()  # a page's address typed in: still the sign-in page
    no_failure(app)
    assert [t.value for t in app.title] == ["Empreinte IA"] and [b.label for b in app.button] == ["Se connecter"]


def test_a_guessable_cookie_secret_is_refused_before_anyone_signs_in(people):
    app = shared_app({"is_logged_in": False}, auth=AUTH | {"cookie_secret": "REMPLACER-PAR-openssl-rand-hex-32"})
    no_failure(app)
    assert "cookie_secret" in _text(app.error) and "openssl rand -hex 32" in _text(app.error)
    assert not app.button and not app.metric


def test_a_signed_in_person_without_a_role_reads_whom_to_ask(people):
    app = shared_app({"is_logged_in": True, "email": "inconnu@ville.fr", "name": "Inconnu"})
    no_failure(app)
    warning = _text(app.warning)
    assert "aucun rôle" in warning and PEOPLE["admin"][0] in warning
    assert not app.metric and not app.dataframe
    assert [b.label for b in app.button] == ["Se déconnecter"], "another account may have a role"


def test_each_role_sees_its_pages_only(people):
    expected = {"agent": ({"declarer", "diagnostic"}, {"administration", "validation", "export", "facteurs"}),
                "lecteur": ({"scenarios", "registre"}, {"declarer", "validation", "export", "administration"}),
                "referent": ({"declarer", "validation", "export", "journal"}, {"administration"}),
                "admin": ({"administration", "validation", "journal"}, set())}
    for who, (shown, hidden) in expected.items():
        app = signed_in(who)
        no_failure(app)
        for page in shown:
            app.switch_page(f"app_pages/{page}.py")  # registered: in the navigation
        for page in hidden:
            with pytest.raises(ValueError, match="navigation page"):
                app.switch_page(f"app_pages/{page}.py")
        assert PEOPLE[who][3] in _text(app.sidebar.caption)
        assert "Se déconnecter" in [b.label for b in app.sidebar.button]


def test_an_agent_declares_for_his_service_and_the_declaration_waits_with_his_name(people):
    app = signed_in("agent", "declarer")
    no_failure(app)
    assert "Vous déclarez pour : Communication" in _text(app.info)
    service = next(w for w in app.selectbox if w.label == "Service")
    assert service.options == ["Communication"], "an agent picks among his services only"
    _declare(app, 6.0, 4.0)
    no_failure(app)
    saved = people.declarations()
    mine = saved[saved["review"] == "à valider"]
    assert len(mine) == 1 and mine["service"].iloc[0] == "Communication"
    history = people.history(mine["id"].iloc[0])
    assert history["changed_by"].iloc[-1] == "Alice Agent <alice.agent@ville.fr>"
    # The declarations of other services are not in the agent's tables.
    shown = [frame.value for frame in app.dataframe]
    assert all(set(frame["Service"]) <= {"Communication"} for frame in shown if "Service" in frame)


def test_the_referent_sees_what_waits_for_validation(people):
    _declare(signed_in("agent", "declarer"), 3.0, 2.0)
    waiting = people.declarations().query("review == 'à valider'")["id"].tolist()
    assert len(waiting) == 1

    app = signed_in("referent", "validation")
    no_failure(app)
    assert "1 à valider" in _text(app.markdown)
    table = app.dataframe[0].value
    assert table["Identifiant"].tolist() == waiting


def test_an_administrator_gives_a_role_on_the_administration_page_under_his_name(people):
    app = signed_in("admin", "administration")
    no_failure(app)
    next(w for w in app.text_input if w.label == "Adresse électronique").input("nouvelle.dsi@ville.fr")
    next(w for w in app.selectbox if w.label == "Rôle").set_value("dsi")
    app.button(key="FormSubmitter:utilisateur-Enregistrer").click().run()
    no_failure(app)
    assert people.role_of("nouvelle.dsi@ville.fr").role == "dsi"
    journal = people.journal(kind=None, who="ada.admin")
    assert "nouvelle.dsi@ville.fr" in journal["record"].tolist()


def test_with_a_declaration_waiting_the_scenarios_then_the_export_open(people):
    """The Export counts the validated declarations only: another inventory than the Scénarios'
    (all of them), whose cached figures must not be mixed with it."""
    _declare(signed_in("agent", "declarer"), 3.0, 2.0)
    app = signed_in("referent", "scenarios")
    no_failure(app)
    app.switch_page("app_pages/export.py").run()
    no_failure(app)
    assert [e.label for e in app.expander][-1] == "Aperçu de la note", "the Export page is drawn to its end"
