"""Postponement requests ("xin lùi") and the all-or-nothing CSV import of the work programme."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.errors import DomainError, InvalidInput
from agenda.programme import postponements, programme_import
from agenda.programme.postponements import PostponementCreate, PostponementDecision
from agenda.text import N_
from meeting_app.api.common import ident
from meeting_app.api.programme import MAX_CSV_BYTES
from meeting_app.auth import form_user, page_user
from meeting_app.context import ctx
from meeting_app.inputs import validate
from meeting_app.pages.common import done, failed, page, text, values_of
from meeting_app.pages.programme import check_item_access, detail_failed

WRITERS = ("secretariat",)


async def request_postponement(request: Request) -> Response:
    me, form = await form_user(request, "secretariat", "member", "agency")
    item_id = ident(request)
    await ctx(request).db.read(lambda s: check_item_access(s, me.viewer, item_id, ("secretariat", "member")))
    try:
        data = validate(
            PostponementCreate,
            {
                "reason": text(form, "reason", limit=2100),
                "to_month": text(form, "to_month", limit=20) or None,
            },
        )
        await ctx(request).db.write(
            lambda s: postponements.request_postponement(
                session=s, item_id=item_id, data=data, actor_id=me.viewer.user_id
            )
        )
    except DomainError as exc:
        return await detail_failed(request, me, item_id, exc, "postpone", values_of(form))
    back = "/agency" if text(form, "back", limit=10) == "agency" else f"/programme/{item_id}"
    return done(back, "requested")


async def decide(request: Request) -> Response:
    me, form = await form_user(request, *WRITERS)
    postponement_id = ident(request)
    policy = ctx(request).policy
    choice = text(form, "decision", limit=16)
    try:
        if choice not in ("approve", "refuse"):
            raise InvalidInput(N_("Hãy chọn chấp thuận hoặc không chấp thuận."), code="decision_required")
        data = validate(
            PostponementDecision,
            {"approve": choice == "approve", "note": text(form, "note", limit=2100) or None},
        )
        found = await ctx(request).db.write(
            lambda s: postponements.decide_postponement(
                session=s,
                postponement_id=postponement_id,
                data=data,
                actor_id=me.viewer.user_id,
                policy=policy,
            )
        )
    except DomainError as exc:
        found_request = await ctx(request).db.read(
            lambda s: s.get(postponements.Postponement, postponement_id)
        )
        if found_request is None:
            raise
        item_id = found_request.programme_item_id
        return await detail_failed(request, me, item_id, exc, "decide", values_of(form))
    back = text(form, "back", limit=10)
    target = "/" if back == "home" else f"/programme/{found.programme_item_id}"
    return done(target, "approved" if data.approve else "refused")


async def import_page(request: Request) -> Response:
    await page_user(request, *WRITERS)
    return page(request, "programme/import.html", {"header": ",".join(programme_import.HEADER)})


async def import_upload(request: Request) -> Response:
    me, form = await form_user(request, *WRITERS, upload_mb=1)
    context = {"header": ",".join(programme_import.HEADER)}
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput(N_("Hãy chọn tệp CSV để nhập."), code="file_required")
        raw = await upload.read(MAX_CSV_BYTES + 1)
        if len(raw) > MAX_CSV_BYTES:
            raise InvalidInput(N_("Tệp CSV quá lớn (tối đa 5 MB)."), code="file_too_large")
        items = await ctx(request).db.write(
            lambda s: programme_import.import_csv(session=s, raw=raw, actor_id=me.viewer.user_id)
        )
    except DomainError as exc:
        return failed(request, "programme/import.html", context, exc)
    return done("/programme", "imported", n=len(items))


routes = [
    Route("/programme/{id:int}/postponements", request_postponement, methods=["POST"]),
    Route("/postponements/{id:int}/decision", decide, methods=["POST"]),
    Route("/programme/import", import_page, methods=["GET"]),
    Route("/programme/import", import_upload, methods=["POST"]),
]
