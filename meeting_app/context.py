"""What the lifespan yields: the resources every request handler reaches through `ctx(request)`.

The subsystems' resources (the live hub and feeds, the PDF pool and builds) are made by the
app's lifespan (meeting_app/app.py) and only named here, for their types: the subsystems are
layered above this module and use it (docs/architecture.md, "The web layer").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from anyio import CapacityLimiter
from jinja2 import Environment
from starlette.requests import HTTPConnection

from agenda.db import Database
from agenda.meetings.agenda_cache import AgendaCache
from agenda.policy import Policy
from meeting_app.metrics import Metrics
from meeting_app.session_cache import SessionCache
from meeting_app.settings import Settings

if TYPE_CHECKING:  # annotations only: these modules sit above this one (lint-imports)
    from meeting_app.files.books import BookBuilds
    from meeting_app.files.builds import Builds
    from meeting_app.files.pdf_pool import PdfPool
    from meeting_app.files.reanchoring import Reanchoring
    from meeting_app.files.vote_records import VoteSealer
    from meeting_app.live.ballot_box import BallotBox
    from meeting_app.live.hub import Hub
    from meeting_app.live.listener import Listener
    from meeting_app.live.user_feed import UserFeed


@dataclass(frozen=True)
class AppContext:
    settings: Settings
    db: Database
    policy: Policy
    templates: Environment
    agenda_cache: AgendaCache
    hub: Hub  # the live feed's sockets and per-meeting state (meeting_app/live/hub.py)
    pdf_pool: PdfPool  # CPU-bound PDF work (validation runs in its own sandboxed process)
    user_feed: UserFeed  # each user's /ws/me sockets: the bell and ballot boards (live/user_feed.py)
    # Copies and books being built, one job per file (meeting_app/files/builds.py).
    builds: Builds
    # Briefing books being built in the background, with their progress (meeting_app/files/books.py).
    book_builds: BookBuilds
    # Ballots written together, one transaction each, acknowledged after it (meeting_app/live/ballot_box.py).
    ballots: BallotBox
    # Each closed vote's record sealed in the background (meeting_app/files/vote_records.py).
    vote_sealer: VoteSealer
    # Annotations carried onto a paper's new version in the background (meeting_app/files/reanchoring.py).
    reanchoring: Reanchoring
    # Uploads checked at once; each check is a child process of up to 512 MB (agenda/papers/pdf_check.py).
    pdf_checks: CapacityLimiter = field(default_factory=lambda: CapacityLimiter(2))
    # Login sessions remembered for a few seconds; the log's account changes evict them (session_cache.py).
    sessions: SessionCache = field(default_factory=SessionCache)
    # The LISTEN connection on PostgreSQL (meeting_app/live/listener.py); None on SQLite.
    listener: Listener | None = None
    # GET /readyz's database check runs on a thread of its own (meeting_app/ops/health.py).
    ready_checks: CapacityLimiter = field(default_factory=lambda: CapacityLimiter(1))
    # What this process counts for GET /metrics (meeting_app/metrics.py, ops/monitoring.py).
    metrics: Metrics = field(default_factory=Metrics)
    # Signing and validation (agenda/signing/): one token operation at a time per process.
    signings: CapacityLimiter = field(default_factory=lambda: CapacityLimiter(2))


def ctx(conn: HTTPConnection) -> AppContext:
    context: AppContext = conn.state.ctx
    return context
