"""Usages importés: a gateway's usage log turned into monthly declarations, and the gateway's
own estimate beside ours."""

import streamlit as st

from dashboard import charts, state, views
from dashboard.markdown import as_text
from dashboard.uploads import received
from dashboard.views import format_number, format_range

st.title("Usages importés d'une passerelle")
factors = state.factors()
store = state.store()
st.markdown("Importez le journal d'usage de votre passerelle d'API (Albert / OpenGateLLM, un export OpenAI ou un "
            "fichier générique : horodatage, modèle, tokens). Les requêtes sont regroupées par mois, service et "
            "modèle ; réimporter un mois le remplace au lieu de l'ajouter.")
with st.form("usage_import"):
    upload = st.file_uploader("Journal d'usage (CSV, Parquet ou JSONL)", type=["csv", "tsv", "txt", "parquet",
                                                                             "jsonl", "ndjson", "json"])
    left, right = st.columns(2)
    preset = left.selectbox("Format", list(views.PRESET_LABELS), format_func=views.PRESET_LABELS.get)
    service = right.text_input("Service (si le journal n'a pas de colonne service)")
    hosting = left.selectbox("Hébergement", factors.hostings(), index=None,
                             placeholder="Par défaut : celui du fournisseur ou du format")
    mapping = right.text_area("Correspondance de noms de modèles (une par ligne : nom_du_journal=fournisseur/modèle)",
                              height=68)
    submitted = st.form_submit_button("Importer", type="primary")
if submitted and upload is None:
    st.warning("Choisissez d'abord un fichier.")
elif submitted:
    file = received(upload)  # in memory: the name the browser sent is only shown, never a path
    with state.guard(), st.status(f"Import de {as_text(file.name)} ({format_number(file.size_mb)} Mo)…",
                                  expanded=True) as status:
        status.write("Lecture et vérification de toutes les lignes…")
        result = views.import_log(file.data, store, factors, preset, service, mapping, hosting, file.name)
        total = result.ours["gwp_kgco2e"]
        shown = format_range(total["low"], total["central"], total["high"], "kgCO2e")
        status.update(label=f"{format_number(result.rows)} ligne(s) importée(s) en {len(result.declarations)} "
                            f"déclaration(s) mensuelle(s) : {shown}", state="complete")

year = state.required_year("Aucun usage importé pour l'instant.")
months = views.usage_months(state.declarations(), year)
if months.empty:
    st.info(f"Aucun usage importé pour {year}.")
    st.stop()
st.subheader(f"Volumes mensuels importés en {year}")
st.dataframe(months[["id", "service", "use_case", "provider", "model", "requests", "input_tokens", "output_tokens",
                     "origin"]], hide_index=True, width="stretch", column_config={
    **{column: views.LABELS[column] for column in ("id", "service", "provider", "model")}, "use_case": "Mois",
    "requests": st.column_config.NumberColumn("Requêtes", format="localized"),
    "input_tokens": st.column_config.NumberColumn("Tokens d'entrée", format="localized"),
    "output_tokens": st.column_config.NumberColumn("Tokens de sortie", format="localized"), "origin": "Fichier"})
comparison = views.gateway_comparison(state.inventory(year))
if comparison.empty:
    st.caption("Ce journal ne donnait pas d'estimation de la passerelle.")
else:
    st.subheader("Estimation de la passerelle et la nôtre")
    st.plotly_chart(charts.gateway_bars(comparison))
    st.caption("La passerelle (Albert, avec EcoLogits) donne une fourchette par requête ; la nôtre applique en plus "
               "l'hébergement et le facteur d'électricité retenus pour le BEGES (ADEME pour la France).")
