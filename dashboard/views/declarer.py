"""The Déclarer page: the declaration tables with the French labels of the vocabulary, the
choices of the guided form and its labels, what is typed in the form or the table editor checked
exactly like an import then saved (a declaration identical to an active one of the same year is
refused, so that a double click or a re-submit adds nothing; a daily volume per person beyond the
catalogue's highest profile asks for a confirmation), GPU hours as hours a day × days, the
XLSX template of a declarations file, a file read for its preview (an unknown name gets the
closest valid one) then imported, and the history.

Must not: import Streamlit, or write to the store except through the functions whose name says
so (``save_*``, ``import_*``), which call ``Store`` and the library's imports.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from core.errors import InputError, Problem
from core.units import convert
from emission_factors.schema import read_input_bounds
from footprint.factors import FactorBase
from footprint.factors.base import closest
from footprint.inventory import Inventory, import_declarations
from footprint.inventory.declarations import (
    AI_ACT_LEVELS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    REQUIRED_HEADER,
    history_changes,
    read_declarations,
    validate_records,
)
from footprint.inventory.products import REASONING
from footprint.io.cells import has_control_characters, is_missing
from footprint.io.formatting import format_number, format_quantity, format_range
from footprint.io.template import declarations_template
from footprint.store import Store, StoreConflict
from footprint.vocabulary import CONTENT_COLUMNS, FILE_COLUMNS, IMPACT_UNITS, KINDS_FR, LABELS, for_audience

__all__ = ["AI_ACT_CHOICES", "COUNTS", "DECLARATIONS_MAX_MB", "DISPLAY_COLUMNS", "EDITABLE", "FORM_LABELS",
           "GPU_LIMITS", "OTHER_TOOL", "StoreConflict", "TASK_COUNTS", "TEMPLATE_NAME", "declaration_impact",
           "declarations_table", "deleted_declarations", "duplicate_of", "find_tool", "form_options", "gpu_hours",
           "has_reasoning_mode", "history_table", "implausible_volume", "import_file", "preview_file", "save_edits",
           "save_form", "template_file", "tool_choices", "tool_profile", "validate_declarations"]

# Store column -> what the dashboard's tables call it.
DISPLAY_COLUMNS = LABELS
EDITABLE = [c for c in DISPLAY_COLUMNS if c not in ("id", "origin") and not c.startswith("gateway_")]
AI_ACT_CHOICES = sorted(set(AI_ACT_LEVELS.values()))


REVIEW_LABEL = "Validation"  # the review of a stored declaration (« validée », « à valider », « renvoyée »)


def declarations_table(declarations: pd.DataFrame) -> pd.DataFrame:
    """Declarations with French headers and kinds, for display and the table editor; stored ones
    (with a review) say whether the référent climat validated them, after their identifier."""
    table = declarations.reindex(columns=list(DISPLAY_COLUMNS))  # a file read may lack the audit columns
    table["kind"] = table["kind"].map(KINDS_FR).fillna(table["kind"])
    table = table.rename(columns=DISPLAY_COLUMNS).reset_index(drop=True)
    if "review" in declarations:
        table.insert(1, REVIEW_LABEL, declarations["review"].to_numpy())
    return table


def of_services(declarations: pd.DataFrame, services: tuple[str, ...] | None) -> pd.DataFrame:
    """The declarations of ``services`` (compared without case), all of them when None."""
    if services is None:
        return declarations
    own = {s.casefold() for s in services}
    return declarations[declarations["service"].fillna("").astype(str).str.casefold().isin(own).to_numpy()]


def validate_declarations(rows: list[dict], factors: FactorBase, origin: str) -> pd.DataFrame:
    """Rows typed in a form or table editor (store column names) checked exactly like an import
    (``validate_records``); ``InputError`` naming the row (« ligne » = position in the table, from
    1) and the column."""
    return validate_records(rows, factors, origin)


# What the guided form calls each field (store column -> label): a refused form names the field
# the person sees, not the column of a file.
FORM_LABELS = {
    "year": "Année d'inventaire", "service": "Service", "use_case": "Cas d'usage", "hosting": "Hébergement",
    "zone": "Hébergement",
    "users": "Combien ?", "licences": "Combien ?", "messages": "Combien ?",
    "requests_per_agent_per_day": "Requêtes par agent et par jour", "model": "Modèle", "provider": "Modèle",
    "agents": "Nombre d'agents qui l'utilisent", "requests": "… ou requêtes par an (à la place des agents)",
    "output_tokens_per_request": "Tokens de sortie par requête (facultatif)", "gpu": "GPU", "gpus": "Nombre de GPU",
    "hours": "Heures par jour × jours", "utilization": "Taux d'utilisation (0 à 1)", "task": "Tâche",
    "units": "Unités par an (pages, minutes d'audio, images…)", "energy_kwh": "Énergie mesurée (kWh par an)",
    "owner": "Responsable", "personal_data": "Données personnelles", "ai_act_risk": "Niveau de risque (AI Act)",
    "human_oversight": "Supervision humaine", "comment": "Commentaire", "product": "Quel outil ?",
}
# The product path asks « Par personne et par jour » where the API path asks per agent.
PRODUCT_FORM_LABELS = FORM_LABELS | {"requests_per_agent_per_day": "Par personne et par jour (vide : je ne sais pas)"}


def _shown(value: object) -> object:
    """A value as a form message quotes it: numbers the French way (« 10 », not « 10.0 »)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        return value
    return format_number(float(value))


def _form_error(error: InputError, labels: dict[str, str]) -> InputError:
    """``error`` said for the form: no file nor line, each field named by its label."""
    extra = labels | {FILE_COLUMNS[column]: label for column, label in labels.items()}
    problems = for_audience(error.problems, "label", extra)
    return InputError([Problem(_said(p.message, labels), column=p.column, value=_shown(p.value)) for p in problems])


def _said(message: str, labels: dict[str, str]) -> str:
    """A library message said for the form: a column it quotes by its file name
    (« tokens_sortie_par_requete ») is quoted by its label, numbers the French way."""
    for column, label in labels.items():
        message = message.replace(f"« {FILE_COLUMNS[column]} »", f"« {label} »")
    return _NUMBERS.sub(lambda m: format_number(float(m.group())), message)


# A number a message writes the programmer's way (« 10.0 », « 1e+06 »): said the French way.
_NUMBERS = re.compile(r"(?<![\w.,/-])\d+(?:\.\d+(?:e[+-]?\d+)?|e[+-]?\d+)(?![\w.,/-])")


def save_form(values: dict, store: Store, factors: FactorBase) -> str:
    """Validate and save one declaration typed in the form; returns its new identifier.

    ``InputError`` names each wrong field by its label in the form (``FORM_LABELS``); a
    declaration identical to an active one of the same year is refused (``duplicate_of``)."""
    labels = PRODUCT_FORM_LABELS if values.get("product") else FORM_LABELS
    try:
        frame = validate_declarations([values], factors, "formulaire")
    except InputError as error:
        raise _form_error(error, labels) from None
    twin = duplicate_of(frame.iloc[0], store.declarations(year=int(frame["year"].iloc[0])))
    if twin is not None:
        raise InputError([Problem(f"la déclaration {twin} a déjà exactement ces valeurs pour cette année : elle n'a "
                                  "pas été enregistrée une deuxième fois (double clic, ou formulaire envoyé deux "
                                  "fois ?). Modifiez-la dans l'onglet « Modifier en tableau » si besoin.")])
    store.save(frame, action="saisie")
    return store.last_ids[0]


# What makes two declarations the same usage: everything a person writes, not where it came from.
_SAME_USAGE = [c for c in CONTENT_COLUMNS if c != "origin" and not c.startswith("gateway_")]


def duplicate_of(row: pd.Series, declarations: pd.DataFrame) -> str | None:
    """The identifier of an active declaration of ``declarations`` with exactly the values of
    ``row`` (store columns, as ``validate_declarations`` types them), or None."""
    for _, other in declarations.iterrows():
        if other.get("year") == row.get("year") and not any(_differs(other.get(c), row.get(c)) for c in _SAME_USAGE):
            return str(other["id"])
    return None


def implausible_volume(values: dict, factors: FactorBase) -> str | None:
    """Why the daily volume per person typed in the form is implausible (French), or None.

    The bound is the highest daily volume per active user that the catalogue gives any tool for
    that year (``messages_per_user_per_day_max`` of ``products.csv``, each row sourced — the
    surveys of use such as Chatterji et al., NBER w34255, 2025): beyond it, the volume is kept
    only once the person confirms it (a typo of a few zeros multiplies the footprint)."""
    daily = values.get("requests_per_agent_per_day")
    if daily is None or is_missing(daily):
        return None
    year = values.get("year")
    products = [p for p in factors.products(int(year) if year else None)
                if "messages_per_user_per_day_max" in p.parameters]
    if not products:
        return None
    highest = max(products, key=lambda p: p.span("messages_per_user_per_day")[1])
    bound = highest.span("messages_per_user_per_day")[1]
    if float(daily) <= bound:
        return None
    people = next((values.get(c) for c in ("agents", "users", "licences") if values.get(c)), None)
    total = (f" : avec {format_number(float(people))} personnes, cela fait {format_number(float(people) * daily)} "
             "requêtes par jour" if people else "")
    return (f"{format_number(float(daily))} requêtes par personne et par jour, c'est beaucoup plus que le profil le "
            f"plus intensif du catalogue ({format_number(bound)} messages par jour d'usage pour "
            f"{highest.label}, d'après les enquêtes d'usage publiées citées dans la page Facteurs){total}. "
            "Vérifiez le chiffre (un zéro de trop ?) ; s'il est juste, cochez « Je confirme ce volume ».")


# The GPU form: hours a day (at most a day's hours, Pint) × days of use a year (schema.toml [inputs]).
GPU_LIMITS = {"hours_per_day": convert(1, "day", "hour"),
              "days": read_input_bounds()["days_per_year"].maximum}


def gpu_hours(hours_per_day: float | None, days: float | None) -> tuple[float | None, str]:
    """The hours a year of GPU use typed as hours a day × days, and the total said in French
    (« 8 h × 150 jours = 1 200 heures par an »); None while one of them is missing."""
    if hours_per_day is None or days is None:
        return None, "Heures par an = heures par jour × jours d'utilisation."
    hours = float(hours_per_day) * float(days)
    return hours, (f"{format_number(float(hours_per_day))} h × {format_number(float(days))} jours = "
                   f"{format_number(hours)} heures par an")


def save_edits(original: pd.DataFrame, edited: pd.DataFrame, store: Store, factors: FactorBase,
               expected_versions: dict[str, int] | None = None) -> dict[str, int]:
    """Save the rows changed in the table editor (``edited`` has the French headers of
    ``declarations_table``); every changed row is validated, and nothing is written if one is bad.

    Only the columns the editor edits are written: the others (a gateway's own estimate, say)
    keep their stored values. ``expected_versions`` (id -> version shown in the editor): a row
    changed meanwhile by someone else is not overwritten (``StoreConflict``, nothing written)."""
    english = {label: column for column, label in DISPLAY_COLUMNS.items()}
    before = original.rename(columns=english).set_index("id")
    after = edited.rename(columns=english).set_index("id")
    changed = [i for i in after.index if any(_differs(before.at[i, c], after.at[i, c]) for c in EDITABLE)]
    if not changed:
        return {"created": 0, "modified": 0, "unchanged": len(after)}
    # Kinds stay in French (llm, gpu, tache, mesure): the checks read them as a file's would be.
    rows = [{"id": i, "origin": before.at[i, "origin"]} | {c: after.at[i, c] for c in EDITABLE} for i in changed]
    frame = validate_declarations(rows, factors, "tableau")
    expected = None if expected_versions is None else {i: expected_versions[i] for i in changed
                                                        if i in expected_versions}
    return store.save(frame, action="saisie", columns=["id", "origin", *EDITABLE], expected_versions=expected)


def _differs(old: object, new: object) -> bool:
    """Whether a cell of the table editor changed (empty text is no value; numbers to 1e-12)."""
    old, new = (None if is_missing(v) or str(v).strip() == "" else v for v in (old, new))
    if old is None or new is None:
        return (old is None) != (new is None)
    try:
        return not np.isclose(float(old), float(new), rtol=1e-12, atol=0)
    except (TypeError, ValueError):
        return str(old) != str(new)


def preview_file(data: bytes, factors: FactorBase, name: str) -> pd.DataFrame:
    """A declarations file read and checked whole (nothing written), as the preview shows it;
    ``InputError`` gives each unknown name the closest valid one."""
    try:
        return declarations_table(read_declarations(data, factors, name=name))
    except InputError as error:
        raise _with_closest(error, factors) from None


def import_file(data: bytes, store: Store, factors: FactorBase, name: str) -> dict[str, int]:
    """Import a declarations file (all or nothing); the counts created, modified, unchanged."""
    try:
        _, counts = import_declarations(data, store, factors, name=name)
    except InputError as error:
        raise _with_closest(error, factors) from None
    return counts


# Where the library already names the closest values (models, tools), nothing is added.
_ALREADY_SUGGESTED = re.compile(r"proches\s*:")


def _with_closest(error: InputError, factors: FactorBase) -> InputError:
    """``error`` with « le plus proche : … » after each unknown name that the library's message
    lists without saying which one is closest (a GPU, a hosting, a task, a provider, a zone, a
    type, an AI Act level)."""
    by_file = {FILE_COLUMNS[column]: known for column, known in valid_values(factors).items()}
    problems = []
    for problem in error.problems:
        known = by_file.get(problem.column or "")
        message = problem.message
        if known and isinstance(problem.value, str) and problem.value not in known \
                and not _ALREADY_SUGGESTED.search(message):
            close = closest(problem.value.strip().lower(), {str(k).lower(): str(k) for k in known}, 1)
            if close:
                message = f"{message} ; le plus proche : « {close[0]} »"
        problems.append(Problem(message, file=problem.file, line=problem.line, column=problem.column,
                                value=problem.value))
    return InputError(problems)


def valid_values(factors: FactorBase, year: int | None = None) -> dict[str, list[str]]:
    """Store column -> the values a declarations file may write there (the factor base's names,
    the kinds' French codes, oui/non, the AI Act levels), for the template's drop-down lists and
    the suggestions of an import."""
    con = factors.con
    models = sorted({m for (m,) in con.execute("SELECT model FROM models").fetchall()})
    yes_no = ["oui", "non"]
    return {
        "kind": [KINDS_FR[k] for k in KINDS_FR], "use_case": list(form_options(factors, year)["use_cases"]),
        "product": [p.product for p in factors.products(year)], "provider": factors.providers(), "model": models,
        "hosting": factors.hostings(), "zone": factors.zones(), "gpu": factors.gpus(), "task": factors.tasks(),
        "reasoning": yes_no, "personal_data": yes_no, "ai_act_risk": AI_ACT_CHOICES,
    }


TEMPLATE_NAME = "modele-declarations.xlsx"
# The import's own limit (the library refuses a larger file): the uploader says it, in MB.
DECLARATIONS_MAX_MB = int(convert(MAX_FILE_BYTES, "byte", "megabyte"))


def template_file(factors: FactorBase, declarations: pd.DataFrame, year: int | None = None) -> bytes:
    """The XLSX template of a declarations file (``footprint.io.template``): drop-down lists of
    the valid values (services already declared in ``declarations`` included) and a help sheet."""
    choices = valid_values(factors, year)
    services = sorted({s for s in declarations.get("service", pd.Series(dtype=str)).dropna() if str(s).strip()})
    if services:
        choices["service"] = services
    options = form_options(factors, year)
    labels = {"use_case": options["use_cases"], "product": {p.product: p.label for p in factors.products(year)},
              "hosting": options["hostings"], "task": options["tasks"]}
    return declarations_template(choices, REQUIRED_HEADER, MAX_ROWS, labels)


def history_table(store: Store, declaration_id: str | None = None, services: tuple[str, ...] | None = None
                  ) -> pd.DataFrame:
    """Every version of the declarations, newest first, with what changed in French (``services``:
    of the declarations that are of these services now, for an agent)."""
    history = store.history(declaration_id)
    if services is not None:
        own = set(of_services(store.declarations(include_deleted=True), services)["id"])
        history = history[history["id"].isin(own).to_numpy()]
    rows = [{"Identifiant": row["id"], "Version": int(row["version"]),
             "Date": pd.Timestamp(row["changed_at"]).strftime("%d/%m/%Y %H:%M"), "Par": row["changed_by"],
             "Action": row["action"], "Changements": "; ".join(row["changes"])}
            for row in history_changes(history, DISPLAY_COLUMNS)]
    return pd.DataFrame(rows[::-1], columns=["Identifiant", "Version", "Date", "Par", "Action", "Changements"])


def deleted_declarations(store: Store, services: tuple[str, ...] | None = None) -> pd.DataFrame:
    declarations = of_services(store.declarations(include_deleted=True), services)
    return declarations_table(declarations[declarations["deleted"].fillna(False)])


def form_options(factors: FactorBase, default_year: int) -> dict:
    """Choices offered by the declaration form, from the factor base, with French labels."""
    con = factors.con
    models = [f"{p}/{m}" for p, m in con.execute("SELECT provider, model FROM models ORDER BY provider, model"
                                                  ).fetchall()]
    return {
        "year": default_year,
        "use_cases": dict(con.execute("SELECT use_case, label FROM use_cases ORDER BY label").fetchall()),
        "hostings": dict(con.execute("SELECT hosting, label FROM hosting_profiles ORDER BY label").fetchall()),
        "tasks": dict(con.execute("SELECT task, label FROM tasks ORDER BY label").fetchall()),
        "gpus": factors.gpus(),
        "models": models,
        "model": "mistralai/mistral-small-latest" if "mistralai/mistral-small-latest" in models else models[0],
    }


# The choice of the form's « Quel outil ? » that leads to the API models (the advanced path).
OTHER_TOOL = "Autre outil, ou un modèle d'API (choix avancé)"
# How the form counts a product's volume: the declaration column, and what the form says (a
# task's product counts its units of work where a language model counts messages).
COUNTS = {"users": "utilisateurs actifs", "licences": "licences", "messages": "messages par an"}
TASK_COUNTS = {"users": "utilisateurs actifs", "licences": "licences",
               "units": "unités par an (minutes d'audio, pages, images…)"}


def tool_choices(factors: FactorBase, year: int | None = None) -> dict[str, str]:
    """The products of the catalogue as « Quel outil ? » offers them: id -> label followed by the
    names people type (so that typing « lechat », « m365 » or « chat gpt » finds them)."""
    return {p.product: f"{p.label} · {', '.join(p.aliases)}" if p.aliases else p.label
            for p in factors.products(year)}


def find_tool(factors: FactorBase, typed: str) -> str:
    """The product ``typed`` names (a choice of ``tool_choices`` or a name typed in the box), or
    ``InputError`` in French with the closest products."""
    if typed in tool_choices(factors):
        return typed
    name = typed.split(" · ")[0].strip()
    shown = name if len(name) <= 80 else name[:80] + "…"
    if has_control_characters(name):
        raise InputError([Problem("caractère de contrôle invisible (collé depuis un autre logiciel ?) : retirez-le",
                                  column="Quel outil ?", value=shown)])
    product_id = factors.product_id(name) if name else None
    if product_id is None:
        close = factors.suggest_products(name) if name else []
        hint = f" Outils proches : {', '.join(close)}." if close else ""
        raise InputError([Problem(f"Aucun outil du catalogue ne porte ce nom.{hint} Sinon, choisissez « "
                                  f"{OTHER_TOOL} ».", column="Quel outil ?", value=shown)])
    return product_id


def has_reasoning_mode(factors: FactorBase, product_id: str) -> bool:
    """Whether the catalogue gives ``product_id`` a reasoning mode (its hidden tokens per answer)."""
    return f"{REASONING}_min" in factors.product(product_id).parameters


def tool_profile(factors: FactorBase, product_id: str, year: int | None = None) -> str:
    """What the catalogue assumes for a product, in one French sentence for the form."""
    product = factors.product(product_id, year)

    def span(name: str, unit: str = "dimensionless", shown: str = "dimensionless") -> str:
        low, high = (convert(value, unit, shown) for value in product.span(name))
        return format_number(low) if low == high else f"{format_number(low)} à {format_number(high)}"

    if product.kind == "task":
        return (f"{product.label} : calculé comme la tâche {', '.join(product.models)} de la base de facteurs, "
                f"hébergement {product.hosting} ; {span('units_per_user_per_day')} unités de travail (minutes "
                "d'audio, pages, images, traductions selon la tâche) par utilisateur actif et par jour ; part des "
                f"licences utilisées {span('active_share_of_licences', shown='percent')} %. Ces profils font la "
                "fourchette ; un nombre d'unités compté la resserre.")
    return (f"{product.label} : modèle(s) possible(s) {', '.join(product.models)} ; hébergement "
            f"{product.hosting} ; {span('messages_per_user_per_day')} messages par utilisateur actif et par jour ; "
            f"tokens par message : {span('input_tokens_per_message')} en entrée, "
            f"{span('output_tokens_per_message')} en sortie ; part des licences utilisées "
            f"{span('active_share_of_licences', shown='percent')} %. Ces profils font la fourchette ; un nombre de "
            "messages compté "
            "(export d'administration) la resserre.")


def declaration_impact(inventory: Inventory, identifier: str) -> str:
    """One declaration's yearly GWP and energy in French, e.g. « 12,3 kgCO2e et 210 kWh par an »."""
    rows = np.flatnonzero(inventory.declarations["id"].to_numpy() == identifier)
    if not len(rows):
        return "hors de l'année affichée"
    impacts = inventory.impacts.iloc[rows[0]]
    gwp = format_range(impacts["gwp_kgco2e_low"], impacts["gwp_kgco2e_central"], impacts["gwp_kgco2e_high"],
                       IMPACT_UNITS["gwp_kgco2e"])
    return f"{gwp} et {format_quantity(impacts['energy_kwh_central'], IMPACT_UNITS['energy_kwh'])} par an"
