"""The minutes, the draft session resolution and the meeting's raw event log (../shared/API.md "Opinion
ballots and record"). See docs/minutes.md.

- GET /minutes (JSON), /minutes.pdf and /resolution.pdf: the secretariat, the chair and the
  invited members, once the meeting is adjourned (404 when the meeting is not visible, 403 for
  other roles, 409 `not_adjourned` before). A restricted item outside the reader's audience is
  a placeholder in all three.
- PUT /minutes (the narrative) and POST /minutes/finalize: the secretariat; 409 `minutes_final`
  once finalized.
- GET /events?since=N: the secretariat; the meeting's stream with hashes, 500 per page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.errors import InvalidInput, Unavailable
from agenda.log.events import canonical
from agenda.meetings.meetings import get_meeting
from agenda.record import audit, minutes, minutes_pdf, signatures, vote_records
from agenda.record.minutes import MinutesEdit
from agenda.text import N_
from agenda.viewer import Viewer
from meeting_app.api.common import ident, reply
from meeting_app.api.spec import PDF, operation
from meeting_app.auth import api_user
from meeting_app.context import AppContext, ctx
from meeting_app.files.downloads import content_disposition
from meeting_app.files.pdf_pool import WorkerDied
from meeting_app.files.signing import signed_file
from meeting_app.inputs import read_json

RENDER_TIMEOUT = 60.0  # seconds a request waits for its PDF
MAX_SINCE = 2**62


def _view(s: Session, meeting_id: int, viewer: Viewer) -> dict[str, Any] | None:
    minutes.readable_meeting(session=s, meeting_id=meeting_id, viewer=viewer)
    found = minutes.get_minutes(s, meeting_id)
    return None if found is None else minutes.view(s, found, viewer)


async def minutes_view(app: AppContext, meeting_id: int, viewer: Viewer) -> dict[str, Any]:
    """The minutes as `viewer` reads them. A meeting adjourned before minutes existed gets its
    draft on first read. The votes' records not sealed yet are sealed meanwhile, in the background
    (a catch-up: nothing to do once the meeting's are all sealed)."""
    found = await app.db.read(lambda s: _view(s, meeting_id, viewer))
    if found is None:
        await app.db.write(lambda s: minutes.generate_draft(s, meeting_id))
        found = await app.db.read(lambda s: _view(s, meeting_id, viewer))
    assert found is not None
    app.vote_sealer.schedule(app, meeting_id)
    return found


def _signed(s: Session, meeting_id: int) -> dict[str, Any]:
    return {record: signatures.listing(s, record, meeting_id) for record in ("minutes", "resolution")}


async def with_signatures(app: AppContext, doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` with the signatures of the minutes and the resolution (each None while unsigned),
    and the sealed records of the votes its reader sees."""
    meeting_id = doc["meeting_id"]
    signed = await app.db.read(lambda s: _signed(s, meeting_id))
    return {**doc, "signatures": signed, "vote_records": await vote_records_of(app, doc)}


async def vote_records_of(app: AppContext, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The result records of the votes in the minutes `doc` (minutes.view for its reader, where a
    restricted item outside their audience is a placeholder without votes): `[{vote_id,
    agenda_item_id, question, sealed, sha256, signed_at, url}]` (docs/signatures.md)."""
    record = doc["record"]
    found = await app.db.read(lambda s: vote_records.attached(s, record))
    return [{**entry, "url": f"/api/v1/votes/{entry['vote_id']}/record.pdf"} for entry in found]


@operation(
    "The minutes once adjourned",
    description="`{state, record, narrative, resolution, last_event: {seq, hash}, signatures, "
    "vote_records}`; restricted items outside the caller's audience are placeholders, and their "
    "votes' records are left out.",
    who="secretariat, chair, invited members",
)
async def get_minutes(request: Request) -> Response:
    me = await api_user(request)
    app = ctx(request)
    return reply(await with_signatures(app, await minutes_view(app, ident(request), me.viewer)))


@operation(
    "Edit the narrative of draft minutes (opening, items: {agenda_item_id: summary}, closing)",
    description="409 minutes_final once finalized.",
    who="secretariat",
    body=MinutesEdit,
)
async def edit_minutes(request: Request) -> Response:
    me = await api_user(request, *minutes.WRITERS)
    meeting_id = ident(request)
    data = await read_json(request, MinutesEdit)
    app = ctx(request)
    await app.db.write(
        lambda s: minutes.edit(session=s, meeting_id=meeting_id, data=data, actor_id=me.viewer.user_id)
    )
    return reply(await minutes_view(app, meeting_id, me.viewer))


@operation(
    "Finalize and lock the minutes; the meeting is closed; records the last event's seq and hash",
    who="secretariat",
)
async def finalize_minutes(request: Request) -> Response:
    me = await api_user(request, *minutes.WRITERS)
    meeting_id = ident(request)
    app = ctx(request)
    await app.db.write(
        lambda s: minutes.finalize(session=s, meeting_id=meeting_id, actor_id=me.viewer.user_id)
    )
    return reply(await minutes_view(app, meeting_id, me.viewer))


async def render(app: AppContext, draw: Callable[[dict[str, Any]], bytes], doc: dict[str, Any]) -> bytes:
    """Draw a PDF in the process pool; the same document asked for at once is drawn once."""
    key = f"{draw.__name__}:{hashlib.sha256(canonical(doc)).hexdigest()}"
    try:
        return await app.builds.run(key, app.pdf_pool, draw, doc, timeout=RENDER_TIMEOUT)
    except (TimeoutError, BrokenProcessPool, WorkerDied, RuntimeError) as exc:  # RuntimeError: pool shut down
        raise Unavailable() from exc


def pdf_response(data: bytes, name: str, default: str) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": content_disposition(name, default=default),
        },
    )


@operation(
    "The minutes as a PDF (application/pdf) with the last event's hash on every page",
    who="secretariat, chair, invited members",
    responses={200: PDF},
)
async def minutes_pdf_file(request: Request) -> Response:
    me = await api_user(request)
    app = ctx(request)
    doc = await minutes_view(app, ident(request), me.viewer)
    signed = await signed_file(app, "minutes", doc["meeting_id"], me.viewer)
    data = signed if signed is not None else await render(app, minutes_pdf.render_minutes, doc)
    title = doc["record"]["meeting"].get("title", "")
    return pdf_response(data, f"Biên bản – {title}", "bien-ban")


@operation(
    "The draft session resolution as a PDF: the adopted items and their conclusions",
    who="secretariat, chair, invited members",
    responses={200: PDF},
)
async def resolution_pdf_file(request: Request) -> Response:
    me = await api_user(request)
    app = ctx(request)
    doc = await minutes_view(app, ident(request), me.viewer)
    signed = await signed_file(app, "resolution", doc["meeting_id"], me.viewer)
    data = signed if signed is not None else await render(app, minutes_pdf.render_resolution, doc)
    title = doc["record"]["meeting"].get("title", "")
    return pdf_response(data, f"Dự thảo nghị quyết – {title}", "du-thao-nghi-quyet")


def _count(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19 or not low <= int(raw) <= high:
        raise InvalidInput(
            N_("Tham số {name} phải là số nguyên từ {low} đến {high}."),
            code="bad_query",
            name=name,
            low=low,
            high=high,
        )
    return int(raw)


@operation(
    "The meeting's raw event log with hashes",
    description="`{items: [{seq, kind, at, actor_id, data, prev_hash, hash}], next_since}`; "
    "`limit` is 1..500.",
    who="secretariat",
    query={"since": int, "limit": int},
)
async def event_log(request: Request) -> Response:
    me = await api_user(request, "secretariat")
    meeting_id = ident(request)
    since = _count(request, "since", 0, 0, MAX_SINCE)
    limit = _count(request, "limit", audit.PAGE_LIMIT, 1, audit.PAGE_LIMIT)

    def load(s: Session) -> dict[str, Any]:
        get_meeting(session=s, meeting_id=meeting_id, viewer=me.viewer)
        rows, next_since = audit.events_since(s, meeting_id, since, limit)
        return {"items": [audit.raw_event(e) for e in rows], "next_since": next_since}

    return reply(await ctx(request).db.read(load))


routes = [
    Route("/api/v1/meetings/{id:int}/minutes", get_minutes, methods=["GET"]),
    Route("/api/v1/meetings/{id:int}/minutes", edit_minutes, methods=["PUT"]),
    Route("/api/v1/meetings/{id:int}/minutes/finalize", finalize_minutes, methods=["POST"]),
    Route("/api/v1/meetings/{id:int}/minutes.pdf", minutes_pdf_file, methods=["GET"]),
    Route("/api/v1/meetings/{id:int}/resolution.pdf", resolution_pdf_file, methods=["GET"]),
    Route("/api/v1/meetings/{id:int}/events", event_log, methods=["GET"]),
]
