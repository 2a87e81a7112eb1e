"""Highlights and notes anchored to the text of a paper (docs/annotations.md; the domain is
agenda/papers/annotations.py).

Whoever may read a document may annotate it; a document they may not read is not found (404)
before anything else is looked at, exactly as for its file. An annotation is read by its author
and by those it is shared with (chosen invitees who may read the document, or the secretariat);
only its author changes or deletes it, and to anyone else it is not found.
"""

from __future__ import annotations

import asyncio
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.access.annotation_audience import audience, audience_ids
from agenda.access.papers import get_visible_document
from agenda.errors import InvalidInput, NotFound, Unavailable
from agenda.papers import annotations as domain
from agenda.papers import reanchor
from agenda.papers.annotations import AnnotationChange, AnnotationNew
from agenda.papers.documents import DocumentVersion
from agenda.record import annotation_export, annotations_pdf
from agenda.text import N_
from agenda.viewer import Viewer
from meeting_app.api.common import ident, reply
from meeting_app.api.spec import PDF, operation
from meeting_app.auth import api_user
from meeting_app.context import ctx
from meeting_app.files.downloads import content_disposition
from meeting_app.files.pdf_pool import WorkerDied
from meeting_app.files.reanchoring import page_texts
from meeting_app.inputs import read_json

EXPORT_TIMEOUT = 60.0
PRIVATE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
CARRIED = "`{from_version, to_version, carried, orphaned, at}` or null"


def _version_query(request: Request) -> int | None:
    raw = request.query_params.get("version")
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6 or int(raw) < 1:
        raise InvalidInput(N_("Phiên bản không hợp lệ."), code="bad_query")
    return int(raw)


def _latest(session: Session, document_id: int, viewer: Viewer) -> DocumentVersion:
    get_visible_document(session=session, document_id=document_id, viewer=viewer)
    latest = reanchor.latest_version(session, document_id)
    if latest is None:
        raise NotFound()
    return latest


@operation(
    "The caller's annotations on a document and those shared with them",
    description="`{items: [Annotation], carried}`: Annotation = `{id, document_id, kind, version, page, "
    "exact, prefix, suffix, text, state: anchored|orphaned, mine, author: {user_id, name}, "
    "share?: {secretariat, user_ids} (the author's own only), created_at, updated_at}`; `carried`: "
    f"the caller's own annotations' re-anchoring onto `version` (default the latest), {CARRIED}.",
    who="anyone who may read the document",
    query={"version": int},
)
async def list_annotations(request: Request) -> Response:
    me = await api_user(request)
    document_id = ident(request)
    viewer = me.viewer
    app = ctx(request)
    wanted = _version_query(request)

    def waiting(s: Session) -> bool:
        latest = _latest(s, document_id, viewer)
        return bool(reanchor.pending(s, document_id)[1]) if latest.version > 1 else False

    if await app.db.read(waiting):  # a new version whose re-anchoring has not finished here
        await app.reanchoring.settle(app, document_id)

    def load(s: Session) -> dict[str, Any]:
        latest = _latest(s, document_id, viewer)
        found = domain.list_visible(session=s, document_id=document_id, viewer=viewer)
        carried = reanchor.carried_for(
            s, user_id=viewer.user_id, document_id=document_id, version=wanted or latest.version
        )
        return {"items": domain.public_list(s, found, viewer), "carried": carried}

    return reply(await app.db.read(load))


@operation(
    "Highlight a passage, or attach a note to it, on the latest version of a document",
    description="422 `quote_not_on_page` when `exact` is not on that page of that version (as its "
    "text layer reads), `bad_share` when a user id is not in the annotation audience; 409 "
    "`not_latest_version` when the document has a newer version.",
    who="anyone who may read the document",
    body=AnnotationNew,
    responses={201: "application/json"},
)
async def create_annotation(request: Request) -> Response:
    me = await api_user(request)
    document_id = ident(request)
    viewer = me.viewer
    app = ctx(request)
    latest = await app.db.read(lambda s: _latest(s, document_id, viewer))  # 404 before the body
    body = await read_json(request, AnnotationNew)
    texts = await page_texts(app, latest) if body.version == latest.version else None

    def create(s: Session) -> dict[str, Any]:
        document = get_visible_document(session=s, document_id=document_id, viewer=viewer)
        current = _latest(s, document_id, viewer)
        found = domain.create(
            session=s,
            user_id=viewer.user_id,
            document_id=document_id,
            latest_version=current.version,
            body=body,
            pages=texts,
            audience=audience_ids(session=s, document=document, viewer=viewer) if body.share else set(),
        )
        return domain.public_list(s, [found], viewer)[0]

    return reply(await app.db.write(create), 201)


@operation(
    "Change the note or the sharing of the caller's own annotation",
    description="Others' annotations, shared with the caller or not, are not found (404).",
    who="the annotation's author",
    body=AnnotationChange,
)
async def change_annotation(request: Request) -> Response:
    me = await api_user(request)
    annotation_id = ident(request)
    viewer = me.viewer
    app = ctx(request)
    await app.db.read(lambda s: _own(s, annotation_id, viewer))  # 404 before the body
    body = await read_json(request, AnnotationChange)

    def change(s: Session) -> dict[str, Any]:
        document_id = _own(s, annotation_id, viewer).document_id
        document = get_visible_document(session=s, document_id=document_id, viewer=viewer)
        found = domain.update(
            session=s,
            annotation_id=annotation_id,
            user_id=viewer.user_id,
            change=body,
            audience=audience_ids(session=s, document=document, viewer=viewer) if body.share else set(),
        )
        return domain.public_list(s, [found], viewer)[0]

    return reply(await app.db.write(change))


@operation(
    "Delete the caller's own annotation",
    who="the annotation's author",
    responses={204: None},
)
async def delete_annotation(request: Request) -> Response:
    me = await api_user(request)
    annotation_id = ident(request)
    viewer = me.viewer

    def delete(s: Session) -> None:
        _own(s, annotation_id, viewer)
        domain.remove(session=s, annotation_id=annotation_id, user_id=viewer.user_id)

    await ctx(request).db.write(delete)
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


@operation(
    "The people the caller may share an annotation on this document with",
    description="`{items: [{user_id, name, title}]}`: the invitees of the meetings whose agenda "
    "holds the document, who may read it themselves; not the caller. The secretariat is shared "
    "with by a flag.",
    who="anyone who may read the document",
)
async def annotation_audience(request: Request) -> Response:
    me = await api_user(request)
    document_id = ident(request)
    viewer = me.viewer

    def load(s: Session) -> dict[str, Any]:
        document = get_visible_document(session=s, document_id=document_id, viewer=viewer)
        return {"items": audience(session=s, document=document, viewer=viewer)}

    return reply(await ctx(request).db.read(load))


@operation(
    "The caller's own annotations on the papers of a meeting, as a PDF summary",
    description="Per paper: each annotation's quote, page, version, note and state (anchored or "
    "orphaned). Only the caller's own, on the papers they may read; nobody else's.",
    who="anyone who may see the meeting",
    responses={200: PDF},
)
async def export_pdf(request: Request) -> Response:
    me = await api_user(request)
    meeting_id = ident(request)
    app = ctx(request)
    doc = await app.db.read(lambda s: annotation_export.plan(s, meeting_id=meeting_id, viewer=me.viewer))
    try:
        job = asyncio.wrap_future(app.pdf_pool.submit_within(EXPORT_TIMEOUT, annotations_pdf.render, doc))
        pdf = await asyncio.wait_for(job, EXPORT_TIMEOUT + 5)
    except (BrokenProcessPool, WorkerDied, RuntimeError, TimeoutError) as exc:
        raise Unavailable() from exc
    name = f"Ghi chú – {doc['meeting']['title']}"
    headers = {**PRIVATE, "Content-Disposition": content_disposition(name, default="ghi-chu")}
    return Response(pdf, media_type="application/pdf", headers=headers)


def _own(session: Session, annotation_id: int, viewer: Viewer) -> domain.Annotation:
    """The caller's own annotation on a document they may still read; 404 otherwise."""
    found = domain.get_own(session=session, annotation_id=annotation_id, user_id=viewer.user_id)
    get_visible_document(session=session, document_id=found.document_id, viewer=viewer)
    return found


routes = [
    Route("/api/v1/documents/{id:int}/annotations", list_annotations, methods=["GET"]),
    Route("/api/v1/documents/{id:int}/annotations", create_annotation, methods=["POST"]),
    Route("/api/v1/documents/{id:int}/annotation-audience", annotation_audience, methods=["GET"]),
    Route("/api/v1/annotations/{id:int}", change_annotation, methods=["PATCH"]),
    Route("/api/v1/annotations/{id:int}", delete_annotation, methods=["DELETE"]),
    Route("/api/v1/meetings/{id:int}/annotations.pdf", export_pdf, methods=["GET"]),
]
