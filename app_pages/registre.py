"""Registre: the register of AI uses (one entry per use, with the fields of public algorithm
registers and its footprint for the year), the form of one entry with its history, and the
export files (CSV, JSON in the Algorithmic Transparency Standard's attributes)."""

import streamlit as st

from dashboard import state
from dashboard.markdown import as_text
from dashboard.views import registre

st.title("Registre des usages de l'IA")
st.caption("Une entrée par usage (service, outil, cas d'usage), regroupant ses déclarations, avec les champs des "
           "registres publics d'algorithmes et son empreinte de l'année, qu'aucun d'eux ne donne. Les colonnes de "
           "registre des déclarations servent de valeurs par défaut ; ce qui est saisi ici est gardé avec son "
           "historique.")

year = state.required_year("Aucune déclaration : le registre se remplit à partir des usages déclarés.")
entries = state.register_entries(year)
if entries.empty:
    st.info("Aucune entrée pour cette année.")
    st.stop()

st.dataframe(registre.register_table(entries), hide_index=True, width="stretch", placeholder="—")

left, right = st.columns(2)
left.download_button("Télécharger le registre (CSV)", registre.export_file(entries, "csv"),
                     file_name=f"registre-{year}.csv", mime="text/csv")
right.download_button("Télécharger le registre (JSON, standard de transparence algorithmique)",
                      registre.export_file(entries, "json"), file_name=f"registre-{year}.json",
                      mime="application/json")

st.subheader("Renseigner une entrée")
names = dict(zip(entries["entry_id"], entries["name"].fillna(entries["entry_id"])))
chosen = st.selectbox("Entrée", list(names), format_func=lambda i: f"{names[i]} ({i})", key="registre_entree")
row = entries[entries["entry_id"] == chosen].iloc[0].to_dict()
# The version the user read, kept from the first showing of this entry's form: a save checks it,
# so that a change someone made meanwhile is told, never overwritten.
read_version = f"registre_{chosen}_version_lue"
st.session_state.setdefault(read_version, int(row["version"]))
values = {}
with st.form(f"registre_{chosen}", enter_to_submit=False):
    columns = st.columns(2)
    for index, field in enumerate(registre.entry_fields(row)):
        column = columns[index % 2]
        widget_key = f"registre_{chosen}_{field.key}"
        if field.allowed:
            options = ["", *field.allowed]
            values[field.key] = column.selectbox(field.label, options, key=widget_key,
                                                 index=options.index(field.value) if field.value in options else 0,
                                                 format_func=lambda v: v or "non renseigné")
        else:
            values[field.key] = column.text_input(field.label, value=field.value or "", key=widget_key,
                                                  placeholder="AAAA-MM-JJ" if field.is_date else "non renseigné")
    submitted = st.form_submit_button("Enregistrer l'entrée", type="primary")

if submitted:
    with state.guard():
        outcome = registre.save_register_form(state.store(), row | {"version": st.session_state[read_version]},
                                              values)
        if outcome.conflict:
            del st.session_state[read_version]  # the next showing reads the entry as it is now
            st.error(as_text(outcome.conflict))
        elif outcome.problems:
            st.error("Entrée refusée, rien n'a été enregistré :\n\n" + "\n".join(
                f"- {as_text(problem)}" for problem in outcome.problems))
        else:
            st.session_state[read_version] = outcome.version
            state.confirm(f"Entrée enregistrée (version {outcome.version}).")

with st.expander("Historique de l'entrée"):
    history = registre.entry_history(state.store(), chosen)
    if history.empty:
        st.caption("Aucune modification enregistrée : l'entrée montre ce que disent ses déclarations.")
    else:
        st.dataframe(history, hide_index=True, width="stretch", placeholder="—")
