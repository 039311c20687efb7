"""The printable report of an inventory year for the DGS and the elected officials, assembled in
memory: the year's figures with their ranges and in perspective (per agent, per inhabitant, share
of the BEGES, everyday equivalences), the breakdown by service, the trajectories of the chosen
scenarios against the target with the verdict in words, the best recommendations, the method and
its limits in plain words, and the sources. The same content serves the yearly review of the
« stratégie numérique responsable » the REEN law asks of the larger communes and EPCI (the first
page says so when the population reaches the law's threshold, a constant of the factor base).

Owns: what the report says and in which order (``report_content``) and its bytes
(``build_report``), shared by the command line (``export rapport``) and the dashboard (Export
page), so that both give the same bytes for the same store and date.

Must not: parse command lines, write files or talk to Streamlit; compute an impact (the engine,
the projection, the verdict and the recommendations do); lay out the PDF or draw a chart
(``footprint.reporting.report_pdf`` and ``report_figures``).
"""

from __future__ import annotations

import pandas as pd

from core.errors import InputError, Problem
from core.units import convert
from emission_factors.schema import read_defaults
from footprint import __version__
from footprint.factors import FactorBase
from footprint.inventory import Inventory
from footprint.inventory.authority import Profile, perspective
from footprint.inventory.declarations.workloads import profile_of, use_case_profiles
from footprint.io.formatting import format_number, format_quantity, format_range
from footprint.reporting import report_figures
from footprint.reporting.equivalences import scaled_equivalences
from footprint.reporting.report_pdf import Callout, Figure, Report, Section, Table, render_pdf
from footprint.reporting.summary import sources
from footprint.vocabulary import KIND_LABELS
from scenarios import recommendations as sobriety
from scenarios.definitions import DEFAULT_TO_YEAR, Scenario
from scenarios.projection import Projection, project
from scenarios.verdict import Target, target_of, verdicts

# The law's threshold of inhabitants, a row of constants.csv (loi n° 2021-1485, article 35).
REEN_THRESHOLD = "reen_population_threshold"
# How much the report shows (a layout choice: the report holds in four pages; the PCAET export
# has every line).
TOP_RECOMMENDATIONS = 5
TOP_SERVICES = 10
OTHERS = "Autres services"
UNNAMED = "(service non renseigné)"
SUBTITLE = "Rapport pour la direction générale et les élus"


def _percent(fraction: float) -> str:
    return f"{format_number(convert(fraction, 'dimensionless', 'percent'))} %"


def _signed_percent(fraction: float) -> str:
    sign = "+" if fraction > 0 else "−" if fraction < 0 else ""
    return f"{sign}{format_number(convert(abs(fraction), 'dimensionless', 'percent'))} %"


def _range(ends: tuple[float, float, float] | dict, unit: str) -> str:
    low, central, high = (ends["low"], ends["central"], ends["high"]) if isinstance(ends, dict) else ends
    return format_range(low, central, high, unit)


def _share_range(ends: tuple[float, float, float]) -> str:
    low, central, high = ends
    shown = [format_number(convert(v, "dimensionless", "percent")) for v in (low, central, high)]
    return f"{shown[1]} % (de {shown[0]} à {shown[2]} %)" if shown[0] != shown[2] else f"{shown[1]} %"


def reen_threshold(factors: FactorBase) -> float | None:
    """The population from which the REEN law asks for a « stratégie numérique responsable »
    [inhabitants], None when the factor base has no such constant."""
    if REEN_THRESHOLD not in factors.info.tables["constants"].parameters:
        return None
    return float(factors.constant(REEN_THRESHOLD).m_as("dimensionless"))


class _Uses:
    """What people read for a declaration's use: its use case's label, else its product's,
    else its kind's."""

    def __init__(self, factors: FactorBase):
        self.factors = factors
        self.profiles = use_case_profiles(factors)
        self.tasks = dict(factors.con.execute("SELECT task, label FROM tasks").fetchall())

    def of(self, row: dict) -> str:
        found = profile_of(row.get("use_case"), self.profiles)
        if found is not None:
            return found.label
        use_case = row.get("use_case")
        if isinstance(use_case, str) and use_case.strip():
            return use_case.strip()
        product = row.get("product")
        if isinstance(product, str) and product.strip():
            year = row.get("year")
            return self.factors.product(product, None if pd.isna(year) else int(year)).label
        task = row.get("task")
        if isinstance(task, str) and task in self.tasks:
            return self.tasks[task]
        return KIND_LABELS.get(row.get("kind"), str(row.get("kind")))


def _by_service(inventory: Inventory, factors: FactorBase) -> pd.DataFrame:
    """One row per service (the largest ``TOP_SERVICES``, then the others together): its uses,
    its GWP range [kgCO2e] and its share of the year's central GWP."""
    declarations = inventory.declarations.reset_index(drop=True)
    impacts = inventory.impacts.reset_index(drop=True)
    uses = _Uses(factors)
    service = declarations["service"].astype("string").str.strip().replace("", pd.NA).fillna(UNNAMED)
    frame = pd.DataFrame({"service": service.to_numpy(),
                          "use": [uses.of(row) for row in declarations.to_dict("records")],
                          "low": impacts["gwp_kgco2e_low"].to_numpy(float),
                          "central": impacts["gwp_kgco2e_central"].to_numpy(float),
                          "high": impacts["gwp_kgco2e_high"].to_numpy(float)})
    grouped = frame.groupby("service", sort=False).agg(
        use=("use", lambda values: ", ".join(dict.fromkeys(values))), low=("low", "sum"), central=("central", "sum"),
        high=("high", "sum")).reset_index()
    grouped = grouped.sort_values(["central", "service"], ascending=[False, True], kind="stable")
    if len(grouped) > TOP_SERVICES + 1:
        rest = grouped.iloc[TOP_SERVICES:]
        grouped = pd.concat([grouped.iloc[:TOP_SERVICES], pd.DataFrame([{
            "service": OTHERS, "use": f"{len(rest)} services", "low": rest["low"].sum(),
            "central": rest["central"].sum(), "high": rest["high"].sum()}])], ignore_index=True)
    total = float(frame["central"].sum())
    grouped["share"] = grouped["central"] / total if total > 0 else 0.0
    return grouped.reset_index(drop=True)


def _best_recommendations(found: list) -> list:
    """The action that saves the most of each declaration (actions on one declaration are
    alternatives), those that save greenhouse gases only, largest first."""
    best: dict[str, object] = {}
    for item in found:
        if item.gwp_saved_kgco2e > 0 and (item.declaration_id not in best
                                          or item.gwp_saved_kgco2e > best[item.declaration_id].gwp_saved_kgco2e):
            best[item.declaration_id] = item
    return sorted(best.values(), key=lambda r: (-r.gwp_saved_kgco2e, r.declaration_id))


def _saving(item) -> str:
    """What an action avoids a year, never a negative number."""
    text = f"{format_quantity(item.gwp_saved_kgco2e, 'kgCO2e')} par an"
    if item.energy_saved_kwh > 0:
        return f"{text} et {format_quantity(item.energy_saved_kwh, 'kWh')}"
    if item.energy_saved_kwh < 0:
        return f"{text}, mais {format_quantity(-item.energy_saved_kwh, 'kWh')} consommés de plus"
    return text


def _effort(item) -> str:
    effort = getattr(item, "effort", None)
    if not effort:
        return "–"
    return getattr(sobriety, "EFFORTS", {}).get(effort, str(effort))


def _headline(inventory: Inventory, factors: FactorBase, profile: Profile | None) -> tuple[list, Table]:
    total = inventory.total()
    gwp = total["gwp_kgco2e"]
    view = perspective(gwp, profile)
    services = inventory.declarations["service"].astype("string").str.strip().replace("", pd.NA).nunique()
    sentence = (f"En {inventory.year}, les usages d'intelligence artificielle déclarés par les services "
                f"({len(inventory.declarations)} déclarations, {services} services) ont émis environ "
                f"{format_quantity(gwp['central'], 'kgCO2e')} de gaz à effet de serre (entre "
                f"{format_quantity(gwp['low'], 'kgCO2e')} et {format_quantity(gwp['high'], 'kgCO2e')}) et consommé "
                f"{format_quantity(total['energy_kwh']['central'], 'kWh')} d'électricité.")
    if view.per_agent_kgco2e is not None:
        sentence += f" C'est {format_quantity(view.per_agent_kgco2e[1], 'kgCO2e')} par agent"
        if view.beges_share is not None:
            sentence += f", soit {_percent(view.beges_share[1])} du dernier bilan de gaz à effet de serre (BEGES)"
        sentence += "."
    lead: list = [sentence]
    equivalences = scaled_equivalences(gwp["central"], factors)
    if not equivalences.empty:
        lead.append("Pour se le représenter : autant que " + " ou ".join(equivalences["texte"]) + " (équivalences "
                    "ADEME Impact CO2).")
    rows = [("Émissions de gaz à effet de serre", _range(gwp, "kgCO2e")),
            ("dont fabrication du matériel (part imputée)", _range(total["gwp_embodied_kgco2e"], "kgCO2e")),
            ("Électricité consommée", _range(total["energy_kwh"], "kWh")),
            ("Eau consommée", _range(total["water_l"], "L"))]
    if profile is None:
        lead.append("Le profil de la collectivité (population, agents, dernier BEGES) n'est pas renseigné : les "
                    "chiffres par agent, par habitant et la part du BEGES manquent. Il se saisit une fois "
                    "(commande « collectivite set » ou page de la collectivité).")
    else:
        if view.per_agent_kgco2e is not None:
            rows.append((f"Par agent ({format_number(profile.agents)} agents)",
                         _range(view.per_agent_kgco2e, "kgCO2e")))
        if view.per_inhabitant_kgco2e is not None:
            rows.append((f"Par habitant ({format_number(profile.population)} habitants)",
                         _range(view.per_inhabitant_kgco2e, "kgCO2e")))
        if view.beges_share is not None:
            beges = format_quantity(convert(profile.beges_tco2e, "tCO2e", "kgCO2e"), "kgCO2e")
            rows.append((f"Part du BEGES {profile.beges_year} ({beges})", _share_range(view.beges_share)))
        if view.territory_share is not None:
            rows.append((f"Part des émissions du territoire ({profile.territory_year})",
                         _share_range(view.territory_share)))
    table = Table(("Chiffres clés de l'année", f"{inventory.year}, valeur centrale (fourchette)"), tuple(rows),
                  widths=(0.5, 0.5))
    return lead, table


def _trajectories(inventory: Inventory, projection: Projection, target: Target) -> Section:
    totals = projection.totals()
    years = [int(y) for y in projection.years]
    series = []
    for scenario in projection.scenarios:
        rows = totals[totals["scenario"] == scenario.id].sort_values("year")
        series.append(report_figures.Series(scenario.label, rows["gwp_kgco2e_central"].tolist(),
                                            rows["gwp_kgco2e_low"].tolist(), rows["gwp_kgco2e_high"].tolist()))
    described = target.describe(projection)
    path = report_figures.Series(f"Objectif ({'PCAET' if target.is_pcaet else 'SNBC'})",
                                 [float(v) for v in target.path(projection)])
    chart = report_figures.trajectories(years, series, path)
    judged = verdicts(projection, target)
    last, first = years[-1], years[0]
    rows = tuple((v.label, _range((v.low, v.central, v.high), "kgCO2e"), _signed_percent(v.change),
                  f"{v.verdict[0].upper()}{v.verdict[1:]}\n{v.text}") for v in judged)
    blocks: list = [f"Chaque scénario applique à l'inventaire {first} ses hypothèses (croissance des usages, gains "
                    "d'efficacité, choix des modèles et de l'hébergement, évolution de l'électricité). La cible est "
                    f"celle de l'{described}." if target.is_pcaet else
                    f"Chaque scénario applique à l'inventaire {first} ses hypothèses (croissance des usages, gains "
                    "d'efficacité, choix des modèles et de l'hébergement, évolution de l'électricité). Faute "
                    f"d'objectif propre au PCAET, la cible suit le {described}.",
                    Figure(chart, f"Émissions de gaz à effet de serre des usages d'IA par scénario, {first}–{last} "
                                  "(ligne : valeur centrale ; bande : fourchette ; tirets : cible)."),
                    Table(("Scénario", f"{last} (fourchette)", f"Évolution depuis {first}", "Objectif"), rows,
                          widths=(0.16, 0.26, 0.13, 0.45), right=(2,))]
    sober, other = read_defaults().compare
    ids = [s.id for s in projection.scenarios]
    if sober in ids and other in ids:
        avoided = projection.saving(sober, other)["gwp_kgco2e"]["central"]
        labels = {s.id: s.label for s in projection.scenarios}
        if avoided > 0:
            blocks.append(f"De {first} à {last}, le scénario « {labels[sober]} » éviterait en tout "
                          f"{format_quantity(avoided, 'kgCO2e')} par rapport au scénario « {labels[other]} » (ce qui "
                          "se passerait si rien ne changeait).")
        else:
            blocks.append(f"De {first} à {last}, le scénario « {labels[sober]} » n'évite rien par rapport au scénario "
                          f"« {labels[other]} ».")
    for warning in projection.warnings:
        blocks.append(warning)
    return Section("Trajectoires et objectif", tuple(blocks))


def _recommendations(inventory: Inventory, found: list) -> Section:
    best = _best_recommendations(found)
    if not best:
        return Section("Recommandations", ("Aucune action de sobriété n'éviterait d'émissions sur les usages "
                                            "déclarés cette année.",))
    rows = tuple((item.service, f"{item.action}\n{item.assumption}", _effort(item), _saving(item))
                 for item in best[:TOP_RECOMMENDATIONS])
    total = inventory.total()["gwp_kgco2e"]["central"]
    avoided = sum(item.gwp_saved_kgco2e for item in best)
    blocks: list = [f"Les {len(rows)} actions les plus utiles, une par usage (chacune est estimée par le même calcul "
                    "que l'inventaire, usage modifié) :",
                    Table(("Service", "Action et hypothèse", "Effort", "Évite"), rows, widths=(0.17, 0.5, 0.13, 0.2))]
    if total > 0:
        blocks.append(f"En retenant la meilleure action de chacun des {len(best)} usages concernés, les émissions de "
                      f"l'année baisseraient de {format_quantity(avoided, 'kgCO2e')} sur "
                      f"{format_quantity(total, 'kgCO2e')} ({_signed_percent(-avoided / total)}).")
    return Section("Recommandations", tuple(blocks))


def _method(inventory: Inventory, target: Target, projection: Projection | None) -> Section:
    blocks = (
        f"Ce rapport estime les impacts des usages d'IA déclarés par les services pour {inventory.year} : "
        "l'électricité consommée par les serveurs qui répondent, refroidissement des centres de données compris, "
        "et la part de la fabrication de ces serveurs et de leurs cartes graphiques qui revient aux usages de la "
        "collectivité.",
        "Les requêtes aux modèles de langage sont estimées avec la méthode d'EcoLogits (énergie par mot généré selon "
        "la taille du modèle) ; les heures de calcul sur carte graphique, avec la méthode Green Algorithms ; les "
        "tâches à l'unité (pages lues, minutes transcrites), avec l'énergie publiée par tâche ; les mesures, avec "
        "l'énergie relevée par CodeCarbon. L'électricité est convertie en gaz à effet de serre avec le facteur du "
        "pays où se trouvent les serveurs (Base Empreinte de l'ADEME pour la France).",
        "Chaque chiffre est une fourchette : la taille des modèles fermés, le remplissage des serveurs et "
        "l'efficacité des centres de données ne sont pas publiés. La valeur centrale est le milieu de la fourchette. "
        "Ce sont des ordres de grandeur, à comparer d'une année sur l'autre avec la même méthode, non des mesures.",
        "Ne sont pas comptés : les ordinateurs et téléphones des agents, les réseaux, l'entraînement des modèles "
        "par leurs éditeurs, ni les usages que personne n'a déclarés. Un usage déclaré en nombre d'agents compte "
        "des requêtes moyennes ; un journal d'usage ou un export d'administration des outils compte mieux.",
        ("Les trajectoires disent ce qui se passerait si les hypothèses de chaque scénario se réalisaient (cible : "
         f"{target.describe(projection)}).") if projection is not None else
        "Aucun scénario n'a été projeté pour ce rapport.",
    )
    return Section("Méthode et limites", blocks)


def _sources(inventory: Inventory, factors: FactorBase) -> Section:
    rows = sources(inventory.declarations.reset_index(drop=True), factors)
    blocks: list = [f"Base de facteurs : version {factors.version} ({len(rows)} facteurs utilisés par cet "
                    "inventaire ; l'export PCAET en donne la liste complète, valeur par valeur)."]
    electricity = rows[(rows["table"] == "electricity_mix") & (rows["parametre"] == "gwp")]
    if not electricity.empty:
        blocks.append(Table(("Électricité (zone / jeu de données / année)", "Facteur", "Source"), tuple(
            (str(r["cle"]), f"{format_number(float(r['valeur']))} {r['unite']}", str(r["source"]))
            for r in electricity.to_dict("records")), widths=(0.3, 0.2, 0.5), small=True))
    given = rows[rows["source"].astype("string").str.strip().fillna("") != ""].copy()
    given["lien"] = given["lien"].astype("string").fillna("")
    given["annee"] = pd.to_numeric(given["annee"], errors="coerce")
    listed = []
    for source, part in given.groupby("source", sort=True):
        years = sorted({int(y) for y in part["annee"].dropna()})
        count = f"{len(part)} facteur{'s' if len(part) > 1 else ''}"
        about = f"{source} ({', '.join(str(y) for y in years)} ; {count})" if years else f"{source} ({count})"
        links = "\n".join(dict.fromkeys(link for link in part["lien"] if link)) or "–"
        listed.append((about, links))
    blocks.append(Table(("Source (année ; facteurs utilisés)", "Lien"), tuple(listed), widths=(0.55, 0.45), small=True))
    return Section("Sources", tuple(blocks))


def report_content(inventory: Inventory, scenarios: list[Scenario], factors: FactorBase, profile: Profile | None,
                   export_date: str, to_year: int = DEFAULT_TO_YEAR, target: Target | None = None,
                   recommendations: list | None = None) -> Report:
    """What the report of ``inventory`` says (``report_pdf.Report``): ``scenarios`` projected to
    ``to_year`` and judged against ``target`` (the profile's PCAET objective, else the SNBC
    pace, when None); ``recommendations``: those of ``scenarios.recommendations.recommend`` for
    this inventory, computed when None."""
    year = inventory.year
    if inventory.declarations.empty:
        raise InputError([Problem(f"inventaire {year} vide : rien à présenter", column="--year", value=year)])
    authority = profile.name if profile is not None else "Collectivité"
    target = target if target is not None else target_of(profile)
    lead, headline = _headline(inventory, factors, profile)
    threshold = reen_threshold(factors)
    first: list = []
    if profile is not None and profile.population is not None and threshold is not None \
            and profile.population >= threshold:
        first.append(Callout(
            f"Avec {format_number(profile.population)} habitants, {profile.name} doit se doter d'une stratégie "
            f"numérique responsable (loi n° 2021-1485 du 15 novembre 2021, dite REEN, article 35 : communes et "
            f"EPCI de plus de {format_number(threshold)} habitants). Ce rapport en fournit le volet « intelligence "
            "artificielle » pour son suivi annuel : impacts de l'année, trajectoire, actions."))
    table = _by_service(inventory, factors)
    chart = report_figures.service_bars(table["service"].tolist(), table["low"].tolist(), table["central"].tolist(),
                                        table["high"].tolist(), "Émissions de gaz à effet de serre")
    services = Section("Répartition par service", (
        Figure(chart, f"Émissions de gaz à effet de serre des usages d'IA par service en {year} (barre : valeur "
                      "centrale ; trait : fourchette).", width=0.85),
        Table(("Service", "Usages", "Émissions (fourchette)", "Part"), tuple(
            (r["service"], r["use"], _range((r["low"], r["central"], r["high"]), "kgCO2e"), _percent(r["share"]))
            for r in table.to_dict("records")), widths=(0.24, 0.38, 0.28, 0.1), right=(3,))))
    projection = project(inventory, scenarios, factors, to_year) if scenarios else None
    sections = [services]
    if projection is not None:
        sections.append(_trajectories(inventory, projection, target))
    found = recommendations if recommendations is not None else sobriety.recommend(inventory, factors)
    sections += [_recommendations(inventory, found), _method(inventory, target, projection),
                 _sources(inventory, factors)]
    return Report(title=f"L'empreinte environnementale de l'IA en {year}", subtitle=f"{authority} — {SUBTITLE}",
                  date=export_date, authority=authority, lead=tuple(first + lead + [headline]),
                  sections=tuple(sections),
                  footer=f"{authority} — Empreinte IA {__version__}, base de facteurs {factors.version}",
                  keywords=("IA", "empreinte environnementale", "PCAET", "BEGES", "numérique responsable"))


def build_report(inventory: Inventory, scenarios: list[Scenario], factors: FactorBase, profile: Profile | None,
                 export_date: str, to_year: int = DEFAULT_TO_YEAR, target: Target | None = None,
                 recommendations: list | None = None) -> bytes:
    """The report's PDF bytes (see ``report_content``); the same bytes for the same inputs."""
    return render_pdf(report_content(inventory, scenarios, factors, profile, export_date, to_year, target,
                                     recommendations))
