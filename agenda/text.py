"""Marking user-facing strings for translation without importing the web layer.

Vietnamese is the source language. The web layer translates the marked strings with the
catalog of the viewer's language; `N_` only marks them for extraction.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark `message` for extraction; translation happens where the viewer is known."""
    return message
