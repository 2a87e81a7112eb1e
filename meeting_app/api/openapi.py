"""The OpenAPI 3.1 description of every JSON route, served at /api/v1/openapi.json.

Each route is described once in ENDPOINTS; a test fails when a route is missing here.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from agenda.live.presiding import Advance, OutcomeSet
from agenda.meetings.agenda_items import AgendaItemCreate, AgendaItemUpdate, AgendaOrder
from agenda.meetings.attendance import AttendanceSet
from agenda.meetings.meetings import MeetingCreate, MeetingUpdate
from agenda.meetings.positions import PositionSet
from agenda.papers.notes import NoteText
from agenda.people.accounts import UserCreate, UserUpdate
from agenda.people.members import MemberCreate, MemberUpdate
from agenda.polls.opinion_polls import PollAnswer, PollCreate
from agenda.programme.postponements import PostponementCreate, PostponementDecision
from agenda.programme.programme import ProgrammeItemCreate, ProgrammeItemUpdate
from agenda.record.minutes import MinutesEdit
from agenda.votes.models import BallotCast, VoteCreate
from meeting_app.api.auth import LoginBody, MeUpdate
from meeting_app.api.common import reply

Body = type[BaseModel] | str | None

# (method, path, who, summary, request body: a model, "multipart" (or "multipart:field,field") or None)
ENDPOINTS: list[tuple[str, str, str, str, Body]] = [
    (
        "POST",
        "/api/v1/auth/login",
        "anyone",
        "Log in; returns the user and a CSRF token, sets the cookie",
        LoginBody,
    ),
    ("POST", "/api/v1/auth/logout", "user", "Log out; the session dies server-side", None),
    ("GET", "/api/v1/me", "user", "The current user and CSRF token", None),
    ("PATCH", "/api/v1/me", "user", "Change the current user's language", MeUpdate),
    ("GET", "/api/v1/users", "admin", "List accounts", None),
    ("POST", "/api/v1/users", "admin", "Create an account", UserCreate),
    ("GET", "/api/v1/users/{id}", "admin", "One account", None),
    (
        "PATCH",
        "/api/v1/users/{id}",
        "admin",
        "Change an account (roles, member link, active, password)",
        UserUpdate,
    ),
    ("GET", "/api/v1/members", "user", "The registry of Government members", None),
    ("POST", "/api/v1/members", "secretariat, admin", "Add a Government member", MemberCreate),
    ("GET", "/api/v1/members/{id}", "user", "One Government member", None),
    ("PATCH", "/api/v1/members/{id}", "secretariat, admin", "Change a Government member", MemberUpdate),
    (
        "GET",
        "/api/v1/programme-items",
        "secretariat, chair, member",
        "The work programme; filters month=YYYY-MM, status, agency, kind, q",
        None,
    ),
    ("POST", "/api/v1/programme-items", "secretariat", "Add a programme item", ProgrammeItemCreate),
    (
        "POST",
        "/api/v1/programme-items/import",
        "secretariat",
        "All-or-nothing CSV import (multipart field `file`); 422 lists bad lines",
        "multipart",
    ),
    (
        "GET",
        "/api/v1/programme-items/{id}",
        "secretariat, chair, member",
        "One programme item with readiness and postponements",
        None,
    ),
    (
        "PATCH",
        "/api/v1/programme-items/{id}",
        "secretariat",
        "Edit an item or move its status",
        ProgrammeItemUpdate,
    ),
    (
        "POST",
        "/api/v1/programme-items/{id}/postponements",
        "secretariat, member",
        "Ask to postpone an item, with a reason",
        PostponementCreate,
    ),
    ("GET", "/api/v1/postponements", "secretariat", "Postponement requests; filter status=pending", None),
    (
        "POST",
        "/api/v1/postponements/{id}/decision",
        "secretariat",
        "Approve or refuse a postponement",
        PostponementDecision,
    ),
    ("GET", "/api/v1/meetings", "user", "The meetings this user may see", None),
    (
        "POST",
        "/api/v1/meetings",
        "secretariat",
        "Create a meeting (invitees default to all voting members)",
        MeetingCreate,
    ),
    (
        "GET",
        "/api/v1/meetings/{id}",
        "invited users, secretariat, chair",
        "A meeting with its agenda as this viewer may see it",
        None,
    ),
    (
        "PATCH",
        "/api/v1/meetings/{id}",
        "secretariat",
        "Change a meeting; after publishing give a reason",
        MeetingUpdate,
    ),
    ("POST", "/api/v1/meetings/{id}/publish", "secretariat", "Publish the agenda", None),
    (
        "GET",
        "/api/v1/meetings/{id}/book.pdf",
        "invited users, secretariat, chair",
        "This user's watermarked briefing book (PDF, Range: 206); 202 {status, progress} while it is built",
        None,
    ),
    (
        "GET",
        "/api/v1/meetings/{id}/live",
        "invited users",
        "The live feed's snapshot, filtered for the caller",
        None,
    ),
    ("POST", "/api/v1/meetings/{id}/start", "chair, secretariat", "Start the session", None),
    (
        "PUT",
        "/api/v1/meetings/{id}/attendance/{member_id}",
        "chair, secretariat",
        "Record a member's attendance, with a substitute",
        AttendanceSet,
    ),
    ("POST", "/api/v1/meetings/{id}/advance", "chair, secretariat", "Move to another agenda item", Advance),
    ("POST", "/api/v1/meetings/{id}/consent/adopt", "chair, secretariat", "Adopt the consent block", None),
    ("POST", "/api/v1/meetings/{id}/adjourn", "chair, secretariat", "Adjourn the session", None),
    ("POST", "/api/v1/agenda-items/{id}/outcome", "chair, secretariat", "Record an outcome", OutcomeSet),
    ("POST", "/api/v1/agenda-items/{id}/speakers", "member, guest", "Ask to speak", None),
    ("POST", "/api/v1/speakers/{id}/start", "chair, secretariat", "Give the floor", None),
    ("POST", "/api/v1/speakers/{id}/stop", "chair, secretariat", "End the speaker's time", None),
    ("DELETE", "/api/v1/speakers/{id}", "speaker, chair, secretariat", "Withdraw a request to speak", None),
    ("POST", "/api/v1/agenda-items/{id}/votes", "chair, secretariat", "Prepare a vote", VoteCreate),
    ("GET", "/api/v1/votes/{id}", "invited users", "A vote; counts of choices only once closed", None),
    ("POST", "/api/v1/votes/{id}/open", "chair, secretariat", "Open a vote (needs quorum)", None),
    ("POST", "/api/v1/votes/{id}/close", "chair, secretariat", "Close and count a vote (idempotent)", None),
    (
        "POST",
        "/api/v1/votes/{id}/ballots",
        "member (self)",
        "Cast or change a ballot; needs an Idempotency-Key header",
        BallotCast,
    ),
    (
        "GET",
        "/api/v1/opinion-polls",
        "secretariat, chair, member, assistant",
        "Opinion ballots: all (staff), or those sent to the caller's member (members, assistants)",
        None,
    ),
    (
        "POST",
        "/api/v1/opinion-polls",
        "secretariat",
        "Create an opinion ballot on a programme item (draft); its papers are the item's dossier",
        PollCreate,
    ),
    (
        "GET",
        "/api/v1/opinion-polls/{id}",
        "secretariat, chair, members and assistants it was sent to",
        "A ballot with responded/total; result after the deadline or close; the caller's own answer; "
        "the board (staff)",
        None,
    ),
    ("POST", "/api/v1/opinion-polls/{id}/send", "secretariat", "Send to every active voting member", None),
    ("POST", "/api/v1/opinion-polls/{id}/close", "secretariat", "Close early and tally (idempotent)", None),
    (
        "PUT",
        "/api/v1/opinion-polls/{id}/response",
        "member (self)",
        "Answer or revise until the deadline; 409 deadline_passed after it",
        PollAnswer,
    ),
    (
        "GET",
        "/api/v1/opinion-polls/{id}/report.pdf",
        "secretariat, chair",
        "The synthesis report (application/pdf): tally, each member's position and comment, non-responders",
        None,
    ),
    ("GET", "/api/v1/notifications", "user", "The bell: {items, unread}, newest first", None),
    ("POST", "/api/v1/notifications/{id}/read", "user (own)", "Mark one notification read", None),
    ("POST", "/api/v1/notifications/read-all", "user", "Mark every notification read", None),
    (
        "POST",
        "/api/v1/meetings/{id}/agenda-items",
        "secretariat",
        "Add an agenda item; a not-ready programme item needs override_readiness",
        AgendaItemCreate,
    ),
    (
        "PUT",
        "/api/v1/meetings/{id}/agenda-order",
        "secretariat",
        "Reorder the agenda (a permutation)",
        AgendaOrder,
    ),
    (
        "GET",
        "/api/v1/agenda-items/{id}",
        "invited users",
        "One agenda item (a placeholder if restricted)",
        None,
    ),
    ("PATCH", "/api/v1/agenda-items/{id}", "secretariat", "Edit an agenda item", AgendaItemUpdate),
    (
        "DELETE",
        "/api/v1/agenda-items/{id}",
        "secretariat",
        "Remove an agenda item; ?reason= after publishing",
        None,
    ),
    (
        "GET",
        "/api/v1/documents/{id}/notes",
        "anyone who may read the document",
        "The caller's own private notes on a document, by page",
        None,
    ),
    (
        "PUT",
        "/api/v1/documents/{id}/notes/{page}",
        "anyone who may read the document",
        "Write the caller's private note on a page; empty text deletes it",
        NoteText,
    ),
    (
        "DELETE",
        "/api/v1/documents/{id}/notes/{page}",
        "anyone who may read the document",
        "Delete the caller's private note on a page",
        None,
    ),
    (
        "GET",
        "/api/v1/programme-items/{id}/documents",
        "anyone who may see the item's papers",
        "An item's dossier: every document with its versions",
        None,
    ),
    (
        "POST",
        "/api/v1/programme-items/{id}/documents",
        "secretariat",
        "Upload a new document (a PDF, checked in a sandbox); 413 too large, 415 not sent as PDF, "
        "422 refused with the reason as `code`",
        "multipart:kind,title,note",
    ),
    (
        "GET",
        "/api/v1/documents/{id}",
        "anyone who may see the item's papers",
        "A document with its versions and the latest one",
        None,
    ),
    (
        "POST",
        "/api/v1/documents/{id}/versions",
        "secretariat",
        "Upload a new version of a document with a change note (`note`, required); `title` renames",
        "multipart:title,note",
    ),
    (
        "GET",
        "/api/v1/documents/{id}/versions/{n}/file",
        "anyone who may see the item's papers",
        "The version as a PDF watermarked for the caller (application/pdf, not JSON); one `Range` "
        "gets 206, out of range 416; also HEAD. A GET answered from byte 0 is logged as an open",
        None,
    ),
    (
        "GET",
        "/api/v1/copies/{code}",
        "secretariat",
        "Resolve a copy code printed in a stamp: the person, the document version, the time and the opens",
        None,
    ),
    (
        "GET",
        "/api/v1/meetings/{id}/reading",
        "secretariat, chair",
        "Reading status: per programme item the dossier's completeness, per invited member and "
        "document whether the latest version (or only an older one) was opened",
        None,
    ),
    (
        "PUT",
        "/api/v1/meetings/{id}/positions/{agenda_item_id}",
        "member (self)",
        "State a pre-session position on an item (before the session starts); an objection takes "
        "the item out of the consent block",
        PositionSet,
    ),
    (
        "GET",
        "/api/v1/meetings/{id}/positions",
        "secretariat, chair; member (own)",
        "The table of pre-session positions (staff), or the caller's own positions (member)",
        None,
    ),
    (
        "GET",
        "/api/v1/meetings/{id}/minutes",
        "secretariat, chair, invited members",
        "The minutes once adjourned: {state, record, narrative, resolution, last_event: {seq, hash}}; "
        "restricted items outside the caller's audience are placeholders",
        None,
    ),
    (
        "PUT",
        "/api/v1/meetings/{id}/minutes",
        "secretariat",
        "Edit the narrative of draft minutes (opening, items: {agenda_item_id: summary}, closing); "
        "409 minutes_final once finalized",
        MinutesEdit,
    ),
    (
        "POST",
        "/api/v1/meetings/{id}/minutes/finalize",
        "secretariat",
        "Finalize and lock the minutes; the meeting is closed; records the last event's seq and hash",
        None,
    ),
    (
        "GET",
        "/api/v1/meetings/{id}/minutes.pdf",
        "secretariat, chair, invited members",
        "The minutes as a PDF (application/pdf) with the last event's hash on every page",
        None,
    ),
    (
        "GET",
        "/api/v1/meetings/{id}/resolution.pdf",
        "secretariat, chair, invited members",
        "The draft session resolution as a PDF: the adopted items and their conclusions",
        None,
    ),
    (
        "GET",
        "/api/v1/meetings/{id}/events",
        "secretariat",
        "The meeting's raw event log with hashes: ?since=N&limit=1..500 -> {items: [{seq, kind, at, "
        "actor_id, data, prev_hash, hash}], next_since}",
        None,
    ),
    (
        "GET",
        "/api/v1/search",
        "user (each sees only what they may see)",
        "Search programme items, meetings, agenda items, conclusions and document text, with or "
        "without Vietnamese diacritics: `q` (1-200 characters), `limit` (1-50, default 20) → "
        "`{results: [{type, id, title, snippet, url, highlights, title_highlights}]}`",
        None,
    ),
    ("GET", "/api/v1/openapi.json", "anyone", "This document", None),
]

TEXT_PARAMS = {"code": "string"}  # path parameters that are not ids

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


def _operation(method: str, path: str, who: str, summary: str, body: Body) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "description": f"Who: {who}. State changes need the X-CSRF-Token header.",
        "responses": {
            "200": {"description": "OK"},
            "4XX": {"description": "Error", "content": {"application/json": {"schema": ERROR_SCHEMA}}},
        },
    }
    params = re.findall(r"{(\w+)}", path)
    if params:
        op["parameters"] = [
            {"name": p, "in": "path", "required": True, "schema": {"type": TEXT_PARAMS.get(p, "integer")}}
            for p in params
        ]
    if isinstance(body, str):
        fields = [name for name in body.partition(":")[2].split(",") if name]  # "multipart:kind,title"
        properties: dict[str, Any] = {"file": {"type": "string", "format": "binary"}}
        properties.update({name: {"type": "string"} for name in fields})
        op["requestBody"] = {
            "required": True,
            "content": {"multipart/form-data": {"schema": {"type": "object", "properties": properties}}},
        }
    elif body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body.model_json_schema()}},
        }
    return op


def spec() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for method, path, who, summary, body in ENDPOINTS:
        paths.setdefault(path, {})[method.lower()] = _operation(method, path, who, summary, body)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "eCabinet API",
            "version": "1",
            "description": "See docs/api.md and shared API.md.",
        },
        "components": {
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "ecab_session"}}
        },
        "security": [{"session": []}],
        "paths": paths,
    }


async def openapi(request: Request) -> Response:
    return reply(spec())
