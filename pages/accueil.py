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
    "python -m footprint estimate llm --provider mistralai --model mistral-large-latest --output-tokens 600 "
    "--requests 3000 --zone FRA\n"
    "python -m footprint estimate gpu --gpu H100-SXM --gpus 8 --hours 10 --zone FRA",
    language="bash",
)
