"""The deployment kit (docs/DEPLOIEMENT.md, examples/deploiement/) against what it configures.

Each ``secrets-*.toml`` example has exactly the keys Streamlit's ``[auth]`` section reads and, run
through Streamlit's own OAuth client (Authlib) against a discovery document served on the loopback,
yields the authorisation request its provider needs. The systemd units, nginx and Caddy files agree
with ``.streamlit/config.toml`` (port, upload size) and with each other (store, user). Every
``python -m footprint`` command that the guide quotes names a subcommand, an action and options that
the command line offers.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import threading
import tomllib
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
KIT = ROOT / "examples" / "deploiement"
GUIDE = ROOT / "docs" / "DEPLOIEMENT.md"
PYTHON = ROOT / ".venv" / "bin" / "python"


SECRETS = {
    "proconnect": KIT / "secrets-proconnect.toml",
    "entra": KIT / "secrets-entra-id.toml",
    "keycloak": KIT / "secrets-keycloak.toml",
}
# Streamlit's [auth] keys (docs of st.login): shared ones, then those of a provider. A named
# provider may also carry Authlib's ``authorize_params``, which Streamlit forwards to Authlib's
# registry for a named provider only (ProConnect needs it, see test_proconnect_*).
SHARED_KEYS = {"redirect_uri", "cookie_secret"}
OPTIONAL_SHARED_KEYS = {"expose_tokens"}
PROVIDER_KEYS = {"client_id", "client_secret", "server_metadata_url", "client_kwargs"}
CLIENT_KWARGS = {"scope", "prompt", "token_endpoint_auth_method"}
PROCONNECT_HOSTS = {"fca.integ01.dev-agentconnect.fr", "auth.agentconnect.gouv.fr",
                    "fca.integ02.agentconnect.rie.gouv.fr", "auth.agentconnect.rie.gouv.fr"}


def streamlit_config() -> dict:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def port() -> int:
    return streamlit_config()["server"].get("port", 8501)


def max_upload_mb() -> int:
    return streamlit_config()["server"].get("maxUploadSize", 200)


def auth_section(name: str) -> dict:
    return tomllib.loads(SECRETS[name].read_text(encoding="utf-8"))["auth"]


def provider_of(auth: dict) -> tuple[str | None, dict]:
    """The provider's name (None: Streamlit's unnamed default) and its settings."""
    named = {key: value for key, value in auth.items() if isinstance(value, dict) and key != "client_kwargs"}
    if named:
        assert len(named) == 1, f"one provider per instance, found {sorted(named)}"
        return next(iter(named.items()))
    return None, {key: value for key, value in auth.items() if key in PROVIDER_KEYS | {"authorize_params"}}


# -- secrets examples -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_secrets_example_has_exactly_the_keys_streamlit_reads(name):
    auth = auth_section(name)
    provider, settings = provider_of(auth)
    shared = {key for key, value in auth.items() if not isinstance(value, dict) or key == "client_kwargs"}
    if provider is not None:
        assert "_" not in provider, "Streamlit refuses a provider name with an underscore"
        assert shared <= SHARED_KEYS | OPTIONAL_SHARED_KEYS and SHARED_KEYS <= shared
        allowed = PROVIDER_KEYS | {"authorize_params"}
    else:
        assert shared - PROVIDER_KEYS <= SHARED_KEYS | OPTIONAL_SHARED_KEYS and SHARED_KEYS <= shared
        allowed = PROVIDER_KEYS
    assert PROVIDER_KEYS <= set(settings) <= allowed
    assert set(settings["client_kwargs"]) <= CLIENT_KWARGS
    assert auth["redirect_uri"].startswith("https://") and auth["redirect_uri"].endswith("/oauth2callback")
    metadata = urlparse(settings["server_metadata_url"])
    assert metadata.scheme == "https" and metadata.path.endswith("/.well-known/openid-configuration")
    # The dashboard knows a person by the e-mail address of the identity token.
    scopes = settings["client_kwargs"]["scope"].split()
    assert "openid" in scopes and "email" in scopes


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_secrets_example_holds_no_real_secret(name):
    auth = auth_section(name)
    _, settings = provider_of(auth)
    assert auth["cookie_secret"].startswith("REMPLACER-")
    assert settings["client_secret"].startswith("REMPLACER-")


def test_proconnect_example_uses_proconnect_endpoints_and_rules():
    provider, settings = provider_of(auth_section("proconnect"))
    assert provider == "proconnect"
    metadata = urlparse(settings["server_metadata_url"])
    assert metadata.hostname in PROCONNECT_HOSTS and metadata.path == "/api/v2/.well-known/openid-configuration"
    kwargs = settings["client_kwargs"]
    assert {"given_name", "usual_name", "email"} <= set(kwargs["scope"].split())
    assert kwargs["prompt"] in {"login", "consent", "none"}
    assert kwargs["token_endpoint_auth_method"] == "client_secret_post"
    claims = json.loads(settings["authorize_params"]["claims"])
    assert {"email", "given_name", "usual_name"} <= set(claims["id_token"])


def test_entra_example_names_one_tenant():
    _, settings = provider_of(auth_section("entra"))
    metadata = urlparse(settings["server_metadata_url"])
    assert metadata.hostname == "login.microsoftonline.com"
    tenant, version, *rest = metadata.path.strip("/").split("/")
    assert version == "v2.0" and rest == [".well-known", "openid-configuration"]
    assert tenant not in {"common", "organizations", "consumers"}


def test_keycloak_example_points_at_a_realm():
    _, settings = provider_of(auth_section("keycloak"))
    path = urlparse(settings["server_metadata_url"]).path
    assert re.fullmatch(r"/realms/[^/]+/\.well-known/openid-configuration", path)


# -- the authorisation request Streamlit builds from each example ---------------------------------


class _Discovery(BaseHTTPRequestHandler):
    """Serves one OpenID discovery document (the shape of ProConnect's, Entra's, Keycloak's)."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        base = f"http://127.0.0.1:{self.server.server_port}"
        body = json.dumps({
            "issuer": base, "authorization_endpoint": f"{base}/authorize", "token_endpoint": f"{base}/token",
            "jwks_uri": f"{base}/jwks", "end_session_endpoint": f"{base}/logout",
            "code_challenge_methods_supported": ["S256"], "claims_parameter_supported": True,
            "id_token_signing_alg_values_supported": ["ES256", "RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def discovery_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Discovery)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/.well-known/openid-configuration"
    server.shutdown()
    server.server_close()


# Run in a fresh interpreter whose working directory holds the example as .streamlit/secrets.toml:
# Streamlit reads its secrets from there, once per process.
AUTHORIZE_SCRIPT = """
import asyncio, json, sys
from urllib.parse import parse_qs, urlparse
from streamlit.web.server.starlette.starlette_auth_routes import _create_oauth_client

async def main(provider):
    client, redirect_uri = _create_oauth_client(provider)
    url = (await client.create_authorization_url(redirect_uri))["url"]
    session = client._get_oauth_client(**(await client.load_server_metadata()))
    query = {key: values[0] for key, values in parse_qs(urlparse(url).query).items()}
    print(json.dumps({"query": query, "token_auth": session.token_endpoint_auth_method}))

asyncio.run(main(sys.argv[1]))
"""


def _has_auth_dependencies() -> bool:
    """Streamlit's sign-in needs Authlib and httpx (the ``streamlit[auth]`` extra)."""
    found = subprocess.run([str(PYTHON), "-c", "import authlib, httpx"], capture_output=True)
    return found.returncode == 0


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_streamlit_sends_each_provider_the_request_it_needs(name, discovery_url, tmp_path):
    if not _has_auth_dependencies():
        pytest.skip("Authlib et httpx (streamlit[auth]) ne sont pas installés : la connexion ne peut pas marcher")
    auth = auth_section(name)
    provider, settings = provider_of(auth)
    text = SECRETS[name].read_text(encoding="utf-8").replace(settings["server_metadata_url"], discovery_url)
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(text, encoding="utf-8")
    run = subprocess.run([str(PYTHON), "-c", AUTHORIZE_SCRIPT, provider or "default"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120,
                         env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin",
                              "PYTHONPATH": os.environ.get("PYTHONPATH", "")})
    assert run.returncode == 0, run.stderr
    sent = json.loads(run.stdout.strip().splitlines()[-1])
    query = sent["query"]
    assert query["redirect_uri"] == auth["redirect_uri"]
    assert query["response_type"] == "code" and query["code_challenge_method"] == "S256"
    assert query["scope"].split() == settings["client_kwargs"]["scope"].split()
    assert query["prompt"] == settings["client_kwargs"]["prompt"]
    assert sent["token_auth"] == settings["client_kwargs"]["token_endpoint_auth_method"]
    if name == "proconnect":
        # Streamlit reads only the identity token, where ProConnect puts the person's e-mail only
        # if the « claims » parameter asks for it.
        assert "email" in json.loads(query["claims"])["id_token"]


# -- systemd units --------------------------------------------------------------------------------


def unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A systemd unit file as {section: {key: [values…]}} (keys may repeat; ``\\`` continues a line)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    logical = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not logical and (not line or line[0] in "#;"):
            continue
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        line, logical = logical + line, ""
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None and "=" in line, f"{path.name}: « {line} » outside a section or without ="
        key, value = line.split("=", 1)
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def environment(service: dict) -> dict[str, str]:
    return dict(item.split("=", 1) for value in service.get("Environment", []) for item in shlex.split(value))


def test_dashboard_unit_runs_streamlit_from_the_venv_on_the_loopback():
    sections = unit(KIT / "empreinte-ia.service")
    assert {"Unit", "Service", "Install"} <= set(sections)
    service = sections["Service"]
    workdir = service["WorkingDirectory"][0]
    command = shlex.split(service["ExecStart"][0])
    assert command[:3] == [f"{workdir}/.venv/bin/streamlit", "run", "app.py"]
    options = dict(zip(command[3::2], command[4::2], strict=True))
    assert options["--server.address"] == "127.0.0.1"
    assert int(options["--server.port"]) == port()
    assert options["--browser.serverAddress"] == options["--server.allowedHosts"]
    assert service["User"] == ["empreinte-ia"] and service["Restart"]
    assert service["NoNewPrivileges"] == ["yes"] and service["ProtectSystem"] == ["strict"]
    store = Path(environment(service)["FOOTPRINT_DB"])
    assert str(store.parent) in service["ReadWritePaths"][0].split()


def test_dashboard_unit_refuses_to_start_without_an_auth_section(tmp_path):
    check = shlex.split(unit(KIT / "empreinte-ia.service")["Service"]["ExecStartPre"][0])
    assert check[-1].endswith("/.streamlit/secrets.toml")
    for text, starts in [('[auth]\nredirect_uri = "x"\n', True), ("[auth.proconnect]\n", True),
                         ("# [auth]\n[autre]\n", False), ("", False)]:
        secrets = tmp_path / "secrets.toml"
        secrets.write_text(text, encoding="utf-8")
        assert (subprocess.run([*check[:-1], str(secrets)]).returncode == 0) is starts, text


def test_backup_unit_and_timer_back_up_the_dashboards_store():
    dashboard = unit(KIT / "empreinte-ia.service")["Service"]
    backup = unit(KIT / "empreinte-ia-sauvegarde.service")["Service"]
    timer = unit(KIT / "empreinte-ia-sauvegarde.timer")
    assert backup["Type"] == ["oneshot"] and backup["User"] == dashboard["User"]
    assert environment(backup)["FOOTPRINT_DB"] == environment(dashboard)["FOOTPRINT_DB"]
    workdir = backup["WorkingDirectory"][0]
    command = shlex.split(backup["ExecStart"][0])
    assert command == [f"{workdir}/.venv/bin/python", "-m", "footprint", "backup", "--out", "/var/backups/empreinte-ia"]
    writable = backup["ReadWritePaths"][0].split()
    assert "/var/backups/empreinte-ia" in writable
    assert str(Path(environment(backup)["FOOTPRINT_DB"]).parent) in writable
    assert timer["Timer"]["OnCalendar"] and timer["Timer"]["Persistent"] == ["true"]
    assert timer["Timer"]["Unit"] == ["empreinte-ia-sauvegarde.service"]
    assert timer["Install"]["WantedBy"] == ["timers.target"]


# -- reverse proxies ------------------------------------------------------------------------------


def directives(text: str) -> list[str]:
    return [re.sub(r"\s+", " ", line.split("#", 1)[0]).strip() for line in text.splitlines()
            if line.split("#", 1)[0].strip()]


def test_nginx_upgrades_the_websocket_and_proxies_to_streamlits_port():
    text = (KIT / "nginx.conf").read_text(encoding="utf-8")
    lines = directives(text)
    stream = text.split("location /_stcore/stream", 1)[1].split("}", 1)[0]
    stream_lines = directives(stream)
    assert "proxy_set_header Upgrade $http_upgrade;" in stream_lines
    assert "proxy_set_header Connection $connection_upgrade;" in stream_lines
    assert "proxy_http_version 1.1;" in stream_lines
    assert "proxy_set_header Host $host;" in stream_lines
    assert any(line.startswith("proxy_read_timeout ") for line in stream_lines)
    assert "map $http_upgrade $connection_upgrade {" in lines
    passes = {line for line in lines if line.startswith("proxy_pass ")}
    assert passes == {f"proxy_pass http://127.0.0.1:{port()};"}
    assert f"client_max_body_size {max_upload_mb()}m;" in lines


def test_caddy_proxies_to_streamlits_port_with_the_same_upload_limit():
    lines = directives((KIT / "Caddyfile").read_text(encoding="utf-8"))
    assert f"reverse_proxy 127.0.0.1:{port()} {{" in lines
    assert f"max_size {max_upload_mb()}MiB" in lines


def test_keycloak_is_published_on_the_loopback_only():
    compose = (KIT / "keycloak-compose.yaml").read_text(encoding="utf-8")
    published = re.findall(r'^\s*-\s*"([^"]+)"\s*$', compose.split("ports:", 1)[1], re.M)
    assert published == ["127.0.0.1:8080:8080"]
    lines = directives((KIT / "nginx-keycloak.conf").read_text(encoding="utf-8"))
    assert "location /admin/ {" not in lines and "return 404;" in lines


# -- the guide ------------------------------------------------------------------------------------


def test_guide_links_only_to_files_that_exist():
    text = GUIDE.read_text(encoding="utf-8")
    targets = re.findall(r"\]\((\.\./[^)#]+)\)", text)
    assert targets
    for target in targets:
        assert (GUIDE.parent / target).resolve().exists(), target
    for example in KIT.iterdir():
        assert example.name in text, f"{example.name} is not explained in the guide"


@cache
def help_text(*words: str) -> str:
    run = subprocess.run([str(PYTHON), "-m", "footprint", *words, "--help"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout


def listed(help_output: str) -> set[str]:
    """The subcommands or actions a help text lists (four spaces, then the name)."""
    return set(re.findall(r"^ {4}([a-z][a-z-]*)\b", help_output, re.M))


def guide_commands() -> list[list[str]]:
    """The words after ``python -m footprint`` in every command the guide quotes."""
    commands = []
    for line in GUIDE.read_text(encoding="utf-8").splitlines():
        for rest in re.findall(r"python -m footprint ([^`]*)", line):
            words = shlex.split(rest, comments=True)
            if words and re.fullmatch(r"[a-z][a-z-]*", words[0]):
                commands.append(words)
    return commands


def test_guide_quotes_the_documented_commands():
    subcommands = {words[0] for words in guide_commands()}
    assert {"users", "backup", "restore", "declarations"} <= subcommands


@pytest.mark.parametrize("words", guide_commands(), ids=lambda words: " ".join(words[:3]))
def test_guide_command_exists_in_the_command_line(words):
    subcommand = words[0]
    assert subcommand in listed(help_text()), f"python -m footprint has no subcommand « {subcommand} »"
    path = [subcommand]
    actions = listed(help_text(subcommand))
    if actions and len(words) > 1 and not words[1].startswith("-"):
        assert words[1] in actions, f"python -m footprint {subcommand} has no action « {words[1]} »"
        path.append(words[1])
    options = help_text(*path)
    for word in words:
        if word.startswith("--"):
            assert re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", options), \
                f"python -m footprint {' '.join(path)} has no option {word}"


def test_guide_gives_roles_the_command_line_knows():
    roles = [words[words.index("--role") + 1] for words in guide_commands() if "--role" in words]
    assert "administrateur" in roles
    from footprint.store.access import role_code

    for role in roles:
        role_code(role)

