"""The Usages importés page: a gateway's usage log imported as monthly declarations, the months
imported for a year, and the gateway's own estimate beside ours.

Must not: import Streamlit, or write to the store except through ``import_log`` (the library's
import of usage logs).
"""

from __future__ import annotations

import pandas as pd

from footprint.factors import FactorBase
from footprint.inventory import Inventory
from footprint.inventory.usage_logs import PRESETS, UsageImport, import_usage, parse_mapping
from footprint.store import Store

__all__ = ["PRESET_LABELS", "gateway_comparison", "import_log", "usage_months"]

# The formats of usage logs the library reads, as the form names them.
_PRESET_NAMES = {"generic": "générique", "openai": "OpenAI", "albert": "Albert / OpenGateLLM"}
PRESET_LABELS = {preset: _PRESET_NAMES.get(preset, preset) for preset in PRESETS}


def import_log(data: bytes, store: Store, factors: FactorBase, preset: str, service: str | None, mapping: str,
               hosting: str | None, name: str) -> UsageImport:
    """Import a usage log (all or nothing). ``mapping``: the form's text, one
    ``nom_du_journal=fournisseur/modèle`` a line; an empty ``service`` is none."""
    pairs = [line.strip() for line in mapping.splitlines() if line.strip()]
    return import_usage(data, store, factors, preset=preset, service=service or None, mapping=parse_mapping(pairs),
                        hosting=hosting, name=name)


def usage_months(declarations: pd.DataFrame, year: int) -> pd.DataFrame:
    """Those of ``declarations`` in ``year`` that came from gateway logs (one per month, service and
    model), with their requests and tokens."""
    from_logs = declarations["origin"].astype("string").str.startswith("usage:").fillna(False).to_numpy()
    return declarations[from_logs & (declarations["year"] == year).to_numpy()].reset_index(drop=True)


def gateway_comparison(inventory: Inventory) -> pd.DataFrame:
    """For each declaration imported from gateway logs: our range beside the gateway's (kWh, kgCO2e)."""
    declarations = inventory.declarations
    mask = declarations["gateway_kwh_min"].notna().to_numpy() | declarations["gateway_kgco2e_min"].notna().to_numpy()
    impacts = inventory.impacts[mask]
    chosen = declarations[mask]
    return pd.DataFrame({
        "id": chosen["id"].to_numpy(), "service": chosen["service"].to_numpy(),
        "cas_usage": chosen["use_case"].to_numpy(),
        "modele": (chosen["provider"].astype("string") + "/" + chosen["model"].astype("string")).to_numpy(),
        "requetes": chosen["requests"].to_numpy(), "tokens_sortie": chosen["output_tokens"].to_numpy(),
        "kwh_empreinte_ia": impacts["energy_kwh_central"].to_numpy(),
        "kwh_passerelle_min": chosen["gateway_kwh_min"].to_numpy(),
        "kwh_passerelle_max": chosen["gateway_kwh_max"].to_numpy(),
        "kgco2e_empreinte_ia": impacts["gwp_kgco2e_central"].to_numpy(),
        "kgco2e_passerelle_min": chosen["gateway_kgco2e_min"].to_numpy(),
        "kgco2e_passerelle_max": chosen["gateway_kgco2e_max"].to_numpy(),
    })
