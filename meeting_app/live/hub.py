"""The live hub: per meeting, the open sockets and the state they follow. See docs/live.md.

- Committed events arrive from the database layer (`publish`, called after commit from a worker
  thread) and are handed to the event loop. They are delivered strictly in seq order: an event
  that arrives early waits for the ones before it, and a gap that does not fill within
  CATCH_UP_AFTER seconds is read from the Event table. Other processes' events come the same
  way, through the dispatcher (live/dispatcher.py, live/listener.py) in front of `publish`.
- Each meeting's channel keeps the full state (agenda/live/live_state.py) at the seq it delivered,
  advanced by `apply()`; kinds it cannot apply reload the state from the database before the
  event is delivered, so visibility is always judged on a state that includes the event.
- Frames are serialized once per audience class (agenda/live/live_view.py) and framed once
  (live/frames.py), then pushed to each connection (live/connections.py): on its bounded queue,
  or under uvicorn straight to its transport. A tablet that falls QUEUE_BYTES behind is closed
  with 1013 and resumes by itself; it never slows the others. Publishing never awaits a socket.
- Resume: a client that gives `since` gets the events after it (from memory, else from the
  table), filtered for its viewer; too far back, ahead of the server, or from another epoch, it
  gets a snapshot.
- For /metrics (meeting_app/ops/monitoring.py): `published` counts the committed events handed to
  `publish`; `fanout` times each event from its arrival at the hub to its frame written to the
  meeting's last socket, with one perf_counter pair per event, never one per socket.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections import deque
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from time import perf_counter
from typing import Any

from sqlmodel import Session, col, select

from agenda.clock import iso, utcnow
from agenda.db import Database
from agenda.live.live_state import State, apply, load_state
from agenda.live.live_view import AudienceKey, audience_key, event_visible, present_state
from agenda.log import events as ev
from agenda.people.accounts import SessionPolicy
from agenda.policy import Policy
from agenda.viewer import Viewer
from agenda.votes.models import get_vote, vote_view
from meeting_app.close_codes import CloseCode
from meeting_app.live.connections import Connection, live_sessions
from meeting_app.live.frames import (
    Record,
    encode_frame,
    event_frame,
    heartbeat_frame,
    snapshot_frame,
    viewer_info,
)
from meeting_app.metrics import Counter, Histogram

log = logging.getLogger("ecabinet.hub")

RECENT = 2000  # events kept in memory per meeting for resumes
REPLAY_LIMIT = 1000  # a resume further back than this gets a snapshot instead
CATCH_UP_AFTER = 0.05  # seconds a seq gap may stay open before it is read from the table
HEARTBEAT_SECONDS = 15.0


@dataclass
class Channel:
    meeting_id: int
    state: State = field(default_factory=dict)
    state_seq: int = 0  # the seq `state` reflects
    seq: int = 0  # the last seq delivered to the sockets
    loaded: bool = False
    conns: set[Connection] = field(default_factory=set)
    pending: dict[int, Record] = field(default_factory=dict)
    recent: deque[Record] = field(default_factory=lambda: deque(maxlen=RECENT))
    snapshots: dict[tuple[int, AudienceKey], str] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    busy: bool = False  # a reload or a catch-up read is running; delivery waits for it
    joining: int = 0  # callers loading or joining; the channel must not be dropped meanwhile
    catch_up: asyncio.TimerHandle | None = None
    arrived: dict[int, float] = field(default_factory=dict)  # seq -> perf_counter() when it reached the hub


class Hub:
    def __init__(
        self, db: Database, policy: Policy, session_limit: timedelta = SessionPolicy.absolute
    ) -> None:
        self.db = db
        self.policy = policy
        self.session_limit = session_limit  # a login session's absolute lifetime (SessionPolicy's)
        # Names the event log (agenda.log.events.log_epoch), set by the app at start; the same in
        # every process on one database, so a tablet resumes by seq on any of them.
        self.epoch = secrets.token_hex(8)
        self.channels: dict[int, Channel] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.delivered = 0  # events delivered, for /metrics (issue 6)
        self.published = Counter()  # committed events handed to publish() (from any process), for /metrics
        self.fanout = Histogram()  # seconds from an event reaching the hub to its last socket write

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._spawn(self._heartbeat())
        # The collector's tuning for thousands of sockets is the serving process's: meeting_app/serving.py.

    async def stop(self) -> None:
        """Close every socket with 1012 (server restarting): tablets reconnect elsewhere or later."""
        for channel in self.channels.values():
            for conn in list(channel.conns):
                conn.close(CloseCode.RESTARTING)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        # Awaited: a database call in a worker thread gives its connection back before the
        # engine is disposed.
        await asyncio.gather(*tasks, return_exceptions=True)

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- events in ----------------------------------------------------------------------------

    def publish(self, events: list[ev.Event]) -> None:
        """The database layer's after-commit hook; may be called from any thread."""
        self.published.inc(len(events))
        records = [(e.stream, Record.of(e)) for e in events if e.stream > 0]
        if not records or self.loop is None or self.loop.is_closed():
            return
        try:
            self.loop.call_soon_threadsafe(self.receive, records, perf_counter())
        except RuntimeError:  # the loop is shutting down
            pass

    def receive(self, records: Iterable[tuple[int, Record]], arrived: float | None = None) -> None:
        """On the loop: queue the records of followed meetings and deliver what is contiguous.
        `arrived` (perf_counter) is when the hub got them: the fan-out latency starts there."""
        arrived = perf_counter() if arrived is None else arrived
        touched: set[int] = set()
        for stream, record in records:
            channel = self.channels.get(stream)
            if channel is None:
                continue
            if record.seq > channel.seq:
                channel.pending[record.seq] = record
                channel.arrived.setdefault(record.seq, arrived)
                touched.add(stream)
        for stream in touched:
            self._drain(self.channels[stream])

    def notify(self, stream: int, seq: int) -> None:
        """Another process appended `seq` to `stream`: read it (and any before it) from the table."""
        channel = self.channels.get(stream)
        if channel is not None and seq > channel.seq:
            channel.arrived.setdefault(seq, perf_counter())  # its fan-out latency starts now
        if channel is not None and channel.loaded and seq > channel.seq and not channel.busy:
            channel.busy = True
            self._spawn(self._catch_up(channel))

    def _drain(self, channel: Channel) -> None:
        if not channel.loaded or channel.busy:
            return
        while channel.seq + 1 in channel.pending:
            record = channel.pending.pop(channel.seq + 1)
            if record.seq > channel.state_seq and not apply(channel.state, record.kind, record.data):
                # A kind the reducer does not know: reload, then deliver this event and the rest.
                channel.pending[record.seq] = record
                channel.busy = True
                self._spawn(self._reload(channel))
                return
            self._deliver(channel, record)
        if channel.pending and channel.catch_up is None and self.loop is not None:
            channel.catch_up = self.loop.call_later(CATCH_UP_AFTER, self._gap_timeout, channel)

    def _gap_timeout(self, channel: Channel) -> None:
        channel.catch_up = None
        if channel.pending and not channel.busy:
            channel.busy = True
            self._spawn(self._catch_up(channel))

    async def _catch_up(self, channel: Channel) -> None:
        try:
            rows = await self.db.read(
                lambda s: read_records(s, channel.meeting_id, channel.seq, REPLAY_LIMIT)
            )
            for record in rows:
                channel.pending.setdefault(record.seq, record)
        except Exception:
            log.exception("catch-up read failed for meeting %s", channel.meeting_id)
        finally:
            channel.busy = False
        self._drain(channel)

    async def _reload(self, channel: Channel) -> None:
        try:
            loaded = await self.db.read(
                lambda s: load_state(session=s, meeting_id=channel.meeting_id, policy=self.policy)
            )
            channel.state, channel.state_seq = loaded.state, loaded.seq
            for conn in channel.conns:
                conn.key = audience_key(channel.state, conn.viewer)
            channel.snapshots.clear()
            while channel.seq + 1 in channel.pending and channel.seq + 1 <= channel.state_seq:
                self._deliver(channel, channel.pending.pop(channel.seq + 1))
        except Exception:
            log.exception("state reload failed for meeting %s", channel.meeting_id)
            for conn in list(channel.conns):
                conn.close(CloseCode.TOO_SLOW)
        finally:
            channel.busy = False
        self._drain(channel)

    def _deliver(self, channel: Channel, record: Record) -> None:
        """Send one event, in order, to every socket of the meeting: one frame per audience class."""
        channel.seq = record.seq
        channel.state_seq = max(channel.state_seq, record.seq)
        channel.recent.append(record)
        channel.snapshots.clear()
        self.delivered += 1
        arrived = channel.arrived.pop(record.seq, None)
        frames: dict[AudienceKey, tuple[str, bytes]] = {}
        for conn in list(channel.conns):
            if record.seq <= conn.after:
                continue  # already in this connection's snapshot
            frame = frames.get(conn.key)
            if frame is None:
                visible = event_visible(channel.state, conn.key, record.kind, record.data)
                text = event_frame(record, visible)
                frame = frames[conn.key] = (text, encode_frame(text))
            if not conn.push(*frame):
                self._drop(channel, conn, CloseCode.TOO_SLOW)
        if arrived is not None and channel.conns:  # once per event, never per socket
            self.fanout.observe(perf_counter() - arrived)

    def _drop(self, channel: Channel, conn: Connection, code: int) -> None:
        channel.conns.discard(conn)
        conn.close(code)

    # --- sockets in ---------------------------------------------------------------------------

    async def _load(self, channel: Channel) -> None:
        """Load the meeting's state once. The caller holds `joining` meanwhile."""
        meeting_id = channel.meeting_id
        async with channel.lock:
            if not channel.loaded:
                loaded = await self.db.read(
                    lambda s: load_state(session=s, meeting_id=meeting_id, policy=self.policy)
                )
                channel.state, channel.state_seq, channel.seq = loaded.state, loaded.seq, loaded.seq
                channel.pending = {n: r for n, r in channel.pending.items() if n > loaded.seq}
                channel.arrived = {n: t for n, t in channel.arrived.items() if n > loaded.seq}
                channel.loaded = True
                self._drain(channel)

    async def join(
        self, meeting_id: int, conn: Connection, *, since: int | None, epoch: str | None
    ) -> Channel:
        """Queue the first frames (a replay or a snapshot) and follow the meeting from there on."""
        channel = self.channels.get(meeting_id) or self.channels.setdefault(meeting_id, Channel(meeting_id))
        channel.joining += 1
        try:
            await self._name_log()
            await self._load(channel)
            await self._join(channel, conn, since=since, epoch=epoch)
        finally:
            channel.joining -= 1
        return channel

    async def _name_log(self) -> None:
        """Started on an empty database: name the log once its first global event exists."""
        if self.epoch == ev.EMPTY_LOG:
            self.epoch = await self.db.read(ev.log_epoch)

    async def snapshot_for(self, meeting_id: int, viewer: Viewer) -> dict[str, Any]:
        """The filtered state for the HTTP view of the feed (GET /api/v1/meetings/{id}/live)."""
        channel = self.channels.get(meeting_id) or self.channels.setdefault(meeting_id, Channel(meeting_id))
        channel.joining += 1
        try:
            await self._name_log()
            await self._load(channel)
            state = present_state(channel.state, viewer)
            state["viewer"] = viewer_info(viewer)
            return {
                "seq": channel.state_seq,
                "epoch": self.epoch,
                "server_time": iso(utcnow()),
                "state": state,
            }
        finally:
            channel.joining -= 1

    async def _join(
        self, channel: Channel, conn: Connection, *, since: int | None, epoch: str | None
    ) -> None:
        replay: list[Record] | None = None
        if since is not None and epoch in (None, self.epoch) and since <= channel.seq:
            if channel.seq - since <= REPLAY_LIMIT:
                replay = await self._records_after(channel, since)
        extra = await self._viewer_extra(channel, conn.viewer)
        # From here to the end, no await: the frames queued and the membership agree on one seq.
        conn.key = audience_key(channel.state, conn.viewer)
        if replay is not None:
            last = replay[-1].seq if replay else since or 0
            for record in [*replay, *(r for r in channel.recent if r.seq > last)]:
                visible = event_visible(channel.state, conn.key, record.kind, record.data)
                conn.push(event_frame(record, visible))
            conn.after = channel.seq
        else:
            conn.push(self._snapshot(channel, conn, extra))
            conn.after = channel.state_seq
        channel.conns.add(conn)

    def leave(self, channel: Channel, conn: Connection) -> None:
        channel.conns.discard(conn)

    async def _records_after(self, channel: Channel, since: int) -> list[Record]:
        if channel.recent and channel.recent[0].seq <= since + 1:
            return [r for r in channel.recent if r.seq > since]
        upto = channel.seq
        rows = await self.db.read(lambda s: read_records(s, channel.meeting_id, since, upto - since))
        return [r for r in rows if r.seq <= upto]

    async def _viewer_extra(self, channel: Channel, viewer: Viewer) -> dict[int, dict[str, Any]]:
        """A member's own ballot on each open vote (`my_choice`, `has_voted`, `eligible_me`)."""
        open_ids = [v["id"] for v in channel.state.get("votes", []) if v["state"] == "open"]
        if not open_ids or viewer.member_id is None or not viewer.has("member"):
            return {}

        def read(session: Session) -> dict[int, dict[str, Any]]:
            found: dict[int, dict[str, Any]] = {}
            for vote_id in open_ids:
                view = vote_view(session, get_vote(session=session, vote_id=vote_id), viewer)
                found[vote_id] = {k: view[k] for k in ("my_choice", "has_voted", "eligible_me") if k in view}
            return found

        return await self.db.read(read)

    def _snapshot(self, channel: Channel, conn: Connection, extra: dict[int, dict[str, Any]]) -> str:
        cache_key = (conn.viewer.user_id, conn.key)
        cached = channel.snapshots.get(cache_key) if not extra else None
        if cached is None:
            state = present_state(channel.state, conn.viewer)
            state["viewer"] = viewer_info(conn.viewer)
            if extra:
                state["votes"] = [{**v, **extra.get(v["id"], {})} for v in state["votes"]]
            cached = json.dumps(state, ensure_ascii=False)
            if not extra:
                channel.snapshots[cache_key] = cached
        return snapshot_frame(
            seq=channel.state_seq, epoch=self.epoch, server_time=iso(utcnow()) or "", state=cached
        )

    # --- keeping sockets honest ----------------------------------------------------------------

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            await self.beat()

    async def beat(self) -> None:
        """A heartbeat to every socket, and sockets whose login session ended are closed."""
        sessions = {c.session_id for ch in self.channels.values() for c in ch.conns}
        absolute = self.session_limit
        alive = await self.db.read(lambda s: live_sessions(s, sessions, absolute)) if sessions else set()
        for channel in list(self.channels.values()):
            frame = heartbeat_frame(channel.seq)
            framed = encode_frame(frame)
            for conn in list(channel.conns):
                # A socket that joined during the read was not asked about: it is not ended.
                if conn.session_id in sessions and conn.session_id not in alive:
                    self._drop(channel, conn, CloseCode.SESSION_ENDED)
                elif not conn.push(frame, framed):
                    self._drop(channel, conn, CloseCode.TOO_SLOW)
            if not channel.conns and not channel.busy and not channel.joining:
                del self.channels[channel.meeting_id]  # loaded again by the next socket

    def open_sockets(self) -> int:
        return sum(len(ch.conns) for ch in self.channels.values())

    def fast_path_sockets(self) -> int:
        """The open sockets whose frames go straight to the server's transport (see Connection.raw)."""
        return sum(1 for ch in self.channels.values() for c in ch.conns if c.raw is not None)


def read_records(session: Session, meeting_id: int, after: int, limit: int) -> list[Record]:
    rows = session.exec(
        select(ev.Event)
        .where(ev.Event.stream == meeting_id, ev.Event.seq > after)
        .order_by(col(ev.Event.seq))
        .limit(limit)
    ).all()
    return [Record.of(row) for row in rows]
