"""Briefing papers: upload a document or a new version, read a document and an item's dossier
(../shared/API.md "Documents"). See docs/uploads.md.

Uploads are multipart (`file`, `kind`, `title`, `note`), streamed to disk under MAX_UPLOAD_MB,
checked in a sandboxed process and stored under their sha256. The order of the checks is the
order of their cost: session, CSRF and role; the item or document exists; the text fields; only
then the file.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.access import agency_items, papers
from agenda.meetings import dossier
from agenda.papers import documents
from agenda.papers.documents import Document, DocumentVersion
from agenda.papers.pdf_check import PdfFacts
from meeting_app.api.common import ident, listing, reply
from meeting_app.api.schemas import DocumentPublic, Dossier
from meeting_app.api.spec import JSON, Multipart, operation
from meeting_app.auth import api_user
from meeting_app.context import ctx
from meeting_app.files import uploads

WRITERS = ("secretariat", "agency")  # an agency's focal point: its own items only


def created(document: Document, version: DocumentVersion, facts: PdfFacts) -> dict[str, Any]:
    return {
        "id": document.id,
        "document_id": document.id,
        "kind": document.kind,
        "title": document.title,
        "version": version.version,
        "pages": version.pages,
        "size": version.size,
        "sha256": facts.sha256,
    }


@operation(
    "Upload a new document (a PDF, checked in a sandbox)",
    description="413 too large, 415 not sent as PDF, 422 refused with the reason as `code`.",
    who="secretariat; agency (its own items)",
    body=Multipart(("kind", "title", "note")),
    responses={201: JSON},
)
async def add_document(request: Request) -> Response:
    me = await api_user(request, *WRITERS)
    item_id = ident(request)
    app = ctx(request)
    await app.db.read(lambda s: agency_items.may_work_on(session=s, viewer=me.viewer, item_id=item_id))
    async with uploads.receive(request) as upload:
        kind, title, note = upload.text("kind"), upload.text("title"), upload.text("note")
        documents.check_new_document(kind=kind, title=title or None, note=note)
        facts = await uploads.check_and_store(request, upload)

    def add(s: Session) -> tuple[Document, DocumentVersion]:
        return dossier.add_document(
            session=s,
            programme_item_id=item_id,
            kind=kind,
            title=title or facts.title or "",  # else the PDF's own title
            sha256=facts.sha256,
            pages=facts.pages,
            size=facts.size,
            note=note,
            actor_id=me.viewer.user_id,
            text=facts.text,
        )

    document, version = await app.db.write(add)
    return reply(created(document, version, facts), 201)


@operation(
    "Upload a new version of a document with a change note (`note`, required); `title` renames",
    who="secretariat; agency (its own items)",
    body=Multipart(("title", "note")),
    responses={201: JSON},
)
async def add_version(request: Request) -> Response:
    me = await api_user(request, *WRITERS)
    document_id = ident(request)
    app = ctx(request)

    def check(s: Session) -> None:  # 404 before the body
        document = documents.get_document(session=s, document_id=document_id)
        agency_items.may_work_on(session=s, viewer=me.viewer, item_id=document.programme_item_id)

    await app.db.read(check)
    async with uploads.receive(request) as upload:
        title, note = upload.text("title"), upload.text("note")
        documents.check_new_version(title=title or None, note=note)
        facts = await uploads.check_and_store(request, upload)

    def add(s: Session) -> tuple[Document, DocumentVersion]:
        version = dossier.add_version(
            session=s,
            document_id=document_id,
            title=title or None,
            sha256=facts.sha256,
            pages=facts.pages,
            size=facts.size,
            note=note,
            actor_id=me.viewer.user_id,
            text=facts.text,
        )
        return documents.get_document(session=s, document_id=document_id), version

    document, version = await app.db.write(add)
    app.reanchoring.schedule(app, document_id)  # annotations onto the new version, in the background
    return reply(created(document, version, facts), 201)


@operation(
    "A document with its versions and the latest one",
    who="anyone who may see the item's papers",
    responses={200: DocumentPublic},
)
async def get_document(request: Request) -> Response:
    me = await api_user(request)
    document_id = ident(request)

    def load(s: Session) -> dict[str, Any]:
        document = papers.get_visible_document(session=s, document_id=document_id, viewer=me.viewer)
        return documents.public_document(document, documents.versions_of(session=s, document_id=document_id))

    return reply(await ctx(request).db.read(load))


@operation(
    "An item's dossier: every document with its versions",
    who="anyone who may see the item's papers",
    responses={200: Dossier},
)
async def list_documents(request: Request) -> Response:
    me = await api_user(request)
    item_id = ident(request)
    found = await ctx(request).db.read(
        lambda s: papers.visible_dossier(session=s, programme_item_id=item_id, viewer=me.viewer)
    )
    return listing(found)


routes = [
    Route("/api/v1/programme-items/{id:int}/documents", list_documents, methods=["GET"]),
    Route("/api/v1/programme-items/{id:int}/documents", add_document, methods=["POST"]),
    Route("/api/v1/documents/{id:int}", get_document, methods=["GET"]),
    Route("/api/v1/documents/{id:int}/versions", add_version, methods=["POST"]),
]
