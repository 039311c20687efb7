"""The methodology note that travels with the export (French Markdown): perimeter, regulatory
classification, method, uncertainty, results of the inventory year, factors used, limits.

Owns: what the note says. The classification is read from ``reporting_categories`` (through
``classification``), the results from the summary, the factors from the sources table; every text
that comes from the store or the factor base is escaped (``markdown.escape_markdown``), and the
only links are the http(s) sources of the factors.

Must not: compute any figure (they come from ``summary``), or write files (``files``).
"""

from __future__ import annotations

import pandas as pd

from footprint import __version__
from footprint.factors import FactorBase
from footprint.io.cells import exact_number
from footprint.reporting.classification import MANUFACTURING, USAGE, Poste, postes
from footprint.reporting.markdown import LINK_URL, cell, escape_markdown, markdown_url, year_cell

# What the note calls each ownership and part of ``reporting_categories``.
OWNERSHIP_TEXT = {"propre": "Matériel de la collectivité sur son territoire (GPU, serveurs)",
                  "service": "Services achetés (API d'IA, cloud, centres de données extérieurs)"}
PART_TEXT = {USAGE: "électricité", MANUFACTURING: "fabrication"}


def _classification(poste: Poste) -> str:
    """One line of « Classement réglementaire »: what goes where, from ``reporting_categories``
    (its texts escaped, as every text of the factor base)."""
    category = poste.category
    sector = str(category["pcaet_sector"])
    where = (f"secteur {escape_markdown(sector.lower())} du PCAET, compté dans l'inventaire territorial réglementaire"
             if category["territorial_inventory"] == "oui" else escape_markdown(sector[:1].lower() + sector[1:]))
    what = " et ".join(PART_TEXT.get(part) or escape_markdown(part) for part in poste.parts)
    owner = OWNERSHIP_TEXT.get(poste.ownership) or escape_markdown(poste.ownership)
    return (f"- {owner}, {what} : BEGES poste {escape_markdown(category['beges_poste'])} "
            f"({escape_markdown(category['beges_poste_label'])}), {where}.")


def note_markdown(authority: str, year: int, factors_frame: pd.DataFrame, summary_rows: pd.DataFrame,
                  export_date: str, factor_version: str, *, factors: FactorBase) -> str:
    """The methodology note that travels with the export (French). Every text that comes from
    the store or the factor base is escaped (``escape_markdown``); the only links are the
    http(s) sources of the factors. ``factors``: the base whose ``reporting_categories`` the
    classification reads."""
    classification = [_classification(poste) for poste in postes(factors)]
    realised = summary_rows[summary_rows["statut_annee"] == "réalisé"]
    lines = [
        f"# Empreinte de l'intelligence artificielle — {escape_markdown(authority)}, inventaire {cell(year)}",
        "",
        f"Export du {escape_markdown(export_date)} ; base de facteurs {escape_markdown(factor_version)} ; "
        f"Empreinte IA {escape_markdown(__version__)}.",
        "",
        "## Périmètre",
        "",
        "Usages d'IA déclarés par les services de la collectivité (requêtes à des modèles de langage, heures de "
        "calcul sur GPU, tâches à l'unité, traitements mesurés), pour l'année d'inventaire, et leur projection "
        "selon les scénarios choisis.",
        "",
        "## Classement réglementaire",
        "",
        *classification,
        "",
        "## Méthode",
        "",
        "Requêtes à un modèle de langage : méthode EcoLogits (énergie par token selon les paramètres du modèle, "
        "serveur, PUE, facteur de l'électricité, fabrication au prorata du temps de génération). Heures GPU : "
        "méthode Green Algorithms. Tâches à l'unité : énergie par unité publiée. Mesures : énergie relevée par "
        "CodeCarbon. Électricité française : ADEME Base Empreinte, mix moyen consommation, de l'année "
        "d'inventaire. Détail de chaque formule : docs/METHODOLOGIE.md.",
        "",
        "## Incertitude",
        "",
        "Chaque valeur est donnée en fourchette (bas, haut) ; la valeur centrale est le milieu. Les fourchettes "
        "viennent du nombre de paramètres des modèles fermés et des PUE et WUE des hébergeurs.",
        "",
        "## Résultats de l'année d'inventaire",
        "",
        "| poste BEGES | secteur PCAET | MWh | tCO2e (min – max) |",
        "| --- | --- | --- | --- |",
    ]
    for row in realised.to_dict("records"):
        tco2e = [exact_number(round(row[c], 6)) for c in ("emissions_tco2e", "emissions_tco2e_min",
                                                             "emissions_tco2e_max")]
        mwh = escape_markdown(exact_number(round(row["consommation_mwh"], 4)))
        tco2e = [escape_markdown(value) for value in tco2e]
        lines.append(f"| {cell(row['poste_beges'])} {cell(row['libelle_poste_beges'])} | "
                     f"{cell(row['secteur_pcaet'])} | {mwh} | {tco2e[0]} ({tco2e[1]} – {tco2e[2]}) |")
    lines += ["", "## Facteurs utilisés", "", "| paramètre | valeur | unité | année | source |",
              "| --- | --- | --- | --- | --- |"]
    for row in factors_frame.to_dict("records"):
        link = row["lien"] if isinstance(row["lien"], str) and LINK_URL.fullmatch(markdown_url(row["lien"])) else ""
        source = f"[{cell(row['source'])}]({markdown_url(link)})" if link else cell(row["source"])
        lines.append(f"| {cell(row['parametre'])} ({cell(row['cle'] or row['table'])}) | {cell(row['valeur'])} | "
                     f"{cell(row['unite'])} | {year_cell(row['annee'])} | {source} |")
    lines += ["", "## Limites", "",
              "L'entraînement des modèles, les terminaux des agents et le réseau ne sont pas comptés. Les paramètres "
              "des modèles fermés sont estimés. Certaines tâches à l'unité reposent sur des estimations ; une mesure "
              "locale les remplace avantageusement.", ""]
    return "\n".join(lines)
