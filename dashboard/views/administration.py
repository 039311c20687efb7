"""The Administration page (shared mode, administrators only): the people who have a role, the
form that gives or changes one, and taking a role away; every change is checked by the library
(``footprint.inventory.users``, ``footprint.store.access``) and kept in the history.

Must not: import Streamlit or decide a right itself.
"""

from __future__ import annotations

import pandas as pd

from footprint.inventory.users import add_user, remove_user
from footprint.store import Store
from footprint.store.access import ROLES

__all__ = ["ROLE_LABELS", "known_services", "remove", "save", "users_table"]

ROLE_LABELS: dict[str, str] = dict(ROLES)


def users_table(store: Store) -> pd.DataFrame:
    """The people with a role, French headers (plain data: shown by ``st.dataframe``)."""
    people = store.users()
    return pd.DataFrame({
        "Adresse électronique": people["email"], "Nom": people["name"],
        "Rôle": people["role"].map(ROLE_LABELS), "Services": [", ".join(s) for s in people["services"]],
        "Modifié le": pd.to_datetime(people["changed_at"]).dt.strftime("%d/%m/%Y %H:%M"),
        "Par": people["changed_by"]})


def known_services(declarations: pd.DataFrame, store: Store) -> list[str]:
    """The services the inventory and the roles already name (the choices of the form)."""
    named = set(declarations["service"].dropna().astype(str))
    for services in store.users()["services"]:
        named.update(services)
    return sorted(named, key=str.casefold)


def save(store: Store, email: str, role: str, services: list[str], name: str) -> tuple[str, int]:
    """Give ``email`` the role ``role`` (a code of ``ROLE_LABELS``); returns the e-mail saved and its version."""
    user, version = add_user(store, email, role, services if role == "agent" else [], name)
    return user.email, version


def remove(store: Store, email: str) -> bool:
    return remove_user(store, email)
