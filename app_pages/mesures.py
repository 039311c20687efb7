"""Mesures: CodeCarbon runs (from the command line or an uploaded emissions.csv), measured vs
estimated, and the exact command to measure a job."""

import pandas as pd
import streamlit as st

from dashboard import state, views
from dashboard.uploads import received

st.title("Mesures CodeCarbon")
factors = state.factors()
store = state.store()
runs = state.measurement_runs()
if runs.empty:
    st.info("Aucune mesure pour l'instant : mesurez un traitement avec la commande ci-dessous, ou importez le "
            "fichier emissions.csv qu'écrit CodeCarbon.")
else:
    st.subheader("Exécutions mesurées")
    st.dataframe(runs, hide_index=True, width="stretch", placeholder="—", column_config={
        "run_id": "Exécution", "nom": "Nom", "service": "Service", "declaration": "Déclaration", "debut": "Début",
        "duree_min": st.column_config.NumberColumn("Durée (min)", format="localized"),
        "kwh": st.column_config.NumberColumn("Énergie mesurée (kWh)", format="localized"),
        "kgco2e": st.column_config.NumberColumn("kgCO2e (facteur de la base)", format="localized"),
        "materiel": "Matériel", "etat": "État", "calibration": "Mesure comparée à l'estimation"})
    st.caption("Rapport mesure / estimation : au-dessus de 1, le traitement consomme plus que ce que la base de "
               "facteurs prévoit ; renseignez le nombre d'unités ou de tokens pour l'obtenir.")

st.subheader("Mesurer un traitement")
left, right = st.columns(2)
name = left.text_input("Nom de la mesure", value="transcription-conseil")
service = right.text_input("Service", value="Assemblées")
year = left.number_input("Année", min_value=views.YEAR_BOUNDS[0], max_value=views.YEAR_BOUNDS[1],
                         value=pd.Timestamp.now().year, step=1)
command = right.text_input("Commande à mesurer", value="python transcrire.py conseil.mp3")
task = left.selectbox("Tâche (pour comparer à la base)", [""] + factors.tasks(),
                      format_func=lambda t: t or "aucune", placeholder="Choisir une tâche")
units = right.number_input("Unités produites (pages, minutes d'audio…)", min_value=0.0, value=None, format="%g")
st.code(views.measure_command(name, service, int(year), command, task or None, units), language="bash")
st.caption("À lancer depuis le dossier d'Empreinte IA, sur la machine qui exécute le traitement. La mesure est "
           "enregistrée dans la base (aucune donnée envoyée à l'extérieur) et apparaît ici.")

st.subheader("Importer un fichier emissions.csv")
with st.form("emissions_import", enter_to_submit=False):
    upload = st.file_uploader("emissions.csv de CodeCarbon (2.x ou 3.x)", type=["csv"])
    left, right = st.columns(2)
    import_service = left.text_input("Service", key="import_service")
    import_name = right.text_input("Nom (par défaut : project_name du fichier)")
    import_task = left.selectbox("Tâche mesurée", [""] + factors.tasks(), key="import_task",
                                 format_func=lambda t: t or "aucune", placeholder="Choisir une tâche")
    import_units = right.number_input("Unités produites", min_value=0.0, value=None, format="%g", key="import_units")
    submitted = st.form_submit_button("Importer", type="primary")
if submitted and upload is None:
    st.warning("Choisissez d'abord un fichier.")
elif submitted:
    with state.guard():
        file = received(upload)  # in memory: the name the browser sent is only shown, never a path
        counts = views.import_runs(file.data, store, factors, file.name, service=import_service, name=import_name,
                                   task=import_task, units=import_units)
        state.confirm(f"{counts['runs']} exécution(s) importée(s).")
