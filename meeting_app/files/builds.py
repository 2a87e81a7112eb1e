"""One build per file at a time: concurrent requests for the same copy share one job in the
process pool (single flight). See docs/papers.md.

The job runs in `AppContext.pdf_pool`, never on the event loop. Each waiter awaits it through
`asyncio.shield`, so a client that goes away does not cancel the build for the others; the job
leaves the table when it ends, whatever its outcome. Several app processes may still build the
same file at once; the builders write atomically (agenda/papers/copy_files.py), so that costs time,
never correctness.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

from meeting_app.files.pdf_pool import PdfPool

T = TypeVar("T")


class Builds:
    def __init__(self) -> None:
        self._running: dict[str, asyncio.Future[Any]] = {}

    def running(self, key: str) -> bool:
        return key in self._running

    async def run(
        self, key: str, pool: PdfPool | Executor, fn: Callable[..., T], *args: Any, timeout: float
    ) -> T:
        """`fn(*args)` in `pool`, or the job already running under `key`. TimeoutError after
        `timeout` seconds; the job runs on for the other waiters until it has run `timeout`
        seconds itself, when the pool stops it. (A plain Executor, the tests' threads, cannot stop
        a job: it runs to its end.)"""
        job = self._running.get(key)
        if job is None:
            future: Future[T]
            if isinstance(pool, PdfPool):
                future = pool.submit_within(timeout, fn, *args)
            else:
                future = pool.submit(fn, *args)
            job = asyncio.wrap_future(future)
            self._running[key] = job
            job.add_done_callback(lambda done: self._finished(key, done))
        result: T = await asyncio.wait_for(asyncio.shield(job), timeout)
        return result

    def _finished(self, key: str, job: asyncio.Future[Any]) -> None:
        if self._running.get(key) is job:
            del self._running[key]
        if not job.cancelled():
            job.exception()  # retrieved: a failure nobody waited for is not logged as lost
