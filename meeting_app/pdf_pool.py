"""The process pool for CPU-bound PDF work (copies, books, reports), counting its queue.

Every job goes through `submit`, so the jobs submitted and not yet finished (`in_flight`: the
running ones plus the queue) are counted in one place, for `/metrics`. Completion callbacks run
in the pool's own thread, hence the lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class PdfPool(ProcessPoolExecutor):
    def __init__(self, max_workers: int) -> None:
        super().__init__(max_workers=max_workers, mp_context=get_context("spawn"))
        self.workers = max_workers
        self.in_flight = 0  # submitted and not yet finished (done, failed or cancelled)
        self.submitted = 0
        self._lock = threading.Lock()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self.in_flight += 1
            self.submitted += 1
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future: Future[Any]) -> None:
        with self._lock:
            self.in_flight -= 1
