"""The example inventory shown on first start: a fictional agglomération of about 100,000
inhabitants (drafting assistant for 200 agents, citizen chatbot, meeting transcription on an
in-house GPU, OCR of incoming mail, one run measured with CodeCarbon), loaded through the same
import paths as a user's files (``examples/inventaire-exemple.csv`` and
``examples/emissions-exemple.csv``), with the profile of the fictional collectivité
(``examples/collectivite-exemple.csv``, checked like the Collectivité page's form, set only when
the store holds no profile), and cleared in one click (soft deletion: it stays in the history;
the profile stays, the Collectivité page replaces it). Must not: hold a number (they are in the
example files) or talk to Streamlit.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from footprint.factors import FactorBase
from footprint.inventory import import_declarations
from footprint.inventory.authority import check_profile
from footprint.io.tabular import read_table
from footprint.measurement import import_emissions
from footprint.store import Store

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DECLARATIONS_FILE = EXAMPLES / "inventaire-exemple.csv"
EMISSIONS_FILE = EXAMPLES / "emissions-exemple.csv"
PROFILE_FILE = EXAMPLES / "collectivite-exemple.csv"
ORIGIN = "exemple"
AUTHORITY = "Communauté d'agglomération du Val-Fictif (exemple)"
MEASURED_RUN = {"name": "exemple-transcription-conseil", "service": "Assemblées",
                "hosting": "salle_serveurs", "work": {"task": "transcription_audio", "units": 180.0}}


def create_example(store: Store, factors: FactorBase) -> int:
    """Load the example inventory into ``store``; returns the number of declarations created."""
    _, counts = import_declarations(DECLARATIONS_FILE, store, factors, user="exemple")
    measured = import_emissions(EMISSIONS_FILE, store, factors, service=MEASURED_RUN["service"],
                                name=MEASURED_RUN["name"], work=MEASURED_RUN["work"])
    # The run was made on the authority's server: its hosting gives the PUE and water of the room;
    # its declaration is marked as part of the example, like the file's rows.
    run = store.measurements().iloc[-1]
    declaration = store.declarations().set_index("id").loc[[run["declaration_id"]]].reset_index()
    store.save(declaration.assign(hosting=MEASURED_RUN["hosting"], origin=ORIGIN), action="saisie", user="exemple")
    create_example_profile(store)
    return counts["created"] + measured["created"]


def example_profile() -> dict:
    """The example collectivité's profile as its file gives it (by French field name), read the
    way the CLI and the imports read French office files (one header line, one line of values)."""
    table = read_table(PROFILE_FILE)
    [(_, cells)] = table.rows
    return dict(zip(table.header, cells))


def create_example_profile(store: Store) -> bool:
    """Set the example collectivité's profile, checked like the form's, when the store holds none
    (a profile the authority set is never replaced); whether it was set."""
    if store.authority_profile() is not None:
        return False
    return store.save_authority_profile(check_profile(example_profile()).values(), user=ORIGIN)


def example_ids(declarations: pd.DataFrame) -> list[str]:
    """Those of the active ``declarations`` that belong to the example (its file's rows and its
    measured run, all with the origin « exemple »)."""
    return declarations.loc[(declarations["origin"] == ORIGIN).fillna(False).to_numpy(), "id"].tolist()


def clear_example(store: Store) -> int:
    """Remove the example from the inventory (kept in the history, restorable)."""
    ids = example_ids(store.declarations())
    return store.delete(ids, user="exemple") if ids else 0
