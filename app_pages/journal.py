"""Journal: every change recorded in the store (declarations, imports, measurements, scenarios,
factor values, the bases of the tools' figures, the collectivité's profile, the register, the
people and their roles), with who made it and when, filtered, and its CSV."""

import streamlit as st

from dashboard import state
from dashboard.views import journal

st.title("Journal des modifications")
st.caption("Chaque modification enregistrée dans la base, la plus récente d'abord : qui l'a faite (le nom et "
           "l'adresse que donne le fournisseur d'identité en mode partagé, l'utilisateur du poste sinon), quand, et "
           "sur quoi. Rien ne s'y efface : une suppression y reste, avec son auteur.")

period_column, who_column, kind_column, text_column = st.columns(4)
period = period_column.date_input("Période", value=[], format="DD/MM/YYYY", key="journal_periode")
who = who_column.text_input("Personne", key="journal_personne", placeholder="une partie du nom ou de l'adresse")
kind = kind_column.selectbox("Type", [journal.ALL_KINDS, *journal.KINDS], key="journal_type")
text = text_column.text_input("Texte", key="journal_texte", placeholder="identifiant, service, fichier…")

entries = None
with state.guard():
    entries = journal.journal_entries(state.store(), period, who, kind, text)
if entries is None:
    st.stop()

if entries.empty:
    st.info(journal.empty_message(period, who, kind, text))
    st.stop()

st.markdown(f"**{journal.count_label(entries)}**")
# Names, file names and details are data: shown as table cells, never as Markdown.
st.dataframe(journal.journal_table(entries), hide_index=True, width="stretch", placeholder="—")
st.download_button("Télécharger le journal (CSV)", journal.journal_file(entries), file_name="journal.csv",
                   mime="text/csv", key="journal_csv", on_click="ignore")
