"""The application factory: `create_app(settings)` wires middleware, routes and the lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import anyio.to_thread
from sqlalchemy.exc import DataError, IntegrityError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from agenda.db import Database, is_sqlite, make_engine
from agenda.errors import Conflict, InvalidInput
from agenda.log.events import log_epoch
from agenda.meetings.agenda_cache import AgendaCache
from agenda.migrate import upgrade
from agenda.people import accounts
from agenda.policy import Policy
from agenda.text import N_
from meeting_app import api, pages, vendor
from meeting_app.api.ballot_lane import BallotLane
from meeting_app.context import AppContext
from meeting_app.errors import EXCEPTION_HANDLERS, domain_error
from meeting_app.files.books import BookBuilds
from meeting_app.files.builds import Builds
from meeting_app.files.pdf_pool import PdfPool
from meeting_app.files.reanchoring import Reanchoring
from meeting_app.files.vote_records import VoteSealer
from meeting_app.live import live_feed, user_feed
from meeting_app.live.ballot_box import BallotBox
from meeting_app.live.connections import KeepServerSend
from meeting_app.live.dispatcher import Dispatcher
from meeting_app.live.hub import Hub
from meeting_app.live.listener import Listener
from meeting_app.ops import health, monitoring, reminders
from meeting_app.security import BodyLimit, Language, SecurityHeaders, TrustedHosts
from meeting_app.session_cache import SessionCache
from meeting_app.settings import Settings
from meeting_app.templating import STATIC, make_environment

UPLOAD_SUFFIXES = ("/import", "/documents", "/versions", "/signatures/verify")


async def bad_value(request: Request, exc: Exception) -> Response:
    """Values the database cannot hold (a huge number, a NUL byte) are bad input, not a crash."""
    return await domain_error(
        request, InvalidInput(N_("Giá trị gửi lên vượt giới hạn cho phép."), code="value_out_of_range")
    )


async def integrity(request: Request, exc: Exception) -> Response:
    """A uniqueness race lost to a concurrent writer."""
    return await domain_error(request, Conflict())


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def favicon(request: Request) -> Response:
    """/favicon.ico, which browsers ask for whatever the page links: the SVG icon, as SVG."""
    return FileResponse(
        STATIC / "favicon.svg", media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
    )


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    accounts.passwords.use(settings.password_cost)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        engine = make_engine(settings.database_url)
        await anyio.to_thread.run_sync(upgrade, engine)
        db = Database(engine)
        policy = Policy.load(settings.data_dir / "policy.json")
        hub = Hub(db, policy, session_limit=settings.session_policy.absolute)
        hub.epoch = await db.read(log_epoch)  # shared by every process: tablets resume on any of them
        feed = user_feed.UserFeed(db, settings)  # each user's /ws/me: the bell, ballot boards, email
        sessions = SessionCache(settings.session_policy)  # logins remembered briefly; changes evict
        # committed events reach the sockets and the session cache
        db.publish = user_feed.fan_out(hub.publish, feed.publish, sessions.on_events)
        # ...each once and in order, from this process's commits and, on PostgreSQL, from every
        # other process's through one LISTEN connection (docs/deployment.md "Several processes").
        dispatcher = Dispatcher.install(db, local=feed.mail)  # email: by the committing process only
        await dispatcher.start()
        listener = None if is_sqlite(engine) else Listener(settings.database_url, dispatcher)
        hub.start()
        context = AppContext(
            settings=settings,
            db=db,
            hub=hub,
            templates=make_environment(),
            policy=policy,
            agenda_cache=AgendaCache(),
            pdf_pool=PdfPool(settings.pdf_workers),
            user_feed=feed,
            builds=Builds(),
            book_builds=BookBuilds(),
            ballots=BallotBox(),
            vote_sealer=VoteSealer(),
            reanchoring=Reanchoring(),
            listener=listener,
            sessions=sessions,
        )
        feed.start()
        if listener is not None:
            listener.start()
        reminding = asyncio.create_task(reminders.run_reminders(context))  # ballots: close, remind
        try:
            yield {"ctx": context}
        finally:
            reminding.cancel()
            # Awaited, so a database call it had in a worker thread gives its connection back
            # before the engine is disposed (else the connection is left to the collector).
            with suppress(asyncio.CancelledError):
                await reminding
            await context.vote_sealer.stop()
            await context.reanchoring.stop()
            if listener is not None:
                await listener.stop()
            await dispatcher.stop()
            await feed.stop()
            await hub.stop()
            await sessions.stop(db)
            await anyio.to_thread.run_sync(context.pdf_pool.shutdown)  # its workers gone, jobs and all
            await anyio.to_thread.run_sync(db.close)  # after the database calls still running

    handlers = {
        **EXCEPTION_HANDLERS,
        DataError: bad_value,
        OverflowError: bad_value,
        IntegrityError: integrity,
    }
    middleware = [
        Middleware(BallotLane, settings=settings, handlers=handlers),  # the plain ballot, served lean
        Middleware(KeepServerSend),  # the live feed's fast path needs the server's own send
        Middleware(SecurityHeaders),  # outermost: a refused Host still gets the headers
        Middleware(TrustedHosts, allowed_hosts=settings.allowed_hosts),
        Middleware(Language),
        Middleware(
            BodyLimit,
            default_bytes=settings.max_body_kb * 1024,
            upload_bytes=settings.max_upload_mb * 1024 * 1024,
            upload_suffixes=UPLOAD_SUFFIXES,
        ),
    ]
    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", health.readyz, methods=["GET"]),  # the database and the listener
        Route("/favicon.ico", favicon, methods=["GET", "HEAD"]),
        *monitoring.routes,
        *api.routes,
        *live_feed.routes,
        *user_feed.routes,
        *pages.routes,
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        *vendor.mounts(),  # pdf.js from node_modules (package.json)
    ]
    return Starlette(routes=routes, middleware=middleware, exception_handlers=handlers, lifespan=lifespan)
