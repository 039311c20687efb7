"""What providers publish about the impact of one message of their products (Mistral AI's
life-cycle analysis, Google's measurement of the Gemini app, OpenAI's figure for ChatGPT), set
beside our estimate, and the basis an authority chooses for a product: our estimate, the
provider's disclosure, or the envelope of both.

Owns: reading the disclosures of the factor base (``emission_factors/disclosures.csv``, one row per
publication and impact, with its functional unit, its scope, its source and its link) as
``Disclosure`` rows, the products they concern (``disclosed_products``), the comparison of each
disclosed figure with our estimate of one message of the product, in the same unit through Pint
(``compare``), and the range each basis gives (``BASES``, ``basis_range``). Every function is pure:
it reads the factor base, writes nothing.

A BEGES prefers supplier-specific data where it exists; a disclosure rarely has the scope of our
estimate (training, manufacturing, idle machines, water off site, market-based emissions), and
docs/METHODOLOGIE.md explains each gap. Hence three bases, none imposed.

Also: the check of a basis chosen for a product (``check_basis``) and its application to the
impacts of the inventory's declarations of that product (``apply_bases``).

Must not: hold a figure (every one is a row of the factor base), compute an impact itself (our
estimate comes from the engine, given by the caller), write to the store, parse a command line
or print (``cli``).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InputError, Problem
from core.units import convert
from emission_factors.checks import split_set
from footprint.factors import FactorBase, Product
from footprint.vocabulary import ENDS, IMPACT_UNITS, IMPACTS, USAGE_SPLIT

LOW, CENTRAL, HIGH = ENDS
# The bases an authority may choose for a product's figures: our estimate, the provider's own
# disclosure, or the envelope that covers both.
ESTIMATE, DISCLOSURE, ENVELOPE = BASES = ("estimation", "declaration_fournisseur", "enveloppe")
BASIS_LABELS = {ESTIMATE: "Estimation d'Empreinte IA (méthode EcoLogits)",
                DISCLOSURE: "Déclaration du fournisseur",
                ENVELOPE: "Enveloppe des deux (du plus bas au plus haut)"}
# Each parameter of the disclosures table -> the impact of footprint.vocabulary it gives for one message.
IMPACT_OF = {"energy_per_message": "energy_kwh", "gwp_per_message": "gwp_kgco2e", "water_per_message": "water_l",
             "adpe_per_message": "adpe_kgsbeq"}
# What one message is, as the disclosures table counts it.
PER_MESSAGE = "message"
_LABELS = {impact.key: impact.label for impact in IMPACTS}
_ORDER = {impact.key: position for position, impact in enumerate(IMPACTS)}
_COLUMNS = ("disclosure", "label", "provider", "products", "model", "functional_unit", "scope", "emissions_basis",
            "parameter", "value", "unit", "canonical_value", "canonical_unit", "year", "source", "source_url", "note")


@dataclass(frozen=True)
class Disclosure:
    """One figure a provider published for one impact of one message of its products (a row of
    ``emission_factors/disclosures.csv``). ``value`` and ``unit``: as published (« 0.24 Wh /
    message »); ``canonical_value`` in ``canonical_unit``: as the loader converted it (Pint);
    ``impact``: the key of ``footprint.vocabulary.IMPACTS`` it gives; ``products``: the catalogue's
    products it concerns; ``functional_unit``: what one message is in the publication; ``scope``:
    what it includes, in French; ``emissions_basis``: location- or market-based; ``note``: what is
    particular to this impact."""

    disclosure: str
    label: str
    provider: str
    products: tuple[str, ...]
    model: str
    functional_unit: str
    scope: str
    emissions_basis: str
    parameter: str
    impact: str
    value: float
    unit: str
    canonical_value: float
    canonical_unit: str
    year: int
    source: str
    source_url: str
    note: str

    def per_message(self, unit: str) -> float:
        """The figure for one message in ``unit`` (a Pint unit of the impact: kWh, kgCO2e, L…),
        converted through Pint from the base's canonical unit.

        >>> water = Disclosure("d", "", "", (), "", "", "", "", "water_per_message", "water_l", 0.26,
        ...                    "mL / message", 0.00026, "L / message", 2025, "", "", "")
        >>> round(water.per_message("mL"), 9)
        0.26
        """
        return convert(self.canonical_value, self.canonical_unit, f"{unit} / {PER_MESSAGE}")

    def as_dict(self) -> dict:
        """The disclosure as ``--json`` gives it (its products as a list)."""
        return {column: list(self.products) if column == "products" else getattr(self, column)
                for column in ("disclosure", "label", "provider", "products", "model", "functional_unit", "scope",
                               "emissions_basis", "impact", "value", "unit", "year", "source", "source_url", "note")}


def _all_disclosures(factors: FactorBase) -> list[Disclosure]:
    rows = factors.con.execute(f"SELECT {', '.join(_COLUMNS)} FROM factor_disclosures").fetchall()
    found = []
    for row in rows:
        record = dict(zip(_COLUMNS, row))
        record["products"] = tuple(split_set(record["products"]))
        record["note"] = record["note"] or ""
        found.append(Disclosure(**record, impact=IMPACT_OF[record["parameter"]]))
    return sorted(found, key=lambda d: (d.disclosure, _ORDER[d.impact]))


def disclosures_for(factors: FactorBase, product_id: str) -> list[Disclosure]:
    """Every disclosed figure that concerns the product ``product_id`` (a catalogue id), by
    publication then in the order of the impacts; empty when its provider publishes nothing.

    >>> [(d.disclosure, d.impact) for d in disclosures_for(FactorBase.load(), "gemini_app")][:2]
    [('google_gemini_apps_2025', 'energy_kwh'), ('google_gemini_apps_2025', 'gwp_kgco2e')]
    """
    return [d for d in _all_disclosures(factors) if product_id in d.products]


def disclosed_products(factors: FactorBase, year: int | None = None) -> list[Product]:
    """The products of the catalogue that at least one disclosure concerns, as they are in
    ``year`` (the latest rows when None), in the catalogue's order."""
    concerned = {product for d in _all_disclosures(factors) for product in d.products}
    return [p for p in factors.products(year) if p.product in concerned]


def ratio(disclosed: float, central: float) -> float | None:
    """How many times our central value the disclosed figure is; None when our central is zero.

    >>> ratio(0.24, 0.6)
    0.4
    >>> ratio(1.0, 0.0) is None
    True
    """
    return disclosed / central if central else None


def compare(factors: FactorBase, product: Product, per_message: dict[str, dict[str, float]]) -> list[dict]:
    """Each disclosed figure of ``product`` beside our estimate of one of its messages.

    ``per_message``: our estimate of ONE message, ``{impact: {"low", "central", "high"}}`` in the
    units of ``footprint.vocabulary.IMPACTS`` (what ``estimate_product(...).impacts`` gives for a
    volume of one message). For each disclosed impact: the disclosure (``as_dict``), the impact's
    French label and unit, the disclosed figure in that unit (``disclosed``, through Pint), our
    range (``estimate``) and ``ratio``, the disclosed figure over our central value (None when it
    is zero).

    >>> factors = FactorBase.load()
    >>> ours = {"energy_kwh": {"low": 0.0001, "central": 0.0006, "high": 0.0011},
    ...         "gwp_kgco2e": {"low": 0.0001, "central": 0.0003, "high": 0.0005},
    ...         "water_l": {"low": 0.001, "central": 0.0026, "high": 0.0042}}
    >>> [(row["impact"], f"{row['disclosed']:.3g} {row['impact_unit']}", round(row["ratio"], 3))
    ...  for row in compare(factors, factors.product("gemini_app"), ours)]
    [('energy_kwh', '0.00024 kWh', 0.4), ('gwp_kgco2e', '3e-05 kgCO2e', 0.1), ('water_l', '0.00026 L', 0.1)]
    """
    rows = []
    for disclosure in disclosures_for(factors, product.product):
        unit = IMPACT_UNITS[disclosure.impact]
        disclosed = disclosure.per_message(unit)
        ours = {end: float(per_message[disclosure.impact][end]) for end in ENDS}
        rows.append({**disclosure.as_dict(), "impact_label": _LABELS[disclosure.impact], "impact_unit": unit,
                     "disclosed": disclosed, "estimate": ours, "ratio": ratio(disclosed, ours[CENTRAL])})
    return rows


def basis_range(estimate: dict[str, float], disclosed: float | None, basis: str) -> dict[str, float]:
    """The range of one impact of a product on the ``basis`` chosen (one of ``BASES``).

    ``estimate``: our range (``{"low", "central", "high"}``); ``disclosed``: the provider's figure
    in the same unit (None when it publishes none for this impact). ``estimation``: our range
    unchanged; ``declaration_fournisseur``: the disclosed figure at all three ends;
    ``enveloppe``: from the lower of our low and the disclosure to the higher of our high and the
    disclosure, its central value the middle of the range (as the engine's), our range unchanged
    when nothing is disclosed. Raises ``InputError`` (column ``basis``) for an unknown basis, and
    for the disclosure's basis where there is none.

    >>> ours = {"low": 0.5, "central": 1.0, "high": 1.5}
    >>> basis_range(ours, 2.5, "estimation")
    {'low': 0.5, 'central': 1.0, 'high': 1.5}
    >>> basis_range(ours, 2.5, "declaration_fournisseur")
    {'low': 2.5, 'central': 2.5, 'high': 2.5}
    >>> basis_range(ours, 2.5, "enveloppe")
    {'low': 0.5, 'central': 1.5, 'high': 2.5}
    >>> basis_range(ours, 0.25, "enveloppe")
    {'low': 0.25, 'central': 0.875, 'high': 1.5}
    """
    if basis not in BASES:
        raise InputError([Problem(f"base inconnue (attendues : {', '.join(BASES)})", column="basis", value=basis)])
    if basis == ESTIMATE or (basis == ENVELOPE and disclosed is None):
        return {end: estimate[end] for end in ENDS}
    if disclosed is None:
        raise InputError([Problem("le fournisseur ne publie aucun chiffre pour cet impact : choisir l'estimation ou "
                                  "l'enveloppe", column="basis", value=basis)])
    if basis == DISCLOSURE:
        return {end: disclosed for end in ENDS}
    low, high = min(estimate[LOW], disclosed), max(estimate[HIGH], disclosed)
    return {LOW: low, CENTRAL: statistics.fmean((low, high)), HIGH: high}


# What the electricity of a use drives, when the provider publishes its energy and not them: the
# impact, and its part due to the electricity (None: all of it, as the water of cooling and of
# the power plants, which EcoLogits counts per kWh).
_FOLLOW_ENERGY = {"gwp_kgco2e": "gwp_usage_kgco2e", "adpe_kgsbeq": "adpe_usage_kgsbeq", "pe_mj": "pe_usage_mj",
                  "water_l": None}


def _follow_energy(impacts: pd.DataFrame, rows: np.ndarray, energy_before: dict, disclosed: dict) -> list[str]:
    """Scale, for ``rows``, the electricity's part of each impact the provider does not publish by
    the ratio of the published energy to ours, so that the figures of one basis agree (emissions
    of 11 kWh, not of our 360 kWh); their manufacturing part stays ours. Returns those impacts."""
    followed = []
    positions = np.flatnonzero(rows)
    for impact, usage in _FOLLOW_ENERGY.items():
        if impact in disclosed or f"{impact}_{LOW}" not in impacts or (usage and f"{usage}_{LOW}" not in impacts):
            continue
        ends = {}
        for end in ENDS:
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(energy_before[end] > 0,
                                 impacts[f"energy_kwh_{end}"].to_numpy(dtype=float)[rows] / energy_before[end], 0.0)
            total = impacts[f"{impact}_{end}"].to_numpy(dtype=float)[rows]
            if usage is None:
                ends[end] = total * ratio
                continue
            part = impacts[f"{usage}_{end}"].to_numpy(dtype=float)[rows]
            impacts.iloc[positions, impacts.columns.get_loc(f"{usage}_{end}")] = part * ratio
            ends[end] = total - part + part * ratio
        ends[CENTRAL] = 0.5 * (ends[LOW] + ends[HIGH])
        for end in ENDS:
            impacts.iloc[positions, impacts.columns.get_loc(f"{impact}_{end}")] = ends[end]
        followed.append(impact)
    return followed


def check_basis(factors: FactorBase, product_text: str, basis: str) -> str:
    """The product id ``product_text`` names, once checked that ``basis`` (one of ``BASES``) can be
    its basis: the provider's disclosure and the envelope need at least one disclosed figure.
    Raises ``InputError`` in French (columns ``product``, ``basis``) with the closest products."""
    product_id = factors.product_id(product_text or "")
    if product_id is None:
        close = factors.suggest_products(product_text or "")
        hint = f" ; produits proches : {', '.join(close)}" if close else ""
        raise InputError([Problem(f"produit inconnu du catalogue{hint}", column="product", value=product_text)])
    if basis not in BASES:
        raise InputError([Problem(f"base inconnue (attendues : {', '.join(BASES)})", column="basis", value=basis)])
    if basis != ESTIMATE and not disclosures_for(factors, product_id):
        label = factors.product(product_id).label
        raise InputError([Problem(f"le fournisseur de « {label} » ne publie aucun chiffre : seule l'estimation est "
                                  "possible", column="basis", value=basis)])
    return product_id


def apply_bases(declarations: pd.DataFrame, workloads: pd.DataFrame, impacts: pd.DataFrame, factors: FactorBase,
                bases: Mapping[str, str]) -> tuple[pd.DataFrame, list[str]]:
    """The impacts of the declarations with each product's chosen basis applied (``bases``:
    product id -> one of ``BASES``; a product without a choice keeps our estimate), and a French
    sentence per product whose basis changed something.

    For each impact the provider discloses, the disclosed figure per message × the declaration's
    messages at each end (the workload's requests: low, and ``requests_high`` when the volume is a
    range): on the disclosure's basis, that range; on the envelope's, from the lower of it and our
    low to the higher of it and our high. The central value is the midpoint, as the engine's; the
    parts of an impact (usage, manufacturing) keep their shares of it; an impact the provider does
    not publish keeps our estimate. Vectorised over the declarations of each product."""
    chosen = {product: basis for product, basis in bases.items() if basis != ESTIMATE}
    if not chosen or "product" not in declarations or impacts.empty:
        return impacts, []
    impacts = impacts.copy()
    products = declarations["product"].astype("string").fillna("").to_numpy(dtype=object)
    is_llm = (declarations["kind"].astype("string") == "llm").fillna(False).to_numpy()
    requests = pd.to_numeric(workloads["requests"], errors="coerce").to_numpy(dtype=float)
    high_requests = pd.to_numeric(workloads.get("requests_high", pd.Series(np.nan, index=workloads.index)),
                                  errors="coerce").to_numpy(dtype=float)
    messages = {LOW: requests, HIGH: np.where(np.isnan(high_requests), requests, high_requests)}
    parts = {key: [i.key for i in (*IMPACTS, *USAGE_SPLIT) if i.part_of == key and f"{i.key}_{LOW}" in impacts]
             for key in IMPACT_UNITS}
    said = []
    for product_id, basis in chosen.items():
        rows = is_llm & (products == product_id)
        found = disclosures_for(factors, product_id)
        if not rows.any() or not found:
            continue
        by_impact: dict[str, list[float]] = {}
        for disclosure in found:
            by_impact.setdefault(disclosure.impact, []).append(disclosure.per_message(IMPACT_UNITS[disclosure.impact]))
        energy_before = {end: impacts[f"energy_kwh_{end}"].to_numpy(dtype=float)[rows] for end in ENDS}
        for impact, values in by_impact.items():
            disclosed = {LOW: min(values) * messages[LOW][rows], HIGH: max(values) * messages[HIGH][rows]}
            ours = {end: impacts[f"{impact}_{end}"].to_numpy(dtype=float)[rows] for end in ENDS}
            if basis == DISCLOSURE:
                new = dict(disclosed)
            else:
                new = {LOW: np.minimum(ours[LOW], disclosed[LOW]), HIGH: np.maximum(ours[HIGH], disclosed[HIGH])}
            new[CENTRAL] = 0.5 * (new[LOW] + new[HIGH])
            for end in ENDS:
                with np.errstate(divide="ignore", invalid="ignore"):
                    scale = np.where(ours[end] > 0, new[end] / ours[end], 0.0)
                for part in parts[impact]:
                    column = impacts.columns.get_loc(f"{part}_{end}")
                    impacts.iloc[np.flatnonzero(rows), column] = impacts[f"{part}_{end}"].to_numpy()[rows] * scale
                impacts.iloc[np.flatnonzero(rows), impacts.columns.get_loc(f"{impact}_{end}")] = new[end]
        followed = _follow_energy(impacts, rows, energy_before, by_impact) if "energy_kwh" in by_impact else []
        label = factors.product(product_id).label
        kept = [_LABELS[i.key] for i in IMPACTS if i.part_of is None and i.key not in by_impact
                and i.key not in followed]
        said.append(f"{label} : base « {BASIS_LABELS[basis]} » pour {', '.join(_LABELS[k] for k in by_impact)}"
                    + (f" ; {', '.join(kept)} : estimation (non publiés par le fournisseur)" if kept else "") + ".")
        if followed:
            said.append(f"{label} : {', '.join(_LABELS[k] for k in followed)} suivent l'énergie publiée (leur part "
                        "due à l'électricité est recalculée ; la fabrication reste estimée).")
    return impacts, said
