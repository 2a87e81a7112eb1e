"""The app as `run.py serve` runs it: the tuning that belongs to a serving process, not to the app.

uvicorn calls `served_app()` in every process it serves from, `--workers N` included. The wrapper
it returns passes everything through, and on the lifespan's messages, which arrive on the
serving event loop:
- `lifespan.startup` (before the app starts): anyio's default thread limiter, which is per
  event loop and runs the app's database calls (`run_sync`), gets `DB_THREADS` tokens instead of
  anyio's 40: a few threads keep the GIL and the database pool uncontended, more only queue;
- `lifespan.startup.complete` (the app has started): the garbage collector freezes what
  start-up made and collects the oldest generation far less often. Thousands of sockets are
  hundreds of thousands of long-lived objects: full collections of them took 0.3-0.6 s in
  bench/fanout.py and landed in the middle of a fan-out.
Both are process-wide, so an app built by `create_app` alone (the test suite's TestClients)
leaves them as they are.
"""

from __future__ import annotations

import gc

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from meeting_app.app import create_app
from meeting_app.settings import Settings

GC_THRESHOLDS = (10_000, 20, 100)


def limit_threads(tokens: int) -> None:
    """Run the current event loop's `anyio.to_thread` calls on at most `tokens` threads."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = tokens


def freeze_start_up() -> None:
    """Keep what exists now out of every collection, and collect the oldest generation rarely."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


class Serving:
    """`app` with the serving process's tuning applied around its lifespan's start."""

    def __init__(self, app: ASGIApp, *, db_threads: int) -> None:
        self.app = app
        self.db_threads = db_threads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def received() -> Message:
            message = await receive()
            if message["type"] == "lifespan.startup":
                limit_threads(self.db_threads)
            return message

        async def sending(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                freeze_start_up()
            await send(message)

        await self.app(scope, received, sending)


def served_app() -> ASGIApp:
    """uvicorn's factory (`run.py serve`): the app of the environment's settings, tuned."""
    settings = Settings.from_env()
    return Serving(create_app(settings), db_threads=settings.db_threads)
