"""The Collectivité page: the profile of the collectivité, set once (name, SIREN, population,
head-count, latest BEGES, territorial inventory, PCAET objective), the form's fields with their
French labels and plausible bounds, the refusals named by the field's label, and the profile's
history.

Must not: import Streamlit, check a value itself (``footprint.inventory.authority.check_profile``
does), hold a number of its own (bounds in ``schema.toml`` [inputs]), or write to the store except
through ``save_profile``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import pandas as pd

from core.errors import InputError
from emission_factors.schema import read_input_bounds
from footprint.inventory.authority import BY_KEY, BY_NAME, FIELDS, Field, Profile, check_profile, profile_of
from footprint.io.cells import is_missing
from footprint.store import Store

__all__ = ["PROFILE_FIELDS", "FormField", "ProfileSaved", "form_fields", "is_example_profile", "profile_history",
           "profile_problems", "save_profile", "stored_profile"]

PROFILE_FIELDS = FIELDS
# Who saved the example's profile (``dashboard.example``): the page says it is to be replaced.
EXAMPLE_USER = "exemple"


class FormField(NamedTuple):
    """One field of the form: its store column, French name, label, whether it is a number, an
    integer, its plausible bounds (None for text) and its value now (None when not set)."""

    key: str
    name: str
    label: str
    number: bool
    integer: bool
    minimum: float | int | None
    maximum: float | int | None
    value: object


def _bounds(field: Field) -> tuple[float | int | None, float | int | None]:
    if field.bound is None:
        return None, None
    bound = read_input_bounds()[field.bound]
    cast = int if field.integer else float
    return cast(bound.minimum), cast(bound.maximum)


def form_fields(current: Mapping[str, object] | None) -> list[FormField]:
    """Every field of the profile, in its order, with its value in ``current`` (a row of
    ``Store.authority_profile``): integers as ``int`` (shown « 98500 », not « 98500.0 »)."""
    shown = []
    for field in FIELDS:
        value = (current or {}).get(field.key)
        if is_missing(value):
            value = None
        elif field.bound is not None:
            value = int(value) if field.integer else float(value)
        minimum, maximum = _bounds(field)
        shown.append(FormField(field.key, field.name, field.label, field.bound is not None, field.integer,
                               minimum, maximum, value))
    return shown


def stored_profile(store: Store) -> Profile | None:
    """The profile the store holds, None when none was set."""
    return profile_of(store.authority_profile())


def is_example_profile(current: Mapping[str, object] | None) -> bool:
    """Whether the profile held is the example's (saved when the example inventory was loaded)."""
    return bool(current) and current.get("saved_by") == EXAMPLE_USER


def profile_problems(error: InputError) -> list[str]:
    """The refusals of ``check_profile`` in French, each naming the field by its label:
    « Population (habitants) : un nombre entier est attendu (valeur : 12,5) »."""
    said = []
    for problem in error.problems:
        field = BY_NAME.get(problem.column or "") or BY_KEY.get(problem.column or "")
        where = field.label if field else (problem.column or "Profil")
        value = "" if is_missing(problem.value) or str(problem.value) == "" else f" (valeur : {problem.value})"
        said.append(f"{where} : {problem.message}{value}")
    return said


class ProfileSaved(NamedTuple):
    """What became of a profile sent by the form: ``saved`` (False when refused or unchanged),
    the refusals (``profile_problems``), and the profile held afterwards."""

    saved: bool
    problems: list[str]
    profile: Profile | None


def save_profile(store: Store, values: Mapping[str, object], user: str | None = None) -> ProfileSaved:
    """Check ``values`` (by store column or French name; a field given empty is cleared, one not
    given keeps its value) over the profile held, and record it as a new version. Nothing is
    written when a value is refused or when nothing changed."""
    current = store.authority_profile()
    try:
        profile = check_profile(values, current)
    except InputError as error:
        return ProfileSaved(False, profile_problems(error), profile_of(current))
    saved = store.save_authority_profile(profile.values(), user=user)
    return ProfileSaved(saved, [], profile)


def profile_history(store: Store) -> pd.DataFrame:
    """Every version of the profile, latest first, with the fields' labels as headers, who and when."""
    history = store.authority_history()
    columns = {field.key: field.label for field in FIELDS}
    if history.empty:
        return pd.DataFrame(columns=["Enregistré le", "Par", *columns.values()])
    shown = pd.DataFrame({"Enregistré le": pd.to_datetime(history["saved_at"]).dt.strftime("%d/%m/%Y %H:%M"),
                          "Par": history["saved_by"].astype(str)})
    for field in FIELDS:
        values = history[field.key]
        if field.integer:
            values = values.astype("Int64")
        shown[columns[field.key]] = values.to_numpy()
    return shown.iloc[::-1].reset_index(drop=True)
