"""Déclarer: a guided form, a table editor for bulk edits, a CSV/XLSX import with preview, and
the history (deleted declarations included)."""

import functools

import pandas as pd
import streamlit as st

from dashboard import roles, state, views
from dashboard.markdown import as_text
from dashboard.uploads import received
from dashboard.views import declarer as declaring  # its new names are not in the facade yet

st.title("Déclarer les usages d'IA")
state.example_banner()
factors = state.factors()
store = state.store()
options = state.form_options((state.years() or [pd.Timestamp.now().year - 1])[0])
own_services = roles.own_services()  # an agent's services (None: every service)
if own_services is not None:
    st.info(f"Vous déclarez pour : {as_text(', '.join(own_services))}. Vos déclarations attendent la validation du "
            "référent climat avant d'entrer dans l'export PCAET/BEGES.")
    returned = views.pending_of(state.declarations(), own_services, factors)
    if not returned.empty:
        st.warning("Le référent climat vous a renvoyé des déclarations : corrigez-les dans « Modifier en tableau ».")
        st.dataframe(returned, hide_index=True, width="stretch", placeholder="—")

can_import = roles.may("imports")
form_tab, table_tab, import_tab, history_tab = st.tabs(
    ["Formulaire guidé", "Modifier en tableau", "Importer un fichier" if can_import else "Modèle à remplir",
     "Historique et corbeille"])

with form_tab:
    st.markdown("Décrivez un usage avec vos mots : **quel outil**, **quel service**, **combien de personnes** et "
                "**pour quoi faire**. Le catalogue des outils donne le reste (modèles possibles, hébergement, "
                "messages par jour) avec sa fourchette.")
    kind = st.radio("Type d'usage", list(views.KIND_LABELS), format_func=views.KIND_LABELS.get, horizontal=True,
                    key="form_kind")
    tool = None
    if kind == "llm":
        tools = views.tool_choices(factors)
        picked = st.selectbox("Quel outil ?", [*tools, views.OTHER_TOOL], format_func=lambda v: tools.get(v, v),
                              index=None, accept_new_options=True, key="form_tool",
                              placeholder="Tapez son nom : Copilot, ChatGPT, Le Chat, Albert, Gemini…")
        if picked and picked != views.OTHER_TOOL:
            with state.guard():
                tool = views.find_tool(factors, picked)
            if tool:
                st.caption(as_text(views.tool_profile(factors, tool)))
        elif picked is None:
            st.caption("Pas d'outil choisi : le formulaire ci-dessous déclare un modèle d'API (choix avancé). "
                       "Choisissez "
                       f"l'outil ci-dessus, ou « {views.OTHER_TOOL} » s'il n'est pas dans la liste.")
    labels = declaring.PRODUCT_FORM_LABELS if kind == "llm" and tool else declaring.FORM_LABELS
    # One row of two columns per line of the form: the Tab key then follows the reading order
    # (left, right, next line), where two tall columns would be walked one after the other.
    with st.form("declaration", clear_on_submit=False, enter_to_submit=False):
        values = {"kind": kind}
        left, right = st.columns(2)
        values["year"] = left.number_input(labels["year"], min_value=views.YEAR_BOUNDS[0],
                                           max_value=views.YEAR_BOUNDS[1], step=1, value=options["year"])
        if own_services is None:
            values["service"] = right.text_input(labels["service"], placeholder="Direction des ressources humaines")
        else:  # an agent declares for his or her own services only
            values["service"] = right.selectbox(labels["service"], list(own_services))
        left, right = st.columns(2)
        values["use_case"] = left.selectbox(labels["use_case"], list(options["use_cases"]),
                                            format_func=options["use_cases"].get, index=None,
                                            placeholder="Choisir, saisir un autre cas ou laisser vide",
                                            accept_new_options=True)
        values["hosting"] = right.selectbox(labels["hosting"], list(options["hostings"]),
                                            format_func=options["hostings"].get, index=None,
                                            placeholder="Par défaut : celui du fournisseur")
        if kind == "llm" and tool:
            values["product"] = tool
            values["kind"] = factors.product(tool).kind
            counts = views.COUNTS if values["kind"] == "llm" else views.TASK_COUNTS
            left, right = st.columns(2)
            counted = left.radio("Je compte en", list(counts), format_func=counts.get, horizontal=True,
                                 help="utilisateurs actifs : les personnes qui s'en servent ; licences : celles du "
                                      "contrat (le catalogue estime la part réellement utilisée) ; messages par an : "
                                      "comptés dans la console d'administration de l'outil")
            values[counted] = right.number_input(labels[counted], min_value=0.0, value=None, step=1.0, format="%g")
            left, right = st.columns(2)
            values["requests_per_agent_per_day"] = left.number_input(
                labels["requests_per_agent_per_day"], min_value=0.0, value=None, step=1.0,
                format="%g", help="laissé vide, la fourchette du catalogue pour cet outil s'applique")
            if values["kind"] == "llm" and views.has_reasoning_mode(factors, tool):
                values["reasoning"] = right.checkbox(
                    "En mode raisonnement (« réflexion », « Think »)",
                    help="les tokens de raisonnement cachés que le catalogue prête à ce mode s'ajoutent à chaque "
                         "réponse : l'empreinte peut être bien plus forte")
            if values["kind"] == "llm":
                with st.expander("Choix avancés : modèle précis"):
                    models = list(factors.product(tool).models)
                    values["model"] = st.selectbox("Modèle, si vous savez lequel répond", models, index=None,
                                                   placeholder="Je ne sais pas : la fourchette couvre les modèles "
                                                               "possibles")
        elif kind == "llm":
            left, right = st.columns(2)
            model = left.selectbox(labels["model"], options["models"], index=options["models"].index(options["model"]),
                                   placeholder="Choisir un modèle", help="fournisseur/modèle, tels que la base de "
                                                                          "facteurs les connaît")
            values["provider"], _, values["model"] = model.partition("/")
            left, right = st.columns(2)
            values["agents"] = left.number_input(labels["agents"], min_value=0.0, value=None, step=1.0, format="%g")
            values["requests_per_agent_per_day"] = right.number_input(
                labels["requests_per_agent_per_day"], min_value=0.0, value=None, step=1.0, format="%g")
            left, right = st.columns(2)
            values["requests"] = left.number_input(labels["requests"], min_value=0.0, value=None, step=100.0,
                                                   format="%g")
            values["output_tokens_per_request"] = right.number_input(
                labels["output_tokens_per_request"], min_value=0.0, value=None, step=50.0, format="%g")
        elif kind == "gpu":
            left, right = st.columns(2)
            values["gpu"] = left.selectbox(labels["gpu"], options["gpus"], placeholder="Choisir un GPU")
            values["gpus"] = right.number_input(labels["gpus"], min_value=0.0, value=1.0, step=1.0, format="%g")
            left, right = st.columns(2)
            hours_per_day = left.number_input("Heures par jour", min_value=0.0,
                                              max_value=float(declaring.GPU_LIMITS["hours_per_day"]), value=None,
                                              step=1.0, format="%g")
            days = right.number_input("Jours d'utilisation par an", min_value=0.0,
                                      max_value=float(declaring.GPU_LIMITS["days"]), value=None, step=1.0,
                                      format="%g")
            values["hours"], gpu_total = declaring.gpu_hours(hours_per_day, days)
            st.caption(as_text(gpu_total))
            left, _ = st.columns(2)
            values["utilization"] = left.number_input(labels["utilization"], min_value=0.0, max_value=1.0,
                                                      value=None, step=0.05)
        elif kind == "task":
            left, right = st.columns(2)
            values["task"] = left.selectbox(labels["task"], list(options["tasks"]), format_func=options["tasks"].get,
                                            placeholder="Choisir une tâche")
            values["units"] = right.number_input(labels["units"], min_value=0.0, value=None, step=100.0, format="%g")
        else:
            left, _ = st.columns(2)
            values["energy_kwh"] = left.number_input(labels["energy_kwh"], min_value=0.0, value=None, step=1.0,
                                                     format="%g")
        with st.expander("Registre des usages (AFNOR Spec 2314, AI Act)"):
            values["owner"] = st.text_input(labels["owner"])
            values["personal_data"] = {"oui": True, "non": False, "": None}[
                st.radio(labels["personal_data"], ["", "oui", "non"], horizontal=True,
                         format_func=lambda v: v or "je ne sais pas")]
            values["ai_act_risk"] = st.selectbox(labels["ai_act_risk"], views.AI_ACT_CHOICES, index=None,
                                                 placeholder="Choisir le niveau")
            values["human_oversight"] = st.text_input(labels["human_oversight"])
            values["comment"] = st.text_input(labels["comment"])
        doubt = st.session_state.get("volume_doubt")
        confirmed = False
        if doubt:
            st.warning(as_text(doubt))
            confirmed = st.checkbox("Je confirme ce volume", key="volume_confirmed")
        submitted = st.form_submit_button("Enregistrer la déclaration", type="primary")
    if submitted:
        doubt = declaring.implausible_volume(values, factors)
        # The box confirms the volume it was shown for: a different volume is asked about again.
        if doubt and not (confirmed and doubt == st.session_state.get("volume_doubt")):
            # Not saved: the form shows why, with the box that confirms the volume.
            st.session_state["volume_doubt"] = doubt
            st.rerun()
        with state.form_guard():
            identifier = views.save_form(values, store, factors)
            st.session_state.pop("volume_doubt", None)
            st.session_state["declared"] = (identifier, gpu_total if kind == "gpu" else "")
            st.rerun()
    if st.session_state.get("declared"):
        identifier, said = st.session_state.pop("declared")
        impact = views.declaration_impact(state.inventory(int(values["year"])), identifier)
        st.success(f"Déclaration {as_text(identifier)} enregistrée"
                   + (f" ({as_text(said)})" if said else "") + f" : {as_text(impact)}. La synthèse en tient compte.")

year = state.year_picker()
tables = state.declaration_tables(year, own_services)
with table_tab:
    if year is None:
        st.info("Aucune déclaration pour l'instant.")
    else:
        st.markdown(f"Déclarations {year} : modifiez les cellules puis enregistrez. Chaque ligne modifiée est "
                    "vérifiée comme un import ; si une seule est fausse, rien n'est enregistré.")
        original = tables["declarations"]
        generation = st.session_state.setdefault(f"editor_generation_{year}", 0)
        editor_key, versions_key = f"editor_{year}_{generation}", f"editor_versions_{year}"
        pending = (st.session_state.get(editor_key) or {}).get("edited_rows")
        if not pending or versions_key not in st.session_state:
            # The versions the person sees when starting to edit: a row another person saves
            # meanwhile is refused on saving (a conflict to reload), never silently overwritten.
            shown = state.declarations()
            st.session_state[versions_key] = dict(zip(shown["id"], shown["version"].astype(int)))
        edited = st.data_editor(original, key=editor_key, hide_index=True, width="stretch",
                                disabled=["Identifiant", declaring.REVIEW_LABEL, "Origine"], num_rows="fixed",
                                placeholder="",
                                column_config=state.editor_columns(original))
        save, _ = st.columns([1, 3])
        if save.button("Enregistrer les modifications", type="primary"):
            with state.guard():
                try:
                    counts = views.save_edits(original, edited, store, factors,
                                              expected_versions=st.session_state[versions_key])
                except views.StoreConflict:
                    # The next run shows a fresh editor on what the store holds now; the message
                    # says who changed what, so that the person can make the change again.
                    st.session_state[f"editor_generation_{year}"] = generation + 1
                    st.session_state.pop(versions_key, None)
                    raise
                st.session_state.pop(versions_key, None)
                state.confirm(f"{counts['modified']} déclaration(s) modifiée(s).")
        chosen = st.multiselect("Supprimer des déclarations (elles restent dans l'historique)",
                                original["Identifiant"].tolist(), placeholder="Choisir les identifiants")
        if chosen and st.button(f"Supprimer {len(chosen)} déclaration(s)"):
            with state.guard():
                store.delete(chosen)
                st.rerun()

with import_tab:
    st.markdown("Un fichier CSV (séparateur `;`, `,` ou tabulation ; virgule décimale acceptée), XLSX, ODS ou XLS "
                "avec les colonnes de `examples/declarations.csv`. Tout le fichier est vérifié avant d'écrire quoi "
                "que ce soit.")
    st.download_button("Télécharger le modèle à remplir (XLSX : listes déroulantes et feuille d'aide)",
                       # Built when clicked, from what is known now (the callable runs outside the page).
                       data=functools.partial(declaring.template_file, factors, state.declarations(),
                                              options["year"]),
                       file_name=declaring.TEMPLATE_NAME, icon=":material/download:",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    upload = None if not can_import else st.file_uploader(
        "Fichier de déclarations", type=["csv", "txt", "xlsx", "xlsm", "ods", "xls"], key="declarations_file",
        max_upload_size=declaring.DECLARATIONS_MAX_MB)
    if not can_import:
        st.caption("L'import d'un fichier est réservé au référent climat et à la DSI : envoyez-leur le modèle rempli.")
    if upload is not None:
        file = received(upload)  # in memory: the name the browser sent is only shown, never a path
        with state.guard():
            preview = views.preview_file(file.data, factors, file.name)
            st.success(f"{len(preview)} déclaration(s) valides dans {as_text(file.name)}. Aperçu :")
            st.dataframe(preview, hide_index=True, placeholder="—")
            if st.button(f"Importer {len(preview)} déclaration(s)", type="primary"):
                counts = views.import_file(file.data, store, factors, file.name)
                state.confirm(f"Import : {counts['created']} créée(s), {counts['modified']} modifiée(s), "
                              f"{counts['unchanged']} inchangée(s).")

with history_tab:
    deleted = tables["deleted"]
    if not deleted.empty:
        st.markdown("**Déclarations supprimées** (restaurables)")
        st.dataframe(deleted, hide_index=True, placeholder="—")
        restore = st.multiselect("Restaurer", deleted["Identifiant"].tolist(), placeholder="Choisir les identifiants")
        if restore and st.button(f"Restaurer {len(restore)} déclaration(s)"):
            with state.guard():
                store.restore(restore)
                st.rerun()
    st.markdown("**Historique des modifications** (qui, quand, quoi)")
    st.dataframe(tables["history"], hide_index=True, width="stretch", placeholder="—")
