"""A real OpenID Connect provider on this machine, for the sign-in test and the benchmark of the
shared mode: oidc-provider-mock (a Flask app with an authorization form where one types the
``sub``, a token endpoint that signs ID tokens, discovery, an end-session page), served by
werkzeug in a thread on a free port of 127.0.0.1; the secrets file that puts the dashboard in the
shared mode with it (``[auth]``: redirect address, cookie secret, client, discovery address);
and a sign-in without a browser, through the same redirects a browser follows (httpx).

Owns: ``provider`` (the running provider and the secrets file beside it), ``Person`` (who signs
in: the ``sub`` typed in the form, the ``email`` and ``name`` claims the provider holds for it)
and ``sign_in`` (the dashboard's cookies of a signed-in person).
Must not: talk to any address but the loopback one; write into the repository's .streamlit/
(the dashboard reads the secrets file through ``--secrets.files``).
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import httpx
import oidc_provider_mock
from joserfc import jwt
from joserfc.jwk import OctKey

from bench.server import free_port

# Streamlit's names: the route that starts a sign-in, the callback the provider sends back to,
# the cookies of the signed-in person (streamlit/web/server/starlette/starlette_auth_routes.py).
LOGIN_ROUTE = "/auth/login"
CALLBACK_ROUTE = "/oauth2callback"
USER_COOKIE = "_streamlit_user"
XSRF_COOKIE = "_streamlit_xsrf"
COOKIE_PREFIX = "_streamlit"
# How long st.login's provider token is valid (two minutes in Streamlit; this one is made just
# before it is used).
LOGIN_TOKEN_SECONDS = 120
MAX_REDIRECTS = 10


@dataclass(frozen=True)
class Person:
    """Someone the provider knows: ``sub`` (typed in its form), and the claims it gives."""

    sub: str
    email: str
    name: str = ""

    @property
    def claims(self) -> dict[str, object]:
        claims: dict[str, object] = {"email": self.email, "email_verified": True}
        if self.name:
            claims["name"] = self.name
        return claims


@dataclass(frozen=True)
class Provider:
    """A running provider (``url``) and the dashboard it signs people in to (``dashboard_url``,
    on ``dashboard_port``, not started yet when this is made: the redirect address names it)."""

    url: str
    dashboard_url: str
    dashboard_port: int
    secrets: Path
    client_id: str
    cookie_secret: str

    def register(self, people: Iterable[Person]) -> None:
        """Give the provider each person's claims (its ``PUT /users/<sub>``), as an authority's
        directory holds them before anyone signs in."""
        with httpx.Client(base_url=self.url, timeout=30) as client:
            for person in people:
                client.put(f"/users/{person.sub}", json=person.claims).raise_for_status()

    def login_path(self) -> str:
        """The address ``st.login()`` sends the browser to (``/auth/login?provider=…``): a token
        naming the provider, signed with the cookie secret as Streamlit signs it (HS256, two
        minutes). For a session that does not press « Se connecter » itself."""
        claims = {"provider": "default", "exp": int(time.time()) + LOGIN_TOKEN_SECONDS}
        token = jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(self.cookie_secret))
        return f"{LOGIN_ROUTE}?provider={token}"


def _secrets_text(dashboard_url: str, provider_url: str, client_id: str, client_secret: str,
                  cookie_secret: str) -> str:
    return "\n".join([
        "[auth]",
        f'redirect_uri = "{dashboard_url}{CALLBACK_ROUTE}"',
        f'cookie_secret = "{cookie_secret}"',
        f'client_id = "{client_id}"',
        f'client_secret = "{client_secret}"',
        f'server_metadata_url = "{provider_url}/.well-known/openid-configuration"',
        "",
    ])


@contextmanager
def provider(folder: Path, *, dashboard_host: str = "localhost", people: Iterable[Person] = ()) -> Iterator[Provider]:
    """oidc-provider-mock on a free port of 127.0.0.1, knowing ``people``, and ``folder /
    secrets.toml`` for a dashboard to come on a free port of ``dashboard_host`` (``localhost``
    or ``127.0.0.1``: the address a browser opens, since the identity cookie is only read on a
    connection from the redirect address's origin). Stops the provider afterwards."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    with oidc_provider_mock.run_server_in_thread(port=0) as server:
        url = f"http://127.0.0.1:{server.server_port}"
        port = free_port("127.0.0.1")
        dashboard_url = f"http://{dashboard_host}:{port}"
        client_id, client_secret = "empreinte-ia", secrets.token_urlsafe(24)
        cookie_secret = secrets.token_hex(32)
        path = folder / "secrets.toml"
        path.write_text(_secrets_text(dashboard_url, url, client_id, client_secret, cookie_secret), encoding="utf-8")
        running = Provider(url, dashboard_url, port, path, client_id, cookie_secret)
        running.register(people)
        yield running


def _form_action(page: httpx.Response) -> str:
    """Where the provider's authorization form posts (its own address when it has no action)."""
    found = re.search(r'<form method="post"(?: action="([^"]*)")?', page.text)
    if found is None:
        raise RuntimeError(f"pas de formulaire d'autorisation sur {page.url} :\n{page.text[:1000]}")
    return urljoin(str(page.url), unescape(found.group(1))) if found.group(1) else str(page.url)


def sign_in(running: Provider, person: Person, login_path: str | None = None,
            client: httpx.Client | None = None) -> dict[str, str]:
    """Sign ``person`` in to the dashboard as a browser does, without one: its login address
    (``login_path``, what ``st.login`` sent; made with ``Provider.login_path`` if None) →
    the provider's authorization form, submitted with the person's ``sub`` → the dashboard's
    callback, which sets the identity cookies. Returns the dashboard's cookies (``_streamlit_user``
    and the XSRF cookie a websocket needs with it); ``RuntimeError`` if the dashboard set no
    identity cookie."""
    own = client is None
    client = client or httpx.Client(timeout=60, follow_redirects=False)
    try:
        client.get(running.dashboard_url + "/_stcore/health").raise_for_status()  # sets the XSRF cookie
        answer = _follow(client, client.get(running.dashboard_url + (login_path or running.login_path())))
        action = _form_action(answer)
        answer = _follow(client, client.post(action, data={"sub": person.sub}))
        # Cookies belong to a host, whatever its port: the dashboard's are Streamlit's, by name.
        jar = {cookie.name: cookie.value for cookie in client.cookies.jar if cookie.name.startswith(COOKIE_PREFIX)}
        if USER_COOKIE not in jar:
            raise RuntimeError(f"{person.email} : pas de cookie d'identité après la connexion ({answer.url}, "
                               f"{answer.status_code})")
        return jar
    finally:
        if own:
            client.close()


def _follow(client: httpx.Client, answer: httpx.Response) -> httpx.Response:
    """Follow redirects one by one (each sets its cookies on its own host) to a page."""
    for _ in range(MAX_REDIRECTS):
        if not answer.is_redirect:
            answer.raise_for_status()
            return answer
        answer = client.get(urljoin(str(answer.url), answer.headers["location"]))
    raise RuntimeError(f"trop de redirections depuis {answer.url}")
