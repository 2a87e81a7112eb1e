"""What changed between two versions of a paper (issue 17, part 4; agenda/papers/version_diff.py).

`GET /api/v1/documents/{id}/versions/{n}/diff?from=k`: version n against version k (by default
n - 1), for whoever may read the document; with the change note of version n beside it. The
diff is computed once per pair of originals in the PDF pool and kept under DATA_DIR/diffs by
the two SHA-256 sums, so a room of readers opening it costs one computation.
"""

from __future__ import annotations

import json
import os
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import anyio.to_thread
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.access.papers import get_visible_version
from agenda.clock import iso
from agenda.errors import InvalidInput, Unavailable, WrongState
from agenda.papers.documents import DocumentVersion
from agenda.papers.version_diff import diff_files
from agenda.storage import original_path
from agenda.text import N_
from meeting_app.api.common import ident, reply
from meeting_app.api.spec import operation
from meeting_app.auth import api_user
from meeting_app.context import AppContext, ctx
from meeting_app.files.pdf_pool import WorkerDied

DIFF_TIMEOUT = 60.0


def base_version(raw: str | None, number: int) -> int:
    """The version `?from=` names for comparing version `number` with (by default the one before)."""
    if raw is None or raw == "":
        if number == 1:
            raise WrongState(
                N_("Đây là phiên bản đầu tiên; chưa có gì để so sánh."), code="no_earlier_version"
            )
        return number - 1
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6 or int(raw) in (0, number):
        raise InvalidInput(N_("Phiên bản để so sánh không hợp lệ."), code="bad_query")
    return int(raw)


def _cached(data_dir: Path, old: DocumentVersion, new: DocumentVersion) -> Path:
    return data_dir / "diffs" / f"{old.sha256}-{new.sha256}.json"


def _keep(path: Path, found: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    partial.write_text(json.dumps(found, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, path)


async def diff_of(app: AppContext, old: DocumentVersion, new: DocumentVersion) -> dict[str, Any]:
    """What `diff_files` finds between the two versions' originals: from the cache, or computed
    once in the PDF pool (503 when the pool cannot); for this API and the reader's page."""
    data_dir = app.settings.data_dir
    path = _cached(data_dir, old, new)
    if path.exists():
        cached: dict[str, Any] = json.loads(await anyio.to_thread.run_sync(path.read_text))
        return cached
    key = f"diff:{old.sha256}:{new.sha256}"
    old_file, new_file = original_path(data_dir, old.sha256), original_path(data_dir, new.sha256)
    try:
        found: dict[str, Any] = await app.builds.run(
            key, app.pdf_pool, diff_files, old_file, new_file, timeout=DIFF_TIMEOUT
        )
    except (TimeoutError, BrokenProcessPool, WorkerDied, RuntimeError) as exc:  # RuntimeError: pool shut down
        raise Unavailable() from exc
    await anyio.to_thread.run_sync(_keep, path, found)
    return found


def _version(found: DocumentVersion) -> dict[str, Any]:
    return {
        "version": found.version,
        "pages": found.pages,
        "note": found.note,
        "uploaded_at": iso(found.uploaded_at),
    }


@operation(
    "What changed between two versions of a paper, passage by passage with the pages of both",
    description="`{document_id, from: {version, pages, note, uploaded_at}, to: {...}, old_pages, "
    "new_pages, changes: [{kind: added|removed|changed, old: {pages, text}|null, new: {pages, "
    "text}|null, old_page, new_page, words?: [{op, text}]}]}`; `from` defaults to the previous "
    "version. 409 no_earlier_version for version 1 without `from`.",
    who="whoever may read the document",
    query={"from": int},
)
async def version_diff(request: Request) -> Response:
    me = await api_user(request)
    document_id, number = ident(request), ident(request, "n")
    app = ctx(request)

    def load(s: Session) -> tuple[DocumentVersion, DocumentVersion]:
        # Whether this viewer may read the document first (404), then the query (400, 409).
        _document, new = get_visible_version(
            session=s, document_id=document_id, version=number, viewer=me.viewer
        )
        base = base_version(request.query_params.get("from"), number)
        _document, old = get_visible_version(
            session=s, document_id=document_id, version=base, viewer=me.viewer
        )
        return old, new

    old, new = await app.db.read(load)
    found = await diff_of(app, old, new)
    return reply({"document_id": document_id, "from": _version(old), "to": _version(new), **found})


routes = [Route("/api/v1/documents/{id:int}/versions/{n:int}/diff", version_diff, methods=["GET"])]
