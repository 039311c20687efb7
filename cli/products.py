"""``python -m footprint products list|disclosures``: the catalogue of AI products (ChatGPT,
Microsoft 365 Copilot, Le Chat, Albert…) as the factor base holds it, in French or as JSON with the
sources of every figure; what providers publish about one message of their products, beside our
estimate of one message, with the ratio, the scope and the source; and the French words of a
product and of its volume, which ``estimate product`` prints too.

Owns: the options of the group and what it prints. Must not: find a product or turn it into
impacts (``footprint.inventory.products``), compare a disclosure with the estimate
(``footprint.inventory.disclosures``), hold a figure of a product or of a provider (rows of the
factor base).
"""

from __future__ import annotations

import argparse
import json

from cli.arguments import add_group, parse_year, store_of, with_db

COMMAND = "products"
# The bases of a product's figures (``footprint.inventory.disclosures.BASES``, repeated here so
# that building the parser imports no part of the inventory: a test checks they are the same).
_BASES = ("estimation", "declaration_fournisseur", "enveloppe")


def add_parsers(commands: argparse._SubParsersAction, parser_class: type) -> None:
    """The ``products`` group: ``list`` and ``disclosures``."""
    actions = add_group(commands, parser_class, "products",
                        "catalogue des produits d'IA (ChatGPT, Copilot, Le Chat, Albert…)",
                        "Catalogue des produits d'IA qu'utilisent les agents : autres noms, modèles possibles, "
                        "hébergement, tokens par message, messages par utilisateur et par jour.")
    listed = actions.add_parser("list", help="lister les produits du catalogue",
                                description="Lister les produits du catalogue, avec la source de chaque valeur "
                                            "(--json).")
    listed.add_argument("--year", help="année (par défaut : les lignes les plus récentes de chaque produit)")
    listed.add_argument("--json", action="store_true", help="en JSON, avec la source et le lien de chaque valeur")
    disclosed = actions.add_parser("disclosures", help="ce que les fournisseurs publient, à côté de notre estimation",
                                   description="Les chiffres que les fournisseurs publient eux-mêmes sur un message "
                                               "de leurs produits (ACV de Mistral AI, mesure de Google, chiffre "
                                               "d'OpenAI), à côté de notre estimation d'un message du produit "
                                               "(méthode EcoLogits), avec le rapport des deux, le périmètre de la "
                                               "publication et sa source.")
    disclosed.add_argument("--product", help="un seul produit, comme on le nomme : « Le Chat Pro », gemini… (par "
                                             "défaut : tous ceux dont le fournisseur publie un chiffre)")
    disclosed.add_argument("--year", help="année des lignes du catalogue (par défaut : les plus récentes)")
    disclosed.add_argument("--json", action="store_true", help="en JSON, avec la source et le lien de chaque chiffre")
    chosen = with_db(actions.add_parser(
        "basis", help="choisir la base des chiffres d'un produit : estimation, déclaration du fournisseur, enveloppe",
        description="Choisir, pour un produit, la base de ses chiffres dans l'inventaire et les exports : notre "
                    "estimation (estimation), le chiffre que publie le fournisseur (declaration_fournisseur) ou "
                    "l'enveloppe des deux (enveloppe). Un BEGES préfère les données propres au fournisseur quand "
                    "elles existent ; leur périmètre diffère (products disclosures). Le choix est conservé avec "
                    "son auteur et sa date ; le précédent reste dans l'historique."), creates=False)
    chosen.add_argument("--product", required=True, help="le produit, comme on le nomme : « Le Chat Pro », gemini…")
    chosen.add_argument("--basis", required=True, choices=list(_BASES), help="la base retenue")
    chosen.add_argument("--justification", help="pourquoi ce choix (repris dans l'historique)")
    held = with_db(actions.add_parser("bases", help="la base retenue pour chaque produit, et l'historique des choix"),
                   write=False)
    held.add_argument("--history", action="store_true", help="tous les choix, du plus ancien au plus récent")
    held.add_argument("--json", action="store_true", help="en JSON")


def _span(low: float, high: float, unit: str = "") -> str:
    """« 2 à 15 » (one number when both ends are equal), followed by ``unit``."""
    from footprint.io.formatting import format_number

    shown = format_number(low) if low == high else f"{format_number(low)} à {format_number(high)}"
    return f"{shown} {unit}".rstrip()


def _share(pair: tuple[float, float]) -> str:
    from core.units import convert

    return _span(*(convert(v, "dimensionless", "percent") for v in pair), "%")


def _models(product) -> str:
    return ", ".join(f"{product.provider}/{m}" for m in product.models)


def product_text(product) -> str:
    """A product as ``estimate product`` names it: label, id and the models that may answer (or
    the task it is computed as)."""
    if product.kind == "task":
        return f"{product.shown}, tâche {', '.join(product.models)}"
    return f"{product.shown}, modèle(s) {_models(product)}"


def volume_text(volume, unit: str = "message") -> str:
    """How many messages (or, ``unit`` other than « message », units of a task's work) a year a
    volume gives, and from what, in French."""
    from footprint.io.formatting import format_number

    what, yearly_what = ("message(s)", "messages") if unit == "message" else ("unité(s) de travail",
                                                                            "unités de travail")
    yearly = _span(volume.messages["low"], volume.messages["high"], f"{yearly_what} par an")
    if volume.level == "messages":
        return yearly
    who = (f"{format_number(volume.count)} utilisateur(s) actif(s)" if volume.active_share is None else
           f"{format_number(volume.count)} licence(s) × {_share(volume.active_share)} utilisées")
    return (f"{who} × {_span(*volume.messages_per_user_per_day)} {what} par jour × "
            f"{format_number(volume.days_per_year)} jours par an = {yearly}")


def _lines(product) -> list[str]:
    if product.kind == "llm":
        profile = [f"  modèle(s) possible(s) : {_models(product)}",
                   f"  tokens par message : entrée {_span(*product.span('input_tokens_per_message'))}, "
                   f"sortie {_span(*product.span('output_tokens_per_message'))}",
                   "  messages par utilisateur actif et par jour : "
                   f"{_span(*product.span('messages_per_user_per_day'))}"]
    else:
        profile = [f"  tâche : {', '.join(product.models)} (tâche à l'unité de la base de facteurs)",
                   f"  unités de travail par utilisateur actif et par jour : "
                   f"{_span(*product.span('units_per_user_per_day'))}"]
    return [product.shown, f"  autres noms : {', '.join(product.aliases) or '–'}", *profile,
            f"  hébergement : {product.hosting}",
            f"  part des licences réellement utilisées : {_share(product.span('active_share_of_licences'))}",
            f"  valable depuis : {product.valid_from}"]


def product_json(factors, product) -> dict:
    """A product as ``--json`` gives it: its attributes, and each factor with unit, source and link."""
    rows = factors.source_rows("products", "product = ? AND valid_from = ?", [product.product, str(product.valid_from)])
    return {"product": product.product, "label": product.label, "aliases": list(product.aliases), "kind": product.kind,
            "provider": product.provider, "models": list(product.models), "hosting": product.hosting,
            "valid_from": product.valid_from, "factors": rows}


def run(args: argparse.Namespace) -> int:
    return {"list": _list, "disclosures": _disclosures, "basis": _basis, "bases": _bases}[args.action](args)


def _basis(args: argparse.Namespace) -> int:
    """Record the basis chosen for a product's figures."""
    from dataclasses import replace

    from cli.arguments import factors_of
    from core.errors import InputError
    from footprint.inventory.disclosures import BASIS_LABELS, check_basis

    store = store_of(args, new=False)
    factors = factors_of(store)
    try:
        product_id = check_basis(factors, args.product, args.basis)
    except InputError as error:  # said to whoever typed the options
        raise InputError([replace(p, column=f"--{p.column}") for p in error.problems]) from None
    justification = (args.justification or "").strip() or None
    changed = store.save_product_basis(product_id, args.basis, justification)
    label = factors.product(product_id).label
    print(f"{label} : base « {BASIS_LABELS[args.basis]} » " + ("enregistrée." if changed else "déjà retenue."))
    return 0


def _bases(args: argparse.Namespace) -> int:
    """The basis each product holds, or every choice."""
    from footprint.inventory.disclosures import BASIS_LABELS

    store = store_of(args, write=False, new=False)
    rows = store.product_bases(include_history=args.history)
    records = [{"product": r.product, "basis": r.basis,
                "justification": r.justification if isinstance(r.justification, str) else None,
                "saved_at": r.saved_at.isoformat(), "saved_by": r.saved_by} for r in rows.itertuples(index=False)]
    if args.json:
        print(json.dumps({"bases": records}, ensure_ascii=False, indent=2))
        return 0
    if not records:
        print("Aucun choix enregistré : l'estimation d'Empreinte IA vaut pour chaque produit.")
        return 0
    for record in records:
        why = f" — {record['justification']}" if record["justification"] else ""
        print(f"{record['product']} : {BASIS_LABELS[record['basis']]} (le {record['saved_at'][:10]}, par "
              f"{record['saved_by']}){why}")
    return 0


def _list(args: argparse.Namespace) -> int:
    """Print the catalogue (French lines, or one JSON object)."""
    from footprint.factors import FactorBase

    year = parse_year(args.year)
    factors = FactorBase.load()
    products = factors.products(year)
    if args.json:
        payload = {"factor_base_version": factors.version, "products": [product_json(factors, p) for p in products]}
        print(json.dumps(payload, ensure_ascii=False, indent=2, allow_nan=False))
        return 0
    lines = [f"Catalogue des produits d'IA : {len(products)} produit(s) (base de facteurs, version {factors.version})"]
    for product in products:
        lines += _lines(product)
    lines.append('Estimer un usage : python -m footprint estimate product --product "…" --users N (ou --licences N, '
                 "ou --messages N par an)")
    print("\n".join(lines))
    return 0


def _comparison_lines(product, comparisons: list[dict]) -> list[str]:
    """One product's disclosures beside our estimate of one message, publication by publication."""
    from footprint.io.formatting import format_number, format_quantity, format_range

    tokens = _span(*product.span("output_tokens_per_message"), "tokens de sortie")
    lines = [f"{product_text(product)} (lignes valables depuis {product.valid_from})",
             f"  notre estimation d'un message : {tokens}, méthode EcoLogits"]
    if not comparisons:
        return lines + ["  aucun chiffre publié par le fournisseur : seule l'estimation vaut"]
    for disclosure in dict.fromkeys(row["disclosure"] for row in comparisons):
        rows = [row for row in comparisons if row["disclosure"] == disclosure]
        first = rows[0]
        lines.append(f"  {first['label']}, {first['year']} : {first['functional_unit']} ; modèle : {first['model']} ; "
                     f"émissions : {first['emissions_basis']}")
        for row in rows:
            unit, ours = row["impact_unit"], row["estimate"]
            shown_ratio = "–" if row["ratio"] is None else f"× {format_number(row['ratio'])}"
            lines.append(f"    {row['impact_label']} : publié {format_quantity(row['disclosed'], unit)} ; notre "
                         f"estimation {format_range(ours['low'], ours['central'], ours['high'], unit)} ; publié / "
                         f"estimé {shown_ratio}")
            if row["note"]:
                lines.append(f"      {row['note']}")
        lines += [f"    périmètre : {first['scope']}", f"    source : {first['source']} — {first['source_url']}"]
    return lines


def _disclosures(args: argparse.Namespace) -> int:
    """Print what providers publish beside our estimate of one message (French lines, or JSON)."""
    from footprint.factors import FactorBase
    from footprint.inventory import find_product, one_message
    from footprint.inventory.disclosures import compare, disclosed_products

    year = parse_year(args.year)
    factors = FactorBase.load()
    products = [find_product(factors, args.product, year)] if args.product else disclosed_products(factors, year)
    compared = []
    for product in products:
        per_message = one_message(factors, product)
        compared.append((product, per_message, compare(factors, product, per_message)))
    if args.json:
        payload = {"factor_base_version": factors.version, "products": [
            {"product": p.product, "label": p.label, "valid_from": p.valid_from, "provider": p.provider,
             "models": list(p.models), "estimate_per_message": per_message, "disclosures": rows}
            for p, per_message, rows in compared]}
        print(json.dumps(payload, ensure_ascii=False, indent=2, allow_nan=False))
        return 0
    lines = [f"Ce que les fournisseurs publient, à côté de notre estimation d'un message : {len(products)} produit(s) "
             f"(base de facteurs, version {factors.version})"]
    for product, _, rows in compared:
        lines += _comparison_lines(product, rows)
    lines.append("Publié / estimé : le chiffre du fournisseur rapporté à notre valeur centrale. Les périmètres "
                 "diffèrent (docs/METHODOLOGIE.md, « Ce que les fournisseurs publient »).")
    print("\n".join(lines))
    return 0
