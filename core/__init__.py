"""The words every layer shares, below the factor base: the unit registry (``units``) and the one
error type with French messages (``errors``). Nothing here reads a file or imports a package of
the project."""
