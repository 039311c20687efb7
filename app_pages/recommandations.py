"""Recommandations: the ranked sobriety recommendations a service can act on, with their effort
and their savings."""

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
            f"évitées chaque année, et chacune dit ce qu'elle demande : un **paramètre** à régler, un **changement "
            f"d'outil**, un **marché public** (changer de prestataire ou d'hébergement) ou de l'**organisation**. "
            f"En retenant la meilleure action de chaque déclaration, l'inventaire {year} baisserait de "
            f"**{format_quantity(reduction['avoided'], 'kgCO2e')}** sur "
            f"{format_quantity(reduction['total'], 'kgCO2e')} (−{format_number(reduction['percent'])} %).")
for row in table.head(5).itertuples(index=False):
    with st.container(border=True):
        st.markdown(f"**{row.rang}\\. {as_text(row.action)}** — {as_text(row.service)}")
        about = ", ".join(as_text(part) for part in (row.outil, row.cas_usage) if part)
        st.markdown(f"{about} ({as_text(row.declaration)}) · effort : **{as_text(row.effort)}**")
        st.markdown(f"{as_text(row.economie[:1].upper() + row.economie[1:])}.")
        st.caption(as_text(row.hypothese))
st.subheader("Toutes les recommandations")
st.dataframe(table, hide_index=True, placeholder="—", width="stretch", column_config={
    "rang": "Rang", "declaration": "Déclaration", "service": "Service", "outil": "Outil", "cas_usage": "Cas d'usage",
    "action": "Action", "effort": "Effort", "economie": "Économie",
    "kgco2e_evites": st.column_config.NumberColumn("kgCO2e évités par an", format="localized"),
    "kwh_evites": st.column_config.NumberColumn("kWh évités par an", format="localized"),
    "kwh_en_plus": st.column_config.NumberColumn("kWh consommés en plus par an", format="localized"),
    "hypothese": "Hypothèse"})
