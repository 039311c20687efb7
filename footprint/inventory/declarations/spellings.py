"""The ways people write a header or a code in a declarations file, each mapped to one meaning.

Owns: the plain key a header, a code or a use case is compared by (lower case, no accents,
underscores: « Cas d'usage » and « cas_d_usage » are one key), the other spellings of the
French headers of ``footprint.vocabulary``, of the kinds (« IA générative » is ``llm``), the AI Act
risk levels and the yes/no answers. Must not: read a file, check a value or name a column the
vocabulary already names (the French headers and kinds are ``FILE_COLUMNS`` and ``KINDS_FR``).
"""

from __future__ import annotations

import re
import unicodedata

from footprint.vocabulary import KINDS, KINDS_FR


def plain_key(text: str) -> str:
    """Header or code as a plain key: lower case, no accents, underscores."""
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_")


# Other spellings of a French header (as plain keys) -> the header of ``FILE_COLUMNS``.
HEADER_ALIASES = {"cas_d_usage": "cas_usage", "modele_ia": "modele", "nombre_de_gpu": "nb_gpu",
                  "nombre_gpu": "nb_gpu", "tache_a_l_unite": "tache", "kwh_mesure": "kwh_mesures",
                  "annee_d_inventaire": "annee", "risque_ia_act": "niveau_risque_ia_act"}

# A kind as people write it (plain key) -> the store's kind: its store and file codes, and synonyms.
KIND_ALIASES = {**{kind: kind for kind in KINDS}, **{plain_key(KINDS_FR[kind]): kind for kind in KINDS},
                "ia_generative": "llm", "modele_de_langage": "llm", "heures_gpu": "gpu", "mesuree": "measured"}
# An AI Act risk level as people write it (plain key) -> as the register writes it.
AI_ACT_LEVELS = {"inacceptable": "inacceptable", "eleve": "élevé", "haut": "élevé", "limite": "limité",
                 "minimal": "minimal", "non_evalue": "non évalué"}
YES = {"oui", "o", "yes", "y", "vrai", "true", "1", "x"}
NO = {"non", "n", "no", "faux", "false", "0"}
