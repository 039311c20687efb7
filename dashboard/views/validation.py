"""The Validation page and what the other pages say of the review: the declarations that agents
wrote and the référent climat has not validated yet (« à valider ») or sent back (« renvoyée »,
with a comment), the counts the Synthèse shows, and the two writes (validate, send back), each
checked against the versions the référent read so that a change made meanwhile is never validated
unseen.

Must not: import Streamlit, decide a right (the store does) or compute an impact.
"""

from __future__ import annotations

import pandas as pd

from footprint.factors import FactorBase
from footprint.inventory.totals import VALIDATED, not_validated
from footprint.store import Store

__all__ = ["pending_table", "review_counts", "review_sentence", "send_back", "validate"]

PENDING, RETURNED = "à valider", "renvoyée"
COLUMNS = {"id": "Identifiant", "review": "État", "service": "Service", "product": "Outil", "use_case": "Cas d'usage",
           "year": "Année", "updated_by": "Déclaré ou modifié par", "updated_at": "Le", "review_comment":
           "Commentaire du référent"}


def pending_table(declarations: pd.DataFrame, services: tuple[str, ...] | None = None,
                  factors: FactorBase | None = None) -> pd.DataFrame:
    """The declarations not validated yet, oldest change first, with French headers (``services``:
    only those of these services, for an agent); with ``factors``, tools and use cases by their
    labels (a text typed by a person stays as typed)."""
    waiting = declarations[not_validated(declarations).to_numpy()]
    if services is not None:
        own = {s.casefold() for s in services}
        waiting = waiting[waiting["service"].fillna("").str.casefold().isin(own)]
    table = waiting.reindex(columns=list(COLUMNS)).sort_values("updated_at", kind="stable")
    table["updated_at"] = pd.to_datetime(table["updated_at"]).dt.strftime("%d/%m/%Y %H:%M")
    table["year"] = table["year"].astype("Int64")
    if factors is not None:
        names = {"product": {p.product: p.label for p in factors.products()},
                 "use_case": factors.labels("use_cases", "use_case")}
        for column, labels in names.items():
            table[column] = table[column].map(lambda v, labels=labels: labels.get(v, v) if isinstance(v, str) else v)
    return table.rename(columns=COLUMNS).reset_index(drop=True)


def review_counts(declarations: pd.DataFrame) -> dict[str, int]:
    """How many declarations are « validée », « à valider » and « renvoyée »."""
    review = declarations.get("review", pd.Series(VALIDATED, index=declarations.index)).fillna(VALIDATED)
    return {state: int((review == state).sum()) for state in (VALIDATED, PENDING, RETURNED)}


def review_sentence(declarations: pd.DataFrame) -> str | None:
    """What the Synthèse says when some declarations are not validated yet; None when all are."""
    counts = review_counts(declarations)
    if not counts[PENDING] and not counts[RETURNED]:
        return None
    return (f"{counts[VALIDATED]} déclaration(s) validée(s), {counts[PENDING]} à valider et {counts[RETURNED]} "
            "renvoyée(s) au déclarant. Les chiffres de cette page les comptent toutes ; l'export PCAET/BEGES et le "
            "rapport ne comptent que les validées, sauf si vous demandez le contraire.")


def _versions(declarations: pd.DataFrame, ids: list[str]) -> dict[str, int]:
    shown = declarations.set_index("id")["version"]
    return {i: int(shown[i]) for i in ids if i in shown.index}


def validate(store: Store, declarations: pd.DataFrame, ids: list[str]) -> int:
    """Validate ``ids`` as the référent read them in ``declarations`` (``StoreConflict`` if one changed)."""
    return store.validate(list(ids), expected_versions=_versions(declarations, ids))


def send_back(store: Store, declarations: pd.DataFrame, ids: list[str], comment: str) -> int:
    """Send ``ids`` back with ``comment`` (required: the declarant must know what to change)."""
    from core.errors import InputError

    text = " ".join(str(comment or "").split())
    if not text:
        raise InputError.single("dites au déclarant ce qu'il faut changer (commentaire vide)", column="Commentaire")
    return store.send_back(list(ids), text, expected_versions=_versions(declarations, ids))


def pending_of(declarations: pd.DataFrame, services: tuple[str, ...], factors: FactorBase | None = None
               ) -> pd.DataFrame:
    """An agent's declarations that the référent sent back, with the comment (French headers)."""
    table = pending_table(declarations, services, factors)
    return table[table["État"] == RETURNED].reset_index(drop=True)
