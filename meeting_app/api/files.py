"""A document version as the requesting user's own watermarked copy (../shared/API.md "Documents").
See docs/papers.md.

`GET /api/v1/documents/{id}/versions/{n}/file` (and HEAD):
- 404 unless the user may read the item's papers (`get_visible_version`);
- the user's copy of the version is issued once (`issue_copy`) and its file is built in the
  process pool when it is not cached; concurrent requests share one build;
- the file is served whole (200) or as one byte range (206); see meeting_app/files/downloads.py for
  the range rules;
- read receipts: a GET counts as one open of the copy when its answer starts at byte 0 (no
  Range header, an ignored one, or a range from byte 0); ranges further on never count, nor
  do HEAD and 416 answers. A range from byte 0 within OPEN_WINDOW of a logged open is that
  same open: pdf.js asks for the whole file, cancels, and then fetches the first range.
- a request carrying `X-Offline-Download: 1` (a device keeping the file for offline reading,
  docs/offline.md) is never an open: downloading is not reading.
"""

from __future__ import annotations

import logging
import os

import anyio.to_thread
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agenda.access.papers import get_visible_version
from agenda.errors import NotFound
from agenda.papers.copies import DocumentCopy, copy_of, issue_copy, record_open
from agenda.papers.copy_files import build_copy, copy_path, stamp_for
from agenda.papers.documents import Document, DocumentVersion
from agenda.storage import original_path
from agenda.text import N_
from meeting_app.api.common import ident
from meeting_app.api.spec import PDF, operation
from meeting_app.auth import api_user
from meeting_app.context import AppContext, ctx
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

log = logging.getLogger("ecabinet")

BUILD_TIMEOUT = 120.0  # seconds a request waits for a build, and a build may run
PRIVATE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
ORIGINAL_MISSING = N_("Không tìm thấy tệp gốc của tài liệu trên máy chủ; xin báo Văn phòng Chính phủ.")
OUT_OF_RANGE = N_("Đoạn dữ liệu yêu cầu nằm ngoài tệp.")
BUSY = N_("Máy chủ đang bận chuẩn bị tài liệu; xin thử lại sau ít giây.")


async def build(app: AppContext, copy: DocumentCopy, version: DocumentVersion) -> None:
    """Build the copy's file in the process pool (or wait for the build already running)."""
    target = copy_path(app.settings.data_dir, copy)
    original = original_path(app.settings.data_dir, version.sha256)
    if not await anyio.to_thread.run_sync(original.is_file):
        log.error("original %s of document version %s is missing", version.sha256, version.id)
        raise NotFound(ORIGINAL_MISSING, code="original_missing")
    stamp = await app.db.read(lambda s: stamp_for(session=s, copy=copy))
    await app.builds.run(
        str(target), app.pdf_pool, build_copy, str(original), str(target), stamp, timeout=BUILD_TIMEOUT
    )


async def open_copy(
    app: AppContext, copy: DocumentCopy, version: DocumentVersion
) -> tuple[int, os.stat_result]:
    """The copy's cached file, opened; built first when missing (a cleared cache, a new copy)."""
    path = str(copy_path(app.settings.data_dir, copy))
    if not app.builds.running(path):
        try:
            return await anyio.to_thread.run_sync(open_complete, path)
        except FileNotFoundError:
            pass
    await build(app, copy, version)
    return await anyio.to_thread.run_sync(open_complete, path)


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": translate(message)}}, status_code=status, headers=headers
    )


@operation(
    "The version as a PDF watermarked for the caller",
    description="One `Range` gets 206, out of range 416; also HEAD. A GET answered from byte 0 "
    "is logged as an open.",
    who="anyone who may see the item's papers",
    responses={200: PDF, 206: PDF},
)
async def version_file(request: Request) -> Response:
    me = await api_user(request)
    document_id, number = ident(request), ident(request, "n")
    app = ctx(request)
    viewer = me.viewer

    def visible(s: Session) -> tuple[Document, DocumentVersion]:
        return get_visible_version(session=s, document_id=document_id, version=number, viewer=viewer)

    def find(s: Session) -> tuple[Document, DocumentVersion, DocumentCopy | None]:
        document, version = visible(s)
        assert version.id is not None
        return document, version, copy_of(session=s, user_id=viewer.user_id, document_version_id=version.id)

    def issue(s: Session) -> DocumentCopy:
        version_id = visible(s)[1].id  # checked again inside the write
        return issue_copy(session=s, user_id=viewer.user_id, document_version_id=version_id)

    document, version, found = await app.db.read(find)
    copy = found if found is not None else await app.db.write(issue)
    try:
        fd, stat = await open_copy(app, copy, version)
    except TimeoutError:
        return error(503, "busy", BUSY, {"Retry-After": "5"})
    size = stat.st_size
    etag = f'"{copy.code}-{size:x}-{stat.st_mtime_ns:x}"'
    headers = {**PRIVATE, "ETag": etag, "Content-Disposition": content_disposition(document.title)}
    head_only = request.method == "HEAD"
    try:
        chosen = parse_range(wants_range(request.headers, etag), size)
        if not head_only and not offline_download(request.headers) and (chosen is None or chosen.start == 0):
            partial = chosen is not None
            await app.db.write(lambda s: record_open(session=s, copy=copy, partial=partial))
    except Unsatisfiable:
        os.close(fd)
        return error(416, "range_not_satisfiable", OUT_OF_RANGE, unsatisfiable(size, PRIVATE))
    except BaseException:
        os.close(fd)
        raise
    return FileSlice(fd, size, chosen, headers=headers, head_only=head_only)


routes = [
    Route("/api/v1/documents/{id:int}/versions/{n:int}/file", version_file, methods=["GET"]),
]
