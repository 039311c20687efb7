"""Command-line handlers for ``python -m footprint scenarios …``, ``recommend`` and
``export pcaet``: the scenarios room (``scenarios``) and the export tables, driven from the
command line (``cli.main`` builds the parser and handles errors).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys

from cli.arguments import add_db_options, add_output_options, open_store, parse_year
from core.errors import InputError, Problem
from footprint.vocabulary import ENDS_FR, IMPACT_COLUMNS_FR


def add_parsers(commands: argparse._SubParsersAction, parser_class: type) -> None:
    scenarios = commands.add_parser("scenarios", help="trajectoires à 2030 : sobre, tendanciel, intensif",
                                    description="Scénarios de déploiement de l'IA jusqu'en 2030 (ou 2050).")
    actions = scenarios.add_subparsers(dest="action", metavar="action", parser_class=parser_class)
    actions.required = True
    for name, text in (("list", "lister les scénarios"), ("save", "enregistrer un scénario personnalisé (TOML)"),
                       ("delete", "supprimer un scénario personnalisé"), ("run", "projeter l'inventaire"),
                       ("history", "versions enregistrées des scénarios personnalisés")):
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
            parser.add_argument("--scenario", action="append", metavar="ID",
                                help="scénario à projeter (répétable ; par défaut les trois scénarios intégrés)")
            parser.add_argument("--file", action="append", metavar="FICHIER",
                                help="scénario personnalisé non enregistré (TOML, répétable)")
            parser.add_argument("--year", help="année d'inventaire de départ (par défaut la plus récente)")
            parser.add_argument("--to", default="2030", help="dernière année (2030 par défaut, au plus 2050)")
            parser.add_argument("--by", choices=["type", "service", "cas_usage"], help="détailler par groupe")
            parser.add_argument("--target-reduction", help="objectif du PCAET : baisse en %% des émissions")
            parser.add_argument("--target-year", help="année de l'objectif du PCAET (par défaut la dernière)")
            add_output_options(parser, "une liste d'objets JSON")
    export = commands.add_parser("export", help="export PCAET et BEGES (CSV ou XLSX, note méthodologique)",
                                 description="Exports réglementaires.")
    kinds = export.add_subparsers(dest="action", metavar="export", parser_class=parser_class)
    kinds.required = True
    pcaet = kinds.add_parser("pcaet", help="les tableaux du PCAET et du BEGES, avec leurs sources",
                             description="Synthèse par année, scénario, poste BEGES et secteur PCAET ; détail par "
                                         "déclaration ; sources ; indicateurs de suivi ; note méthodologique.")
    pcaet.add_argument("--year", help="année d'inventaire (par défaut la plus récente)")
    pcaet.add_argument("--scenarios", default="all",
                       help="scénarios projetés : all (par défaut), none, ou des identifiants séparés par des virgules")
    pcaet.add_argument("--to", default="2030", help="dernière année projetée (2030 par défaut)")
    pcaet.add_argument("--out", help="fichier de synthèse (par défaut export-pcaet-ANNÉE.csv ou .xlsx)")
    pcaet.add_argument("--force", action="store_true", help="remplacer les fichiers de l'export s'ils existent déjà")
    pcaet.add_argument("--format", choices=["csv", "xlsx"], help="par défaut selon l'extension de --out, sinon csv")
    pcaet.add_argument("--separator", default=";", help="séparateur CSV (; par défaut)")
    pcaet.add_argument("--decimal", default=",", help="séparateur décimal CSV (, par défaut)")
    pcaet.add_argument("--collectivite", default="Collectivité", help="nom de la collectivité dans les fichiers")
    pcaet.add_argument("--export-date", help="date inscrite dans l'export (AAAA-MM-JJ ; par défaut aujourd'hui)")
    add_db_options(pcaet, creates=False)

    recommend = commands.add_parser("recommend", help="recommandations de sobriété, classées par tCO2e évitées",
                                    description="Alternatives sobres de chaque déclaration et ce qu'elles éviteraient.")
    recommend.add_argument("--year", help="année d'inventaire (par défaut la plus récente)")
    add_db_options(recommend, creates=False)
    recommend.add_argument("--json", action="store_true", help="une liste d'objets JSON")


def _inventory_year(text: str | None, store) -> int:
    """The year asked for, else the latest year of the inventory."""
    if text is not None:
        return parse_year(text, "--year")
    years = store.declarations()["year"].dropna()
    if years.empty:
        raise InputError([Problem("inventaire vide : déclarez d'abord des usages", column="--year")])
    return int(years.max())


def _context(args, write: bool = False, new: bool = True):
    """The store (read-only unless ``write``) and the factor base with the store's own values of
    the collectivité applied."""
    from footprint.factors import load_with_overrides

    store = open_store(args.db, write=write, create=getattr(args, "create", False), new=new)
    return store, load_with_overrides(store)


def run(args: argparse.Namespace) -> int:
    if args.command == "recommend":
        return _recommend(args)
    if args.command == "export":
        return _export(args)
    return {"list": _list, "save": _save, "delete": _delete, "run": _run, "history": _history}[args.action](args)


def _list(args) -> int:
    store, factors = _context(args)
    from scenarios.definitions import BUILT_IN, LEVERS, available

    for scenario in available(store).values():
        kind = "intégré" if scenario.id in BUILT_IN else "personnalisé"
        print(f"{scenario.id} ({kind}) — {scenario.label} : {scenario.description}")
        for lever in scenario.levers.values():
            percent = LEVERS[lever.name].unit != "dimensionless" or lever.name != "grid_trend"
            suffix = " %/an" if LEVERS[lever.name].unit == "1 / year" else " %"
            shown = [f"{v * 100:g}{suffix}".replace("-", "−").replace(".", ",") if percent
                     else ("oui" if v else "non") for v in lever.values]
            values = shown[0] if len(lever.years) == 1 else ", ".join(
                f"{y} : {v}" for y, v in zip(lever.years, shown))
            target = f" → {lever.target}" if lever.target else ""
            print(f"    {LEVERS[lever.name].label} : {values}{target}")
    return 0


def _save(args) -> int:
    from pathlib import Path

    from scenarios.definitions import load_scenario, save_custom

    store, factors = _context(args, write=True)
    scenario = load_scenario(args.file)
    version = save_custom(store, scenario, Path(args.file).read_text(encoding="utf-8"), factors)
    print(f"Scénario « {scenario.id} » enregistré (version {version} ; les précédentes : scenarios history "
          f"{scenario.id}).")
    return 0


def _history(args) -> int:
    store = open_store(args.db, write=False)
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
    store, _ = _context(args, write=True, new=False)
    if not store.delete_scenario(args.id):
        raise InputError([Problem("scénario personnalisé inconnu (les scénarios intégrés ne se suppriment pas)",
                                  column="ID", value=args.id)])
    print(f"Scénario « {args.id} » supprimé.")
    return 0


def _run(args) -> int:
    from footprint.inventory import compute_inventory
    from footprint.io.formatting import format_number, format_quantity
    from scenarios.definitions import BUILT_IN, available, check_targets, load_scenario
    from scenarios.projection import OUTPUT, project

    store, factors = _context(args)
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
    if (args.json or args.csv) and (args.target_reduction or args.target_year):
        raise InputError([Problem("l'objectif s'affiche dans la sortie texte ; retirez --json ou --csv",
                                  column="--target-reduction")])
    if args.target_year and not args.target_reduction:
        raise InputError([Problem("précisez aussi la baisse visée (--target-reduction)", column="--target-year",
                                  value=args.target_year)])
    for scenario in chosen:
        check_targets(scenario, factors)
    inventory = compute_inventory(store, factors, _inventory_year(args.year, store))
    projection = project(inventory, chosen, factors, parse_year(args.to, "--to"))
    totals = projection.totals(args.by)
    if args.json:
        records = []
        for row in totals.to_dict("records"):
            record = {"scenario": row["scenario"], "year": row["year"]} | (
                {"group": row["group"]} if args.by else {})
            record |= {key: {end: float(row[f"{key}_{end}"]) for end in ENDS_FR} for key in OUTPUT
                       if key in IMPACT_COLUMNS_FR}
            records.append(record)
        print(json.dumps(records, ensure_ascii=False, indent=2, allow_nan=False))
        return 0
    if args.csv:
        writer = csv.writer(sys.stdout, delimiter=";", lineterminator="\n")
        header = ["scenario", "annee"] + (["groupe"] if args.by else []) + [
            f"{IMPACT_COLUMNS_FR[k]}_{ENDS_FR[e]}" for k in IMPACT_COLUMNS_FR for e in ENDS_FR]
        writer.writerow(header)
        for row in totals.to_dict("records"):
            writer.writerow([row["scenario"], row["year"]] + ([row["group"]] if args.by else []) + [
                format(row[f"{k}_{e}"], ".10g").replace(".", ",") for k in IMPACT_COLUMNS_FR for e in ENDS_FR])
        return 0
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
    if target_year is not None and target_year <= inventory.year:
        raise InputError([Problem(f"année de l'objectif postérieure à l'inventaire ({inventory.year}) attendue",
                                  column="--target-year", value=target_year)])
    target = projection.target_path(reduction, target_year)
    snbc = factors.constant("snbc_annual_change").m_as("1/year") * 100
    target_label = (f"objectif PCAET −{reduction * 100:g} %" if reduction
                    else f"trajectoire SNBC ({snbc:+g} %/an)".replace("-", "−").replace(".", ","))
    print(f"Projection de l'inventaire {inventory.year} ({len(inventory.declarations)} déclarations), base de "
          f"facteurs {projection.factor_base_version}. Émissions de GES par an, valeur centrale (fourchettes : "
          "--json ou --csv) :")
    header = f"  {'année':<6}" + "".join(f"{s.label:>24}" for s in chosen) + f"{target_label:>34}"
    print(header)
    # Central GWP by year (rows) and scenario (columns).
    gwp = projection.totals().pivot(index="year", columns="scenario", values="gwp_kgco2e_central")
    for t, year in enumerate(projection.years):
        cells = "".join(f"{format_quantity(gwp.loc[year, s.id], 'kgCO2e'):>24}" for s in chosen)
        print(f"  {year:<6}" + cells + f"{format_quantity(target[t], 'kgCO2e'):>34}")
    if args.by:
        label = {"type": "type", "service": "service", "cas_usage": "cas d'usage"}[args.by]
        last = int(projection.years[-1])
        print(f"Par {label} en {last} (GES, valeur centrale) :")
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
    if "sobre" in ids and len(ids) > 1:
        km = factors.con.execute("SELECT gwp_per_unit FROM equivalences WHERE equivalence = 'voiture_thermique'"
                                 ).fetchall()[0][0]
        for other in (i for i in ids if i != "sobre"):
            saving = projection.saving("sobre", other)
            gwp, energy = saving["gwp_kgco2e"]["central"], saving["energy_kwh"]["central"]
            print(f"La sobriété évite, par rapport au scénario {other} : {format_quantity(gwp, 'kgCO2e')} et "
                  f"{format_quantity(energy, 'kWh')} sur la période, soit {format_number(gwp / km)} km en voiture "
                  "thermique (ADEME Impact CO2).")
    for warning in projection.warnings + inventory.warnings:
        print(f"  ! {warning}")
    return 0


def _recommend(args) -> int:
    from footprint.inventory import compute_inventory
    from footprint.io.formatting import format_quantity
    from scenarios.recommendations import recommend

    store, factors = _context(args)
    inventory = compute_inventory(store, factors, _inventory_year(args.year, store))
    found = recommend(inventory, factors)
    if args.json:
        print(json.dumps([r.as_dict() for r in found], ensure_ascii=False, indent=2, allow_nan=False))
        return 0
    if not found:
        print("Aucune recommandation : l'inventaire de cette année est vide.")
        return 0
    print(f"Recommandations de sobriété pour {inventory.year}, de la plus utile à la moins utile :")
    for rank, item in enumerate(found, start=1):
        energy = (f"et {format_quantity(item.energy_saved_kwh, 'kWh')}" if item.energy_saved_kwh >= 0 else
                  f"mais consomme {format_quantity(-item.energy_saved_kwh, 'kWh')} de plus")
        saved = (f"évite {format_quantity(item.gwp_saved_kgco2e, 'kgCO2e')} par an, {energy}"
                 if item.gwp_saved_kgco2e else "améliore la précision")
        print(f"{rank:>3}. {item.declaration_id} ({item.service}) : {item.action} — {saved}.")
        print(f"     {item.assumption}")
    return 0


def _export(args) -> int:
    from pathlib import Path

    from footprint import reporting
    from footprint.inventory import compute_inventory
    from scenarios.definitions import available, check_targets
    from scenarios.pcaet import build_export, check_export_date

    store, factors = _context(args)
    year = _inventory_year(args.year, store)
    inventory = compute_inventory(store, factors, year)
    if inventory.declarations.empty:
        raise InputError([Problem(f"inventaire {year} vide : rien à exporter", column="--year", value=year)])
    known = available(store)
    if args.scenarios == "all":
        chosen = list(known.values())
    elif args.scenarios == "none":
        chosen = []
    else:
        names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
        unknown = [n for n in names if n not in known]
        if unknown:
            raise InputError([Problem(f"scénario inconnu (connus : {', '.join(known)})", column="--scenarios",
                                      value=n) for n in unknown])
        chosen = [known[n] for n in names]
    export_date = check_export_date(args.export_date)
    file_format = args.format or (Path(args.out).suffix.lstrip(".").lower() if args.out else "csv") or "csv"
    if file_format not in ("csv", "xlsx"):
        raise InputError([Problem("format inconnu (csv ou xlsx)", column="--format", value=file_format)])
    out = Path(args.out or f"export-pcaet-{year}.{file_format}")
    for scenario in chosen:
        check_targets(scenario, factors)
    export = build_export(inventory, chosen, factors, args.collectivite, export_date, parse_year(args.to, "--to"))
    written = reporting.write(export, out, file_format, separator=args.separator, decimal=args.decimal,
                              stamp=export_date, force=args.force)
    print(f"Export PCAET/BEGES {year} : {len(export.summary)} ligne(s) de synthèse, {len(inventory.declarations)} "
          f"déclaration(s), {len(export.sources)} facteur(s) sourcé(s).")
    for path in written:
        print(f"  {path}")
    return 0
