"""The methodology note that travels with the export (French Markdown): the collectivité, the
year's figures in perspective, the results by poste with their total, the scenarios against the
target, the indicators, the perimeter, the regulatory classification, the method, the
uncertainty, the rounding convention, the factors used, the limits and the names of the columns.

Owns: what the note says, and how its figures read (readable units for the headline, 4
significant figures in the tables as in the files, decimal commas, years as years, units in
French). The classification is read from ``reporting_categories`` (through ``classification``),
the results from the summary, the factors from the sources table, the perspective from the
profile (``inventory.authority``), the equivalences from the base; every text that comes from the
store or the factor base is escaped (``markdown.escape_markdown``), and the only links are the
http(s) sources of the factors. It links to no file the reader may not have: what matters of the
method is written here.

Must not: compute an export figure (they come from ``summary``; the verdicts from
``scenarios.verdict``, handed in as plain values), or write files (``files``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd

from core.units import convert
from footprint import __version__
from footprint.factors import FactorBase
from footprint.inventory.authority import Profile, perspective
from footprint.io.formatting import format_number, format_quantity, format_range
from footprint.reporting.classification import MANUFACTURING, USAGE, Poste, postes
from footprint.reporting.equivalences import scaled_equivalences
from footprint.reporting.markdown import LINK_URL, cell, escape_markdown, markdown_url, year_cell
from footprint.reporting.summary import POSTE_LINE, column_label

# What the note calls each ownership and part of ``reporting_categories``.
OWNERSHIP_TEXT = {"propre": "Matériel de la collectivité sur son territoire (GPU, serveurs)",
                  "service": "Services achetés (API d'IA, cloud, centres de données extérieurs)"}
PART_TEXT = {USAGE: "électricité", MANUFACTURING: "fabrication"}
# The figures of the note's tables: as many significant figures as the files (``files.SIGNIFICANT``).
TABLE_FIGURES = 4
# The words of the factor base's unit strings (Pint's), in French.
UNIT_WORDS = {"dimensionless": "sans unité", "billion_parameters": "milliard de paramètres", "parameter": "paramètre",
              "second": "s", "minute": "min", "hour": "h", "day": "jour", "year": "an", "gpu": "GPU",
              "token": "token", "page": "page", "request": "requête", "image": "image", "percent": "%",
              "GB": "Go", "MB": "Mo", "TB": "To"}
# The names of the files' tables, as the annex calls them.
SHEET_TEXT = {"synthese": "Synthèse", "detail": "Détail par déclaration", "sources": "Sources des facteurs"}


def french_unit(unit: object) -> str:
    """A unit of the factor base the French way: « sans unité », « s/token », « W/GPU »."""
    if not isinstance(unit, str) or not unit.strip():
        return ""
    text = re.sub(r"\s*/\s*", "/", unit.strip())
    text = re.sub(r"\s*\*\s*", "·", text)
    return re.sub(r"[A-Za-z_]+", lambda m: UNIT_WORDS.get(m.group(0), m.group(0)), text)


def figure(value: object) -> str:
    """A number of the note's tables: 4 significant figures, the integer part whole, French signs."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return format_number(float(value), TABLE_FIGURES)


def _percent(fraction: float) -> str:
    return f"{format_number(convert(fraction, 'dimensionless', 'percent'))} %"


def _signed_percent(fraction: float) -> str:
    sign = "+" if fraction > 0 else "−" if fraction < 0 else ""
    return f"{sign}{_percent(abs(fraction))}"


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


def _profile_lines(profile: Profile | None, siren: str | None) -> list[str]:
    if profile is None:
        lines = ["Profil de la collectivité non renseigné : les chiffres par agent, par habitant et en part du BEGES, "
                 "et les indicateurs par agent, sont omis. Il se renseigne une fois (commande « python -m footprint "
                 "collectivite set »)."]
        return lines + ([f"- SIREN : {escape_markdown(siren)}"] if siren else [])
    lines = [f"- Nom : {escape_markdown(profile.name)}"]
    if profile.siren:
        lines.append(f"- SIREN : {escape_markdown(profile.siren)}")
    if profile.population:
        lines.append(f"- Population : {format_number(profile.population)} habitants")
    if profile.agents:
        lines.append(f"- Agents : {format_number(profile.agents)}")
    if profile.beges_tco2e is not None:
        lines.append(f"- Dernier BEGES : {format_number(profile.beges_tco2e)} tCO2e ({year_cell(profile.beges_year)})")
    if profile.territory_tco2e is not None:
        lines.append(f"- Émissions du territoire (inventaire du PCAET) : {format_number(profile.territory_tco2e)} "
                     f"tCO2e ({year_cell(profile.territory_year)})")
    if profile.target:
        lines.append(f"- Objectif du PCAET : −{format_number(profile.target_reduction_pct)} % en "
                     f"{year_cell(profile.target_year)}")
    return lines


def _headline(realised: pd.DataFrame, profile: Profile | None, factors: FactorBase) -> list[str]:
    """The year's totals in units that read well, in perspective, with equivalences."""
    gwp = {end: convert(float(realised[column].sum()), "tCO2e", "kgCO2e") for end, column in
           (("low", "emissions_tco2e_min"), ("central", "emissions_tco2e"), ("high", "emissions_tco2e_max"))}
    lines = [f"- Émissions de GES : {format_range(gwp['low'], gwp['central'], gwp['high'], 'kgCO2e')}",
             f"- Consommation d'électricité : {format_quantity(float(realised['consommation_kwh'].sum()), 'kWh')}",
             f"- Eau consommée : {format_quantity(convert(float(realised['eau_m3'].sum()), 'm³', 'L'), 'L')}"]
    seen = perspective(gwp, profile)
    if seen.per_agent_kgco2e:
        lines.append(f"- Par agent de la collectivité : {format_range(*seen.per_agent_kgco2e, 'kgCO2e')}")
    if seen.per_inhabitant_kgco2e:
        lines.append(f"- Par habitant : {format_range(*seen.per_inhabitant_kgco2e, 'kgCO2e')}")
    if seen.beges_share:
        low, central, high = seen.beges_share
        lines.append(f"- Part du dernier BEGES de la collectivité : {_percent(central)} "
                     f"(de {_percent(low)} à {_percent(high)})")
    if seen.territory_share:
        lines.append(f"- Part des émissions du territoire : {_percent(seen.territory_share[1])}")
    found = scaled_equivalences(gwp["central"], factors)
    if not found.empty:
        lines += ["", "C'est à peu près autant que : " + " ; ".join(escape_markdown(t) for t in found["texte"]) +
                  " (facteurs ADEME Impact CO2 de la base)."]
    return lines


def _results(realised: pd.DataFrame) -> list[str]:
    lines = ["| poste BEGES | secteur PCAET | électricité (MWh) | émissions (tCO2e) | fourchette (tCO2e) |",
             "| --- | --- | --- | --- | --- |"]
    for row in realised.to_dict("records"):
        lines.append(f"| {cell(row['poste_beges'])} {cell(row['libelle_poste_beges'])} | {cell(row['secteur_pcaet'])} "
                     f"| {figure(row['consommation_mwh'])} | {figure(row['emissions_tco2e'])} | "
                     f"{figure(row['emissions_tco2e_min'])} – {figure(row['emissions_tco2e_max'])} |")
    total = {c: float(realised[c].sum()) for c in ("consommation_mwh", "emissions_tco2e", "emissions_tco2e_min",
                                                     "emissions_tco2e_max")}
    lines.append(f"| Total | tous secteurs | {figure(total['consommation_mwh'])} | "
                 f"{figure(total['emissions_tco2e'])} | {figure(total['emissions_tco2e_min'])} – "
                 f"{figure(total['emissions_tco2e_max'])} |")
    return lines


def _scenarios(target: str | None, verdicts: Sequence, year: int) -> list[str]:
    """Each scenario's last projected year with its range, its change and its verdict."""
    if not verdicts:
        return ["Aucun scénario projeté dans cet export."]
    last = verdicts[0].year
    lines = [f"Objectif retenu : {escape_markdown(target)}." if target else "", "",
             f"| scénario | émissions en {last} (fourchette) | évolution depuis {year} | objectif |",
             "| --- | --- | --- | --- |"]
    for found in verdicts:
        lines.append(f"| {cell(found.label)} | {format_range(found.low, found.central, found.high, 'kgCO2e')} | "
                     f"{_signed_percent(found.change)} | {escape_markdown(found.verdict)} |")
    lines.append("")
    lines += [f"- {escape_markdown(found.label)} : {escape_markdown(found.text)}" for found in verdicts]
    return lines


def _indicators(profile: Profile | None) -> list[str]:
    lines = ["Le fichier des indicateurs suit la présentation des indicateurs de la plateforme Territoires en "
             "Transitions : identifiant, nom, type de données, unité, puis une colonne par année ; « Mes résultats » "
             "pour les années d'inventaire, « Mes objectifs » pour la trajectoire de l'objectif retenu sur les "
             "années projetées (les scénarios sont dans la synthèse) ; puis la source, la méthode et les limites de "
             "chaque indicateur."]
    if profile is None or not profile.agents:
        lines += ["", "Les indicateurs par agent sont omis : l'effectif de la collectivité n'est pas renseigné dans "
                      "son profil (la somme des agents des déclarations compterait deux fois une personne qui utilise "
                      "deux outils)."]
    return lines


def _annex(columns: Mapping[str, Sequence[str]]) -> list[str]:
    lines = ["## Annexe : noms techniques des colonnes", "",
             "Les fichiers CSV portent en tête les libellés ci-dessous ; avec l'option « --noms-techniques » de la "
             "commande, ils portent les noms techniques, stables d'une version à l'autre, pour les scripts. Le "
             "classeur XLSX a les deux : libellés en première ligne, noms techniques en deuxième.", ""]
    for sheet, names in columns.items():
        lines += [f"{SHEET_TEXT.get(sheet, escape_markdown(sheet))} :", "", "| libellé | nom technique |",
                  "| --- | --- |"]
        lines += [f"| {cell(column_label(name))} | {cell(name)} |" for name in names]
        lines.append("")
    return lines


def _review_sentence(pending: int, excluded: int) -> str:
    """What the export says of the declarations the référent climat has not validated yet."""
    if excluded:
        return (f" {excluded} déclaration(s) de l'année, pas encore validée(s) par le référent climat, ne sont pas "
                "comptée(s) ici : seules les déclarations validées le sont.")
    if pending:
        return (f" Cet export compte aussi {pending} déclaration(s) pas encore validée(s) par le référent climat, "
                "à la demande de qui l'a produit.")
    return ""


def note_markdown(authority: str, year: int, factors_frame: pd.DataFrame, summary_rows: pd.DataFrame,
                  export_date: str, factor_version: str, *, factors: FactorBase, profile: Profile | None = None,
                  target: str | None = None, verdicts: Sequence = (),
                  columns: Mapping[str, Sequence[str]] | None = None, siren: str | None = None,
                  review: tuple[int, int] = (0, 0)) -> str:
    """The methodology note that travels with the export (French). Every text that comes from
    the store or the factor base is escaped (``escape_markdown``); the only links are the
    http(s) sources of the factors. ``factors``: the base whose ``reporting_categories`` the
    classification reads and whose equivalences put the total in perspective; ``profile``: the
    collectivité's (``inventory.authority``); ``target``: the target in words
    (``scenarios.verdict.Target.describe``); ``verdicts``: each scenario judged against it (with
    ``label``, ``year``, ``low``, ``central``, ``high`` in kgCO2e, ``change``, ``verdict``,
    ``text``: ``scenarios.verdict.Verdict``); ``columns``: the machine names of each table of the
    files, listed with their labels in the annex; ``review``: how many declarations the export
    counts that are not validated yet, and how many it leaves out for that reason."""
    classification = [_classification(poste) for poste in postes(factors)]
    lines_of = summary_rows[summary_rows["type_ligne"] == POSTE_LINE] if "type_ligne" in summary_rows else summary_rows
    realised = lines_of[lines_of["statut_annee"] == "réalisé"]
    lines = [
        f"# Empreinte de l'intelligence artificielle — {escape_markdown(authority)}, inventaire {year_cell(year)}",
        "",
        f"Export du {escape_markdown(export_date)} ; base de facteurs {escape_markdown(factor_version)} ; "
        f"Empreinte IA {escape_markdown(__version__)}.",
        "",
        "## Collectivité",
        "",
        *_profile_lines(profile, siren),
        "",
        f"## Chiffres clés de {year_cell(year)}",
        "",
        *_headline(realised, profile, factors),
        "",
        "## Résultats de l'année d'inventaire",
        "",
        *_results(realised),
        "",
        "## Scénarios et objectif",
        "",
        *_scenarios(target, verdicts, year),
        "",
        "## Indicateurs Territoires en Transitions",
        "",
        *_indicators(profile),
        "",
        "## Périmètre",
        "",
        "Usages d'IA déclarés par les services de la collectivité (requêtes à des modèles de langage, heures de "
        "calcul sur GPU, tâches à l'unité, traitements mesurés), pour l'année d'inventaire, et leur projection "
        "selon les scénarios choisis." + _review_sentence(*review),
        "",
        "## Classement réglementaire",
        "",
        *classification,
        "",
        "## Méthode",
        "",
        "- Requêtes à un modèle de langage : méthode EcoLogits. L'énergie d'un token de sortie dépend du nombre de "
        "paramètres actifs du modèle ; s'y ajoutent la part du serveur (hors GPU), le PUE du centre de données et la "
        "fabrication des GPU et du serveur, au prorata du temps de génération sur leur durée de vie.",
        "- Heures de calcul sur GPU : méthode Green Algorithms (puissance des GPU, des cœurs et de la mémoire × durée "
        "× taux d'utilisation × PUE).",
        "- Tâches à l'unité (transcription, reconnaissance de caractères, images) : énergie par unité publiée, "
        "sourcée dans la base de facteurs.",
        "- Traitements mesurés : énergie relevée par CodeCarbon sur la machine qui les exécute.",
        "- Émissions d'usage = électricité × facteur d'émission de l'électricité de la zone du centre de données ; "
        "pour la France, ADEME Base Empreinte, mix moyen consommation, de l'année d'inventaire (le facteur qu'un "
        "BEGES doit utiliser). Chaque ligne de la synthèse nomme son facteur et sa source.",
        "- Eau : énergie × (WUE sur site + PUE × eau de la production d'électricité).",
        "- Projection : chaque déclaration suit les leviers du scénario (croissance des usages, efficacité des "
        "modèles, trajectoire du mix électrique) année par année.",
        "",
        "## Incertitude",
        "",
        "Chaque valeur est donnée en fourchette (bas, haut) ; la valeur centrale est le milieu. Les fourchettes "
        "viennent du nombre de paramètres des modèles fermés et des PUE et WUE des hébergeurs.",
        "",
        "## Arrondis et présentation",
        "",
        "- Les quantités des fichiers CSV sont écrites arrondies à 4 chiffres significatifs, sans jamais arrondir "
        "la partie entière : 208,89324 kWh s'écrit 208,9 ; 123 456,7 kWh s'écrit 123 457 ; 0,0000736862 tCO2e "
        "s'écrit 0,00007369. Un petit inventaire garde ainsi ses chiffres (0,09 tCO2e ne devient pas 0,000). Jamais "
        "de notation scientifique.",
        "- Le classeur XLSX garde la valeur exacte dans chaque cellule et l'affiche avec le même arrondi (format de "
        "nombre) : un calcul refait dans le classeur part des valeurs exactes.",
        "- Les totaux sont calculés sur les valeurs exactes puis arrondis : la somme des lignes arrondies peut "
        "différer du total d'une unité sur le dernier chiffre.",
        "- La synthèse a une ligne « Total » par année et par scénario (type de ligne « total ») après ses lignes "
        "par poste (type de ligne « poste ») : une somme de la colonne entière compterait deux fois.",
        "- Les valeurs des facteurs (fichier des sources) sont écrites exactes, telles que publiées.",
        "- Dans cette note, les chiffres clés sont arrondis à 3 chiffres significatifs dans l'unité qui se lit le "
        "mieux (kgCO2e plutôt que 0,09 tCO2e), les tableaux à 4 chiffres significatifs.",
        "",
        "## Facteurs utilisés",
        "",
        "| paramètre | valeur | unité | année | source |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in factors_frame.to_dict("records"):
        link = row["lien"] if isinstance(row["lien"], str) and LINK_URL.fullmatch(markdown_url(row["lien"])) else ""
        source = f"[{cell(row['source'])}]({markdown_url(link)})" if link else cell(row["source"])
        lines.append(f"| {cell(row['parametre'])} ({cell(row['cle'] or row['table'])}) | {cell(row['valeur'])} | "
                     f"{escape_markdown(french_unit(row['unite']))} | {year_cell(row['annee'])} | {source} |")
    lines += ["", "## Limites", "",
              "L'entraînement des modèles, les terminaux des agents et le réseau ne sont pas comptés. Les paramètres "
              "des modèles fermés sont estimés. Certaines tâches à l'unité reposent sur des estimations ; une mesure "
              "locale les remplace avantageusement.", ""]
    if columns:
        lines += _annex(columns)
    return "\n".join(lines)
