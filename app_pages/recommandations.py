"""Recommandations: the ranked sobriety recommendations a service can act on, with their effort
and their savings; then, apart, the uses outside any framework that the agents' survey found,
to move to a framed tool, with what that does to the footprint."""

import streamlit as st

from dashboard import state, views
from dashboard.markdown import as_text
from dashboard.views import format_number, format_quantity
from dashboard.views.recommandations import framing_table


def _sentence(text: str) -> str:
    """A clause of the library as a sentence: capital first letter, final full stop."""
    return f"{text[:1].upper()}{text[1:]}."


def _card(row, *lines: str) -> None:
    """One recommendation in a frame: its rank, action and service, then ``lines`` (Markdown
    whose data went through ``as_text``), then its assumption in small print."""
    with st.container(border=True):
        st.markdown(f"**{row.rang}\\. {as_text(row.action)}** — {as_text(row.service)}")
        for line in lines:
            st.markdown(line)
        st.caption(as_text(row.hypothese))


st.title("Recommandations")
year = state.required_year("Déclarez d'abord des usages : les recommandations portent sur l'inventaire d'une année.")
st.header("Sobriété")
table = views.recommendations_table(state.recommendations(year))
if table.empty:
    st.info(f"Aucune recommandation de sobriété pour {year}.")
else:
    reduction = views.best_reduction(table, state.inventory(year))
    st.markdown(f"Chaque usage peut être rendu plus sobre de plusieurs façons ; les actions sont classées par "
                f"émissions évitées chaque année, et chacune dit ce qu'elle demande : un **paramètre** à régler, un "
                f"**changement d'outil**, un **marché public** (changer de prestataire ou d'hébergement) ou de "
                f"l'**organisation**. En retenant la meilleure action de chaque déclaration, l'inventaire {year} "
                f"baisserait de **{format_quantity(reduction['avoided'], 'kgCO2e')}** sur "
                f"{format_quantity(reduction['total'], 'kgCO2e')} (−{format_number(reduction['percent'])} %).")
    for row in table.head(5).itertuples(index=False):
        about = ", ".join(as_text(part) for part in (row.outil, row.cas_usage) if part)
        _card(row, f"{about} ({as_text(row.declaration)}) · effort : **{as_text(row.effort)}**",
              as_text(_sentence(row.economie)))
    st.subheader("Toutes les recommandations de sobriété")
    st.dataframe(table, hide_index=True, placeholder="—", width="stretch", column_config={
        "rang": "Rang", "declaration": "Déclaration", "service": "Service", "outil": "Outil",
        "cas_usage": "Cas d'usage", "action": "Action", "effort": "Effort", "economie": "Économie",
        "kgco2e_evites": st.column_config.NumberColumn("kgCO2e évités par an", format="localized"),
        "kwh_evites": st.column_config.NumberColumn("kWh évités par an", format="localized"),
        "kwh_en_plus": st.column_config.NumberColumn("kWh consommés en plus par an", format="localized"),
        "hypothese": "Hypothèse"})

st.header("Encadrer les usages hors cadre")
framing = framing_table(state.framing_recommendations(year))
if framing.empty:
    if state.outside_framework(year).empty:
        st.info(f"Aucune enquête auprès des agents pour {year} : importez-la (page Diagnostic) pour repérer les "
                "usages par des comptes personnels ou gratuits.")
    else:
        st.info(f"L'enquête auprès des agents de {year} ne relève aucun usage par un compte personnel ou gratuit.")
else:
    st.markdown("L'enquête auprès des agents relève des outils d'IA utilisés par des **comptes personnels ou "
                "gratuits**, hors de tout cadre de la collectivité. Les passer à un outil encadré (la licence de la "
                "collectivité, Albert) répond à la **confidentialité** des données et à la **responsabilité** de la "
                "collectivité, pas à la sobriété : ces actions ne sont pas classées par émissions évitées mais par "
                "usages où entrent des données personnelles ou des documents confidentiels, et chacune dit ce que le "
                "changement fait à l'empreinte, même quand elle augmente.")
    for row in framing.head(5).itertuples(index=False):
        _card(row, f"Vers : {as_text(row.cible)} · effort : **{as_text(row.effort)}**", as_text(row.motif),
              as_text(_sentence(row.empreinte)))
    st.subheader("Tous les usages à encadrer")
    st.dataframe(framing, hide_index=True, placeholder="—", width="stretch", column_config={
        "rang": "Rang", "service": "Service", "outil": "Outil utilisé", "cible": "Outil encadré",
        "action": "Action", "effort": "Effort", "motif": "Motif (enquête)", "empreinte": "Empreinte",
        "kgco2e_actuels": st.column_config.NumberColumn("kgCO2e par an aujourd'hui", format="localized"),
        "kgco2e_variation": st.column_config.NumberColumn("Variation, kgCO2e par an (+ : hausse)",
                                                          format="localized"),
        "kwh_variation": st.column_config.NumberColumn("Variation, kWh par an (+ : hausse)", format="localized"),
        "hypothese": "Hypothèse"})
