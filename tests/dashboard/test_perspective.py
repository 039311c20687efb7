"""The footprint in perspective and the scenarios' verdict, over a real store and the real factor
base: the collectivité's profile set once on its page (every field, refusals named by the
field's label), the example's profile, the Synthèse's figures per agent and per inhabitant and
its equivalences at the figure's scale, the verdict table under the trajectories with the target
saved into the profile, the realised years on the chart, and the charts readable (text contrast
computed with the WCAG 2.x formula, small slices grouped into « Autres », custom scenarios in
colours of their own)."""

from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest
from conftest import no_failure
from streamlit.testing.v1 import AppTest

from dashboard import charts, example, views
from footprint.inventory import compute_inventory, import_declarations
from footprint.inventory.authority import FIELDS, check_profile, perspective
from footprint.io.formatting import format_number, format_quantity
from scenarios.definitions import available, built_in_scenarios
from scenarios.projection import project
from scenarios.verdict import VERDICTS, Target

ROOT = Path(__file__).resolve().parents[2]
COLLECTIVITE = str(ROOT / "app_pages" / "collectivite.py")
SCENARIOS = str(ROOT / "app_pages" / "scenarios.py")
PROFILE = {"nom": "Commune de Test", "population": "52000", "agents": "640", "beges_tco2e": "9800",
           "annee_beges": "2024", "objectif_baisse_pct": "35", "annee_objectif": "2030"}


def _page(path: str) -> AppTest:
    app = AppTest.from_file(path, default_timeout=120)
    app.run()
    return app


# -- the Collectivité page --------------------------------------------------------------------

def test_the_collectivite_page_offers_every_field_with_its_label(empty_store):
    app = _page(COLLECTIVITE)
    no_failure(app)
    labels = {w.label for w in app.text_input} | {w.label for w in app.number_input}
    assert labels == {field.label for field in FIELDS}
    integers = [w for w in app.number_input if w.label in {f.label for f in FIELDS if f.integer}]
    assert integers and all(w.format == "%d" and w.step == 1 for w in integers)


def test_a_profile_set_on_its_page_is_saved_with_its_history(empty_store):
    app = _page(COLLECTIVITE)
    fields = {f.name: f.label for f in FIELDS}
    next(w for w in app.text_input if w.label == fields["nom"]).input("Commune de Test")
    numbers = {w.label: w for w in app.number_input}
    numbers[fields["population"]].set_value(52000)
    numbers[fields["agents"]].set_value(640)
    numbers[fields["beges_tco2e"]].set_value(9800.0)
    numbers[fields["annee_beges"]].set_value(2024)
    app.button(key="FormSubmitter:collectivite-Enregistrer le profil").click().run()
    no_failure(app)
    held = empty_store.authority_profile()
    assert (held["name"], held["population"], held["agents"], held["beges_tco2e"], held["beges_year"]) == (
        "Commune de Test", 52000, 640, 9800.0, 2024)
    assert held["target_reduction_pct"] is None
    # The form shows the integers it holds without decimals; the history has the version.
    shown = {w.label: w.value for w in app.number_input}
    assert shown[fields["population"]] == 52000 and isinstance(shown[fields["population"]], int)
    history = next(d.value for d in app.dataframe if "Par" in d.value.columns)
    assert len(history) == 1 and history.iloc[0][fields["nom"]] == "Commune de Test"


def test_a_refused_profile_names_the_field_by_its_label_and_writes_nothing(empty_store):
    app = _page(COLLECTIVITE)
    fields = {f.name: f.label for f in FIELDS}
    next(w for w in app.text_input if w.label == fields["nom"]).input("Commune de Test")
    next(w for w in app.text_input if w.label == fields["siren"]).input("123456789")
    numbers = {w.label: w for w in app.number_input}
    numbers[fields["beges_tco2e"]].set_value(9800.0)
    app.button(key="FormSubmitter:collectivite-Enregistrer le profil").click().run()
    no_failure(app)
    message = app.error[0].value.replace("\\", "")
    assert "rien n'a été enregistré" in message
    assert f"{fields['siren']} : 9 chiffres attendus" in message
    assert f"{fields['annee_beges']} : à donner avec « {fields['beges_tco2e']} »" in message
    assert empty_store.authority_profile() is None


def test_the_example_sets_its_profile_only_when_there_is_none(empty_store, factors):
    empty_store.save_authority_profile(check_profile({"nom": "Ma commune", "agents": "50"}).values(), user="moi")
    example.create_example(empty_store, factors)
    assert empty_store.authority_profile()["name"] == "Ma commune"
    example.clear_example(empty_store)
    assert empty_store.authority_profile()["name"] == "Ma commune"


def test_the_example_profile_is_the_fictional_agglomeration_read_from_its_file(example_store):
    held = example_store.authority_profile()
    assert held["name"] == example.AUTHORITY and held["saved_by"] == example.ORIGIN
    profile = check_profile(example.example_profile())
    assert profile.population and profile.agents and profile.beges_year == 2024
    assert profile.target == pytest.approx((0.4, 2030))
    example.clear_example(example_store)
    assert example_store.authority_profile()["name"] == example.AUTHORITY  # the profile is the page's to change


# -- the Synthèse ------------------------------------------------------------------------------

def test_the_synthesis_puts_the_footprint_per_agent_inhabitant_and_beges_share(example_store, factors):
    profile = views.stored_profile(example_store)
    inventory = compute_inventory(example_store, factors, 2025)
    shown = views.synthesis(inventory, factors, profile)
    gwp = inventory.total()["gwp_kgco2e"]
    expected = perspective(gwp, profile)
    figures = {figure["label"]: figure for figure in shown["perspective"]}
    assert figures["Par agent de la collectivité"]["value"] == format_quantity(
        expected.per_agent_kgco2e[1], "kgCO2e")
    assert expected.per_agent_kgco2e[1] == pytest.approx(gwp["central"] / profile.agents)
    assert figures["Part du dernier BEGES"]["value"] == f"{format_number(expected.beges_share[1] * 100)} %"
    assert set(figures) == {label for _, label, _ in views.PERSPECTIVE}
    assert views.synthesis(inventory, factors, None)["perspective"] == []


def test_headline_figures_read_in_a_unit_that_suits_them(example_store, factors):
    inventory = compute_inventory(example_store, factors, 2025)
    gwp = inventory.total()["gwp_kgco2e"]["central"]
    assert 1 < gwp < 1000  # the example: tens of kgCO2e, not « 0,09 tCO2e »
    figure = next(f for f in views.headline(inventory) if f["label"] == views.HEADLINE_LABELS["gwp_kgco2e"])
    assert figure["unit"] == "kgCO2e" and figure["quantity"] == format_quantity(gwp, "kgCO2e")
    assert figure["value"] == format_number(gwp)


def test_equivalences_are_scaled_to_the_figure(example_store, factors):
    inventory = compute_inventory(example_store, factors, 2025)
    shown = views.synthesis(inventory, factors)["equivalences"]
    assert len(shown) >= 1 and shown["quantite"].between(1, 2000).all()


def test_breakdowns_and_the_top_table_show_labels_not_ids(example_store, factors):
    inventory = compute_inventory(example_store, factors, 2025)
    shown = views.synthesis(inventory, factors)
    labels = dict(factors.con.execute("SELECT DISTINCT use_case, label FROM use_cases").fetchall())
    use_cases = set(shown["breakdowns"]["cas_usage"]["groupe"])
    assert labels["redaction_courrier"] in use_cases and "redaction_courrier" not in use_cases
    assert "transcription des réunions" in use_cases  # typed by a person: kept as typed
    assert labels["redaction_courrier"] in set(shown["top"]["cas_usage"])
    assert not set(shown["top"]["cas_usage"]) & set(labels)


def test_a_product_is_shown_by_its_label(example_store, factors):
    example_store.save(pd.DataFrame([{"year": 2025, "service": "Communication", "kind": "llm",
                                      "product": "le_chat_pro", "users": 12.0}]))
    inventory = compute_inventory(example_store, factors, 2025)
    tools = set(views.breakdown(inventory, factors, "outil")["groupe"])
    assert factors.product("le_chat_pro").label in tools and "le_chat_pro" not in tools


def test_the_synthesis_page_shows_the_perspective_and_hides_the_hash_in_a_popover(example_store, factors):
    app = _page(str(ROOT / "app.py"))
    no_failure(app)
    inventory = compute_inventory(example_store, factors, 2025)
    assert not [c.value for c in app.caption if inventory.factor_base_version in c.value]
    assert any(m.label == "Par agent de la collectivité" for m in app.metric)
    assert any(m.label == views.HEADLINE_LABELS["gwp_kgco2e"] and m.value.endswith("kgCO2e") for m in app.metric)


# -- the Scénarios page ------------------------------------------------------------------------

def _projection(store, factors, ids=("sobre", "tendanciel", "intensif")):
    known = available(store)
    return project(compute_inventory(store, factors, 2025), [known[i] for i in ids], factors, 2030)


def test_each_scenario_gets_a_verdict_in_words(example_store, factors):
    projection = _projection(example_store, factors)
    table = views.verdict_table(projection, Target(0.4, 2030))
    assert list(table["id"]) == ["sobre", "tendanciel", "intensif"]
    assert set(table["verdict"]) <= set(VERDICTS) and table["explication"].str.len().gt(20).all()
    assert (table["annee"] == 2030).all()
    totals = projection.totals().set_index(["scenario", "year"])
    start = totals.loc[("tendanciel", 2025), "gwp_kgco2e_central"]
    trend = table.set_index("id").loc["tendanciel"]
    assert trend["evolution_pct"] == pytest.approx(
        (totals.loc[("tendanciel", 2030), "gwp_kgco2e_central"] / start - 1) * 100)
    assert trend["evolution"].endswith("par rapport à 2025")


def test_the_target_defaults_to_the_profile_and_savings_name_their_reference(example_store, factors):
    profile = views.stored_profile(example_store)
    assert views.target_defaults(profile, 2030) == (40.0, 2030)
    assert views.target_defaults(None, 2030) == (None, 2030)
    saving = views.savings(_projection(example_store, factors), factors)
    assert saving["reference"] == "par rapport au scénario Tendanciel"


def test_the_target_is_saved_into_the_profile(example_store):
    assert views.save_target(example_store, 45.0, 2030).saved
    held = example_store.authority_profile()
    assert (held["target_reduction_pct"], held["target_year"], held["name"]) == (45.0, 2030, example.AUTHORITY)


def test_without_a_profile_the_target_cannot_be_saved(empty_store):
    refused = views.save_target(empty_store, 45.0, 2030)
    assert not refused.saved and any(p.startswith("Nom de la collectivité") for p in refused.problems)
    assert empty_store.authority_profile() is None


def test_realised_years_carry_their_change_year_on_year(example_store, factors):
    lines = example.DECLARATIONS_FILE.read_bytes().splitlines(keepends=True)
    earlier = b"".join([lines[0], *(line.replace(b";2025;", b";2024;", 1) for line in lines[1:4])])
    import_declarations(earlier, example_store, factors, name="inventaire-2024.csv")
    inventories = [compute_inventory(example_store, factors, year) for year in (2025, 2024)]
    realised = views.realised(inventories)
    assert list(realised["annee"]) == [2024, 2025]
    first, second = realised["tco2e"]
    assert realised["evolution_pct"].iloc[1] == pytest.approx((second / first - 1) * 100)
    assert realised["evolution"].iloc[0] == "première année d'inventaire"
    figure = charts.trajectories(views.trajectories(_projection(example_store, factors), Target().path(
        _projection(example_store, factors))), realised)
    [markers] = [t for t in figure.data if t.name == views.REALISED]
    assert list(markers.x) == [2024, 2025]


def test_the_scenarios_page_shows_the_verdict_table_and_saves_the_target(example_store):
    app = _page(SCENARIOS)
    no_failure(app)
    table = next(d.value for d in app.dataframe if "verdict" in d.value.columns)
    assert {"Sobre", "Tendanciel"} <= set(table["scenario"]) and set(table["verdict"]) <= set(VERDICTS)
    assert next(w for w in app.number_input if w.label.startswith("Objectif PCAET")).value == 40.0
    assert any("par rapport au scénario Tendanciel" in m.label for m in app.metric)
    next(w for w in app.number_input if w.label.startswith("Objectif PCAET")).set_value(50.0).run()
    app.button(key="save_target").click().run()
    no_failure(app)
    assert example_store.authority_profile()["target_reduction_pct"] == 50.0


def test_the_scenarios_page_asks_for_the_profile_before_saving_a_target(empty_store, factors):
    import_declarations(example.DECLARATIONS_FILE, empty_store, factors)
    assert empty_store.authority_profile() is None
    app = _page(SCENARIOS)
    no_failure(app)
    assert not [b for b in app.button if b.key == "save_target"]
    assert any("renseignez d'abord la page Collectivité" in c.value for c in app.caption)


# -- the charts --------------------------------------------------------------------------------

def _luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of a ``#rrggbb`` colour (https://www.w3.org/TR/WCAG21/#dfn-relative-luminance)."""
    channels = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    """WCAG 2.x contrast ratio (https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio)."""
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_contrast_formula_gives_wcags_known_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # just under AA


def _text_colours(figure: go.Figure) -> list[str]:
    layout = figure.layout
    colours = [layout.font.color, layout.title.font.color, layout.legend.font.color, layout.hoverlabel.font.color]
    for axis in (layout.xaxis, layout.yaxis):
        colours += [axis.tickfont.color, axis.title.font.color]
    colours += [trace.textfont.color for trace in figure.data if getattr(trace, "textfont", None) is not None
                and trace.textfont.color is not None]
    return colours


def _figures(store, factors) -> list[go.Figure]:
    inventory = compute_inventory(store, factors, 2025)
    table = views.breakdown(inventory, factors, "service")
    projection = _projection(store, factors)
    return [charts.breakdown_bar(table, "tCO2e par service"), charts.share_pie(table, "Part des émissions"),
            charts.trajectories(views.trajectories(projection, Target().path(projection))),
            charts.stacked_kinds(views.by_kind(projection, "sobre"), "Sobre (tCO2e)")]


def test_every_text_of_every_chart_has_a_contrast_of_at_least_4_5(example_store, factors):
    for figure in _figures(example_store, factors):
        colours = _text_colours(figure)
        assert None not in colours, figure.layout.title.text
        for background in (figure.layout.paper_bgcolor, figure.layout.plot_bgcolor):
            assert min(contrast(c, background) for c in colours) >= 4.5


def test_small_slices_are_grouped_into_autres_and_no_label_says_zero():
    table = pd.DataFrame({"groupe": ["A", "B", "C", "D", "E", "F", "G", "H", "I"],
                          "tco2e": [50.0, 20.0, 10.0, 8.0, 6.0, 4.0, 1.0, 0.6, 0.4]})
    slices = charts.pie_slices(table)
    assert list(slices["groupe"]) == ["A", "B", "C", "D", "E", "F", "Autres (3)"]
    assert slices["tco2e"].sum() == pytest.approx(table["tco2e"].sum())
    assert slices.iloc[-1]["groupes"] == 3 and slices.iloc[-1]["texte"] == "2 %"
    assert not [t for t in slices["texte"] if t.startswith("0")]
    # Beyond the six largest, even large enough groups join « Autres ».
    many = pd.DataFrame({"groupe": list("ABCDEFGH"), "tco2e": [10.0] * 8})
    assert list(charts.pie_slices(many)["groupe"])[-1] == "Autres (2)"
    # One small group alone keeps its name, with « < 1 % » rather than « 0 ».
    lone = charts.pie_slices(pd.DataFrame({"groupe": ["A", "B"], "tco2e": [999.0, 1.0]}))
    assert list(lone["groupe"]) == ["A", "B"] and list(lone["texte"]) == ["100 %", "< 1 %"]


def test_the_donut_never_clips_its_labels():
    table = pd.DataFrame({"groupe": ["A", "B"], "tco2e": [3.0, 1.0]})
    [pie] = charts.share_pie(table, "Part").data
    assert pie.automargin and pie.textposition == "outside" and pie.textinfo == "text"


def test_custom_scenarios_get_colours_of_their_own(example_store, factors):
    sober = built_in_scenarios()[0]
    derived, _ = views.derive_scenario(sober, "mon-sobre", "Sobre", views.slider_values(sober, 2030), 2025, 2030, "t")
    other, _ = views.derive_scenario(sober, "autre", "Autre", views.slider_values(sober, 2030), 2025, 2030, "t")
    inventory = compute_inventory(example_store, factors, 2025)
    projection = project(inventory, [sober, derived, other], factors, 2030)
    figure = charts.trajectories(views.trajectories(projection, Target().path(projection)))
    lines = {trace.name: trace.line.color for trace in figure.data if trace.mode == "lines+markers"}
    colours = [t.line.color for t in figure.data if t.mode == "lines+markers"]
    assert len(colours) == len(set(colours)) == 4  # Sobre, its namesake, Autre, the target
    assert lines["Autre"] in charts.CUSTOM_COLOURS
    assert not set(charts.CUSTOM_COLOURS) & set(charts.SCENARIO_COLOURS.values())
    assert charts.scenario_colours(["sobre", "tendanciel", "intensif"]) == {
        i: charts.SCENARIO_COLOURS[i] for i in ("sobre", "tendanciel", "intensif")}
