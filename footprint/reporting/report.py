"""The PCAET and BEGES export: the tables that go into the climate plan and the GHG report.

Owns: classifying each declaration (the authority's own equipment on its territory, or a
service bought elsewhere) into BEGES postes and PCAET sectors (``reporting_categories`` and
``hosting_ownership`` of the factor base), the summary by year x scenario x poste x sector, the
detail by declaration, the list of every factor used, the follow-up indicators in the layout of
Territoires en Transitions, the methodology note (Markdown and HTML), and writing them all or
none (temporary names, then renamed). User text (the authority's name, justifications of local
values, anything that came from a person) is data in the note: escaped in the Markdown so that it
cannot make a link, an image or HTML, and in the HTML, whose only links are the http(s) sources
of the factor base.

Must not: project anything itself: projected years come in as plain tables (``Period``), so that
this module does not depend on ``scenarios``.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd

from footprint import __version__
from footprint.factors import FactorBase
from footprint.factors.provenance import factors_used
from footprint.inventory.declarations import FRENCH_COLUMNS
from footprint.io.output_files import write_files
from footprint.io.tabular import csv_bytes, exact_number, xlsx_bytes
from footprint.vocabulary import KINDS_FR

KEYS = ("energy_kwh", "gwp_usage_kgco2e", "gwp_embodied_kgco2e", "water_l", "adpe_kgsbeq", "pe_mj",
        "adpe_usage_kgsbeq", "pe_usage_mj")


@dataclass
class Period:
    """Impacts of every declaration for one year of one scenario (or of the inventory):
    ``low`` and ``high`` have one row per declaration (same order) and the ``KEYS`` columns."""

    year: int
    status: str  # "réalisé" or "projeté"
    scenario: str
    low: pd.DataFrame
    high: pd.DataFrame


def ownership(declarations: pd.DataFrame, factors: FactorBase) -> np.ndarray:
    """'propre' (the authority's equipment on its territory) or 'service' (bought elsewhere), by
    declaration. Without a hosting profile: an LLM uses its provider's service; other kinds
    declared with a zone only are taken as the authority's own equipment."""
    owned = dict(factors.con.execute("SELECT hosting, ownership FROM hosting_ownership").fetchall())
    result = [owned.get(hosting, "service") if hosting else ("service" if kind == "llm" else "propre")
              for kind, hosting in zip(declarations["kind"], factors.hostings_of(declarations))]
    return np.array(result, dtype=object)


def electricity_factor(factors: FactorBase, zone: str, year: int | None, dataset: str | None = None) -> str:
    """The electricity factor used for ``zone``, readable, with its source and year:
    « FRA : 0,0461 kgCO2e/kWh (ADEME Base Empreinte 2025) » ('' without a zone or a factor)."""
    chosen = factors.mix(zone, dataset, year).get("gwp") if zone else None
    if chosen is None:
        return ""
    found = factors.con.execute("SELECT short_label FROM electricity_mix_datasets WHERE dataset = ?",
                                [chosen.dataset]).fetchall()
    label = found[0][0] if found and found[0][0] else chosen.dataset
    return f"{zone} : {exact_number(chosen.value)} kgCO2e/kWh ({label} {chosen.year})"


def electricity_factors(factors: FactorBase, zones: Iterable[str], year: int | None) -> list[str]:
    """``electricity_factor`` of each zone (one per declaration), each zone looked up once."""
    zones = list(zones)
    cache = {zone: electricity_factor(factors, zone, year) for zone in set(zones)}
    return [cache[zone] for zone in zones]


def _categories(factors: FactorBase) -> dict[tuple[str, str], dict]:
    frame = factors.con.execute("SELECT * EXCLUDE (file, line) FROM reporting_categories").df()
    return {(r["ownership"], r["part"]): r for r in frame.to_dict("records")}


def _sums(frame: pd.DataFrame, with_usage: bool, with_made: bool) -> dict[str, float]:
    """Totals of one end for a poste: usage impacts, manufacturing impacts, or both."""
    total = {key: float(frame[key].sum()) for key in KEYS}
    usage = with_usage * 1.0
    made = with_made * 1.0
    return {
        "energy": usage * total["energy_kwh"],
        "usage": usage * total["gwp_usage_kgco2e"],
        "made": made * total["gwp_embodied_kgco2e"],
        "water": usage * total["water_l"],
        "adpe": usage * total["adpe_usage_kgsbeq"] + made * (total["adpe_kgsbeq"] - total["adpe_usage_kgsbeq"]),
        "pe": usage * total["pe_usage_mj"] + made * (total["pe_mj"] - total["pe_usage_mj"]),
    }


# Owned equipment: electricity in 2.1, manufacturing in 4.2. Bought services: both in 4.5.
POSTES = (("propre", "usage", True, False), ("propre", "fabrication", False, True), ("service", "usage", True, True))


def summary(periods: list[Period], declarations: pd.DataFrame, factors: FactorBase, authority: str,
            export_date: str, measured: np.ndarray, zone_factors: str | Sequence[str]) -> pd.DataFrame:
    """One row per year x scenario x BEGES poste x PCAET sector, in French columns.

    ``zone_factors``: the electricity factor of each declaration (``electricity_factors``); each
    line that counts electricity lists those of its own declarations, with their source."""
    owners = ownership(declarations, factors)
    categories = _categories(factors)
    per_declaration = (np.full(len(declarations), zone_factors, dtype=object) if isinstance(zone_factors, str)
                       else np.asarray(list(zone_factors), dtype=object))
    rows = []
    for period in periods:
        for owner, part, with_usage, with_made in POSTES:
            mask = owners == owner
            if not mask.any():
                continue
            category = categories[(owner, part)]
            electricity = " ; ".join(sorted({f for f in per_declaration[mask] if f})) if with_usage else ""
            low = _sums(period.low[mask], with_usage, with_made)
            high = _sums(period.high[mask], with_usage, with_made)
            central = {name: 0.5 * low[name] + 0.5 * high[name] for name in low}
            gwp_low, gwp_high = low["usage"] + low["made"], high["usage"] + high["made"]
            gwp = central["usage"] + central["made"]
            measured_share = measured[mask]
            rows.append({
                "collectivite": authority, "annee": period.year, "statut_annee": period.status,
                "scenario": period.scenario, "perimetre": category["perimeter"],
                "secteur_pcaet": category["pcaet_sector"],
                "inclus_inventaire_territorial": category["territorial_inventory"],
                "categorie_beges": int(category["beges_category"]),
                "libelle_categorie_beges": category["beges_category_label"],
                "poste_beges": category["beges_poste"], "libelle_poste_beges": category["beges_poste_label"],
                "scope": int(category["scope"]),
                "consommation_kwh": central["energy"], "consommation_mwh": central["energy"] / 1e3,
                "consommation_gwh": central["energy"] / 1e6,
                "emissions_usage_tco2e": central["usage"] / 1e3, "emissions_fabrication_tco2e": central["made"] / 1e3,
                "emissions_tco2e": gwp / 1e3, "emissions_tco2e_min": gwp_low / 1e3,
                "emissions_tco2e_max": gwp_high / 1e3, "emissions_kteqco2": gwp / 1e6,
                "eau_m3": central["water"] / 1e3, "adpe_kgsbeq": central["adpe"], "energie_primaire_mj": central["pe"],
                "incertitude_pct": (gwp_high - gwp_low) / 2 / gwp * 100 if gwp else 0.0,
                "methode": ("mesure" if measured_share.all() else "estimation" if not measured_share.any()
                            else "mixte"),
                "facteur_emission_electricite": electricity,
                "version_base_facteurs": factors.version, "version_outil": __version__, "date_export": export_date,
            })
    return pd.DataFrame(rows)


def detail(declarations: pd.DataFrame, impacts: pd.DataFrame, factors: FactorBase, year: int,
           zones: list[str] | None = None) -> pd.DataFrame:
    """One row per declaration of the inventory year: its inputs (French columns), its BEGES postes,
    the electricity factor used (zone, value, dataset and year) and its impacts (central, min, max)."""
    owners = ownership(declarations, factors)
    frame = declarations[list(FRENCH_COLUMNS)].rename(columns=FRENCH_COLUMNS).copy()
    if zones is not None:
        frame["facteur_emission_electricite"] = electricity_factors(factors, zones, year)
    frame["type"] = declarations["kind"].map(KINDS_FR)
    frame["poste_beges_usage"] = np.where(owners == "propre", "2.1", "4.5")
    frame["poste_beges_fabrication"] = np.where(owners == "propre", "4.2", "4.5")
    for key, label, scale in (("energy_kwh", "consommation_kwh", 1), ("gwp_kgco2e", "emissions_tco2e", 1e-3),
                              ("gwp_usage_kgco2e", "emissions_usage_tco2e", 1e-3),
                              ("gwp_embodied_kgco2e", "emissions_fabrication_tco2e", 1e-3),
                              ("water_l", "eau_m3", 1e-3), ("adpe_kgsbeq", "adpe_kgsbeq", 1),
                              ("pe_mj", "energie_primaire_mj", 1)):
        frame[label] = impacts[f"{key}_central"].to_numpy() * scale
        if key == "gwp_kgco2e":
            frame["emissions_tco2e_min"] = impacts[f"{key}_low"].to_numpy() * scale
            frame["emissions_tco2e_max"] = impacts[f"{key}_high"].to_numpy() * scale
    frame["version_base_facteurs"] = factors.version
    return frame


def sources(declarations: pd.DataFrame, factors: FactorBase) -> pd.DataFrame:
    """Every factor behind the declarations' impacts, once: value, unit, year, source and link."""
    from footprint.inventory.declarations import normalise_names, to_workloads

    workloads = to_workloads(normalise_names(declarations, factors), factors)
    seen, rows = set(), []
    for record in workloads.to_dict("records"):
        record = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}
        if record.get("year") is not None:
            record["year"] = int(record["year"])
        for factor in factors_used(factors, record):
            key = (factor["table"], factor["key"], factor["name"])
            if key in seen:
                continue
            seen.add(key)
            rows.append({"table": factor["table"], "cle": factor["key"], "parametre": factor["name"],
                         "valeur": factor["value"], "unite": factor["unit"], "annee": factor["year"],
                         "source": factor["source"], "lien": factor["source_url"]})
    return pd.DataFrame(rows).sort_values(["table", "cle", "parametre"], kind="stable").reset_index(drop=True)


def indicators(summary_rows: pd.DataFrame, periods: list[Period], declarations: pd.DataFrame,
               requests: float, agents: float) -> pd.DataFrame:
    """Follow-up indicators in the layout of Territoires en Transitions: identifiant, indicateur,
    unité, source, then one column per year (one line per scenario for projected years)."""
    rows = []
    scenarios = list(dict.fromkeys(p.scenario for p in periods))
    years = sorted({p.year for p in periods})
    for scenario in scenarios:
        chosen = summary_rows[summary_rows["scenario"] == scenario].groupby("annee")
        mwh, tco2e = chosen["consommation_mwh"].sum(), chosen["emissions_tco2e"].sum()
        suffix = "" if scenario == "inventaire" else f" (scénario {scenario})"
        definitions = [
            ("ia_mwh", "Consommation d'énergie de l'IA", "MWh", mwh),
            ("ia_tco2e", "Émissions de GES de l'IA", "tCO2e", tco2e),
            ("ia_gco2e_par_requete", "Émissions par requête à un modèle de langage", "gCO2e/requête",
             tco2e * 1e6 / requests if requests else None),
            ("ia_kwh_par_agent", "Consommation d'énergie par agent utilisateur", "kWh/agent",
             mwh * 1e3 / agents if agents else None),
        ]
        for identifier, label, unit, values in definitions:
            row = {"identifiant": identifier, "indicateur": label + suffix, "unite": unit,
                   "source": "Empreinte IA, inventaire des usages d'IA"}
            for year in years:
                row[str(year)] = (float(values[year]) if values is not None and year in values.index else None)
            rows.append(row)
    return pd.DataFrame(rows)


# What a text may not carry into Markdown: backslash escapes for Markdown's punctuation, the
# sequences that make bare links (``://``, ``www.``, ``@``), entities for ``<``, ``>`` and ``&``.
_MARKDOWN_SPECIAL = re.compile(r"[\\`*_\[\]()#!|~@<>&]|://|(?i:www)\.")
_MARKDOWN_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def escape_markdown(text: object) -> str:
    """``text`` as literal Markdown on one line: rendered, it reads the same, and it cannot open
    a link, an image, HTML, emphasis, a heading, a list or a table cell."""
    def escaped(match: re.Match) -> str:
        found = match.group(0)
        if found in _MARKDOWN_ENTITIES:
            return _MARKDOWN_ENTITIES[found]
        if found == "://":
            return "\\://"
        if found.lower() == "www.":
            return found[:3] + "\\."
        return "\\" + found

    return _MARKDOWN_SPECIAL.sub(escaped, " ".join(str(text).split()))


def _markdown_url(url: str) -> str:
    """A link of the factor base, written so that it cannot end a Markdown link early or break a
    table cell (spaces, brackets, quotes and bars percent-encoded)."""
    return quote(url.strip(), safe="/:?#&=%+,;@!$*~.-_")


def _cell(value: object) -> str:
    """A table cell of the note: a number as it is, a text escaped, nothing for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return str(value)
    return escape_markdown(value)


def _year_cell(value: object) -> str:
    """A year of the note (stored as a float beside missing years in a frame)."""
    return str(int(value)) if isinstance(value, (int, float, np.integer, np.floating)) and math.isfinite(value) else ""


def note_markdown(authority: str, year: int, factors_frame: pd.DataFrame, summary_rows: pd.DataFrame,
                  export_date: str, factor_version: str) -> str:
    """The methodology note that travels with the export (French). Every text that comes from
    the store or the factor base is escaped (``escape_markdown``); the only links are the
    http(s) sources of the factors."""
    realised = summary_rows[summary_rows["statut_annee"] == "réalisé"]
    lines = [
        f"# Empreinte de l'intelligence artificielle — {escape_markdown(authority)}, inventaire {_cell(year)}",
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
        "- Électricité du matériel de la collectivité sur son territoire : BEGES poste 2.1, secteur tertiaire du "
        "PCAET, comptée dans l'inventaire territorial réglementaire.",
        "- Fabrication de ce matériel (GPU, serveurs) : BEGES poste 4.2, hors inventaire territorial.",
        "- Services achetés (API d'IA, cloud, centres de données extérieurs), usage et fabrication : BEGES poste "
        "4.5, hors inventaire territorial réglementaire, déclarés dans la quantification complémentaire "
        "« empreinte ».",
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
        lines.append(f"| {_cell(row['poste_beges'])} {_cell(row['libelle_poste_beges'])} | "
                     f"{_cell(row['secteur_pcaet'])} | {mwh} | {tco2e[0]} ({tco2e[1]} – {tco2e[2]}) |")
    lines += ["", "## Facteurs utilisés", "", "| paramètre | valeur | unité | année | source |",
              "| --- | --- | --- | --- | --- |"]
    for row in factors_frame.to_dict("records"):
        link = row["lien"] if isinstance(row["lien"], str) and _LINK_URL.fullmatch(_markdown_url(row["lien"])) else ""
        source = f"[{_cell(row['source'])}]({_markdown_url(link)})" if link else _cell(row["source"])
        lines.append(f"| {_cell(row['parametre'])} ({_cell(row['cle'] or row['table'])}) | {_cell(row['valeur'])} | "
                     f"{_cell(row['unite'])} | {_year_cell(row['annee'])} | {source} |")
    lines += ["", "## Limites", "",
              "L'entraînement des modèles, les terminaux des agents et le réseau ne sont pas comptés. Les paramètres "
              "des modèles fermés sont estimés. Certaines tâches à l'unité reposent sur des estimations ; une mesure "
              "locale les remplace avantageusement.", ""]
    return "\n".join(lines)


_LINK_URL = re.compile(r"https?://[^\s()<>\"'\\|\[\]`]+")
_MARKDOWN_LINK = re.compile(r"\[((?:\\.|[^\\\[\]])*)\]\((" + _LINK_URL.pattern + r")\)")
_HTML_ENTITIES = {entity: char for char, entity in _MARKDOWN_ENTITIES.items()}


def _html_text(char: str) -> str:
    """One literal character as HTML text (brackets as entities: no Markdown left in the page)."""
    return {"[": "&#91;", "]": "&#93;"}.get(char) or html.escape(char, quote=True)


def _html_inline(text: str, links: set[str] | None, in_link: bool = False) -> str:
    """The inline Markdown of the note as HTML: backslash escapes and the entities of
    ``escape_markdown`` read back as text, everything else escaped; ``[text](url)`` becomes a
    link only for an http(s) URL in ``links`` (any http(s) URL when ``links`` is None)."""
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and re.match(r"[!-/:-@\[-`{-~]", text[i + 1]):
            out.append(_html_text(text[i + 1]))
            i += 2
            continue
        if char == "&":
            entity = next((e for e in _HTML_ENTITIES if text.startswith(e, i)), None)
            out.append(_html_text(_HTML_ENTITIES[entity]) if entity else "&amp;")
            i += len(entity) if entity else 1
            continue
        if char == "[" and not in_link:
            match = _MARKDOWN_LINK.match(text, i)
            if match and (links is None or match.group(2) in links):
                out.append(f'<a href="{html.escape(match.group(2), quote=True)}">'
                           f"{_html_inline(match.group(1), links, in_link=True)}</a>")
                i = match.end()
                continue
        out.append(_html_text(char))
        i += 1
    return "".join(out)


def _table_cells(line: str) -> list[str]:
    """The cells of a Markdown table row, split on the bars that are not escaped."""
    cells, current, i = [], [], 0
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            current.append(body[i:i + 2])
            i += 2
            continue
        if body[i] == "|":
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(body[i])
        i += 1
    if "".join(current).strip():
        cells.append("".join(current).strip())
    return cells


def note_html(markdown: str, links: Iterable[str] | None = None) -> str:
    """The same note as a standalone HTML page (headings, lists, tables, links). Everything is
    escaped; the only links are the http(s) ones of ``links`` (the ``source_url`` of the factors
    used; when None, any http(s) link of the note, whose user text ``note_markdown`` escaped)."""
    allowed = None if links is None else {_markdown_url(u) for u in links if isinstance(u, str) and u}
    body, table = [], []

    def inline(text: str) -> str:
        return _html_inline(text, allowed)

    def flush_table() -> None:
        if table:
            rows = [r for r in table if not set(r.replace("|", "").strip()) <= {"-", " "}]
            cells = [_table_cells(r) for r in rows]
            head = "".join(f"<th>{inline(c)}</th>" for c in cells[0])
            lines = "".join("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>" for r in cells[1:])
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{lines}</tbody></table>")
            table.clear()

    for line in markdown.splitlines():
        if line.startswith("|"):
            table.append(line)
            continue
        flush_table()
        if line.startswith("## "):
            body.append(f"<h2>{inline(line[3:])}</h2>")
        elif line.startswith("# "):
            body.append(f"<h1>{inline(line[2:])}</h1>")
        elif line.startswith("- "):
            body.append(f"<ul><li>{inline(line[2:])}</li></ul>")
        elif line.strip():
            body.append(f"<p>{inline(line)}</p>")
    flush_table()
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #999;padding:.2em .5em;text-align:left}")
    return (f'<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><title>Note méthodologique</title>'
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")


@dataclass
class Export:
    summary: pd.DataFrame
    detail: pd.DataFrame
    sources: pd.DataFrame
    indicators: pd.DataFrame
    note: str


SHEETS = (("synthese", "summary"), ("detail", "detail"), ("sources", "sources"), ("indicateurs", "indicators"))
UNITS = {"consommation_kwh": "kWh", "consommation_mwh": "MWh", "consommation_gwh": "GWh", "eau_m3": "m³",
         "adpe_kgsbeq": "kgSbeq", "energie_primaire_mj": "MJ", "incertitude_pct": "%"}


def _header(columns: list[str]) -> list[str]:
    """Column names with their unit, for the XLSX sheets (« emissions_tco2e (tCO2e) »)."""
    out = []
    for column in columns:
        unit = UNITS.get(column) or ("tCO2e" if column.endswith("_tco2e") or "_tco2e_" in column else
                                     "kteqCO2" if column.endswith("kteqco2") else None)
        out.append(f"{column} ({unit})" if unit else column)
    return out


def write(export: Export, path: Path, file_format: str, separator: str = ";", decimal: str = ",",
          stamp: str | None = None, force: bool = False) -> list[Path]:
    """Write the export: CSV files (summary at ``path``, then ``-detail``, ``-sources``,
    ``-indicateurs``) or one XLSX workbook, plus the note in Markdown and HTML. Everything is
    built in memory first, then written all or nothing by ``output_files`` (never through a link;
    existing files replaced only with ``force``)."""
    files = render(export, Path(path), file_format, separator=separator, decimal=decimal, stamp=stamp)
    return write_files(files, force=force)


def render(export: Export, path: Path, file_format: str, separator: str = ";", decimal: str = ",",
           stamp: str | None = None) -> dict[Path, bytes]:
    """The bytes of each file of the export (see ``write``), by path; nothing is written."""
    stem = Path(path).with_suffix("")
    files: dict[Path, bytes] = {}
    tables = {name: getattr(export, attribute) for name, attribute in SHEETS}
    if file_format == "xlsx":
        files[stem.with_suffix(".xlsx")] = xlsx_bytes({name: (_header(list(t.columns)), _rows(t))
                                                      for name, t in tables.items()}, stamp=stamp)
    else:
        for name, table in tables.items():
            target = stem.with_suffix(".csv") if name == "synthese" else Path(f"{stem}-{name}.csv")
            files[target] = csv_bytes(list(table.columns), _rows(table), separator=separator, decimal=decimal)
    files[Path(f"{stem}-note.md")] = export.note.encode("utf-8")
    files[Path(f"{stem}-note.html")] = note_html(export.note, note_links(export)).encode("utf-8")
    return files


def note_links(export: Export) -> list[str]:
    """The links the HTML note may hold: the ``source_url`` of the factors of the export."""
    if "lien" not in export.sources.columns:
        return []
    return [u for u in export.sources["lien"] if isinstance(u, str) and u]


def _rows(frame: pd.DataFrame) -> list[list[object]]:
    rows = []
    for record in frame.itertuples(index=False):
        rows.append([None if (isinstance(v, float) and math.isnan(v)) or v is pd.NA else
                     (v.item() if hasattr(v, "item") else v) for v in record])
    return rows
