"""Sobriety recommendations: for each declaration of the inventory, the sober alternatives a
service can really act on, what each would save, and what it takes, ranked by kgCO2e saved.

Owns: the levers and when each is feasible, the effort each asks (``EFFORTS``), and the French
sentences that state an action, its assumption and its saving. Each alternative is the same
declaration changed in one way and run through the engine again (the saving is the engine's
figure of the declaration minus the engine's figure of the alternative, central values):

- turning a product's reasoning mode off (``reasoning`` declarations; the catalogue's hidden
  tokens no longer added) — a setting;
- shorter answers (the ``recommendation_shorter_answers`` constant) — a setting;
- for a model used through an API, the smaller model the use-case profile judges enough — a
  change of tool with the same provider, a procurement with another one; never for a product of
  the catalogue (someone who uses a SaaS tool has no model to choose) nor for a self-hosted
  model;
- for a product of the catalogue, a change of tool to a product of the catalogue hosted in the
  zone of the base's default hosting (France: Albert today), the same messages with the same
  lengths served by that product's models and hosting (without hidden reasoning tokens when that
  product has no reasoning mode); the best such product only;
- hosting in the base's default hosting (``read_defaults().hosting``, a French data centre) —
  a procurement; never for a product of the catalogue (its publisher chooses its hosting), nor
  for the authority's own equipment (``hosting_ownership`` « propre », or a self-hosted model
  with no hosting declared);
- pooling GPU jobs (the ``recommendation_pooled_utilization`` constant) — organisation;
- measuring what the authority runs itself (GPU jobs, tasks and self-hosted models on its own
  equipment) — organisation, no saving in itself.

Signs: an action is offered only when it saves greenhouse gases (GWP saving > 0); one that also
saves energy says so, one that uses more energy says it honestly (« évite X mais consomme Y de
plus », ``Recommendation.saving``); an action that would raise emissions is never offered, even
if it saves energy. No « évite » is ever followed by a negative number.

Words: what people read is a label of the factor base (use case, product, model with its
provider, hosting, GPU, task), never a code when a label exists.

Must not: read files, print, or hold a number (the ratios are rows of ``constants.csv``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from core.units import convert
from emission_factors.schema import read_defaults
from footprint.engine import compute_impacts
from footprint.engine.workloads import HIGH_END
from footprint.factors import FactorBase, Product
from footprint.inventory import Inventory
from footprint.inventory.declarations import to_workloads
from footprint.inventory.declarations.spellings import plain_key
from footprint.inventory.declarations.workloads import use_case_profiles
from footprint.io.formatting import format_number, format_quantity
from footprint.reporting.classification import ownership
from footprint.vocabulary import KIND_LABELS

# What an action takes, code -> what people read.
EFFORTS = MappingProxyType({"setting": "paramètre", "tool_change": "changement d'outil",
                            "procurement": "marché public", "organisation": "organisation"})
# Each lever -> its effort (a smaller model from another provider is a procurement, see below).
LEVERS = MappingProxyType({"reasoning_off": "setting", "shorter_answers": "setting", "smaller_model": "tool_change",
                           "product_switch": "tool_change", "hosting": "procurement", "pooling": "organisation",
                           "measure": "organisation"})
SELF_HOSTED = "self_hosted"
REASONING = "reasoning_tokens_per_output_token"
OWN = "propre"


@dataclass(frozen=True)
class Recommendation:
    """One action for one declaration. ``use_case`` and ``tool``: the labels of its use case
    (None when it has none) and of what it uses (product, model, GPU, task); ``lever``: a key of
    ``LEVERS``; ``effort``: a key of ``EFFORTS``; savings per year, central values, kgCO2e and
    kWh (``energy_saved_kwh`` < 0: the action uses more energy, as ``saving`` says)."""

    declaration_id: str
    service: str
    use_case: str | None
    tool: str
    lever: str
    effort: str
    action: str
    assumption: str
    gwp_saved_kgco2e: float
    energy_saved_kwh: float

    @property
    def effort_label(self) -> str:
        return EFFORTS[self.effort]

    @property
    def saving(self) -> str:
        """What it saves, in French, never a negative « évite »."""
        return saving_text(self.gwp_saved_kgco2e, self.energy_saved_kwh)

    def as_dict(self) -> dict:
        return asdict(self) | {"effort_label": self.effort_label, "saving": self.saving}


def saving_text(gwp_saved_kgco2e: float, energy_saved_kwh: float) -> str:
    """« évite 6,80 kgCO2e et 103 kWh par an », « évite 2,60 kgCO2e par an mais consomme 1,71
    kWh de plus », or, with no GWP saving, « améliore la précision de l'inventaire »."""
    if not gwp_saved_kgco2e > 0:
        return "améliore la précision de l'inventaire (aucune économie en soi)"
    gwp = format_quantity(gwp_saved_kgco2e, "kgCO2e")
    if energy_saved_kwh > 0:
        return f"évite {gwp} et {format_quantity(energy_saved_kwh, 'kWh')} par an"
    if energy_saved_kwh < 0:
        return f"évite {gwp} par an mais consomme {format_quantity(-energy_saved_kwh, 'kWh')} de plus"
    return f"évite {gwp} par an"


def best_actions(found: list[Recommendation]) -> list[Recommendation]:
    """The one action of each declaration that saves the most GWP (actions on one declaration
    are alternatives, not additions: summing this list counts each declaration once)."""
    best: dict[str, Recommendation] = {}
    for item in found:
        if item.gwp_saved_kgco2e > 0 and (item.declaration_id not in best
                                          or item.gwp_saved_kgco2e > best[item.declaration_id].gwp_saved_kgco2e):
            best[item.declaration_id] = item
    return sorted(best.values(), key=lambda r: -r.gwp_saved_kgco2e)


class _Labels:
    """The labels of the factor base, looked up once."""

    def __init__(self, factors: FactorBase):
        query = factors.con.execute
        self.factors = factors
        self.profiles = use_case_profiles(factors)
        # Each use case's code and label, as a plain key -> its profile (``profile_of``'s rule, once).
        self.profile_keys = {plain_key(name): row for row in self.profiles.itertuples(index=False)
                             for name in (row.use_case, row.label)}
        self.providers = dict(query("SELECT provider, label FROM providers").fetchall())
        self.hostings = dict(query("SELECT hosting, label FROM hosting_profiles").fetchall())
        self.gpus = dict(query("SELECT gpu, label FROM gpus").fetchall())
        self.tasks = dict(query("SELECT task, label FROM tasks").fetchall())

    def profile(self, value):
        """The use-case profile ``value`` names (its code or label), or None."""
        return self.profile_keys.get(plain_key(value)) if _given(value) else None

    def use_case(self, value) -> str | None:
        profile = self.profile(value)
        if profile is not None:
            return profile.label
        return value.strip() if _given(value) else None

    def model(self, provider, model) -> str:
        provider_label = self.providers.get(provider, provider)
        return f"{model} ({provider_label})" if _given(provider_label) else str(model)

    def product(self, product_id: str, year) -> Product:
        return self.factors.product(product_id, None if year is None or pd.isna(year) else int(year))

    def hosting(self, hosting) -> str:
        return self.hostings.get(hosting, hosting)

    def tools(self, workloads: pd.DataFrame) -> list[str]:
        """What each declaration uses: its product, else its model, its GPU, its task (each
        distinct combination looked up once)."""
        columns = [workloads[c].astype(object).where(workloads[c].notna(), None).tolist()
                   for c in ("product", "year", "kind", "provider", "model", "gpu", "task")]
        known: dict[tuple, str] = {}
        return [known.get(key) or known.setdefault(key, self._tool(*key)) for key in zip(*columns)]

    def _tool(self, product, year, kind, provider, model, gpu, task) -> str:
        if _given(product):
            return self.product(product, year).label
        if kind == "llm" and _given(model):
            return self.model(provider, model)
        if kind == "gpu" and _given(gpu):
            return self.gpus.get(gpu, gpu)
        if kind == "task" and _given(task):
            return self.tasks.get(task, task)
        return KIND_LABELS.get(kind, str(kind))


def _given(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _percent(fraction: float) -> str:
    """A fraction as a whole percentage (0.42 → « 42 »)."""
    return f"{convert(fraction, 'dimensionless', 'percent'):.0f}"


def recommend(inventory: Inventory, factors: FactorBase) -> list[Recommendation]:
    """Every feasible sober alternative of every declaration, largest GWP saving first (the
    measurements, which save nothing in themselves, last)."""
    declarations = inventory.declarations.reset_index(drop=True)
    if declarations.empty:
        return []
    workloads = to_workloads(declarations, factors).reset_index(drop=True)
    labels = _Labels(factors)
    tools = labels.tools(workloads)
    use_case_values = declarations["use_case"].astype(object).where(declarations["use_case"].notna(), None).tolist()
    use_cases = [labels.use_case(value) for value in use_case_values]
    ids, services = declarations["id"].astype(str).tolist(), declarations["service"].astype(str).tolist()
    is_llm = (workloads["kind"] == "llm").to_numpy()
    has_product = workloads["product"].notna().to_numpy()
    provider = workloads["provider"].astype("string")
    self_hosted = (provider == SELF_HOSTED).fillna(False).to_numpy()
    current_hosting = factors.hostings_of(declarations)
    own = (ownership(declarations, factors) == OWN) | (self_hosted & ~has_product
                                                     & np.array([h is None for h in current_hosting]))
    # Each alternative: the rows it changes, their changed workloads, its lever, and what gives,
    # for a row, its action, its assumption and its effort (``LEVERS[lever]`` when None).
    pending: list[tuple] = []

    def add(mask: np.ndarray, changed: pd.DataFrame, lever: str, action: Callable[[int], str],
            assumption: Callable[[int], str], effort: Callable[[int], str] | None = None) -> None:
        rows = np.flatnonzero(mask)
        if len(rows):
            pending.append((rows, changed.iloc[rows], lever, action, assumption, effort))

    # 1. Reasoning mode off: the same declaration without it, through the same conversion.
    reasoning = declarations["reasoning"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    without = workloads
    if reasoning.any():
        plain = declarations.copy()
        plain["reasoning"] = False
        without = to_workloads(plain, factors).reset_index(drop=True)
        add(reasoning, without, "reasoning_off",
            lambda r: "Désactiver le mode raisonnement quand il n'est pas utile",
            lambda r: "Hypothèse : sans le mode raisonnement, l'outil n'écrit plus les tokens de réflexion "
                      "cachés que le catalogue lui prête ; à réserver aux questions qui en ont besoin.")

    # 2. Shorter answers.
    shorter_ratio = factors.constant("recommendation_shorter_answers").m
    shorter = workloads.copy()
    for column in ("output_tokens_per_request", HIGH_END["output_tokens_per_request"]):
        shorter[column] = shorter[column] * shorter_ratio
    add(is_llm, shorter, "shorter_answers",
        lambda r: "Demander des réponses plus courtes",
        lambda r: f"Hypothèse : une consigne de concision (réglage de l'outil ou consigne type) réduit "
                  f"d'environ {_percent(1 - shorter_ratio)} % les tokens générés.")

    # 3. A smaller model, for a model used through an API, where the use-case profile names one.
    sufficient_by_use = dict(factors.con.execute("SELECT use_case, sufficient_model FROM use_cases").fetchall())
    profiles = [labels.profile(value) for value in use_case_values]
    sufficient = pd.Series([sufficient_by_use.get(p.use_case) if p is not None else None for p in profiles],
                           dtype="string")
    target = sufficient.fillna("").str.partition("/")
    api_model = is_llm & ~has_product & ~self_hosted & sufficient.notna().to_numpy()
    smaller = workloads.copy()
    smaller["provider"] = np.where(api_model, target[0], smaller["provider"])
    smaller["model"] = np.where(api_model, target[2], smaller["model"])
    changed = ((smaller["model"] != workloads["model"]) | (smaller["provider"] != workloads["provider"])).fillna(True)
    to_provider, to_model, from_provider = target[0].tolist(), target[2].tolist(), provider.tolist()
    add(api_model & changed.to_numpy(), smaller, "smaller_model",
        lambda r: f"Changer de modèle : « {labels.model(to_provider[r], to_model[r])} » au lieu de "
                  f"« {tools[r]} »",
        lambda r: f"Hypothèse : pour « {use_cases[r]} », un modèle plus petit suffit (jugement Empreinte IA, "
                  "à vérifier sur quelques cas réels avant de changer).",
        lambda r: "tool_change" if to_provider[r] == from_provider[r] else "procurement")

    # 4. A product of the catalogue: another product, hosted where the base's default hosting is.
    default_hosting = read_defaults().hosting
    home_zone = factors.hosting_zone(default_hosting)
    year = inventory.year
    candidates = [p for p in factors.products(year)
                  if p.kind == "llm" and factors.hosting_zone(p.hosting) == home_zone]
    # A product without a reasoning mode writes no hidden tokens: its messages are those of the
    # declaration without that mode. Only the best product of each declaration is kept (below).
    for candidate in candidates:
        mask = is_llm & has_product & (workloads["product"] != candidate.product).fillna(False).to_numpy()
        reasons = f"{REASONING}_min" in candidate.parameters
        switched = (workloads if reasons else without).copy()
        switched["provider"], switched["model"] = candidate.provider, pd.NA
        switched["models"], switched["hosting"] = "|".join(candidate.models), candidate.hosting
        switched["zone"], switched["pue"], switched["wue"] = pd.NA, np.nan, np.nan
        switched["product"], switched["product_valid_from"] = candidate.product, float(candidate.valid_from)

        def switch_action(r: int, c: Product = candidate) -> str:
            return f"Changer d'outil : « {c.label} » au lieu de « {tools[r]} »"

        def switch_assumption(r: int, c: Product = candidate, reasons: bool = reasons) -> str:
            hidden = ("" if reasons or not reasoning[r] else
                      " Cet outil n'a pas de mode raisonnement : il n'écrit pas de tokens de réflexion cachés.")
            return (f"Hypothèse : les mêmes messages, de même longueur, servis par les modèles que le catalogue "
                    f"prête à « {c.label} », depuis son hébergement (« {labels.hosting(c.hosting)} ») ; à vérifier "
                    f"sur quelques cas réels avant de changer.{hidden}")

        add(mask, switched, "product_switch", switch_action, switch_assumption)

    # 5. Hosting in the base's default hosting (a French data centre), where the authority chooses it.
    label, zone, pue_low, pue_high = factors.con.execute(
        "SELECT label, zone, pue_min, pue_max FROM hosting_profiles WHERE hosting = ?", [default_hosting]).fetchall()[0]
    pue_text = (format_number(pue_low) if pue_low == pue_high
                else f"{format_number(pue_low)} à {format_number(pue_high)}")
    movable = ~has_product & ~own & np.array([h != default_hosting for h in current_hosting])
    moved = workloads.copy()
    moved["hosting"], moved["zone"], moved["pue"], moved["wue"] = default_hosting, pd.NA, np.nan, np.nan
    add(movable, moved, "hosting",
        lambda r: f"Changer d'hébergement : « {label} »"
                  + (f" au lieu de « {labels.hosting(current_hosting[r])} »" if current_hosting[r] else ""),
        lambda r: f"Hypothèse : le même usage servi depuis ce profil d'hébergement (électricité de la zone "
                  f"{zone}, PUE de {pue_text}, ceux du profil « {label} » de la base de facteurs) ; "
                  "demande un changement de prestataire.")

    # 6. Pooling GPU jobs to a higher utilisation (same work in fewer hours).
    pooled_utilization = factors.constant("recommendation_pooled_utilization").m
    utilization = pd.to_numeric(workloads["utilization"], errors="coerce")
    pooled = workloads.copy()
    low_use = ((workloads["kind"] == "gpu") & (utilization < pooled_utilization)).fillna(False).to_numpy()
    pooled.loc[low_use, "hours"] = workloads.loc[low_use, "hours"] * utilization[low_use] / pooled_utilization
    pooled.loc[low_use, "utilization"] = pooled_utilization
    add(low_use, pooled, "pooling",
        lambda r: f"Regrouper les traitements GPU pour les occuper à {_percent(pooled_utilization)} %",
        lambda r: f"Hypothèse : le même travail, mutualisé, occupe les GPU à {_percent(pooled_utilization)} % "
                  f"au lieu de {_percent(float(utilization[r]))} %, donc moins longtemps.")

    # The declarations as they are and every alternative, in one pass of the engine (its own
    # figures: an inventory may show a provider's published figures for a product, and a saving
    # compares like with like).
    count = len(workloads)
    impacts = compute_impacts(pd.concat([workloads, *(p[1] for p in pending)], ignore_index=True), factors)
    gwp_all, energy_all = impacts["gwp_kgco2e_central"].to_numpy(), impacts["energy_kwh_central"].to_numpy()
    found: list[Recommendation] = []
    start = count
    for rows, _, lever, action, assumption, effort in pending:
        stop = start + len(rows)
        gwp = gwp_all[rows] - gwp_all[start:stop]
        energy = np.where(np.isclose(energy_all[rows], energy_all[start:stop]), 0.0,
                          energy_all[rows] - energy_all[start:stop])
        start = stop
        found += [Recommendation(ids[row], services[row], use_cases[row], tools[row], lever,
                                 effort(row) if effort else LEVERS[lever], action(row), assumption(row),
                                 float(gwp[position]), float(energy[position]))
                  for position, row in enumerate(rows) if gwp[position] > 0]
    found.sort(key=lambda r: -r.gwp_saved_kgco2e)
    # One change of product per declaration: the one that saves the most.
    switched_already: set[str] = set()
    kept: list[Recommendation] = []
    for item in found:
        if item.lever == "product_switch":
            if item.declaration_id in switched_already:
                continue
            switched_already.add(item.declaration_id)
        kept.append(item)
    found = kept

    # 7. Measuring what the authority runs itself (no saving in itself: a better figure to steer by).
    kind = workloads["kind"]
    runs_itself = ((kind == "gpu").to_numpy()
                   | (kind.isin(["task", "llm"]).to_numpy() & ~has_product & (own | self_hosted)))
    for row in np.flatnonzero(runs_itself):
        found.append(Recommendation(
            ids[row], services[row], use_cases[row], tools[row], "measure", LEVERS["measure"],
            "Mesurer ce traitement avec « python -m footprint measure »",
            "Le chiffre de l'inventaire est une estimation pour un traitement que la collectivité exécute "
            "elle-même : une mesure le remplacerait par sa consommation réelle.", 0.0, 0.0))
    return found
