"""The process pool for CPU-bound PDF work (copies, books, reports): time limits that end the
job, and its queue counted for /metrics. See docs/papers.md.

It is pebble's `ProcessPool` with spawned workers. A job given a time limit (`submit_within`)
that is still running that many seconds after a worker took it is stopped together with its
worker (SIGTERM, then SIGKILL); its future fails with TimeoutError and a fresh worker takes the
next job. Cancelling a running job's future stops its worker the same way. (With a
ProcessPoolExecutor, `result(timeout)` only stopped the waiting: the worker ran on.) A worker that
dies (a crash, the kernel's OOM killer) fails its job with `WorkerDied`, and the pool replaces it.

Every job goes through `submit_within`, so the jobs submitted and not yet finished (`in_flight`:
the running ones plus the queue) are counted in one place. Completion callbacks run in the
pool's own threads, hence the lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from multiprocessing import get_context
from typing import Any, ParamSpec, TypeVar

from pebble import ProcessExpired, ProcessPool

P = ParamSpec("P")
T = TypeVar("T")

WorkerDied = ProcessExpired  # an OSError: the job's worker ended before the job did


class PdfPool:
    def __init__(self, max_workers: int) -> None:
        self.workers = max_workers
        self.in_flight = 0  # submitted and not yet finished (done, failed, timed out or cancelled)
        self.submitted = 0
        self._lock = threading.Lock()
        # Workers start with the first job.
        self._pool = ProcessPool(max_workers=max_workers, context=get_context("spawn"))

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """`fn(*args, **kwargs)` in a worker, with no time limit."""
        return self.submit_within(None, fn, *args, **kwargs)

    def submit_within(
        self, timeout: float | None, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> Future[T]:
        """`fn(*args, **kwargs)` in a worker, stopped with its worker once it has run `timeout`
        seconds (time in the queue does not count). RuntimeError when the pool is shut down."""
        future = self._pool.schedule(fn, args=args, kwargs=kwargs, timeout=timeout)
        with self._lock:
            self.in_flight += 1
            self.submitted += 1
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future: Future[Any]) -> None:
        with self._lock:
            self.in_flight -= 1

    def shutdown(self) -> None:
        """Drop the queue, stop the workers (a running job with them) and wait until they are
        gone; a few seconds at most. Blocking: the lifespan runs it in a thread."""
        self._pool.stop()  # type: ignore[no-untyped-call]
        self._pool.join()
