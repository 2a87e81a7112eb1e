"""Uploading papers from a programme item's page: a new document, or a new version of one with
its change note. See docs/uploads.md.

The forms are multipart and read as a stream (meeting_app.files.uploads): the CSRF token, the first
field of the form, is checked before a byte of the file is written. A refused upload re-renders
the item's page with the reason, in the viewer's language, and its 4xx status.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.errors import DomainError, NotFound
from agenda.meetings import dossier
from agenda.papers import documents
from agenda.programme import programme
from agenda.text import N_
from meeting_app.api.common import ident
from meeting_app.auth import Current, upload_user
from meeting_app.context import ctx
from meeting_app.errors import CsrfFailed
from meeting_app.files import uploads
from meeting_app.pages.common import done, failed
from meeting_app.pages.programme import check_item_access, detail_context

WRITERS = ("secretariat",)
UPLOADERS = ("secretariat", "agency")  # an agency's users: for their own items only
FIELDS = {
    "file": N_("Tệp PDF"),
    "kind": N_("Loại tài liệu"),
    "title": N_("Tên tài liệu"),
    "note": N_("Ghi chú"),
}


async def refused(
    request: Request, me: Current, item_id: int, exc: DomainError, form_name: str, values: dict[str, Any]
) -> Response:
    context = await detail_context(request, me, item_id)
    context["forms"] = {form_name: values}
    return failed(request, "programme/detail.html", context, exc, FIELDS)


def shown_values(upload: uploads.Upload, names: tuple[str, ...]) -> dict[str, str]:
    """The text fields to fill the form back in with (never the token)."""
    return {name: upload.fields.get(name, "").replace("\x00", "")[:5000] for name in names}


async def upload_document(request: Request) -> Response:
    me, check_token = await upload_user(request, *UPLOADERS)
    item_id = ident(request)
    app = ctx(request)
    await app.db.read(lambda s: check_item_access(s, me.viewer, item_id, WRITERS))
    await app.db.read(lambda s: programme.get_item(session=s, item_id=item_id))
    values: dict[str, str] = {}
    try:
        async with uploads.receive(request, on_file=check_token) as upload:
            check_token(upload.fields)  # also when no file came
            values = shown_values(upload, ("kind", "title", "note"))
            kind, title, note = upload.text("kind"), upload.text("title"), upload.text("note")
            documents.check_new_document(kind=kind, title=title or None, note=note)
            facts = await uploads.check_and_store(request, upload)

        def add(s: Session) -> None:
            dossier.add_document(
                session=s,
                programme_item_id=item_id,
                kind=kind,
                title=title or facts.title or "",
                sha256=facts.sha256,
                pages=facts.pages,
                size=facts.size,
                note=note,
                actor_id=me.viewer.user_id,
                text=facts.text,
            )

        await app.db.write(add)
    except CsrfFailed:
        raise
    except DomainError as exc:
        return await refused(request, me, item_id, exc, "upload", values)
    return done(f"/programme/{item_id}#dossier", "uploaded")


async def upload_version(request: Request) -> Response:
    me, check_token = await upload_user(request, *UPLOADERS)
    item_id = ident(request)
    document_id = ident(request, "document_id")
    app = ctx(request)

    def owned(s: Session) -> None:
        check_item_access(s, me.viewer, item_id, WRITERS)
        if documents.get_document(session=s, document_id=document_id).programme_item_id != item_id:
            raise NotFound()

    await app.db.read(owned)
    form_name = f"version-{document_id}"
    values: dict[str, str] = {}
    try:
        async with uploads.receive(request, on_file=check_token) as upload:
            check_token(upload.fields)
            values = shown_values(upload, ("title", "note"))
            title, note = upload.text("title"), upload.text("note")
            documents.check_new_version(title=title or None, note=note)
            facts = await uploads.check_and_store(request, upload)
        await app.db.write(
            lambda s: dossier.add_version(
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
        )
    except CsrfFailed:
        raise
    except DomainError as exc:
        return await refused(request, me, item_id, exc, form_name, values)
    app.reanchoring.schedule(app, document_id)  # annotations onto the new version, in the background
    return done(f"/programme/{item_id}#document-{document_id}", "version_added")


routes = [
    Route("/programme/{id:int}/documents", upload_document, methods=["POST"]),
    Route("/programme/{id:int}/documents/{document_id:int}/versions", upload_version, methods=["POST"]),
]
