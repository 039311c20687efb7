"""Streamlit entry point: navigation only. The dashboard pages come with the dashboard issue;
until then, a single page says what the tool is and how to use the command line."""

import streamlit as st

st.set_page_config(page_title="Empreinte IA", page_icon="🌱", layout="wide")

home = st.Page("pages/accueil.py", title="Accueil", icon="🏠", default=True)
st.navigation([home]).run()
