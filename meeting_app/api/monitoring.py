"""The monitoring board's API (../shared/API.md "Agencies, tasks and monitoring"; docs/api.md
"Monitoring"; docs/monitoring.md).

- GET /monitoring?from=&to= (and `?format=csv`): the figures per agency and month; the
  secretariat, the chair and members (403 for everyone else).
- GET /monitoring/tasks and /monitoring/programme?agency=&state=&from=&to=&offset= (and CSV):
  the lists behind each number; restricted tasks the caller may not see are only counted.
- GET /monitoring/at-risk: tasks and items due within 7 days with no report or an incomplete
  dossier.
- GET /monitoring/report.pdf?month=YYYY-MM: the monthly report; the secretariat and the chair.
- POST /monitoring/report/attach {month}: the secretariat puts that report, with its paper, on
  the next regular session's agenda (409 `no_upcoming_session`).
"""

from __future__ import annotations

import io
from typing import Any
from weakref import WeakKeyDictionary

import anyio.to_thread
from pydantic import BaseModel, ConfigDict, field_validator
from pypdf import PdfReader
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.clock import local_today
from agenda.db import Database
from agenda.errors import InvalidInput
from agenda.monitoring import figures, lists, report, report_pdf
from agenda.monitoring.attach import StoredPdf, attach_report
from agenda.monitoring.board_cache import BoardCache
from agenda.monitoring.lists import Drill
from agenda.monitoring.period import Period, check_month, month_of, parse_period
from agenda.storage import store_original
from agenda.text import N_
from agenda.viewer import Viewer
from meeting_app.api.common import MAX_ID, reply
from meeting_app.api.csv_export import csv_response, wants_csv
from meeting_app.api.minutes import pdf_response, render
from meeting_app.api.spec import JSON, PDF, operation
from meeting_app.auth import api_user
from meeting_app.context import AppContext, ctx
from meeting_app.i18n import gettext
from meeting_app.inputs import read_json

READERS = figures.READERS
REPORT_READERS = report.REPORT_READERS
WRITERS = ("secretariat",)
MAX_OFFSET = 10_000_000

FIGURE_LABELS: dict[str, str] = {
    "due": N_("Đến hạn"),
    "on_time": N_("Hoàn thành đúng hạn"),
    "late": N_("Hoàn thành quá hạn"),
    "in_time": N_("Chưa hoàn thành, còn trong hạn"),
    "overdue": N_("Chưa hoàn thành, quá hạn"),
    "cancelled": N_("Đã hủy"),
    "planned": N_("Đề án trong chương trình"),
    "submitted_on_time": N_("Trình đúng hạn"),
    "submitted_late": N_("Trình muộn"),
    "not_submitted": N_("Chưa trình"),
    "postponed": N_("Xin lùi"),
    "withdrawn": N_("Rút khỏi chương trình"),
}
RESTRICTED_COUNT = N_("{n} nhiệm vụ mật")


def figure_label(key: str) -> str:
    found = FIGURE_LABELS.get(key)
    return gettext(found) if found else key


class AttachRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    month: str

    @field_validator("month")
    @classmethod
    def known_month(cls, value: str) -> str:
        check_month(value, "month")
        return value


# --- reading the query --------------------------------------------------------------------------


def period_of(request: Request) -> Period:
    query = request.query_params
    return parse_period(query.get("from"), query.get("to"))


def _int(request: Request, name: str, *, upper: int = MAX_ID) -> int | None:
    value = request.query_params.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) > upper:
        raise InvalidInput(N_("Tham số {name} phải là số nguyên dương."), code="bad_parameter", name=name)
    return int(value)


def drill_of(request: Request, default_state: str) -> tuple[Drill, int]:
    state = request.query_params.get("state", "").strip() or default_state
    drill = Drill(period=period_of(request), agency_id=_int(request, "agency"), state=state)
    return drill, _int(request, "offset", upper=MAX_OFFSET) or 0


# --- the figures --------------------------------------------------------------------------------


# One cache of figures per database (an app has one; the tests run several in one process).
_CACHES: WeakKeyDictionary[Database, BoardCache] = WeakKeyDictionary()


def board_cache(db: Database) -> BoardCache:
    found = _CACHES.get(db)
    if found is None:
        found = _CACHES.setdefault(db, BoardCache())
    return found


async def load_board(app: AppContext, viewer: Viewer, period: Period) -> dict[str, Any]:
    cache = board_cache(app.db)
    return await app.db.read(lambda s: figures.board(session=s, viewer=viewer, period=period, cache=cache))


def figures_csv(board: dict[str, Any]) -> Response:
    header = [
        gettext(N_("Cơ quan chủ trì")),
        gettext(N_("Mã cơ quan")),
        *(figure_label(k) for k in figures.TASK_KEYS),
        gettext(N_("Tỷ lệ đúng hạn")),
        *(figure_label(k) for k in figures.PROGRAMME_KEYS),
    ]

    def line(name: str, code: str, row: dict[str, Any]) -> list[Any]:
        rate = row["on_time_rate"]
        return [
            name,
            code,
            *(row["tasks"][k] for k in figures.TASK_KEYS),
            "" if rate is None else f"{rate * 100:.2f}%",
            *(row["programme"][k] for k in figures.PROGRAMME_KEYS),
        ]

    rows = [line(r["agency"], r["agency_code"], r) for r in board["agencies"]]
    rows.append(line(gettext(N_("Tổng cộng")), "", board["totals"]))
    period = board["period"]
    return csv_response(header, rows, filename=f"theo-doi-{period['from']}-{period['to']}.csv")


@operation(
    "The monitoring board: tasks and programme items per agency and month",
    description="`{period, as_of, agencies: [{agency, agency_id, agency_code, tasks: {due, on_time, late, "
    "in_time, overdue}, programme: {planned, submitted_on_time, submitted_late, not_submitted, postponed, "
    "withdrawn}, on_time_rate, completion_rate}], months: [...], totals}`. `from`/`to` are YYYY-MM "
    "(default: this year). `?format=csv` for the same rows as CSV.",
    who="secretariat, chair, member",
    query={"from": str, "to": str, "format": str},
)
async def get_board(request: Request) -> Response:
    me = await api_user(request, *READERS)
    board = await load_board(ctx(request), me.viewer, period_of(request))
    return figures_csv(board) if wants_csv(request) else reply(board)


# --- the lists behind the numbers ---------------------------------------------------------------


def tasks_csv(found: dict[str, Any], drill: Drill) -> Response:
    header = [
        gettext(N_("Mã")),
        gettext(N_("Nhiệm vụ")),
        gettext(N_("Cơ quan chủ trì")),
        gettext(N_("Hạn xử lý")),
        gettext(N_("Hạn ban đầu")),
        gettext(N_("Ngày hoàn thành")),
        gettext(N_("Tình trạng")),
    ]
    rows: list[list[Any]] = [
        [
            t["code"],
            t["title"],
            t["lead_agency"],
            t["due_on"],
            t["original_due_on"],
            t["completed_on"],
            figure_label(t["state"]),
        ]
        for t in found["items"]
    ]
    if found["hidden"]:
        rows.append(["", gettext(RESTRICTED_COUNT).format(n=found["hidden"]), "", "", "", "", ""])
    name = f"nhiem-vu-{drill.state}-{drill.period.first}-{drill.period.last}.csv"
    return csv_response(header, rows, filename=name)


@operation(
    "The tasks behind a board figure",
    description="`state`: due (default), on_time, late, in_time, overdue; `agency`: an agency id. "
    "`{items, total, shown, hidden, as_of}`: `hidden` restricted tasks are counted, never listed. "
    "100 per page (`offset`). `?format=csv` for CSV.",
    who="secretariat, chair, member",
    query={"from": str, "to": str, "agency": int, "state": str, "offset": int, "format": str},
)
async def get_drill_tasks(request: Request) -> Response:
    me = await api_user(request, *READERS)
    drill, offset = drill_of(request, "due")
    limit = 5000 if wants_csv(request) else lists.PAGE
    found = await ctx(request).db.read(
        lambda s: lists.drill_tasks(session=s, viewer=me.viewer, drill=drill, limit=limit, offset=offset)
    )
    return tasks_csv(found, drill) if wants_csv(request) else reply(found)


def items_csv(found: dict[str, Any], drill: Drill) -> Response:
    header = [
        gettext(N_("Mã")),
        gettext(N_("Đề án")),
        gettext(N_("Cơ quan chủ trì")),
        gettext(N_("Tháng dự kiến")),
        gettext(N_("Hạn nộp hồ sơ")),
        gettext(N_("Trạng thái")),
        gettext(N_("Số ngày muộn")),
    ]
    rows = [
        [
            i["code"],
            i["title"],
            i["lead_agency"],
            i["planned_month"],
            i["submission_deadline"],
            i["status"],
            i["days_late"],
        ]
        for i in found["items"]
    ]
    name = f"de-an-{drill.state}-{drill.period.first}-{drill.period.last}.csv"
    return csv_response(header, rows, filename=name)


@operation(
    "The programme items behind a board figure",
    description="`state`: planned (default), submitted_on_time, submitted_late, not_submitted, postponed, "
    "withdrawn; `agency`: an agency id. `{items, total, shown, hidden}`. `?format=csv` for CSV.",
    who="secretariat, chair, member",
    query={"from": str, "to": str, "agency": int, "state": str, "offset": int, "format": str},
)
async def get_drill_programme(request: Request) -> Response:
    me = await api_user(request, *READERS)
    drill, offset = drill_of(request, "planned")
    app = ctx(request)
    limit = 5000 if wants_csv(request) else lists.PAGE
    found = await app.db.read(
        lambda s: lists.drill_programme(
            session=s, viewer=me.viewer, drill=drill, policy=app.policy, limit=limit, offset=offset
        )
    )
    return items_csv(found, drill) if wants_csv(request) else reply(found)


async def load_at_risk(app: AppContext, viewer: Viewer) -> dict[str, Any]:
    def load(s: Session) -> dict[str, Any]:
        return {
            "days": lists.AT_RISK_DAYS,
            "as_of": local_today().isoformat(),
            "tasks": lists.risky_tasks(session=s, viewer=viewer),
            "programme": lists.risky_items(session=s, viewer=viewer, policy=app.policy),
        }

    return await app.db.read(load)


@operation(
    "At risk: tasks due within 7 days with no report, items whose dossier is incomplete 7 days "
    "before the submission deadline",
    description="`{days, as_of, tasks: {items, total, hidden}, programme: {items, total, hidden}}`.",
    who="secretariat, chair, member",
)
async def get_at_risk(request: Request) -> Response:
    me = await api_user(request, *READERS)
    return reply(await load_at_risk(ctx(request), me.viewer))


# --- the monthly report -------------------------------------------------------------------------


def month_param(request: Request) -> str:
    value = request.query_params.get("month", "").strip()
    return check_month(value, "month") if value else month_of(local_today())


async def report_bytes(app: AppContext, month: str) -> tuple[dict[str, Any], bytes]:
    doc = await app.db.read(lambda s: report.build_report(session=s, month=month, policy=app.policy))
    return doc, await render(app, report_pdf.render_report, doc)


@operation(
    "The monthly report (báo cáo tình hình thực hiện nhiệm vụ và chương trình công tác) as a PDF",
    description="`month=YYYY-MM` (default: this month). Restricted tasks are counted, never named.",
    who="secretariat, chair",
    query={"month": str},
    responses={200: PDF},
)
async def get_report_pdf(request: Request) -> Response:
    await api_user(request, *REPORT_READERS)
    month = month_param(request)
    doc, data = await report_bytes(ctx(request), month)
    return pdf_response(data, doc["title"], f"bao-cao-{month}")


def store_report(app: AppContext, data: bytes, text: str) -> StoredPdf:
    sha = store_original(app.settings.data_dir, data)
    return StoredPdf(sha256=sha, pages=len(PdfReader(io.BytesIO(data)).pages), size=len(data), text=text)


@operation(
    "Attach the month's report, with its paper, to the next regular session's agenda",
    description="`{meeting_id, agenda_item_id, programme_item_id, document_id, version}`; 409 "
    "`no_upcoming_session` when no regular session is still to come with an editable agenda.",
    who="secretariat",
    body=AttachRequest,
    responses={201: JSON},
)
async def attach(request: Request) -> Response:
    me = await api_user(request, *WRITERS)
    data = await read_json(request, AttachRequest)
    app = ctx(request)
    doc, pdf = await report_bytes(app, data.month)
    text = " ".join([doc["title"], *(str(r["agency"]) for r in doc["figures"]["agencies"])])
    stored = await anyio.to_thread.run_sync(store_report, app, pdf, text)
    found = await app.db.write(
        lambda s: attach_report(
            session=s, month=data.month, pdf=stored, actor_id=me.viewer.user_id, policy=app.policy
        )
    )
    return reply(found, status_code=201)


routes = [
    Route("/api/v1/monitoring", get_board, methods=["GET"]),
    Route("/api/v1/monitoring/tasks", get_drill_tasks, methods=["GET"]),
    Route("/api/v1/monitoring/programme", get_drill_programme, methods=["GET"]),
    Route("/api/v1/monitoring/at-risk", get_at_risk, methods=["GET"]),
    Route("/api/v1/monitoring/report.pdf", get_report_pdf, methods=["GET"]),
    Route("/api/v1/monitoring/report/attach", attach, methods=["POST"]),
]
