"""Sign-in of the shared mode: Streamlit's own OpenID Connect (``st.login``, ``st.user``,
``st.logout``, configured in ``.streamlit/secrets.toml`` ``[auth]``, docs/DEPLOIEMENT.md), so that
the authority uses the identity it already has (ProConnect, its Keycloak, Entra ID, Google).

The shared mode is on when Streamlit's secrets hold an ``[auth]`` section; without one the
dashboard is today's single-user tool on localhost and nobody signs in. In the shared mode a
visitor who has not signed in gets the sign-in page and the script stops there: no figure, no
page, no download is drawn for him. A configuration that would sign people in with a guessable
cookie secret is refused (the page says what to fix), rather than run.

Owns: whether the mode is shared (``shared_mode``), the person a session has signed in as
(``identity``: e-mail and name from the provider's claims, ProConnect's ``given_name`` and
``usual_name`` included), the sign-in page and the sign-out button.
Must not: decide what a person may do (``footprint.store.access``, ``dashboard.roles``) or keep a
password: the identity provider does the authentication.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import streamlit as st
from streamlit.errors import Error as StreamlitError

from dashboard.markdown import as_text

LOG = logging.getLogger("empreinte_ia.dashboard")
# Below this length, a cookie secret can be guessed and sessions forged (Streamlit signs the
# identity cookie with it): 32 random characters, as ``openssl rand -hex 32`` gives 64.
MIN_COOKIE_SECRET = 32
PLACEHOLDER_PREFIX = "REMPLACER-"  # how the examples of examples/deploiement mark what to fill in


@dataclass(frozen=True)
class Identity:
    """Who signed in, as the identity provider says: the e-mail (lower case) and a display name."""

    email: str
    name: str


def _auth_section():
    """The ``[auth]`` section of Streamlit's secrets, or None (no secrets file, or no section)."""
    try:
        secrets = st.secrets
        return secrets["auth"] if "auth" in secrets else None
    except FileNotFoundError:
        return None
    except Exception as error:  # noqa: BLE001 — a secrets.toml that does not parse: say it in French
        LOG.error("secrets.toml illisible : %s", error)
        st.error("Le fichier .streamlit/secrets.toml du serveur est illisible (ce n'est pas du TOML valide) : "
                 "l'administrateur doit le corriger (voir docs/DEPLOIEMENT.md).")
        st.stop()


def shared_mode() -> bool:
    """Whether people sign in: Streamlit's secrets hold an ``[auth]`` section."""
    return _auth_section() is not None


def provider_name(section) -> str | None:
    """The provider to pass to ``st.login``: the one named sub-table of ``[auth]``
    (``[auth.proconnect]``), or None when the provider's settings are in ``[auth]`` itself."""
    named = [key for key, value in section.items() if hasattr(value, "keys")]
    return named[0] if len(named) == 1 else None


def configuration_problem(section) -> str | None:
    """What makes the ``[auth]`` section unsafe or unusable, in French; None when it is sound."""
    secret = str(section.get("cookie_secret", "") or "")
    if not secret or secret.startswith(PLACEHOLDER_PREFIX) or len(secret) < MIN_COOKIE_SECRET:
        return (f"la clé cookie_secret de la section [auth] doit être un secret aléatoire d'au moins "
                f"{MIN_COOKIE_SECRET} caractères (par exemple : openssl rand -hex 32)")
    if not str(section.get("redirect_uri", "") or "").endswith("/oauth2callback"):
        return ("la clé redirect_uri de la section [auth] doit être l'adresse du tableau de bord suivie de "
                "/oauth2callback")
    named = [key for key, value in section.items() if hasattr(value, "keys")]
    if len(named) > 1:
        return (f"la section [auth] décrit plusieurs fournisseurs d'identité ({', '.join(sorted(named))}) : "
                "gardez-en un seul")
    return None


def display_name(claims) -> str:
    """The person's name from the identity token's claims: ``name``, else the given name and the
    family name (ProConnect gives ``given_name`` and ``usual_name``), else nothing."""
    name = str(claims.get("name") or "").strip()
    if name:
        return name
    family = claims.get("usual_name") or claims.get("family_name") or ""
    return " ".join(part for part in (str(claims.get("given_name") or "").strip(), str(family).strip()) if part)


def identity() -> Identity | None:
    """This session's person in the shared mode, None in the single-user mode. A visitor who has
    not signed in gets the sign-in page, and the script stops."""
    section = _auth_section()
    if section is None:
        return None
    problem = configuration_problem(section)
    if problem is not None:
        st.title("Empreinte IA")
        st.error(f"La connexion n'est pas configurée correctement sur ce serveur : {problem}. L'administrateur doit "
                 "corriger .streamlit/secrets.toml (voir docs/DEPLOIEMENT.md), puis redémarrer le service.")
        st.stop()
    if not st.user.is_logged_in:
        _sign_in_page(section)
        st.stop()
    email = str(st.user.get("email") or "").strip().lower()
    if not email:
        st.title("Empreinte IA")
        st.error("Le fournisseur d'identité n'a pas transmis votre adresse électronique : l'administrateur doit "
                 "demander la portée « email » (client_kwargs, scope) dans .streamlit/secrets.toml.")
        sign_out_button()
        st.stop()
    return Identity(email=email, name=display_name(st.user))


def _sign_in_page(section) -> None:
    st.title("Empreinte IA")
    st.sidebar.caption("Empreinte IA — l'empreinte environnementale de l'IA de la collectivité, calculée sur ce "
                       "serveur, hors ligne.")
    st.markdown("L'empreinte environnementale des usages d'intelligence artificielle de la collectivité. "
                "Cet espace est réservé à ses agents et à ses élus : connectez-vous avec le compte de votre "
                "collectivité.")
    if st.button("Se connecter", type="primary", key="se_connecter"):
        try:
            st.login(provider_name(section))
        except StreamlitError as error:  # a configuration st.login refuses, in English: say it in French
            LOG.error("connexion impossible : %s", error)
            st.error("La connexion au fournisseur d'identité a échoué (configuration [auth] de "
                     ".streamlit/secrets.toml incomplète, ou fournisseur injoignable) : prévenez l'administrateur.")


def sign_out_button() -> None:
    if st.button("Se déconnecter", key="se_deconnecter"):
        st.logout()


def sidebar(caption: str) -> None:
    """In the shared mode: who is signed in, with which role, and the sign-out button."""
    if not shared_mode():
        return
    st.sidebar.caption(f"Connecté(e) : {as_text(caption)}")
    with st.sidebar:
        sign_out_button()
