"""Scénarios 2030: the built-in trajectories and custom ones, with ranges, the target path and the
realised years, each scenario's verdict against the target (saved as the PCAET objective on
request), sobriety savings against the trend, and sliders to derive and save a custom scenario."""

import streamlit as st

from dashboard import charts, state, views
from dashboard.markdown import as_text

st.title(f"Scénarios à {views.DEFAULT_TO_YEAR}")
year = state.required_year("Déclarez d'abord des usages : les scénarios projettent l'inventaire d'une année.")
factors = state.factors()
known = state.scenarios()
profile = state.profile()
left, horizon, goal, goal_year = st.columns([3, 1, 1, 1])
chosen = left.multiselect("Scénarios comparés", list(known), default=views.default_scenarios(known),
                          format_func=lambda i: known[i].label, placeholder="Choisir des scénarios")
to_year = horizon.number_input("Horizon", min_value=year + 1, max_value=views.HORIZON[1],
                               value=max(views.DEFAULT_TO_YEAR, year + 1), step=1)
pcaet_reduction, pcaet_year = views.target_defaults(profile, int(to_year))
reduction = goal.number_input("Objectif PCAET (baisse en %)", min_value=0.0, max_value=99.0, value=pcaet_reduction,
                              step=1.0, format="%.10g", placeholder="SNBC",
                              help="Baisse visée par rapport à l'année d'inventaire ; vide : rythme de la SNBC (base "
                                   "de facteurs). Par défaut, l'objectif du profil de la collectivité.")
target_year = goal_year.number_input("Année de l'objectif", min_value=year + 1, max_value=views.HORIZON[1],
                                     value=min(max(pcaet_year, year + 1), views.HORIZON[1]), step=1,
                                     disabled=reduction is None)
if not chosen:
    st.info("Choisissez au moins un scénario.")
    st.stop()
projection = state.projection(year, chosen, int(to_year))
target = views.target_from(reduction, int(target_year))
realised = state.realised()
st.plotly_chart(charts.trajectories(views.trajectories(projection, target.path(projection)), realised), theme=None)
st.caption(f"Trajectoire cible : {as_text(target.describe(projection))}. Losanges « Réalisé » : les inventaires des "
           "années déclarées, avec leur fourchette.")

st.subheader(f"Les scénarios en {int(to_year)} face à l'objectif")
table = views.verdict_table(projection, target)
st.dataframe(table[["scenario", "valeur", "evolution", "verdict"]], hide_index=True, placeholder="—",
             width="stretch", key="verdicts", column_config={
                 "scenario": "Scénario", "valeur": f"Émissions en {int(to_year)} (fourchette)",
                 "evolution": f"Évolution depuis {year}", "verdict": "Objectif"})
# The verdicts in words, whole (a table cell would cut them off); scenario names are text, never Markdown.
st.markdown("\n".join(f"- **{as_text(row.scenario)}** : {as_text(row.explication)}"
                       for row in table.itertuples(index=False)))
save_goal, said = st.columns([1, 2])
if profile is None:
    said.caption("Pour garder cet objectif dans le profil de la collectivité (exports, rapport), renseignez d'abord "
                 "la page Collectivité.")
elif reduction is not None and (reduction, int(target_year)) == (profile.target_reduction_pct, profile.target_year):
    said.caption("C'est l'objectif du PCAET enregistré dans le profil de la collectivité.")
elif reduction is not None:
    if save_goal.button("Enregistrer comme objectif du PCAET", key="save_target"):
        with state.guard():
            outcome = views.save_target(state.store(), reduction, int(target_year))
            if outcome.problems:
                st.error("Objectif refusé, rien n'a été enregistré :\n\n" + "\n".join(
                    f"- {as_text(problem)}" for problem in outcome.problems))
            else:
                state.confirm("Objectif du PCAET enregistré dans le profil de la collectivité.")
if len(realised) > 1:
    with st.expander("Inventaires réalisés, année après année"):
        st.dataframe(realised[["annee", "tco2e", "tco2e_bas", "tco2e_haut", "evolution"]], hide_index=True,
                     placeholder="—", width="stretch", column_config={
                         "annee": st.column_config.NumberColumn("Année", format="%d"),
                         "tco2e": st.column_config.NumberColumn("tCO2e (central)", format="localized"),
                         "tco2e_bas": st.column_config.NumberColumn("tCO2e (bas)", format="localized"),
                         "tco2e_haut": st.column_config.NumberColumn("tCO2e (haut)", format="localized"),
                         "evolution": "Évolution"})

shown = st.selectbox("Détail par type d'usage", chosen, format_func=lambda i: known[i].label)
st.plotly_chart(charts.stacked_kinds(views.by_kind(projection, shown),
                                     f"{known[shown].label} : émissions par type d'usage (tCO2e)"), theme=None)

pair = views.compared(chosen)
if pair:
    sober, other = pair
    saving = views.savings(projection, factors, sober, other)
    st.subheader(f"Ce que la sobriété évite entre {year} et {int(to_year)}")
    st.caption(f"Scénario « {as_text(known[sober].label)} » {as_text(saving['reference'])}, cumulé sur la période.")
    a, b = st.columns(2)
    a.metric(f"Émissions évitées ({as_text(saving['reference'])})", saving["quantity"], border=True)
    a.caption(saving["range"])
    b.metric("Énergie évitée", saving["energy"], border=True)
    if not saving["equivalences"].empty:
        st.markdown("Soit " + as_text(", ".join(saving["equivalences"]["texte"])) + " (ADEME Impact CO2).")

for warning in projection.warnings:
    st.caption(f"Note : {as_text(warning)}")

st.subheader("Créer un scénario personnalisé")
base_id = st.selectbox("Partir du scénario", list(known), format_func=lambda i: known[i].label, key="base_scenario")
base = known[base_id]
defaults = views.slider_values(base, int(to_year))
values = {}
columns = st.columns(2)
for index, slider in enumerate(views.SLIDERS):
    values[slider.lever] = columns[index % 2].slider(
        f"{slider.label} ({slider.shown})", min_value=slider.low, max_value=slider.high,
        value=min(max(defaults[slider.lever], slider.low), slider.high), step=1.0, format="%d",
        key=f"slider_{base_id}_{slider.lever}")
identifier = columns[0].text_input("Identifiant (lettres, chiffres, - ou _)", value="notre-scenario")
label = columns[1].text_input("Nom affiché", value="Notre scénario")
preview, save = st.columns(2)
with state.guard():
    custom, text = views.derive_scenario(base, identifier, label, values, year, int(to_year), "tableau de bord")
    if preview.button("Comparer ce scénario"):
        trial = state.projection(year, chosen, int(to_year), (custom.id, text))
        st.plotly_chart(charts.trajectories(views.trajectories(trial, target.path(trial)), realised), key="trial",
                        theme=None)
    if save.button("Enregistrer le scénario", type="primary"):
        views.save_scenario(state.store(), custom, text, factors)
        state.confirm(f"Scénario « {as_text(custom.label)} » enregistré.")
custom_ids = views.custom_ids(known)
if custom_ids:
    removed = st.selectbox("Supprimer un scénario personnalisé", custom_ids, index=None,
                           format_func=lambda i: known[i].label)
    if removed and st.button("Supprimer"):
        with state.guard():
            state.store().delete_scenario(removed)
            st.rerun()
