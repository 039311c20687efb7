"""One factor base used by many threads at once, as the dashboard's sessions use the one it
caches for the whole server: the lookups, the electricity choice, the provenance rows, the
factors of a table and the engine give, in every thread, exactly what they give in one thread,
on the base of the files and on a base derived from it by the authority's own values."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from footprint.engine import compute_impacts
from footprint.factors import FactorBase

THREADS = 16
ROUNDS = 4
WORKLOADS = pd.DataFrame([
    dict(kind="llm", provider="mistralai", model="mistral-large-latest", output_tokens_per_request=400,
         requests=3000, zone="FRA"),
    dict(kind="llm", provider="openai", model="gpt-4o", output_tokens_per_request=300, requests=1000),
    dict(kind="gpu", gpu="L40S", gpus=2, hours=100, hosting="salle_serveurs"),
    dict(kind="task", task="transcription_audio", units=600, hosting="salle_serveurs"),
    dict(kind="measured", energy_kwh=12.5, zone="FRA", year=2025),
])
OWN_PUE = pd.DataFrame([
    {"id": f"VL-0000{i}", "table_name": "hosting_profiles", "key": {"hosting": "salle_serveurs"},
     "parameter": parameter, "value": 1.25, "unit": "dimensionless", "year": 2024,
     "justification": "Mesure du compteur de la salle serveurs, 2024"}
    for i, parameter in enumerate(("pue_min", "pue_max"), start=1)])


def _everything(factors: FactorBase) -> dict:
    """What a dashboard session asks of a factor base, as plain values."""
    impacts = compute_impacts(WORKLOADS, factors)
    return {
        "constant": factors.constant("working_days_per_year").m,
        "provider": factors.provider_id("Mistral"),
        "model": factors.model_name("mistralai", "Mistral-Large-Latest"),
        "unknown_model": factors.model_name("mistralai", "mistral-inexistant"),
        "suggestions": factors.suggest_models("mistralai", "mistral-larg"),
        "gpu": factors.gpu_id("l40s"),
        "lists": (factors.providers(), factors.gpus(), factors.zones(), factors.hostings(), factors.tasks(),
                  factors.mix_datasets()),
        "zone_aliases": factors.zone_aliases(),
        "default_hosting": factors.default_hosting("mistralai"),
        "hostings_of": factors.hostings_of(WORKLOADS.reindex(columns=["kind", "hosting", "provider"])),
        "hosting_zone": factors.hosting_zone("salle_serveurs"),
        "mix": factors.mix("FRA"),
        "mix_2023": factors.mix("DEU", "ecologits", 2023),
        "sources": factors.constant_sources(["working_days_per_year", "gpu_default_pue"]),
        "raw": factors.con.execute("SELECT pue_min, pue_max FROM hosting_profiles WHERE hosting = 'salle_serveurs'"
                                   ).fetchall(),
        "described": [d[0] for d in factors.con.execute("SELECT * FROM hosting_profiles LIMIT 1").description],
        "parameter_rows": factors.parameter_rows("hosting_profiles").drop(columns="key").to_dict("list"),
        "impacts": impacts.to_dict("list"),
        "warnings": impacts.attrs["warnings"],
        "version": impacts.attrs["factor_base_version"],
    }


@pytest.fixture(scope="module")
def fresh():
    """A base of its own (nothing computed or cached yet) and one derived by an own PUE."""
    return FactorBase.load()


def test_many_threads_share_a_factor_base_and_its_derived_base_without_error(fresh):
    bases = {"files": fresh, "local": fresh.with_overrides(OWN_PUE)}
    errors: list[BaseException] = []
    results: list[tuple[str, dict]] = []
    start = threading.Barrier(THREADS)

    def session(number: int) -> None:
        try:
            start.wait()
            for round_ in range(ROUNDS):
                name = "files" if (number + round_) % 2 == 0 else "local"
                base = bases[name]
                results.append((name, _everything(base)))
                assert fresh.with_overrides(OWN_PUE) is bases["local"]  # the derived base is built once
        except BaseException as error:  # noqa: BLE001 — reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=session, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads)
    assert not errors, [f"{type(e).__name__}: {e}" for e in errors[:5]]

    expected = {name: _everything(base) for name, base in bases.items()}
    assert len(results) == THREADS * ROUNDS
    for name, found in results:
        assert found == expected[name], name
    # The derived base really holds the own value, in every thread.
    assert expected["local"]["raw"] == [(1.25, 1.25)] and expected["files"]["raw"] != [(1.25, 1.25)]
    assert expected["local"]["version"].startswith(fresh.version + "+")


def test_each_thread_reads_the_derived_base_not_the_files(fresh):
    local = fresh.with_overrides(OWN_PUE)
    found: list = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def read() -> None:
        try:
            start.wait()
            found.append(local.con.execute("SELECT pue_min FROM hosting_profiles WHERE hosting = 'salle_serveurs'"
                                           ).fetchall())
            cursor = local.con.cursor()  # what the engine uses
            try:
                found.append(cursor.execute("SELECT pue_max FROM hosting_profiles WHERE hosting = 'salle_serveurs'"
                                            ).fetchall())
            finally:
                cursor.close()
        except BaseException as error:  # noqa: BLE001 — reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, [f"{type(e).__name__}: {e}" for e in errors]
    assert found == [[(1.25,)]] * 16
