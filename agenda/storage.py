"""Originals under DATA_DIR, stored by sha256 and never by the client's filename."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def store_original(data_dir: Path, data: bytes) -> str:
    """Store a PDF under DATA_DIR/originals/<sha[:2]>/<sha>.pdf (named by content) and return the sha256."""
    sha = hashlib.sha256(data).hexdigest()
    folder = data_dir / "originals" / sha[:2]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{sha}.pdf"
    if not target.exists():
        partial = folder / f".{sha}.{os.getpid()}.part"
        partial.write_bytes(data)
        os.replace(partial, target)
    return sha
