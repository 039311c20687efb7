"""Synthèse: the year's footprint, its range, in perspective (per agent, per inhabitant, share of the
BEGES), equivalences at its scale and breakdowns."""

import streamlit as st

from dashboard import charts, state, views
from dashboard.markdown import as_text
from dashboard.views import format_number, percent

st.title("Synthèse de l'empreinte de l'IA")
state.example_banner()
year = state.year_picker()
if year is None:
    st.info("L'inventaire est vide. Déclarez vos usages d'IA dans la page **Déclarer**, importez les journaux de "
            "votre passerelle (**Usages importés**) ou mesurez un traitement (**Mesures**).")
    st.page_link("app_pages/declarer.py", label="Déclarer un usage", icon=":material/edit_note:")
    st.stop()

inventory = state.inventory(year)
shown = state.synthesis(year)
review = views.review_sentence(inventory.declarations)
if review:
    st.info(review, icon=":material/fact_check:")
caption, about = st.columns([5, 1])
caption.caption(f"Inventaire {year} : {len(inventory.declarations)} déclaration(s). Valeurs centrales ; la "
                "fourchette est donnée sous chaque chiffre.")
with about.popover("Base de facteurs", icon=":material/info:"):
    st.markdown(f"Calculé avec la base de facteurs **{as_text(inventory.factor_base_version)}** (empreinte des "
                "fichiers de `emission_factors/`, reprise dans chaque export). Le détail de chaque facteur et sa "
                "source sont dans la page **Facteurs**.")

for column, figure in zip(st.columns(4), shown["headline"]):
    column.metric(figure["label"], figure["quantity"], border=True)
    column.caption(figure["range"])

st.subheader("L'empreinte à l'échelle de la collectivité")
if shown["perspective"]:
    st.caption(f"{as_text(shown['authority'])} : émissions de GES de l'IA en {year}, rapportées au profil de la "
               "collectivité (page Collectivité).")
    for column, figure in zip(st.columns(len(shown["perspective"])), shown["perspective"]):
        column.metric(figure["label"], figure["value"], border=True)
        column.caption(f"{figure['range']} ; {as_text(figure['compared'])}")
elif shown["authority"]:
    st.info("Le profil de la collectivité ne donne ni agents, ni population, ni BEGES : complétez-le pour situer "
            "l'empreinte.")
    st.page_link("app_pages/collectivite.py", label="Compléter le profil", icon=":material/account_balance:")
else:
    st.info("Renseignez le profil de la collectivité (population, agents, dernier BEGES) pour voir l'empreinte par "
            "agent, par habitant et en part du BEGES.")
    st.page_link("app_pages/collectivite.py", label="Renseigner la collectivité", icon=":material/account_balance:")

share = shown["measured_share"]
left, right = st.columns([3, 2])
with left:
    st.subheader("Ce que cela représente")
    if shown["equivalences"].empty:
        st.caption("Aucune émission cette année : pas d'équivalence.")
    else:
        st.markdown("\n".join(f"- {as_text(sentence)}" for sentence in shown["equivalences"]["texte"]))
        st.caption("Équivalences choisies à l'échelle du chiffre : ADEME, Impact CO2 (facteurs de la base, page "
                   "Facteurs).")
with right:
    st.subheader("Estimé ou mesuré")
    st.metric("Part mesurée des émissions", f"{format_number(percent(share['gwp_kgco2e']))} %", border=True)
    st.caption(f"Part mesurée de l'énergie : {format_number(percent(share['energy_kwh']))} %. Le reste est estimé "
               "avec la méthode EcoLogits et la base de facteurs ; mesurer un traitement avec CodeCarbon "
               "(page Mesures) remplace l'estimation.")

st.subheader("Comment le volume est connu")
levels = shown["levels"]
st.dataframe(levels, hide_index=True, placeholder="—", width="stretch", column_config={
    "niveau": "Niveau", "declarations": st.column_config.NumberColumn("Déclarations", format="localized"),
    "part": st.column_config.NumberColumn("Part des émissions (%)", format="localized"),
    "kgco2e_bas": st.column_config.NumberColumn("kgCO2e (bas)", format="localized"),
    "kgco2e": st.column_config.NumberColumn("kgCO2e (central)", format="localized"),
    "kgco2e_haut": st.column_config.NumberColumn("kgCO2e (haut)", format="localized"),
    "largeur": st.column_config.NumberColumn("Haut ÷ bas", format="localized")})
st.caption("Du plus fin au plus grossier : énergie mesurée, tokens comptés (journaux de passerelle), messages "
           "comptés (exports d'administration), puis utilisateurs actifs et licences, estimés avec les profils "
           "du catalogue des outils. Plus le niveau est grossier, plus la fourchette est large : compter les "
           "messages (export d'administration de l'outil) la resserre.")

st.subheader("Répartition des émissions")
by = st.segmented_control("Répartir par", list(shown["breakdowns"]), format_func=views.BREAKDOWNS.get,
                          default="service", key="repartition", label_visibility="collapsed") or "service"
table = shown["breakdowns"][by]
chart, pie = st.columns([3, 2])
chart.plotly_chart(charts.breakdown_bar(table, f"tCO2e par {views.BREAKDOWNS[by].lower()}"), key="bar",
                   theme=None)
pie.plotly_chart(charts.share_pie(table, "Part des émissions"), key="pie", theme=None)

outside = state.outside_framework(year)
if not outside.empty:
    st.subheader("IA utilisée hors de tout cadre")
    st.dataframe(outside, hide_index=True, width="stretch", placeholder="—", column_config={
        column: st.column_config.NumberColumn(column, format="%.0f %%") for column in outside.columns[2:]})
    st.caption("D'après l'enquête auprès des agents (page Diagnostic) : usages par un compte personnel ou une "
               "version gratuite, hors des outils que la collectivité fournit, et part de l'empreinte qu'ils "
               "représentent.")
    st.page_link("app_pages/diagnostic.py", label="Diagnostic des usages", icon=":material/quiz:")

st.subheader("Les usages qui pèsent le plus")
st.dataframe(shown["top"], hide_index=True, placeholder="—", width="stretch", column_config={
    "id": "Identifiant", "service": "Service", "cas_usage": "Cas d'usage", "outil": "Outil",
    "modele": "Modèle ou ressource",
    "kgco2e": st.column_config.NumberColumn("kgCO2e par an", format="localized"),
    "kgco2e_bas": st.column_config.NumberColumn("kgCO2e (bas)", format="localized"),
    "kgco2e_haut": st.column_config.NumberColumn("kgCO2e (haut)", format="localized"),
    "kwh": st.column_config.NumberColumn("kWh par an", format="localized"),
    "eau_l": st.column_config.NumberColumn("Eau (L)", format="localized")})

st.subheader("Classe énergétique des modèles utilisés")
classes = shown["classes"]
if classes.empty:
    st.caption("Aucun modèle d'IA générative déclaré cette année.")
else:
    st.dataframe(classes, hide_index=True, placeholder="—", width="stretch", column_config={
        "modele": "Modèle", "classe": "Classe", "libelle": "Niveau",
        "tokens_sortie": st.column_config.NumberColumn("Tokens de sortie par an", format="localized"),
        "wh_par_million_tokens": st.column_config.NumberColumn("Wh par million de tokens de sortie",
                                                               format="localized")})
    st.caption(f"Échelle de compar:IA ({as_text(views.energy_class_scale(state.factors()))}), "
               "appliquée à l'énergie de l'usage déclaré, hébergement compris.")

for warning in inventory.warnings:
    st.caption(f"Note : {as_text(warning)}")
