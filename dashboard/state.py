"""Streamlit glue shared by the pages: the cached factor base and store handle, what the pages
show computed once per state of the store, the year picker, the example banner and the display
of French error messages.

Every session of the server runs in its own thread and the caches are shared by all of them, so
a cache hands out either a resource safe for many threads (``st.cache_resource``: the factor
base, whose every query runs on a cursor of the calling thread, and the store handle) or data
that no session can change for another (``per_revision``: ``st.cache_data``, each call gets its
own copy). The store handle is cached, not an open connection: DuckDB lets one process hold the
file, so each read or write opens it briefly and the command line can write while the dashboard
runs. What is computed from the store is cached under the store's path and revision (a cheap
token that changes with every write), so a rerun after a widget change recomputes nothing.

Must not: compute an impact or hold a formula (``footprint``, ``scenarios``, ``views``).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import logging
import threading
from contextlib import contextmanager

import pandas as pd
import streamlit as st

from core.errors import InputError
from dashboard import example, roles, signin, views
from dashboard.markdown import as_text
from emission_factors.schema import read_defaults
from footprint.factors import FactorBase
from footprint.inventory import Inventory, bases_of, inventory_of
from footprint.measurement import MeasurementError
from footprint.store import Snapshot, Store, StoreError, default_path

LOG = logging.getLogger("empreinte_ia.dashboard")
YEAR_KEY = "annee_inventaire"


@st.cache_resource(show_spinner="Chargement de la base de facteurs…")
def base_factors() -> FactorBase:
    return FactorBase.load()


@st.cache_resource
def _store(path: str) -> Store:
    return Store(path)


def store() -> Store:
    """The store, as this session's signed-in person writes to it (every write checked against
    the role by the library); the plain handle in the single-user mode."""
    handle = _store(str(default_path()))
    actor = roles.current()
    return handle if actor is None else handle.acting(actor)


def sign_in():
    """This session's person (``roles.sign_in``): None in the single-user mode; in the shared
    mode, a visitor who has not signed in, or has no role, reads why and the script stops."""
    return roles.sign_in(signin.identity(), _store(str(default_path())), _role_of)


def _file_state(path) -> tuple:
    states = []
    for candidate in (path, path.with_name(path.name + ".wal")):
        try:
            found = candidate.stat()
            states.append((found.st_mtime_ns, found.st_size))
        except FileNotFoundError:
            states.append(None)
    return tuple(states)


@st.cache_resource(max_entries=4)
def _snapshot(path: str, file_state: tuple) -> Snapshot:
    """Shared by every session: only read here (its revision, copies of its frames)."""
    return _store(path).snapshot()


_PINNED = threading.local()


def _current() -> Snapshot:
    """The state of the store this thread reads: the one a cached computation started from (so
    that all it reads belongs to the revision it is cached under), else the latest."""
    pinned = getattr(_PINNED, "snapshot", None)
    if pinned is not None:
        return pinned
    path = default_path()
    return _snapshot(str(path), _file_state(path))


@contextmanager
def _pinned():
    """Within the block, this thread reads one state of the store (the latest when it begins)."""
    outer = getattr(_PINNED, "snapshot", None)
    _PINNED.snapshot = current = _current()
    try:
        yield current
    finally:
        _PINNED.snapshot = outer


def snapshot() -> Snapshot:
    """What the store holds (revision, active declarations, factor overrides), read again only
    when its files changed on disk: a stat of the file and of its write-ahead log costs
    microseconds, a connection to the file tens of milliseconds. The frames are the caller's own."""
    current = _current()
    return dataclasses.replace(current, declarations=current.declarations.copy(),
                               factor_overrides=current.factor_overrides.copy(),
                               product_bases=current.product_bases.copy())


def revision() -> tuple:
    """The store's revision: the key of everything computed from the store."""
    return _current().revision


def per_revision(max_entries: int = 4, spinner: str | bool = False):
    """The cache of what the pages show: ``function(*args)`` is computed once per store (its
    path and revision) and arguments, then every call, from any session, gets its own copy
    (``st.cache_data`` keeps the value pickled and unpickles it for each call), so that a
    session changing what it got changes nothing for the others. ``function`` reads the store
    and the factor base through this module: ``snapshot()``, ``factors()``, ``inventory()``…
    give it the state of the revision it is cached under, even if someone writes meanwhile
    (what it reads from ``store()`` itself is at least as recent). The factor base depends on
    the store's revision too (the authority's own values)."""

    def decorate(function):
        def compute(path: str, store_revision: tuple, args: tuple, _run):
            return _run()

        # Streamlit names a cache after its function's module and qualified name: one per function.
        compute.__module__, compute.__qualname__ = function.__module__, f"{function.__qualname__}.per_revision"
        cached = st.cache_data(max_entries=max_entries, show_spinner=spinner)(compute)
        signature = inspect.signature(function)

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            # The key holds every argument, defaults included, by position: ``f(2025, ids)`` and
            # ``f(2025, ids, to_year=2030)`` are one entry.
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            with _pinned() as current:
                return cached(str(default_path()), current.revision, bound.args, lambda: function(*bound.args))

        return wrapper

    return decorate


@per_revision(max_entries=256)
def _role_of(email: str):
    # Read once per e-mail and state of the store (a change of role is a write: a new revision),
    # not by a connection to the file at every rerun of every session.
    return _store(str(default_path())).role_of(email)


def declarations():
    """The active declarations of every year (a copy of the caller's own)."""
    return snapshot().declarations


@st.cache_resource(max_entries=4)
def _factors(path: str, store_revision: tuple, _overrides) -> FactorBase:
    return base_factors().with_overrides(_overrides)


def factors() -> FactorBase:
    """The factor base with the authority's own values (Facteurs page) applied; shared by every
    session (a ``FactorBase`` is safe for many threads and its tables never change)."""
    current = _current()
    return _factors(str(default_path()), current.revision, current.factor_overrides)


@per_revision(max_entries=8, spinner="Calcul de l'inventaire…")
def _inventory(year: int, validated_only: bool = False) -> Inventory:
    held = snapshot()
    return inventory_of(held.declarations, factors(), year, bases_of(held.product_bases),
                        validated_only=validated_only)


class _Alternatives(dict):
    """``Inventory.alternatives`` (the engine's figures of other models and hostings, which each
    projection of an inventory adds to): one per inventory, shared by all its copies in every
    session, so that no projection computes them twice. Safe for many threads: an entry, once
    there, is never replaced and its arrays are read-only. A pickled copy is a plain dict."""

    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()

    def __setitem__(self, key, value) -> None:
        for array in value.values() if isinstance(value, dict) else ():
            if hasattr(array, "flags"):
                array.flags.writeable = False
        with self._lock:
            self.setdefault(key, value)

    def __reduce__(self):
        return dict, (dict(self),)


@st.cache_resource(max_entries=8)
def _alternatives(path: str, store_revision: tuple, year: int, validated_only: bool) -> _Alternatives:
    # One per inventory: the validated declarations only are another set of rows, whose
    # alternatives must not be mixed with those of the whole year.
    return _Alternatives()


def inventory(year: int, validated_only: bool = False) -> Inventory:
    """The inventory of ``year`` (the caller's own copy), computed once per state of the store and
    of the factors; ``validated_only``: without the declarations the référent has not validated
    (what the exports count unless asked otherwise)."""
    with _pinned() as current:
        found = _inventory(year, validated_only)
        found.alternatives = _alternatives(str(default_path()), current.revision, year, validated_only)
    return found


@per_revision(max_entries=8)
def synthesis(year: int) -> dict:
    """The Synthèse page's figures and tables for ``year`` (with the collectivité's profile), once
    per state of the store."""
    return views.synthesis(inventory(year), factors(), profile())


@per_revision(max_entries=4)
def years() -> list[int]:
    return views.inventory_years(declarations())


def start() -> None:
    """First start: create the store with the example inventory, once per server."""
    _first_start(str(default_path()))


@st.cache_resource
def _first_start(path: str) -> bool:
    from pathlib import Path

    if Path(path).exists():
        return False
    created = _store(path)
    created.schema_version()  # creates the file, so that a failed example load is not retried forever
    try:
        example.create_example(created, base_factors())
    except (InputError, StoreError) as error:
        LOG.error("exemple non chargé : %s", error)
    return True


def year_picker() -> int | None:
    """The inventory year chosen in the sidebar (the latest by default); None if the store is empty."""
    found = years()
    if not found:
        return None
    if st.session_state.get(YEAR_KEY) not in found:
        st.session_state[YEAR_KEY] = found[0]
    return st.sidebar.selectbox("Année d'inventaire", found, key=YEAR_KEY)


def required_year(empty_message: str) -> int:
    """The chosen inventory year; on an empty store, ``empty_message`` and the page stops there."""
    year = year_picker()
    if year is None:
        st.info(empty_message)
        st.stop()
    return year


def example_banner() -> None:
    """Say clearly when the example inventory is shown, with the button that clears it."""
    ids = example.example_ids(declarations())
    if not ids:
        return
    with st.container(border=True):
        st.markdown(f"**Inventaire d'exemple** : {as_text(example.AUTHORITY)}, données fictives ({len(ids)} "
                    "déclarations). Remplacez-le par vos propres usages ; il reste dans l'historique et peut être "
                    "restauré.")
        if roles.may("declarations") and st.button("Vider l'exemple", key="vider_exemple", type="secondary"):
            with guard():
                count = example.clear_example(store())
                confirm(f"Exemple retiré : {count} déclaration(s).")


CONFIRMATION_KEY = "_empreinte_ia_confirmation"  # session state: what the last write said, shown after its rerun


def confirm(message: str) -> None:
    """Say that a write is done, then rerun the page: the message (Markdown already escaped by the
    caller) is shown at the top of the next run (``show_confirmation``), where a toast sent just
    before a rerun could be lost with the run it belonged to."""
    st.session_state[CONFIRMATION_KEY] = message
    st.rerun()


def show_confirmation() -> None:
    """The message of the write that caused this rerun, once (``confirm``)."""
    message = st.session_state.pop(CONFIRMATION_KEY, None)
    if message:
        st.success(message, icon=":material/check_circle:")
        st.toast(message)


def show_error(error: Exception) -> None:
    """A French message, and the list of problems for bad input; never a traceback."""
    if isinstance(error, InputError):
        count = len(error.problems)
        # A message quotes what the person typed or uploaded: shown as text, never as Markdown.
        st.error("Saisie refusée, rien n'a été enregistré : " + (
            as_text(error.problems[0]) if count == 1 else f"{count} problèmes, détaillés ci-dessous."))
        if count > 1 or error.problems[0].file:
            st.dataframe(views.problems_table(error), hide_index=True, width="stretch", placeholder="—")
    else:
        st.error(as_text(error))


@contextmanager
def guard():
    """Run a user action; bad input, a busy store or a failed measurement become French messages."""
    try:
        yield
    except (InputError, StoreError, MeasurementError) as error:
        show_error(error)


def unexpected(error: Exception) -> None:
    """A bug: a French message in the page, the details in the server's log only."""
    LOG.exception("erreur inattendue dans le tableau de bord", exc_info=error)
    st.error("Erreur inattendue : l'opération n'a pas abouti et rien n'a été modifié. Le détail technique est "
             "dans le terminal qui a lancé le tableau de bord ; signalez-le à l'équipe Empreinte IA.")


def editor_columns(table) -> dict:
    """Column settings of the table editor: numbers shown the French way, kinds from a list."""
    from footprint.vocabulary import KINDS_FR

    settings = {column: st.column_config.NumberColumn(column, format="localized")
                for column in table.columns if str(table[column].dtype).startswith("float")}
    settings["Type"] = st.column_config.SelectboxColumn("Type", options=sorted(set(KINDS_FR.values())))
    return settings


@per_revision(max_entries=4)
def scenarios() -> dict:
    """Built-in and saved scenarios, by id."""
    from scenarios.definitions import available

    return available(store())


@per_revision(max_entries=16, spinner="Projection des scénarios…")
def projection(year: int, ids: list[str], to_year: int = read_defaults().horizon, trial: tuple[str, str] | None = None):
    """The projection of the ``year`` inventory under the scenarios ``ids``, cached. ``trial``: a
    scenario not saved yet, projected after them (its id and TOML text, from
    ``views.derive_scenario``)."""
    from scenarios.projection import project

    known = scenarios()
    chosen = [known[i] for i in ids] + ([views.derived_scenario(trial[1], trial[0])] if trial else [])
    return project(inventory(year), chosen, factors(), to_year)


@per_revision(max_entries=4, spinner="Calcul des recommandations…")
def recommendations(year: int) -> list:
    from scenarios.recommendations import recommend

    return recommend(inventory(year), factors())


def _chosen_scenarios(year: int, ids: list[str]) -> dict:
    """The scenarios known, once the projection of ``ids`` is cached as the Scénarios page computes
    it (an export or a report then reuses its figures); a wrong choice is left for them to say."""
    if ids:
        try:
            projection(year, ids)
        except InputError:
            pass
    return scenarios()


@per_revision(max_entries=4, spinner="Préparation de l'export…")
def _export(year: int, ids: list[str], authority: str | None, export_date: str, with_pending: bool = False):
    """The export of ``year`` with the scenarios ``ids``: the collectivité's profile (its name
    unless ``authority`` is given, its SIREN, its head-count) and its target, as ``export pcaet``;
    the validated declarations only unless ``with_pending``."""
    from scenarios.pcaet import build_export

    known = _chosen_scenarios(year, ids)
    return build_export(inventory(year, validated_only=not with_pending), [known[i] for i in ids], factors(),
                        authority, export_date, profile=profile())


@per_revision(max_entries=4, spinner="Préparation de l'export…")
def export_files(year: int, ids: list[str], authority: str | None, export_date: str, file_format: str,
                 technical_names: bool = False, with_pending: bool = False) -> dict[str, bytes]:
    """The files of the PCAET/BEGES export (name → bytes), the same as ``export pcaet`` writes
    (``technical_names``: its ``--noms-techniques``)."""
    from footprint import reporting

    export = _export(year, ids, authority, export_date, with_pending)
    files = reporting.render(export, f"export-pcaet-{year}.{file_format}", file_format, stamp=export_date,
                             technical_names=technical_names)
    return {str(name): data for name, data in files.items()}


@per_revision(max_entries=8)
def declaration_tables(year: int | None, services: tuple[str, ...] | None = None) -> dict:
    """The Déclarer page's tables (declarations of the year, deleted ones, history), once per state
    of the store; ``services``: those of these services only (an agent's, ``roles.own_services``)."""
    current = store()
    return {"declarations": views.declarations_table(views.of_services(current.declarations(year=year), services))
            if year else None,
            "deleted": views.deleted_declarations(current, services),
            "history": views.history_table(current, services=services)}


@per_revision(max_entries=4)
def form_options(default_year: int) -> dict:
    return views.form_options(factors(), default_year)


@per_revision(max_entries=4)
def measurement_runs():
    """The Mesures page's table of runs with their calibration, once per state of the store."""
    return views.measurement_runs(store().measurements(), set(declarations()["id"]), factors())


@contextmanager
def form_guard():
    """Like ``guard``, for a form: every problem of bad input shown in full, one line each
    (« Nombre d'agents qui l'utilisent : valeur négative (valeur : « -10 ») »), in the page and
    never in a toast or a table cell that cuts it off."""
    try:
        yield
    except InputError as error:
        lines = []
        for problem in error.problems:
            where = f"« {problem.column} » : " if problem.column and not problem.file else ""
            value = "" if problem.value in (None, "") else f" (valeur : « {problem.value} »)"
            line = str(problem) if problem.file else f"{where}{problem.message}{value}"
            lines.append(f"- {as_text(line)}")
        st.error("Saisie refusée, rien n'a été enregistré :\n\n" + "\n".join(lines))
    except (StoreError, MeasurementError) as error:
        show_error(error)


def profile():
    """The collectivité's profile (``footprint.inventory.authority.Profile``, read only, safe to
    share) as the store holds it now, None when none was set: read from the snapshot, no query."""
    from footprint.inventory.authority import profile_of

    return profile_of(_current().authority)


@per_revision(max_entries=4)
def realised():
    """The realised GWP of every inventory year that has declarations, oldest first, with the
    change from the year before (``views.realised``), once per state of the store."""
    return views.realised([inventory(year) for year in years()])


@per_revision(max_entries=4, spinner="Préparation du rapport…")
def report_pdf(year: int, ids: list[str], export_date: str, with_pending: bool = False) -> bytes:
    """The printable report of ``year`` with the scenarios ``ids`` (PDF bytes), the same as
    ``export rapport`` writes: the collectivité's profile, its target, the cached projection and
    recommendations of the other pages."""
    from scenarios.report import build_report

    known = _chosen_scenarios(year, ids)
    return build_report(inventory(year, validated_only=not with_pending), [known[i] for i in ids], factors(),
                        profile(), export_date,
                        recommendations=recommendations(year))


@per_revision(max_entries=4, spinner="Préparation du registre…")
def register_entries(year: int):
    """The register of AI uses of ``year`` with each entry's footprint (``views.registre``), once
    per state of the store."""
    from dashboard.views import registre

    return registre.register_entries(store(), factors(), year)


@per_revision(max_entries=4)
def outside_framework(year: int):
    """« IA non encadrée » by service for ``year`` (the survey of the agents joined with the
    inventory's footprint), once per state of the store; empty without a survey."""
    from dashboard.views import diagnostic

    return diagnostic.outside_framework_table(store(), inventory(year))


@per_revision(max_entries=4, spinner="Calcul des usages à encadrer…")
def framing_recommendations(year: int) -> list:
    """The « encadrer » recommendations of ``year`` (``scenarios.recommendations.frame_uses``: the
    uses the agents' survey found through personal or free accounts, moved to a framed tool),
    once per state of the store; empty without a survey."""
    from scenarios.recommendations import frame_uses

    return frame_uses(inventory(year), factors(), store().survey_groups(year))


@st.cache_data(max_entries=4, show_spinner="Comparaison aux chiffres publiés…")
def _disclosures(path: str, bases: tuple, overrides: tuple, _factors: FactorBase):
    return views.disclosure_rows(_factors, pd.DataFrame(list(bases), columns=["product", "basis"]))


def disclosures():
    """What each provider publishes for one message beside our estimate (``views.disclosure_rows``,
    an engine run per product: about a second). It depends on the bases chosen for the products
    and on the factor values only, not on the declarations: computed again when one of those
    changes, not at every declaration saved."""
    current = _current()
    bases = current.product_bases
    held = tuple(zip(bases["product"], bases["basis"])) if len(bases) else ()
    overrides = tuple(map(tuple, current.factor_overrides.astype(str).itertuples(index=False)))
    return _disclosures(str(default_path()), held, overrides, factors())
