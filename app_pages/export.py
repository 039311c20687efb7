"""Export: the PCAET/BEGES files (CSV, XLSX) and the methodology note, to download."""

import pandas as pd
import streamlit as st

from dashboard import example, state, views
from dashboard.views.export import authority_name, profile_caption

st.title("Export PCAET / BEGES")
year = state.required_year("L'inventaire est vide : rien à exporter.")
known = state.scenarios()
profile = state.profile()
left, right = st.columns(2)
authority = left.text_input("Nom de la collectivité", value=authority_name(
    profile, example.AUTHORITY if example.example_ids(state.declarations()) else None))
export_date = right.date_input("Date de l'export", value=pd.Timestamp.now().date(), format="DD/MM/YYYY")
st.caption(profile_caption(profile))
chosen = st.multiselect("Scénarios projetés dans l'export", list(known), default=views.default_scenarios(known),
                        format_func=lambda i: known[i].label, placeholder="Choisir des scénarios")
st.markdown("L'export contient une **synthèse** (année × scénario × poste BEGES × secteur PCAET, avec une ligne "
            "**Total** par année et scénario), le **détail** par déclaration, les **sources** de chaque facteur, les "
            "**indicateurs** au format de Territoires en Transitions (résultats et objectifs) et une **note "
            "méthodologique**. Les quantités sont arrondies à 4 chiffres significatifs ; les CSV sont au format "
            "français (`;`, virgule décimale, UTF-8 avec BOM) ; le classeur XLSX garde les valeurs exactes, affichées "
            "arrondies, et les noms techniques des colonnes en deuxième ligne.")
technical = st.checkbox("En-têtes des CSV en noms techniques (pour les scripts)", value=False)
waiting = views.review_counts(state.declarations()[state.declarations()["year"] == year])
not_validated = waiting["à valider"] + waiting["renvoyée"]
with_pending = False
if not_validated:
    with_pending = st.checkbox(f"Compter aussi les {not_validated} déclaration(s) pas encore validée(s) par le "
                               "référent climat", value=False)
    st.caption("Par défaut, l'export et le rapport ne comptent que les déclarations validées ; la note dit combien "
               "sont laissées de côté.")
date_text = views.export_date(export_date)
csv_files = state.export_files(year, chosen, authority, date_text, "csv", technical, with_pending)
st.subheader("CSV")
columns = st.columns(4)
for column, (name, data) in zip(columns, [(n, d) for n, d in csv_files.items() if n.endswith(".csv")]):
    column.download_button(f"{views.download_label(name, year)} (CSV)", data, file_name=name, mime="text/csv",
                           key=f"download_{name}", on_click="ignore")
st.subheader("Classeur et note")
a, b, c = st.columns(3)
xlsx_name = f"export-pcaet-{year}.xlsx"
# The workbook is rendered when its button is clicked (then cached per state of the store).
a.download_button("Classeur XLSX (4 feuilles)",
                  lambda: state.export_files(year, chosen, authority, date_text, "xlsx", False,
                                             with_pending)[xlsx_name],
                  file_name=xlsx_name,
                  mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="download_xlsx",
                  on_click="ignore")
note_md = f"export-pcaet-{year}-note.md"
b.download_button("Note méthodologique (HTML)", csv_files[f"export-pcaet-{year}-note.html"],
                  file_name=f"export-pcaet-{year}-note.html", mime="text/html", key="download_note_html",
                  on_click="ignore")
c.download_button("Note méthodologique (Markdown)", csv_files[note_md], file_name=note_md, mime="text/markdown",
                  key="download_note_md", on_click="ignore")
st.subheader("Rapport imprimable")
report_name = f"rapport-ia-{year}.pdf"
# Built when the button is clicked (a few seconds the first time), then cached per state of the store.
# A download never reruns the page (``on_click="ignore"``): the file offered stays the one shown.
st.download_button("Rapport PDF pour la direction générale et les élus (2 à 4 pages)",
                   lambda: state.report_pdf(year, chosen, date_text, with_pending), file_name=report_name,
                   mime="application/pdf",
                   key="download_report_pdf", on_click="ignore")
st.caption("Chiffres de l'année en perspective, répartition par service, trajectoires et verdict face à l'objectif, "
           "recommandations, méthode et sources. Il sert aussi au bilan annuel de la stratégie numérique "
           "responsable (loi REEN). En ligne de commande : `.venv/bin/python -m footprint export rapport --year "
           f"{year}`.")
with st.expander("Aperçu de la note"):
    st.markdown(csv_files[note_md].decode("utf-8"))
st.caption("La même chose en ligne de commande : `.venv/bin/python -m footprint export pcaet --year "
           f"{year} --format xlsx`.")
