"""Who is using this session of a shared dashboard, and what it shows them.

A signed-in person's identity (``dashboard.signin``) becomes an ``Actor`` with the role the store
gives that e-mail (``Store.role_of``); the pages write through ``state.store()``, a view of the
store acting as that person, so that the library checks every write (``footprint.store.access``)
whatever a page shows. What this module decides is only what is shown: which pages each role sees
in the navigation (``PAGES``), and whether a button is offered (``may``). Without sign-in (the
single-user mode on localhost), there is no actor and everything is shown, as before.

Must not: decide a right (the library does) or read the identity provider's claims itself.
"""

from __future__ import annotations

import streamlit as st

from dashboard import signin
from dashboard.markdown import as_text
from footprint.store import Store
from footprint.store.access import ROLES, Actor

ACTOR_KEY = "_empreinte_ia_personne"  # session state, per session: never a widget's key

ALL = frozenset(ROLES)
# The pages each role sees (a page not listed for a role is absent from its navigation; its
# writes would be refused by the library anyway).
PAGES: dict[str, frozenset[str]] = {
    "synthese": ALL,
    "declarer": frozenset({"administrateur", "referent", "agent"}),
    "validation": frozenset({"administrateur", "referent"}),
    "usages": frozenset({"administrateur", "referent", "dsi"}),
    "mesures": frozenset({"administrateur", "referent", "dsi"}),
    "scenarios": frozenset({"administrateur", "referent", "lecteur"}),
    "recommandations": frozenset({"administrateur", "referent", "lecteur"}),
    "diagnostic": frozenset({"administrateur", "referent", "agent"}),
    "registre": frozenset({"administrateur", "referent", "lecteur"}),
    "collectivite": frozenset({"administrateur", "referent", "lecteur"}),
    "facteurs": frozenset({"administrateur", "referent", "dsi"}),
    "export": frozenset({"administrateur", "referent"}),
    "methode": ALL,
    "journal": frozenset({"administrateur", "referent"}),
    "administration": frozenset({"administrateur"}),
}
SINGLE_USER_ONLY: frozenset[str] = frozenset({"administration"})  # no roles to manage without sign-in


def sign_in(identity, store: Store, role_of=None) -> Actor | None:
    """The session's person from a signed-in ``identity`` (``signin.Identity``: e-mail, name), or
    None in the single-user mode (``identity`` None). A person with no role reads who to ask, and
    the page stops there: no figure, no page. ``role_of``: how to find the e-mail's role
    (``Store.role_of`` by default; the dashboard's is cached per state of the store)."""
    if identity is None:
        st.session_state.pop(ACTOR_KEY, None)
        return None
    stored = (role_of or store.role_of)(identity.email)
    if stored is None:
        st.session_state.pop(ACTOR_KEY, None)
        st.title("Empreinte IA")
        admins = store.users()
        admins = admins.loc[admins["role"] == "administrateur", "email"].tolist()
        st.warning(f"Vous êtes connecté(e) en tant que {as_text(identity.email)}, mais aucun rôle ne vous a encore "
                   "été donné dans Empreinte IA. Demandez à un administrateur de l'outil de vous en attribuer un"
                   + (f" ({as_text(', '.join(admins))})." if admins else
                      " (sur le serveur : python -m footprint users add VOTRE.ADRESSE --role …)."))
        signin.sign_out_button()  # another account may have the role
        st.stop()
    actor = Actor(email=stored.email, name=identity.name or stored.name, role=stored.role, services=stored.services)
    st.session_state[ACTOR_KEY] = actor
    return actor


def current() -> Actor | None:
    """The signed-in person of this session, None in the single-user mode."""
    return st.session_state.get(ACTOR_KEY)


def may(write: str) -> bool:
    """Whether to offer a write (a key of ``footprint.store.access.WRITES``) to this session's person."""
    actor = current()
    return actor is None or actor.may(write)


def own_services() -> tuple[str, ...] | None:
    """The services an agent declares for; None when the person sees every service."""
    actor = current()
    if actor is None or actor.may("declarations"):
        return None
    return actor.services


def visible(page: str) -> bool:
    actor = current()
    if actor is None:
        return page not in SINGLE_USER_ONLY
    return actor.role in PAGES.get(page, frozenset())


def closed_page(title: str, key: str):
    """The page drawn at the address of a page this session's person may not open: who may,
    in French, and whom to ask (a function for ``st.Page``, named after the page)."""
    def closed() -> None:
        st.title(title)
        actor = current()
        role = ROLES[actor.role] if actor is not None else ""
        st.warning(f"Cette page n'est pas ouverte au rôle « {as_text(role)} ». Si vous en avez besoin, demandez à un "
                   "administrateur de l'outil de changer votre rôle (page Administration).")

    closed.__name__ = f"fermee_{key}"
    return closed


def role_caption() -> str:
    """« Alice Martin — référent climat » (plain text, for the sidebar)."""
    actor = current()
    if actor is None:
        return ""
    who = actor.name or actor.email
    services = f" ({', '.join(actor.services)})" if actor.services else ""
    return f"{who} — {ROLES[actor.role]}{services}"
