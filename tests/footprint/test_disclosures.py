"""What providers publish about one message of their products (emission_factors/disclosures.csv),
with the real factor base, the real catalogue and the real engine: the table loads with its units
(Pint), sources and links; it names products of the catalogue, of its own provider, and a wrong
one is refused; each disclosed figure is set beside our estimate of one message, in our units; the
three bases; ``products disclosures`` as a user runs it; and the figures that docs/METHODOLOGIE.md
quotes, read here from the base and the engine."""

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from core.errors import InputError
from core.units import ureg
from emission_factors.loader import load_factor_base
from emission_factors.schema import FACTOR_DIR, read_schema
from footprint.engine import compute_impacts
from footprint.inventory import estimate_product, message_volume
from footprint.inventory.disclosures import BASES, basis_range, compare, disclosed_products, disclosures_for
from footprint.io.formatting import format_number, format_quantity
from footprint.vocabulary import IMPACT_UNITS

ROOT = Path(__file__).resolve().parents[2]
# The table as its file holds it (the format: emission_factors/schema.toml [tables.disclosures]).
ROWS = list(csv.DictReader((FACTOR_DIR / "disclosures.csv").open(encoding="utf-8")))
CATALOGUE = list(csv.DictReader((FACTOR_DIR / "products.csv").open(encoding="utf-8")))
# Each parameter of the table -> the impact of footprint.vocabulary it gives (the schema's labels say so).
IMPACT = {"energy_per_message": "energy_kwh", "gwp_per_message": "gwp_kgco2e", "water_per_message": "water_l",
          "adpe_per_message": "adpe_kgsbeq"}


def _products(row: dict) -> set[str]:
    return {name.strip() for name in row["products"].split("|") if name.strip()}


def _per_message(factors, product) -> dict:
    """Our estimate of one message of ``product``, as ``estimate product --messages 1`` gives it."""
    return estimate_product(factors, product, message_volume(factors, product, "messages", 1.0)).impacts


def _by_hand(row: dict) -> float:
    """A row's figure for one message in our unit of its impact, converted here by Pint from the file."""
    return ureg.Quantity(float(row["value"]), row["unit"]).m_as(f"{IMPACT_UNITS[IMPACT[row['parameter']]]} / message")


# -- the table ---------------------------------------------------------------------------------

def test_the_table_loads_with_its_units_sources_and_links():
    con = duckdb.connect()
    load_factor_base(con)
    spec = read_schema()["disclosures"]
    loaded = con.execute("SELECT disclosure, parameter, value, unit, canonical_value, canonical_unit, year, source, "
                         "source_url, [scope, functional_unit, emissions_basis, label, model] "
                         "FROM factor_disclosures").fetchall()
    assert len(loaded) == len(ROWS) >= 8
    for disclosure, parameter, value, unit, canonical, canonical_unit, year, source, link, described in loaded:
        assert canonical_unit == spec.parameters[parameter].unit
        row = next(r for r in ROWS if (r["disclosure"], r["parameter"]) == (disclosure, parameter))
        assert (value, unit) == (float(row["value"]), row["unit"])
        assert canonical == pytest.approx(ureg.Quantity(value, unit).m_as(canonical_unit), rel=1e-12)
        assert year == 2025 and source and link.startswith("https://") and all(described)
    # The three publications of issue 13, each with the impacts it gives.
    published = {(r["disclosure"], r["parameter"]) for r in ROWS}
    assert {("mistral_large_2_acv_2025", p) for p in ("gwp_per_message", "water_per_message", "adpe_per_message")} \
        <= published
    assert {("google_gemini_apps_2025", p) for p in ("energy_per_message", "gwp_per_message", "water_per_message")} \
        <= published
    assert {("openai_chatgpt_2025", p) for p in ("energy_per_message", "water_per_message")} <= published


def test_openai_water_published_in_gallons_is_converted_by_pint(factors):
    [water] = [d for d in disclosures_for(factors, "chatgpt_plus") if d.impact == "water_l"]
    assert water.unit == "gallon / message"
    # A US gallon is 3.785411784 L (NIST Handbook 44, appendix C): 0.000085 gallon is about 0.32 mL.
    assert water.per_message("mL") == pytest.approx(0.000085 * 3785.411784)


def test_each_disclosure_concerns_products_of_the_catalogue_of_its_own_provider():
    providers = {r["product"]: r["provider"] for r in CATALOGUE}
    for row in ROWS:
        assert _products(row), row["disclosure"]
        for product in _products(row):
            assert providers.get(product) == row["provider"], (row["disclosure"], product)
    concerned = set().union(*(_products(r) for r in ROWS))
    assert {"le_chat_free", "le_chat_pro", "le_chat_team", "le_chat_enterprise", "gemini_app", "gemini_workspace",
            "chatgpt_free", "chatgpt_plus", "chatgpt_business", "chatgpt_enterprise"} <= concerned


def test_a_disclosure_naming_a_product_missing_from_the_catalogue_is_refused(tmp_path):
    target = tmp_path / "factors"
    shutil.copytree(FACTOR_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = target / "disclosures.csv"
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    column, key = rows[0].index("products"), rows[0].index("disclosure")
    for row in rows[1:]:  # every row of the first disclosure: its attributes agree from row to row
        if row[key] == rows[1][key]:
            row[column] += "|le_chat_prp"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    con = duckdb.connect()
    with pytest.raises(InputError) as caught:
        load_factor_base(con, target)
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.column, problem.value) == ("disclosures.csv", 2, "products",
                                                                           "le_chat_prp")
    assert "référence inconnue" in problem.message and "products" in problem.message
    assert con.execute("SHOW TABLES").fetchall() == []


# -- beside our estimate -----------------------------------------------------------------------

@pytest.mark.parametrize("product_id", ["le_chat_pro", "gemini_app", "chatgpt_plus"])
def test_compare_gives_the_disclosure_in_our_units_and_its_ratio_to_our_central(factors, product_id):
    product = factors.product(product_id)
    ours = _per_message(factors, product)
    rows = compare(factors, product, ours)
    in_file = [r for r in ROWS if product_id in _products(r)]
    assert sorted((r["disclosure"], r["impact"]) for r in rows) == sorted(
        (r["disclosure"], IMPACT[r["parameter"]]) for r in in_file)
    for row in rows:
        source = next(r for r in in_file if (r["disclosure"], IMPACT[r["parameter"]]) == (row["disclosure"],
                                                                                           row["impact"]))
        disclosed = _by_hand(source)
        assert row["impact_unit"] == IMPACT_UNITS[row["impact"]]
        assert row["disclosed"] == pytest.approx(disclosed, rel=1e-9)
        assert row["estimate"] == ours[row["impact"]]
        assert row["ratio"] == pytest.approx(disclosed / ours[row["impact"]]["central"], rel=1e-9)
        assert (row["source"], row["source_url"], row["scope"]) == (source["source"], source["source_url"],
                                                                     source["scope"])


def test_a_product_whose_provider_publishes_nothing_has_no_disclosure(factors):
    assert disclosures_for(factors, "claude") == []
    assert compare(factors, factors.product("claude"), {}) == []
    assert {p.product for p in disclosed_products(factors)} == set().union(*(_products(r) for r in ROWS))


# -- the three bases ---------------------------------------------------------------------------

def _one(factors, product_id: str, impact: str) -> dict:
    product = factors.product(product_id)
    return next(r for r in compare(factors, product, _per_message(factors, product)) if r["impact"] == impact)


def test_the_estimate_basis_keeps_our_range_and_the_disclosure_basis_the_published_figure(factors):
    row = _one(factors, "le_chat_pro", "gwp_kgco2e")
    assert basis_range(row["estimate"], row["disclosed"], "estimation") == row["estimate"]
    assert basis_range(row["estimate"], row["disclosed"], "declaration_fournisseur") == {
        "low": row["disclosed"], "central": row["disclosed"], "high": row["disclosed"]}


@pytest.mark.parametrize(("product_id", "impact"), [("le_chat_pro", "gwp_kgco2e"), ("gemini_app", "energy_kwh"),
                                                    ("chatgpt_plus", "energy_kwh")])
def test_the_envelope_covers_both_with_its_central_in_the_middle(factors, product_id, impact):
    row = _one(factors, product_id, impact)
    ours, disclosed = row["estimate"], row["disclosed"]
    envelope = basis_range(ours, disclosed, "enveloppe")
    assert envelope["low"] == min(ours["low"], disclosed) and envelope["high"] == max(ours["high"], disclosed)
    assert envelope["central"] == pytest.approx((envelope["low"] + envelope["high"]) / 2)
    assert envelope["low"] <= min(ours["low"], disclosed) and envelope["high"] >= max(ours["high"], disclosed)


def test_the_envelope_widens_in_both_directions_on_the_real_figures(factors):
    # Mistral's life-cycle figure lies above our range, Google's measured energy below it.
    mistral, google = _one(factors, "le_chat_pro", "gwp_kgco2e"), _one(factors, "gemini_app", "energy_kwh")
    assert mistral["disclosed"] > mistral["estimate"]["high"] and google["disclosed"] < google["estimate"]["low"]
    assert basis_range(mistral["estimate"], mistral["disclosed"], "enveloppe")["high"] == mistral["disclosed"]
    assert basis_range(google["estimate"], google["disclosed"], "enveloppe")["low"] == google["disclosed"]


def test_a_basis_without_a_disclosure_or_unknown_is_refused_in_french():
    ours = {"low": 1.0, "central": 2.0, "high": 3.0}
    assert basis_range(ours, None, "enveloppe") == ours
    with pytest.raises(InputError) as none:
        basis_range(ours, None, "declaration_fournisseur")
    assert none.value.problems[0].column == "basis" and "aucun chiffre" in none.value.problems[0].message
    with pytest.raises(InputError) as unknown:
        basis_range(ours, 2.5, "fournisseur")
    [problem] = unknown.value.problems
    assert problem.column == "basis" and problem.value == "fournisseur" and all(b in problem.message for b in BASES)


# -- python -m footprint products disclosures ----------------------------------------------------

def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "footprint", "products", "disclosures", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_products_disclosures_json_sets_each_figure_beside_our_estimate(factors):
    done = _run("--json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["factor_base_version"] == factors.version
    listed = {p["product"]: p for p in payload["products"]}
    assert set(listed) == set().union(*(_products(r) for r in ROWS))
    for product_id, shown in listed.items():
        product = factors.product(product_id)
        assert shown["valid_from"] == product.valid_from
        ours = _per_message(factors, product)
        in_file = [r for r in ROWS if product_id in _products(r)]
        assert len(shown["disclosures"]) == len(in_file)
        for row in shown["disclosures"]:
            source = next(r for r in in_file if (r["disclosure"], IMPACT[r["parameter"]]) == (row["disclosure"],
                                                                                               row["impact"]))
            assert row["disclosed"] == pytest.approx(_by_hand(source), rel=1e-9)
            assert row["estimate"] == pytest.approx(ours[row["impact"]], rel=1e-9)
            assert row["ratio"] == pytest.approx(_by_hand(source) / ours[row["impact"]]["central"], rel=1e-9)
            assert row["source_url"] == source["source_url"] and row["scope"] == source["scope"]


def test_products_disclosures_speaks_french_with_the_scope_and_the_source(factors):
    done = _run("--product", "Le Chat Pro")
    assert done.returncode == 0, done.stderr
    row = next(r for r in ROWS if r["disclosure"] == "mistral_large_2_acv_2025" and r["parameter"] == "gwp_per_message")
    shown = _one(factors, "le_chat_pro", "gwp_kgco2e")
    assert f"publié {format_quantity(_by_hand(row), 'kgCO2e')}" in done.stdout  # « publié 1,14 gCO2e »
    assert f"publié / estimé × {format_number(shown['ratio'])}" in done.stdout
    assert f"périmètre : {row['scope']}" in done.stdout and row["source_url"] in done.stdout
    nothing = _run("--product", "claude")
    assert nothing.returncode == 0 and "aucun chiffre publié par le fournisseur" in nothing.stdout


def test_an_unknown_product_is_refused_in_french_with_the_closest_ones():
    done = _run("--product", "Gemnii")
    assert done.returncode == 2 and done.stdout == ""
    assert "--product : produit inconnu du catalogue ; produits proches" in done.stderr
    assert "(gemini_app)" in done.stderr and "Traceback" not in done.stderr


# -- docs/METHODOLOGIE.md ----------------------------------------------------------------------

# What the section compares each publication with: the model issue 13 measured with
# ``estimate llm --output-tokens 400`` for the products of that provider.
COMPARED = {"mistral_large_2_acv_2025": ("mistralai", "mistral-large-latest"),
            "google_gemini_apps_2025": ("google_genai", "gemini-2.5-flash"),
            "openai_chatgpt_2025": ("openai", "gpt-4o")}
OUTPUT_TOKENS = 400
QUOTED_UNITS = r"Wh|gCO2e|mgSbeq|µgSbeq|mL|gallon"


def _section() -> str:
    text = (ROOT / "docs" / "METHODOLOGIE.md").read_text(encoding="utf-8")
    start = text.index("### Ce que les fournisseurs publient")
    return text[start:text.index("\n## ", start)]


def _expected_figures(factors) -> tuple[set[str], set[str]]:
    """The quantities and the ratios the section may quote: each figure of disclosures.csv as
    published (decimal comma) and in our unit, the engine's central values for a 400-token answer
    of the model it is compared with, and each ratio published / ours (two significant figures)."""
    workloads = pd.DataFrame([{"kind": "llm", "provider": provider, "model": model, "requests": 1.0,
                               "output_tokens_per_request": float(OUTPUT_TOKENS)}
                              for provider, model in COMPARED.values()])
    result = compute_impacts(workloads, factors)
    quantities, ratios = set(), set()
    for position, disclosure in enumerate(COMPARED):
        for impact in IMPACT.values():
            quantities.add(format_quantity(float(result[f"{impact}_central"][position]), IMPACT_UNITS[impact]))
        for row in (r for r in ROWS if r["disclosure"] == disclosure):
            impact = IMPACT[row["parameter"]]
            published_unit = row["unit"].split("/")[0].strip()
            quantities |= {f"{row['value'].replace('.', ',')} {published_unit}",
                           format_quantity(_by_hand(row), IMPACT_UNITS[impact])}
            ratios.add(format_number(_by_hand(row) / float(result[f"{impact}_central"][position]), 2))
    return quantities, ratios


def test_the_figures_methodologie_quotes_are_those_of_the_base_and_the_engine(factors):
    section = " ".join(_section().split())
    quantities, ratios = _expected_figures(factors)
    quoted = {f"{number} {unit}" for number, unit in re.findall(rf"(\d[\d,]*) ({QUOTED_UNITS})\b", section)}
    quoted_ratios = set(re.findall(r"× (\d[\d,]*)", section))
    # Every figure the section quotes is one of the base or the engine today...
    assert quoted <= quantities, quoted - quantities
    assert quoted_ratios <= ratios, quoted_ratios - ratios
    # ...and every published figure is quoted, with at least one ratio per publication.
    for row in ROWS:
        assert f"{row['value'].replace('.', ',')} {row['unit'].split('/')[0].strip()}" in quoted, row["parameter"]
    assert len(quoted_ratios) >= len(COMPARED)
    for name in ("Ce que les fournisseurs publient", *BASES):
        assert name in _section()


# -- the basis an authority chooses, applied to its inventory ------------------------------------

def _le_chat_store(tmp_path):
    from footprint.store import Store

    store = Store(tmp_path / "bases.duckdb")
    store.save(pd.DataFrame([{"year": 2025, "service": "Communication", "kind": "llm", "product": "le_chat_pro",
                              "users": 12.0},
                             {"year": 2025, "service": "DSI", "kind": "llm", "provider": "openai", "model": "gpt-4o",
                              "requests": 1000.0, "output_tokens_per_request": 400.0}]))
    return store


def test_a_product_on_the_disclosures_basis_gets_the_disclosed_figure_per_message_times_its_messages(
        factors, tmp_path):
    from footprint.inventory import compute_inventory
    from footprint.inventory.declarations import to_workloads

    store = _le_chat_store(tmp_path)
    ours = compute_inventory(store, factors, 2025)
    assert store.save_product_basis("le_chat_pro", "declaration_fournisseur", "ACV publiée")
    assert not store.save_product_basis("le_chat_pro", "declaration_fournisseur", "ACV publiée")  # nothing new
    based = compute_inventory(store, factors, 2025)
    workload = to_workloads(based.declarations, factors).iloc[0]
    messages = {"low": workload["requests"], "high": workload["requests_high"]}
    by_hand = {IMPACT[r["parameter"]]: _by_hand(r) for r in ROWS if "le_chat_pro" in _products(r)}
    assert "gwp_kgco2e" in by_hand and "energy_kwh" not in by_hand  # Mistral publishes no energy
    chat, other = based.impacts.iloc[0], based.impacts.iloc[1]
    for impact, per_message in by_hand.items():
        assert chat[f"{impact}_low"] == pytest.approx(per_message * messages["low"], rel=1e-12)
        assert chat[f"{impact}_high"] == pytest.approx(per_message * messages["high"], rel=1e-12)
        assert chat[f"{impact}_central"] == pytest.approx((chat[f"{impact}_low"] + chat[f"{impact}_high"]) / 2)
    # The parts keep their shares; what is not published stays ours; another declaration is untouched.
    for end in ("low", "central", "high"):
        assert chat[f"gwp_usage_kgco2e_{end}"] + chat[f"gwp_embodied_kgco2e_{end}"] == pytest.approx(
            chat[f"gwp_kgco2e_{end}"], rel=1e-9)
        assert chat[f"energy_kwh_{end}"] == ours.impacts.iloc[0][f"energy_kwh_{end}"]
    pd.testing.assert_series_equal(other, ours.impacts.iloc[1])
    assert any("Le Chat Pro" in w and "Déclaration du fournisseur" in w for w in based.warnings)


def test_the_envelope_spans_our_range_and_the_disclosure_and_every_choice_stays_in_the_history(factors, tmp_path):
    from footprint.inventory import compute_inventory

    store = _le_chat_store(tmp_path)
    ours = compute_inventory(store, factors, 2025).impacts.iloc[0]
    store.save_product_basis("le_chat_pro", "declaration_fournisseur")
    disclosed = compute_inventory(store, factors, 2025).impacts.iloc[0]
    revision = store.revision()
    store.save_product_basis("le_chat_pro", "enveloppe", "les deux périmètres diffèrent", user="alice")
    assert store.revision() != revision
    envelope = compute_inventory(store, factors, 2025).impacts.iloc[0]
    for impact in ("gwp_kgco2e", "water_l", "adpe_kgsbeq"):
        assert envelope[f"{impact}_low"] == min(ours[f"{impact}_low"], disclosed[f"{impact}_low"])
        assert envelope[f"{impact}_high"] == max(ours[f"{impact}_high"], disclosed[f"{impact}_high"])
    history = store.product_bases(include_history=True)
    assert history["basis"].tolist() == ["declaration_fournisseur", "enveloppe"]
    assert store.product_bases().to_dict("records")[0]["saved_by"] == "alice"
    store.save_product_basis("le_chat_pro", "estimation")
    back = compute_inventory(store, factors, 2025).impacts.iloc[0]
    pd.testing.assert_series_equal(back, ours)


def test_a_basis_the_provider_cannot_support_is_refused_in_french_and_nothing_is_written(tmp_path):
    from footprint.store import Store

    db = tmp_path / "b.duckdb"
    Store(db).schema_version()
    cases = [(["--product", "copilot", "--basis", "enveloppe"], "ne publie aucun chiffre"),
             (["--product", "le chatt pro", "--basis", "enveloppe"], "produits proches"),
             (["--product", "le chat pro", "--basis", "au hasard"], "choix invalide")]
    for args, fragment in cases:
        done = subprocess.run([sys.executable, "-m", "footprint", "products", "basis", "--db", str(db), *args],
                              capture_output=True, text=True, cwd=ROOT)
        assert done.returncode == 2 and fragment in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert Store(db).product_bases(include_history=True).empty
    done = subprocess.run([sys.executable, "-m", "footprint", "products", "basis", "--db", str(db), "--product",
                           "Le Chat Pro", "--basis", "enveloppe"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and "enregistrée" in done.stdout
    listed = subprocess.run([sys.executable, "-m", "footprint", "products", "bases", "--db", str(db), "--json"],
                            capture_output=True, text=True, cwd=ROOT)
    assert json.loads(listed.stdout)["bases"][0]["basis"] == "enveloppe"


def test_the_command_lines_bases_are_the_librarys():
    from cli.products import _BASES

    assert _BASES == BASES


def test_estimate_product_shows_what_the_provider_publishes_beside_our_estimate(factors):
    done = subprocess.run([sys.executable, "-m", "footprint", "estimate", "product", "--product", "gemini",
                           "--users", "30", "--json"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    product = factors.product("gemini_app")
    one = _per_message(factors, product)
    assert [(r["impact"], r["disclosed"]) for r in payload["disclosures"]] == [
        (r["impact"], r["disclosed"]) for r in compare(factors, product, one)]
    text = subprocess.run([sys.executable, "-m", "footprint", "estimate", "product", "--product", "chatgpt plus",
                           "--licences", "5"], capture_output=True, text=True, cwd=ROOT).stdout
    assert "Le fournisseur publie, par message" in text and "publié / estimé" in text
    silent = subprocess.run([sys.executable, "-m", "footprint", "estimate", "product", "--product", "copilot",
                             "--licences", "5"], capture_output=True, text=True, cwd=ROOT).stdout
    assert "Le fournisseur publie" not in silent


def test_impacts_a_provider_does_not_publish_follow_its_published_energy(factors, tmp_path):
    from footprint.inventory import compute_inventory
    from footprint.store import Store

    store = Store(tmp_path / "o.duckdb")
    store.save(pd.DataFrame([{"year": 2025, "service": "Com", "kind": "llm", "product": "chatgpt_business",
                              "users": 10.0}]))
    ours = compute_inventory(store, factors, 2025).impacts.iloc[0]
    store.save_product_basis("chatgpt_business", "declaration_fournisseur")
    based = compute_inventory(store, factors, 2025).impacts.iloc[0]
    for end in ("low", "high"):
        ratio = based[f"energy_kwh_{end}"] / ours[f"energy_kwh_{end}"]
        # OpenAI publishes energy and water, not emissions: their electricity part follows the energy.
        assert based[f"gwp_usage_kgco2e_{end}"] == pytest.approx(ours[f"gwp_usage_kgco2e_{end}"] * ratio, rel=1e-9)
        assert based[f"gwp_embodied_kgco2e_{end}"] == pytest.approx(ours[f"gwp_embodied_kgco2e_{end}"], rel=1e-12)
        assert based[f"gwp_kgco2e_{end}"] == pytest.approx(
            based[f"gwp_usage_kgco2e_{end}"] + based[f"gwp_embodied_kgco2e_{end}"], rel=1e-9)
