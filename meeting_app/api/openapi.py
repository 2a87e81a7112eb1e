"""The OpenAPI 3.1 description of every JSON route, served at /api/v1/openapi.json.

Each route is described once in ENDPOINTS; a test fails when a route is missing here.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from agenda.accounts import UserCreate, UserUpdate
from agenda.agenda_items import AgendaItemCreate, AgendaItemUpdate, AgendaOrder
from agenda.attendance import AttendanceSet
from agenda.meetings import MeetingCreate, MeetingUpdate
from agenda.members import MemberCreate, MemberUpdate
from agenda.notes import NoteText
from agenda.presiding import Advance, OutcomeSet
from agenda.programme import (
    PostponementCreate,
    PostponementDecision,
    ProgrammeItemCreate,
    ProgrammeItemUpdate,
)
from agenda.votes import BallotCast, VoteCreate
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
