"""Méthode: the methodology in plain French, with its limits; the full text of
docs/METHODOLOGIE.md below."""

import streamlit as st

from dashboard import state, views

st.title("Méthode")
factors = state.factors()
st.markdown(f"""
**En bref.** Empreinte IA estime l'énergie, les émissions de gaz à effet de serre, l'eau, les ressources abiotiques
(ADPe) et l'énergie primaire des usages d'IA d'une collectivité, pour une année. Chaque chiffre est donné avec une
fourchette (bas, central, haut) et chaque facteur utilisé a une source (page **Facteurs**, version
**{factors.version}**).

- **IA générative** : énergie par token de sortie selon la taille du modèle (méthode EcoLogits), multipliée par les
  requêtes et les tokens déclarés, plus le serveur, le PUE du centre de données et l'électricité de sa zone.
- **Heures de GPU** : puissance du GPU × heures × taux d'utilisation, plus le serveur et le PUE.
- **Tâches à l'unité** (pages lues, minutes transcrites…) : énergie par unité publiée, avec sa source.
- **Mesures** : énergie mesurée par CodeCarbon sur la machine, qui remplace l'estimation.
- **Électricité** : en France, facteur « mix moyen, consommation » de la Base Empreinte de l'ADEME (celui du BEGES) ;
  ailleurs, les facteurs d'EcoLogits.
- **Fabrication** : part de la fabrication des GPU et serveurs au prorata du temps d'usage.
- **Scénarios** : les volumes, les modèles, l'hébergement, l'efficacité et l'électricité évoluent selon des leviers
  sourcés, année par année jusqu'à l'horizon.

**Limites.** Les paramètres des modèles fermés (GPT-4o, Mistral Medium…) sont estimés ; l'entraînement des
modèles n'est pas compté ; les tâches à l'unité reposent sur peu de mesures publiées ; une mesure CodeCarbon ne voit
que la machine mesurée. Les fourchettes traduisent ces incertitudes : présentez-les avec la valeur centrale.
""")
with st.expander("Méthodologie complète (docs/METHODOLOGIE.md)", expanded=False):
    st.markdown(views.methodology())
