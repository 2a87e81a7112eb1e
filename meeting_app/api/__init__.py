"""The JSON API under /api/v1 (../shared/API.md). One module per area; `routes` gathers them."""

from starlette.routing import BaseRoute, Route

from meeting_app.api import (
    agencies,
    annotations,  # (no `from __future__ import annotations` in this module: the name is this one)
    auth,
    books,
    copies,
    documents,
    files,
    live,
    meetings,
    minutes,
    monitoring,
    notes,
    offline,
    opinion_polls,
    people,
    positions,
    programme,
    reading,
    search,
    signatures,
    signing,
    task_reports,
    tasks,
    todo,
    version_diffs,
    vote_records,
    votes,
)
from meeting_app.api.openapi import openapi

routes: list[BaseRoute] = [
    # Starlette tries routes in order: the ones a room of tablets hits at once come first.
    *votes.routes,
    *live.routes,
    *auth.routes,
    *people.routes,
    *programme.routes,
    *meetings.routes,
    *documents.routes,
    *signing.routes,
    *notes.routes,
    *files.routes,
    *copies.routes,
    *reading.routes,
    *books.routes,
    *search.routes,
    *minutes.routes,
    *positions.routes,
    *opinion_polls.routes,
    *todo.routes,
    *agencies.routes,
    *tasks.routes,
    *task_reports.routes,
    *monitoring.routes,
    *signatures.routes,  # verification (issue 16), and the public root and CRL under /pki
    *vote_records.routes,
    *version_diffs.routes,  # issue 17: the diff between two versions of a paper
    *annotations.routes,  # issue 17: annotations anchored to the text
    *offline.routes,  # issue 17: offline reading's devices and what they keep
    Route("/api/v1/openapi.json", openapi, methods=["GET"]),
]
