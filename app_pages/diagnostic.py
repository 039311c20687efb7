"""Diagnostic: the survey of the agents (the questionnaire to download, its answers previewed then
imported as declarations extrapolated to the whole authority) and the AI used outside any
framework, by service."""

import streamlit as st

from dashboard import state, views
from dashboard.markdown import as_text
from dashboard.uploads import received
from dashboard.views import diagnostic

st.title("Diagnostic des usages")
st.caption("Une enquête anonyme auprès des agents : quels outils d'IA, avec quel compte, à quelle fréquence, pour "
           "quoi faire, avec quelles données. Les réponses deviennent des déclarations d'origine « enquête », "
           "extrapolées à l'effectif de chaque service ; un export d'administration du même outil et du même service "
           "prime. Aucun nom, courriel ni texte libre n'est conservé.")

st.subheader("1. Le questionnaire")
workbook, text = diagnostic.questionnaire_files(state.factors())
left, right = st.columns(2)
left.download_button("Questionnaire (XLSX, une réponse par ligne)", workbook, file_name="questionnaire.xlsx",
                     mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
right.download_button("Questions en texte (Microsoft Forms, LimeSurvey, Framaforms)", text,
                      file_name="questionnaire.txt", mime="text/plain")

st.subheader("2. Importer les réponses")
known_years = state.years()
year = st.number_input("Année d'inventaire", min_value=diagnostic.YEAR_BOUNDS[0], max_value=diagnostic.YEAR_BOUNDS[1],
                       value=known_years[0] if known_years else diagnostic.this_year(), step=1, format="%d")
survey_format = st.selectbox("Outil qui a produit le fichier", list(diagnostic.FORMATS),
                             format_func=diagnostic.FORMATS.get)
# The uploader's key changes after each import: the file imported is no longer held (it is not
# previewed again, nor offered for the same import twice).
UPLOADS = "diag_imports"  # session state: how many imports this session made
upload = st.file_uploader("Export des réponses (XLSX ou CSV)", type=["xlsx", "csv", "txt", "ods"],
                          max_upload_size=diagnostic.SURVEY_MAX_MB,
                          key=f"diag_upload_{st.session_state.get(UPLOADS, 0)}")
headcounts = st.text_input("Effectif de chaque service (facultatif)", placeholder="Finances=200, Culture=35",
                           help="Sinon, les agents du profil de la collectivité répartis au prorata des répondants.")
mapping = {}
if upload is not None:
    file = received(upload)  # in memory: the name the browser sent is only shown, never a path
    data, name = file.data, file.name
    with st.expander("Correspondance des colonnes (si les titres diffèrent du questionnaire)"):
        with state.guard():
            headers = diagnostic.file_headers(data, name)
            targets = diagnostic.mapping_targets(survey_format)
            for key, label in targets.items():
                chosen = st.selectbox(label, ["(titre du questionnaire)", *headers], key=f"diag_map_{key}")
                if chosen != "(titre du questionnaire)":
                    mapping[chosen] = key
    with state.guard():
        result = diagnostic.preview_answers(data, name, state.store(), state.factors(), int(year),
                                            survey_format, mapping, headcounts)
        services, groups = diagnostic.result_tables(result, views.tool_choices(state.factors()),
                                                    state.form_options(int(year))["use_cases"])
        st.markdown("**Aperçu (rien n'est encore enregistré)**")
        st.dataframe(services, hide_index=True, width="stretch", placeholder="—")
        st.dataframe(groups, hide_index=True, width="stretch", placeholder="—")
        for warning in result.warnings:  # they quote services and tools as the file names them: text only
            st.warning(as_text(warning))
        for note in result.notes:
            st.info(as_text(note))
        if diagnostic.already_imported(state.store(), result):
            st.info(f"Ces réponses sont déjà importées pour {int(year)} : les importer à nouveau remplace l'import "
                    "précédent, en une fois, et ne change que ce qui diffère (les effectifs, la correspondance des "
                    "colonnes).")
        if st.button("Importer ces réponses", type="primary"):
            _, counts = diagnostic.import_answers(data, name, state.store(), state.factors(), int(year),
                                                  survey_format, mapping, headcounts)
            st.session_state[UPLOADS] = st.session_state.get(UPLOADS, 0) + 1
            state.confirm(diagnostic.import_message(counts, int(year)))

st.subheader("3. IA non encadrée, par service")
chosen_year = state.year_picker()
if chosen_year is None:
    st.info("Aucune déclaration pour l'instant.")
else:
    table = diagnostic.outside_framework_table(state.store(), state.inventory(chosen_year))
    if table.empty:
        st.info("Aucune enquête importée pour cette année.")
    else:
        st.dataframe(table, hide_index=True, width="stretch", placeholder="—", column_config={
            column: st.column_config.NumberColumn(column, format="%.0f %%") for column in table.columns[2:]})
