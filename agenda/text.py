"""Marking user-facing strings for translation without importing the web layer.

Vietnamese is the source language. The web layer translates the marked strings with the
catalog of the viewer's language; `N_` only marks them for extraction.
`one_line` tidies text typed or found in a file (a title) before it is kept.
"""

from __future__ import annotations

import unicodedata

# Characters that reorder the text around them; in a title they serve only to disguise it.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def N_(message: str) -> str:
    """Mark `message` for extraction; translation happens where the viewer is known."""
    return message


def one_line(text: str) -> str:
    """`text` fit for a title: control characters become spaces, bidi controls are dropped,
    runs of whitespace collapse to one space."""
    shown = "".join(
        " " if unicodedata.category(c) in ("Cc", "Zl", "Zp", "Cs") else c
        for c in text
        if c not in BIDI_CONTROLS
    )
    return " ".join(shown.split())
