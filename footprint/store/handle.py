"""``Store``: the one handle on a collectivité's inventory file that the rest of the library uses.

Owns: the public methods, each one short connection (a read) or one write transaction retried on
a concurrent change (``StoreFile._write``), delegating the records to their modules
(``declarations``, ``measurements``, ``scenarios``, ``factor_overrides``); who writes (the
``user`` argument, else ``current_user()``); the ids the last ``save`` of each thread wrote
(one handle serves every session of a dashboard); ``revision`` and ``snapshot``, what a cache or
a dashboard reads of the whole store at once.

Must not: hold SQL of its own (the revision query is ``schema``'s), validate anything
(``footprint.inventory``, ``footprint.factors``) or compute impacts (``footprint.engine``).
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import duckdb
import pandas as pd

from footprint.store import authority as authority_rows
from footprint.store import declarations as declaration_rows
from footprint.store import factor_overrides as override_rows
from footprint.store import journal as journal_rows
from footprint.store import measurements as measurement_rows
from footprint.store import product_bases as basis_rows
from footprint.store import scenarios as scenario_rows
from footprint.store import survey as survey_rows
from footprint.store import users as user_rows
from footprint.store.access import AccessDenied, Actor, local_actor, require, require_factor_tables, require_services
from footprint.store.connection import StoreFile, current_user
from footprint.store.schema import REVISION_SQL


@dataclass(frozen=True)
class Snapshot:
    """What the store held at one moment (``Store.snapshot``); the frames must not be modified."""

    revision: tuple
    declarations: pd.DataFrame
    factor_overrides: pd.DataFrame
    product_bases: pd.DataFrame
    authority: MappingProxyType | None = None  # the collectivité's profile (read only), None when unset


def _frozen(profile: dict | None) -> MappingProxyType | None:
    return None if profile is None else MappingProxyType(dict(profile))


class Store(StoreFile):
    """The inventory file. Each ``connect()`` opens it briefly, so that other processes can too.

    ``read_only``: open the file read-only (DuckDB ``read_only=True``): what the command line's
    reading commands do, so that a read-only store can still be listed and exported. Within one
    process DuckDB refuses to hold one file both ways at once: the dashboard opens read-write.
    ``create``: create the store if the file does not exist (with its folders). A library caller
    names its file in code (True by default); the command line creates one only on the default
    path or when asked (``--create``). An existing file that is not an Empreinte IA store is never
    written, whatever ``create`` says.
    """

    def __init__(self, path: Path | str | None = None, lock_timeout_s: float | None = None, *,
                 read_only: bool = False, create: bool = True):
        super().__init__(path, lock_timeout_s, read_only=read_only, create=create)
        self._saved = threading.local()  # one handle serves every session of a dashboard: ids per thread
        self._actor: Actor | None = None  # None: the single-user mode's person (every right)

    # -- who writes ----------------------------------------------------------------------------

    def acting(self, actor: Actor) -> Store:
        """A view of the same file through which ``actor`` writes: every write method checks the
        role first (``footprint.store.access``: ``AccessDenied``, nothing written) and records
        ``actor.label`` as who changed what. Cheap (no connection); the file's first-use check is
        shared with this handle."""
        view = copy.copy(self)
        view._actor, view._saved = actor, threading.local()
        return view

    def transaction(self):
        """``StoreFile.transaction`` (raw SQL, for the store's own tests and tools): the machine's
        user only, never a signed-in person (no role could be checked)."""
        if self._actor is not None and not self._actor.local:
            raise AccessDenied("Une transaction directe sur la base n'est ouverte qu'au poste local : rien n'a été "
                               "enregistré.")
        return super().transaction()

    @property
    def actor(self) -> Actor:
        """Who writes through this handle: the ``acting`` person, else the machine's user (``LOCAL``)."""
        return self._actor or local_actor(current_user())

    def _who(self, user: str | None, write: str | None = None) -> str:
        """Check ``write`` (a key of ``access.WRITES``) for this handle's person; return the name
        to record: a signed-in person's label always, else ``user`` or the machine's user."""
        actor = self.actor
        if write is not None:
            require(actor, write)
        return actor.label if self._actor is not None and not self._actor.local else (user or current_user())

    @property
    def last_ids(self) -> list[str]:
        """The ids of the declarations that this thread's last ``save`` wrote (in its order)."""
        return getattr(self._saved, "ids", [])

    # -- reading -----------------------------------------------------------------------------

    def declarations(self, year: int | None = None, include_deleted: bool = False) -> pd.DataFrame:
        """Current declarations (with their version and audit columns), ordered by id."""
        with self.connect() as con:
            return declaration_rows.current(con, year, include_deleted)

    def history(self, declaration_id: str | None = None) -> pd.DataFrame:
        """Every version of one declaration (or of all), oldest first."""
        with self.connect() as con:
            return declaration_rows.history(con, declaration_id)

    def as_of(self, moment: pd.Timestamp) -> pd.DataFrame:
        """The declarations as they stood at ``moment`` (an earlier state of the inventory)."""
        with self.connect() as con:
            return declaration_rows.as_of(con, moment)

    def measurements(self, declaration_id: str | None = None) -> pd.DataFrame:
        with self.connect() as con:
            return measurement_rows.listed(con, declaration_id)

    def scenarios(self, include_deleted: bool = False) -> pd.DataFrame:
        """Custom scenarios: id, label and their TOML definition."""
        with self.connect() as con:
            return scenario_rows.listed(con, include_deleted)

    def scenario_history(self, identifier: str | None = None) -> pd.DataFrame:
        """Every version of one custom scenario (or of all): id, version, label, definition (its
        TOML), deleted, action, changed_at, changed_by; oldest first."""
        with self.connect() as con:
            return scenario_rows.history(con, identifier)

    def imports(self) -> pd.DataFrame:
        with self.connect() as con:
            return declaration_rows.imports(con)

    def revision(self) -> tuple:
        """A token that changes whenever anything in the store changes (declarations and their
        history, measurements, imports, scenarios, factor overrides) and stays equal otherwise:
        a cache key for computed tables. One short connection, one query."""
        with self.connect() as con:
            return tuple(con.execute(REVISION_SQL).fetchall()[0])

    def snapshot(self) -> Snapshot:
        """The revision, the active declarations, the active factor overrides, the bases of the
        products and the collectivité's profile, read together in one short connection (a
        dashboard's starting point: one opening of the file, not five)."""
        with self.connect() as con:
            return Snapshot(tuple(con.execute(REVISION_SQL).fetchall()[0]), declaration_rows.current(con, None, False),
                            override_rows.listed(con, False), basis_rows.current(con),
                            _frozen(authority_rows.current(con)))

    def factor_overrides(self, include_deleted: bool = False) -> pd.DataFrame:
        """The authority's own factor values, oldest first; ``key`` holds the decoded key."""
        with self.connect() as con:
            return override_rows.listed(con, include_deleted)

    # -- scenarios ---------------------------------------------------------------------------

    def save_scenario(self, identifier: str, label: str, definition: str, user: str | None = None) -> int:
        """Save a custom scenario's TOML definition; returns its version. Saving over an existing
        id makes a new version (the previous ones stay in ``scenario_history``); saving the same
        label and definition again changes nothing."""
        user = self._who(user, "scenarios")
        return self._write(lambda con: scenario_rows.save(con, identifier, label, definition, user))

    def delete_scenario(self, identifier: str, user: str | None = None) -> bool:
        """Soft-delete a custom scenario (its versions stay in the history); False if there is none."""
        user = self._who(user, "scenarios")
        return self._write(lambda con: scenario_rows.delete(con, identifier, user))

    # -- the basis of each product's figures -------------------------------------------------

    def product_bases(self, include_history: bool = False) -> pd.DataFrame:
        """The basis each product holds (its latest choice), or every choice ever made."""
        with self.connect() as con:
            return basis_rows.history(con) if include_history else basis_rows.current(con)

    def save_product_basis(self, product: str, basis: str, justification: str | None = None,
                           user: str | None = None) -> bool:
        """Record the basis chosen for a product (not checked here: see
        ``footprint.inventory.disclosures.save_basis``); False when it already holds it."""
        user = self._who(user, "products")
        return self._write(lambda con: basis_rows.save(con, product, basis, justification, user))

    # -- the collectivité's profile ----------------------------------------------------------

    def authority_profile(self) -> dict | None:
        """The collectivité's profile (see ``footprint.inventory.authority``), None when none was set."""
        with self.connect() as con:
            return authority_rows.current(con)

    def authority_history(self) -> pd.DataFrame:
        """Every version of the collectivité's profile, oldest first, with who and when."""
        with self.connect() as con:
            return authority_rows.history(con)

    def save_authority_profile(self, values: dict, user: str | None = None) -> bool:
        """Record a new version of the profile (checked by ``footprint.inventory.authority``, not
        here); False when it already holds these values."""
        user = self._who(user, "authority")
        return self._write(lambda con: authority_rows.save(con, values, user))

    # -- the register of AI uses -------------------------------------------------------------
    # (its rows: ``footprint.store.register``, imported here so that this section stands alone)

    def register_entries(self, include_deleted: bool = False) -> pd.DataFrame:
        """The latest version of every entry of the register of AI uses: ``entry_id``,
        ``version``, ``fields`` (a dict, not checked here: ``footprint.inventory.register``),
        ``deleted``, ``saved_at``, ``saved_by``; ordered by id."""
        from footprint.store import register as register_rows

        with self.connect() as con:
            return register_rows.current(con, include_deleted)

    def register_history(self, entry_id: str | None = None) -> pd.DataFrame:
        """Every version of one entry of the register (or of all), oldest first, with who and when."""
        from footprint.store import register as register_rows

        with self.connect() as con:
            return register_rows.history(con, entry_id)

    def save_register_entry(self, entry_id: str, fields: dict, expected_version: int, *, deleted: bool = False,
                            user: str | None = None) -> int:
        """Record a new version of an entry of the register (or its soft deletion); returns its
        version. ``expected_version``: the version the user read (0 for an entry never saved),
        checked inside the write transaction: ``RegisterConflict`` (a ``StoreConflict``) says who
        changed it and when, and nothing is written. The same fields again write nothing."""
        from footprint.store import register as register_rows

        user = self._who(user, "register")
        return self._write(lambda con: register_rows.save(con, entry_id, fields, deleted, expected_version, user))

    # -- the diagnostic survey ---------------------------------------------------------------

    def survey_groups(self, year: int | None = None) -> pd.DataFrame:
        """The anonymous groups of the agents' survey (``footprint.store.survey``), of ``year`` when given."""
        with self.connect() as con:
            return survey_rows.groups(con, year)

    def save_survey(self, declarations: pd.DataFrame, groups: pd.DataFrame, year: int, *, action: str,
                    import_record: dict, user: str | None = None) -> dict[str, int]:
        """Save a survey's declarations (validated, store columns) and its groups in one
        transaction: the earlier survey declarations of ``year`` it no longer gives are
        soft-deleted, its groups replace those of the year. The ids saved are in ``last_ids``."""
        user = self._who(user, "survey")
        counts, self._saved.ids = self._write(
            lambda con: survey_rows.save(con, declarations, groups, year, action, import_record, user))
        return counts

    # -- factor overrides --------------------------------------------------------------------

    def save_factor_override(self, table: str, key: dict, parameter: str, value: float, unit: str,
                             year: int | None, justification: str, user: str | None = None) -> str:
        """Save the authority's own value of one factor (not checked here: see
        ``footprint.factors.save_override``); returns its id (``VL-nnnnn``). An active override of
        the same table, key and parameter is replaced (marked deleted, kept for the history);
        saving the same value and justification again changes nothing."""
        return self.save_factor_overrides([{"table": table, "key": key, "parameter": parameter, "value": value,
                                            "unit": unit, "year": year, "justification": justification}],
                                          user)[0]

    def save_factor_overrides(self, overrides: list[dict], user: str | None = None) -> list[str]:
        """``save_factor_override`` for several overrides (dicts with its arguments), in one transaction."""
        require_factor_tables(self.actor, [override["table"] for override in overrides])
        user = self._who(user)
        return self._write(lambda con: override_rows.save(con, overrides, user))

    def delete_factor_override(self, identifier: str, user: str | None = None) -> bool:
        """Soft-delete an override (it stays in the history); False when there is no active one."""
        user = self._who(user)
        actor = self.actor

        def work(con: duckdb.DuckDBPyConnection) -> bool:
            table = con.execute("SELECT table_name FROM factor_overrides WHERE id = ?", [identifier]).fetchone()
            require_factor_tables(actor, [table[0]] if table else [])
            return override_rows.delete(con, identifier, user)

        return self._write(work)

    # -- declarations and measurements -------------------------------------------------------

    def save(self, declarations: pd.DataFrame, *, action: str = "saisie", import_record: dict | None = None,
             user: str | None = None, columns: list[str] | None = None,
             expected_versions: dict[str, int] | None = None) -> dict[str, int]:
        """Create or update declarations in one transaction; returns the counts by outcome.

        ``declarations``: validated rows with the store's columns (``id`` empty for new ones,
        which get the next ``IA-nnnnn`` number). A row equal to the stored one changes nothing;
        a different one (or a deleted one) gets a new version, the previous one stays in the
        history. ``import_record`` (file name, hash, kind) is written with the same transaction.
        ``columns``: the columns the source really had (a file without ``commentaire``, say):
        for declarations that exist, the other columns keep their stored values. The ids saved
        are in ``last_ids`` afterwards.
        ``expected_versions``: id -> the version the user read (a form, a table editor, the
        command line's ``--id``). Checked inside the write transaction: if any declaration now
        has another version (someone saved or deleted it meanwhile), ``StoreConflict`` says who
        and when, and nothing is written.
        """
        actor = self.actor
        if import_record is not None:
            require(actor, "imports")
        user = self._who(user)
        expected = {str(k): int(v) for k, v in (expected_versions or {}).items()}
        # An agent's rows wait for the référent climat; whoever may write every service's are validated.
        review = (declaration_rows.VALIDATED if actor.may("declarations") or import_record is not None
                  else declaration_rows.PENDING)

        def work(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, int], list[str]]:
            if import_record is None:
                ids = declarations["id"].dropna().astype(str).tolist() if "id" in declarations else []
                stored = declaration_rows.services_of(con, ids) if ids and not actor.may("declarations") else {}
                require_services(actor, [*declarations.get("service", pd.Series(dtype=object)).tolist(),
                                         *stored.values()])
            if expected:
                declaration_rows.check_versions(con, expected)
            return declaration_rows.save(con, declarations, action, import_record, user, columns, review)

        counts, self._saved.ids = self._write(work)
        return counts

    def save_measurements(self, runs: pd.DataFrame, declarations: pd.DataFrame, user: str | None = None
                          ) -> dict[str, int]:
        """Record measured runs and update their ``measured`` declarations, in one transaction.

        Only new ``run_id`` are added (importing a file twice adds nothing). Each declaration's
        ``energy_kwh`` becomes the sum of the energy of all its runs.
        """
        user = self._who(user, "measurements")
        frame = measurement_rows.runs_frame(runs, user)
        return self._write(lambda con: measurement_rows.save(con, frame, declarations, user))

    def delete(self, ids: list[str], user: str | None = None) -> int:
        """Soft-delete declarations (they stay in the history and can be restored). Returns how many."""
        return self._set_deleted(ids, True, "suppression", user)

    def restore(self, ids: list[str], user: str | None = None) -> int:
        return self._set_deleted(ids, False, "restauration", user)

    def _set_deleted(self, ids: list[str], deleted: bool, action: str, user: str | None) -> int:
        user, actor = self._who(user), self.actor

        def work(con: duckdb.DuckDBPyConnection) -> int:
            if not actor.may("declarations"):
                require_services(actor, declaration_rows.services_of(con, list(ids)).values())
            return declaration_rows.set_deleted(con, ids, deleted, action, user)

        return self._write(work)

    # -- the référent's review of declarations -----------------------------------------------

    def validate(self, ids: list[str], user: str | None = None, expected_versions: dict[str, int] | None = None
                 ) -> int:
        """Validate declarations (``review`` « validée »): a new version each; returns how many
        changed. ``expected_versions``: as for ``save`` (a declaration changed since the référent
        read it is never validated unseen: ``StoreConflict``, nothing written)."""
        return self._review(ids, declaration_rows.VALIDATED, None, user, expected_versions)

    def send_back(self, ids: list[str], comment: str, user: str | None = None,
                  expected_versions: dict[str, int] | None = None) -> int:
        """Send declarations back to who wrote them (« renvoyée »), with the référent's comment."""
        return self._review(ids, declaration_rows.RETURNED, comment, user, expected_versions)

    def _review(self, ids: list[str], review: str, comment: str | None, user: str | None,
                expected_versions: dict[str, int] | None) -> int:
        user = self._who(user, "validation")
        expected = {str(k): int(v) for k, v in (expected_versions or {}).items()}

        def work(con: duckdb.DuckDBPyConnection) -> int:
            if expected:
                declaration_rows.check_versions(con, expected)
            return declaration_rows.set_review(con, list(ids), review, comment, user)

        return self._write(work)

    def journal(self, **filters) -> pd.DataFrame:
        """Every change the store records, newest first, with who made it and when
        (``footprint.store.journal.entries``: ``since``, ``until``, ``who``, ``kind``, ``text``,
        ``limit``)."""
        with self.connect() as con:
            return journal_rows.entries(con, **filters)

    # -- the people of a shared instance -------------------------------------------------------

    def users(self, include_deleted: bool = False) -> pd.DataFrame:
        """The people who have a role (``footprint.store.users``), ordered by e-mail."""
        with self.connect() as con:
            return user_rows.current(con, include_deleted)

    def user_history(self, email: str | None = None) -> pd.DataFrame:
        with self.connect() as con:
            return user_rows.history(con, email)

    def role_of(self, email: str) -> Actor | None:
        """The ``Actor`` that a signed-in ``email`` is (with its role and services), None when it has no role."""
        found = self.users()
        found = found[found["email"] == str(email).strip().lower()]
        if found.empty:
            return None
        row = found.iloc[0]
        return Actor(email=row["email"], name=row["name"] or "", role=row["role"], services=tuple(row["services"]))

    def save_user(self, email: str, role: str, services: tuple[str, ...] = (), name: str | None = None,
                  user: str | None = None) -> int:
        """Give ``email`` a role (a code of ``access.ROLES``, checked by ``footprint.inventory.users``);
        returns its version. Refused for the last administrator's own demotion."""
        user = self._who(user, "users")
        return self._write(lambda con: user_rows.save(con, email, name, role, tuple(services), user))

    def remove_user(self, email: str, user: str | None = None) -> bool:
        """Take ``email``'s role away (kept in the history); False when it had none."""
        user = self._who(user, "users")
        return self._write(lambda con: user_rows.remove(con, email, user))
