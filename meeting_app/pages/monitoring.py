"""The monitoring board's pages (theo dõi, đôn đốc; docs/monitoring.md "The page").

- /monitoring?from=&to=: the figures per agency with SVG charts, each beside its table, every
  number a link to its drill-down; what is at risk; the CSV and report links; for the
  secretariat, "attach to the next session" (asked once, in a dialog).
- /monitoring/tasks and /monitoring/programme?agency=&state=&from=&to=&offset=: the lists behind
  a number. A restricted task outside the viewer's audience is counted ("1 nhiệm vụ mật"),
  never listed.
static/js/board.js refreshes the figures when a task or dossier frame arrives on /ws/me.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from agenda.clock import local_today
from agenda.errors import DomainError, InvalidInput
from agenda.monitoring import figures, lists
from agenda.monitoring.attach import attach_report
from agenda.monitoring.period import Period, check_month, month_of, parse_period
from agenda.text import N_
from meeting_app.api.monitoring import (
    RESTRICTED_COUNT,
    WRITERS,
    drill_of,
    figure_label,
    load_at_risk,
    load_board,
    report_bytes,
    store_report,
)
from meeting_app.auth import form_user, page_user
from meeting_app.context import ctx
from meeting_app.i18n import gettext
from meeting_app.pages import board_charts
from meeting_app.pages.common import failed, page, text

READERS = figures.READERS
REPORT_READERS = ("secretariat", "chair")
TASK_STATES = figures.TASK_STATES
OUTCOMES = figures.PROGRAMME_OUTCOMES


def link(path: str, period: Period, **params: Any) -> str:
    query = {"from": period.first, "to": period.last, **{k: v for k, v in params.items() if v is not None}}
    return f"{path}?{urlencode(query)}"


def _period_or_default(request: Request) -> tuple[Period, str | None]:
    """The period asked for; a bad one shows the default period with the message."""
    query = request.query_params
    try:
        return parse_period(query.get("from"), query.get("to")), None
    except DomainError as exc:
        return parse_period(None, None), gettext(exc.message)


async def board_context(request: Request, period: Period) -> dict[str, Any]:
    me = await page_user(request, *READERS)
    app = ctx(request)
    board = await load_board(app, me.viewer, period)
    risk = await load_at_risk(app, me.viewer)
    task_labels = [(k, figure_label(k), int(board["totals"]["tasks"][k])) for k in TASK_STATES]
    outcome_labels = [(k, figure_label(k), int(board["totals"]["programme"][k])) for k in OUTCOMES]
    today = local_today()
    return {
        "board": board,
        "risk": risk,
        "period": period,
        "task_states": TASK_STATES,
        "outcomes": OUTCOMES,
        "figure_label": figure_label,
        "task_chart": board_charts.bars(task_labels),
        "programme_chart": board_charts.bars(outcome_labels),
        "agency_chart": board_charts.stacked(board["agencies"], TASK_STATES, "tasks"),
        "colours": board_charts.COLOURS,
        "link": lambda path, **params: link(path, period, **params),
        "restricted_count": lambda n: gettext(RESTRICTED_COUNT).format(n=n),
        "report_month": month_of(today) if period.first <= month_of(today) <= period.last else period.last,
        "can_report": me.viewer.has(*REPORT_READERS),
        "can_attach": me.viewer.has(*WRITERS),
        "percent": percent,
    }


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


async def board_page(request: Request) -> Response:
    period, problem = _period_or_default(request)
    context = await board_context(request, period)
    return page(request, "monitoring/board.html", {**context, "error": problem})


async def attach_page(request: Request) -> Response:
    me, form = await form_user(request, *WRITERS)
    app = ctx(request)
    month = text(form, "month", limit=7)
    period = Period(month, month) if month and not _bad(month) else parse_period(None, None)
    try:
        check_month(month, "month")
        if text(form, "confirm") != "yes":
            raise InvalidInput(N_("Hãy xác nhận đưa báo cáo vào phiên họp."), code="confirm_required")
        doc, pdf = await report_bytes(app, month)
        stored = await anyio.to_thread.run_sync(store_report, app, pdf, doc["title"])
        found = await app.db.write(
            lambda s: attach_report(
                session=s, month=month, pdf=stored, actor_id=me.viewer.user_id, policy=app.policy
            )
        )
    except DomainError as exc:
        context = await board_context(request, period)
        return failed(request, "monitoring/board.html", context, exc)
    return RedirectResponse(f"/meetings/{found['meeting_id']}?ok=added", status_code=303)


def _bad(month: str) -> bool:
    try:
        check_month(month, "month")
    except DomainError:
        return True
    return False


async def tasks_page(request: Request) -> Response:
    me = await page_user(request, *READERS)
    drill, offset = drill_of(request, "due")
    found = await ctx(request).db.read(
        lambda s: lists.drill_tasks(session=s, viewer=me.viewer, drill=drill, offset=offset)
    )
    return page(request, "monitoring/tasks.html", _drill_context(drill, offset, found, "tasks"))


async def programme_page(request: Request) -> Response:
    me = await page_user(request, *READERS)
    drill, offset = drill_of(request, "planned")
    app = ctx(request)
    found = await app.db.read(
        lambda s: lists.drill_programme(
            session=s, viewer=me.viewer, drill=drill, policy=app.policy, offset=offset
        )
    )
    return page(request, "monitoring/programme.html", _drill_context(drill, offset, found, "programme"))


def _drill_context(drill: lists.Drill, offset: int, found: dict[str, Any], kind: str) -> dict[str, Any]:
    base = {"agency": drill.agency_id, "state": drill.state}
    shown = int(found["shown"])
    here = f"/monitoring/{kind}"
    return {
        "kind": kind,
        "found": found,
        "drill": drill,
        "period": drill.period,
        "figure_label": figure_label,
        "restricted_count": lambda n: gettext(RESTRICTED_COUNT).format(n=n),
        "csv": link(f"/api/v1{here}", drill.period, **base, format="csv"),
        "board_link": link("/monitoring", drill.period),
        "previous": link(here, drill.period, **base, offset=max(0, offset - lists.PAGE))
        if offset > 0
        else None,
        "next": link(here, drill.period, **base, offset=offset + lists.PAGE)
        if offset + lists.PAGE < shown
        else None,
        "first": offset + 1,
        "last": min(shown, offset + lists.PAGE),
    }


routes = [
    Route("/monitoring", board_page, methods=["GET"]),
    Route("/monitoring/tasks", tasks_page, methods=["GET"]),
    Route("/monitoring/programme", programme_page, methods=["GET"]),
    Route("/monitoring/report/attach", attach_page, methods=["POST"]),
]
