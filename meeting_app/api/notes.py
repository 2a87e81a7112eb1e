"""Private notes per page of a document (docs/reader.md, "Private notes").

Only the author ever reads or changes a note. Anyone who may read the document may keep
notes on it; a document they may not read is not found, exactly as for its file.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.access.papers import get_visible_document
from agenda.errors import NotFound
from agenda.papers import notes
from agenda.papers.notes import NoteText
from agenda.viewer import Viewer
from meeting_app.api.common import MAX_ID, ident, listing, reply
from meeting_app.api.schemas import NoteList, NotePublic
from meeting_app.api.spec import operation
from meeting_app.auth import api_user
from meeting_app.context import ctx
from meeting_app.i18n import translate
from meeting_app.inputs import read_json
from meeting_app.templating import local_time


def page_number(request: Request) -> int:
    """The `{page}` of the path. Out of range is answered by the domain (422), naming the range."""
    value = request.path_params["page"]
    if not isinstance(value, int):
        raise NotFound()
    return value


@operation(
    "The caller's own private notes on a document, by page",
    who="anyone who may read the document",
    responses={200: NoteList},
)
async def list_notes(request: Request) -> Response:
    me = await api_user(request)
    document_id = ident(request)
    viewer = me.viewer

    def load(s: Session) -> list[notes.PageNote]:
        get_visible_document(session=s, document_id=document_id, viewer=viewer)
        return notes.list_notes(session=s, user_id=viewer.user_id, document_id=document_id)

    found = await ctx(request).db.read(load)
    return listing([notes.public_note(n) for n in found])


@operation(
    "Write the caller's private note on a page; empty text deletes it",
    description="An edit queued offline sends `base_updated_at`; when the note changed since, "
    "both texts are kept and the answer says `conflict: true`.",
    who="anyone who may read the document",
    body=NoteText,
    responses={200: NotePublic},
)
async def put_note(request: Request) -> Response:
    me = await api_user(request)
    document_id = ident(request)
    page = page_number(request)
    viewer = me.viewer
    await ctx(request).db.read(lambda s: _visible(s, document_id, viewer))  # 404 before reading the body
    body = await read_json(request, NoteText)
    base = notes.parse_base(body.base_updated_at)

    def save(s: Session) -> dict[str, object]:
        _visible(s, document_id, viewer)
        if body.has_base():
            saved = notes.save_offline_note(
                session=s,
                user_id=viewer.user_id,
                document_id=document_id,
                page=page,
                text=body.text,
                base=base,
                separator=separator,
            )
        else:
            saved = notes.Saved(
                notes.save_note(
                    session=s, user_id=viewer.user_id, document_id=document_id, page=page, text=body.text
                )
            )
        found = saved.note
        answer: dict[str, object] = (
            notes.public_note(found) if found else {"page": page, "text": "", "updated_at": None}
        )
        if saved.conflict:
            answer["conflict"] = True
        return answer

    return reply(await ctx(request).db.write(save))


@operation(
    "Delete the caller's private note on a page",
    who="anyone who may read the document",
    responses={204: None},
)
async def delete_note(request: Request) -> Response:
    me = await api_user(request)
    document_id = ident(request)
    page = page_number(request)
    viewer = me.viewer

    def delete(s: Session) -> None:
        _visible(s, document_id, viewer)
        if page <= MAX_ID:  # a page no row can have has no note to delete
            notes.delete_note(session=s, user_id=viewer.user_id, document_id=document_id, page=page)

    await ctx(request).db.write(delete)
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


def separator(at: datetime) -> str:
    """The line between the stored note and an offline edit that met it, in the caller's language."""
    return translate(notes.OFFLINE_SEPARATOR, {"time": local_time(at)})


def _visible(session: Session, document_id: int, viewer: Viewer) -> None:
    get_visible_document(session=session, document_id=document_id, viewer=viewer)


routes = [
    Route("/api/v1/documents/{id:int}/notes", list_notes, methods=["GET"]),
    Route("/api/v1/documents/{id:int}/notes/{page:int}", put_note, methods=["PUT"]),
    Route("/api/v1/documents/{id:int}/notes/{page:int}", delete_note, methods=["DELETE"]),
]
