"""What changed between two versions of a paper, as a page of the reader (issue 17, part 4;
docs/reader.md "What changed").

`GET /documents/{id}/versions/{n}/changes?from=k` shows the diff of the JSON API
(meeting_app/api/version_diffs.py, the same cache) page by page, with the pages of both
versions, the words marked, and the change notes of the versions in between beside it. Served
whole by the server: no script. Whoever may open the reader may open it; anyone else gets 404
before the query is read.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.access import papers
from agenda.errors import NotFound
from agenda.papers import documents
from agenda.papers.documents import DocumentVersion
from meeting_app.api.common import ident
from meeting_app.api.version_diffs import base_version, diff_of
from meeting_app.auth import page_user
from meeting_app.context import ctx
from meeting_app.pages.common import page

MAX_SHOWN = 400  # changes on one page; a rewrite beyond that is read in the versions themselves


def pick(versions: list[DocumentVersion], number: int) -> DocumentVersion:
    for version in versions:
        if version.version == number:
            return version
    raise NotFound()


def by_page(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive changes that stand at the same page of both versions, together."""
    return [
        {"old_page": old_page, "new_page": new_page, "changes": list(group)}
        for (old_page, new_page), group in groupby(changes, key=lambda c: (c["old_page"], c["new_page"]))
    ]


def counts(changes: list[dict[str, Any]]) -> dict[str, int]:
    found = {"added": 0, "removed": 0, "changed": 0}
    for change in changes:
        found[change["kind"]] += 1
    return found


def notes_between(versions: list[DocumentVersion], base: int, target: int) -> list[DocumentVersion]:
    """The versions whose change notes tell what happened from one to the other, newest first:
    those after the older of the two, up to the newer."""
    low, high = min(base, target), max(base, target)
    return [v for v in reversed(versions) if low < v.version <= high]


async def version_changes(request: Request) -> Response:
    me = await page_user(request)
    document_id, number = ident(request), ident(request, "n")
    raw = request.query_params.get("from")

    def load(s: Session) -> dict[str, Any]:
        # As the reader: who may not read the document learns nothing (404), then the query.
        document = papers.get_visible_document(session=s, document_id=document_id, viewer=me.viewer)
        versions = documents.versions_of(session=s, document_id=document_id)
        target = pick(versions, number)
        base = pick(versions, base_version(raw, number))
        return {"document": document, "versions": versions, "target": target, "base": base}

    app = ctx(request)
    data = await app.db.read(load)
    found = await diff_of(app, data["base"], data["target"])
    changes: list[dict[str, Any]] = found["changes"]
    data.update(
        groups=by_page(changes[:MAX_SHOWN]),
        counts=counts(changes),
        total=len(changes),
        shown=min(len(changes), MAX_SHOWN),
        notes=notes_between(data["versions"], data["base"].version, data["target"].version),
    )
    return page(request, "reader/changes.html", data)


routes = [
    Route(
        "/documents/{id:int}/versions/{n:int}/changes",
        version_changes,
        methods=["GET"],
        name="version_changes",
    )
]
