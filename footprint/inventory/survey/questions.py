"""The questionnaire of the diagnostic of uses: what every agent is asked, in plain French, and
the closed lists of answers, each with the code the tool reads back.

Owns: the questions (``QUESTIONS``: a key, its French text, its answers), the repeated block
asked for each AI tool (``TOOLS_ASKED`` blocks: an online form cannot branch on every product of
the catalogue), the answers of each list (``ACCOUNTS``, ``FREQUENCIES``, ``USES``,
``SENSITIVE``) with the short codes a LimeSurvey answer allows (five letters or digits), the
mapping of each use to a use case of the factor base (``emission_factors/use_cases.csv``) and
the tools offered (the product catalogue, plus « Autre »).

Must not: hold a number of the method (the days of use of each frequency are the factor base's
``survey_frequencies`` table), read a file (``readers``) or compute anything (``extrapolate``).
"""

from __future__ import annotations

from dataclasses import dataclass

from footprint.factors import FactorBase


@dataclass(frozen=True)
class Choice:
    """One answer of a closed list: ``key`` (the tool's), ``label`` (what the agent reads),
    ``code`` (a LimeSurvey answer or subquestion code: letters and digits, at most five)."""

    key: str
    label: str
    code: str


ACCOUNTS = (Choice("licence", "Licence ou compte fourni par la collectivité", "LIC"),
            Choice("personal", "Compte personnel ou version gratuite", "PERSO"))
# Keys: the ``frequency`` keys of the factor base's ``survey_frequencies`` table.
FREQUENCIES = (Choice("plusieurs_fois_par_jour", "Plusieurs fois par jour", "PJOUR"),
               Choice("tous_les_jours", "Tous les jours", "JOUR"),
               Choice("chaque_semaine", "Chaque semaine", "SEM"),
               Choice("chaque_mois", "Chaque mois", "MOIS"),
               Choice("rarement", "Rarement", "RARE"))
USES = (Choice("courriers", "Courriers et notes", "COUR"),
        Choice("comptes_rendus", "Comptes rendus", "CR"),
        Choice("syntheses", "Synthèses de documents", "SYNTH"),
        Choice("usagers", "Relation avec les usagers (réponses aux courriels, accueil)", "USAG"),
        Choice("traduction", "Traduction", "TRAD"),
        Choice("code", "Code informatique", "CODE"),
        Choice("images", "Images", "IMG"),
        Choice("autre", "Autre", "AUTRE"))
SENSITIVE = (Choice("yes", "Oui", "OUI"), Choice("no", "Non", "NON"), Choice("unknown", "Je ne sais pas", "NSP"))
# Each use -> the use case of the factor base whose tokens per request it takes (None: the
# product's own tokens per message, the catalogue's, with no use case).
USE_CASES = {"courriers": "redaction_courrier", "comptes_rendus": "compte_rendu_reunion",
             "syntheses": "synthese_document", "usagers": "reponse_courriel", "traduction": "traduction",
             "code": "assistance_code", "images": None, "autre": None}
OTHER_TOOL, OTHER_TOOL_LABEL = "autre", "Autre (précisez)"
NO_TOOL_LABEL = "Aucun"
# What a tool named in « Autre : … » that the catalogue does not know becomes (the text is never kept).
UNKNOWN_TOOL = "autre outil"
# The blocks of questions about one tool that the online questionnaire repeats.
TOOLS_ASKED = 3


@dataclass(frozen=True)
class Question:
    """One question: ``key`` (the column the readers fill), ``text`` (the French question, the
    column title of a Microsoft Forms or Framaforms export), ``code`` (the LimeSurvey question
    code), ``choices`` (None: free text), ``multiple`` (several answers allowed)."""

    key: str
    text: str
    code: str
    choices: tuple[Choice, ...] | None = None
    multiple: bool = False
    help: str = ""


SERVICE = Question("service", "Dans quel service ou quelle direction travaillez-vous ?", "SERVICE",
                   help="Le nom du service, tel que l'organigramme le donne (ex. : Direction des finances).")


def tool_questions(number: int) -> tuple[Question, ...]:
    """The five questions about the agent's tool n° ``number`` (1 to ``TOOLS_ASKED``)."""
    return (
        Question(f"tool_{number}", f"Outil d'IA n° {number} : lequel utilisez-vous ?", f"OUTIL{number}",
                 help="Choisissez dans la liste ; « Autre » si l'outil n'y est pas (écrivez son nom, sans nom de "
                      "personne). Laissez vide si vous n'en utilisez pas d'autre."),
        Question(f"account_{number}", f"Outil n° {number} : avec quel compte ?", f"COMPTE{number}", ACCOUNTS),
        Question(f"frequency_{number}", f"Outil n° {number} : à quelle fréquence l'utilisez-vous ?", f"FREQ{number}",
                 FREQUENCIES),
        Question(f"uses_{number}", f"Outil n° {number} : pour quoi faire ?", f"USAGE{number}", USES, multiple=True,
                 help="Plusieurs réponses possibles."),
        Question(f"sensitive_{number}", f"Outil n° {number} : y mettez-vous des données personnelles ou des "
                 "documents confidentiels ?", f"DONNEES{number}", SENSITIVE),
    )


QUESTIONS: tuple[Question, ...] = (SERVICE, *(q for n in range(1, TOOLS_ASKED + 1) for q in tool_questions(n)))
BY_KEY = {q.key: q for q in QUESTIONS}
# One row per tool of one respondent (the XLSX template): its columns, French headers.
TEMPLATE_COLUMNS = {"respondent": "repondant", "service": "service", "tool": "outil", "account": "compte",
                    "frequency": "frequence", "uses": "usages", "sensitive": "donnees_sensibles"}
TEMPLATE_QUESTIONS = {"respondent": "Numéro du questionnaire (1, 2, 3… : jamais un nom)",
                      "service": SERVICE.text, "tool": "Outil d'IA utilisé (une ligne par outil)",
                      "account": "Avec quel compte ?", "frequency": "À quelle fréquence ?",
                      "uses": "Pour quoi faire ? (plusieurs réponses séparées par « ; »)",
                      "sensitive": "Y mettez-vous des données personnelles ou des documents confidentiels ?"}
TEMPLATE_CHOICES = {"account": ACCOUNTS, "frequency": FREQUENCIES, "uses": USES, "sensitive": SENSITIVE}


def tool_choices(factors: FactorBase, year: int | None = None) -> list[Choice]:
    """The tools offered: every product of the catalogue (its label; code T01, T02… in the
    catalogue's order, for LimeSurvey), then « Autre »."""
    products = sorted(factors.products(year), key=lambda p: p.product)
    return [*(Choice(p.product, p.label, f"T{position:02d}") for position, p in enumerate(products, start=1)),
            Choice(OTHER_TOOL, OTHER_TOOL_LABEL, "-oth-")]
