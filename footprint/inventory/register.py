"""The register of AI uses: one entry per AI use, grouping its declarations, with the fields that
public algorithm registers hold and, what none of them has, its footprint for the year.

An entry is one AI use: its key is (service, tool, use case), year-independent, where the tool
is the catalogue product when one is declared, else ``provider/model``, else the GPU, the task,
or « mesure » (compared without case or accents). Its id, ``REG-`` and the first hexadecimal
digits of the SHA-256 of that key, is the same on every machine and for every year, and needs no
write (a read-only store can be listed and exported); what people edit is kept under that id in
the store (``Store.save_register_entry``), with its history.

The declarations give an entry its defaults (``responsable``, ``donnees_personnelles``,
``niveau_risque_ia_act``, ``supervision_humaine``, ``commentaire``; the provider, product,
models and hosting); a field edited on the page or on the command line holds over them. Where
the hosting is, and under which law, comes from the factor base only where it says so: for a
catalogue product, its row of the jurisdictions table (location, EU or not, law, provider, with
the source shown in ``hosting_source``); for a model or a GPU, the zone of the hosting profile.
Otherwise it is « non renseigné », never guessed.

Owns: ``FIELDS`` (key, French name, label, allowed values), ``STATUSES``, ``STANDARD_FIELDS``
(the Algorithmic Transparency Standard shared by European cities, which field fills each of its
attributes and which are required), ``CRPA_ITEMS`` (what articles L312-1-3 and R311-3-1-2 of the
code des relations entre le public et l'administration ask, and which fields answer it),
``entries``, ``check_entry``, ``save_entry``, ``delete_entry``, ``restore_entry``,
``entry_history``, ``export_register``.

Must not: hold the rows or SQL of the store (``footprint.store.register``), compute an impact
itself (the engine, through ``compute_inventory``), write a file (``footprint.io.output_files``)
or hold a number of its own.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date

import pandas as pd

from core.errors import InputError, Problem
from emission_factors.checks import IN_EU, OUTSIDE_EU
from footprint.factors import FactorBase
from footprint.inventory.declarations.spellings import AI_ACT_LEVELS, NO, YES, plain_key
from footprint.inventory.totals import compute_inventory
from footprint.io.cells import has_control_characters, is_missing
from footprint.io.writing import csv_bytes
from footprint.store import Store
from footprint.vocabulary import ENDS, ENDS_FR, IMPACT_COLUMNS_FR, IMPACT_UNITS

NOT_GIVEN = "non renseigné"
STATUSES = ("expérimentation", "en service", "arrêté")
YES_NO = ("oui", "non")
# The AI Act levels as the register writes them, from the most to the least severe.
AI_ACT_VALUES = tuple(dict.fromkeys(AI_ACT_LEVELS.values()))
# The impacts an entry carries for its year (kWh, kgCO2e, litres), each with its three ends.
FOOTPRINT_IMPACTS = ("energy_kwh", "gwp_kgco2e", "water_l")
FOOTPRINT_COLUMNS = tuple(f"{impact}_{end}" for impact in FOOTPRINT_IMPACTS for end in ENDS)
# The text of a field: longer than this is not a register's field (a paragraph, not a file).
TEXT_LENGTH = 2000
# The column of ``entries`` that says where its hosting fields come from (the factor base's
# jurisdictions table, with its source, or what was typed), and its French name in the CSV.
HOSTING_SOURCE = "hosting_source"
HOSTING_SOURCE_NAME = "source_hebergement_droit"
HOSTING_SOURCE_LABEL = "Source de l'hébergement et du droit applicable"
# The fields the jurisdictions table fills for a catalogue product, and « dans l'UE » by region.
JURISDICTION_FIELDS = ("location", "in_eu", "law")
IN_EU_BY_REGION = {IN_EU: "oui", OUTSIDE_EU: "non"}  # « UE (option) »: it depends on the contract
# What the base says of the source of an entry's hosting fields, before its saved fields hold
# over them (``_hosting_source`` words it); never a column of ``entries``.
_TABLE_SOURCE = "_table_source"
# The source of a location read from a hosting profile (a model, a GPU): the zone of its electricity.
ZONE_SOURCE = ("zone électrique du profil d'hébergement (table hosting_profiles), hypothèse du calcul de "
               "l'empreinte et non engagement du fournisseur")


@dataclass(frozen=True)
class Field:
    """One field of an entry: ``key`` (the store's and the JSON's), ``name`` (its French name in
    files and, with dashes, on the command line), ``label``, the values it may take (None: free
    text), whether people edit it (the key fields come from the declarations) and whether it is a date."""

    key: str
    name: str
    label: str
    allowed: tuple[str, ...] | None = None
    editable: bool = True
    is_date: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


FIELDS: tuple[Field, ...] = (
    Field("entry_id", "identifiant", "Identifiant", editable=False),
    Field("name", "nom", "Nom de l'usage"),
    Field("service", "service", "Service", editable=False),
    Field("tool", "outil", "Outil ou modèle", editable=False),
    Field("use_case", "cas_usage", "Cas d'usage", editable=False),
    Field("purpose", "finalite", "Finalité"),
    Field("benefit", "benefice_attendu", "Bénéfice attendu"),
    Field("status", "statut", "Statut", STATUSES),
    Field("provider", "fournisseur", "Fournisseur"),
    Field("product", "produit", "Produit"),
    Field("model", "modele", "Modèle"),
    Field("hosting", "hebergement", "Hébergement"),
    Field("location", "localisation", "Localisation de l'hébergement"),
    Field("in_eu", "dans_ue", "Hébergé dans l'Union européenne", YES_NO),
    Field("law", "droit_applicable", "Droit applicable à l'hébergeur"),
    Field("personal_data", "donnees_personnelles", "Données personnelles", YES_NO),
    Field("dpia", "aipd", "AIPD réalisée", YES_NO),
    Field("ai_act_risk", "niveau_risque_ia_act", "Niveau de risque (AI Act)", AI_ACT_VALUES),
    Field("human_oversight", "supervision_humaine", "Supervision humaine"),
    Field("decision_contribution", "contribution_decision", "Degré et mode de contribution à la décision"),
    Field("data_sources", "donnees_sources", "Données traitées et leurs sources"),
    Field("parameters", "parametres_ponderation", "Paramètres et leur pondération"),
    Field("operations", "operations", "Opérations effectuées"),
    Field("appeals", "recours", "Voies de recours"),
    Field("legal_basis", "base_legale", "Base légale"),
    Field("owner", "responsable", "Responsable"),
    Field("contact", "contact", "Contact (adresse fonctionnelle)"),
    Field("last_review", "date_revue", "Date de la dernière revue", is_date=True),
    Field("comment", "commentaire", "Commentaire"),
)
BY_KEY = {f.key: f for f in FIELDS}
BY_NAME = {f.name: f for f in FIELDS}
EDITABLE = tuple(f.key for f in FIELDS if f.editable)
KEY_FIELDS = ("service", "tool", "use_case")

# The Algorithmic Transparency Standard (Eurocities: Amsterdam, Barcelona, Brussels, Eindhoven,
# Mannheim, Rotterdam, Sofia; the data standard of the Dutch algorithm register consortium):
# attribute -> (required, type, the entry's fields it is made of). Attribute list, tiers and
# « required » as published in Algoritmeregister/standard, _data/Algorithmic_transparency_data_standard.csv
# (https://github.com/Algoritmeregister/standard). The attributes marked « * » there (one per
# supplier, data set, assessment, risk) are written once, flat, as one use has one of each here.
STANDARD_NAME = "Algorithmic Transparency Standard (Eurocities)"
STANDARD_URL = ("https://github.com/Algoritmeregister/standard/blob/master/_data/"
                "Algorithmic_transparency_data_standard.csv")
STANDARD_FIELDS: dict[str, tuple[bool, str, tuple[str, ...]]] = {
    "name": (True, "string", ("name",)),
    "description": (True, "string", ("purpose",)),
    "website": (False, "url", ()),
    "contact_email": (True, "string", ("contact",)),
    "organisation": (True, "string", ("service",)),
    "team": (False, "string", ("service",)),
    "senior_responsible_owner": (False, "string", ("owner",)),
    "external_supplier": (True, "string", ("provider", "product")),
    "external_supplier_identifier": (False, "string", ()),
    "external_supplier_role": (True, "string", ("product", "model", "hosting")),
    "data_access_terms": (False, "string", ("law",)),
    "scope": (True, "string", ("purpose", "use_case")),
    "benefit": (True, "string", ("benefit",)),
    "alternatives_considered": (False, "string", ()),
    "model_type": (True, "string", ("model", "tool")),
    "frequency_usage": (False, "string", ()),
    "phase": (True, "string", ("status",)),
    "maintenance": (False, "string", ("last_review",)),
    "system_architecture": (False, "url", ()),
    "process_integration": (False, "string", ("decision_contribution", "operations")),
    "provided_information": (False, "string", ("parameters",)),
    "human_decisions": (True, "string", ("human_oversight",)),
    "required_training": (False, "string", ()),
    "appeals_and_review": (True, "string", ("appeals",)),
    "source_data_name": (True, "string", ("data_sources",)),
    "source_data_description": (True, "string", ("data_sources", "personal_data")),
    "source_data_url": (False, "url", ()),
    "data_collection": (True, "string", ("data_sources",)),
    "data_sharing_agreements": (True, "string", ("legal_basis",)),
    "data_access_and_storage": (True, "string", ("hosting", "location", "in_eu", "law")),
    "impact_assessment_name": (True, "string", ("dpia",)),
    "impact_assessment_description": (False, "string", ("dpia",)),
    "impact_assessment_date": (False, "string", ()),
    "impact_assessment_link": (False, "string", ()),
    "risk_name": (True, "string", ("ai_act_risk",)),
    "risk_description": (False, "string", ("ai_act_risk",)),
    "risk_mitigation": (False, "string", ("human_oversight",)),
}
# The standard's phases (idea, design, development, production, retired) of our statuses.
PHASES = {"expérimentation": "development", "en service": "production", "arrêté": "retired"}

# What the CRPA asks of an algorithmic processing used for an individual decision: L312-1-3 (the
# rules defining the main processings, published online) and R311-3-1-2 (1° to 4°, told to the
# person concerned on request). Item -> the entry's fields that answer it.
CRPA_ITEMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "L312-1-3": ("règles définissant le traitement et finalité", ("name", "purpose", "legal_basis")),
    "R311-3-1-2 1°": ("degré et mode de contribution du traitement algorithmique à la prise de décision",
                      ("decision_contribution", "human_oversight")),
    "R311-3-1-2 2°": ("données traitées et leurs sources", ("data_sources", "personal_data")),
    "R311-3-1-2 3°": ("paramètres de traitement et, le cas échéant, leur pondération",
                      ("parameters", "model")),
    "R311-3-1-2 4°": ("opérations effectuées par le traitement", ("operations",)),
}


def entry_key(service: object, tool: object, use_case: object) -> tuple[str, str, str]:
    """The year-independent key of a use, as compared (plain keys: no case, no accents)."""
    return tuple(plain_key("" if is_missing(v) else str(v)) for v in (service, tool, use_case))  # type: ignore[return-value]


def entry_id(service: object, tool: object, use_case: object) -> str:
    """``REG-`` and the first ten hexadecimal digits of the SHA-256 of the use's key."""
    digest = hashlib.sha256("\x1f".join(entry_key(service, tool, use_case)).encode()).hexdigest()
    return f"REG-{digest[:10].upper()}"


def _text(value: object) -> str | None:
    return None if is_missing(value) or not str(value).strip() else str(value).strip()


def _joined(values: pd.Series) -> str | None:
    """The distinct values of a group, in their order, joined by « , »; None when there is none."""
    found = [str(v).strip() for v in values if _text(v)]
    return ", ".join(dict.fromkeys(found)) or None


def _names(factors: FactorBase) -> dict[str, dict[str, str]]:
    """What people call the ids of the base, by kind of id: hosting profiles, zones (a zone takes
    the label of its last alias), providers, use cases, GPUs and tasks."""
    return {"hosting": factors.labels("hosting_profiles", "hosting"), "zone": factors.labels("zone_aliases", "zone"),
            "provider": factors.labels("providers", "provider"), "use_case": factors.labels("use_cases", "use_case"),
            "gpu": factors.labels("gpus", "gpu"), "task": factors.labels("tasks", "task")}


def _tools(declarations: pd.DataFrame) -> pd.Series:
    """The tool of each declaration: its product, else provider/model, else GPU, task or « mesure »."""
    model = declarations["provider"].astype("string") + "/" + declarations["model"].astype("string")
    tool = declarations["product"].astype("string").fillna(model).fillna(declarations["gpu"].astype("string"))
    return tool.fillna(declarations["task"].astype("string")).fillna("mesure")


def _tool_label(declaration: pd.Series, factors: FactorBase, names: dict) -> str | None:
    """What people call the tool of a declaration: the product's label, the model with its
    provider's, the GPU's or the task's label (the key keeps the ids: ``_tools``)."""
    product = _text(declaration["product"])
    if product and factors.product_id(product):
        return factors.product(factors.product_id(product)).label
    model, provider = _text(declaration["model"]), _text(declaration["provider"])
    if model:
        return f"{model} ({names['provider'].get(provider, provider)})" if provider else model
    for column in ("gpu", "task"):
        value = _text(declaration[column])
        if value:
            return names[column].get(value) or value
    return _text(declaration["tool_label"])


def _jurisdiction_sources(row: dict) -> dict:
    """The sources of a row of the jurisdictions table, by field of the register: the hosting's
    (source, year, link) for the location and « dans l'UE », the law's (source, link) for the
    law; its note when it gives neither."""
    hosting = (f"{row['source']} ({row['year']}), {row['source_url']}"
               if row["hosting_region"] or row["hosting_location"] else None)
    law = f"{row['law_source']}, {row['law_source_url']}" if row["applicable_law"] else None
    return {"location": hosting, "in_eu": hosting, "law": law, "note": None if hosting or law else row["note"]}


def _jurisdiction_defaults(products: list[str], factors: FactorBase) -> dict:
    """What the jurisdictions table says of a use's catalogue products (one, the use's tool):
    ``location`` (region, then what the source says), ``in_eu`` (« oui » in the EU, « non »
    outside, None for « UE (option) »: it depends on the contract), ``law``, the provider and
    the sources of each (or the table's note when it knows nothing). None where the table says
    nothing: « non renseigné », never the zone of an electricity factor."""
    rows = [row for row in (factors.jurisdiction(p) for p in products) if row]
    if not rows:
        return dict.fromkeys(JURISDICTION_FIELDS) | {"provider": None, _TABLE_SOURCE: {}}
    row = rows[0]
    location = " : ".join(v for v in (row["hosting_region"], row["hosting_location"]) if v) or None
    return {"location": location, "in_eu": IN_EU_BY_REGION.get(row["hosting_region"]),
            "law": row["applicable_law"], "provider": row["provider_name"], _TABLE_SOURCE: _jurisdiction_sources(row)}


def _defaults(group: pd.DataFrame, factors: FactorBase, names: dict) -> dict:
    """What the declarations of one use say of its fields (for a catalogue product, its hosting
    and law from the jurisdictions table: ``_jurisdiction_defaults``)."""
    first = group.iloc[0]
    hostings, providers, use_cases = names["hosting"], names["provider"], names["use_case"]
    hosting_ids = [h for h in dict.fromkeys(group["hosting_id"]) if isinstance(h, str)]
    zone_ids = [factors.hosting_zone(h) for h in hosting_ids if h in hostings]
    zone_ids = [z for z in dict.fromkeys(zone_ids) if z]
    personal = group["personal_data"].dropna()
    risks = [AI_ACT_LEVELS.get(plain_key(r), str(r)) for r in group["ai_act_risk"].dropna()]
    risk = min(risks, key=lambda r: AI_ACT_VALUES.index(r) if r in AI_ACT_VALUES else len(AI_ACT_VALUES),
               default=None)
    provider = _joined(group["provider"].map(lambda p: providers.get(p, p) if isinstance(p, str) else p))
    use_case = _text(first["use_case"])
    tool = _tool_label(first, factors, names)
    products = [p for p in dict.fromkeys(group["product"].map(_text)) if p and factors.product_id(p)]
    defaults = {
        "name": " – ".join(v for v in (tool, use_case and use_cases.get(use_case, use_case),
                                        _text(first["service"])) if v),
        "service": _text(first["service"]), "tool": tool, "use_case": use_case,
        "purpose": use_case and use_cases.get(use_case, use_case),
        "provider": provider, "product": _joined(group["product"]), "model": _joined(group["model"]),
        "hosting": ", ".join(hostings.get(h, h) for h in hosting_ids) or None,
        "location": ", ".join(f"{names['zone'].get(z, z)} ({z})" for z in zone_ids) or None,
        "personal_data": None if personal.empty else ("oui" if personal.astype(bool).any() else "non"),
        "ai_act_risk": risk, "human_oversight": _joined(group["human_oversight"]),
        "owner": _joined(group["owner"]), "contact": _joined(group["owner"]), "comment": _joined(group["comment"]),
    }
    defaults[_TABLE_SOURCE] = {"location": ZONE_SOURCE} if defaults["location"] else {}
    if products:
        found = _jurisdiction_defaults([factors.product_id(p) for p in products], factors)
        defaults |= {k: found[k] for k in (*JURISDICTION_FIELDS, _TABLE_SOURCE)}
        defaults["provider"] = defaults["provider"] or found["provider"]
    return defaults


def _hosting_source(row: dict, typed: dict) -> str | None:
    """Where the hosting fields of an entry (location, EU, law) come from once its saved fields
    (``typed``) hold over the defaults: the factor base's sources for those still from it,
    « saisi dans le registre » for those typed; the jurisdictions table's note when it knows
    nothing and nothing was typed; None when nothing is known."""
    sources = row.get(_TABLE_SOURCE) or {}
    from_base: dict[str, list[str]] = {}
    for key in JURISDICTION_FIELDS:
        if typed.get(key) is None and _text(row.get(key)) and sources.get(key):
            from_base.setdefault(sources[key], []).append(BY_KEY[key].label)
    parts = [f"base de facteurs ({', '.join(labels)}) : {source}" for source, labels in from_base.items()]
    typed_fields = [BY_KEY[k].label for k in JURISDICTION_FIELDS if typed.get(k) is not None]
    if typed_fields:
        parts.append(f"saisi dans le registre ({', '.join(typed_fields)} ; voir l'historique)")
    return " ; ".join(parts) or sources.get("note")


def entries(store: Store, factors: FactorBase, year: int, include_deleted: bool = False) -> pd.DataFrame:
    """The register for ``year``: one row per AI use that has active declarations that year or an
    entry saved in the store (not deleted, unless ``include_deleted``), with every field of
    ``FIELDS`` (None where unknown), ``version`` (0: never saved), ``deleted``,
    ``hosting_source`` (where its location, EU and law fields come from: ``_hosting_source``),
    ``declarations`` (their ids), ``declaration_count`` and its footprint for the year
    (``FOOTPRINT_COLUMNS``: the sums of the engine's impacts of its declarations; 0 for a use
    without declarations that year). Ordered by service, then name. ``attrs``: ``year`` and
    ``factor_base_version``."""
    inventory = compute_inventory(store, factors, year)
    declarations = inventory.declarations.copy()
    names = _names(factors)
    rows: dict[str, dict] = {}
    if len(declarations):
        declarations["tool_label"] = _tools(declarations)
        declarations["hosting_id"] = factors.hostings_of(declarations)
        declarations["entry_id"] = [entry_id(s, t, u) for s, t, u in zip(
            declarations["service"], declarations["tool_label"], declarations["use_case"])]
        impacts = inventory.impacts[list(FOOTPRINT_COLUMNS)].astype(float)
        for identifier, group in declarations.groupby("entry_id", sort=False):
            row = {f.key: None for f in FIELDS} | _defaults(group, factors, names)
            row |= {"entry_id": identifier, "declarations": ", ".join(group["id"].astype(str)),
                    "declaration_count": len(group)}
            row |= impacts.loc[group.index].sum().to_dict()
            rows[identifier] = row
    stored = store.register_entries(include_deleted=True)
    typed_by_entry: dict[str, dict] = {}
    for record in stored.to_dict("records"):
        identifier = record["entry_id"]
        if record["deleted"] and not include_deleted:
            rows.pop(identifier, None)
            continue
        row = rows.setdefault(identifier, {f.key: None for f in FIELDS} | {
            "entry_id": identifier, "declarations": "", "declaration_count": 0} | dict.fromkeys(FOOTPRINT_COLUMNS, 0.0))
        typed_by_entry[identifier] = {key: value for key, value in record["fields"].items()
                                      if key in BY_KEY and value is not None}
        row |= typed_by_entry[identifier]
        row |= {"version": int(record["version"]), "saved_at": record["saved_at"], "saved_by": record["saved_by"],
                "deleted": bool(record["deleted"])}
    for identifier, row in rows.items():
        row[HOSTING_SOURCE] = _hosting_source(row, typed_by_entry.get(identifier, {}))
    frame = pd.DataFrame(list(rows.values()), columns=[*(f.key for f in FIELDS), "version", "saved_at", "saved_by",
                                                        "deleted", HOSTING_SOURCE, "declarations",
                                                        "declaration_count", *FOOTPRINT_COLUMNS])
    frame["version"] = frame["version"].fillna(0).astype(int)
    frame["deleted"] = frame["deleted"].map(lambda deleted: deleted is True)
    frame["declaration_count"] = frame["declaration_count"].fillna(0).astype(int)
    frame = frame.sort_values(["service", "name"], na_position="last", key=lambda s: s.str.casefold()
                              if s.dtype == object else s).reset_index(drop=True)
    frame.attrs = {"year": year, "factor_base_version": inventory.factor_base_version}
    return frame


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def check_entry(values: dict) -> dict:
    """The editable fields of ``values`` (by key or French name) checked and written as the
    register keeps them: an allowed value (statut, oui / non, AI Act level, any spelling the
    declarations accept), a date AAAA-MM-JJ that exists, a text without control characters nor
    longer than ``TEXT_LENGTH``; an empty value clears the field (None). ``InputError`` lists every
    refusal, in French, naming the field."""
    checked: dict[str, str | None] = {}
    problems: list[Problem] = []
    for name, value in values.items():
        field = BY_KEY.get(name) or BY_NAME.get(name)
        if field is None or not field.editable:
            known = ", ".join(BY_KEY[k].name for k in EDITABLE)
            problems.append(Problem(f"champ inconnu ou non modifiable (champs modifiables : {known})",
                                    column=str(name), value=None if value is None else str(value)))
            continue
        text = _text(value)
        if text is None:
            checked[field.key] = None
            continue
        problem, written = _field_problem(field, text)
        if problem:
            problems.append(Problem(problem, column=field.name, value=text))
        else:
            checked[field.key] = written
    if problems:
        raise InputError(problems)
    return checked


def _field_problem(field: Field, text: str) -> tuple[str | None, str | None]:
    if has_control_characters(text) or len(text) > TEXT_LENGTH:
        return f"texte refusé : caractères de contrôle ou plus de {TEXT_LENGTH} caractères", None
    if field.is_date:
        try:
            if not _DATE.fullmatch(text):
                raise ValueError
            return None, date.fromisoformat(text).isoformat()
        except ValueError:
            return "date invalide (attendu AAAA-MM-JJ, une date qui existe, par exemple 2025-03-31)", None
    if field.allowed is None:
        return None, text
    key = plain_key(text)
    if field.allowed == YES_NO:
        found = "oui" if key in YES else "non" if key in NO else None
    elif field.allowed == AI_ACT_VALUES:
        found = AI_ACT_LEVELS.get(key)
    else:
        found = next((v for v in field.allowed if plain_key(v) == key), None)
    if found is None:
        return "valeur non reconnue (valeurs possibles : " + ", ".join(field.allowed) + ")", None
    return None, found


def _stored_fields(store: Store, identifier: str) -> dict:
    found = store.register_entries(include_deleted=True)
    found = found[found["entry_id"] == identifier]
    return dict(found.iloc[0]["fields"]) if len(found) else {}


def _fields_with_key(store: Store, entry_id: str, key: dict | None) -> dict:
    """The entry's stored fields, with the service, tool and use case of ``key`` (a row of
    ``entries``) where it has none yet."""
    fields = _stored_fields(store, entry_id)
    return fields | {k: (None if is_missing(key.get(k)) else str(key[k])) for k in KEY_FIELDS
                     if key and k not in fields}


def save_entry(store: Store, entry_id: str, values: dict, expected_version: int, user: str | None = None,
               *, key: dict | None = None) -> int:
    """Check ``values`` (``check_entry``) and save them over the entry's stored fields, as a new
    version (the previous ones stay in its history); returns the entry's version. ``key``: the
    service, tool and use case of an entry never saved (a row of ``entries``), stored with it so
    that it stays in the register when its declarations are gone. ``expected_version``: the
    version read (0 for an entry never saved); ``RegisterConflict`` if it changed meanwhile."""
    checked = check_entry(values)
    fields = _fields_with_key(store, entry_id, key) | checked
    return store.save_register_entry(entry_id, fields, int(expected_version), user=user)


def delete_entry(store: Store, entry_id: str, expected_version: int, user: str | None = None, *,
                 key: dict | None = None) -> int:
    """Soft-delete an entry (it leaves the register, its history stays; ``restore_entry`` or
    saving it again brings it back); returns its version. ``key`` and ``expected_version`` as
    for ``save_entry``: ``RegisterConflict`` if someone changed it meanwhile."""
    return store.save_register_entry(entry_id, _fields_with_key(store, entry_id, key), int(expected_version),
                                     deleted=True, user=user)


def restore_entry(store: Store, entry_id: str, expected_version: int, user: str | None = None) -> int:
    """Bring a deleted entry back into the register with the fields it had, as a new version;
    returns its version (``RegisterConflict`` if it changed since ``expected_version``)."""
    return store.save_register_entry(entry_id, _stored_fields(store, entry_id), int(expected_version), deleted=False,
                                     user=user)


def entry_history(store: Store, entry_id: str) -> pd.DataFrame:
    """Every saved version of an entry, oldest first: version, saved_at, saved_by, deleted and its
    fields by label."""
    found = store.register_history(entry_id)
    rows = [{"version": int(r["version"]), "saved_at": r["saved_at"], "saved_by": r["saved_by"],
             "deleted": bool(r["deleted"])} | {BY_KEY[k].label: v for k, v in r["fields"].items() if k in BY_KEY}
            for r in found.to_dict("records")]
    return pd.DataFrame(rows)


def _shown(value: object) -> str:
    return NOT_GIVEN if _text(value) is None else str(value).strip()


def standard_record(entry: dict, year: int) -> dict:
    """One entry as the Algorithmic Transparency Standard names it, every attribute present (text,
    « non renseigné » where unknown; None for an optional link nobody gave), plus ``crpa`` (the
    items of the CRPA) and ``environmental_footprint`` (the footprint, which the standard lacks)."""
    v = {key: _shown(entry.get(key)) for key in BY_KEY}
    record = {
        "identifier": entry["entry_id"],
        "name": v["name"], "description": v["purpose"], "website": None, "contact_email": v["contact"],
        "organisation": v["service"], "team": v["service"], "senior_responsible_owner": v["owner"],
        "external_supplier": " – ".join(x for x in (v["provider"], v["product"]) if x != NOT_GIVEN) or NOT_GIVEN,
        "external_supplier_identifier": NOT_GIVEN,
        "external_supplier_role": (f"fournit l'outil : {v['product']} ; modèle : {v['model']} ; "
                                   f"hébergement : {v['hosting']}"),
        "data_access_terms": v["law"],
        "scope": f"{v['purpose']} (cas d'usage : {v['use_case']})", "benefit": v["benefit"],
        "alternatives_considered": NOT_GIVEN, "model_type": f"{v['tool']} ; modèle : {v['model']}",
        "frequency_usage": NOT_GIVEN,
        "phase": PHASES.get(v["status"], NOT_GIVEN),
        "maintenance": f"dernière revue : {v['last_review']}", "system_architecture": None,
        "process_integration": f"{v['decision_contribution']} ; opérations : {v['operations']}",
        "provided_information": v["parameters"], "human_decisions": v["human_oversight"],
        "required_training": NOT_GIVEN, "appeals_and_review": v["appeals"],
        "source_data_name": v["data_sources"],
        "source_data_description": f"{v['data_sources']} ; données personnelles : {v['personal_data']}",
        "source_data_url": None, "data_collection": v["data_sources"],
        "data_sharing_agreements": v["legal_basis"],
        "data_access_and_storage": (f"hébergement : {v['hosting']} ; localisation : {v['location']} ; "
                                    f"dans l'Union européenne : {v['in_eu']} ; droit applicable : {v['law']} ; "
                                    f"source : {_shown(entry.get(HOSTING_SOURCE))}"),
        "impact_assessment_name": f"AIPD (RGPD, art. 35) réalisée : {v['dpia']}",
        "impact_assessment_description": NOT_GIVEN, "impact_assessment_date": NOT_GIVEN,
        "impact_assessment_link": NOT_GIVEN,
        "risk_name": f"niveau de risque (AI Act) : {v['ai_act_risk']}",
        "risk_description": NOT_GIVEN, "risk_mitigation": f"supervision humaine : {v['human_oversight']}",
    }
    record["crpa"] = {item: {"objet": what, "valeur": " ; ".join(f"{BY_KEY[k].label} : {v[k]}" for k in keys)}
                      for item, (what, keys) in CRPA_ITEMS.items()}
    record["environmental_footprint"] = {"year": year, "declarations": entry.get("declarations") or "",
                                         **{impact: {"unit": IMPACT_UNITS[impact],
                                                     **{end: float(entry[f"{impact}_{end}"]) for end in ENDS}}
                                            for impact in FOOTPRINT_IMPACTS}}
    record["empreinte_ia"] = {BY_KEY[k].name: (None if _text(entry.get(k)) is None else str(entry[k]))
                              for k in BY_KEY}
    record["empreinte_ia"][HOSTING_SOURCE_NAME] = _text(entry.get(HOSTING_SOURCE))
    return record


def footprint_headers() -> list[str]:
    """The French columns of the footprint in the CSV export: « energie_kwh_bas »…"""
    return [f"{IMPACT_COLUMNS_FR[impact]}_{ENDS_FR[end]}" for impact in FOOTPRINT_IMPACTS for end in ENDS]


def export_register(entries: pd.DataFrame, fmt: str) -> bytes:
    """The register as a file: ``csv`` (French: « ; », decimal comma, UTF-8 with BOM, every field
    by its French name and the source of its hosting fields, then the footprint written exactly; text neutralised
    against formulas) or ``json`` (the Algorithmic Transparency Standard's attributes, see ``standard_record``;
    UTF-8)."""
    year = entries.attrs.get("year")
    records = entries.to_dict("records")
    if fmt == "csv":
        header = [f.name for f in FIELDS] + [HOSTING_SOURCE_NAME, "declarations", *footprint_headers()]
        rows = [[None if _text(r.get(f.key)) is None else str(r[f.key]) for f in FIELDS]
                + [_text(r.get(HOSTING_SOURCE)), r.get("declarations")]
                + [float(r[c]) for c in FOOTPRINT_COLUMNS] for r in records]
        return csv_bytes(header, rows)
    if fmt == "json":
        document = {"standard": STANDARD_NAME, "standard_url": STANDARD_URL, "year": year,
                    "factor_base_version": entries.attrs.get("factor_base_version"),
                    "entries": [standard_record(r, year) for r in records]}
        return (json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n").encode("utf-8")
    raise InputError.single("format d'export inconnu (csv ou json)", column="format", value=str(fmt))
