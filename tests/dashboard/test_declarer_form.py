"""The Déclarer form as a climate officer uses it, driven by Streamlit's AppTest over a real store
file: sending the same declaration twice saves it once, an implausible daily volume waits for a
confirmation, a refused form names the field and writes numbers the French way, GPU hours are
typed as hours a day × days; and the import tab's template (a real XLSX, read back by the
import) and the closest name offered for an unknown one."""

import io

import openpyxl
import pytest
from conftest import no_failure, open_app

from dashboard.views import declarer
from footprint.inventory.declarations import read_declarations
from footprint.io.formatting import format_number

SUBMIT = "FormSubmitter:declaration-Enregistrer la déclaration"


def _fill_api_form(app, service: str, agents: float, per_day: float) -> None:
    next(w for w in app.text_input if w.label == "Service").input(service)
    next(w for w in app.selectbox if w.label == "Cas d'usage").set_value("redaction_courrier")
    numbers = {w.label: w for w in app.number_input}
    numbers["Nombre d'agents qui l'utilisent"].set_value(agents)
    numbers["Requêtes par agent et par jour"].set_value(per_day)


def _unescaped(blocks) -> str:
    """What the person reads in these blocks (their Markdown without the escapes of ``as_text``)."""
    return " ".join(b.value for b in blocks).replace("\\", "")


def _errors(app) -> str:
    return _unescaped(app.error)


def test_sending_the_same_declaration_twice_saves_it_once_and_says_so(empty_store):
    app = open_app("declarer")
    _fill_api_form(app, "Urbanisme", 12.0, 7.0)
    app.button(key=SUBMIT).click().run()
    no_failure(app)
    assert len(empty_store.declarations()) == 1
    first = empty_store.declarations()["id"].iloc[0]
    app.button(key=SUBMIT).click().run()  # the same values sent again (a double click, a re-submit)
    no_failure(app)
    assert len(empty_store.declarations()) == 1
    assert first in _errors(app) and "deuxième fois" in _errors(app)
    # A different value is a different declaration.
    next(w for w in app.number_input if w.label == "Requêtes par agent et par jour").set_value(8.0)
    app.button(key=SUBMIT).click().run()
    assert len(empty_store.declarations()) == 2


def test_an_implausible_daily_volume_is_saved_only_once_confirmed(empty_store):
    app = open_app("declarer")
    _fill_api_form(app, "Direction générale", 150.0, 5000.0)
    app.button(key=SUBMIT).click().run()
    no_failure(app)
    assert empty_store.declarations().empty, "nothing saved before the confirmation"
    warning = _unescaped(app.warning)
    assert f"{format_number(5000)} requêtes par personne et par jour" in warning, warning
    assert f"{format_number(750_000)} requêtes par jour" in warning, warning
    box = next(c for c in app.checkbox if c.label == "Je confirme ce volume")
    box.check()
    app.button(key=SUBMIT).click().run()
    no_failure(app)
    saved = empty_store.declarations()
    assert len(saved) == 1 and saved["requests_per_agent_per_day"].iloc[0] == 5000
    assert not [c for c in app.checkbox if c.label == "Je confirme ce volume"]


def test_a_plausible_volume_needs_no_confirmation(empty_store):
    app = open_app("declarer")
    _fill_api_form(app, "Urbanisme", 150.0, 10.0)
    app.button(key=SUBMIT).click().run()
    assert len(empty_store.declarations()) == 1
    assert not [c for c in app.checkbox if c.label == "Je confirme ce volume"]


def test_a_refused_form_names_the_field_and_writes_numbers_the_french_way(empty_store):
    app = open_app("declarer")
    _fill_api_form(app, "Urbanisme", 2_000_000.0, 10.0)
    app.button(key=SUBMIT).click().run()
    no_failure(app)
    said = _errors(app)
    assert empty_store.declarations().empty
    assert "« Nombre d'agents qui l'utilisent »" in said, said
    assert format_number(2e6) in said and "2000000.0" not in said and "1e+06" not in said, said


def test_a_refused_form_quotes_the_fields_by_their_labels(empty_store):
    app = open_app("declarer")
    next(w for w in app.text_input if w.label == "Service").input("Urbanisme")
    numbers = {w.label: w for w in app.number_input}
    numbers["Nombre d'agents qui l'utilisent"].set_value(10.0)
    numbers["Requêtes par agent et par jour"].set_value(10.0)
    app.button(key=SUBMIT).click().run()
    said = _errors(app)
    assert "« Tokens de sortie par requête (facultatif) » :" in said, said
    assert "tokens_sortie_par_requete" not in said, said
    assert len(app.error) == 1, "one message, in full, in the page"


def test_gpu_hours_are_typed_as_hours_a_day_times_days(empty_store):
    app = open_app("declarer")
    app.radio(key="form_kind").set_value("gpu").run()
    next(w for w in app.text_input if w.label == "Service").input("DSI")
    next(w for w in app.selectbox if w.label == "Hébergement").set_value("salle_serveurs")
    numbers = {w.label: w for w in app.number_input}
    numbers["Heures par jour"].set_value(8.0)
    numbers["Jours d'utilisation par an"].set_value(150.0)
    app.button(key=SUBMIT).click().run()
    no_failure(app)
    saved = empty_store.declarations()
    assert saved["hours"].tolist() == [1200.0], _errors(app)
    assert f"8 h × 150 jours = {format_number(1200)} heures par an" in _unescaped(app.success), _errors(app)


def test_the_template_has_the_valid_values_as_lists_and_imports_back(factors):
    data = declarer.template_file(factors, declarer.pd.DataFrame({"service": ["Urbanisme"]}), 2025)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["declarations", "valeurs", "aide"]
    sheet = workbook["declarations"]
    header = [c.value for c in sheet[1]]
    lists = {header[openpyxl.utils.column_index_from_string(str(v.sqref).split(":")[0].rstrip("0123456789")) - 1]:
             v.formula1 for v in sheet.data_validations.dataValidation if v.type == "list"}
    assert {"type", "cas_usage", "outil", "modele", "hebergement", "gpu", "tache", "service"} <= set(lists)
    values = workbook["valeurs"]
    column = [c.value for c in values[1]].index("gpu") + 1
    assert {values.cell(row=r, column=column).value for r in range(2, values.max_row + 1)} >= set(factors.gpus())
    assert "aide" in workbook.sheetnames and workbook["aide"]["A1"].value.startswith("Modèle de déclarations")
    # Filled in as a service would (a row with values from the lists), it is imported as it is.
    row = {"annee": 2025, "service": "Urbanisme", "type": "llm", "cas_usage": "redaction_courrier",
           "fournisseur": "mistralai", "modele": "mistral-small-latest", "agents": 10,
           "requetes_par_agent_par_jour": 5}
    sheet.append([row.get(name) for name in header])
    filled = io.BytesIO()
    workbook.save(filled)
    read = read_declarations(filled.getvalue(), factors, name=declarer.TEMPLATE_NAME)
    assert read["service"].tolist() == ["Urbanisme"] and read["agents"].tolist() == [10]


@pytest.mark.parametrize(("column", "typed", "closest"), [("gpu", "A10O-SXM4", "A100-SXM4"),
                                                          ("hebergement", "salle_serveur", "salle_serveurs")])
def test_an_unknown_name_in_a_file_gets_the_closest_valid_one(factors, column, typed, closest):
    values = {"annee": "2025", "service": "DSI", "type": "gpu", "gpu": "H100-SXM", "nb_gpu": "1", "heures": "100",
              "zone": "FRA"}
    values[column] = typed
    data = (";".join(values) + "\n" + ";".join(values.values()) + "\n").encode()
    with pytest.raises(declarer.InputError) as refused:
        declarer.preview_file(data, factors, "declarations.csv")
    said = str(refused.value)
    assert f"le plus proche : « {closest} »" in said, said
