"""The work programme, its CSV import and postponement requests (../shared/API.md "Work programme")."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.access import agency_items
from agenda.errors import InvalidInput
from agenda.programme import postponements, programme, programme_import, submission
from agenda.programme.postponements import PostponementCreate, PostponementDecision
from agenda.programme.programme import ProgrammeItemCreate, ProgrammeItemUpdate
from agenda.text import N_
from agenda.viewer import Viewer
from meeting_app.api.common import ident, listing, reply
from meeting_app.api.spec import JSON, Multipart, operation
from meeting_app.auth import api_user
from meeting_app.context import ctx
from meeting_app.errors import TooLarge
from meeting_app.inputs import read_form, read_json

READERS = ("secretariat", "chair", "member")  # the whole programme (search reads this too)
ITEM_READERS = (*READERS, "agency")  # an agency's focal point: its own items only
WRITERS = ("secretariat",)
SUBMITTERS = ("secretariat", "agency")
POSTPONERS = ("secretariat", "member", "agency")
MAX_CSV_BYTES = 5 * 1024 * 1024


def _filters(request: Request) -> dict[str, str | None]:
    query = request.query_params
    found: dict[str, str | None] = {}
    for name in ("month", "agency", "kind", "status", "q"):
        value = query.get(name, "").strip()
        found[name] = value[:300] or None
    return found


@operation(
    "The work programme; filters month=YYYY-MM, status, agency, kind, q",
    who="secretariat, chair, member; agency (its own items)",
    query={"month": str, "status": str, "agency": str, "kind": str, "q": str},
)
async def list_items(request: Request) -> Response:
    me = await api_user(request, *ITEM_READERS)
    filters = _filters(request)
    policy = ctx(request).policy

    own = agency_items.agency_only(me.viewer)
    if own and me.viewer.agency_id is None:
        return listing([])  # an agency account not linked to an agency sees nothing

    def load(s: Session) -> list[dict[str, object]]:
        items = programme.list_items(
            session=s,
            month=filters["month"],
            agency=filters["agency"],
            kind=filters["kind"],
            status=filters["status"],
            q=filters["q"],
            agency_id=me.viewer.agency_id if own else None,
        )
        shown_ids = set(agency_items.visible_item_ids(session=s, viewer=me.viewer, items=items))
        shown = [i for i in items if i.id in shown_ids]
        return programme.public_items(session=s, items=shown, policy=policy)

    return listing(await ctx(request).db.read(load))


async def _one(request: Request, item_id: int, viewer: Viewer) -> dict[str, object]:
    policy = ctx(request).policy

    def load(s: Session) -> dict[str, object]:
        item = agency_items.visible_item(session=s, viewer=viewer, item_id=item_id)
        found = programme.public_items(session=s, items=[item], policy=policy)[0]
        found["postponements"] = [
            postponements.public_postponement(p)
            for p in postponements.list_postponements(session=s, item_id=item_id)
        ]
        return found

    return await ctx(request).db.read(load)


@operation("Add a programme item", who="secretariat", body=ProgrammeItemCreate, responses={201: JSON})
async def create_item(request: Request) -> Response:
    me = await api_user(request, *WRITERS)
    data = await read_json(request, ProgrammeItemCreate)
    item = await ctx(request).db.write(
        lambda s: programme.create_item(session=s, data=data, actor_id=me.viewer.user_id)
    )
    assert item.id is not None
    return reply(await _one(request, item.id, me.viewer), 201)


@operation(
    "One programme item with readiness, submission and postponements",
    who="secretariat, chair, member; agency (its own items)",
)
async def get_item(request: Request) -> Response:
    me = await api_user(request, *ITEM_READERS)
    return reply(await _one(request, ident(request), me.viewer))


@operation("Edit an item or move its status", who="secretariat", body=ProgrammeItemUpdate)
async def update_item(request: Request) -> Response:
    me = await api_user(request, *WRITERS)
    item_id = ident(request)
    data = await read_json(request, ProgrammeItemUpdate)
    policy = ctx(request).policy
    await ctx(request).db.write(
        lambda s: programme.update_item(
            session=s, item_id=item_id, data=data, actor_id=me.viewer.user_id, policy=policy
        )
    )
    return reply(await _one(request, item_id, me.viewer))


async def read_upload(request: Request) -> bytes:
    """The multipart `file` field of an upload, bounded in size."""
    form = await read_form(request, upload_mb=1)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput(N_("Cần chọn một tệp để tải lên (trường 'file')."), code="file_required")
        raw = await upload.read(MAX_CSV_BYTES + 1)
    finally:
        await form.close()  # the spooled temporary file
    if len(raw) > MAX_CSV_BYTES:
        raise TooLarge(N_("Tệp CSV quá lớn (tối đa 5 MB)."), code="file_too_large")
    return raw


@operation(
    "All-or-nothing CSV import (multipart field `file`); 422 lists bad lines",
    who="secretariat",
    body=Multipart(),
)
async def import_items(request: Request) -> Response:
    me = await api_user(request, *WRITERS)
    raw = await read_upload(request)
    items = await ctx(request).db.write(
        lambda s: programme_import.import_csv(session=s, raw=raw, actor_id=me.viewer.user_id)
    )
    return reply({"imported": len(items), "ids": [i.id for i in items]})


@operation(
    "Ask to postpone an item (xin lùi), with a reason",
    who="secretariat, member; agency (its own items)",
    body=PostponementCreate,
    responses={201: JSON},
)
async def request_postponement(request: Request) -> Response:
    me = await api_user(request, *POSTPONERS)
    item_id = ident(request)
    await ctx(request).db.read(
        lambda s: agency_items.may_work_on(session=s, viewer=me.viewer, item_id=item_id)
    )  # 404 before the body
    data = await read_json(request, PostponementCreate)

    def ask(s: Session) -> postponements.Postponement:
        agency_items.may_work_on(session=s, viewer=me.viewer, item_id=item_id)
        return postponements.request_postponement(
            session=s, item_id=item_id, data=data, actor_id=me.viewer.user_id
        )

    found = await ctx(request).db.write(ask)
    return reply(postponements.public_postponement(found), 201)


@operation(
    "Mark the dossier submitted (nộp hồ sơ); 422 `dossier_incomplete` lists `missing_documents`",
    description="The item gains `submitted_at`, `submitted_late` and `days_late` (after the "
    "policy's deadline, by default the 25th of the month before its planned month).",
    who="secretariat; agency (its own items)",
)
async def submit_item(request: Request) -> Response:
    me = await api_user(request, *SUBMITTERS)
    item_id = ident(request)
    policy = ctx(request).policy

    def submit(s: Session) -> None:
        agency_items.may_work_on(session=s, viewer=me.viewer, item_id=item_id)
        submission.submit_dossier(session=s, item_id=item_id, actor_id=me.viewer.user_id, policy=policy)

    await ctx(request).db.write(submit)
    return reply(await _one(request, item_id, me.viewer))


@operation("Postponement requests; filter status=pending", who="secretariat", query={"status": str})
async def list_postponements(request: Request) -> Response:
    await api_user(request, *WRITERS)
    status = request.query_params.get("status") or None
    found = await ctx(request).db.read(lambda s: postponements.list_postponements(session=s, status=status))
    return listing([postponements.public_postponement(p) for p in found])


@operation("Approve or refuse a postponement", who="secretariat", body=PostponementDecision)
async def decide_postponement(request: Request) -> Response:
    me = await api_user(request, *WRITERS)
    postponement_id = ident(request)
    data = await read_json(request, PostponementDecision)
    policy = ctx(request).policy
    found = await ctx(request).db.write(
        lambda s: postponements.decide_postponement(
            session=s, postponement_id=postponement_id, data=data, actor_id=me.viewer.user_id, policy=policy
        )
    )
    return reply(postponements.public_postponement(found))


routes = [
    Route("/api/v1/programme-items", list_items, methods=["GET"]),
    Route("/api/v1/programme-items", create_item, methods=["POST"]),
    Route("/api/v1/programme-items/import", import_items, methods=["POST"]),
    Route("/api/v1/programme-items/{id:int}", get_item, methods=["GET"]),
    Route("/api/v1/programme-items/{id:int}", update_item, methods=["PATCH"]),
    Route("/api/v1/programme-items/{id:int}/postponements", request_postponement, methods=["POST"]),
    Route("/api/v1/programme-items/{id:int}/submit", submit_item, methods=["POST"]),
    Route("/api/v1/postponements", list_postponements, methods=["GET"]),
    Route("/api/v1/postponements/{id:int}/decision", decide_postponement, methods=["POST"]),
]
