"""Streamlit glue shared by the pages: the cached factor base and store handle, the inventory of
the chosen year cached by the store's revision, the year picker, the example banner and the
display of French error messages.

The store handle is cached, not an open connection: DuckDB lets one process hold the file,
so each read or write opens it briefly and the command line can write while the dashboard
runs. What is computed from the store is cached under the store's revision (a cheap token that
changes with every write), so a rerun after a widget change recomputes nothing.

Must not: compute an impact or hold a formula (``footprint``, ``scenarios``, ``views``).
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

import streamlit as st

from dashboard import example, views
from emission_factors.errors import InputError
from footprint.factor_base import FactorBase
from footprint.inventory import Inventory, inventory_of
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
    return _store(str(default_path()))


def snapshot() -> Snapshot:
    """What the store holds (revision, active declarations, factor overrides), read again only
    when its files changed on disk: a stat of the file and of its write-ahead log costs
    microseconds, a connection to the file tens of milliseconds."""
    path = default_path()
    return _snapshot(str(path), _file_state(path))


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
    return _store(path).snapshot()


def revision() -> tuple:
    """The store's revision: the key of everything computed from the store."""
    return snapshot().revision


def declarations():
    """The active declarations of every year (do not modify)."""
    return snapshot().declarations


@st.cache_resource(max_entries=4)
def _factors(path: str, store_revision: tuple, _overrides) -> FactorBase:
    return base_factors().with_overrides(_overrides)


def factors() -> FactorBase:
    """The factor base with the authority's own values (Facteurs page) applied."""
    current = snapshot()
    return _factors(str(default_path()), current.revision, current.factor_overrides)


@st.cache_resource(max_entries=8, show_spinner="Calcul de l'inventaire…")
def _inventory(path: str, store_revision: tuple, year: int, factor_version: str, _declarations,
               _factors: FactorBase) -> Inventory:
    return inventory_of(_declarations, _factors, year)


def inventory(year: int) -> Inventory:
    """The inventory of ``year``, computed once per state of the store and of the factors."""
    current, chosen = snapshot(), factors()
    return _inventory(str(default_path()), current.revision, year, chosen.version, current.declarations, chosen)


@st.cache_resource(max_entries=8)
def _synthesis(path: str, store_revision: tuple, year: int, factor_version: str, _inventory: Inventory,
               _factors: FactorBase) -> dict:
    return views.synthesis(_inventory, _factors)


def synthesis(year: int) -> dict:
    """The Synthèse page's figures and tables for ``year``, once per state of the store."""
    chosen = factors()
    return _synthesis(str(default_path()), revision(), year, chosen.version, inventory(year), chosen)


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
        st.markdown(f"**Inventaire d'exemple** : {example.AUTHORITY}, données fictives ({len(ids)} déclarations). "
                    "Remplacez-le par vos propres usages ; il reste dans l'historique et peut être restauré.")
        if st.button("Vider l'exemple", key="vider_exemple", type="secondary"):
            with guard():
                count = example.clear_example(store())
                st.toast(f"Exemple retiré : {count} déclaration(s).")
                st.rerun()


def show_error(error: Exception) -> None:
    """A French message, and the list of problems for bad input; never a traceback."""
    if isinstance(error, InputError):
        count = len(error.problems)
        st.error("Saisie refusée, rien n'a été enregistré : " + (
            str(error.problems[0]) if count == 1 else f"{count} problèmes, détaillés ci-dessous."))
        if count > 1 or error.problems[0].file:
            st.dataframe(views.problems_table(error), hide_index=True, width="stretch")
    else:
        st.error(str(error))


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
    from footprint.declarations import KINDS_FR

    settings = {column: st.column_config.NumberColumn(column, format="localized")
                for column in table.columns if str(table[column].dtype).startswith("float")}
    settings["Type"] = st.column_config.SelectboxColumn("Type", options=sorted(set(KINDS_FR.values())))
    return settings


@st.cache_resource(max_entries=4)
def _scenarios(path: str, store_revision: tuple) -> dict:
    from scenarios.definitions import available

    return available(_store(path))


def scenarios() -> dict:
    """Built-in and saved scenarios, by id."""
    return _scenarios(str(default_path()), revision())


@st.cache_resource(max_entries=16, show_spinner="Projection des scénarios…")
def _projection(path: str, store_revision: tuple, year: int, ids: tuple[str, ...], to_year: int,
                factor_version: str, _inventory: Inventory, _factors: FactorBase):
    from scenarios.projection import project

    known = _scenarios(path, store_revision)
    return project(_inventory, [known[i] for i in ids], _factors, to_year)


def projection(year: int, ids: list[str], to_year: int = 2030):
    """The projection of the ``year`` inventory under the scenarios ``ids``, cached."""
    chosen = factors()
    return _projection(str(default_path()), revision(), year, tuple(ids), to_year, chosen.version,
                       inventory(year), chosen)


@st.cache_resource(max_entries=4, show_spinner="Calcul des recommandations…")
def _recommendations(path: str, store_revision: tuple, year: int, factor_version: str, _inventory: Inventory,
                     _factors: FactorBase) -> list:
    from scenarios.recommendations import recommend

    return recommend(_inventory, _factors)


def recommendations(year: int) -> list:
    chosen = factors()
    return _recommendations(str(default_path()), revision(), year, chosen.version, inventory(year), chosen)


@st.cache_resource(max_entries=4, show_spinner="Préparation de l'export…")
def _export_files(path: str, store_revision: tuple, year: int, ids: tuple[str, ...], authority: str, export_date: str,
                  file_format: str, factor_version: str, _inventory: Inventory, _factors: FactorBase) -> dict:
    from footprint import reporting
    from scenarios.pcaet import build_export

    known = _scenarios(path, store_revision)
    export = build_export(_inventory, [known[i] for i in ids], _factors, authority, export_date)
    files = reporting.render(export, f"export-pcaet-{year}.{file_format}", file_format, stamp=export_date)
    return {str(name): data for name, data in files.items()}


def export_files(year: int, ids: list[str], authority: str, export_date: str, file_format: str) -> dict[str, bytes]:
    """The files of the PCAET/BEGES export (name → bytes), the same as ``export pcaet`` writes."""
    chosen = factors()
    return _export_files(str(default_path()), revision(), year, tuple(ids), authority, export_date, file_format,
                         chosen.version, inventory(year), chosen)



@st.cache_resource(max_entries=4)
def _tables(path: str, store_revision: tuple, year: int | None) -> dict:
    store = _store(path)
    return {"declarations": views.declarations_table(store.declarations(year=year)) if year else None,
            "deleted": views.deleted_declarations(store), "history": views.history_table(store)}


def declaration_tables(year: int | None) -> dict:
    """The Déclarer page's tables (declarations of the year, deleted ones, history), once per state
    of the store."""
    return _tables(str(default_path()), revision(), year)


@st.cache_resource(max_entries=4)
def _form_options(factor_version: str, default_year: int, _factors: FactorBase) -> dict:
    return views.form_options(_factors, default_year)


def form_options(default_year: int) -> dict:
    chosen = factors()
    return _form_options(chosen.version, default_year, chosen)


@st.cache_resource(max_entries=4)
def _runs(path: str, store_revision: tuple, factor_version: str, _factors: FactorBase):
    return views.measurement_runs(_store(path).measurements(), set(declarations()["id"]), _factors)


def measurement_runs():
    """The Mesures page's table of runs with their calibration, once per state of the store."""
    chosen = factors()
    return _runs(str(default_path()), revision(), chosen.version, chosen)
