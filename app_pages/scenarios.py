"""Scénarios 2030: the built-in trajectories and custom ones, with ranges, the target path,
sobriety savings, and sliders to derive and save a custom scenario."""

import streamlit as st

from dashboard import charts, state, views
from dashboard.markdown import as_text
from dashboard.views import format_number

st.title(f"Scénarios à {views.DEFAULT_TO_YEAR}")
year = state.required_year("Déclarez d'abord des usages : les scénarios projettent l'inventaire d'une année.")
factors = state.factors()
known = state.scenarios()
left, middle, right = st.columns([3, 1, 1])
chosen = left.multiselect("Scénarios comparés", list(known), default=views.default_scenarios(known),
                          format_func=lambda i: known[i].label)
to_year = middle.number_input("Horizon", min_value=year + 1, max_value=views.HORIZON[1],
                              value=max(views.DEFAULT_TO_YEAR, year + 1), step=1)
reduction = right.number_input("Objectif PCAET (baisse en %)", min_value=0.0, max_value=99.0, value=None,
                               help="vide : trajectoire SNBC de la base de facteurs")
if not chosen:
    st.info("Choisissez au moins un scénario.")
    st.stop()
projection = state.projection(year, chosen, int(to_year))
share = views.convert(reduction, "percent", "dimensionless") if reduction else None
target = projection.target_path(share, int(to_year) if reduction else None)
st.plotly_chart(charts.trajectories(views.trajectories(projection, target)))
st.caption(("Trajectoire cible : objectif PCAET de −" + format_number(reduction) + " % en " + str(int(to_year)))
           if reduction else "Trajectoire cible : rythme de la SNBC (base de facteurs, page Facteurs).")

shown = st.selectbox("Détail par type d'usage", chosen, format_func=lambda i: known[i].label)
st.plotly_chart(charts.stacked_kinds(views.by_kind(projection, shown),
                                     f"{known[shown].label} : émissions par type d'usage (tCO2e)"))

pair = views.compared(chosen)
if pair:
    sober, other = pair
    saving = views.savings(projection, factors, sober, other)
    st.subheader(f"Ce que la sobriété évite entre {year} et {int(to_year)}")
    a, b = st.columns(2)
    a.metric(f"Émissions évitées (« {as_text(known[sober].label)} » plutôt que « {as_text(known[other].label)} »)",
             f"{format_number(saving['tco2e'])} tCO2e", border=True)
    a.caption(f"de {format_number(saving['tco2e_bas'])} à {format_number(saving['tco2e_haut'])} tCO2e")
    b.metric("Énergie évitée", f"{format_number(saving['mwh'])} MWh", border=True)
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
        st.plotly_chart(charts.trajectories(views.trajectories(trial, target)), key="trial")
    if save.button("Enregistrer le scénario", type="primary"):
        views.save_scenario(state.store(), custom, text, factors)
        st.toast(f"Scénario « {as_text(custom.label)} » enregistré.")
        st.rerun()
custom_ids = views.custom_ids(known)
if custom_ids:
    removed = st.selectbox("Supprimer un scénario personnalisé", custom_ids, index=None,
                           format_func=lambda i: known[i].label)
    if removed and st.button("Supprimer"):
        with state.guard():
            state.store().delete_scenario(removed)
            st.rerun()
