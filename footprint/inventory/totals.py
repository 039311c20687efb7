"""The inventory of a year: the declarations of the store, their impacts, and totals by group.

Owns: turning the stored declarations of a year into impacts (through ``declarations`` and
the engine) and summing them by service, use case, type or model, with the factor-base
version; and importing a file of declarations into the store (read and checked by
``declarations``, saved in one transaction with the file's name and hash). Must not: print
anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from footprint.engine import compute_impacts, totals
from footprint.factors import FactorBase
from footprint.inventory.declarations import file_sha256, read_declarations, to_workloads
from footprint.inventory.declarations.volumes import volume_levels, volume_sources
from footprint.inventory.disclosures import apply_bases
from footprint.io.tabular import display_name
from footprint.store import Store
from footprint.vocabulary import (
    ENDS,
    FILE_COLUMNS,
    IMPACT_KEYS,
    KINDS_FR,
    LEVEL_COLUMN,
    SOURCE_COLUMN,
    VOLUME_LEVELS,
    VOLUME_SOURCES,
)

# A grouping, named by its French column (« service », « cas_usage », « type », « modele ») -> its label column.
GROUPINGS = {FILE_COLUMNS["service"]: "service", FILE_COLUMNS["use_case"]: "use_case", FILE_COLUMNS["kind"]: "kind",
             FILE_COLUMNS["model"]: "model_label", FILE_COLUMNS["product"]: "product",
             LEVEL_COLUMN: "level", SOURCE_COLUMN: "source"}
NOT_GIVEN = "(non renseigné)"


@dataclass
class Inventory:
    year: int
    factor_base_version: str
    declarations: pd.DataFrame  # store columns
    impacts: pd.DataFrame  # engine columns, same index
    warnings: list[str]
    alternatives: dict = field(default_factory=dict)  # engine figures of other models/hostings, by projections
    pending: int = 0  # declarations counted here that the référent climat has not validated yet
    excluded: int = 0  # declarations of the year left out because they are not validated (``validated_only``)

    def total(self) -> dict[str, dict[str, float]]:
        return totals(self.impacts)

    def groups(self, by: str) -> list[dict]:
        """Totals by group (``service``, ``cas_usage``, ``type`` or ``modele``), largest GWP first."""
        labels = group_labels(self.declarations)[GROUPINGS[by]].fillna(NOT_GIVEN)
        summed = self.impacts.groupby(labels.to_numpy(), sort=False).sum()
        counts = labels.value_counts()
        rows = []
        for key, values in summed.iterrows():
            row = {"key": key, "declarations": int(counts[key])}
            row |= {impact: {end: float(values[f"{impact}_{end}"]) for end in ENDS} for impact in IMPACT_KEYS}
            rows.append(row)
        return sorted(rows, key=lambda r: -r["gwp_kgco2e"]["central"])

    def as_dict(self, by: str | None = None) -> dict:
        return {"year": self.year, "factor_base_version": self.factor_base_version,
                "declarations": len(self.declarations), "total": self.total(),
                "groups": self.groups(by) if by else [], "warnings": self.warnings}


def group_labels(declarations: pd.DataFrame) -> pd.DataFrame:
    """Service, use case, kind (in French), model label (``provider/model``, else the product of
    the catalogue, the GPU, the task, or « mesure »), product, level and source of the volume
    (their French labels) of each declaration."""
    labels = declarations[["service", "use_case", "product"]].astype("string").copy()
    labels["kind"] = declarations["kind"].map(KINDS_FR)
    model = declarations["provider"].astype("string") + "/" + declarations["model"].astype("string")
    model = model.fillna(declarations["product"].astype("string")).fillna(declarations["gpu"].astype("string"))
    labels["model_label"] = model.fillna(declarations["task"].astype("string")).fillna("mesure")
    labels["level"] = volume_levels(declarations).map(VOLUME_LEVELS)
    labels["source"] = volume_sources(declarations).map(VOLUME_SOURCES)
    return labels


def compute_inventory(store: Store, factors: FactorBase, year: int, *, validated_only: bool = False) -> Inventory:
    return inventory_of(store.declarations(year=year), factors, year, bases_of(store.product_bases()),
                        validated_only=validated_only)


VALIDATED = "validée"


def not_validated(declarations: pd.DataFrame) -> pd.Series:
    """Which declarations wait for the référent climat (« à valider ») or were sent back
    (« renvoyée »); a frame without review (a file read) holds none."""
    if "review" not in declarations:
        return pd.Series(False, index=declarations.index)
    return declarations["review"].fillna(VALIDATED).ne(VALIDATED)


def bases_of(product_bases: pd.DataFrame) -> dict[str, str]:
    """The store's choices of basis (``Store.product_bases``) as product id -> basis."""
    return dict(zip(product_bases["product"], product_bases["basis"])) if len(product_bases) else {}


def inventory_of(declarations: pd.DataFrame, factors: FactorBase, year: int,
                 bases: Mapping[str, str] | None = None, *, validated_only: bool = False) -> Inventory:
    """The inventory of ``year`` from active declarations already read from the store (those of
    other years are left out); ``bases``: the basis chosen for the figures of a product (product
    id -> ``disclosures.BASES``), our estimate for the others."""
    declarations = declarations[(declarations["year"] == year).to_numpy()].reset_index(drop=True)
    waiting = not_validated(declarations)
    excluded = int(waiting.sum()) if validated_only else 0
    if validated_only:
        declarations = declarations[~waiting.to_numpy()].reset_index(drop=True)
    pending = int(not_validated(declarations).sum())
    if declarations.empty:
        impacts = compute_impacts(pd.DataFrame({"kind": pd.Series(dtype="string")}), factors, usage_split=True)
        return Inventory(year, factors.version, declarations, impacts, impacts.attrs.get("warnings", []),
                         pending=pending, excluded=excluded)
    workloads = to_workloads(declarations, factors)
    impacts = compute_impacts(workloads, factors, usage_split=True)
    warnings = list(impacts.attrs.get("warnings", []))
    based, said = apply_bases(declarations, workloads, impacts, factors, bases or {})
    based.attrs = dict(impacts.attrs) | {"warnings": warnings + said}
    return Inventory(year, factors.version, declarations, based, warnings + said, pending=pending, excluded=excluded)


def import_declarations(source: Path | str | bytes, store: Store, factors: FactorBase, user: str | None = None,
                        name: str | None = None) -> tuple[pd.DataFrame, dict[str, int]]:
    """Read a CSV or spreadsheet file of declarations (all or nothing: ``InputError`` lists every
    bad row) and save it in one transaction, recorded as an import of that file (name and
    SHA-256). ``source``: a path, or the bytes of an upload shown as ``name`` (never a path).
    Returns the declarations read and the counts by outcome."""
    frame = read_declarations(source, factors, name=name)
    shown = display_name(name or (None if isinstance(source, (bytes, bytearray)) else Path(source).name))
    counts = store.save(frame, action="import", columns=frame.attrs.get("columns"), user=user, import_record={
        "kind": "declarations", "file_name": shown, "file_sha256": file_sha256(source)})
    return frame, counts
