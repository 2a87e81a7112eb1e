"""Originals under DATA_DIR, stored by sha256 and never by the client's filename.

An upload is streamed to a private temporary file, checked, and then moved into place with
`store_file` (one rename, so a reader never sees half a file); `store_original` does the same
for bytes already in memory (the demo's papers).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path


def original_path(data_dir: Path, sha256: str) -> Path:
    """Where the original with this sha256 lives: DATA_DIR/originals/<sha[:2]>/<sha>.pdf."""
    return data_dir / "originals" / sha256[:2] / f"{sha256}.pdf"


def store_original(data_dir: Path, data: bytes) -> str:
    """Store a PDF under DATA_DIR/originals/<sha[:2]>/<sha>.pdf (named by content) and return the sha256."""
    sha = hashlib.sha256(data).hexdigest()
    target = original_path(data_dir, sha)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        # One name per call: two threads storing the same bytes at once must not share it.
        partial = target.parent / f".{sha}.{os.getpid()}.{uuid.uuid4().hex[:12]}.part"
        partial.write_bytes(data)
        os.replace(partial, target)
    return sha


def store_file(data_dir: Path, source: Path, sha256: str) -> Path:
    """Move the checked file at `source` to its place under its sha256 and return that path.

    `source` must be on the same file system (DATA_DIR/tmp). The data is flushed to disk
    before the rename and the folder after it, so a stored original survives a power cut.
    When the same content is already stored, `source` is simply removed.
    """
    target = original_path(data_dir, sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        source.unlink(missing_ok=True)
        return target
    with source.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(source, target)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    return target
