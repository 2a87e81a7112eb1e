"""`/ws/me`: each user's own push feed (docs/opinion-polls.md "The live bell").

- `{"type": "notifications", "unread": N}` on connect and whenever the user's unread count may
  have changed (a notification created for them, or marked read in another tab).
- `{"type": "paper", "document_id", "version", "meeting_id"}` to a user told of a paper's new
  version (a `paper_version` notification, docs/notifications.md), so that a reader already open
  on that paper shows a banner with a link to the new version (static/js/reader-live.js).
- `{"type": "poll", "poll_id", "state", "responded", "total"}` to the staff (secretariat,
  chair) when an opinion ballot is sent, answered or closed, so that its board moves live.
- `{"type": "task", ...}` and `{"type": "dossier", ...}` on the follow-through's events, to
  those who may know of them (meeting_app/live/follow_frames.py).
- `{"type": "annotation", "document_id", "annotation_id", "action"}` to the users an annotation
  is shared with, and nobody else (meeting_app/live/annotation_frames.py).
- `{"type": "heartbeat"}` every 15 s; the same beat closes (4401) the sockets whose login
  session ended, as the meeting feed does.

The handshake checks the Origin and the session before accept, exactly like the meeting feed
(meeting_app/live/live_feed.py); the socket is push-only. `publish` is one of the database's
after-commit hooks (see `fan_out`): it sees committed events only, this process's and, on
PostgreSQL, every other process's (meeting_app/live/dispatcher.py, listener.py). `mail` hands the
notifications to the mailer when SMTP is configured; it sees only this process's own commits,
so that each notification is mailed by one process.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from agenda.db import Database
from agenda.log import events as ev
from agenda.people import accounts
from agenda.people.notifications import DIGEST_KINDS, unread_count
from meeting_app.auth import current, origin_allowed
from meeting_app.close_codes import CloseCode
from meeting_app.context import ctx
from meeting_app.live import annotation_frames, follow_frames
from meeting_app.live.connections import Connection, drain_client, live_sessions
from meeting_app.live.mailer import Mailer
from meeting_app.settings import Settings

log = logging.getLogger("ecabinet.user_feed")

HEARTBEAT_SECONDS = 15.0
KINDS = (
    frozenset({"notification.created", "notification.read", "poll.sent", "poll.answered", "poll.closed"})
    | follow_frames.KINDS
    | annotation_frames.KINDS
)
FOLLOWED = follow_frames.KINDS | annotation_frames.KINDS  # frames worked out with one read per batch

Publisher = Callable[[list[ev.Event]], None]


def fan_out(*targets: Publisher) -> Publisher:
    """One after-commit hook that calls each of `targets` in turn; one failing does not stop the
    others (the change is committed either way)."""

    def publish(events: list[ev.Event]) -> None:
        for target in targets:
            try:
                target(events)
            except Exception:
                log.exception("an after-commit publisher failed")

    return publish


def paper_frame(data: dict[str, Any]) -> str | None:
    """The frame telling a reader of a new version, from a `paper_version` notification's key
    (`doc:<document>:v<n>:m<meeting>`, agenda/meetings/change_notices.py); None for any other."""
    if data.get("notification_kind") != "paper_version":
        return None
    parts = str(data.get("key", "")).split(":")
    if len(parts) != 4 or parts[0] != "doc" or not parts[2].startswith("v") or not parts[3].startswith("m"):
        return None
    try:
        document_id, version, meeting_id = int(parts[1]), int(parts[2][1:]), int(parts[3][1:])
    except ValueError:
        return None
    return json.dumps(
        {"type": "paper", "document_id": document_id, "version": version, "meeting_id": meeting_id}
    )


def poll_frame(kind: str, data: dict[str, Any]) -> str:
    if kind == "poll.closed":
        result = data.get("result", {})
        counts = {
            "state": "closed",
            "responded": result.get("responded"),
            "total": result.get("total_membership"),
        }
    elif kind == "poll.sent":
        counts = {"state": "sent", "responded": 0, "total": data.get("total")}
    else:
        counts = {"state": "sent", "responded": data.get("responded"), "total": data.get("total")}
    return json.dumps({"type": "poll", "poll_id": data.get("poll_id"), **counts})


class UserFeed:
    """The open `/ws/me` sockets, by user id."""

    def __init__(self, db: Database, settings: Settings, session_limit: timedelta | None = None) -> None:
        self.db = db
        self.session_limit = session_limit or settings.session_policy.absolute
        self.mailer = Mailer(db, settings) if settings.smtp_host else None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.conns: dict[int, set[Connection]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._refreshing: set[int] = set()
        self._dirty: set[int] = set()

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._spawn(self._heartbeat())

    async def stop(self) -> None:
        for conns in self.conns.values():
            for conn in list(conns):
                conn.close(CloseCode.RESTARTING)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if self.mailer is not None:
            self.mailer.stop()
        await asyncio.gather(*tasks, return_exceptions=True)  # their database calls finished

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- events in (any thread, after commit) -------------------------------------------------

    def mail(self, events: list[ev.Event]) -> None:
        """The notifications committed by this process, to the mailer (when SMTP is set): each
        ballot notice at once; change notices only in the digests the reminders round gathers."""
        if self.mailer is None:
            return
        created = [
            int(data["notification_id"])
            for e in events
            if e.kind == "notification.created"
            and (data := e.payload()).get("notification_kind") not in DIGEST_KINDS
        ]
        if created:
            self.mailer.submit(created)
        for e in events:
            if e.kind == "notification.digested":
                data = e.payload()
                self.mailer.submit_digest(int(data["user_id"]), [int(i) for i in data["notification_ids"]])

    def publish(self, events: list[ev.Event]) -> None:
        wanted = [(e.kind, e.payload()) for e in events if e.kind in KINDS]
        if not wanted:
            return
        if self.loop is None or self.loop.is_closed():
            return
        try:
            self.loop.call_soon_threadsafe(self.receive, wanted)
        except RuntimeError:  # the loop is shutting down
            pass

    def receive(self, items: list[tuple[str, dict[str, Any]]]) -> None:
        """On the loop: poll frames to the staff's sockets, fresh unread counts to the users told."""
        users: set[int] = set()
        follow = [(kind, data) for kind, data in items if kind in FOLLOWED]
        if follow and self.conns:
            self._spawn(self._follow(follow))
        for kind, data in items:
            if kind in FOLLOWED:
                continue
            if kind.startswith("notification."):
                users.add(int(data["user_id"]))
                paper = paper_frame(data) if kind == "notification.created" else None
                if paper is not None:
                    self.push_to(int(data["user_id"]), paper)
                continue
            frame = poll_frame(kind, data)
            for conns in self.conns.values():
                for conn in list(conns):
                    if conn.viewer.is_staff and not conn.push(frame):
                        self._drop(conn, CloseCode.TOO_SLOW)
        for user_id in users:
            if user_id in self.conns:
                self.refresh(user_id)

    async def _follow(self, items: list[tuple[str, dict[str, Any]]]) -> None:
        """Task, dossier and annotation frames, each to those who may know of it (one read per batch)."""
        viewers = {user_id: next(iter(conns)).viewer for user_id, conns in self.conns.items() if conns}
        try:
            found = await self.db.read(
                lambda s: (
                    follow_frames.frames(s, items, viewers) + annotation_frames.frames(s, items, viewers)
                )
            )
        except Exception:
            log.exception("could not work out the follow-through frames")
            return
        for user_id, frame in found:
            self.push_to(user_id, frame)

    def push_to(self, user_id: int, frame: str) -> None:
        """One frame to every socket of one user."""
        for conn in list(self.conns.get(user_id, ())):
            if not conn.push(frame):
                self._drop(conn, CloseCode.TOO_SLOW)

    def refresh(self, user_id: int) -> None:
        """Push the user's unread count; one read at a time per user, repeated if it changed meanwhile."""
        if user_id in self._refreshing:
            self._dirty.add(user_id)
            return
        self._refreshing.add(user_id)
        self._spawn(self._refresh(user_id))

    async def _refresh(self, user_id: int) -> None:
        try:
            while True:
                self._dirty.discard(user_id)
                unread = await self.db.read(lambda s: unread_count(s, user_id))
                frame = json.dumps({"type": "notifications", "unread": unread})
                for conn in list(self.conns.get(user_id, ())):
                    if not conn.push(frame):
                        self._drop(conn, CloseCode.TOO_SLOW)
                if user_id not in self._dirty:
                    return
        except Exception:
            log.exception("could not count the notifications of user %s", user_id)
        finally:
            self._refreshing.discard(user_id)

    # --- sockets ------------------------------------------------------------------------------

    def join(self, conn: Connection) -> None:
        self.conns.setdefault(conn.viewer.user_id, set()).add(conn)
        self.refresh(conn.viewer.user_id)

    def leave(self, conn: Connection) -> None:
        conns = self.conns.get(conn.viewer.user_id)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self.conns[conn.viewer.user_id]

    def _drop(self, conn: Connection, code: int) -> None:
        self.leave(conn)
        conn.close(code)

    def open_sockets(self) -> int:
        return sum(len(c) for c in self.conns.values())

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                await self.beat()
            except Exception:
                log.exception("user feed heartbeat failed")

    async def beat(self) -> None:
        """A heartbeat to every socket; those whose login session ended are closed with 4401."""
        sessions = {c.session_id for conns in self.conns.values() for c in conns}
        limit = self.session_limit
        alive = await self.db.read(lambda s: live_sessions(s, sessions, limit)) if sessions else set()
        frame = json.dumps({"type": "heartbeat"})
        for conns in list(self.conns.values()):
            for conn in list(conns):
                # A socket that joined during the read was not asked about: it is not ended.
                if conn.session_id in sessions and conn.session_id not in alive:
                    self._drop(conn, CloseCode.SESSION_ENDED)
                elif not conn.push(frame):
                    self._drop(conn, CloseCode.TOO_SLOW)


async def my_feed(websocket: WebSocket) -> None:
    app = ctx(websocket)
    origin = websocket.headers.get("origin")
    if not origin or not origin_allowed(websocket, origin):
        await websocket.close(code=CloseCode.REFUSED)
        return
    found = await current(websocket)
    if found is None:
        await websocket.close(code=CloseCode.REFUSED)
        return
    await websocket.accept()
    feed = app.user_feed
    conn = Connection(
        viewer=found.viewer,
        session_id=accounts.session_id(found.token, app.settings.secret_key),
        send=websocket.send_text,
        close=lambda code: websocket.close(code=code),
    )
    feed.join(conn)
    writer = asyncio.create_task(conn.run())
    reader = asyncio.create_task(drain_client(websocket))
    try:
        await asyncio.wait({writer, reader}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        feed.leave(conn)
        reader.cancel()
        writer.cancel()


routes = [WebSocketRoute("/ws/me", my_feed)]
