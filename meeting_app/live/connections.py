"""One socket of a feed: its bounded queue and writer, or the fast path to its transport. See
docs/live.md.

- A `Connection` queues the frames the hub (live/hub.py) or the user feed (live/user_feed.py)
  pushes to it, up to QUEUE_BYTES; one writer task per connection (`run`) drains the queue. A
  socket that falls that far behind is closed by its feed and resumes by itself; it never slows
  the others, and pushing never awaits a socket.
- The fast path, under uvicorn's `websockets-sansio` protocol: a frame framed once per audience
  class (live/frames.py) is written straight to the socket's transport (`raw_writer`), whose
  buffer is the bound, with no task per socket. `KeepServerSend` keeps the server's own `send`,
  which the fast path reads the protocol object from.
- `live_sessions` is the feeds' heartbeat check: sockets whose login session ended are closed.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Protocol

from sqlmodel import Session, col, select
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.protocol import Protocol as SansIO
from websockets.protocol import State

from agenda.clock import utcnow
from agenda.live.live_view import AudienceKey
from agenda.people.accounts import AuthSession, User
from agenda.viewer import Viewer
from meeting_app.live.frames import encode_frame

QUEUE_BYTES = 1 << 20  # bytes queued on one connection before it counts as too slow
SERVER_SEND = "ecabinet.server_send"

Sender = Callable[[str], Awaitable[None]]
Closer = Callable[[int], Awaitable[None]]


class RawWriter(Protocol):
    """Writes ready-made frames straight to a socket's transport (see `raw_writer`)."""

    def write(self, frame: bytes) -> bool:
        """False when the socket is not open or its buffer is over QUEUE_BYTES."""
        ...


_CLOSING: set[asyncio.Task[None]] = set()  # close tasks of fast-path sockets, kept until done


class Connection:
    """One socket: its viewer, its bounded queue and the task that drains it."""

    def __init__(
        self, *, viewer: Viewer, session_id: str, send: Sender, close: Closer, raw: RawWriter | None = None
    ) -> None:
        self.viewer = viewer
        self.raw = raw  # the fast path: frames go to the transport at once, with no task switch
        self.session_id = session_id
        self.key: AudienceKey = frozenset()
        self._send = send
        self._close = close
        self._queue: deque[str] = deque()
        self._queued = 0  # bytes (characters) waiting in the queue
        self._wake = asyncio.Event()
        self.closed = False
        self.close_code: int | None = None
        self.after = 0  # the last seq this connection has (its snapshot's, or the last replayed)

    def push(self, frame: str, framed: bytes | None = None) -> bool:
        """Queue (or, on the fast path, write) one frame; False when the socket is too far behind."""
        if self.closed:
            return True
        if self.raw is not None:
            return self.raw.write(framed if framed is not None else encode_frame(frame))
        if self._queued + len(frame) > QUEUE_BYTES:
            return False
        self._queue.append(frame)
        self._queued += len(frame)
        self._wake.set()
        return True

    def close(self, code: int) -> None:
        if not self.closed:
            self.closed = True
            self.close_code = code
            if self.raw is not None:  # no writer task on the fast path: close in a task of its own
                task = asyncio.ensure_future(self._close_quietly(code))
                _CLOSING.add(task)
                task.add_done_callback(_CLOSING.discard)
            else:
                self._wake.set()

    async def _close_quietly(self, code: int) -> None:
        try:
            await self._close(code)
        except Exception:  # the peer may be gone already
            pass

    async def run(self) -> None:
        """Drain the queue until the connection closes; then close the socket with its code."""
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._queue and not self.closed:
                    frame = self._queue.popleft()
                    self._queued -= len(frame)
                    try:
                        await self._send(frame)
                    except Exception:  # the peer went away; the reader notices too
                        self.closed = True
                        return
                if self.closed:
                    break
        finally:
            self.closed = True
            if self.close_code is not None:
                try:
                    await self._close(self.close_code)
                except Exception:
                    pass


class KeepServerSend:
    """ASGI middleware, outermost: keeps the server's own `send` of each WebSocket scope, which the
    fast path below needs (Starlette hands the endpoint a wrapped one)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[SERVER_SEND] = send
        await self.app(scope, receive, send)


class _TransportWriter:
    """The fast path under uvicorn's `websockets-sansio` protocol: a frame already encoded once
    for its audience class is written to the socket's transport, with no task per socket.

    It is taken only when the protocol object exposes what it needs (its transport and its
    sans-I/O `websockets` connection, with no extension such as permessage-deflate negotiated:
    run.py turns compression off); otherwise the ASGI `send` path is used. A frame is written
    only while the connection is OPEN, so nothing follows a close frame, and the transport's
    buffer is the bound on a slow tablet.
    """

    def __init__(self, transport: Any, protocol_conn: SansIO) -> None:
        self.transport = transport
        self.conn = protocol_conn

    def write(self, frame: bytes) -> bool:
        if self.conn.state is not State.OPEN or self.transport.is_closing():
            return True  # closing: the reader sees the disconnect and the socket leaves
        if self.transport.get_write_buffer_size() > QUEUE_BYTES:
            return False
        self.transport.write(frame)
        return True


def raw_writer(websocket: WebSocket) -> _TransportWriter | None:
    protocol = getattr(websocket.scope.get(SERVER_SEND), "__self__", None)
    transport = getattr(protocol, "transport", None)
    conn = getattr(protocol, "conn", None)
    # Duck-typed: uvloop's transports are not asyncio.WriteTransport subclasses.
    if not all(hasattr(transport, m) for m in ("write", "is_closing", "get_write_buffer_size")):
        return None
    if not isinstance(conn, SansIO) or conn.extensions:  # compression changes the frames
        return None
    return _TransportWriter(transport, conn)


async def drain_client(websocket: WebSocket) -> None:
    """Read (and ignore) whatever the client sends, until it disconnects: the feeds are push-only."""
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
    except (WebSocketDisconnect, RuntimeError):
        return


def live_sessions(session: Session, session_ids: set[str], absolute: timedelta) -> set[str]:
    """The login sessions that still exist, are younger than the absolute limit, and belong to an
    active user. (An open feed is activity: the idle limit applies to HTTP requests.)"""
    oldest = utcnow() - absolute
    rows = session.exec(
        select(AuthSession.id)
        .join(User, col(User.id) == col(AuthSession.user_id))
        .where(col(AuthSession.id).in_(session_ids), col(AuthSession.created_at) > oldest, col(User.active))
    ).all()
    return set(rows)
