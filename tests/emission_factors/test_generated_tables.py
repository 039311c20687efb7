"""The tables copied from ecologits match the installed ecologits exactly: a version bump that
changes its data makes this test fail until `make factors` regenerates them."""

from emission_factors import generate_ecologits
from emission_factors.loader import FACTOR_DIR

GENERATED = ["models_ecologits.csv", "electricity_mixes_ecologits.csv", "hosting_profiles_ecologits.csv"]


def test_generated_tables_are_up_to_date_with_installed_ecologits(tmp_path):
    generate_ecologits.main(tmp_path)
    for name in GENERATED:
        assert (tmp_path / name).read_text(encoding="utf-8") == (FACTOR_DIR / name).read_text(encoding="utf-8"), name


def test_every_ecologits_model_and_alias_is_in_the_base(factors):
    from ecologits.model_repository import models

    ours = set(factors.con.execute("SELECT provider, model FROM models").fetchall())
    theirs = {(m.provider.value, m.name) for m in models.list_models()}
    assert theirs <= ours
    assert len(theirs) >= 340
