"""Jobs for the PDF pool's tests (tests/test_pdf_pool.py), importable by its spawned workers."""

from __future__ import annotations

import os
import time
from pathlib import Path


def hang(pid_file: str) -> None:
    """Write this worker's pid, then never return: a PDF job stuck on a hostile file."""
    Path(pid_file).write_text(str(os.getpid()))
    while True:
        time.sleep(1)


def pid() -> int:
    return os.getpid()
