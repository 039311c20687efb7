"""Who may write what in a store: the roles of a shared instance, the person acting and the check
that each write method of ``Store`` makes before it opens a transaction.

Owns: ``ROLES`` (code -> French label) and what each may do (``PERMISSIONS``), ``Actor`` (who
writes: e-mail, name, role, services; ``LOCAL`` is the single-user mode's person at the keyboard,
who may do everything, as before roles existed), ``AccessDenied`` (a French ``StoreError`` that
says what the role does not allow and whom to ask), and the service rule of the agents (an agent
writes the declarations of his or her own services only).

Must not: read or write a table (``users`` holds the roles, ``handle`` calls ``require``) or know
about a sign-in provider (the dashboard turns its identity into an ``Actor``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from footprint.store.errors import StoreError

# The roles of a shared instance (issue 16), in the order the Administration page lists them.
ROLES: dict[str, str] = {
    "administrateur": "administrateur",
    "referent": "référent climat",
    "dsi": "DSI",
    "agent": "agent",
    "lecteur": "lecteur",
}

# What each write needs. The administrator may do everything (a small commune's one person).
WRITES: dict[str, str] = {
    "users": "gérer les utilisateurs et leurs rôles",
    "authority": "modifier le profil de la collectivité",
    "factors": "modifier les valeurs des facteurs",
    "hosting_factors": "modifier les valeurs des facteurs de son propre hébergement",
    "declarations": "déclarer ou modifier des usages de tous les services",
    "service_declarations": "déclarer ou modifier les usages de son service",
    "validation": "valider des déclarations",
    "imports": "importer des fichiers (usages, exports d'administration, déclarations)",
    "measurements": "importer des mesures",
    "survey": "importer les réponses de l'enquête",
    "scenarios": "enregistrer des scénarios et l'objectif du PCAET",
    "register": "modifier le registre des usages de l'IA",
    "products": "choisir la base des chiffres d'un outil",
}
PERMISSIONS: dict[str, frozenset[str]] = {
    "administrateur": frozenset(WRITES),
    "referent": frozenset({"declarations", "service_declarations", "validation", "imports", "measurements",
                           "survey", "scenarios", "register", "products"}),
    "dsi": frozenset({"hosting_factors", "imports", "measurements"}),
    "agent": frozenset({"service_declarations"}),
    "lecteur": frozenset(),
}
# The factor tables a DSI may give its own values for: the profiles of the hostings (PUE, WUE…).
HOSTING_TABLE_PREFIX = "hosting_profiles"


class AccessDenied(StoreError):
    """The person's role does not allow this write: nothing was written (French message)."""


def _plain(text: str) -> str:
    """Lower case, no accents, no spaces around: how a role typed by a person is compared."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_ROLE_NAMES = {**{_plain(code): code for code in ROLES}, **{_plain(label): code for code, label in ROLES.items()},
               "referent": "referent", "referente climat": "referent", "admin": "administrateur"}


def role_code(text: str) -> str:
    """The role's code from what a person typed (« référent climat », « referent », « DSI »…);
    ``ValueError`` with a French message listing the roles otherwise."""
    found = _ROLE_NAMES.get(_plain(str(text)))
    if found is None:
        raise ValueError(f"rôle inconnu « {text} » : les rôles sont {', '.join(ROLES.values())}")
    return found


def normal_email(text: str) -> str:
    """An e-mail address as the store keeps it (trimmed, lower case); ``ValueError`` in French
    when it is not one (no @, a space, nothing before or after)."""
    email = str(text).strip().lower()
    name, at, domain = email.partition("@")
    if not at or not name or "." not in domain or any(c.isspace() for c in email) or "@" in domain:
        raise ValueError(f"« {text} » n'est pas une adresse électronique")
    return email


@dataclass(frozen=True)
class Actor:
    """The person who writes. ``role`` is a code of ``ROLES``, or None for the single-user mode's
    ``LOCAL`` person (every right, recorded under the machine's user name as before). ``services``:
    the services an agent declares for (compared without case or accents)."""

    email: str
    name: str = ""
    role: str | None = None
    services: tuple[str, ...] = field(default_factory=tuple)

    @property
    def local(self) -> bool:
        return self.role is None

    @property
    def label(self) -> str:
        """What the history records: « Nom <e-mail> », or the e-mail alone."""
        if self.local:
            return self.email
        return f"{self.name} <{self.email}>" if self.name and self.name != self.email else self.email

    @property
    def role_label(self) -> str:
        return "poste local" if self.local else ROLES[self.role]

    def may(self, write: str) -> bool:
        return self.local or write in PERMISSIONS.get(self.role, frozenset())

    def covers(self, service: object) -> bool:
        """Whether this person may write the declarations of ``service``."""
        if self.local or self.may("declarations"):
            return True
        return self.may("service_declarations") and _plain(str(service or "")) in {_plain(s) for s in self.services}


LOCAL_ROLE = None


def local_actor(user: str) -> Actor:
    """The single-user mode's person (the machine's user name): every right."""
    return Actor(email=user, role=LOCAL_ROLE)


def require(actor: Actor, write: str) -> None:
    """``AccessDenied`` unless ``actor`` may do ``write`` (a key of ``WRITES``)."""
    if not actor.may(write):
        raise AccessDenied(f"Votre rôle ({actor.role_label}) ne permet pas de {WRITES[write]} : rien n'a été "
                           "enregistré. Demandez-le à un administrateur de l'outil.")


def require_services(actor: Actor, services: Iterable[object]) -> None:
    """``AccessDenied`` unless ``actor`` may write the declarations of every service of ``services``."""
    if actor.may("declarations"):
        return
    require(actor, "service_declarations")
    outside = sorted({str(s) for s in services if not actor.covers(s)})
    if outside:
        own = ", ".join(actor.services) or "aucun"
        raise AccessDenied(f"Vous déclarez pour les services {own} : les déclarations du service "
                           f"{', '.join(f'« {s} »' for s in outside)} ne peuvent pas être enregistrées par vous ; "
                           "rien n'a été enregistré. Demandez au référent climat ou à un administrateur.")


def require_factor_tables(actor: Actor, tables: Iterable[str]) -> None:
    """``AccessDenied`` unless ``actor`` may give values for every factor table of ``tables``."""
    if actor.may("factors"):
        return
    require(actor, "hosting_factors")
    others = sorted({t for t in tables if not str(t).startswith(HOSTING_TABLE_PREFIX)})
    if others:
        raise AccessDenied(f"Votre rôle ({actor.role_label}) permet de modifier les facteurs des hébergements "
                           f"seulement, pas ceux de la table {', '.join(others)} : rien n'a été enregistré.")
