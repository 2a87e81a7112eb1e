"""`GET /ws/meetings/{id}?since=<seq>`: the live feed of one meeting (API.md "Live feed").

The handshake is refused before accept (HTTP 403) for a bad or missing Origin, no session, or
a viewer who may not see the meeting. After accept the socket is push-only: commands go over
HTTP. Anything the client sends is read and dropped (the server's frame size limit bounds it).
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.routing import WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.protocol import Protocol, State

from agenda.errors import NotFound
from agenda.meetings import meetings
from agenda.people import accounts
from meeting_app.auth import current, origin_allowed
from meeting_app.close_codes import CloseCode
from meeting_app.context import ctx
from meeting_app.live import hub as hub_module
from meeting_app.live.hub import Connection

SERVER_SEND = "ecabinet.server_send"


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

    def __init__(self, transport: Any, protocol_conn: Protocol) -> None:
        self.transport = transport
        self.conn = protocol_conn

    def write(self, frame: bytes) -> bool:
        if self.conn.state is not State.OPEN or self.transport.is_closing():
            return True  # closing: the reader sees the disconnect and the socket leaves
        if self.transport.get_write_buffer_size() > hub_module.QUEUE_BYTES:
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
    if not isinstance(conn, Protocol) or conn.extensions:  # compression changes the frames
        return None
    return _TransportWriter(transport, conn)


def _since(value: str | None) -> int | None:
    if value is None or not value.isdigit() or len(value) > 18:
        return None  # a missing or malformed seq means "start from a snapshot"
    return int(value)


async def meeting_feed(websocket: WebSocket) -> None:
    app = ctx(websocket)
    origin = websocket.headers.get("origin")
    if not origin or not origin_allowed(websocket, origin):
        await websocket.close(code=CloseCode.REFUSED)
        return
    found = await current(websocket)
    if found is None:
        await websocket.close(code=CloseCode.REFUSED)
        return
    raw_id = websocket.path_params["id"]
    meeting_id = int(raw_id)
    viewer = found.viewer
    try:
        await app.db.read(lambda s: meetings.get_meeting(session=s, meeting_id=meeting_id, viewer=viewer))
    except NotFound:
        await websocket.close(code=CloseCode.REFUSED)
        return
    await websocket.accept()
    hub = app.hub
    conn = Connection(
        viewer=viewer,
        session_id=accounts.session_id(found.token, app.settings.secret_key),
        send=websocket.send_text,
        close=lambda code: websocket.close(code=code),
        raw=raw_writer(websocket),
    )
    channel = await hub.join(
        meeting_id,
        conn,
        since=_since(websocket.query_params.get("since")),
        epoch=websocket.query_params.get("epoch"),
    )
    try:
        if conn.raw is not None:
            await _drain_client(websocket)  # frames go straight to the transport: one task per socket
        else:
            writer = asyncio.create_task(conn.run())
            reader = asyncio.create_task(_drain_client(websocket))
            try:
                await asyncio.wait({writer, reader}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                reader.cancel()
                writer.cancel()
    finally:
        hub.leave(channel, conn)


async def _drain_client(websocket: WebSocket) -> None:
    """Read (and ignore) whatever the client sends, until it disconnects."""
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
    except (WebSocketDisconnect, RuntimeError):
        return


routes = [WebSocketRoute("/ws/meetings/{id:int}", meeting_feed)]
