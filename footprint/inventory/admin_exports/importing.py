"""An admin export turned into product declarations aggregated by service, checked, and saved in
one transaction; no person is ever kept.

Owns: the presets (``PRESETS``, ``ADMIN_PRESETS``), the product a caller may choose, each user's
service (the mapping, else the caller's service, else « (service non précisé) »), the aggregation
by service × product (a count of users, never a name), the scaling of a period's messages to the
inventory year (× days of the year / days of the period) and of its active days likewise, one
declaration per preset, year, service and product (its id stable: importing the same file twice
adds nothing, a later export of the same year makes a new version), their check by the
declarations' rules and their saving with the import's record.

Must not: keep a user (name, e-mail, id or hash: not in a declaration, a comment, the imports
table or a problem written anywhere), compute an impact (``engine``, through the check), or
write outside one store transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InputError, Problem
from footprint.factors import FactorBase
from footprint.inventory.admin_exports import chatgpt_workspace, le_chat, m365_copilot
from footprint.inventory.admin_exports.activity import (
    ACTIVE,
    ACTIVE_DAYS,
    MESSAGES,
    MESSAGES_LEVEL,
    OTHER_KEY,
    PRODUCT,
    USER,
    Activity,
    Preset,
)
from footprint.inventory.admin_exports.mapping import service_of
from footprint.inventory.admin_exports.values import period_problem
from footprint.inventory.declarations import check
from footprint.io.cells import has_control_characters
from footprint.io.formatting import format_number
from footprint.store import Store
from footprint.vocabulary import DECLARATION_COLUMNS, DECLARATION_DTYPES, FILE_COLUMNS, for_audience, year_problem

PRESETS: dict[str, Preset] = {p.name: p for p in (m365_copilot.PRESET, chatgpt_workspace.PRESET, le_chat.PRESET)}
# Each preset -> what its file is and where a DSI downloads it (French).
ADMIN_PRESETS: dict[str, str] = {name: preset.description for name, preset in PRESETS.items()}


@dataclass(frozen=True)
class AdminExport:
    """What an admin export gives, before anything is written: its declarations (store columns)
    and what an import would say. ``rows``: data rows read; ``users``: distinct users of the file;
    ``active_users``: those counted (active in the period); ``unmapped_users``: active users the
    mapping did not name, counted in the default service (0 without a mapping); ``period_days``,
    ``start``, ``end``: the period the file covers; ``scaling``: days of the inventory year ÷ days
    of the period (what counted messages and active days were multiplied by); ``level``:
    ``messages`` (counted) or ``users`` (active users); ``notes``: what was deduced (French)."""

    preset: str
    file_name: str
    digest: str
    rows: int
    users: int
    active_users: int
    unmapped_users: int
    period_days: float
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    year: int
    scaling: float
    level: str
    declarations: pd.DataFrame
    notes: tuple[str, ...]


@dataclass(frozen=True)
class AdminImport(AdminExport):
    """An admin export saved: ``counts`` of the declarations created, modified and unchanged."""

    counts: dict[str, int] | None = None


def import_admin_export(source: Path | str | bytes, store: Store, factors: FactorBase, preset: str, *,
                        services: dict[str, str] | None = None, service: str | None = None,
                        product: str | None = None, year: int | None = None, name: str | None = None,
                        period_days: float | None = None) -> AdminImport:
    """Read an admin export (``read_admin_export``), then save its declarations in one
    transaction with the import's record (kind ``admin:<preset>``, file name, SHA-256). All or
    nothing: a file refused writes nothing."""
    export = read_admin_export(source, factors, preset, services=services, service=service, product=product,
                               year=year, name=name, period_days=period_days)
    counts = store.save(export.declarations, action=f"export d'administration {export.file_name}",
                        import_record={"kind": f"admin:{preset}", "file_name": export.file_name,
                                       "file_sha256": export.digest, "replaces": True})
    return AdminImport(**export.__dict__, counts=counts)


def read_admin_export(source: Path | str | bytes, factors: FactorBase, preset: str, *,
                      services: dict[str, str] | None = None, service: str | None = None, product: str | None = None,
                      year: int | None = None, name: str | None = None,
                      period_days: float | None = None) -> AdminExport:
    """The product declarations of an admin export (a path, or the bytes of an upload shown as
    ``name``, never used as a path), one per service and product, checked as the import would
    check them; nothing is written.

    ``services``: user -> service (``mapping.read_user_services``); a user it does not name goes
    to ``service``, else « (service non précisé) ». ``product``: the catalogue product when the
    export cannot tell the plan (ChatGPT Enterprise or Business, Le Chat Enterprise or Team; the
    first by default). ``year``: the inventory year, else the year the export's period ends in.
    ``period_days``: the days the export covers, when the file does not say (an admin center
    Copilot report without « Report Period »). Raises ``InputError`` (French: file, line,
    column, value) for anything that cannot be read or declared."""
    chosen = PRESETS.get(preset)
    if chosen is None:
        raise InputError.single(f"format d'export inconnu (attendus : {', '.join(PRESETS)})", column="--preset",
                                value=preset)
    product_id = _product(chosen, product, factors)
    default = _default_service(service)
    _check_arguments(year, period_days)
    activity = chosen.read(source, name, product_id, period_days)
    inventory_year = year if year is not None else activity.year
    if inventory_year is None:
        raise InputError.single("année d'inventaire inconnue : l'export ne date pas sa période ; précisez l'année",
                                file=activity.file_name, column="--year")
    span = (activity.end - activity.start).days + 1 if activity.start is not None and activity.end is not None else 0
    if max(activity.period_days, span) > _days_in(inventory_year):
        # Folded into one year, two years of use would count as one (× less than 1).
        covered = f"{format_number(max(activity.period_days, span))} jours ({_period_text(activity)})"
        raise InputError.single(f"l'export couvre {covered}, plus d'une année : exportez une année d'inventaire à la "
                                "fois",
                                file=activity.file_name, column="--year")
    active = activity.users[activity.users[ACTIVE]].copy()
    if active.empty:
        raise InputError.single(f"aucun utilisateur actif sur la période de l'export ({_period_text(activity)}) : "
                                "rien à déclarer", file=activity.file_name)
    active["service"], unmapped = _services(active, services, default)
    declarations, counted = _declarations(chosen, activity, active, inventory_year)
    try:
        check(declarations, factors, file_name=activity.file_name)
    except InputError as error:
        # The lines are those of the aggregated declarations, not of the export: none is given.
        unlocated = [Problem(p.message, file=activity.file_name, column=p.column, value=p.value)
                     for p in error.problems]
        raise InputError(for_audience(unlocated, "file", extra={FILE_COLUMNS["year"]: "--year"})) from None
    notes = list(activity.notes)
    if year is None and activity.year_from:
        notes.append(f"année d'inventaire {inventory_year}, d'après {activity.year_from}")
    return AdminExport(preset, activity.file_name, activity.digest, activity.rows, activity.user_count, counted,
                       unmapped, activity.period_days, activity.start, activity.end, inventory_year,
                       _days_in(inventory_year) / activity.period_days, activity.level, declarations, tuple(notes))


def _product(preset: Preset, product: str | None, factors: FactorBase) -> str:
    """The catalogue product the caller chose (its id, label or an alias), one of the preset's;
    the preset's default when none is given."""
    for known in preset.products:
        if factors.product_id(known) != known:
            raise InputError.single(f"produit « {known} » absent du catalogue des produits (emission_factors/"
                                    "products.csv)", column="--product", value=known)
    if product is None:
        return preset.products[0]
    if not preset.choosable:
        raise InputError.single(f"l'export {preset.label} dit lui-même le produit de chaque usage : n'en précisez pas",
                                column="--product", value=product)
    found = factors.product_id(product)
    if found not in preset.products:
        raise InputError.single(f"produit inattendu pour l'export {preset.label} (attendus : "
                                f"{', '.join(preset.products)})", column="--product", value=product)
    return found


def _default_service(service: str | None) -> str:
    """The service of the users no mapping names: the caller's, else « (service non précisé) »."""
    if service is None:
        from footprint.inventory.usage_logs.importing import NO_SERVICE  # deferred: usage_logs imports the mapping

        return NO_SERVICE
    if not service.strip():
        raise InputError.single("service vide : indiquez le nom du service, ou n'en indiquez pas", column="--service",
                                value=service)
    if has_control_characters(service):
        raise InputError.single("caractère de contrôle invisible (collé depuis un autre logiciel ?) : retirez-le",
                                column="--service")
    return service.strip()


def _check_arguments(year: int | None, period_days: float | None) -> None:
    problems = []
    if year is not None and (reason := year_problem(year)) is not None:
        problems.append(Problem(reason, column="--year", value=year))
    if period_days is not None and (reason := period_problem(period_days)) is not None:
        problems.append(Problem(reason, column="--period-days", value=period_days))
    if problems:
        raise InputError(problems)


def _services(active: pd.DataFrame, services: dict[str, str] | None, default: str) -> tuple[pd.Series, int]:
    """Each active row's service (its user, else its other identifier, in the mapping; else the
    default) and how many active users the mapping did not name."""
    if not services:
        return pd.Series(default, index=active.index, dtype="string"), 0
    missing = "\x00"  # not a service: a mapping refuses control characters
    found = service_of(active[USER], services, missing)
    other = active[OTHER_KEY].astype("string")
    if other.notna().any():
        found = found.mask(found == missing, service_of(other, services, missing))
    unmapped = found == missing
    return found.mask(unmapped, default), int(active.loc[unmapped, USER].str.lower().nunique())


def _days_in(year: int) -> int:
    """The days of a calendar year (366 in a leap year)."""
    return (date(year + 1, 1, 1) - date(year, 1, 1)).days


def _declarations(preset: Preset, activity: Activity, active: pd.DataFrame, year: int) -> tuple[pd.DataFrame, int]:
    """One declaration per service and product (store columns), and the users they count."""
    days_in_year = _days_in(year)
    scaling = days_in_year / activity.period_days
    # A user is counted once per service and product, whatever the periods of the file (weeks…).
    grouped = active.assign(_key=active[USER].str.lower()).groupby(["service", PRODUCT], sort=True).agg(
        users=("_key", "nunique"), messages=(MESSAGES, "sum"), active_days=(ACTIVE_DAYS, "sum"),
        with_days=(ACTIVE_DAYS, "count")).reset_index()
    counted_level = activity.level == MESSAGES_LEVEL
    per_user_days = (grouped["active_days"] / grouped["with_days"]).where(grouped["with_days"] > 0)
    keys = (preset.name + "|" + str(year) + "|" + grouped["service"].astype(str) + "|" + grouped[PRODUCT]).tolist()
    frame = pd.DataFrame({
        "id": [f"A-{year}-{hashlib.sha256(k.encode()).hexdigest()[:8]}" for k in keys],
        "year": year,
        "service": grouped["service"],
        "kind": "llm",
        "product": grouped[PRODUCT],
        "messages": (grouped["messages"] * scaling) if counted_level else np.nan,
        "users": np.nan if counted_level else grouped["users"].astype(float),
        "days_per_year": np.nan if counted_level else per_user_days * scaling,
        "comment": [_comment(preset, activity, row, days_in_year) for row in grouped.itertuples(index=False)],
        "origin": f"admin:{activity.file_name}",
    })
    frame = frame.reindex(columns=list(DECLARATION_COLUMNS)).astype(dict(DECLARATION_DTYPES))
    return frame, int(active[USER].str.lower().nunique())


def _comment(preset: Preset, activity: Activity, row, days_in_year: int) -> str:
    """What a declaration was made from (French): the file, its period, the scaling, the number
    of users aggregated; a count, never a name."""
    period = _period_text(activity)
    scaling = f"× {days_in_year}/{format_number(activity.period_days)} pour l'année"
    plural = "s" if row.users > 1 else ""
    users = f"{format_number(row.users)} utilisateur{plural} actif{plural}"
    head = f"Export d'administration {activity.file_name} ({preset.label})"
    if activity.level == MESSAGES_LEVEL:
        return (f"{head} : {format_number(row.messages)} {preset.count_noun} {period}, {scaling} ; {users} "
                f"agrégé{plural}")
    if row.with_days:
        days = f"{format_number(row.active_days / row.with_days)} jours d'activité par utilisateur, {scaling}"
    else:
        days = "messages par jour et jours d'usage : ceux du catalogue"
    return f"{head} : {users} {period} ; {days}"


def _period_text(activity: Activity) -> str:
    days = f"{format_number(activity.period_days)} jours"
    if activity.start is None or activity.end is None:
        return f"sur {days}"
    return f"du {activity.start:%d/%m/%Y} au {activity.end:%d/%m/%Y} ({days})"
