"""``python -m footprint scenarios list|save|delete|run|history``: the trajectories of the
inventory to the horizon of ``schema.toml`` [defaults] (2030 today, 2050 at most), under the
built-in scenarios (``read_defaults().scenarios``) and the collectivité's own ones, against the
SNBC path or its PCAET target, with what sobriety avoids (``read_defaults().compare``: the sober
scenario of the pair).

Owns: the options of the group and what it prints (text, ``--json`` or a French ``--csv``).
Must not: project or check a scenario itself (``scenarios`` does).
"""

from __future__ import annotations

import argparse
import json

from cli.arguments import (
    add_db_options,
    add_group,
    add_output_options,
    inventory_year,
    parse_year,
    store_and_factors,
    store_of,
)
from cli.output import print_impacts_csv
from core.errors import InputError, Problem
from core.units import convert
from emission_factors.schema import read_defaults
from footprint.vocabulary import ENDS_FR, FILE_COLUMNS, IMPACT_COLUMNS_FR, LABELS, STORE_COLUMNS

COMMAND = "scenarios"

# ``scenarios run --by``: the French columns a group is named by.
GROUP_BY = [FILE_COLUMNS[c] for c in ("kind", "service", "use_case")]
_ACTIONS = (("list", "lister les scénarios"), ("save", "enregistrer un scénario personnalisé (TOML)"),
            ("delete", "supprimer un scénario personnalisé"), ("run", "projeter l'inventaire"),
            ("history", "versions enregistrées des scénarios personnalisés"))


def add_parsers(commands: argparse._SubParsersAction, parser_class: type) -> None:
    """The ``scenarios`` group and its actions."""
    built_in = ", ".join(read_defaults().scenarios)
    actions = add_group(commands, parser_class, "scenarios", f"trajectoires à {read_defaults().horizon} : {built_in}",
                        f"Scénarios de déploiement de l'IA jusqu'en {read_defaults().horizon} (ou au plus "
                        f"{read_defaults().horizon_range[1]}).")
    for name, text in _ACTIONS:
        parser = actions.add_parser(name, help=text)
        add_db_options(parser, creates=name == "save")
        if name == "save":
            parser.add_argument("file", metavar="FICHIER")
        if name == "delete":
            parser.add_argument("id", metavar="ID")
        if name == "history":
            parser.add_argument("id", nargs="?", metavar="ID")
            parser.add_argument("--version", help="afficher le fichier TOML de cette version (avec ID)")
        if name == "run":
            _run_options(parser, built_in)


def _run_options(parser: argparse.ArgumentParser, built_in: str) -> None:
    parser.add_argument("--scenario", action="append", metavar="ID",
                        help=f"scénario à projeter (répétable ; par défaut les scénarios intégrés : {built_in})")
    parser.add_argument("--file", action="append", metavar="FICHIER",
                        help="scénario personnalisé non enregistré (TOML, répétable)")
    parser.add_argument("--year", help="année d'inventaire de départ (par défaut la plus récente)")
    horizon, (_, last) = read_defaults().horizon, read_defaults().horizon_range
    parser.add_argument("--to", default=str(horizon), help=f"dernière année ({horizon} par défaut, au plus {last})")
    parser.add_argument("--by", choices=GROUP_BY, help="détailler par groupe")
    parser.add_argument("--target-reduction", help="objectif du PCAET : baisse en %% des émissions")
    parser.add_argument("--target-year", help="année de l'objectif du PCAET (par défaut la dernière)")
    add_output_options(parser, "une liste d'objets JSON")


def run(args: argparse.Namespace) -> int:
    return {"list": _list, "save": _save, "delete": _delete, "run": _run, "history": _history}[args.action](args)


def _list(args) -> int:
    store, factors = store_and_factors(args)
    from scenarios.definitions import BUILT_IN, LEVERS, available

    for scenario in available(store).values():
        kind = "intégré" if scenario.id in BUILT_IN else "personnalisé"
        print(f"{scenario.id} ({kind}) — {scenario.label} : {scenario.description}")
        for lever in scenario.levers.values():
            percent = LEVERS[lever.name].unit != "dimensionless" or lever.name != "grid_trend"
            suffix = " %/an" if LEVERS[lever.name].unit == "1 / year" else " %"
            shown = [f"{convert(v, 'dimensionless', 'percent'):g}{suffix}".replace("-", "−").replace(".", ",")
                     if percent else ("oui" if v else "non") for v in lever.values]
            values = shown[0] if len(lever.years) == 1 else ", ".join(
                f"{y} : {v}" for y, v in zip(lever.years, shown))
            target = f" → {lever.target}" if lever.target else ""
            print(f"    {LEVERS[lever.name].label} : {values}{target}")
    return 0


def _save(args) -> int:
    from pathlib import Path

    from scenarios.definitions import load_scenario, save_custom

    store, factors = store_and_factors(args, write=True)
    scenario = load_scenario(args.file)
    version = save_custom(store, scenario, Path(args.file).read_text(encoding="utf-8"), factors)
    print(f"Scénario « {scenario.id} » enregistré (version {version} ; les précédentes : scenarios history "
          f"{scenario.id}).")
    return 0


def _history(args) -> int:
    store = store_of(args, write=False)
    history = store.scenario_history(args.id)
    if args.version is not None and not args.id:
        raise InputError([Problem("précisez le scénario (ID) dont vous voulez une version", column="--version",
                                  value=args.version)])
    if args.id and history.empty:
        raise InputError([Problem("scénario personnalisé inconnu (les scénarios intégrés n'ont pas d'historique)",
                                  column="ID", value=args.id)])
    if args.version is not None:
        try:
            version = int(args.version.strip().lstrip("vV"))
        except ValueError:
            raise InputError([Problem("numéro de version attendu (1, 2…)", column="--version",
                                      value=args.version)]) from None
        chosen = history[history["version"] == version]
        if chosen.empty:
            raise InputError([Problem(f"version inconnue (versions : {', '.join(map(str, history['version']))})",
                                      column="--version", value=args.version)])
        print(chosen["definition"].iloc[0], end="" if chosen["definition"].iloc[0].endswith("\n") else "\n")
        return 0
    if history.empty:
        print("Aucun scénario personnalisé enregistré.")
        return 0
    for row in history.to_dict("records"):
        state = " [supprimé]" if row["deleted"] else ""
        print(f"{row['id']} v{row['version']}  {row['changed_at']:%Y-%m-%d %H:%M}  {row['changed_by']}  "
              f"{row['action']} — {row['label']}{state}")
    if args.id:
        print(f"Le fichier d'une version : python -m footprint scenarios history {args.id} --version N")
    return 0


def _delete(args) -> int:
    store, _ = store_and_factors(args, write=True, new=False)
    if not store.delete_scenario(args.id):
        raise InputError([Problem("scénario personnalisé inconnu (les scénarios intégrés ne se suppriment pas)",
                                  column="ID", value=args.id)])
    print(f"Scénario « {args.id} » supprimé.")
    return 0


def _chosen(args, store) -> list:
    """The scenarios asked for (``--scenario``, ``--file``; by default the built-in ones), each once."""
    from scenarios.definitions import BUILT_IN, available, load_scenario

    known = available(store)
    chosen = []
    for identifier in args.scenario or ([] if args.file else list(BUILT_IN)):
        if identifier not in known:
            raise InputError([Problem(f"scénario inconnu (connus : {', '.join(known)})", column="--scenario",
                                      value=identifier)])
        chosen.append(known[identifier])
    for path in args.file or []:
        chosen.append(load_scenario(path))
    ids = [s.id for s in chosen]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise InputError([Problem("scénario demandé deux fois (ou fichier qui reprend l'id d'un autre) : chaque "
                                  "scénario une seule fois", column="--scenario", value=i) for i in twice])
    return chosen


def _check_target_options(args) -> None:
    if (args.json or args.csv) and (args.target_reduction or args.target_year):
        raise InputError([Problem("l'objectif s'affiche dans la sortie texte ; retirez --json ou --csv",
                                  column="--target-reduction")])
    if args.target_year and not args.target_reduction:
        raise InputError([Problem("précisez aussi la baisse visée (--target-reduction)", column="--target-year",
                                  value=args.target_year)])


def _target(args, projection, inventory_year: int):
    """The emissions allowed each year and the name of that path: the PCAET target typed
    (``--target-reduction`` by ``--target-year``), else the SNBC path of the factor base."""
    reduction = None
    if args.target_reduction is not None:
        try:
            reduction = float(str(args.target_reduction).replace(",", ".").rstrip("%")) / 100
        except ValueError:
            raise InputError([Problem("pourcentage attendu", column="--target-reduction",
                                      value=args.target_reduction)]) from None
        if not 0 < reduction < 1:
            raise InputError([Problem("baisse attendue entre 0 et 100 %", column="--target-reduction",
                                      value=args.target_reduction)])
    target_year = parse_year(args.target_year, "--target-year") if args.target_year else None
    if target_year is not None and target_year <= inventory_year:
        raise InputError([Problem(f"année de l'objectif postérieure à l'inventaire ({inventory_year}) attendue",
                                  column="--target-year", value=target_year)])
    snbc = convert(projection.snbc_annual_change, "dimensionless", "percent")
    label = (f"objectif PCAET −{convert(reduction, 'dimensionless', 'percent'):g} %" if reduction
             else f"trajectoire SNBC ({snbc:+g} %/an)".replace("-", "−").replace(".", ","))
    return projection.target_path(reduction, target_year), label


def _run(args) -> int:
    from footprint.inventory import compute_inventory
    from scenarios.definitions import check_targets
    from scenarios.projection import OUTPUT, project

    store, factors = store_and_factors(args)
    chosen = _chosen(args, store)
    _check_target_options(args)
    for scenario in chosen:
        check_targets(scenario, factors)
    inventory = compute_inventory(store, factors, inventory_year(args.year, store))
    projection = project(inventory, chosen, factors, parse_year(args.to, "--to"))
    totals = projection.totals(args.by)
    group = ["group"] if args.by else []
    if args.json:
        records = [{"scenario": row["scenario"], "year": row["year"]} | {g: row[g] for g in group}
                   | {key: {end: float(row[f"{key}_{end}"]) for end in ENDS_FR} for key in OUTPUT
                      if key in IMPACT_COLUMNS_FR} for row in totals.to_dict("records")]
        print(json.dumps(records, ensure_ascii=False, indent=2, allow_nan=False))
        return 0
    if args.csv:
        print_impacts_csv(["scenario", "annee"] + (["groupe"] if args.by else []), (
            ([row["scenario"], row["year"]] + [row[g] for g in group], lambda k, e, row=row: row[f"{k}_{e}"])
            for row in totals.to_dict("records")))
        return 0
    _print_projection(args, chosen, inventory, projection, totals, factors)
    return 0


def _print_projection(args, chosen, inventory, projection, totals, factors) -> None:
    """The text of ``scenarios run``: central GWP by year and scenario beside the target, the
    groups of the last year (``--by``), the totals of the period and what sobriety avoids."""
    from footprint.io.formatting import format_number, format_quantity

    target, target_label = _target(args, projection, inventory.year)
    print(f"Projection de l'inventaire {inventory.year} ({len(inventory.declarations)} déclarations), base de "
          f"facteurs {projection.factor_base_version}. Émissions de GES par an, valeur centrale (fourchettes : "
          "--json ou --csv) :")
    print(f"  {'année':<6}" + "".join(f"{s.label:>24}" for s in chosen) + f"{target_label:>34}")
    # Central GWP by year (rows) and scenario (columns).
    gwp = projection.totals().pivot(index="year", columns="scenario", values="gwp_kgco2e_central")
    for t, year in enumerate(projection.years):
        cells = "".join(f"{format_quantity(gwp.loc[year, s.id], 'kgCO2e'):>24}" for s in chosen)
        print(f"  {year:<6}" + cells + f"{format_quantity(target[t], 'kgCO2e'):>34}")
    if args.by:
        last = int(projection.years[-1])
        print(f"Par {LABELS[STORE_COLUMNS[args.by]].lower()} en {last} (GES, valeur centrale) :")
        grouped = totals[totals["year"] == last]
        for scenario in chosen:
            rows = grouped[grouped["scenario"] == scenario.id].sort_values("gwp_kgco2e_central", ascending=False)
            parts = ", ".join(f"{row.group} {format_quantity(row.gwp_kgco2e_central, 'kgCO2e')}"
                              for row in rows.itertuples(index=False))
            print(f"  {scenario.label} : {parts}")
    cumulative = projection.cumulative().set_index("scenario")
    print("Cumul sur la période :")
    for scenario in chosen:
        row = cumulative.loc[scenario.id]
        over = int((gwp[scenario.id].to_numpy() > target * 1.0001).sum())
        print(f"  {scenario.label:<14} {format_quantity(row['gwp_kgco2e_central'], 'kgCO2e'):>14}, "
              f"{format_quantity(row['energy_kwh_central'], 'kWh'):>12} ; au-dessus de la cible {over} année(s)")
    ids = [s.id for s in chosen]
    sober = read_defaults().compare[0]
    if sober in ids and len(ids) > 1:
        km = factors.con.execute("SELECT gwp_per_unit FROM equivalences WHERE equivalence = 'voiture_thermique'"
                                 ).fetchall()[0][0]
        for other in (i for i in ids if i != sober):
            saving = projection.saving(sober, other)
            avoided, energy = saving["gwp_kgco2e"]["central"], saving["energy_kwh"]["central"]
            print(f"La sobriété évite, par rapport au scénario {other} : {format_quantity(avoided, 'kgCO2e')} et "
                  f"{format_quantity(energy, 'kWh')} sur la période, soit {format_number(avoided / km)} km en "
                  "voiture thermique (ADEME Impact CO2).")
    for warning in projection.warnings + inventory.warnings:
        print(f"  ! {warning}")
