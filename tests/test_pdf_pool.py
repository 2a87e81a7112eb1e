"""The PDF pool (meeting_app/files/pdf_pool.py): a job past its time limit is stopped with its worker,
and the pool goes on with a fresh one."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import meeting_app.files.pdf_pool
from meeting_app.files.builds import Builds
from meeting_app.files.pdf_pool import PdfPool
from tests.support import pdf_jobs

LIMIT = 1.0
SLACK = 10.0  # a spawned worker's start-up on a busy machine, and pebble's SIGTERM then SIGKILL


@pytest.fixture(autouse=True)
def spawned_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Production's spawned workers, not the suite's forked ones (tests/conftest.py)."""
    monkeypatch.setattr(meeting_app.files.pdf_pool, "get_context", multiprocessing.get_context)


@pytest.fixture
def pool() -> Iterator[PdfPool]:
    made = PdfPool(1)
    try:
        yield made
    finally:
        made.shutdown()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def started_pid(pid_file: Path) -> int:
    """The pid a hanging job wrote once it started."""
    deadline = time.monotonic() + 60
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.05)
    return int(pid_file.read_text())


def test_a_job_past_its_limit_is_stopped_with_its_worker(pool: PdfPool, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"

    async def caller() -> float:
        job = asyncio.wrap_future(pool.submit_within(LIMIT, pdf_jobs.hang, str(pid_file)))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(job, 60)  # the pool's limit ends it, long before this one
        return time.monotonic()

    submitted = time.monotonic()
    failed = asyncio.run(caller())
    assert failed - submitted < LIMIT + SLACK
    worker = started_pid(pid_file)
    assert not alive(worker)  # stopped and reaped
    assert pool.in_flight == 0 and pool.submitted == 1
    fresh = pool.submit_within(60, pdf_jobs.pid).result(timeout=60)  # the next job runs
    assert fresh != worker and alive(fresh)
    assert pool.in_flight == 0 and pool.submitted == 2


def test_a_shared_build_past_its_limit_fails_every_waiter_and_stops(pool: PdfPool, tmp_path: Path) -> None:
    """Builds.run's waiters each get TimeoutError, and the job does not outlive its limit."""
    pid_file = tmp_path / "pid"
    builds = Builds()

    async def waiters() -> list[BaseException | None]:
        runs = [builds.run("key", pool, pdf_jobs.hang, str(pid_file), timeout=LIMIT) for _ in range(2)]
        outcomes: list[BaseException | None] = await asyncio.gather(*runs, return_exceptions=True)
        deadline = time.monotonic() + SLACK
        while builds.running("key"):  # until the pool has stopped the job
            assert time.monotonic() < deadline, "the job outlived its limit"
            await asyncio.sleep(0.05)
        return outcomes

    outcomes = asyncio.run(waiters())
    assert [type(outcome) for outcome in outcomes] == [TimeoutError, TimeoutError]
    assert pool.submitted == 1  # one job for both
    assert not alive(started_pid(pid_file))


def test_shutting_down_stops_a_running_job(tmp_path: Path) -> None:
    pool = PdfPool(1)
    pid_file = tmp_path / "pid"
    pool.submit(pdf_jobs.hang, str(pid_file))
    worker = started_pid(pid_file)
    started = time.monotonic()
    pool.shutdown()
    assert time.monotonic() - started < SLACK
    assert not alive(worker)
    with pytest.raises(RuntimeError):
        pool.submit(pdf_jobs.pid)
