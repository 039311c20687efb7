"""The words of the inventory, declared once: every column of a declaration and every impact, each
with its French names for people, files and the command line, and its unit.

The store creates its tables from ``DECLARATION_FIELDS``, the declarations files read and write
their ``file`` names, the dashboard shows their ``label``, ``declarations add`` offers their
``flag``; the engine, the exports and the dashboard name the impacts from ``IMPACTS``. A new
column or impact is added here, and only here, then used where it matters.

A ``Problem`` (``core.errors``) names a column by its file name (« tokens_sortie_par_requete »)
or its store name; ``for_audience`` renames it for whoever reads the message: a form shows its
label, the command line its flag.

>>> FILE_COLUMNS["output_tokens_per_request"]
'tokens_sortie_par_requete'
>>> [impact.key for impact in IMPACTS][:2]
['energy_kwh', 'gwp_kgco2e']
>>> for_audience([Problem("trop grand", column="tokens_sortie_par_requete")], "flag")[0].column
'--output-tokens-per-request'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Literal

from core.errors import Problem
from emission_factors.schema import read_input_bounds


@dataclass(frozen=True)
class Field:
    """One column of a declaration. ``name``: the store's and the engine's (English);
    ``sql_type``: its DuckDB type; ``file``: its French header in imports and exports; ``label``:
    what a form or a table calls it; ``flag``: its ``declarations add`` option (None when it is
    not typed there: the identifier is ``--id``, the origin and a gateway's estimates are set by
    the tool)."""

    name: str
    sql_type: str
    file: str
    label: str
    flag: str | None


def _field(name: str, sql_type: str, file: str, label: str, flag: str | None = "") -> Field:
    return Field(name, sql_type, file, label, ("--" + name.replace("_", "-")) if flag == "" else flag)


DECLARATION_FIELDS: tuple[Field, ...] = (
    _field("id", "VARCHAR", "id", "Identifiant", "--id"),
    _field("year", "INTEGER", "annee", "Année"),
    _field("service", "VARCHAR", "service", "Service"),
    _field("use_case", "VARCHAR", "cas_usage", "Cas d'usage"),
    _field("kind", "VARCHAR", "type", "Type", "--type"),
    _field("product", "VARCHAR", "outil", "Outil"),
    _field("provider", "VARCHAR", "fournisseur", "Fournisseur"),
    _field("model", "VARCHAR", "modele", "Modèle"),
    _field("hosting", "VARCHAR", "hebergement", "Hébergement"),
    _field("zone", "VARCHAR", "zone", "Zone"),
    _field("agents", "DOUBLE", "agents", "Agents"),
    _field("requests_per_agent_per_day", "DOUBLE", "requetes_par_agent_par_jour", "Requêtes par agent et par jour"),
    _field("days_per_year", "DOUBLE", "jours_par_an", "Jours par an"),
    _field("users", "DOUBLE", "utilisateurs", "Utilisateurs actifs"),
    _field("licences", "DOUBLE", "licences", "Licences"),
    _field("messages", "DOUBLE", "messages", "Messages par an"),
    _field("volume_high", "DOUBLE", "volume_haut", "Haut de la fourchette du volume (messages ou unités par an)"),
    _field("reasoning", "BOOLEAN", "mode_raisonnement", "Mode raisonnement"),
    _field("requests", "DOUBLE", "requetes", "Requêtes par an"),
    _field("input_tokens_per_request", "DOUBLE", "tokens_entree_par_requete", "Tokens d'entrée par requête"),
    _field("output_tokens_per_request", "DOUBLE", "tokens_sortie_par_requete", "Tokens de sortie par requête"),
    _field("input_tokens", "DOUBLE", "tokens_entree", "Tokens d'entrée par an"),
    _field("output_tokens", "DOUBLE", "tokens_sortie", "Tokens de sortie par an"),
    _field("gpu", "VARCHAR", "gpu", "GPU"),
    _field("gpus", "DOUBLE", "nb_gpu", "Nombre de GPU"),
    _field("hours", "DOUBLE", "heures", "Heures par an"),
    _field("utilization", "DOUBLE", "taux_utilisation", "Taux d'utilisation"),
    _field("pue", "DOUBLE", "pue", "PUE"),
    _field("wue", "DOUBLE", "wue", "WUE (L/kWh)"),
    _field("task", "VARCHAR", "tache", "Tâche"),
    _field("units", "DOUBLE", "unites", "Unités par an"),
    _field("energy_kwh", "DOUBLE", "kwh_mesures", "Énergie mesurée (kWh)", "--kwh"),
    _field("owner", "VARCHAR", "responsable", "Responsable"),
    _field("personal_data", "BOOLEAN", "donnees_personnelles", "Données personnelles"),
    _field("ai_act_risk", "VARCHAR", "niveau_risque_ia_act", "Risque (AI Act)"),
    _field("human_oversight", "VARCHAR", "supervision_humaine", "Supervision humaine"),
    _field("comment", "VARCHAR", "commentaire", "Commentaire"),
    _field("origin", "VARCHAR", "origine", "Origine", None),
    _field("gateway_kwh_min", "DOUBLE", "kwh_passerelle_min", "Passerelle : kWh (bas)", None),
    _field("gateway_kwh_max", "DOUBLE", "kwh_passerelle_max", "Passerelle : kWh (haut)", None),
    _field("gateway_kgco2e_min", "DOUBLE", "kgco2e_passerelle_min", "Passerelle : kgCO2e (bas)", None),
    _field("gateway_kgco2e_max", "DOUBLE", "kgco2e_passerelle_max", "Passerelle : kgCO2e (haut)", None),
)
FIELDS: Mapping[str, Field] = MappingProxyType({f.name: f for f in DECLARATION_FIELDS})
# Store column -> DuckDB type, in the order of the tables and the exports.
DECLARATION_COLUMNS: Mapping[str, str] = MappingProxyType({f.name: f.sql_type for f in DECLARATION_FIELDS})
# What a user writes or changes (all but the identifier).
CONTENT_COLUMNS: tuple[str, ...] = tuple(f.name for f in DECLARATION_FIELDS if f.name != "id")
NUMBER_COLUMNS: tuple[str, ...] = tuple(f.name for f in DECLARATION_FIELDS if f.sql_type == "DOUBLE")
# Store column -> French column of the files, and back.
FILE_COLUMNS: Mapping[str, str] = MappingProxyType({f.name: f.file for f in DECLARATION_FIELDS})
STORE_COLUMNS: Mapping[str, str] = MappingProxyType({f.file: f.name for f in DECLARATION_FIELDS})
LABELS: Mapping[str, str] = MappingProxyType({f.name: f.label for f in DECLARATION_FIELDS})
# Store column -> the pandas type of a frame of declarations (nullable, as DuckDB gives them).
_PANDAS_TYPES = {"VARCHAR": "string", "DOUBLE": "float64", "INTEGER": "Int64", "BOOLEAN": "boolean"}
DECLARATION_DTYPES: Mapping[str, str] = MappingProxyType({f.name: _PANDAS_TYPES[f.sql_type]
                                                          for f in DECLARATION_FIELDS})

# The kinds of declaration: store code -> French code of the files, and what people read.
KINDS: tuple[str, ...] = ("llm", "gpu", "task", "measured")
KINDS_FR: Mapping[str, str] = MappingProxyType({"llm": "llm", "gpu": "gpu", "task": "tache", "measured": "mesure"})
KIND_LABELS: Mapping[str, str] = MappingProxyType({
    "llm": "IA générative (requêtes)", "gpu": "Heures de GPU", "task": "Tâches à l'unité",
    "measured": "Énergie mesurée"})

# How the volume of a declaration is known, from the finest to the coarsest (a BEGES states the
# uncertainty of each share of its total): measured energy, counted tokens, counted messages or
# requests, GPU hours, task units, active users (× messages per user and day), licences (× the
# share of licences really used × messages per user and day). Code -> what people read.
VOLUME_LEVELS: Mapping[str, str] = MappingProxyType({
    "measured": "Énergie mesurée", "tokens": "Tokens comptés", "messages": "Messages ou requêtes comptés",
    "gpu_hours": "Heures de GPU", "units": "Unités de tâche", "users": "Utilisateurs actifs",
    "licences": "Licences"})
# The French columns (and ``--by`` groupings) of a declaration's level and source of volume.
LEVEL_COLUMN, SOURCE_COLUMN = "niveau_volume", "source_volume"
# Where the volume of a declaration comes from, by the prefix of its ``origin``. Code -> label.
VOLUME_SOURCES: Mapping[str, str] = MappingProxyType({
    "declaration": "Déclaration d'un service", "admin_export": "Export d'administration",
    "gateway_log": "Journal de passerelle", "measurement": "Mesure", "survey": "Enquête auprès des agents"})


@dataclass(frozen=True)
class Impact:
    """One impact of a result. ``key``: the engine's column stem (``energy_kwh`` gives
    ``energy_kwh_low``, ``_central``, ``_high``); ``label``: its French name; ``unit``: its Pint
    unit, the one the engine writes; ``file``: its French column in CSV outputs; ``part_of``: the
    impact it is a part of (usage and manufacturing are parts of the GHG emissions)."""

    key: str
    label: str
    unit: str
    file: str
    part_of: str | None = None


IMPACTS: tuple[Impact, ...] = (
    Impact("energy_kwh", "Énergie", "kWh", "energie_kwh"),
    Impact("gwp_kgco2e", "Émissions de GES", "kgCO2e", "ges_kgco2e"),
    Impact("gwp_usage_kgco2e", "dont usage (électricité)", "kgCO2e", "ges_usage_kgco2e", "gwp_kgco2e"),
    Impact("gwp_embodied_kgco2e", "dont fabrication du matériel", "kgCO2e", "ges_fabrication_kgco2e", "gwp_kgco2e"),
    Impact("water_l", "Eau consommée", "L", "eau_l"),
    Impact("adpe_kgsbeq", "Ressources abiotiques", "kgSbeq", "adpe_kgsbeq"),
    Impact("pe_mj", "Énergie primaire", "MJ", "energie_primaire_mj"),
)
IMPACT_KEYS: tuple[str, ...] = tuple(i.key for i in IMPACTS)
IMPACT_UNITS: Mapping[str, str] = MappingProxyType({i.key: i.unit for i in IMPACTS})
IMPACT_COLUMNS_FR: Mapping[str, str] = MappingProxyType({i.key: i.file for i in IMPACTS})
# The usage parts of the other indicators, computed on request (projections need them).
USAGE_SPLIT: tuple[Impact, ...] = (
    Impact("adpe_usage_kgsbeq", "dont usage (électricité)", "kgSbeq", "adpe_usage_kgsbeq", "adpe_kgsbeq"),
    Impact("pe_usage_mj", "dont usage (électricité)", "MJ", "energie_primaire_usage_mj", "pe_mj"),
)
USAGE_SPLIT_KEYS: tuple[str, ...] = tuple(i.key for i in USAGE_SPLIT)

# The ends of a range, and their French names in files.
ENDS: tuple[str, ...] = ("low", "central", "high")
ENDS_FR: Mapping[str, str] = MappingProxyType({"low": "bas", "central": "central", "high": "haut"})

Audience = Literal["file", "label", "flag"]


def for_audience(problems: Iterable[Problem], audience: Audience,
                 extra: Mapping[str, str] | None = None) -> list[Problem]:
    """``problems`` with their column named for ``audience``: ``file`` (the French header of a
    declarations file), ``label`` (a form's label) or ``flag`` (a command-line option). A column
    named by its store or file name is renamed; ``extra`` adds names of the caller's own (an
    engine column a form calls otherwise); any other column is kept as it is."""
    renamed: dict[str, str] = {}
    for field in DECLARATION_FIELDS:
        shown = getattr(field, audience) or field.file
        renamed[field.name] = renamed[field.file] = shown
    renamed |= dict(extra or {})
    return [replace(p, column=renamed.get(p.column, p.column)) if p.column else p for p in problems]


def year_problem(value: object) -> str | None:
    """Why ``value`` is not an inventory year (a French reason), or None: a whole number within
    the plausible bounds of ``schema.toml`` ``[inputs]``."""
    bound = read_input_bounds()["year"]
    try:
        year = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        year = float("nan")
    if not (bound.minimum <= year <= bound.maximum) or year != int(year):
        return f"année invalide (attendu un entier entre {bound.minimum:g} et {bound.maximum:g})"
    return None
