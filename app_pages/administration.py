"""Administration (shared mode, administrators only): who may sign in and with which role; the
roles are those of the README (administrateur, référent climat, DSI, agent, lecteur)."""

import streamlit as st

from dashboard import state
from dashboard.markdown import as_text
from dashboard.views import administration as admin

st.title("Administration : utilisateurs et rôles")
st.caption("Une personne se connecte avec le compte de la collectivité (fournisseur d'identité) ; son adresse "
           "électronique reçoit ici un rôle. Administrateur : les utilisateurs, le profil de la collectivité, les "
           "facteurs ; référent climat : tout l'inventaire, la validation, les exports et les scénarios ; DSI : "
           "les mesures, les imports et les facteurs de son hébergement ; agent : les usages de son service ; "
           "lecteur : la synthèse, les scénarios et le registre.")

store = state.store()
st.dataframe(admin.users_table(store), hide_index=True, width="stretch", placeholder="—")

st.subheader("Donner ou changer un rôle")
with st.form("utilisateur", enter_to_submit=False):
    left, right = st.columns(2)
    email = left.text_input("Adresse électronique", placeholder="prenom.nom@collectivite.fr")
    name = right.text_input("Nom affiché (facultatif)", placeholder="Celui du fournisseur d'identité sinon")
    role = left.selectbox("Rôle", list(admin.ROLE_LABELS), format_func=admin.ROLE_LABELS.get, index=None,
                          placeholder="Choisir un rôle")
    services = right.multiselect("Services (pour un agent)", admin.known_services(state.declarations(), store),
                                 accept_new_options=True, placeholder="Choisir ou saisir un service")
    submitted = st.form_submit_button("Enregistrer", type="primary")
if submitted:
    with state.form_guard():
        saved, version = admin.save(store, email, role or "", services, name)
        state.confirm(f"{as_text(saved)} : {'ajouté(e)' if version == 1 else 'mis(e) à jour'}.")

st.subheader("Retirer un rôle")
people = admin.users_table(store)["Adresse électronique"].tolist()
chosen = st.selectbox("Personne", people, index=None, placeholder="Choisir une adresse", key="retrait_utilisateur")
if chosen and st.button(f"Retirer le rôle de {as_text(chosen)}", key="retirer_role"):
    with state.guard():
        admin.remove(store, chosen)
        state.confirm(f"Rôle de {as_text(chosen)} retiré (l'historique le garde).")
