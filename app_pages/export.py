"""Export: the PCAET/BEGES files (CSV, XLSX) and the methodology note, to download."""

import pandas as pd
import streamlit as st

from dashboard import example, state, views

st.title("Export PCAET / BEGES")
year = state.required_year("L'inventaire est vide : rien à exporter.")
known = state.scenarios()
left, right = st.columns(2)
authority = left.text_input("Nom de la collectivité", value=example.AUTHORITY if example.example_ids(
    state.declarations()) else "Collectivité")
export_date = right.date_input("Date de l'export", value=pd.Timestamp.now().date(), format="DD/MM/YYYY")
chosen = st.multiselect("Scénarios projetés dans l'export", list(known), default=views.default_scenarios(known),
                        format_func=lambda i: known[i].label)
st.markdown("L'export contient une **synthèse** (année × scénario × poste BEGES × secteur PCAET), le **détail** par "
            "déclaration, les **sources** de chaque facteur, les **indicateurs** Territoires en Transitions et une "
            "**note méthodologique**. Les CSV sont au format français (`;`, virgule décimale, UTF-8 avec BOM) ; le "
            "classeur XLSX garde les nombres comme nombres.")
date_text = views.export_date(export_date)
csv_files = state.export_files(year, chosen, authority, date_text, "csv")
xlsx_files = state.export_files(year, chosen, authority, date_text, "xlsx")
st.subheader("CSV")
columns = st.columns(4)
for column, (name, data) in zip(columns, [(n, d) for n, d in csv_files.items() if n.endswith(".csv")]):
    column.download_button(f"{views.download_label(name, year)} (CSV)", data, file_name=name, mime="text/csv",
                           key=f"download_{name}")
st.subheader("Classeur et note")
a, b, c = st.columns(3)
xlsx_name = f"export-pcaet-{year}.xlsx"
a.download_button("Classeur XLSX (4 feuilles)", xlsx_files[xlsx_name], file_name=xlsx_name,
                  mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="download_xlsx")
note_md = f"export-pcaet-{year}-note.md"
b.download_button("Note méthodologique (HTML)", csv_files[f"export-pcaet-{year}-note.html"],
                  file_name=f"export-pcaet-{year}-note.html", mime="text/html", key="download_note_html")
c.download_button("Note méthodologique (Markdown)", csv_files[note_md], file_name=note_md, mime="text/markdown",
                  key="download_note_md")
with st.expander("Aperçu de la note"):
    st.markdown(csv_files[note_md].decode("utf-8"))
st.caption("La même chose en ligne de commande : `.venv/bin/python -m footprint export pcaet --year "
           f"{year} --format xlsx`.")
