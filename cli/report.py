"""``python -m footprint export rapport``: the printable report of an inventory year (PDF, 2 to 4
pages in French for the DGS and the elected officials), with the chosen scenarios judged against
the collectivité's target.

Owns: the options of the command (``add_report_parser``, added to the ``export`` group), the
target the command line may set for this report only (``--objectif-baisse-pct`` by
``--annee-objectif``, checked like the profile's), and what it prints.
Must not: assemble the report (``scenarios.report`` does) nor write a file itself
(``footprint.io.output_files`` does, all or nothing, never through a link, refusing to replace a
file without ``--force``). Nothing heavy is imported before the arguments are known to be valid.
"""

from __future__ import annotations

import argparse

from cli.arguments import add_db_options, chosen_scenarios, inventory_year, parse_year, store_and_factors
from core.errors import InputError, Problem
from emission_factors.schema import read_defaults

# The French names of the profile's fields the options override -> the options.
TARGET_FLAGS = {"objectif_baisse_pct": "--objectif-baisse-pct", "annee_objectif": "--annee-objectif"}


def add_report_parser(kinds: argparse._SubParsersAction, parser_class: type) -> None:
    """The ``rapport`` action of the ``export`` group (``kinds``: the group's actions)."""
    report = kinds.add_parser("rapport", help="le rapport imprimable (PDF) pour la direction générale et les élus",
                              description="Chiffres de l'année avec leurs fourchettes et mis en perspective, "
                                          "répartition par service, trajectoires des scénarios et objectif, "
                                          "recommandations, méthode et sources, en 2 à 4 pages.")
    report.add_argument("--year", help="année d'inventaire (par défaut la plus récente)")
    report.add_argument("--scenarios", default="all",
                        help="scénarios projetés : all (par défaut), none, ou des identifiants séparés par des "
                             "virgules")
    horizon = read_defaults().horizon
    report.add_argument("--to", default=str(horizon), help=f"dernière année projetée ({horizon} par défaut)")
    report.add_argument("--out", help="fichier PDF (par défaut rapport-ia-ANNÉE.pdf)")
    report.add_argument("--force", action="store_true", help="remplacer le fichier s'il existe déjà")
    report.add_argument("--export-date", help="date inscrite dans le rapport (AAAA-MM-JJ ; par défaut aujourd'hui)")
    report.add_argument("--objectif-baisse-pct",
                        help="objectif du PCAET pour ce rapport : baisse en %% (par défaut celui du profil de la "
                             "collectivité, sinon le rythme de la SNBC)")
    report.add_argument("--annee-objectif", help="année de cet objectif")
    report.add_argument("--avec-non-validees", action="store_true",
                        help="compter aussi les déclarations pas encore validées par le référent climat (par défaut, "
                             "seules les validées le sont ; la note dit combien sont laissées de côté)")
    add_db_options(report, creates=False)


def _target(args: argparse.Namespace, profile):
    """The target the options set (None when they set none), checked like the profile's fields."""
    from footprint.inventory.authority import check_profile
    from scenarios.verdict import Target

    given = {name: getattr(args, flag.lstrip("-").replace("-", "_")) for name, flag in TARGET_FLAGS.items()}
    given = {name: value for name, value in given.items() if value is not None}
    if not given:
        return None
    current = profile.values() if profile is not None else {"name": "Collectivité"}
    try:
        checked = check_profile(given, current=current)
    except InputError as error:
        raise InputError([Problem(p.message, column=TARGET_FLAGS.get(p.column, p.column), value=p.value)
                          for p in error.problems]) from None
    chosen = checked.target
    if chosen is None:
        missing = "--annee-objectif" if "annee_objectif" not in given else "--objectif-baisse-pct"
        raise InputError([Problem("l'objectif se donne avec sa baisse et son année", column=missing)])
    return Target(*chosen)


def run_report(args: argparse.Namespace) -> int:
    """Write the report of ``--year`` to ``--out``; 0 when written."""
    from pathlib import Path

    from footprint.inventory import compute_inventory
    from footprint.inventory.authority import profile_of
    from footprint.io.output_files import shown, write_files
    from scenarios.definitions import available, check_targets
    from scenarios.pcaet import check_export_date
    from scenarios.report import build_report

    store, factors = store_and_factors(args)
    year = inventory_year(args.year, store)
    to_year = parse_year(args.to, "--to")
    export_date = check_export_date(args.export_date)
    profile = profile_of(store.authority_profile())
    target = _target(args, profile)
    inventory = compute_inventory(store, factors, year, validated_only=not args.avec_non_validees)
    if inventory.declarations.empty and inventory.excluded:
        raise InputError([Problem(f"aucune déclaration validée en {year} ({inventory.excluded} à valider par le "
                                  "référent climat) : validez-les, ou ajoutez --avec-non-validees", column="--year",
                                  value=year)])
    if inventory.declarations.empty:
        raise InputError([Problem(f"inventaire {year} vide : rien à présenter", column="--year", value=year)])
    chosen = chosen_scenarios(args.scenarios, available(store))
    for scenario in chosen:
        check_targets(scenario, factors)
    out = Path(args.out or f"rapport-ia-{year}.pdf")
    data = build_report(inventory, chosen, factors, profile, export_date, to_year, target)
    written = write_files({out: data}, force=args.force)
    print(f"Rapport {year} : {len(inventory.declarations)} déclaration(s), {len(chosen)} scénario(s) projeté(s).")
    for path in written:
        print(f"  {shown(path)}")
    return 0
