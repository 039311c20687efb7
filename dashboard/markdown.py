"""User text inside the Markdown that Streamlit renders (``st.markdown``, ``st.caption``,
``st.error``, ``st.success``, ``st.toast``, widget and status labels).

Owns: ``as_text()``, which makes any value (a service, a file name, a model, a justification, a
message that quotes one of them) plain text in Markdown: every character Markdown, HTML,
Streamlit's directives (``:red[…]``, ``:material/…:``) or LaTeX (``$…$``) would read is
backslash-escaped, line breaks become spaces, control characters go. So a service named
``![p](http://…/pixel.png)`` shows those characters and makes no browser fetch an image, and
``[x](javascript:…)`` is no link. Pages wrap every value that is not a literal of the page.

Must not: escape the page's own Markdown (bold, lists) — only what it interpolates.
"""

from __future__ import annotations

import re

# Every ASCII punctuation character may be backslash-escaped in CommonMark (spec 0.31, 2.4).
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:=^&\"'/@%;,?])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BREAKS = re.compile(r"\s*[\r\n\u2028\u2029]+\s*")


def as_text(value: object) -> str:
    """``value`` as plain text inside Streamlit Markdown (see the module's docstring)."""
    plain = _BREAKS.sub(" ", _CONTROL.sub("", str(value)))
    return _SPECIAL.sub(r"\\\1", plain)
