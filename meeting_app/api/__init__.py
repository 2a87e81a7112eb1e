"""The JSON API under /api/v1 (API.md). One module per area; `routes` gathers them."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from meeting_app.api import auth, meetings, people, programme
from meeting_app.api.openapi import openapi

routes: list[BaseRoute] = [
    *auth.routes,
    *people.routes,
    *programme.routes,
    *meetings.routes,
    Route("/api/v1/openapi.json", openapi, methods=["GET"]),
]
