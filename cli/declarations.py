"""``python -m footprint declarations …``: the declarations of the inventory, one by one or by
file: ``import``, ``export``, ``list``, ``add`` (or modify, with ``--id``), ``delete``,
``restore`` and ``history``.

Owns: the options of the group (``add`` offers one flag per column of
``footprint.vocabulary.DECLARATION_FIELDS``: its ``flag``, and here only its help), turning them
into calls to ``footprint.inventory`` and the store, and the French lines it prints. Must not:
hold a column, a French name or a flag of its own, nor catch errors (``cli.main`` does).
"""

from __future__ import annotations

import argparse

from cli.arguments import add_file_options, add_group, factors_of, parse_year, store_of, with_db
from cli.output import print_counts
from core.errors import InputError, Problem
from footprint.io.cells import is_missing
from footprint.vocabulary import DECLARATION_FIELDS, FIELDS, FILE_COLUMNS, KINDS_FR, for_audience

COMMAND = "declarations"

_KINDS = list(KINDS_FR.values())
# The help of each ``declarations add`` flag (the flags themselves are the vocabulary's); a flag
# added to the vocabulary without one here shows its label.
ADD_HELP = {
    "--id": "identifiant d'une déclaration à modifier (sinon une nouvelle est créée)",
    "--year": "année d'inventaire (par défaut l'année en cours)",
    "--service": "direction ou service (obligatoire pour une nouvelle déclaration)",
    "--use-case": "cas d'usage (redaction_courrier, synthese_document… ou texte libre)",
    "--type": f"{', '.join(_KINDS[:-1])} ou {_KINDS[-1]} (obligatoire pour une nouvelle déclaration, sauf avec "
              "--product : celui de l'outil)",
    "--product": "outil du catalogue (Copilot, ChatGPT, Le Chat, Albert… ; python -m footprint products list)",
    "--users": "utilisateurs actifs de l'outil", "--licences": "licences de l'outil (contrat)",
    "--messages": "messages envoyés par an (console d'administration de l'outil)",
    "--provider": "fournisseur", "--model": "modèle", "--hosting": "hébergement", "--zone": "zone électrique",
    "--agents": "nombre d'agents", "--requests-per-agent-per-day": "requêtes par agent et par jour",
    "--days-per-year": "jours travaillés par an", "--requests": "requêtes par an",
    "--input-tokens-per-request": "tokens d'entrée par requête",
    "--output-tokens-per-request": "tokens de sortie par requête", "--input-tokens": "tokens d'entrée par an",
    "--output-tokens": "tokens de sortie par an", "--gpu": "modèle de GPU", "--gpus": "nombre de GPU",
    "--hours": "heures", "--utilization": "taux d'utilisation", "--pue": "PUE", "--wue": "WUE sur site",
    "--task": "tâche", "--units": "unités", "--kwh": "kWh mesurés", "--owner": "responsable",
    "--personal-data": "données personnelles : oui ou non", "--ai-act-risk": "niveau de risque IA Act",
    "--human-oversight": "supervision humaine", "--comment": "commentaire",
}
# ``declarations add`` flags (argparse dest) -> store column.
ADD_FIELDS = {f.flag[2:].replace("-", "_"): f.name for f in DECLARATION_FIELDS if f.flag}
# What a new declaration cannot do without.
REQUIRED = ("service", "kind")
_DELETIONS = {"delete": "supprimée(s) (elles restent dans l'historique et peuvent être restaurées)",
              "restore": "restaurée(s)"}


def add_parsers(commands: argparse._SubParsersAction, parser_class: type) -> None:
    """The ``declarations`` group and its actions."""
    actions = add_group(commands, parser_class, "declarations", "déclarer, importer, exporter les usages d'IA",
                        "Les déclarations d'usages d'IA de l'inventaire.")
    imported = with_db(actions.add_parser("import", help="importer un fichier CSV ou XLSX (tout ou rien)"))
    imported.add_argument("file", metavar="FICHIER")
    exported = with_db(actions.add_parser("export", help="exporter les déclarations en CSV ou XLSX"), write=False)
    exported.add_argument("file", metavar="FICHIER")
    exported.add_argument("--year", help="seulement cette année")
    add_file_options(exported, "remplacer le fichier s'il existe déjà", "par défaut selon l'extension du fichier")
    listed = with_db(actions.add_parser("list", help="lister les déclarations"), write=False)
    listed.add_argument("--year", help="seulement cette année")
    listed.add_argument("--all", action="store_true", help="inclure les déclarations supprimées")
    listed.add_argument("--json", action="store_true", help="en JSON")
    listed.add_argument("--as-of", help="l'inventaire tel qu'il était à cette date (AAAA-MM-JJ ou AAAA-MM-JJTHH:MM)")
    added = with_db(actions.add_parser("add", help="ajouter (ou modifier, avec --id) une déclaration"))
    for field in DECLARATION_FIELDS:
        if field.flag:
            added.add_argument(field.flag, help=ADD_HELP.get(field.flag, field.label))
    for name, text in (("delete", "supprimer (la déclaration reste dans l'historique)"),
                       ("restore", "restaurer une déclaration supprimée")):
        parser = with_db(actions.add_parser(name, help=text), creates=False)
        parser.add_argument("ids", nargs="+", metavar="ID")
    history = with_db(actions.add_parser("history", help="historique des versions d'une déclaration"), write=False)
    history.add_argument("id", nargs="?", metavar="ID")


def run(args: argparse.Namespace) -> int:
    handler = {"import": _import, "export": _export, "list": _list, "add": _add, "delete": _delete_or_restore,
               "restore": _delete_or_restore, "history": _history}[args.action]
    return handler(args)


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from footprint.inventory import import_declarations

    store = store_of(args)
    frame, counts = import_declarations(args.file, store, factors_of(store))
    print(f"Import de {Path(args.file).name} : {len(frame)} ligne(s) lue(s).")
    print_counts(counts)
    return 0


def _export(args: argparse.Namespace) -> int:
    from footprint.inventory.declarations import export_declarations

    frame = store_of(args, write=False).declarations(year=parse_year(args.year))
    path = export_declarations(frame, args.file, args.format, separator=args.separator, decimal=args.decimal,
                               force=args.force)
    print(f"{len(frame)} déclaration(s) exportée(s) dans {path}.")
    return 0


def _as_of(text: str):
    """The moment ``--as-of`` names (a date alone: its end), in UTC."""
    import pandas as pd

    try:
        moment = pd.Timestamp(text)
        moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment
        if moment.hour == moment.minute == 0 and "T" not in text and ":" not in text:
            moment += pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)  # a date: its end
    except ValueError:
        raise InputError([Problem("date illisible (AAAA-MM-JJ)", column="--as-of", value=text)]) from None
    return moment


def _list(args: argparse.Namespace) -> int:
    if args.as_of:
        frame = store_of(args, write=False).as_of(_as_of(args.as_of))
        frame = frame.assign(deleted=False)
        if args.year:
            frame = frame[frame["year"] == parse_year(args.year)]
    else:
        frame = store_of(args, write=False).declarations(year=parse_year(args.year), include_deleted=args.all)
    if args.json:
        print(frame.to_json(orient="records", force_ascii=False, date_format="iso"))
        return 0
    if frame.empty:
        print("Aucune déclaration.")
        return 0
    for row in frame.itertuples(index=False):
        what = (f"outil {row.product}" + (f" ({row.provider}/{row.model})" if isinstance(row.model, str) else "")
                if isinstance(row.product, str) else f"{row.provider}/{row.model}" if row.kind == "llm"
                else row.gpu if row.kind == "gpu" else row.task if row.kind == "task" else "énergie mesurée")
        deleted = " [supprimée]" if row.deleted else ""
        print(f"{row.id}  {row.year}  {row.service}  {KINDS_FR.get(row.kind, row.kind)}  {what}  "
              f"(version {row.version}){deleted}")
    return 0


def _with_flags(problems: list[Problem]) -> InputError:
    """The problems of a typed declaration, each naming the flag the user typed."""
    return InputError([Problem(p.message, column=p.column, value=p.value) for p in for_audience(problems, "flag")])


def _add(args: argparse.Namespace) -> int:
    import pandas as pd

    from footprint.inventory.declarations import validate_records

    given = {column: getattr(args, dest) for dest, column in ADD_FIELDS.items() if getattr(args, dest) is not None}
    store = store_of(args)
    expected = None
    if args.id:
        stored = store.declarations(include_deleted=True).set_index("id")
        if args.id not in stored.index:
            raise InputError([Problem("déclaration inconnue", column="--id", value=args.id)])
        # The version read is the one replaced, or nothing is saved (StoreConflict: someone else
        # saved it in between).
        expected = {args.id: int(stored.loc[args.id, "version"])}
        # A modification changes only what the user typed; the rest stays as stored.
        record = {c: v for c, v in stored.loc[args.id].to_dict().items() if c in FILE_COLUMNS}
        # Stored kinds (task, measured) and booleans read back as a file's would be.
        record = {c: (None if is_missing(v) else v) for c, v in record.items()} | {"id": args.id} | given
    else:
        # A product of the catalogue says its own type.
        missing = [FIELDS[column].flag for column in REQUIRED if column not in given
                   and not (column == "kind" and "product" in given)]
        if missing:
            raise InputError([Problem("obligatoire pour une nouvelle déclaration", column=flag) for flag in missing])
        record = {"year": str(pd.Timestamp.now().year)} | given
    try:
        frame = validate_records([record], factors_of(store))
    except InputError as error:
        raise _with_flags(error.problems) from None
    counts = store.save(frame, action="saisie", expected_versions=expected)
    state = "créée" if counts["created"] else "modifiée" if counts["modified"] else "inchangée"
    print(f"Déclaration {store.last_ids[0]} {state}.")
    return 0


def _check_ids(store, ids: list[str]) -> None:
    known = set(store.declarations(include_deleted=True)["id"])
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise InputError([Problem("déclaration inconnue", column="ID", value=i) for i in unknown])


def _delete_or_restore(args: argparse.Namespace) -> int:
    """``declarations delete`` and ``restore``: soft deletion and its undoing, ids checked first."""
    store = store_of(args, new=False)
    _check_ids(store, args.ids)
    count = (store.delete if args.action == "delete" else store.restore)(args.ids)
    print(f"{count} déclaration(s) {_DELETIONS[args.action]}.")
    return 0


def _history(args: argparse.Namespace) -> int:
    history = store_of(args, write=False).history(args.id)
    if args.id and history.empty:
        raise InputError([Problem("déclaration inconnue", column="ID", value=args.id)])
    if history.empty:
        print("Aucun historique.")
        return 0
    from footprint.inventory.declarations import history_changes

    for row in history_changes(history, dict(FILE_COLUMNS)):
        detail = f" — {'; '.join(row['changes'])}" if row["changes"] else ""
        print(f"{row['id']} v{row['version']}  {row['changed_at']:%Y-%m-%d %H:%M}  {row['changed_by']}  "
              f"{row['action']}{detail}")
    return 0
