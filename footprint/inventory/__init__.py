"""What the collectivité declared and imported, and its totals: declarations (the sub-package
``declarations``), gateway and API usage logs (the sub-package ``usage_logs``) and the inventory
computed from them (``totals``). Each sub-package has its own facade; import from it."""

from footprint.inventory.totals import (
    GROUPINGS,
    NOT_GIVEN,
    Inventory,
    compute_inventory,
    group_labels,
    import_declarations,
    inventory_of,
)

__all__ = ["GROUPINGS", "NOT_GIVEN", "Inventory", "compute_inventory", "group_labels", "import_declarations",
           "inventory_of"]
