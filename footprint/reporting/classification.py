"""Where each declaration goes in the regulatory reports: the authority's own equipment on its
territory, or a service bought elsewhere (``hosting_ownership`` of the factor base), and, for each
of its parts (usage, manufacturing), the BEGES poste and PCAET sector of ``reporting_categories``.

Owns: the ownership of each declaration, and the postes as the summary and the note show them:
the ``reporting_categories`` rows of one ownership that land in the same poste (a bought service's
usage and manufacturing both go to 4.5) make one poste. No poste is written in code: a change of
method is a change of ``reporting_categories.csv``.

Must not: sum impacts (``summary``) or write text for people (``note``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from footprint.factors import FactorBase

# The parts of a declaration's impacts, as ``reporting_categories`` names them.
USAGE, MANUFACTURING = "usage", "fabrication"
# What the summary shows of a category: rows of one ownership that agree on these make one poste.
CATEGORY_COLUMNS = ("perimeter", "pcaet_sector", "territorial_inventory", "beges_category", "beges_category_label",
                    "beges_poste", "beges_poste_label", "scope")


@dataclass(frozen=True)
class Poste:
    """A line of the BEGES for one ownership: the parts of the impacts it counts (``USAGE``,
    ``MANUFACTURING``) and the columns of its category (``CATEGORY_COLUMNS``)."""

    ownership: str
    parts: tuple[str, ...]
    category: dict

    @property
    def usage(self) -> bool:
        return USAGE in self.parts

    @property
    def manufacturing(self) -> bool:
        return MANUFACTURING in self.parts


def ownership(declarations: pd.DataFrame, factors: FactorBase) -> np.ndarray:
    """'propre' (the authority's equipment on its territory) or 'service' (bought elsewhere), by
    declaration. Without a hosting profile: an LLM uses its provider's service; other kinds
    declared with a zone only are taken as the authority's own equipment."""
    owned = dict(factors.con.execute("SELECT hosting, ownership FROM hosting_ownership").fetchall())
    result = [owned.get(hosting, "service") if hosting else ("service" if kind == "llm" else "propre")
              for kind, hosting in zip(declarations["kind"], factors.hostings_of(declarations))]
    return np.array(result, dtype=object)


def _categories(factors: FactorBase) -> list[dict]:
    """The rows of ``reporting_categories``, in the order of the file."""
    frame = factors.con.execute("SELECT * FROM reporting_categories ORDER BY file, line").df()
    return frame.drop(columns=["file", "line"]).to_dict("records")


def postes(factors: FactorBase) -> list[Poste]:
    """The postes of ``reporting_categories``, in the order of the file: its rows grouped by
    ownership and category (``CATEGORY_COLUMNS``)."""
    grouped: dict[tuple, tuple[list[str], dict]] = {}
    for row in _categories(factors):
        key = (row["ownership"], *(row[c] for c in CATEGORY_COLUMNS))
        parts, _ = grouped.setdefault(key, ([], {c: row[c] for c in CATEGORY_COLUMNS}))
        parts.append(row["part"])
    return [Poste(key[0], tuple(parts), category) for key, (parts, category) in grouped.items()]


def poste_of(factors: FactorBase, owners: np.ndarray, part: str) -> np.ndarray:
    """The BEGES poste of ``part`` (``USAGE`` or ``MANUFACTURING``) for each ownership of ``owners``."""
    poste = {(row["ownership"], row["part"]): row["beges_poste"] for row in _categories(factors)}
    return np.array([poste[(owner, part)] for owner in owners], dtype=object)
