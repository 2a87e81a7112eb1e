"""Briefing books on demand: where they are cached, building them in the PDF pool, their progress.

A book lives at DATA_DIR/cache/books/<meeting_id>/<user_id>-<plan_hash>.pdf. Any change to what
the book shows changes the hash, so a stale book is never served: the next request builds the
new one, and the superseded files of that recipient are removed once it is there. Beside the
book are its progress (written by the builder) and, after a failed build, its error, which is
reported for FAILURE_TTL seconds before a new request tries again.

In-flight builds are tracked per process in a dict keyed by the book's path, so each book is
built once however often it is polled; a build started by another worker process is noticed
through its fresh progress file.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agenda.books import briefing
from agenda.books.briefing import BookError, BookPlan, BuildResult
from agenda.papers.stamp import StampText
from agenda.text import N_
from meeting_app.files.pdf_pool import PdfPool

log = logging.getLogger("ecabinet.books")

FAILURE_TTL = 30.0  # seconds a failed build is reported before the next request retries
STALE_PROGRESS = 30.0  # a progress file untouched this long belongs to a build that died
BUILD_TIMEOUT = 300.0  # a build running this long is stopped by the pool and reported as failed

BUILD_FAILED = N_("Không tạo được sổ tài liệu họp; xin thử lại sau ít phút.")
BUILD_TIMED_OUT = N_("Việc tạo sổ tài liệu họp mất quá nhiều thời gian; xin thử lại sau.")


@dataclass(frozen=True)
class BookFiles:
    pdf: Path
    progress: Path
    error: Path

    @classmethod
    def of(cls, data_dir: Path, plan: BookPlan) -> BookFiles:
        folder = data_dir / "cache" / "books" / str(plan.meeting_id)
        stem = f"{plan.recipient_id}-{plan.plan_hash}"
        return cls(
            pdf=folder / f"{stem}.pdf",
            progress=folder / f"{stem}.progress.json",
            error=folder / f"{stem}.error.json",
        )


@dataclass(frozen=True)
class Failure:
    """A failed build as the web layer reports it: 422 when retrying cannot help, else 503."""

    code: str
    message: str
    params: dict[str, Any]
    retry: bool


@dataclass
class _Build:
    future: Future[BuildResult]
    started: float


def progress(files: BookFiles) -> dict[str, Any]:
    """`{"progress": 0..100, "stage": ...}` of a build under way."""
    return briefing.read_progress(files.progress)


def _record_failure(files: BookFiles, error: BaseException) -> None:
    record: dict[str, Any]
    if isinstance(error, TimeoutError):  # the pool stopped it (meeting_app/files/pdf_pool.py)
        record = {"code": "book_timeout", "message": BUILD_TIMED_OUT, "params": {}, "retry": True}
        log.warning("briefing book %s stopped after %s s", files.pdf.name, BUILD_TIMEOUT)
    elif isinstance(error, BookError):
        record = {
            "code": error.code,
            "message": error.message,
            "params": error.params,
            "retry": error.retry,
        }
        log.warning("briefing book %s failed: %s", files.pdf.name, error)
    else:
        record = {"code": "book_failed", "message": BUILD_FAILED, "params": {}, "retry": True}
        log.error("briefing book %s failed", files.pdf.name, exc_info=error)
    partial = files.error.with_name(f".{files.error.name}.{os.getpid()}.part")
    try:
        partial.write_text(json.dumps(record, ensure_ascii=False), "utf-8")
        os.replace(partial, files.error)
    except OSError:
        log.exception("could not record the failure of %s", files.pdf.name)


class BookBuilds:
    """The books this process is building, one build per file; held by the lifespan (AppContext)."""

    def __init__(self) -> None:
        self._in_flight: dict[Path, _Build] = {}
        self._lock = threading.Lock()

    def failure(self, files: BookFiles) -> Failure | None:
        """The error of the last build of this book, while it is recent enough to report."""
        with self._lock:
            build = self._in_flight.get(files.pdf)
        if build is not None and not build.future.done() and time.monotonic() - build.started > BUILD_TIMEOUT:
            return Failure(code="book_timeout", message=BUILD_TIMED_OUT, params={}, retry=True)
        try:
            age = time.time() - files.error.stat().st_mtime
            found = json.loads(files.error.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if age > FAILURE_TTL or not isinstance(found, dict):
            files.error.unlink(missing_ok=True)
            return None
        return Failure(
            code=str(found.get("code", "book_failed")),
            message=str(found.get("message", BUILD_FAILED)),
            params=params if isinstance(params := found.get("params"), dict) else {},
            retry=bool(found.get("retry", True)),
        )

    def building(self, files: BookFiles) -> bool:
        """Whether this book is being built, here or (by its fresh progress file) in another process."""
        with self._lock:
            if files.pdf in self._in_flight:
                return True
        try:
            return time.time() - files.progress.stat().st_mtime < STALE_PROGRESS
        except OSError:
            return False

    def start(self, pool: PdfPool, plan: BookPlan, files: BookFiles, stamp: StampText) -> None:
        """Build the book in the pool unless it is already being built. RuntimeError when the
        pool cannot take work (shut down)."""
        with self._lock:
            if files.pdf in self._in_flight:
                return
            files.pdf.parent.mkdir(parents=True, exist_ok=True)
            files.error.unlink(missing_ok=True)
            briefing.write_progress(files.progress, 0, "queued")
            try:
                future = pool.submit_within(
                    BUILD_TIMEOUT, briefing.build_book, plan, str(files.pdf), stamp, str(files.progress)
                )
            except BaseException:
                files.progress.unlink(missing_ok=True)  # nothing is building after all
                raise
            self._in_flight[files.pdf] = _Build(future=future, started=time.monotonic())
        future.add_done_callback(lambda done: self._finished(files, done))

    def _finished(self, files: BookFiles, future: Future[BuildResult]) -> None:
        """Runs when a build ends: record its error (before forgetting it, so no request starts the
        same doomed build in between) or sweep the recipient's superseded files."""
        error = None if future.cancelled() else future.exception()
        if error is not None:
            _record_failure(files, error)
        with self._lock:
            self._in_flight.pop(files.pdf, None)
        files.progress.unlink(missing_ok=True)
        if error is None and not future.cancelled():
            self._sweep(files)

    def _sweep(self, files: BookFiles) -> None:
        """Remove this recipient's superseded books of the meeting (and their progress files)."""
        user_id = files.pdf.name.split("-", 1)[0]
        mine = re.compile(rf"^{user_id}-[0-9a-f]{{64}}(\.pdf|\.progress\.json|\.error\.json)$")
        keep = {files.pdf.name, files.progress.name, files.error.name}
        try:
            siblings = list(files.pdf.parent.iterdir())
        except OSError:
            return
        for path in siblings:
            if mine.match(path.name) and path.name not in keep:
                with self._lock:
                    if path in self._in_flight:
                        continue
                path.unlink(missing_ok=True)
