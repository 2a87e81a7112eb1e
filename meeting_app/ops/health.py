"""`GET /readyz`: may a load balancer send this process traffic? See docs/deployment.md.

Ready means the database answers a trivial query within READY_TIMEOUT and, on PostgreSQL, the
listener (meeting_app/live/listener.py) is connected, so this process's sockets get the events the
other processes commit. `/healthz` (meeting_app/app.py) only says that the process is alive.
"""

from __future__ import annotations

import anyio
import anyio.to_thread
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from agenda.db import Database
from meeting_app.context import ctx

READY_TIMEOUT = 2.0  # seconds


def _ping(db: Database) -> None:
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


async def database_answers(
    db: Database, limiter: anyio.CapacityLimiter, timeout: float = READY_TIMEOUT
) -> bool:
    """True when `SELECT 1` answers within `timeout`. The check runs on a thread of its own
    (`limiter`), so it neither waits behind busy database calls nor takes their threads."""
    with anyio.move_on_after(timeout):
        try:
            await anyio.to_thread.run_sync(_ping, db, limiter=limiter, abandon_on_cancel=True)
        except Exception:
            return False
        return True
    return False


async def readyz(request: Request) -> Response:
    app = ctx(request)
    if not await database_answers(app.db, app.ready_checks):
        return PlainTextResponse("database not answering", status_code=503)
    if app.listener is not None and not app.listener.ready:
        return PlainTextResponse("listener not connected", status_code=503)
    return PlainTextResponse("ready")
