"""The verdict of each scenario against the target, on the example inventory with the real engine:
each case of the verdict is reached by a scenario built for it (a flat one judged against a target
just above, just below, or between the ends of its range), the target comes from the
collectivité's profile or the SNBC pace of the factor base, and the sentences say what they judge.
Also the equivalences chosen for the size of a figure."""

import math

import numpy as np
import pytest

from footprint.inventory import compute_inventory
from footprint.inventory.authority import check_profile
from footprint.inventory.declarations import read_declarations
from footprint.reporting.equivalences import READABLE, scaled_equivalences
from footprint.store import Store
from scenarios.definitions import built_in_scenarios, parse_scenario
from scenarios.projection import project
from scenarios.verdict import CENTRAL_ONLY, LOW_ONLY, MEETS, MISSES, Target, target_of, verdicts

FLAT = """
id = "plat"
label = "Plat"
[levers.volume_growth]
value = 0
unit = "1 / year"
source = "test"
[levers.grid_trend]
value = 0
unit = "dimensionless"
source = "test"
"""


@pytest.fixture(scope="module")
def inventory(factors, tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("store") / "s.duckdb")
    store.save(read_declarations("examples/declarations.csv", factors))
    return compute_inventory(store, factors, 2025)


@pytest.fixture(scope="module")
def flat(inventory, factors):
    return project(inventory, [parse_scenario(FLAT, "plat.toml", "plat")], factors, 2030)


def test_the_target_is_the_profile_objective_or_the_snbc_pace(inventory, factors, flat):
    snbc = target_of(None)
    assert not snbc.is_pcaet
    start = inventory.total()["gwp_kgco2e"]["central"]
    pace = factors.constant("snbc_annual_change").m_as("1/year")
    assert snbc.path(flat) == pytest.approx(start * (1 + pace) ** np.arange(6))
    assert "SNBC" in snbc.describe(flat)
    profile = check_profile({"nom": "Ville", "objectif_baisse_pct": "40", "annee_objectif": "2030"})
    pcaet = target_of(profile)
    assert pcaet.is_pcaet and pcaet.path(flat)[-1] == pytest.approx(0.6 * start)
    assert pcaet.describe(flat) == "objectif PCAET : −40 % en 2030 par rapport à 2025"


def _judged(flat, share: float) -> object:
    """The flat scenario judged against a target that allows ``share`` of its inventory year."""
    return verdicts(flat, Target(1.0 - share, 2030))[0]


def test_each_case_of_the_verdict(flat):
    totals = flat.totals().set_index("year")
    low, central, high = (totals.loc[2030, f"gwp_kgco2e_{end}"] for end in ("low", "central", "high"))
    assert low < central < high  # the example's range is wide enough to have the four cases
    cases = {MEETS: high * 1.01, CENTRAL_ONLY: (central + high) / 2, LOW_ONLY: (low + central) / 2,
             MISSES: low * 0.99}
    for expected, allowed in cases.items():
        verdict = _judged(flat, allowed / central)
        assert verdict.verdict == expected
        assert verdict.allowed == pytest.approx(allowed)
        assert verdict.change == pytest.approx(0.0, abs=1e-9)  # a flat scenario does not change
        assert verdict.text.startswith("Atteint" if expected in (MEETS, CENTRAL_ONLY) else "N'atteint pas")
    assert "fois les" in _judged(flat, 0.1).text  # ten times the allowed level says so, not « 900 % »


def test_the_built_in_scenarios_are_judged_in_their_last_year(inventory, factors):
    projection = project(inventory, built_in_scenarios(), factors, 2030)
    found = {v.scenario: v for v in verdicts(projection, Target())}
    assert set(found) == {s.id for s in built_in_scenarios()}
    assert found["sobre"].central < found["tendanciel"].central < found["intensif"].central
    assert found["sobre"].change < 0 < found["intensif"].change
    assert all(v.year == 2030 for v in found.values())


@pytest.mark.parametrize("kgco2e", [0.5, 3.0, 220.0, 5_000.0, 90_000.0])
def test_equivalences_are_of_a_readable_size(factors, kgco2e):
    shown = scaled_equivalences(kgco2e, factors)
    assert 1 <= len(shown) <= 3
    low, high = READABLE
    assert all(low <= q <= high for q in shown["quantite"])
    assert shown["quantite"].map(math.isfinite).all()
    units = factors.con.execute("SELECT equivalence, unit_of_work FROM equivalences").fetchall()
    kinds = [dict(units)[e] for e in shown["equivalence"]]
    assert len(set(kinds)) == len(kinds)  # never three distances


def test_220_kg_is_not_75_000_km_by_train(factors):
    texts = " ".join(scaled_equivalences(220.0, factors)["texte"])
    assert "TGV (par voyageur)" not in texts.replace("Paris–Marseille en TGV (par voyageur)", "")
    assert "Paris–Marseille" in texts
    assert scaled_equivalences(0.0, factors).empty
    assert len(scaled_equivalences(1e9, factors)) == 1  # nothing readable: the nearest one
