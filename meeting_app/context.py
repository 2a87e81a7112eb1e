"""What the lifespan yields: the resources every request handler reaches through `ctx(request)`."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from jinja2 import Environment
from starlette.requests import HTTPConnection

from agenda.db import Database
from agenda.policy import Policy
from meeting_app.settings import Settings


@dataclass(frozen=True)
class AppContext:
    settings: Settings
    db: Database
    policy: Policy
    templates: Environment
    pdf_pool: ProcessPoolExecutor  # CPU-bound PDF work (validation runs in its own sandboxed process)


def ctx(conn: HTTPConnection) -> AppContext:
    context: AppContext = conn.state.ctx
    return context
