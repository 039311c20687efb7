"""The catalogue of AI products (``emission_factors/products.csv``) as the library reads it: each
product's dated rows (``Product``), and finding one from what a person typed.

Owns: a product's attributes and sourced parameters once read (in the canonical units of
``schema.toml``), the names it is found by (id, label and aliases, matched by
``emission_factors.checks.name_key``: without case, accents, spaces or punctuation) and the rule
of the row valid for a year (the latest ``valid_from`` not after it, else the earliest; without a
year, the latest).

Must not: query DuckDB (``FactorBase`` reads the table and holds the catalogue), suggest close
names (``base.closest``), turn a product into workloads or compute an impact
(``footprint.inventory.products``), or hold a number: every one is a row of the factor base.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from emission_factors.checks import name_key, split_set


@dataclass(frozen=True)
class Product:
    """One row set of the catalogue: a product as it is from ``valid_from`` on. ``parameters``:
    each parameter of ``schema.toml`` [tables.products] in its canonical unit."""

    product: str
    label: str
    aliases: tuple[str, ...]
    kind: str
    provider: str
    models: tuple[str, ...]
    hosting: str
    valid_from: int
    parameters: dict[str, float] = field(default_factory=dict)

    def span(self, name: str) -> tuple[float, float]:
        """The low and high ends of a parameter given as ``name_min`` and ``name_max``."""
        return self.parameters[f"{name}_min"], self.parameters[f"{name}_max"]

    @property
    def shown(self) -> str:
        """How a person recognises it: « Le Chat Pro (le_chat_pro) »."""
        return f"{self.label} ({self.product})"


def _given(value) -> bool:
    """Whether a parameter cell of the wide table holds a value (a product of one kind has no
    value for the parameters of the other)."""
    return value is not None and not math.isnan(float(value))


class Catalogue:
    """Every product of the base, with the names it is found by."""

    def __init__(self, rows: Iterable[dict], parameters: Iterable[str]):
        """``rows``: the wide ``products`` table (one dict per product and ``valid_from``);
        ``parameters``: the names of its parameter columns."""
        names = tuple(parameters)
        self._rows: dict[str, list[Product]] = {}
        for row in rows:
            product = Product(row["product"], row["label"], tuple(split_set(row["aliases"])), row["kind"],
                              row["provider"], tuple(split_set(row["models"])), row["hosting"],
                              int(row["valid_from"]), {name: float(row[name]) for name in names if _given(row[name])})
            self._rows.setdefault(product.product, []).append(product)
        for dated in self._rows.values():
            dated.sort(key=lambda p: p.valid_from)
        # Each name a product is found by -> the product (the loader refuses a name shared by two).
        self.keys: dict[str, str] = {}
        for product_id, dated in self._rows.items():
            for product in dated:
                for typed in (product.product, product.label, *product.aliases):
                    self.keys.setdefault(name_key(typed), product_id)

    def product_id(self, text: str) -> str | None:
        """The product ``text`` names (its id, label or an alias, however spelled), or None."""
        return self.keys.get(name_key(text or ""))

    def valid(self, product_id: str, year: int | None = None) -> Product:
        """The row set of ``product_id`` valid in ``year``: the latest ``valid_from`` not after
        it, else the earliest; the latest without a year. ``KeyError`` for an unknown id."""
        dated = self._rows[product_id]
        if year is None:
            return dated[-1]
        before = [p for p in dated if p.valid_from <= year]
        return before[-1] if before else dated[0]

    def products(self, year: int | None = None) -> list[Product]:
        """One row set per product (the one valid in ``year``), by label."""
        return sorted((self.valid(p, year) for p in self._rows), key=lambda p: name_key(p.label))

    def shown_by_key(self) -> dict[str, str]:
        """Each name a product is found by -> the product as shown (« Le Chat Pro (le_chat_pro) »)."""
        return {key: self.valid(product_id).shown for key, product_id in self.keys.items()}
