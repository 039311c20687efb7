"""What the collectivité declared and imported, and its totals: declarations (``declarations``),
gateway and API usage logs (``usage_logs``) and the inventory computed from them (``totals``)."""

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
