"""Every committed event reaches this process's consumers once, in seq order per stream. See
docs/deployment.md ("Several processes").

Committed events come in by two paths:
- this process's own write units of work (`Database.publish`, called after their commit from a
  worker thread), and
- on PostgreSQL, the listener (meeting_app/live/listener.py), told `<stream>:<seq>` of every commit
  made by any process, this one included; it reads the rows from the Event table.

Both paths go through one high-water mark per stream: an event is handed on only when its seq
is the next after the last one handed on. An event already handed on is dropped; one that
arrives early is held, and a gap that stays open GAP_AFTER seconds is read from the table. A
stream's seq has no gap and commits in order (agenda/log/events.py), so a read of `seq > high`
always returns a contiguous run. Consumers (the hub, the user feed, the session cache) are
called under a lock, so each sees every stream in order, once, whatever thread brought it.
What must happen once per commit in the whole cluster (mailing a notification) is a `local`
consumer instead: it sees this process's own commits only.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC
from functools import partial
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from agenda.db import Database
from agenda.log import events as ev

log = logging.getLogger("ecabinet.dispatcher")

GAP_AFTER = 0.05  # seconds an early event waits for the ones before it before they are read
READ_BATCH = 500  # events read from the table at once

Publisher = Callable[[list[ev.Event]], None]
Reader = Callable[[int, int, int], Awaitable[list[ev.Event]]]  # (stream, after, limit) -> events

# The same read as `read_events`, for a plain DB-API connection (the listener's, on the loop).
EVENTS_AFTER = (
    "SELECT stream, seq, kind, data, actor_id, at, prev_hash, hash FROM event"
    " WHERE stream = %s AND seq > %s ORDER BY seq LIMIT %s"
)


class Dispatcher:
    """The process's after-commit hook in front of its consumers (`deliver`)."""

    def __init__(
        self,
        db: Database,
        deliver: Publisher,
        *,
        local: Publisher | None = None,
        gap_after: float = GAP_AFTER,
    ) -> None:
        self.db = db
        self.deliver = deliver
        self.local = local  # sees this process's own commits only: side effects done once (email)
        self.gap_after = gap_after
        self.high: dict[int, int] = {}  # stream -> the last seq handed on
        self.delivered = 0  # events handed on, for /metrics
        self.loop: asyncio.AbstractEventLoop | None = None
        self._held: dict[int, dict[int, ev.Event]] = {}  # early events, waiting for the ones before
        self._lock = threading.RLock()
        self._reading: set[int] = set()  # streams with a table read running
        self._again: set[int] = set()  # streams told of more commits while their read ran
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # Reads the rows after a seq on the event loop (the listener's own connection), when
        # there is one; else they are read through the pool in a worker thread.
        self.reader: Reader | None = None

    @classmethod
    def install(cls, db: Database, *, local: Publisher | None = None) -> Dispatcher:
        """Put a dispatcher between `db` and its consumers (`db.publish`, set before). `local`,
        if given, also gets the events of this process's own commits, and only those."""
        if db.publish is None:
            raise ValueError("the database has no consumers to dispatch to")
        dispatcher = cls(db, db.publish, local=local)
        db.publish = dispatcher.publish
        return dispatcher

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start from the current heads: what was committed before this process is not news."""
        self.loop = asyncio.get_running_loop()
        heads = await self.db.read(read_heads)
        with self._lock:
            for stream, seq in heads.items():
                self.high[stream] = max(self.high.get(stream, 0), seq)

    async def stop(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- events in ----------------------------------------------------------------------------

    def publish(self, events: list[ev.Event]) -> None:
        """`Database.publish`: the events a write of this process committed; any thread."""
        if self.local is not None:
            try:
                self.local(events)
            except Exception:
                log.exception("a local after-commit consumer failed")
        with self._lock:
            gaps = self._accept(events)
        for stream in gaps:
            self._call_soon(self._arm_gap, stream)

    def notify(self, stream: int, seq: int) -> None:
        """On the loop: some process committed `seq` of `stream`; read it unless handed on already."""
        with self._lock:
            if seq <= self.high.get(stream, 0):
                return
        self._read_soon(stream)

    async def catch_up(self) -> None:
        """On the loop: read every stream whose head is past what was handed on (after the
        listener (re)connects, when notifications may have been missed)."""
        heads = await self.db.read(read_heads)
        with self._lock:
            behind = [s for s, seq in heads.items() if seq > self.high.get(s, 0)]
        for stream in behind:
            self._read_soon(stream)

    def idle(self) -> bool:
        """Nothing held and nothing being read (for tests)."""
        return not self._held and not self._reading

    # --- inside -------------------------------------------------------------------------------

    def _accept(self, events: Iterable[ev.Event]) -> set[int]:
        """Under the lock: hand on what continues each stream, hold what is early. Returns the
        streams left with a gap."""
        ready: list[ev.Event] = []
        touched: set[int] = set()
        for event in events:
            stream, seq = event.stream, event.seq
            high = self.high.get(stream, 0)
            if seq <= high:
                continue  # handed on already (the other path brought it first)
            touched.add(stream)
            if seq > high + 1:
                self._held.setdefault(stream, {})[seq] = event
                continue
            ready.append(event)
            high = seq
            held = self._held.get(stream)
            while held and high + 1 in held:
                high += 1
                ready.append(held.pop(high))
            self.high[stream] = high
        gaps: set[int] = set()
        for stream in touched:
            held = self._held.get(stream)
            if held is None:
                continue
            high = self.high.get(stream, 0)
            for seq in [n for n in held if n <= high]:
                del held[seq]
            if held:
                gaps.add(stream)
            else:
                del self._held[stream]
        if ready:
            self.delivered += len(ready)
            self.deliver(ready)  # fan_out: one failing consumer does not stop the others
        return gaps

    def _call_soon(self, fn: Callable[[int], None], stream: int) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(fn, stream)
        except RuntimeError:  # the loop is shutting down
            pass

    def _arm_gap(self, stream: int) -> None:
        if stream not in self._timers and self.loop is not None:
            self._timers[stream] = self.loop.call_later(self.gap_after, self._gap_due, stream)

    def _gap_due(self, stream: int) -> None:
        self._timers.pop(stream, None)
        if self._held.get(stream):
            self._read_soon(stream)

    def _read_soon(self, stream: int) -> None:
        if stream in self._reading:
            self._again.add(stream)
            return
        self._reading.add(stream)
        self._spawn(self._read(stream))

    async def _read(self, stream: int) -> None:
        try:
            while True:
                self._again.discard(stream)
                rows = await self._fetch(stream, self.high.get(stream, 0))
                with self._lock:
                    gaps = self._accept(rows)
                if len(rows) < READ_BATCH and stream not in self._again:
                    break
        except Exception:
            log.exception("reading the events of stream %s failed", stream)
            gaps = {stream} if self._held.get(stream) else set()
        finally:
            self._reading.discard(stream)
        if stream in gaps:
            self._arm_gap(stream)

    async def _fetch(self, stream: int, after: int) -> list[ev.Event]:
        reader = self.reader
        if reader is not None:
            try:
                return await reader(stream, after, READ_BATCH)
            except Exception as exc:  # the listener reconnects; meanwhile, read through the pool
                log.warning("reading stream %s on the listener's connection failed: %s", stream, exc)
        return await self.db.read(partial(read_events, stream=stream, after=after, limit=READ_BATCH))

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def read_heads(session: Session) -> dict[int, int]:
    """The last seq of every stream."""
    rows = session.execute(text("SELECT stream, last_seq FROM stream_head")).all()
    return {int(stream): int(seq) for stream, seq in rows}


def read_events(session: Session, *, stream: int, after: int, limit: int) -> list[ev.Event]:
    rows = session.exec(
        select(ev.Event)
        .where(ev.Event.stream == stream, ev.Event.seq > after)
        .order_by(col(ev.Event.seq))
        .limit(limit)
    ).all()
    return list(rows)


def event_of(row: Sequence[Any]) -> ev.Event:
    """An Event from a row of EVENTS_AFTER, as the ORM would load it (`at` in UTC). Made by the
    constructor, not `model_construct`: the first instance configures the ORM mappers, without
    which the attributes of an Event cannot be read."""
    stream, seq, kind, data, actor_id, at, prev_hash, digest = row
    return ev.Event(
        stream=stream,
        seq=seq,
        kind=kind,
        data=data,
        actor_id=actor_id,
        at=at.astimezone(UTC),
        prev_hash=prev_hash,
        hash=digest,
    )
