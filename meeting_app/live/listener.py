"""One LISTEN connection per process, on PostgreSQL: commits made by any process reach this
process's sockets. See docs/deployment.md ("Several processes").

The transaction that appends an event runs `pg_notify('meeting_events', '<stream>:<seq>')`
(agenda/log/events.py); PostgreSQL delivers it to every listener once that transaction commits.
The listener hands each notification to the dispatcher (meeting_app/live/dispatcher.py), which reads
the rows after the last seq this process handed on, so a notification for an event already
handed on (this process's own commits) costs nothing, and one that is lost costs nothing
either as long as a later one, or the catch-up, follows. The rows are read on a second
connection of the listener's (`ecabinet-reader-<pid>`), on the event loop: waiting for
notifications holds the first one, and a worker thread and a pool checkout per read would add
to the latency of every event from another process.

When the connection drops, the listener reconnects with exponential backoff and jitter. Once
listening again it catches every stream up from the table, so events committed while it was
away arrive in order, with no gap and no duplicate. A quiet connection is checked every
CHECK_EVERY seconds (and by TCP keepalives), so a dead one is noticed. `ready` is true while it
is connected and listening (GET /readyz).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
from functools import partial
from typing import Any

import psycopg

from agenda.log import events as ev
from meeting_app.live.dispatcher import EVENTS_AFTER, Dispatcher, event_of

log = logging.getLogger("ecabinet.listener")

CHANNEL = "meeting_events"
RETRY_FIRST = 0.25  # seconds before the first reconnect; doubles up to RETRY_MAX, with jitter
RETRY_MAX = 10.0
CHECK_EVERY = 10.0  # seconds without a notification before the connection is checked
CHECK_TIMEOUT = 5.0
CONNECT_TIMEOUT = 5  # seconds (libpq's connect_timeout)


def libpq_url(url: str) -> str:
    """`DATABASE_URL` as libpq takes it: without SQLAlchemy's `+psycopg` driver suffix."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme.startswith("postgres"):
        return f"postgresql://{rest}"
    return url


def backoff(failures: int, *, first: float = RETRY_FIRST, most: float = RETRY_MAX) -> float:
    """Seconds to wait after `failures` failures in a row: doubling, capped, times 0.5-1.0."""
    delay = min(most, first * 2.0 ** max(0, failures - 1))
    return delay * random.uniform(0.5, 1.0)


def application_name(pid: int | None = None) -> str:
    """How the listener shows in pg_stat_activity (operators and tests find it by this name)."""
    return f"ecabinet-listener-{pid if pid is not None else os.getpid()}"


def parse(payload: str) -> tuple[int, int] | None:
    """`'<stream>:<seq>'` (the stream may be negative) as two ints; None when malformed."""
    stream, sep, seq = payload.rpartition(":")
    try:
        return (int(stream), int(seq)) if sep else None
    except ValueError:
        return None


class Listener:
    def __init__(
        self,
        database_url: str,
        dispatcher: Dispatcher,
        *,
        retry_first: float = RETRY_FIRST,
        retry_max: float = RETRY_MAX,
        check_every: float = CHECK_EVERY,
    ) -> None:
        self.url = libpq_url(database_url)
        self.dispatcher = dispatcher
        self.retry_first = retry_first
        self.retry_max = retry_max
        self.check_every = check_every
        self.connects = 0  # successful connections so far (the first, then each reconnect)
        self.notifications = 0
        self._ready = False
        self._task: asyncio.Task[None] | None = None

    @property
    def ready(self) -> bool:
        """Connected, listening, and the catch-up after connecting has been started."""
        return self._ready

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="ecabinet-listener")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._ready = False

    async def _connect(self, name: str) -> psycopg.AsyncConnection[Any]:
        return await psycopg.AsyncConnection.connect(
            self.url,
            autocommit=True,
            application_name=name,
            connect_timeout=CONNECT_TIMEOUT,
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
        )

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                # Two connections: one waits for notifications (its lock is held meanwhile), the
                # other reads the rows they announce, on the loop, with no worker thread.
                async with (
                    await self._connect(application_name()) as conn,
                    await self._connect(reader_name()) as reader,
                ):
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.dispatcher.reader = partial(read_on, reader)
                    # Listening first, then reading: whatever commits from here on is notified,
                    # and whatever committed before (while away) is in the table.
                    await self.dispatcher.catch_up()
                    self._ready = True
                    self.connects += 1
                    failures = 0
                    log.info("listening on %s (connection %d)", CHANNEL, self.connects)
                    await self._follow(conn, reader)
            except Exception as exc:  # connection lost, refused, or the catch-up read failed
                failures += 1
                log.warning("the LISTEN connection failed (%s); reconnecting", exc)
            finally:
                self._ready = False
                self.dispatcher.reader = None
            await asyncio.sleep(backoff(failures or 1, first=self.retry_first, most=self.retry_max))

    async def _follow(self, conn: psycopg.AsyncConnection[Any], reader: psycopg.AsyncConnection[Any]) -> None:
        while True:
            async for note in conn.notifies(timeout=self.check_every):
                found = parse(note.payload)
                if found is not None:
                    self.notifications += 1
                    self.dispatcher.notify(*found)
            # Quiet for a while: make sure both connections are still there.
            await asyncio.wait_for(conn.execute("SELECT 1"), CHECK_TIMEOUT)
            await asyncio.wait_for(reader.execute("SELECT 1"), CHECK_TIMEOUT)


def reader_name(pid: int | None = None) -> str:
    return f"ecabinet-reader-{pid if pid is not None else os.getpid()}"


async def read_on(conn: psycopg.AsyncConnection[Any], stream: int, after: int, limit: int) -> list[ev.Event]:
    """The events of `stream` after `after`, read on the listener's reading connection."""
    cursor = await conn.execute(EVENTS_AFTER, (stream, after, limit))
    return [event_of(row) for row in await cursor.fetchall()]
