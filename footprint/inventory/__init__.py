"""What the collectivité declared and imported, and its totals: declarations (the sub-package
``declarations``), gateway and API usage logs (the sub-package ``usage_logs``) and the inventory
computed from them (``totals``), and the estimate of a product of the catalogue from its messages,
users or licences (``products``). Each sub-package has its own facade; import from it."""

from footprint.inventory.products import (
    LEVELS,
    ProductEstimate,
    Volume,
    combine,
    estimate_product,
    find_product,
    message_volume,
    product_workloads,
)
from footprint.inventory.totals import (
    GROUPINGS,
    NOT_GIVEN,
    Inventory,
    compute_inventory,
    group_labels,
    import_declarations,
    inventory_of,
)

__all__ = ["GROUPINGS", "LEVELS", "NOT_GIVEN", "Inventory", "ProductEstimate", "Volume", "combine",
           "compute_inventory", "estimate_product", "find_product", "group_labels", "import_declarations",
           "inventory_of", "message_volume", "product_workloads"]
