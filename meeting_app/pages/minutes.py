"""The minutes page and the audit page of a meeting. See docs/minutes.md.

- /meetings/{id}/minutes: the generated record (read-only tables), the narrative and the download
  links. The secretariat edits the narrative of a draft and finalizes it (forms with the CSRF
  token, Post/Redirect/Get); the chair and the invited members read it. 404 when the meeting is
  not visible, 403 for other roles, 409 before adjournment.
- /meetings/{id}/audit: the secretariat's view of the meeting's event log, the chain check of
  its stream, the recount of its votes and whether the finalized minutes still match the log.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.clock import to_local
from agenda.errors import DomainError, RuleBroken
from agenda.meetings.meetings import get_meeting, public_meeting
from agenda.policy import Policy
from agenda.record import audit, minutes, signatures
from agenda.record.minutes import MinutesEdit
from agenda.text import N_
from agenda.viewer import Viewer
from meeting_app.api.common import ident
from meeting_app.api.minutes import minutes_view, with_signatures
from meeting_app.auth import Current, form_user, page_user
from meeting_app.context import ctx
from meeting_app.i18n import gettext, translate
from meeting_app.inputs import validate
from meeting_app.pages.common import checked, done, failed, page
from meeting_app.pages.event_sentences import Names, sentence
from meeting_app.pages.live import ATTENDANCE_LABELS, CHOICE_LABELS, OUTCOME_LABELS

PER_PAGE = 50
ITEM_FIELD = re.compile(r"^item-([0-9]{1,10})$")
FIELDS = {
    "opening": N_("Phần khai mạc"),
    "closing": N_("Phần bế mạc"),
    "items": N_("Tóm tắt thảo luận"),
}
ATTENDANCE_GROUPS = (
    ("present", ATTENDANCE_LABELS["present"]),
    ("remote", ATTENDANCE_LABELS["remote"]),
    ("excused", ATTENDANCE_LABELS["excused"]),
    ("absent", ATTENDANCE_LABELS["absent"]),
    ("not_recorded", N_("Chưa điểm danh")),
)
CHAIN_REASONS = {
    "gap": N_("thiếu sự kiện"),
    "broken_link": N_("liên kết tới sự kiện trước bị hỏng"),
    "hash_mismatch": N_("nội dung không khớp mã băm"),
    "unreadable": N_("không đọc được"),
    "missing_events": N_("mất các sự kiện cuối"),
}
RECOUNT_PROBLEMS = {
    "ballots_do_not_add_up": N_("số phiếu không khớp với số người đã bỏ phiếu"),
    "tally_differs_from_ballots": N_("kết quả lưu khác với kiểm phiếu lại"),
    "tally_differs_from_log": N_("kết quả lưu khác với sự kiện trong nhật ký"),
}
CONFIRM_REQUIRED = N_("Hãy đánh dấu ô xác nhận trước khi chốt biên bản.")


def when(value: str | None) -> str:
    """An ISO time from the record as "08:30 03/12/2026" (Vietnamese time)."""
    if not value:
        return ""
    return to_local(datetime.fromisoformat(value)).strftime("%H:%M %d/%m/%Y")


def duration(seconds: int | None) -> str:
    minutes_, secs = divmod(max(0, int(seconds or 0)), 60)
    if minutes_:
        return translate(N_("{minutes} phút {seconds} giây"), {"minutes": minutes_, "seconds": f"{secs:02d}"})
    return translate(N_("{seconds} giây"), {"seconds": secs})


def _labels() -> dict[str, Any]:
    return {
        "outcome": {code: gettext(text) for code, text in OUTCOME_LABELS.items()},
        "choice": {code: gettext(text) for code, text in CHOICE_LABELS.items()},
        "groups": [(code, gettext(text)) for code, text in ATTENDANCE_GROUPS],
    }


def _may_sign(s: Session, meeting_id: int, viewer: Viewer, policy: Policy) -> dict[str, bool]:
    return {
        record: signatures.may_sign(s, record=record, subject_id=meeting_id, viewer=viewer, policy=policy)
        for record in ("minutes", "resolution")
    }


async def minutes_context(request: Request, me: Current, meeting_id: int) -> dict[str, Any]:
    app = ctx(request)
    found = await with_signatures(app, await minutes_view(app, meeting_id, me.viewer))
    meeting = await app.db.read(lambda s: public_meeting(get_meeting(session=s, meeting_id=meeting_id)))
    editable = me.viewer.has(*minutes.WRITERS) and found["state"] == "draft"
    may_sign = await app.db.read(lambda s: _may_sign(s, meeting_id, me.viewer, app.policy))
    return {
        "signed": found["signatures"],
        "may_sign": may_sign,
        "meeting": meeting,
        "minutes": found,
        "record": found["record"],
        "narrative": found["narrative"],
        "editable": editable,
        "staff": me.viewer.has("secretariat"),
        "names": _labels(),
        "when": when,
        "duration": duration,
        "values": None,
        "vote_records": {r["vote_id"]: r for r in found["vote_records"]},
    }


async def minutes_page(request: Request) -> Response:
    me = await page_user(request)
    return page(request, "minutes/view.html", await minutes_context(request, me, ident(request)))


def narrative_data(form: FormData) -> dict[str, Any]:
    """The narrative form as MinutesEdit fields: `opening`, `closing`, and one `item-<id>` per item."""
    data: dict[str, Any] = {}
    for name in ("opening", "closing"):
        value = form.get(name)
        if isinstance(value, str):
            data[name] = value
    items: dict[str, str] = {}
    for key in form:
        match = ITEM_FIELD.match(key)
        value = form.get(key)
        if match and isinstance(value, str):
            items[str(int(match.group(1)))] = value
    if items:
        data["items"] = items
    return data


async def save_narrative(request: Request) -> Response:
    me, form = await form_user(request, *minutes.WRITERS)
    meeting_id = ident(request)
    app = ctx(request)
    try:
        data = validate(MinutesEdit, narrative_data(form))
        await app.db.write(
            lambda s: minutes.edit(session=s, meeting_id=meeting_id, data=data, actor_id=me.viewer.user_id)
        )
    except DomainError as exc:
        context = await minutes_context(request, me, meeting_id)
        given = narrative_data(form)
        notes = given.pop("items", {})
        context["values"] = {**given, "notes": notes}  # not "items", which templates read as dict.items
        return failed(request, "minutes/view.html", context, exc, FIELDS)
    return done(f"/meetings/{meeting_id}/minutes", "saved")


async def finalize(request: Request) -> Response:
    me, form = await form_user(request, *minutes.WRITERS)
    meeting_id = ident(request)
    app = ctx(request)
    try:
        if not checked(form, "confirm"):
            raise RuleBroken(CONFIRM_REQUIRED, code="confirm_required")
        await app.db.write(
            lambda s: minutes.finalize(session=s, meeting_id=meeting_id, actor_id=me.viewer.user_id)
        )
    except DomainError as exc:
        return failed(request, "minutes/view.html", await minutes_context(request, me, meeting_id), exc)
    return done(f"/meetings/{meeting_id}/minutes", "finalized")


# --- the audit page -----------------------------------------------------------------------------


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0 else 1


async def audit_page(request: Request) -> Response:
    me = await page_user(request, "secretariat")
    meeting_id = ident(request)
    number = _page_number(request)
    app = ctx(request)

    def load(s: Session) -> dict[str, Any]:
        meeting = get_meeting(session=s, meeting_id=meeting_id, viewer=me.viewer)
        total = audit.count_events(s, meeting_id)
        pages = max(1, -(-total // PER_PAGE))
        current = min(number, pages)
        rows, _next = audit.events_since(s, meeting_id, 0, PER_PAGE, offset=(current - 1) * PER_PAGE)
        names = audit.actor_names(s, {e.actor_id for e in rows if e.actor_id is not None})
        payloads = [e.payload() for e in rows]
        said = Names(**audit.payload_names(s, meeting_id, payloads))
        checked_ = audit.audit(s, meeting_id, app.policy)
        return {
            "meeting": public_meeting(meeting),
            "events": [
                {
                    "seq": e.seq,
                    "at": to_local(e.at).strftime("%H:%M:%S %d/%m/%Y"),
                    "kind": e.kind,
                    "actor": names.get(e.actor_id, f"#{e.actor_id}") if e.actor_id is not None else None,
                    "sentence": sentence(e.kind, payload, said),
                    "hash": e.hash,
                }
                for e, payload in zip(rows, payloads, strict=True)
            ],
            "total": total,
            "page_number": current,
            "pages": pages,
            "audit": checked_,
        }

    data = await app.db.read(load)
    found: audit.Audit = data["audit"]
    if found.first_bad is not None:
        reason = gettext(CHAIN_REASONS.get(found.first_bad["reason"], found.first_bad["reason"]))
        data["chain"] = translate(
            N_("Chuỗi bị phá vỡ tại sự kiện số {seq} ({reason})"),
            {"seq": found.first_bad["seq"], "reason": reason},
        )
    else:
        data["chain"] = translate(N_("Chuỗi sự kiện nguyên vẹn ({count} sự kiện)"), {"count": found.events})
    data["problems"] = {code: gettext(text) for code, text in RECOUNT_PROBLEMS.items()}
    return page(request, "minutes/audit.html", data)


routes = [
    Route("/meetings/{id:int}/minutes", minutes_page, methods=["GET"], name="minutes"),
    Route("/meetings/{id:int}/minutes", save_narrative, methods=["POST"]),
    Route("/meetings/{id:int}/minutes/finalize", finalize, methods=["POST"]),
    Route("/meetings/{id:int}/audit", audit_page, methods=["GET"], name="audit"),
]
