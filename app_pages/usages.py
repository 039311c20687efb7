"""Usages importés: a gateway's usage log or a product's admin export, previewed (every problem
listed, nothing written) then imported; the volumes imported, and the gateway's own estimate
beside ours."""

import streamlit as st

from dashboard import charts, state, views
from dashboard.markdown import as_text
from dashboard.uploads import received
from dashboard.views import format_number

st.title("Usages importés")
factors = state.factors()
store = state.store()
st.markdown("Importez ce que la DSI a déjà : le **journal d'usage d'une passerelle d'API** (Albert / OpenGateLLM, "
            "LiteLLM, l'API d'usage d'OpenAI…), regroupé par mois, service et modèle, ou l'**export "
            "d'administration d'un outil** (Microsoft 365 Copilot, ChatGPT Enterprise, Le Chat), regroupé par "
            "service et outil. Réimporter un fichier n'ajoute rien ; un fichier plus récent remplace le précédent "
            "(l'ancien reste dans l'historique).")
st.info("Données personnelles : ces fichiers nomment des personnes. Aucun nom, courriel ni identifiant n'est "
        "conservé : seuls les totaux par service le sont. La correspondance utilisateur → service est lue, "
        "appliquée puis oubliée.")
preset = st.selectbox("Quel fichier ?", list(views.PRESET_LABELS), format_func=views.PRESET_LABELS.get,
                      key="usage_preset", placeholder="Choisir le format du fichier")
st.caption(as_text(views.FORMAT_HELP[preset]))
admin = views.is_admin_export(preset)
with st.form("usage_import", enter_to_submit=False):
    upload = st.file_uploader("Fichier", type=["csv", "tsv", "txt", "parquet", "jsonl", "ndjson", "json", "xlsx"])
    left, right = st.columns(2)
    services = left.file_uploader("Correspondance utilisateur → service (facultatif : CSV ou XLSX, colonnes "
                                  "« utilisateur » et « service »)", type=["csv", "txt", "xlsx"])
    service = right.text_input("Service par défaut (utilisateurs non rattachés, ou tout le fichier)")
    options: dict = {}
    if admin:
        options["product"] = left.selectbox("Outil (si le fichier ne le dit pas)",
                                            [p.product for p in factors.products() if p.kind == "llm"], index=None,
                                            format_func=lambda p: factors.product(p).label,
                                            placeholder="Celui du format par défaut")
        options["period_days"] = right.number_input("Jours couverts par le rapport (s'il ne le dit pas)",
                                                    min_value=1.0, max_value=366.0, value=None, step=1.0,
                                                    format="%g")
        year = left.number_input("Année d'inventaire (par défaut : celle de la période)",
                                 min_value=views.YEAR_BOUNDS[0], max_value=views.YEAR_BOUNDS[1], value=None, step=1)
        options["year"] = int(year) if year is not None else None
    else:
        options["hosting"] = left.selectbox("Hébergement", factors.hostings(), index=None,
                                            placeholder="Par défaut : celui du fournisseur ou du format")
        options["mapping"] = right.text_area("Correspondance de noms de modèles (une par ligne : "
                                             "nom_du_journal=fournisseur/modèle)", height=68)
    check, write = st.columns(2)
    previewed = check.form_submit_button("Vérifier et prévisualiser (rien n'est enregistré)")
    submitted = write.form_submit_button("Importer", type="primary")
if (previewed or submitted) and upload is None:
    st.warning("Choisissez d'abord un fichier.")
elif previewed or submitted:
    file = received(upload)  # in memory: the name the browser sent is only shown, never a path
    mapping = received(services) if services is not None else None
    with state.guard(), st.status(f"Lecture de {as_text(file.name)} ({format_number(file.size_mb)} Mo)…",
                                  expanded=True) as status:
        status.write("Lecture et vérification de toutes les lignes…")
        done = views.import_log(file.data, store, factors, preset, file.name, service=service,
                                services=(mapping.data, mapping.name) if mapping else None, preview=previewed,
                                **options)
        for sentence in done.said:
            status.write(as_text(sentence))
        shown = done.declarations[[c for c in views.DISPLAY_COLUMNS if c in done.declarations
                                   and done.declarations[c].notna().any()]]
        status.dataframe(shown.rename(columns=views.DISPLAY_COLUMNS), hide_index=True, width="stretch",
                         placeholder="—")
        status.update(label=("Aperçu : rien n'a été enregistré. " if previewed else "Importé : ")
                      + f"{len(done.declarations)} déclaration(s) de {as_text(done.file_name)}", state="complete")

year = state.required_year("Aucun usage importé pour l'instant.")
months = views.usage_months(state.declarations(), year)
if months.empty:
    st.info(f"Aucun usage importé pour {year}.")
    st.stop()
st.subheader(f"Volumes importés en {year}")
columns = [c for c in ("id", "service", "product", "use_case", "provider", "model", "users", "messages", "requests",
                       "input_tokens", "output_tokens", "task", "units", "origin") if months[c].notna().any()]
st.dataframe(months[columns], hide_index=True, width="stretch", placeholder="—", column_config={
    **{column: views.LABELS[column] for column in ("id", "service", "product", "provider", "model", "task")},
    "use_case": "Mois", "origin": "Fichier",
    **{column: st.column_config.NumberColumn(views.LABELS[column], format="localized")
       for column in ("users", "messages", "requests", "input_tokens", "output_tokens", "units")}})
comparison = views.gateway_comparison(state.inventory(year))
if comparison.empty:
    st.caption("Ces fichiers ne donnaient pas d'estimation de la passerelle.")
else:
    st.subheader("Estimation de la passerelle et la nôtre")
    st.plotly_chart(charts.gateway_bars(comparison))
    st.caption("La passerelle (Albert, avec EcoLogits) donne une fourchette par requête ; la nôtre applique en plus "
               "l'hébergement et le facteur d'électricité retenus pour le BEGES (ADEME pour la France).")
