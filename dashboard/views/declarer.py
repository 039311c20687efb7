"""The Déclarer page: the declaration tables with the French labels of the vocabulary, the
choices of the guided form, what is typed in the form or the table editor checked exactly like
an import then saved, a file read for its preview then imported, and the history.

Must not: import Streamlit, or write to the store except through the functions whose name says
so (``save_*``, ``import_*``), which call ``Store`` and the library's imports.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import InputError, Problem
from core.units import convert
from footprint.factors import FactorBase
from footprint.inventory import Inventory, import_declarations
from footprint.inventory.declarations import (
    AI_ACT_LEVELS,
    history_changes,
    read_declarations,
    validate_records,
)
from footprint.inventory.products import REASONING
from footprint.io.cells import has_control_characters, is_missing
from footprint.io.formatting import format_number, format_quantity, format_range
from footprint.store import Store, StoreConflict
from footprint.vocabulary import IMPACT_UNITS, KINDS_FR, LABELS, for_audience

__all__ = ["AI_ACT_CHOICES", "COUNTS", "DISPLAY_COLUMNS", "EDITABLE", "OTHER_TOOL", "StoreConflict", "TASK_COUNTS",
           "declaration_impact", "declarations_table", "deleted_declarations", "find_tool", "form_options",
           "has_reasoning_mode", "history_table", "import_file", "preview_file", "save_edits", "save_form",
           "tool_choices", "tool_profile", "validate_declarations"]

# Store column -> what the dashboard's tables call it.
DISPLAY_COLUMNS = LABELS
EDITABLE = [c for c in DISPLAY_COLUMNS if c not in ("id", "origin") and not c.startswith("gateway_")]
AI_ACT_CHOICES = sorted(set(AI_ACT_LEVELS.values()))


def declarations_table(declarations: pd.DataFrame) -> pd.DataFrame:
    """Declarations with French headers and kinds, for display and the table editor."""
    table = declarations.reindex(columns=list(DISPLAY_COLUMNS))  # a file read may lack the audit columns
    table["kind"] = table["kind"].map(KINDS_FR).fillna(table["kind"])
    return table.rename(columns=DISPLAY_COLUMNS).reset_index(drop=True)


def validate_declarations(rows: list[dict], factors: FactorBase, origin: str) -> pd.DataFrame:
    """Rows typed in a form or table editor (store column names) checked exactly like an import
    (``validate_records``); ``InputError`` naming the row (« ligne » = position in the table, from
    1) and the column."""
    return validate_records(rows, factors, origin)


def save_form(values: dict, store: Store, factors: FactorBase) -> str:
    """Validate and save one declaration typed in the form; returns its new identifier."""
    try:
        frame = validate_declarations([values], factors, "formulaire")
    except InputError as error:
        # A form has no file nor line: name the field as the form labels it.
        raise InputError([Problem(p.message, column=p.column, value=p.value)
                          for p in for_audience(error.problems, "label")]) from None
    store.save(frame, action="saisie")
    return store.last_ids[0]


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
    """A declarations file read and checked whole (nothing written), as the preview shows it."""
    return declarations_table(read_declarations(data, factors, name=name))


def import_file(data: bytes, store: Store, factors: FactorBase, name: str) -> dict[str, int]:
    """Import a declarations file (all or nothing); the counts created, modified, unchanged."""
    _, counts = import_declarations(data, store, factors, name=name)
    return counts


def history_table(store: Store, declaration_id: str | None = None) -> pd.DataFrame:
    """Every version of the declarations, newest first, with what changed in French."""
    rows = [{"Identifiant": row["id"], "Version": int(row["version"]),
             "Date": pd.Timestamp(row["changed_at"]).strftime("%d/%m/%Y %H:%M"), "Par": row["changed_by"],
             "Action": row["action"], "Changements": "; ".join(row["changes"])}
            for row in history_changes(store.history(declaration_id), DISPLAY_COLUMNS)]
    return pd.DataFrame(rows[::-1], columns=["Identifiant", "Version", "Date", "Par", "Action", "Changements"])


def deleted_declarations(store: Store) -> pd.DataFrame:
    declarations = store.declarations(include_deleted=True)
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
