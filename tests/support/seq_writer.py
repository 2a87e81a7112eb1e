"""One of the concurrent writers of tests/test_cluster.py's seq test, run as its own process:

    python -m tests.support.seq_writer URL STREAM THREADS EACH SEED

`THREADS` threads each run `EACH` transactions appending one or two events to `STREAM`; about
a third of them roll back after appending. Prints the seqs that committed, as JSON. It imports
only the event log, so that several of them start quickly.
"""

from __future__ import annotations

import json
import random
import sys
import threading
from functools import partial

from sqlmodel import Session

from agenda.db import Database, make_engine
from agenda.log import events
from agenda.log.event_kinds import AgendaAdvanced


class Rollback(Exception):
    """Raised inside a write to roll it back after it appended its events."""


def _append(session: Session, *, stream: int, count: int, undo: bool) -> list[int]:
    event = AgendaAdvanced(meeting_id=stream, to_item_id=1, at="2026-11-27T09:00:00+07:00")
    seqs = [events.append(session, event, actor_id=None).seq for _ in range(count)]
    if undo:
        raise Rollback()
    return seqs


def append_concurrently(url: str, stream: int, threads: int, each: int, seed: int) -> list[int]:
    db = Database(make_engine(url, pool_size=threads))
    committed: list[int] = []
    guard = threading.Lock()

    def work(n: int) -> None:
        chance = random.Random(seed * 1000 + n)
        for _ in range(each):
            count, undo = chance.choice((1, 1, 2)), chance.random() < 0.33
            try:
                seqs = db.write_sync(partial(_append, stream=stream, count=count, undo=undo))
            except Rollback:
                continue
            with guard:
                committed.extend(seqs)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    db.engine.dispose()
    return committed


if __name__ == "__main__":
    url, stream, threads, each, seed = sys.argv[1:6]
    found = append_concurrently(url, int(stream), int(threads), int(each), int(seed))
    sys.stdout.write(json.dumps(found) + "\n")
