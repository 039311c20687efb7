"""Facteurs: the factor base, searchable, every value with unit, year and source link; the
version; and the authority's own values, stored in the store and used from then on."""

import streamlit as st

from dashboard import state, views
from dashboard.markdown import as_text

st.title("Base de facteurs")
factors = state.factors()
store = state.store()
tables = views.factor_tables(factors)
st.markdown(f"Version **{factors.version}** — chaque valeur a une unité, une année et une source. Les résultats et "
            "les exports portent cette version ; le suffixe après « + » signale des valeurs propres à la collectivité.")
left, right = st.columns([1, 2])
names = list(tables)
table = left.selectbox("Table", names, format_func=lambda t: f"{t} — {tables[t]}", placeholder="Choisir une table",
                       index=names.index("hosting_profiles") if "hosting_profiles" in names else 0)
search = right.text_input("Rechercher (mots, sans tenir compte des accents)", placeholder="PUE salle serveurs")
rows = views.factor_rows(factors, table, search)
st.caption(f"{len(rows)} valeur(s).")
st.dataframe(rows[["element", "label", "value", "unit", "year", "source", "source_url", "note"]], hide_index=True,
             width="stretch", placeholder="—", column_config={
                 "element": "Élément", "label": "Paramètre",
                 "value": st.column_config.NumberColumn("Valeur", format="localized"), "unit": "Unité",
                 "year": st.column_config.NumberColumn("Année", format="%d"), "source": "Source",
                 "source_url": st.column_config.LinkColumn("Lien"), "note": "Note"})

st.subheader("Valeurs propres à la collectivité")
st.markdown("Remplacez une valeur par la vôtre (le PUE mesuré de votre salle serveurs, par exemple) avec sa "
            "justification : elle est enregistrée dans la base de la collectivité et utilisée partout ensuite "
            "(synthèse, scénarios, exports, ligne de commande).")
current = views.overrides_table(store)
if current.empty:
    st.caption("Aucune valeur propre pour l'instant.")
else:
    st.dataframe(current, hide_index=True, width="stretch", placeholder="—",
                 column_config={"Valeur": st.column_config.NumberColumn("Valeur", format="localized")})
    removed = st.selectbox("Revenir à la valeur de la base pour", current["Identifiant"].tolist(), index=None,
                           placeholder="Choisir une valeur propre")
    if removed and st.button("Supprimer cette valeur propre"):
        with state.guard():
            views.delete_own_value(store, factors, removed)
            st.rerun()

all_rows = views.factor_rows(factors, table)
st.markdown(f"Nouvelle valeur dans la table **{table}**")
first, second = st.columns(2)
element = first.selectbox("Élément", all_rows["element"].unique().tolist(), key=f"element_{table}",
                          placeholder="Choisir un élément")
chosen = all_rows[all_rows["element"] == element]
parameter = second.selectbox("Paramètre", chosen["parameter"].tolist(), key=f"parameter_{table}",
                             placeholder="Choisir un paramètre",
                             format_func=dict(zip(chosen["parameter"], chosen["label"])).get)
current_row = chosen[chosen["parameter"] == parameter]
if len(current_row):
    row = current_row.iloc[0]
    st.caption(f"Valeur actuelle : {views.format_number(row['value'])} {as_text(row['unit'])} "
               f"({as_text(row['year'])}) — {as_text(row['source'])}")
with st.form("override", enter_to_submit=False):
    first, second = st.columns(2)
    value = first.number_input("Valeur", value=None, format="%g")
    unit = second.text_input("Unité (Pint : « dimensionless », « L / kWh », « kgCO2e / kWh »…)",
                             value=str(current_row["unit"].iloc[0]) if len(current_row) else "")
    year = first.number_input("Année de la valeur", min_value=1990, max_value=2100, value=2025, step=1)
    both = second.checkbox("Même valeur pour le bas et le haut de la fourchette (…_min et …_max)", value=True)
    justification = st.text_area("Justification (source, mesure, document)", height=68)
    submitted = st.form_submit_button("Enregistrer la valeur propre", type="primary")
if submitted:
    with state.guard():
        if value is None:
            st.error("Indiquez la valeur.")
        else:
            key = chosen["key"].iloc[0]
            ids = views.save_own_values(store, factors, table, key, parameter, value, unit, int(year), justification,
                                        both)
            state.confirm(f"Valeur propre enregistrée ({', '.join(ids)}) : les résultats en tiennent compte.")

st.subheader("Ce que publient les fournisseurs, et la base retenue")
st.markdown("Quelques fournisseurs publient leurs propres chiffres par message, loin de l'estimation EcoLogits et "
            "avec d'autres périmètres (page **Méthode**, « Ce que les fournisseurs publient »). Pour chaque outil, "
            "choisissez la base de ses chiffres dans l'inventaire et les exports : notre estimation, la déclaration "
            "du fournisseur, ou l'enveloppe des deux. Le choix est conservé avec son auteur et sa date.")
disclosed = state.disclosures()
st.dataframe(disclosed.drop(columns="produit"), hide_index=True, width="stretch", placeholder="—", column_config={
    "outil": "Outil", "publication": "Publication", "impact": "Impact", "unite": "Unité",
    "publie": st.column_config.NumberColumn("Publié, par message", format="%.3g"),
    "estime_bas": st.column_config.NumberColumn("Notre estimation (bas)", format="%.3g"),
    "estime": st.column_config.NumberColumn("Notre estimation (centre)", format="%.3g"),
    "estime_haut": st.column_config.NumberColumn("Notre estimation (haut)", format="%.3g"),
    "rapport": st.column_config.NumberColumn("Publié ÷ estimé", format="%.3g"),
    "perimetre": "Périmètre de la publication", "base": "Base retenue"})
with st.form("product_basis", enter_to_submit=False):
    first, second = st.columns(2)
    tools = dict(zip(disclosed["produit"], disclosed["outil"])) if len(disclosed) else {}
    product = first.selectbox("Outil", list(tools), format_func=tools.get, placeholder="Choisir un outil")
    basis = second.radio("Base de ses chiffres", list(views.BASIS_LABELS), format_func=views.BASIS_LABELS.get)
    justification = st.text_input("Pourquoi ce choix (repris dans l'historique)")
    chosen = st.form_submit_button("Retenir cette base")
if chosen and product:
    with state.guard():
        changed = views.save_basis(store, factors, product, basis, justification)
        state.confirm("Base enregistrée : l'inventaire et les exports en tiennent compte." if changed else
                      "Cette base était déjà retenue.")
