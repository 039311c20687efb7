"""The Registre page: the register of AI uses (one entry per use, grouping its declarations) with
each entry's footprint for the year and the source of its hosting fields, the form of one
entry's fields (their allowed values, their value now), its saving (only what was changed: a
default left as it is stays a default; refusals by field label, the conflict when someone saved
it meanwhile), its deletion and restoration (soft, checked against the version read), its
history, and the export files (CSV, JSON).

Must not: import Streamlit, check a value itself (``footprint.inventory.register.check_entry``
does), hold a number of its own, or write to the store except through ``save_register_form``,
``delete_register_entry`` and ``restore_register_entry``.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from core.errors import InputError
from footprint.factors import FactorBase
from footprint.inventory import register
from footprint.io.formatting import format_range
from footprint.store import Store, StoreConflict

__all__ = ["EntryField", "RegisterSaved", "deleted_entries", "delete_register_entry", "entry_fields", "entry_history",
           "export_file", "hosting_source", "register_entries", "register_table", "restore_register_entry",
           "save_register_form"]

# The columns of the table, by label: the fields people read first (the source of the hosting
# fields after them), then the footprint.
TABLE_FIELDS = ("entry_id", "name", "service", "status", "provider", "model", "hosting", "location", "in_eu", "law",
                "personal_data", "dpia", "ai_act_risk", "human_oversight", "legal_basis", "contact", "last_review")
_UNITS = {"energy_kwh": ("Énergie", "kWh"), "gwp_kgco2e": ("Émissions de GES", "kgCO2e"), "water_l": ("Eau", "L")}


class EntryField(NamedTuple):
    """One field of the form: its key, label, allowed values (None: free text), date or not, value now."""

    key: str
    label: str
    allowed: tuple[str, ...] | None
    is_date: bool
    value: str | None


class RegisterSaved(NamedTuple):
    """What saving the form did: the new version, or the refusals (by label), or the conflict's message."""

    version: int | None
    problems: list[str]
    conflict: str | None


def register_entries(store: Store, factors: FactorBase, year: int) -> pd.DataFrame:
    """The entries of ``year`` with their footprint (``footprint.inventory.register.entries``)."""
    return register.entries(store, factors, year)


def deleted_entries(store: Store, factors: FactorBase, year: int) -> pd.DataFrame:
    """The deleted entries of ``year`` (their fields as they were, their footprint), which the
    page can restore."""
    found = register.entries(store, factors, year, include_deleted=True)
    deleted = found[found["deleted"]].reset_index(drop=True)
    deleted.attrs = dict(found.attrs)
    return deleted


def _shown(value: object) -> str:
    return register.NOT_GIVEN if value is None or (isinstance(value, float) and pd.isna(value)) or \
        not str(value).strip() else str(value)


def register_table(entries: pd.DataFrame) -> pd.DataFrame:
    """The register as people read it: labels for columns, « non renseigné » for what nobody gave,
    the source of the hosting fields, the footprint as French ranges (« 32,1 kgCO2e (de 30,5 à
    33,7 kgCO2e) »)."""
    table = pd.DataFrame({register.BY_KEY[k].label: entries[k].map(_shown) for k in TABLE_FIELDS})
    table.insert(TABLE_FIELDS.index("law") + 1, register.HOSTING_SOURCE_LABEL,
                 entries[register.HOSTING_SOURCE].map(_shown))
    for impact, (label, unit) in _UNITS.items():
        table[f"{label} ({entries.attrs.get('year', '')})"] = [
            format_range(low, central, high, unit) for low, central, high in zip(
                entries[f"{impact}_low"], entries[f"{impact}_central"], entries[f"{impact}_high"])]
    table["Déclarations"] = entries["declarations"].fillna("")
    return table


def entry_fields(row: dict) -> list[EntryField]:
    """The editable fields of one entry (a row of ``register_entries``), in the register's order."""
    def shown(value):
        return None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)

    return [EntryField(k, register.BY_KEY[k].label, register.BY_KEY[k].allowed, register.BY_KEY[k].is_date,
                       shown(row.get(k))) for k in register.EDITABLE]


def hosting_source(row: dict) -> str | None:
    """Where the location, « dans l'UE » and law of an entry come from (the factor base's sources,
    or what was typed); None when nothing is known."""
    value = row.get(register.HOSTING_SOURCE)
    return None if _shown(value) == register.NOT_GIVEN else str(value)


def _changed(row: dict, values: dict) -> dict:
    """The form's values that differ from what the form showed: a default left as it is (the
    jurisdictions table's location or law, a declaration's owner) is not saved over, so that it
    stays a default with its source; an emptied field is sent empty (cleared)."""
    def text(value):
        return None if _shown(value) == register.NOT_GIVEN else str(value).strip()

    return {key: value for key, value in values.items() if text(value) != text(row.get(key))}


def save_register_form(store: Store, row: dict, values: dict, user: str | None = None) -> RegisterSaved:
    """Save the form's values that the user changed (``_changed``) over the entry ``row`` (a row
    of ``register_entries``, with the version the user read)."""
    try:
        version = register.save_entry(store, row["entry_id"], _changed(row, values), int(row["version"]), user=user,
                                      key=row)
    except InputError as error:
        return RegisterSaved(None, [f"{register.BY_NAME[p.column].label if p.column in register.BY_NAME else p.column}"
                                    f" : {p.message}" for p in error.problems], None)
    except StoreConflict as error:
        return RegisterSaved(None, [], str(error))
    return RegisterSaved(version, [], None)


def delete_register_entry(store: Store, row: dict, user: str | None = None) -> RegisterSaved:
    """Soft-delete the entry ``row`` (with the version the user read): it leaves the register, its
    history keeps it; the conflict's message when someone changed it meanwhile."""
    try:
        version = register.delete_entry(store, row["entry_id"], int(row["version"]), user=user, key=row)
    except StoreConflict as error:
        return RegisterSaved(None, [], str(error))
    return RegisterSaved(version, [], None)


def restore_register_entry(store: Store, row: dict, user: str | None = None) -> RegisterSaved:
    """Bring the deleted entry ``row`` (with the version the user read) back into the register;
    the conflict's message when someone changed it meanwhile."""
    try:
        version = register.restore_entry(store, row["entry_id"], int(row["version"]), user=user)
    except StoreConflict as error:
        return RegisterSaved(None, [], str(error))
    return RegisterSaved(version, [], None)


def entry_history(store: Store, entry_id: str) -> pd.DataFrame:
    """Every saved version of an entry, oldest first (version, when, who, then its fields by label)."""
    found = register.entry_history(store, entry_id)
    return found.rename(columns={"version": "Version", "saved_at": "Enregistrée le", "saved_by": "Par",
                                 "deleted": "Supprimée"})


def export_file(entries: pd.DataFrame, fmt: str) -> bytes:
    """The register as ``registre.csv`` or ``registre.json`` (``export_register``)."""
    return register.export_register(entries, fmt)
