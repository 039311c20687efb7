"""The basis the collectivité chose for the figures of each product of the catalogue: our
estimate, the provider's own disclosure, or the envelope of both.

Owns: the ``product_bases`` table's rows: one row per choice, never updated nor deleted (the
latest choice of a product holds; the earlier ones are its history, with who and when). Every
function here takes an open connection: ``Store`` opens it (``connection``).

Must not: check a product or a basis (``footprint.inventory.disclosures`` does) or apply one.
"""

from __future__ import annotations

import duckdb
import pandas as pd


def current(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The basis each product holds now (its latest choice): product, basis, justification,
    saved_at, saved_by; ordered by product."""
    return con.execute("""
        SELECT product, basis, justification, saved_at, saved_by FROM (
          SELECT *, row_number() OVER (PARTITION BY product ORDER BY saved_at DESC, rowid DESC) AS rank
          FROM product_bases) WHERE rank = 1 ORDER BY product""").df()


def history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every choice ever made, oldest first."""
    return con.execute("SELECT * FROM product_bases ORDER BY saved_at, rowid").df()


def save(con: duckdb.DuckDBPyConnection, product: str, basis: str, justification: str | None, user: str) -> bool:
    """``Store.save_product_basis`` inside an open transaction; False when the product already
    holds that basis with that justification (nothing written)."""
    held = con.execute("SELECT basis, justification FROM product_bases WHERE product = ? "
                       "ORDER BY saved_at DESC, rowid DESC LIMIT 1", [product]).fetchall()
    if held and tuple(held[0]) == (basis, justification):
        return False
    con.execute("INSERT INTO product_bases VALUES (?, ?, ?, now(), ?)", [product, basis, justification, user])
    return True
