"""GET /api/v1/meetings/{id}/book.pdf: the user's watermarked briefing book (../shared/API.md).
See docs/papers.md.

- 404 unless the user may see the meeting (a draft: the secretariat and the chair only);
- 200 with the PDF when this recipient's book for the current plan is built, or 206 for one
  byte range (meeting_app/files/downloads.py), with the same private headers as document copies; a
  GET answered from byte 0 is an open of the book's copy, by the same rule as for documents
  (docs/papers.md "Read receipts"), unless it carries `X-Offline-Download: 1` (a device keeping
  the book for offline reading: docs/offline.md);
- otherwise the build starts in the PDF pool (once per book) and the answer is 202
  `{"status": "building", "progress": 0..100, "stage"}` with `Retry-After: 1` (and the progress in
  `X-Book-Progress`, for HEAD polling);
- a failed build: 422 when the papers must be fixed first, 503 when trying again may work.
"""

from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool

import anyio.to_thread
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agenda.books import briefing
from agenda.books.briefing import BookPlan
from agenda.errors import RuleBroken, Unavailable
from agenda.papers import copies
from agenda.papers.copies import DocumentCopy
from agenda.papers.copy_files import stamp_for
from agenda.papers.stamp import StampText
from agenda.text import N_
from meeting_app.api.common import ident
from meeting_app.api.spec import JSON, PDF, operation
from meeting_app.auth import api_user
from meeting_app.context import AppContext, ctx
from meeting_app.files import books
from meeting_app.files.downloads import (
    FileSlice,
    Unsatisfiable,
    content_disposition,
    offline_download,
    open_complete,
    parse_range,
    unsatisfiable,
    wants_range,
)
from meeting_app.i18n import translate

PRIVATE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
OUT_OF_RANGE = N_("Đoạn dữ liệu yêu cầu nằm ngoài tệp.")


def _issue(
    session: Session, plan: BookPlan, *, opened: bool = False, partial: bool = False
) -> tuple[DocumentCopy, StampText]:
    """The recipient's copy of this book (issued once) and its stamp; a read receipt when `opened`
    (a `partial` open, a range from byte 0, joins an open logged a moment ago: copies.OPEN_WINDOW)."""
    copy = copies.issue_copy(
        session=session, user_id=plan.recipient_id, meeting_id=plan.meeting_id, book_hash=plan.plan_hash
    )
    if opened:
        copies.record_open(session=session, copy=copy, partial=partial)
    return copy, stamp_for(session=session, copy=copy)


async def _serve(
    request: Request, app: AppContext, plan: BookPlan, fd: int, stat: os.stat_result
) -> Response:
    size = stat.st_size
    etag = f'"{plan.plan_hash[:20]}-{size:x}-{stat.st_mtime_ns:x}"'
    name = f"Sổ tài liệu họp – {plan.title}"
    headers = {
        **PRIVATE,
        "ETag": etag,
        "Content-Disposition": content_disposition(name, default="so-tai-lieu-hop"),
    }
    head_only = request.method == "HEAD"
    try:
        chosen = parse_range(wants_range(request.headers, etag), size)
        if not head_only and not offline_download(request.headers) and (chosen is None or chosen.start == 0):
            partial = chosen is not None
            await app.db.write(lambda s: _issue(s, plan, opened=True, partial=partial))
    except Unsatisfiable:
        os.close(fd)
        return JSONResponse(
            {"error": {"code": "range_not_satisfiable", "message": translate(OUT_OF_RANGE)}},
            status_code=416,
            headers=unsatisfiable(size, PRIVATE),
        )
    except BaseException:
        os.close(fd)
        raise
    return FileSlice(fd, size, chosen, headers=headers, head_only=head_only)


def _building(files: books.BookFiles) -> JSONResponse:
    found = books.progress(files)
    return JSONResponse(
        {"status": "building", "progress": found["progress"], "stage": found.get("stage", "queued")},
        status_code=202,
        headers={"Retry-After": "1", "Cache-Control": "no-store", "X-Book-Progress": str(found["progress"])},
    )


@operation(
    "This user's watermarked briefing book",
    description="A `Range` gets 206; while the book is built, 202 `{status, progress, stage}`.",
    who="invited users, secretariat, chair",
    responses={200: PDF, 202: JSON, 206: PDF},
)
async def book_pdf(request: Request) -> Response:
    me = await api_user(request)
    meeting_id = ident(request)
    app = ctx(request)
    plan = await app.db.read(
        lambda s: briefing.book_inputs(
            session=s,
            meeting_id=meeting_id,
            viewer=me.viewer,
            policy=app.policy,
            data_dir=app.settings.data_dir,
        )
    )
    files = books.BookFiles.of(app.settings.data_dir, plan)
    try:
        fd, stat = await anyio.to_thread.run_sync(open_complete, str(files.pdf))
    except FileNotFoundError:
        pass
    else:
        return await _serve(request, app, plan, fd, stat)
    failed = app.book_builds.failure(files)
    if failed is not None:
        error = Unavailable if failed.retry else RuleBroken
        raise error(failed.message, code=failed.code, **failed.params)
    if app.book_builds.building(files):
        return _building(files)
    _copy, stamp = await app.db.write(lambda s: _issue(s, plan))
    try:
        app.book_builds.start(app.pdf_pool, plan, files, stamp)
    except (BrokenProcessPool, RuntimeError) as exc:  # RuntimeError: the pool is shut down
        raise Unavailable() from exc
    return _building(files)


routes = [
    Route("/api/v1/meetings/{id:int}/book.pdf", book_pdf, methods=["GET"]),
]
