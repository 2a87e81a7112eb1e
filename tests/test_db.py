"""Units of work and the engine's end: `Database.close` waits for the units still running."""

from __future__ import annotations

import threading
import time

from sqlalchemy import text

from agenda.db import Database, make_engine


def test_close_waits_for_a_unit_of_work_still_running(database_url: str) -> None:
    """At shutdown a worker thread may outlive the task that awaited it: the engine is disposed
    only once that thread has given its connection back, so none is left for the collector."""
    db = Database(make_engine(database_url))
    started = threading.Event()
    finished: list[float] = []

    def slow_read() -> None:
        with db.reading() as session:
            started.set()
            time.sleep(0.3)
            session.execute(text("SELECT 1"))
            finished.append(time.monotonic())

    worker = threading.Thread(target=slow_read)
    worker.start()
    assert started.wait(10)
    db.close()
    closed = time.monotonic()
    worker.join()
    assert finished and finished[0] <= closed
    assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
