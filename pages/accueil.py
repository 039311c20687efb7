"""Placeholder home page until the dashboard lands: what the tool does and the CLI to use now."""

import streamlit as st

from footprint.factor_base import FactorBase


@st.cache_resource
def factor_base() -> FactorBase:
    return FactorBase.load()


st.title("Empreinte IA")
st.write(
    "Mesurer, déclarer et réduire l'empreinte environnementale de l'intelligence artificielle "
    "d'une collectivité, pour le PCAET et le BEGES."
)
base = factor_base()
st.info(f"Base de facteurs chargée, version **{base.version}**. "
        "Le tableau de bord arrive avec les prochaines versions.")
st.subheader("Estimer dès maintenant en ligne de commande")
st.code(
    ".venv/bin/python -m footprint estimate llm --provider mistralai --model mistral-large-latest "
    "--output-tokens 600 --requests 3000 --zone FRA\n"
    ".venv/bin/python -m footprint declarations import examples/declarations.csv\n"
    ".venv/bin/python -m footprint inventory --year 2025 --by service",
    language="bash",
)
