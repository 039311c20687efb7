"""Validation: the declarations that agents wrote and the référent climat has not validated yet,
to validate or to send back with a comment (shared mode; in the single-user mode everything saved
is validated at once, so the page is usually empty)."""

import streamlit as st

from dashboard import state
from dashboard.markdown import as_text
from dashboard.views import validation as reviewing

st.title("Déclarations à valider")
st.caption("Ce que les agents déclarent attend ici la validation du référent climat. Une déclaration validée entre "
           "dans l'export PCAET/BEGES et le rapport ; une déclaration renvoyée revient à son déclarant avec votre "
           "commentaire. Chaque décision est gardée dans l'historique, avec votre nom.")

declarations = state.declarations()
table = reviewing.pending_table(declarations, factors=state.factors())
counts = reviewing.review_counts(declarations)
st.markdown(f"{counts['validée']} validée(s), **{counts['à valider']} à valider**, {counts['renvoyée']} renvoyée(s).")
if table.empty:
    st.success("Rien à valider : toutes les déclarations sont validées.")
    st.stop()

# The versions the référent reads now: a declaration changed meanwhile is refused, never validated unseen.
picked = st.dataframe(table, hide_index=True, width="stretch", placeholder="—", on_select="rerun",
                      selection_mode="multi-row", key="validation_table")
rows = picked.selection.rows if picked else []
ids = table.iloc[rows]["Identifiant"].tolist() if rows else []
st.caption(f"{len(ids)} déclaration(s) choisie(s) : cochez les lignes du tableau." if ids else
           "Cochez les lignes du tableau à valider ou à renvoyer.")
left, right = st.columns(2)
if left.button(f"Valider {len(ids)} déclaration(s)", type="primary", disabled=not ids):
    with state.guard():
        done = reviewing.validate(state.store(), declarations, ids)
        state.confirm(f"{done} déclaration(s) validée(s).")
with right.form("renvoi", enter_to_submit=False, border=False):
    comment = st.text_input("Commentaire pour le déclarant", placeholder="Ce qu'il faut préciser ou corriger")
    sent = st.form_submit_button(f"Renvoyer {len(ids)} déclaration(s) au déclarant", disabled=not ids)
if sent:
    with state.guard():
        done = reviewing.send_back(state.store(), declarations, ids, comment)
        state.confirm(f"{done} déclaration(s) renvoyée(s) : {as_text(comment)}")
