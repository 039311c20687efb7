"""``python -m footprint products list``: the catalogue of AI products (ChatGPT, Microsoft 365
Copilot, Le Chat, Albert…) as the factor base holds it, in French or as JSON with the sources of
every figure; and the French words of a product and of its volume, which ``estimate product``
prints too.

Owns: the options of the group and what it prints. Must not: find a product or turn it into
impacts (``footprint.inventory.products``), hold a figure of a product (rows of the factor base).
"""

from __future__ import annotations

import argparse
import json

from cli.arguments import add_group, parse_year

COMMAND = "products"


def add_parsers(commands: argparse._SubParsersAction, parser_class: type) -> None:
    """The ``products`` group: ``list``."""
    actions = add_group(commands, parser_class, "products",
                        "catalogue des produits d'IA (ChatGPT, Copilot, Le Chat, Albert…)",
                        "Catalogue des produits d'IA qu'utilisent les agents : autres noms, modèles possibles, "
                        "hébergement, tokens par message, messages par utilisateur et par jour.")
    listed = actions.add_parser("list", help="lister les produits du catalogue",
                                description="Lister les produits du catalogue, avec la source de chaque valeur "
                                            "(--json).")
    listed.add_argument("--year", help="année (par défaut : les lignes les plus récentes de chaque produit)")
    listed.add_argument("--json", action="store_true", help="en JSON, avec la source et le lien de chaque valeur")


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
    """A product as ``estimate product`` names it: label, id and the models that may answer."""
    return f"{product.shown}, modèle(s) {_models(product)}"


def volume_text(volume) -> str:
    """How many messages a year a volume gives, and from what, in French."""
    from footprint.io.formatting import format_number

    yearly = _span(volume.messages["low"], volume.messages["high"], "messages par an")
    if volume.level == "messages":
        return yearly
    who = (f"{format_number(volume.count)} utilisateur(s) actif(s)" if volume.active_share is None else
           f"{format_number(volume.count)} licence(s) × {_share(volume.active_share)} utilisées")
    return (f"{who} × {_span(*volume.messages_per_user_per_day)} message(s) par jour × "
            f"{format_number(volume.days_per_year)} jours par an = {yearly}")


def _lines(product) -> list[str]:
    return [product.shown,
            f"  autres noms : {', '.join(product.aliases) or '–'}",
            f"  modèle(s) possible(s) : {_models(product)}",
            f"  hébergement : {product.hosting}",
            f"  tokens par message : entrée {_span(*product.span('input_tokens_per_message'))}, "
            f"sortie {_span(*product.span('output_tokens_per_message'))}",
            f"  messages par utilisateur actif et par jour : {_span(*product.span('messages_per_user_per_day'))}",
            f"  part des licences réellement utilisées : {_share(product.span('active_share_of_licences'))}",
            f"  valable depuis : {product.valid_from}"]


def product_json(factors, product) -> dict:
    """A product as ``--json`` gives it: its attributes, and each factor with unit, source and link."""
    rows = factors.source_rows("products", "product = ? AND valid_from = ?", [product.product, str(product.valid_from)])
    return {"product": product.product, "label": product.label, "aliases": list(product.aliases), "kind": product.kind,
            "provider": product.provider, "models": list(product.models), "hosting": product.hosting,
            "valid_from": product.valid_from, "factors": rows}


def run(args: argparse.Namespace) -> int:
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
