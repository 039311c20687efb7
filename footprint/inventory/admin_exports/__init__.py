"""The admin exports of the AI products a collectivité pays for (Microsoft 365 Copilot's usage
report, a ChatGPT Enterprise or Business workspace's analytics, Le Chat's usage by user) turned
into product declarations aggregated by service: never a person.

One room per concept: ``files`` (a CSV, spreadsheet or JSON file read as text cells, whole
columns at a time), ``values`` (counts and dates read a column at a time, each bad cell a French
problem with its line), ``mapping`` (the user -> service file a DSI gives, applied and discarded),
``activity`` (what every preset returns), one module per outside format (``m365_copilot``,
``chatgpt_workspace``, ``le_chat``), and ``importing`` (services, aggregation by service ×
product, the period scaled to the year, the declarations checked and saved in one transaction).
Callers import from here.

Must not: keep a user (name, e-mail, id or its hash) anywhere, compute impacts itself
(``engine``) or write outside one store transaction.
"""

from footprint.inventory.admin_exports.importing import (
    ADMIN_PRESETS,
    PRESETS,
    AdminExport,
    AdminImport,
    import_admin_export,
    read_admin_export,
)
from footprint.inventory.admin_exports.mapping import read_user_services, service_of, user_keys

__all__ = ["ADMIN_PRESETS", "PRESETS", "AdminExport", "AdminImport", "import_admin_export", "read_admin_export",
           "read_user_services", "service_of", "user_keys"]
