"""A file a person uploads through the dashboard, as the pages pass it on to the library.

Owns: ``received()``, the one place that reads Streamlit's ``UploadedFile``: its bytes (read in
memory, never written under a name) and the name to show (its last component, cleaned by
``tabular.display_name``). The name the browser sent is never a path: ``../x.csv``, ``/etc/x``
or ``..\\y.csv`` only ever appear in messages, escaped.

Must not: read the file's content (the library's imports do).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.units import convert
from footprint.io.tabular import display_name


@dataclass(frozen=True)
class Received:
    """An upload: the name to show and the bytes."""

    name: str
    data: bytes

    @property
    def size_mb(self) -> float:
        return convert(len(self.data), "byte", "megabyte")


def received(file) -> Received:
    """The bytes and the shown name of a Streamlit ``UploadedFile``."""
    return Received(display_name(file.name), file.getvalue())
