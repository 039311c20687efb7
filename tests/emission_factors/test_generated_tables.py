"""The tables copied from ecologits match the installed ecologits exactly: a version bump that
changes its data makes this test fail until `make factors` regenerates them. The one exception
is a figure that breaks a physical bound (a primary energy below the 3.6 MJ of a kWh): replaced
by a sourced value, ecologits' own kept beside it."""

from emission_factors import generate_ecologits
from emission_factors.schema import FACTOR_DIR

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


def test_the_electricity_table_is_ecologits_own_but_for_its_impossible_primary_energies(factors):
    from ecologits.electricity_mix_repository import electricity_mixes

    from emission_factors.schema import read_schema

    bound = read_schema()["electricity_mix"].parameters["pe"].physical_minimum
    ours = {row[0]: row[1:] for row in factors.con.execute(
        "SELECT zone, gwp, adpe, pe, pe_published, wue_offsite FROM electricity_mix WHERE dataset = 'ecologits'")
        .fetchall()}
    theirs = electricity_mixes.list_electricity_mixes()
    replaced = 0
    for mix in theirs:
        gwp, adpe, pe, published, wue = ours[mix.zone]
        assert (gwp, adpe, wue) == (mix.gwp, mix.adpe, mix.wue), mix.zone
        if mix.pe >= bound:
            assert (pe, published) == (mix.pe, None), mix.zone
        else:
            replaced += 1
            assert published == mix.pe and pe >= bound, mix.zone
    assert len(theirs) == len(ours) >= 215
    assert replaced == sum(1 for m in theirs if m.pe < bound) > 0
