"""The people of a shared instance, as the Administration page and ``python -m footprint users``
give them: an e-mail (the identity provider's ``email`` claim), a role, the services an agent
declares for, and a name.

Owns: checking what a person typed (``check_user``: French problems naming the field) and the two
writes (``add_user``, ``remove_user``) through the store, which checks that the person writing
may manage the roles (``footprint.store.access``) and keeps every change in its history.

Must not: hold the rows (``footprint.store.users``) or know a sign-in provider.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from core.errors import InputError, Problem
from footprint.store import Store
from footprint.store.access import ROLES, normal_email, role_code

MAX_TEXT = 200  # characters of a name or a service: a line of a form, not a document


@dataclass(frozen=True)
class User:
    email: str
    role: str
    services: tuple[str, ...]
    name: str | None


def _text(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def check_user(email: object, role: object, services: Iterable[object] = (), name: object = None) -> User:
    """A person to save, or ``InputError`` listing every problem (columns ``email``, ``role``,
    ``services``, ``name``). An agent needs at least one service; the other roles have none."""
    problems: list[Problem] = []
    try:
        address = normal_email(_text(email))
    except ValueError as error:
        problems.append(Problem(str(error), column="email"))
        address = ""
    try:
        code = role_code(_text(role))
    except ValueError as error:
        problems.append(Problem(str(error), column="role"))
        code = ""
    kept: list[str] = []
    for service in services or ():
        text = _text(service)
        if len(text) > MAX_TEXT:
            problems.append(Problem(f"nom de service trop long ({len(text)} caractères, {MAX_TEXT} au plus)",
                                    column="services"))
        elif text and text.casefold() not in {s.casefold() for s in kept}:
            kept.append(text)
    if code == "agent" and not kept:
        problems.append(Problem("un agent déclare pour au moins un service : indiquez-le (--service)",
                                column="services"))
    if code and code != "agent" and kept:
        problems.append(Problem(f"seul un agent est rattaché à des services ; le rôle {ROLES[code]} voit tous "
                                "les services", column="services"))
    shown = _text(name) or None
    if shown and len(shown) > MAX_TEXT:
        problems.append(Problem(f"nom trop long ({len(shown)} caractères, {MAX_TEXT} au plus)", column="name"))
    if problems:
        raise InputError(problems)
    return User(address, code, tuple(kept), shown)


def add_user(store: Store, email: object, role: object, services: Iterable[object] = (),
             name: object = None) -> tuple[User, int]:
    """Check and save a person's role; returns the person and the version saved."""
    user = check_user(email, role, services, name)
    return user, store.save_user(user.email, user.role, user.services, user.name)


def remove_user(store: Store, email: object) -> bool:
    """Take a person's role away (the history keeps it); False when that e-mail had none."""
    try:
        address = normal_email(_text(email))
    except ValueError as error:
        raise InputError.single(str(error), column="email") from None
    return store.remove_user(address)
