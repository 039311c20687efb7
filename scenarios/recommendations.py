"""Sobriety and framing recommendations: for each declaration of the inventory, the sober
alternatives a service can really act on, what each would save, and what it takes, ranked by
kgCO2e saved; and, apart, the uses outside any framework to move to a framed tool.

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

Apart from these, « encadrer » (``frame_uses``, ``FramingRecommendation``): for each service ×
tool that the agents' survey found used through personal or free accounts, the move to a tool
the authority frames (the same product under its licence, another tool it provides, else the
catalogue's product hosted in France: Albert today), with the footprint change of the same
volume served by that tool, through the engine as above. Its motive is governance
(confidentiality, responsibility), not sobriety: it is ranked by the uses with personal or
confidential data, never mixed with the savings, and an increase is said as one.

Signs: a sober action is offered only when it saves greenhouse gases (GWP saving > 0); one that also
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
from footprint.inventory.survey import KEPT_SURVEY
from footprint.inventory.survey.extrapolate import COUNTED_ORIGINS
from footprint.inventory.survey.questions import UNKNOWN_TOOL
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


def _without_reasoning(declarations: pd.DataFrame, workloads: pd.DataFrame, factors: FactorBase
                       ) -> tuple[np.ndarray, pd.DataFrame]:
    """Which declarations have the reasoning mode on, and the workloads of all of them with it off
    (``workloads`` itself when none has it), through the same conversion."""
    reasoning = declarations["reasoning"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    if not reasoning.any():
        return reasoning, workloads
    return reasoning, to_workloads(declarations.assign(reasoning=False), factors).reset_index(drop=True)


def _switched(workloads: pd.DataFrame, without: pd.DataFrame, candidate: Product) -> pd.DataFrame:
    """The same messages, with the same lengths, served by ``candidate``'s models from its
    hosting: the rows of ``workloads``, or of ``without`` (the same declarations without the
    reasoning mode) when ``candidate`` has no reasoning mode (it writes no hidden tokens)."""
    reasons = f"{REASONING}_min" in candidate.parameters
    switched = (workloads if reasons else without).copy()
    switched["provider"], switched["model"] = candidate.provider, pd.NA
    switched["models"], switched["hosting"] = "|".join(candidate.models), candidate.hosting
    switched["zone"], switched["pue"], switched["wue"] = pd.NA, np.nan, np.nan
    switched["product"], switched["product_valid_from"] = candidate.product, float(candidate.valid_from)
    return switched


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
    reasoning, without = _without_reasoning(declarations, workloads, factors)
    if reasoning.any():
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
        switched = _switched(workloads, without, candidate)

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


# « Encadrer »: what a use through a personal or free account is moved to, code -> what people read.
FRAMING_TARGETS = MappingProxyType({
    "same_product": "le même outil, par la licence de la collectivité",
    "authority_tool": "un outil que la collectivité fournit déjà",
    "sovereign": "un outil du catalogue hébergé en France",
    "licence_to_buy": "le même outil, par une licence à acquérir",
    "outside_catalogue": "un outil fourni par la collectivité (outil actuel hors catalogue)",
})
# Each target -> its effort (a key of ``EFFORTS``).
FRAMING_EFFORTS = MappingProxyType({"same_product": "organisation", "authority_tool": "tool_change",
                                    "sovereign": "tool_change", "licence_to_buy": "procurement",
                                    "outside_catalogue": "procurement"})
PERSONAL = "personal"
LICENCE = "licence"
# Origins of a declaration whose product the authority administers (an admin export, its gateway).
ADMINISTERED_ORIGINS = tuple(COUNTED_ORIGINS)
FRAMING_MOTIVE = ("ce changement se justifie par l'encadrement (confidentialité, responsabilité), "
                  "pas par la sobriété")


@dataclass(frozen=True)
class FramingRecommendation:
    """Moving the uses of one tool through personal or free accounts, in one service, to a tool
    the authority frames (its licence, Albert): a recommendation of governance, not of
    sobriety. ``product``: the catalogue id used now (``UNKNOWN_TOOL`` for a tool outside the
    catalogue); ``target``: the catalogue id of the framed tool (None: outside the catalogue);
    ``basis``: a key of ``FRAMING_TARGETS``; ``effort``: a key of ``EFFORTS``; ``uses``: the
    survey's uses through those accounts (one per respondent, tool and purpose) and
    ``sensitive_*`` how many of them carry personal or confidential data (yes, unknown, no);
    footprint per year, central values of the engine: ``gwp_now_kgco2e`` of these uses now,
    ``gwp_change_kgco2e`` and ``energy_change_kwh`` the target's figure minus today's (> 0: the
    footprint grows), None when the survey's volume is not in the inventory (``not_counted``
    says why)."""

    service: str
    product: str
    tool: str
    target: str | None
    target_label: str | None
    basis: str
    effort: str
    declaration_ids: tuple[str, ...]
    uses: int
    sensitive_yes: int
    sensitive_unknown: int
    sensitive_no: int
    action: str
    reason: str
    assumption: str
    gwp_now_kgco2e: float | None
    gwp_change_kgco2e: float | None
    energy_change_kwh: float | None
    not_counted: str | None = None

    @property
    def effort_label(self) -> str:
        return EFFORTS[self.effort]

    @property
    def basis_label(self) -> str:
        return FRAMING_TARGETS[self.basis]

    @property
    def change(self) -> str:
        """What the move does to the footprint, in French, an increase said as one."""
        return footprint_change_text(self.gwp_change_kgco2e, self.energy_change_kwh, self.not_counted)

    def as_dict(self) -> dict:
        return asdict(self) | {"effort_label": self.effort_label, "basis_label": self.basis_label,
                               "change": self.change}


def footprint_change_text(gwp_change_kgco2e: float | None, energy_change_kwh: float | None = None,
                          not_counted: str | None = None) -> str:
    """« l'empreinte augmente de 12,4 kgCO2e par an : ce changement se justifie par l'encadrement
    (…), pas par la sobriété », « l'empreinte baisse aussi de 3,10 kgCO2e par an », « l'empreinte
    ne change pas » or « non chiffré : … »."""
    if gwp_change_kgco2e is None:
        return f"non chiffré : {not_counted or 'volume inconnu'}"
    energy = energy_change_kwh or 0.0
    if gwp_change_kgco2e > 0:
        more = f" (et {format_quantity(energy, 'kWh')} de plus)" if energy > 0 else ""
        return (f"l'empreinte augmente de {format_quantity(gwp_change_kgco2e, 'kgCO2e')} par an{more} : "
                f"{FRAMING_MOTIVE}")
    if gwp_change_kgco2e < 0:
        more = f", mais consomme {format_quantity(energy, 'kWh')} de plus" if energy > 0 else ""
        return f"l'empreinte baisse aussi de {format_quantity(-gwp_change_kgco2e, 'kgCO2e')} par an{more}"
    return "l'empreinte ne change pas"


def framed_products(inventory: Inventory, survey_groups: pd.DataFrame) -> set[str]:
    """The products the authority itself provides in the inventory's year: those its agents
    answered they use through « Licence ou compte fourni par la collectivité », those it declares
    with licences, and those of its admin exports and gateway logs."""
    groups = survey_groups[survey_groups["year"] == inventory.year] if len(survey_groups) else survey_groups
    provided = set(groups.loc[groups["account"] == LICENCE, "product"].astype(str)) if len(groups) else set()
    declarations = inventory.declarations
    if not declarations.empty:
        licences = pd.to_numeric(declarations["licences"], errors="coerce").fillna(0) > 0
        origin = declarations["origin"].astype("string").fillna("")
        administered = origin.str.startswith(ADMINISTERED_ORIGINS)
        chosen = declarations.loc[(licences | administered).to_numpy() & declarations["product"].notna().to_numpy()]
        provided |= set(chosen["product"].astype(str))
    return provided - {UNKNOWN_TOOL}


def frame_uses(inventory: Inventory, factors: FactorBase, survey_groups: pd.DataFrame) -> list[FramingRecommendation]:
    """For each service × tool that the agents' survey (``Store.survey_groups``) found used
    through personal or free accounts, the move to a framed tool and what it does to the
    footprint, ranked by what is at stake for governance: the uses with personal or confidential
    data first, then those whose answer is « je ne sais pas », then the most uses. Never mixed
    with the savings of ``recommend``: the footprint may grow.

    The target, in this order: the same product when the authority provides it (its licence);
    else, for an assistant (``llm``), the products the authority provides, or, without one, the
    catalogue's products hosted in the zone of the base's default hosting (``product_switch``'s
    rule: Albert today), the one whose engine figure is the lowest; else the same product through
    a licence to acquire. The change is that of ``product_switch``: the survey's declarations of
    the group as they are and served by the target, both through the engine (central values)."""
    year = inventory.year
    if survey_groups is None or survey_groups.empty:
        return []
    groups = survey_groups[(survey_groups["year"] == year).to_numpy()
                           & (survey_groups["account"] == PERSONAL).to_numpy()]
    if groups.empty:
        return []
    labels = _Labels(factors)
    provided = framed_products(inventory, survey_groups)
    catalogue = {p.product: p for p in factors.products(year)}
    home_zone = factors.hosting_zone(read_defaults().hosting)
    sovereign = [p for p in catalogue.values() if p.kind == "llm" and factors.hosting_zone(p.hosting) == home_zone]
    authority_tools = [catalogue[p] for p in sorted(provided) if p in catalogue and catalogue[p].kind == "llm"]

    declarations = inventory.declarations.reset_index(drop=True)
    wanted = set(groups["declaration_id"].dropna().astype(str))
    subset = declarations[declarations["id"].astype(str).isin(wanted).to_numpy()].reset_index(drop=True)
    position = {identifier: row for row, identifier in enumerate(subset["id"].astype(str))}
    workloads = to_workloads(subset, factors).reset_index(drop=True) if len(subset) else None

    # Each service × tool: its rows of ``subset``, its survey counts and its candidates.
    buckets = []
    for (service, product), group in groups.groupby(["service", "product"], sort=True):
        ids = tuple(sorted({str(i) for i in group["declaration_id"].dropna()} & set(position)))
        basis, candidates = _framing_candidates(catalogue.get(product), provided, authority_tools, sovereign)
        buckets.append((str(service), str(product), group, ids, basis, candidates))

    # The declarations as they are and served by each candidate, in one pass of the engine.
    switched_by: dict[str, int] = {}
    frames = []
    if workloads is not None:
        reasoning, without = _without_reasoning(subset, workloads, factors)
        frames.append(workloads)
        for *_, ids, basis, candidates in buckets:
            for candidate in candidates:
                if ids and basis not in ("same_product", "licence_to_buy") and candidate.product not in switched_by:
                    switched_by[candidate.product] = len(workloads) * len(frames)
                    frames.append(_switched(workloads, without, candidate))
        impacts = compute_impacts(pd.concat(frames, ignore_index=True), factors)
        gwp_all, energy_all = impacts["gwp_kgco2e_central"].to_numpy(), impacts["energy_kwh_central"].to_numpy()

    found = []
    for service, product, group, ids, basis, candidates in buckets:
        rows = np.array([position[i] for i in ids], dtype=int)
        tool = catalogue[product].label if product in catalogue else "outil hors catalogue"
        target, gwp_now, gwp_change, energy_change, not_counted = None, None, None, None, None
        if candidates and len(rows):
            gwp_now, energy_now = float(gwp_all[rows].sum()), float(energy_all[rows].sum())
            options = []
            same = basis in ("same_product", "licence_to_buy")  # the rows as they are: no change
            for candidate in candidates:
                start = 0 if same else switched_by[candidate.product]
                options.append((float(gwp_all[start + rows].sum()), candidate.label, candidate,
                                float(energy_all[start + rows].sum())))
            gwp_target, _, target, energy_target = min(options, key=lambda option: option[:2])
            gwp_change, energy_change = gwp_target - gwp_now, energy_target - energy_now
        elif candidates:
            target = min(candidates, key=lambda candidate: candidate.label)
            not_counted = _why_not_counted(group)
        else:
            not_counted = "outil hors catalogue, son volume n'est pas estimé"
        uses = int(group["respondents"].sum())
        found.append(FramingRecommendation(
            service, product, tool, target.product if target else None, target.label if target else None, basis,
            FRAMING_EFFORTS[basis], ids, uses, int(group["sensitive_yes"].sum()),
            int(group["sensitive_unknown"].sum()), int(group["sensitive_no"].sum()),
            _framing_action(basis, tool, target), _framing_reason(group, uses),
            _framing_assumption(basis, tool, target, labels, len(candidates)), gwp_now, gwp_change, energy_change,
            not_counted))
    found.sort(key=lambda r: (-r.sensitive_yes, -r.sensitive_unknown, -r.uses, r.service, r.tool))
    return found


def _framing_candidates(used: Product | None, provided: set[str], authority_tools: list[Product],
                        sovereign: list[Product]) -> tuple[str, list[Product]]:
    """The kind of target (a key of ``FRAMING_TARGETS``) and the framed products to compare for
    a product ``used`` through personal accounts (None: a tool outside the catalogue)."""
    if used is None:
        return "outside_catalogue", []
    if used.product in provided:
        return "same_product", [used]
    if used.kind == "llm":
        others = [p for p in authority_tools if p.product != used.product]
        if others:
            return "authority_tool", others
        others = [p for p in sovereign if p.product != used.product]
        if others:
            return "sovereign", others
    return "licence_to_buy", [used]


def _why_not_counted(group: pd.DataFrame) -> str:
    """Why a group of the survey has no declaration in the inventory: its volume is counted by
    an admin export or a gateway log (the survey's « kept »), or was not declared."""
    kept = [str(k) for k in group["kept"].dropna().unique() if str(k) != KEPT_SURVEY]
    if kept:
        return f"volume compté par ailleurs ({', '.join(sorted(kept))})"
    return "les déclarations de l'enquête ne sont plus dans l'inventaire"


def _framing_action(basis: str, tool: str, target: Product | None) -> str:
    if basis in ("same_product", "licence_to_buy"):
        licence = "la licence de la collectivité" if basis == "same_product" else "une licence de la collectivité"
        return f"Encadrer : fournir « {tool} » par {licence} au lieu de comptes personnels ou gratuits"
    if basis in ("authority_tool", "sovereign"):
        provided = ", fourni par la collectivité," if basis == "authority_tool" else ""
        return (f"Encadrer : passer à « {target.label} »{provided} au lieu de « {tool} » par des comptes personnels "
                "ou gratuits")
    return ("Encadrer : remplacer l'outil hors catalogue utilisé par des comptes personnels ou gratuits par un outil "
            "fourni par la collectivité")


def _framing_reason(group: pd.DataFrame, uses: int) -> str:
    """The survey's figures behind the move: the uses through personal or free accounts and how
    often personal or confidential data go in."""
    yes, unknown = int(group["sensitive_yes"].sum()), int(group["sensitive_unknown"].sum())
    plural = "s" if uses > 1 else ""
    text = (f"Enquête auprès des agents : {format_number(uses)} usage{plural} par un compte personnel ou gratuit "
            "(un par répondant, outil et finalité)")
    answered = yes + unknown + int(group["sensitive_no"].sum())
    if answered:
        text += (f" ; données personnelles ou documents confidentiels : « oui » pour {format_number(yes)} sur "
                 f"{format_number(answered)} ({_percent(yes / answered)} %)")
        if unknown:
            text += f", « je ne sais pas » pour {format_number(unknown)}"
    return text + "."


def _framing_assumption(basis: str, tool: str, target: Product | None, labels: _Labels, compared: int) -> str:
    if basis == "same_product":
        return ("Hypothèse : le même outil, pour le même volume ; seul le compte change (la collectivité fournit déjà "
                "cet outil : réponses « licence ou compte fourni par la collectivité » de l'enquête, licences "
                "déclarées ou export d'administration).")
    if basis == "licence_to_buy":
        return (f"Hypothèse : le catalogue a un seul profil pour « {tool} », quelle que soit l'offre : la même "
                "empreinte, seul le compte change ; demande l'achat d'une licence de la collectivité.")
    if basis in ("authority_tool", "sovereign"):
        why = ("un outil que la collectivité fournit déjà (réponses « licence ou compte fourni par la collectivité » "
               "de l'enquête, licences déclarées ou export d'administration)" if basis == "authority_tool" else
               "aucun outil fourni par la collectivité n'est connu : l'outil du catalogue hébergé en France")
        lowest = ", celui dont l'empreinte est la plus faible" if compared > 1 else ""
        return (f"Hypothèse : {why}{lowest} ; les mêmes messages, de même "
                f"longueur, servis par les modèles que le catalogue prête à « {target.label} », depuis son "
                f"hébergement (« {labels.hosting(target.hosting)} »).")
    return "Hypothèse : aucune ; l'outil utilisé n'est pas dans le catalogue, son empreinte n'est pas estimée."
