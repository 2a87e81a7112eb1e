"""`GET /ws/meetings/{id}?since=<seq>`: the live feed of one meeting (../shared/API.md "Live feed").

The handshake is refused before accept (HTTP 403) for a bad or missing Origin, no session, or
a viewer who may not see the meeting. After accept the socket is push-only: commands go over
HTTP. Anything the client sends is read and dropped (the server's frame size limit bounds it).
"""

from __future__ import annotations

import asyncio

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from agenda.errors import NotFound
from agenda.meetings import meetings
from agenda.people import accounts
from meeting_app.auth import current, origin_allowed
from meeting_app.close_codes import CloseCode
from meeting_app.context import ctx
from meeting_app.live.connections import Connection, drain_client, raw_writer


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
            await drain_client(websocket)  # frames go straight to the transport: one task per socket
        else:
            writer = asyncio.create_task(conn.run())
            reader = asyncio.create_task(drain_client(websocket))
            try:
                await asyncio.wait({writer, reader}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                reader.cancel()
                writer.cancel()
    finally:
        hub.leave(channel, conn)


routes = [WebSocketRoute("/ws/meetings/{id:int}", meeting_feed)]
