"""`GET /metrics`: this process's figures in the Prometheus text format, for an admin session or
the `METRICS_TOKEN` bearer token. See docs/deployment.md "Operations".

Gauges are read at scrape time from the hub, the user feed and the PDF pools; counters and the
fan-out histogram are kept by their owners (meeting_app/live/hub.py, AppContext.metrics).
"""

from __future__ import annotations

import hmac
import os
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agenda.errors import DomainError
from agenda.text import N_
from meeting_app import i18n
from meeting_app.auth import api_user
from meeting_app.context import AppContext, ctx
from meeting_app.errors import Unauthorized, error_body, status_of
from meeting_app.metrics import CONTENT_TYPE, Family, counter, gauge, gauges, histogram, render


class BadMetricsToken(Unauthorized):
    """A bearer token that is not the configured METRICS_TOKEN (401)."""

    code = "bad_metrics_token"
    message = N_("Mã truy cập số liệu giám sát không đúng.")


def token_ok(expected: str, header: str | None) -> bool:
    """True for `Authorization: Bearer <expected>`, compared in constant time."""
    scheme, _, given = (header or "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(expected.encode(), given.strip().encode())


async def allowed(request: Request) -> None:
    """A bearer token decides alone when one is sent; otherwise an admin session is needed."""
    header = request.headers.get("authorization")
    if header is not None:
        if not token_ok(ctx(request).settings.metrics_token, header):
            raise BadMetricsToken()
        return
    await api_user(request, "admin")


def families(app: AppContext) -> list[Family]:
    hub, pool = app.hub, app.pdf_pool
    checks = app.pdf_checks.statistics()
    ballots = app.metrics.ballots
    return [
        gauge(
            "ecabinet_process_info",
            "Always 1; the pid tells the worker processes apart.",
            1,
            {"pid": str(os.getpid())},
        ),
        gauge("ecabinet_start_time_seconds", "When this process started, in Unix time.", app.metrics.started),
        gauge(
            "ecabinet_uptime_seconds",
            "Seconds since this process started.",
            time.time() - app.metrics.started,
        ),
        gauges(
            "ecabinet_open_sockets",
            "Live sockets open on this process: meeting feeds and /ws/me.",
            [({"feed": "meeting"}, hub.open_sockets()), ({"feed": "me"}, app.user_feed.open_sockets())],
        ),
        gauge(
            "ecabinet_fast_path_sockets",
            "Meeting-feed sockets written straight to uvicorn's transport (the rest: a writer task each).",
            hub.fast_path_sockets(),
        ),
        gauge("ecabinet_meetings_followed", "Meetings this process's hub follows.", len(hub.channels)),
        counter(
            "ecabinet_events_published_total",
            "Committed events published to this process's hub, from any process; events/s is rate() of it.",
            hub.published.value,
        ),
        counter(
            "ecabinet_events_delivered_total",
            "Events this hub fanned out to the sockets of a meeting it follows (from any process).",
            hub.delivered,
        ),
        histogram(
            "ecabinet_fanout_seconds",
            "From an event reaching the hub to its frame written to the meeting's last socket.",
            hub.fanout,
        ),
        counter("ecabinet_ballots_acknowledged_total", "Ballots acknowledged.", ballots.acknowledged.value),
        counter("ecabinet_ballots_refused_total", "Ballots refused by a rule.", ballots.refused.value),
        gauge("ecabinet_pdf_pool_workers", "Processes of the PDF pool.", pool.workers),
        gauge(
            "ecabinet_pdf_jobs_in_flight",
            "PDF jobs submitted and not finished (queued or running).",
            pool.in_flight,
        ),
        counter("ecabinet_pdf_jobs_total", "PDF jobs submitted to the pool.", pool.submitted),
        gauge(
            "ecabinet_pdf_checks_running", "Uploads being checked in the PDF sandbox.", checks.borrowed_tokens
        ),
        gauge("ecabinet_pdf_checks_waiting", "Uploads waiting for a sandbox slot.", checks.tasks_waiting),
    ]


async def metrics(request: Request) -> Response:
    try:
        await allowed(request)
    except DomainError as refused:  # the API's JSON errors, never the login page's redirect
        headers = {"WWW-Authenticate": 'Bearer realm="metrics"'} if isinstance(refused, Unauthorized) else {}
        explicit = request.headers.get("accept-language")  # as on /api: an explicit language wins
        with i18n.use_locale(i18n.negotiate(explicit) if explicit else i18n.current_locale()):
            body = error_body(refused)
        return JSONResponse(body, status_code=status_of(refused), headers=headers)
    return Response(
        render(families(ctx(request))), media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"}
    )


routes = [Route("/metrics", metrics, methods=["GET"])]
