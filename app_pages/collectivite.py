"""Collectivité: the profile set once (name, SIREN, population, agents, BEGES, territory, PCAET
objective) that puts the footprint in perspective, and its history."""

import streamlit as st

from dashboard import state, views
from dashboard.markdown import as_text

st.title("Profil de la collectivité")
st.caption("Saisi une fois : il situe l'empreinte de l'IA (par agent, par habitant, part du BEGES et des émissions "
           "du territoire) dans la Synthèse, et donne l'objectif du PCAET aux Scénarios et aux exports. Un champ "
           "laissé vide n'est pas connu ; chaque enregistrement est gardé dans l'historique.")

current = state.store().authority_profile()
if views.is_example_profile(current):
    st.info("Ce profil est celui de l'inventaire d'exemple (collectivité fictive) : remplacez-le par celui de votre "
            "collectivité.")

values = {}
with st.form("collectivite", enter_to_submit=False):
    columns = st.columns(2)
    for index, field in enumerate(views.form_fields(current)):
        column = columns[index % 2]
        if not field.number:
            values[field.key] = column.text_input(field.label, value=field.value or "", key=f"profil_{field.name}",
                                                  placeholder="à renseigner" if field.name == "nom" else "facultatif")
        elif field.integer:
            values[field.key] = column.number_input(field.label, min_value=field.minimum, max_value=field.maximum,
                                                    value=field.value, step=1, format="%d", placeholder="non connu",
                                                    key=f"profil_{field.name}")
        else:
            values[field.key] = column.number_input(field.label, min_value=field.minimum, max_value=field.maximum,
                                                    value=field.value, step=1.0, format="%.10g",
                                                    placeholder="non connu", key=f"profil_{field.name}")
    submitted = st.form_submit_button("Enregistrer le profil", type="primary")

if submitted:
    with state.guard():
        outcome = views.save_profile(state.store(), values)
        if outcome.problems:
            st.error("Profil refusé, rien n'a été enregistré :\n\n" + "\n".join(
                f"- {as_text(problem)}" for problem in outcome.problems))
        elif outcome.saved:
            state.confirm("Profil de la collectivité enregistré.")
        else:
            st.info("Le profil enregistré est déjà celui-ci : rien n'a changé.")

with st.expander("Historique du profil"):
    history = views.profile_history(state.store())
    if history.empty:
        st.caption("Aucun profil enregistré pour l'instant.")
    else:
        st.dataframe(history, hide_index=True, placeholder="—", width="stretch", column_config={
            column: st.column_config.NumberColumn(column, format="localized")
            for column in history.columns[2:] if str(history[column].dtype) not in ("object", "string")})
