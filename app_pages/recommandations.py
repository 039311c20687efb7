"""Recommandations: the ranked sobriety recommendations with their savings."""

import streamlit as st

from dashboard import state, views
from dashboard.markdown import as_text
from dashboard.views import format_number, format_quantity

st.title("Recommandations de sobriété")
year = state.required_year("Déclarez d'abord des usages : les recommandations portent sur l'inventaire d'une année.")
table = views.recommendations_table(state.recommendations(year))
if table.empty:
    st.info(f"Aucune recommandation pour {year}.")
    st.stop()
reduction = views.best_reduction(table, state.inventory(year))
st.markdown(f"Chaque usage peut être rendu plus sobre de plusieurs façons ; les actions sont classées par émissions "
            f"évitées chaque année. En retenant la meilleure action de chaque déclaration, l'inventaire {year} "
            f"baisserait de **{format_quantity(reduction['avoided'], 'kgCO2e')}** sur "
            f"{format_quantity(reduction['total'], 'kgCO2e')} (−{format_number(reduction['percent'])} %).")
for row in table.head(5).itertuples(index=False):
    with st.container(border=True):
        st.markdown(f"**{row.rang}\\. {as_text(row.action)}** — {as_text(row.service)} ({as_text(row.declaration)})")
        saved = (f"évite {format_quantity(row.kgco2e_evites, 'kgCO2e')} et "
                 f"{format_quantity(row.kwh_evites, 'kWh')} par an" if row.kgco2e_evites > 0 else
                 "améliore la précision de l'inventaire")
        st.markdown(saved)
        st.caption(as_text(row.hypothese))
st.subheader("Toutes les recommandations")
st.dataframe(table, hide_index=True, width="stretch", column_config={
    "rang": "Rang", "declaration": "Déclaration", "service": "Service", "action": "Action",
    "kgco2e_evites": st.column_config.NumberColumn("kgCO2e évités par an", format="localized"),
    "kwh_evites": st.column_config.NumberColumn("kWh évités par an", format="localized"),
    "hypothese": "Hypothèse"})
