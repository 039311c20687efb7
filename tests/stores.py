"""A new, empty store for the tests that drive the command line: the command line creates a store
only where it is told to (``--create``), so a test that starts from nothing makes its store first,
as an administrator would."""

from pathlib import Path

from footprint.store import Store


def new_store(path: Path) -> str:
    """Create an empty Empreinte IA store at ``path``; returns the path as the CLI takes it."""
    Store(path, create=True).schema_version()
    return str(path)
