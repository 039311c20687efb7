"""The Usages importés page: a gateway's usage log (monthly declarations by service and model)
or a product's admin export (declarations by service and product) previewed, then imported; what
each file is and where it is downloaded; the months imported for a year, and the gateway's own
estimate beside ours.

Must not: import Streamlit, or write to the store except through ``import_log`` (the library's
imports of usage logs and admin exports).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from footprint.factors import FactorBase
from footprint.inventory import Inventory
from footprint.inventory.admin_exports import ADMIN_PRESETS, import_admin_export, read_admin_export, read_user_services
from footprint.inventory.usage_logs import PRESET_HELP, PRESETS, UNCOUNTED_KINDS, import_usage, parse_mapping
from footprint.io.formatting import format_number, format_range
from footprint.store import Store

__all__ = ["FORMAT_HELP", "PRESET_LABELS", "Imported", "gateway_comparison", "import_log", "is_admin_export",
           "usage_months"]

# Every format the page reads, as the form names it: the gateways' usage logs, then the products'
# admin exports; and what each file is and where it is downloaded (the library's words).
_PRESET_NAMES = {"generic": "Journal générique (CSV, Parquet, JSONL)", "openai": "OpenAI : CSV à plat",
                 "openai-usage-api": "OpenAI : API d'usage (JSON)", "litellm": "LiteLLM : journal des dépenses",
                 "albert": "Albert API / OpenGateLLM : table usage",
                 "m365-copilot": "Microsoft 365 Copilot : rapport d'usage",
                 "chatgpt-enterprise": "ChatGPT Enterprise ou Business : analytique de l'espace",
                 "mistral-admin": "Le Chat : usage par utilisateur (console Mistral)"}
PRESET_LABELS = {preset: _PRESET_NAMES.get(preset, preset) for preset in (*PRESETS, *ADMIN_PRESETS)}
FORMAT_HELP = {**PRESET_HELP, **ADMIN_PRESETS}


def is_admin_export(preset: str) -> bool:
    """Whether ``preset`` is a product's admin export (declarations by service × product) rather
    than a gateway's usage log (by month × service × model)."""
    return preset in ADMIN_PRESETS


@dataclass(frozen=True)
class Imported:
    """What a file gave, previewed or imported: its declarations (store columns), what the page
    says of it (French sentences), and the counts written (None for a preview)."""

    file_name: str
    declarations: pd.DataFrame
    said: tuple[str, ...]
    counts: dict[str, int] | None


def import_log(data: bytes, store: Store, factors: FactorBase, preset: str, name: str, *, service: str | None = None,
               mapping: str = "", hosting: str | None = None, services: tuple[bytes, str] | None = None,
               product: str | None = None, period_days: float | None = None, year: int | None = None,
               preview: bool = False) -> Imported:
    """Read a usage log or an admin export (all or nothing) and, unless ``preview``, import it.
    ``mapping``: the form's text, one ``nom_du_journal=fournisseur/modèle`` a line; ``services``:
    the bytes and name of a user -> service file, read, applied and discarded. A preview of a
    usage log imports it into a throwaway store, so that it says exactly what the import would."""
    user_services = read_user_services(services[0], name=services[1]) if services else None
    service = (service or "").strip() or None
    if is_admin_export(preset):
        options = {"services": user_services, "service": service, "product": product or None, "year": year,
                   "name": name, "period_days": period_days}
        if preview:
            export = read_admin_export(data, factors, preset, **options)
            counts = None
        else:
            export = import_admin_export(data, store, factors, preset, **options)
            counts = export.counts
        said = (f"{format_number(export.rows)} ligne(s), {format_number(export.active_users)} utilisateur(s) "
                f"actif(s) sur {format_number(export.users)}, regroupé(s) en {len(export.declarations)} "
                f"déclaration(s) par service et outil ; période de {format_number(export.period_days)} jours "
                f"ramenée à l'année {export.year} (× {format_number(export.scaling)}).",
                *((f"{format_number(export.unmapped_users)} utilisateur(s) absent(s) de la correspondance, "
                   "comptés dans le service par défaut.",) if export.unmapped_users else ()),
                *export.notes)
        return Imported(export.file_name, export.declarations, said, counts)
    pairs = [line.strip() for line in mapping.splitlines() if line.strip()]
    options = {"preset": preset, "service": service, "mapping": parse_mapping(pairs), "hosting": hosting,
               "name": name, "services": user_services}
    if preview:
        with tempfile.TemporaryDirectory(prefix="apercu-") as folder:
            result = import_usage(data, Store(Path(folder) / "apercu.duckdb"), factors, **options)
    else:
        result = import_usage(data, store, factors, **options)
    gwp = result.ours["gwp_kgco2e"]
    said = (f"{format_number(result.rows)} ligne(s) regroupée(s) en {len(result.declarations)} déclaration(s) "
            f"mensuelle(s) : {format_range(gwp['low'], gwp['central'], gwp['high'], 'kgCO2e')}.",
            *(f"{format_number(count)} {UNCOUNTED_KINDS.get(kind, kind)}, comptée(s) sans calcul."
              for kind, count in result.uncounted.items() if count))
    return Imported(result.file_name, result.declarations, said, None if preview else result.counts)


def usage_months(declarations: pd.DataFrame, year: int) -> pd.DataFrame:
    """Those of ``declarations`` in ``year`` that came from gateway logs (one per month, service and
    model) or admin exports (one per service and product), with their volumes."""
    origin = declarations["origin"].astype("string")
    from_logs = (origin.str.startswith("usage:") | origin.str.startswith("admin:")).fillna(False).to_numpy()
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
