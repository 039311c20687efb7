"""What the collectivité declared and imported, and its totals: declarations (the sub-package
``declarations``), gateway and API usage logs (the sub-package ``usage_logs``) and the inventory
computed from them (``totals``), the estimate of a product of the catalogue from its messages,
users or licences (``products``), and what providers publish about their products, with the
basis the authority chooses for each (``disclosures``). Each sub-package has its own facade; import from it."""

from footprint.inventory.disclosures import (
    BASES,
    BASIS_LABELS,
    Disclosure,
    apply_bases,
    basis_range,
    check_basis,
    compare,
    disclosed_products,
    disclosures_for,
)
from footprint.inventory.products import (
    LEVELS,
    ProductEstimate,
    Volume,
    estimate_product,
    find_product,
    message_volume,
    one_message,
    product_declaration,
)
from footprint.inventory.totals import (
    GROUPINGS,
    NOT_GIVEN,
    Inventory,
    bases_of,
    compute_inventory,
    group_labels,
    import_declarations,
    inventory_of,
)

__all__ = ["BASES", "BASIS_LABELS", "Disclosure", "GROUPINGS", "Inventory", "LEVELS", "NOT_GIVEN", "ProductEstimate",
           "Volume", "apply_bases", "bases_of", "basis_range", "check_basis", "compare", "compute_inventory",
           "disclosed_products", "disclosures_for", "estimate_product", "find_product", "group_labels",
           "import_declarations", "inventory_of", "message_volume", "one_message", "product_declaration"]
