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
from agenda.meetings import MeetingCreate, MeetingUpdate
from agenda.members import MemberCreate, MemberUpdate
from agenda.programme import (
    PostponementCreate,
    PostponementDecision,
    ProgrammeItemCreate,
    ProgrammeItemUpdate,
)
from meeting_app.api.auth import LoginBody, MeUpdate
from meeting_app.api.common import reply

Body = type[BaseModel] | str | None

# (method, path, who, summary, request body: a model, "multipart" or None)
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
    ("GET", "/api/v1/openapi.json", "anyone", "This document", None),
]

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
            {"name": p, "in": "path", "required": True, "schema": {"type": "integer"}} for p in params
        ]
    if isinstance(body, str):
        op["requestBody"] = {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
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
