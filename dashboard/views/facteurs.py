"""The Facteurs page: the tables of sourced values, searchable (accents and case ignored), the
authority's own values (overrides) in force, saved or deleted through the library, and what the
providers publish about their products beside our estimate, with the basis chosen for each.

Must not: import Streamlit, check an override or a basis itself (``footprint.factors`` and
``footprint.inventory.disclosures`` do), or write to the store except through
``save_own_values``, ``delete_own_value`` and ``save_basis``.
"""

from __future__ import annotations

import pandas as pd

from footprint.factors import FactorBase, delete_override, save_overrides
from footprint.inventory import BASIS_LABELS, check_basis, compare, disclosed_products, one_message
from footprint.inventory.declarations import plain_key
from footprint.store import Store

__all__ = ["BASIS_LABELS", "delete_own_value", "disclosure_rows", "factor_rows", "factor_tables", "key_label",
           "override_rows", "overrides_table", "save_basis", "save_own_values"]


def disclosure_rows(factors: FactorBase, bases: pd.DataFrame) -> pd.DataFrame:
    """Each figure a provider publishes for one message of its products, beside our estimate of
    one message (in our unit), the ratio, and the basis each product holds (``bases``: the
    store's ``product_bases``; our estimate when none)."""
    held = dict(zip(bases["product"], bases["basis"])) if len(bases) else {}
    rows = []
    for product in disclosed_products(factors):
        one = one_message(factors, product)
        for row in compare(factors, product, one):
            ours = row["estimate"]
            rows.append({"outil": product.label, "produit": product.product, "publication": row["label"],
                         "impact": row["impact_label"], "unite": row["impact_unit"], "publie": row["disclosed"],
                         "estime_bas": ours["low"], "estime": ours["central"], "estime_haut": ours["high"],
                         "rapport": row["ratio"], "perimetre": row["scope"],
                         "base": BASIS_LABELS[held.get(product.product, "estimation")]})
    return pd.DataFrame(rows)


def save_basis(store: Store, factors: FactorBase, product: str, basis: str, justification: str) -> bool:
    """Record the basis chosen for a product, once checked (``check_basis``); False when it
    already holds it."""
    return store.save_product_basis(check_basis(factors, product, basis), basis, justification.strip() or None)


def factor_tables(factors: FactorBase) -> dict[str, str]:
    """Tables of sourced values (name → French description)."""
    return {name: spec.description for name, spec in factors.info.tables.items() if spec.parameters}


def key_label(key: dict) -> str:
    """A factor's key as people read it: « salle_serveurs », « FRA / ademe / 2024 »."""
    return " / ".join(str(value) for value in key.values())


def factor_rows(factors: FactorBase, table: str, search: str = "") -> pd.DataFrame:
    """Every value of a factor table with its unit, year, source and link, filtered by ``search``
    (words that must all appear somewhere in the row, accents and case ignored)."""
    rows = factors.parameter_rows(table)
    rows.insert(0, "element", rows["key"].map(key_label))
    if search.strip():
        haystack = rows.drop(columns="key").astype(str).agg(" ".join, axis=1).map(plain_key)
        for word in plain_key(search).split("_"):
            if word:
                keep = haystack.str.contains(word, regex=False).to_numpy()
                rows, haystack = rows[keep], haystack[keep]
    return rows.reset_index(drop=True)


def override_rows(table: str, key: dict, parameter: str, value: float, unit: str, year: int | None,
                  justification: str, both_ends: bool) -> list[dict]:
    """The overrides to save for one value typed on the Facteurs page: the parameter, and the other
    end of its range too when ``both_ends`` (a PUE of 1,3 is then 1,3 low and high)."""
    rows = [{"table": table, "key": key, "parameter": parameter, "value": value, "unit": unit, "year": year,
             "justification": justification}]
    stem, _, end = parameter.rpartition("_")
    if both_ends and end in ("min", "max"):
        rows.append(rows[0] | {"parameter": f"{stem}_{'max' if end == 'min' else 'min'}"})
    return rows


def save_own_values(store: Store, factors: FactorBase, table: str, key: dict, parameter: str, value: float,
                    unit: str, year: int | None, justification: str, both_ends: bool) -> list[str]:
    """Check and save the overrides of one value typed on the page (``override_rows``); their ids."""
    return save_overrides(store, factors, override_rows(table, key, parameter, value, unit, year, justification,
                                                        both_ends))


def delete_own_value(store: Store, factors: FactorBase, identifier: str) -> None:
    """Go back to the factor base's value (the override stays in the store's history)."""
    delete_override(store, factors, identifier)


def overrides_table(store: Store) -> pd.DataFrame:
    """The authority's own values in force, in French."""
    overrides = store.factor_overrides()
    return pd.DataFrame({
        "Identifiant": overrides["id"], "Table": overrides["table_name"],
        "Élément": overrides["key"].map(key_label),
        "Paramètre": overrides["parameter"], "Valeur": overrides["value"], "Unité": overrides["unit"],
        "Justification": overrides["justification"], "Par": overrides["created_by"],
        "Le": pd.to_datetime(overrides["created_at"]).dt.strftime("%d/%m/%Y")})
