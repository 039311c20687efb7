"""What the dashboard pages show, as plain tables and values computed without Streamlit: the
headline figures of a year, breakdowns, equivalences, energy classes, top workloads, the
declaration tables with French headers, the scenario series, the factor tables, and the
validation of what is typed in a form or a table editor.

Must not: import Streamlit or Plotly, hold a number of its own (they come from the engine
and the factor base), or write to the store except through ``Store`` methods called by the
functions whose name says so (``save_*``).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from core.errors import InputError, Problem
from core.units import ureg
from footprint.engine import ENDS
from footprint.factors import FactorBase
from footprint.inventory import GROUPINGS, NOT_GIVEN, Inventory, group_labels
from footprint.inventory.declarations import (
    FRENCH_COLUMNS,
    KINDS_FR,
    check,
    history_changes,
    normalise_names,
    parse_record,
    plain_key,
    records_frame,
    to_workloads,
)
from footprint.io.formatting import format_number, format_quantity, format_range
from footprint.io.tabular import is_missing
from footprint.store import Store
from scenarios.definitions import LEVERS, Scenario, parse_scenario
from scenarios.projection import Projection, zones

BREAKDOWNS = {"service": "Service", "cas_usage": "Cas d'usage", "modele": "Modèle ou ressource",
              "zone": "Zone électrique", "type": "Type"}
KIND_LABELS = {"llm": "IA générative (requêtes)", "gpu": "Heures de GPU", "task": "Tâches à l'unité",
               "measured": "Énergie mesurée"}
# The headline indicators: impact key, French label, unit of the PCAET report (shown, then as Pint
# reads it), and the engine's unit of the key.
HEADLINE = (("energy_kwh", "Énergie", "MWh", "MWh", "kWh"),
            ("gwp_kgco2e", "Émissions de GES", "tCO2e", "tCO2e", "kgCO2e"),
            ("water_l", "Eau consommée", "m³", "m**3", "L"),
            ("adpe_kgsbeq", "Ressources abiotiques (ADPe)", "kgSbeq", "kgSbeq", "kgSbeq"))


# -- years and problems --------------------------------------------------------------------------


def inventory_years(declarations: pd.DataFrame) -> list[int]:
    """Years that have at least one of the active ``declarations``, latest first."""
    return sorted(declarations["year"].dropna().astype(int).unique().tolist(), reverse=True)


def problems_table(error: InputError) -> pd.DataFrame:
    """The problems of an ``InputError`` as a French table (file, line, column, value, why)."""
    return pd.DataFrame([{"Fichier": p.file or "", "Ligne": "" if p.line is None else str(p.line),
                          "Colonne": p.column or "", "Valeur": "" if is_missing(p.value) else str(p.value),
                          "Problème": p.message} for p in error.problems])


# -- synthesis -----------------------------------------------------------------------------------


def labels(inventory: Inventory, factors: FactorBase, by: str) -> pd.Series:
    """The group of each declaration of the inventory for a breakdown of ``BREAKDOWNS``."""
    declarations = inventory.declarations
    if by == "zone":
        found = pd.Series(zones(declarations, factors), index=declarations.index).replace("", None)
    elif by == "type":
        found = declarations["kind"].map(KIND_LABELS)
    else:
        found = group_labels(declarations)[GROUPINGS[by]]
    return found.astype("string").fillna(NOT_GIVEN)


def headline(inventory: Inventory) -> list[dict]:
    """The four headline figures in the units of the PCAET report (label, unit, value), with their
    range in the most readable unit, in French."""
    total = inventory.total()
    shown = []
    for key, label, unit, pint_unit, engine_unit in HEADLINE:
        low, central, high = (total[key][end] for end in ENDS)
        value = ureg.Quantity(central, engine_unit).m_as(pint_unit)
        shown.append({"label": label, "unit": unit, "value": format_number(value),
                      "range": "soit " + format_range(low, central, high, engine_unit)})
    return shown


def breakdown(inventory: Inventory, factors: FactorBase, by: str) -> pd.DataFrame:
    """Totals by group, largest GWP first: group, declarations, tCO2e (low, central, high), MWh, m³."""
    groups = labels(inventory, factors, by).to_numpy()
    impacts = inventory.impacts
    columns = ["gwp_kgco2e_low", "gwp_kgco2e_central", "gwp_kgco2e_high", "energy_kwh_central", "water_l_central"]
    summed = impacts[columns].groupby(groups, sort=False).sum()
    counts = pd.Series(groups).value_counts()
    table = pd.DataFrame({
        "groupe": summed.index.astype(str),
        "declarations": counts.reindex(summed.index).to_numpy(),
        "tco2e_bas": summed["gwp_kgco2e_low"].to_numpy() / 1000,
        "tco2e": summed["gwp_kgco2e_central"].to_numpy() / 1000,
        "tco2e_haut": summed["gwp_kgco2e_high"].to_numpy() / 1000,
        "mwh": summed["energy_kwh_central"].to_numpy() / 1000,
        "eau_m3": summed["water_l_central"].to_numpy() / 1000,
    })
    return table.sort_values("tco2e", ascending=False, kind="stable").reset_index(drop=True)


def equivalences(gwp_kgco2e: float, factors: FactorBase, names: tuple[str, ...] | None = None) -> pd.DataFrame:
    """What ``gwp_kgco2e`` equals in everyday terms (ADEME Impact CO2 factors of the base)."""
    table = factors.con.execute("SELECT equivalence, label, gwp_per_unit FROM equivalences").df()
    if names:
        table = table.set_index("equivalence").loc[list(names)].reset_index()
    table["quantite"] = gwp_kgco2e / table["gwp_per_unit"]
    table["texte"] = [f"{format_number(q)} {label}" for q, label in zip(table["quantite"], table["label"])]
    return table[["equivalence", "label", "quantite", "texte"]]


def energy_classes(inventory: Inventory, factors: FactorBase) -> pd.DataFrame:
    """Energy class (compar:IA scale, A–F) of each generative model of the inventory, from the
    energy it used per million output tokens in the declared use."""
    declarations = inventory.declarations
    is_llm = (declarations["kind"] == "llm").to_numpy()
    if not is_llm.any():
        return pd.DataFrame(columns=["modele", "tokens_sortie", "wh_par_million_tokens", "classe", "libelle"])
    workloads = to_workloads(declarations[is_llm].reset_index(drop=True), factors)
    tokens = (workloads["requests"] * workloads["output_tokens_per_request"]).to_numpy(dtype=float)
    energy = inventory.impacts.loc[is_llm, "energy_kwh_central"].to_numpy(dtype=float)
    model = (workloads["provider"].astype(str) + "/" + workloads["model"].astype(str)).to_numpy()
    per_model = pd.DataFrame({"modele": model, "tokens_sortie": tokens, "kwh": energy}).groupby(
        "modele", sort=False).sum().reset_index()
    per_model = per_model[per_model["tokens_sortie"] > 0]
    per_model["wh_par_million_tokens"] = per_model["kwh"] * 1000 / (per_model["tokens_sortie"] / 1e6)
    scale = factors.con.execute("SELECT energy_class, label, lower_bound FROM energy_classes ORDER BY lower_bound"
                                ).fetchall()
    bounds = np.array([row[2] for row in scale])
    position = np.searchsorted(bounds, per_model["wh_par_million_tokens"].to_numpy(), side="right") - 1
    per_model["classe"] = [scale[max(p, 0)][0] for p in position]
    per_model["libelle"] = [scale[max(p, 0)][1] for p in position]
    return per_model.drop(columns="kwh").sort_values("wh_par_million_tokens").reset_index(drop=True)


def energy_class_scale(factors: FactorBase) -> str:
    """The energy-class scale as the Synthèse states it (« A : moins de 100 Wh … F : 10 000 Wh ou
    plus »), read from the factor base's table."""
    scale = factors.con.execute("SELECT energy_class, lower_bound FROM energy_classes ORDER BY lower_bound").fetchall()
    if len(scale) < 2:
        return ""
    return (f"{scale[0][0]} : moins de {format_number(scale[1][1])} Wh par million de tokens de sortie … "
            f"{scale[-1][0]} : {format_number(scale[-1][1])} Wh ou plus")


def measured_share(inventory: Inventory) -> dict[str, float]:
    """Share of the year's central GWP and energy that was measured rather than estimated."""
    measured = (inventory.declarations["kind"] == "measured").to_numpy()
    shares = {}
    for key in ("gwp_kgco2e", "energy_kwh"):
        values = inventory.impacts[f"{key}_central"].to_numpy(dtype=float)
        total = values.sum()
        shares[key] = float(values[measured].sum() / total) if total > 0 else 0.0
    return shares


def top_workloads(inventory: Inventory, factors: FactorBase, count: int = 10) -> pd.DataFrame:
    """The ``count`` declarations with the largest central GWP."""
    impacts = inventory.impacts
    table = pd.DataFrame({
        "id": inventory.declarations["id"].to_numpy(),
        "service": inventory.declarations["service"].to_numpy(),
        "cas_usage": inventory.declarations["use_case"].astype("string").fillna(NOT_GIVEN).to_numpy(),
        "modele": labels(inventory, factors, "modele").to_numpy(),
        "kgco2e": impacts["gwp_kgco2e_central"].to_numpy(),
        "kgco2e_bas": impacts["gwp_kgco2e_low"].to_numpy(),
        "kgco2e_haut": impacts["gwp_kgco2e_high"].to_numpy(),
        "kwh": impacts["energy_kwh_central"].to_numpy(),
        "eau_l": impacts["water_l_central"].to_numpy(),
    })
    return table.nlargest(count, "kgco2e").reset_index(drop=True)


SYNTHESIS_EQUIVALENCES = ("voiture_thermique", "tgv", "streaming_video", "courriel", "smartphone")


def synthesis(inventory: Inventory, factors: FactorBase) -> dict:
    """Everything the Synthèse page shows for one inventory: headline figures, equivalences of the
    central GWP, measured shares, the four breakdowns, the top workloads and the energy classes."""
    gwp = inventory.total()["gwp_kgco2e"]["central"]
    return {"headline": headline(inventory), "equivalences": equivalences(gwp, factors, SYNTHESIS_EQUIVALENCES),
            "measured_share": measured_share(inventory),
            "breakdowns": {by: breakdown(inventory, factors, by) for by in ("service", "cas_usage", "modele", "zone")},
            "top": top_workloads(inventory, factors), "classes": energy_classes(inventory, factors)}


# -- declarations ----------------------------------------------------------------------------------

# Store column -> what the dashboard's tables call it.
DISPLAY_COLUMNS = {
    "id": "Identifiant", "year": "Année", "service": "Service", "use_case": "Cas d'usage", "kind": "Type",
    "provider": "Fournisseur", "model": "Modèle", "hosting": "Hébergement", "zone": "Zone", "agents": "Agents",
    "requests_per_agent_per_day": "Requêtes par agent et par jour", "days_per_year": "Jours par an",
    "requests": "Requêtes par an", "input_tokens_per_request": "Tokens d'entrée par requête",
    "output_tokens_per_request": "Tokens de sortie par requête", "input_tokens": "Tokens d'entrée par an",
    "output_tokens": "Tokens de sortie par an", "gpu": "GPU", "gpus": "Nombre de GPU", "hours": "Heures par an",
    "utilization": "Taux d'utilisation", "pue": "PUE", "wue": "WUE (L/kWh)", "task": "Tâche",
    "units": "Unités par an", "energy_kwh": "Énergie mesurée (kWh)", "owner": "Responsable",
    "personal_data": "Données personnelles", "ai_act_risk": "Risque (AI Act)",
    "human_oversight": "Supervision humaine", "comment": "Commentaire", "origin": "Origine",
    "gateway_kwh_min": "Passerelle : kWh (bas)", "gateway_kwh_max": "Passerelle : kWh (haut)",
    "gateway_kgco2e_min": "Passerelle : kgCO2e (bas)", "gateway_kgco2e_max": "Passerelle : kgCO2e (haut)",
}
EDITABLE = [c for c in DISPLAY_COLUMNS if c not in ("id", "origin") and not c.startswith("gateway_")]


def declarations_table(declarations: pd.DataFrame) -> pd.DataFrame:
    """Declarations with French headers and kinds, for display and the table editor."""
    table = declarations.reindex(columns=list(DISPLAY_COLUMNS))  # a file read may lack the audit columns
    table["kind"] = table["kind"].map(KINDS_FR).fillna(table["kind"])
    return table.rename(columns=DISPLAY_COLUMNS).reset_index(drop=True)


def validate_declarations(rows: list[dict], factors: FactorBase, origin: str) -> pd.DataFrame:
    """Rows typed in a form or table editor (store column names) checked exactly like an import;
    ``InputError`` naming the row (« ligne » = position in the table, from 1) and the column."""
    problems: list[Problem] = []
    records = []
    for position, values in enumerate(rows, start=1):
        typed = {column: None if is_missing(value) else value for column, value in values.items()}
        parsed = parse_record(typed, origin, position, problems)
        records.append(parsed)
    if problems:
        raise InputError(problems)
    frame = records_frame(records)
    check(frame, factors, origin)
    return normalise_names(frame, factors)


def save_form(values: dict, store: Store, factors: FactorBase) -> str:
    """Validate and save one declaration typed in the form; returns its new identifier."""
    try:
        frame = validate_declarations([values], factors, "formulaire")
    except InputError as error:
        # A form has no file nor line: name the field as the form labels it.
        english = {french: column for column, french in FRENCH_COLUMNS.items()}
        raise InputError([Problem(p.message, column=DISPLAY_COLUMNS.get(english.get(p.column, p.column), p.column),
                                  value=p.value) for p in error.problems]) from None
    store.save(frame, action="saisie")
    return store.last_ids[0]


def save_edits(original: pd.DataFrame, edited: pd.DataFrame, store: Store, factors: FactorBase,
               expected_versions: dict[str, int] | None = None) -> dict[str, int]:
    """Save the rows changed in the table editor (``edited`` has the French headers of
    ``declarations_table``); every changed row is validated, and nothing is written if one is bad.

    Only the columns the editor edits are written: the others (a gateway's own estimate, say)
    keep their stored values. ``expected_versions`` (id -> version shown in the editor): a row
    changed meanwhile by someone else is not overwritten (``StoreConflict``, nothing written)."""
    english = {label: column for column, label in DISPLAY_COLUMNS.items()}
    before = original.rename(columns=english).set_index("id")
    after = edited.rename(columns=english).set_index("id")
    changed = [i for i in after.index if any(_differs(before.at[i, c], after.at[i, c]) for c in EDITABLE)]
    if not changed:
        return {"created": 0, "modified": 0, "unchanged": len(after)}
    # Kinds stay in French (llm, gpu, tache, mesure): the checks read them as a file's would be.
    rows = [{"id": i, "origin": before.at[i, "origin"]} | {c: after.at[i, c] for c in EDITABLE} for i in changed]
    frame = validate_declarations(rows, factors, "tableau")
    expected = None if expected_versions is None else {i: expected_versions[i] for i in changed
                                                        if i in expected_versions}
    return store.save(frame, action="saisie", columns=["id", "origin", *EDITABLE], expected_versions=expected)


def _differs(old: object, new: object) -> bool:
    """Whether a cell of the table editor changed (empty text is no value; numbers to 1e-12)."""
    old, new = (None if is_missing(v) or str(v).strip() == "" else v for v in (old, new))
    if old is None or new is None:
        return (old is None) != (new is None)
    try:
        return not np.isclose(float(old), float(new), rtol=1e-12, atol=0)
    except (TypeError, ValueError):
        return str(old) != str(new)


def history_table(store: Store, declaration_id: str | None = None) -> pd.DataFrame:
    """Every version of the declarations, newest first, with what changed in French."""
    rows = [{"Identifiant": row["id"], "Version": int(row["version"]),
             "Date": pd.Timestamp(row["changed_at"]).strftime("%d/%m/%Y %H:%M"), "Par": row["changed_by"],
             "Action": row["action"], "Changements": "; ".join(row["changes"])}
            for row in history_changes(store.history(declaration_id), DISPLAY_COLUMNS)]
    return pd.DataFrame(rows[::-1], columns=["Identifiant", "Version", "Date", "Par", "Action", "Changements"])


def deleted_declarations(store: Store) -> pd.DataFrame:
    declarations = store.declarations(include_deleted=True)
    return declarations_table(declarations[declarations["deleted"].fillna(False)])


# -- usage logs and measurements -----------------------------------------------------------------------


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


def measurement_runs(runs: pd.DataFrame, active_ids: set[str], factors: FactorBase) -> pd.DataFrame:
    """The measured ``runs`` (``Store.measurements``) of the active declarations, with the
    calibration against the estimate."""
    from footprint.measurement import calibration

    runs = runs[runs["declaration_id"].isin(active_ids)].reset_index(drop=True)
    if runs.empty:
        return pd.DataFrame(columns=["run_id", "nom", "service", "declaration", "debut", "duree_min", "kwh",
                                     "kgco2e", "materiel", "etat", "calibration"])
    notes = []
    for row in runs.to_dict("records"):
        try:
            notes.append(" ; ".join(calibration(row, factors)))
        except InputError as error:
            notes.append(str(error))
    hardware = [", ".join(str(v) for v in (cpu, gpu) if not is_missing(v))
                for cpu, gpu in zip(runs["cpu_model"], runs["gpu_model"])]
    return pd.DataFrame({
        "run_id": runs["run_id"], "nom": runs["name"], "service": runs["service"],
        "declaration": runs["declaration_id"],
        "debut": pd.to_datetime(runs["started_at"]).dt.tz_convert("Europe/Paris").dt.strftime("%d/%m/%Y %H:%M"),
        "duree_min": runs["duration_s"] / 60, "kwh": runs["energy_kwh"], "kgco2e": runs["gwp_kgco2e"],
        "materiel": hardware, "etat": runs["status"], "calibration": notes})


def measure_command(name: str, service: str, year: int, command: str, task: str | None = None,
                    units: float | None = None) -> str:
    """The exact command line that measures a job with CodeCarbon and records it in the store."""
    import shlex

    parts = [".venv/bin/python", "-m", "footprint", "measure", "--name", name, "--service", service,
             "--year", str(year)]
    if task:
        parts += ["--task", task]
    if units:
        parts += ["--units", format(units, "g")]
    return " ".join(shlex.quote(p) for p in parts) + " -- " + (command or "python mon_traitement.py")


# -- scenarios -------------------------------------------------------------------------------------


def trajectories(projection: Projection, target: np.ndarray) -> pd.DataFrame:
    """GWP by scenario and year in tCO2e (low, central, high) with the target path."""
    totals = projection.totals()
    labels_by_id = {s.id: s.label for s in projection.scenarios}
    table = pd.DataFrame({"scenario": totals["scenario"].map(labels_by_id), "annee": totals["year"],
                          "tco2e_bas": totals["gwp_kgco2e_low"] / 1000, "tco2e": totals["gwp_kgco2e_central"] / 1000,
                          "tco2e_haut": totals["gwp_kgco2e_high"] / 1000, "mwh": totals["energy_kwh_central"] / 1000})
    path = pd.DataFrame({"scenario": "Trajectoire cible", "annee": projection.years.astype(int),
                         "tco2e_bas": target / 1000, "tco2e": target / 1000, "tco2e_haut": target / 1000,
                         "mwh": np.nan})
    return pd.concat([table, path], ignore_index=True)


def by_kind(projection: Projection, scenario_id: str) -> pd.DataFrame:
    """Central GWP (tCO2e) of one scenario by kind of workload and year, for stacked areas."""
    totals = projection.totals("type")
    chosen = totals[totals["scenario"] == scenario_id]
    kinds = {KINDS_FR[k]: label for k, label in KIND_LABELS.items()}
    return pd.DataFrame({"annee": chosen["year"], "type": chosen["group"].map(lambda g: kinds.get(g, g)),
                         "tco2e": chosen["gwp_kgco2e_central"] / 1000}).reset_index(drop=True)


def savings(projection: Projection, factors: FactorBase, sober: str = "sobre", other: str = "intensif") -> dict:
    """What ``sober`` avoids over the period compared with ``other``: tCO2e, MWh and equivalences."""
    saving = projection.saving(sober, other)
    gwp = saving["gwp_kgco2e"]["central"]
    return {"tco2e": gwp / 1000, "tco2e_bas": saving["gwp_kgco2e"]["low"] / 1000,
            "tco2e_haut": saving["gwp_kgco2e"]["high"] / 1000, "mwh": saving["energy_kwh"]["central"] / 1000,
            "equivalences": equivalences(gwp, factors, ("voiture_thermique", "tgv", "streaming_video"))}


# The levers offered as sliders: (lever, label, unit shown, slider bounds in that unit).
SLIDERS = (("volume_growth", "Croissance annuelle des volumes", "%/an", -20.0, 60.0),
           ("small_model_share", "Part des tokens servie par un petit modèle en fin de période", "%", 0.0, 100.0),
           ("french_hosting_share", "Part hébergée en France en fin de période", "%", 0.0, 100.0),
           ("efficiency_gain", "Gain d'efficacité annuel du matériel et des modèles", "%/an", 0.0, 30.0),
           ("pue_change", "Évolution annuelle du PUE", "%/an", -10.0, 10.0))


def slider_values(scenario: Scenario, to_year: int) -> dict[str, float]:
    """The value of each slider lever in ``scenario`` (end value for shares), in percent."""
    return {name: float(scenario.lever(name).at(np.array([to_year]))[0]) * 100 for name, *_ in SLIDERS}


def derive_scenario(base: Scenario, identifier: str, label: str, values: dict[str, float], start_year: int,
                    to_year: int, author: str) -> tuple[Scenario, str]:
    """A custom scenario: ``base`` with the slider levers set to ``values`` (percent); shares move
    linearly from 0 in the inventory year to their value in ``to_year``. Returns the scenario and
    its TOML text (what the store keeps and what ``scenarios save`` reads)."""
    identifier = identifier.strip()
    if not identifier or not identifier.replace("-", "").replace("_", "").isalnum() or not identifier.isascii():
        raise InputError([Problem("identifiant attendu : lettres sans accents, chiffres, - ou _", column="id",
                                  value=identifier)])
    source = f"Choix de la collectivité ({author}), dérivé du scénario « {base.label} » dans le tableau de bord"
    levers = {name: _lever_fields(lever) for name, lever in base.levers.items()}
    for name, *_ in SLIDERS:
        value = values[name] / 100
        spec = LEVERS[name]
        chosen = {"value": value} if not spec.target else {
            "path": {start_year: 0.0, to_year: value}, "target": _target(base, name)}
        levers[name] = chosen | {"unit": spec.unit, "source": source}
    lines = [f"id = {_toml(identifier)}", f"label = {_toml(label.strip() or identifier)}",
             f"description = {_toml(f'Dérivé de « {base.label} » : ' + base.description)}"]
    for name, fields in levers.items():
        lines += ["", f"[levers.{name}]"] + [f"{field} = {_toml(value)}" for field, value in fields.items()]
    text = "\n".join(lines) + "\n"
    return parse_scenario(text, f"{identifier} (tableau de bord)", identifier), text


def _lever_fields(lever) -> dict:
    """A lever of a scenario as the fields of its TOML table."""
    fields = {"value": lever.values[0]} if len(lever.years) == 1 else {"path": dict(zip(lever.years, lever.values))}
    return fields | ({"target": lever.target} if lever.target else {}) | {"unit": LEVERS[lever.name].unit,
                                                                          "source": lever.source}


def _toml(value: object) -> str:
    """A TOML value: a basic string, a float, or an inline table of years."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{year} = {float(v)!r}" for year, v in value.items()) + " }"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON string escapes are TOML's
    return repr(float(value))


def _target(base: Scenario, lever: str) -> str:
    """Where a share lever moves usage: the base scenario's target, else a built-in scenario's."""
    from scenarios.definitions import built_in_scenarios

    for scenario in (base, *built_in_scenarios()):
        if lever in scenario.levers and scenario.levers[lever].target:
            return scenario.levers[lever].target
    raise InputError([Problem("aucune cible connue pour ce levier", column=lever)])


# -- factors ---------------------------------------------------------------------------------------


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


def overrides_table(store: Store) -> pd.DataFrame:
    """The authority's own values in force, in French."""
    overrides = store.factor_overrides()
    return pd.DataFrame({
        "Identifiant": overrides["id"], "Table": overrides["table_name"],
        "Élément": overrides["key"].map(key_label),
        "Paramètre": overrides["parameter"], "Valeur": overrides["value"], "Unité": overrides["unit"],
        "Justification": overrides["justification"], "Par": overrides["created_by"],
        "Le": pd.to_datetime(overrides["created_at"]).dt.strftime("%d/%m/%Y")})


# -- form ------------------------------------------------------------------------------------------


def form_options(factors: FactorBase, default_year: int) -> dict:
    """Choices offered by the declaration form, from the factor base, with French labels."""
    con = factors.con
    models = [f"{p}/{m}" for p, m in con.execute("SELECT provider, model FROM models ORDER BY provider, model"
                                                  ).fetchall()]
    return {
        "year": default_year,
        "use_cases": dict(con.execute("SELECT use_case, label FROM use_cases ORDER BY label").fetchall()),
        "hostings": dict(con.execute("SELECT hosting, label FROM hosting_profiles ORDER BY label").fetchall()),
        "tasks": dict(con.execute("SELECT task, label FROM tasks ORDER BY label").fetchall()),
        "gpus": factors.gpus(),
        "models": models,
        "model": "mistralai/mistral-small-latest" if "mistralai/mistral-small-latest" in models else models[0],
    }


def declaration_impact(inventory: Inventory, identifier: str) -> str:
    """One declaration's yearly GWP and energy in French, e.g. « 12,3 kgCO2e et 210 kWh par an »."""
    rows = np.flatnonzero(inventory.declarations["id"].to_numpy() == identifier)
    if not len(rows):
        return "hors de l'année affichée"
    impacts = inventory.impacts.iloc[rows[0]]
    gwp = format_range(impacts["gwp_kgco2e_low"], impacts["gwp_kgco2e_central"], impacts["gwp_kgco2e_high"], "kgCO2e")
    return f"{gwp} et {format_quantity(impacts['energy_kwh_central'], 'kWh')} par an"


# -- recommendations -------------------------------------------------------------------------------


def recommendations_table(found: list) -> pd.DataFrame:
    """The ranked recommendations as a table (kgCO2e and kWh saved per year)."""
    return pd.DataFrame([{"rang": rank, "declaration": r.declaration_id, "service": r.service, "action": r.action,
                          "kgco2e_evites": r.gwp_saved_kgco2e, "kwh_evites": r.energy_saved_kwh,
                          "hypothese": r.assumption} for rank, r in enumerate(found, start=1)],
                        columns=["rang", "declaration", "service", "action", "kgco2e_evites", "kwh_evites",
                                 "hypothese"])
