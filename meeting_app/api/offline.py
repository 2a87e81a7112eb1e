"""Offline reading (docs/offline.md): devices, their wipe checks, and what each keeps.

- `POST /api/v1/offline/devices` registers the calling browser (session + CSRF) and gives it a
  key once; the server keeps the key's SHA-256 (agenda/people/devices.py).
- `POST /api/v1/offline/devices/check` needs no session, only the key: a device checks long after
  its session died. Origin checked like every state change; a foreign one is 403. Each address
  may check CHECKS_PER_MINUTE times a minute (429 beyond), and a known device's `last_seen_at`
  is written at most once a minute (agenda/offline/checks.py).
- `GET /api/v1/offline/meetings` (and `/{id}`) lists the files to keep, with the rules of the
  meeting page and the papers (agenda/offline/kept.py), the caller's briefing book, and `shell`:
  the static files the pages load, under the URLs the pages use.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from functools import cache
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.books import briefing
from agenda.clock import iso, utcnow
from agenda.errors import NotFound, RateLimited
from agenda.meetings.agenda_items import AgendaData
from agenda.offline import checks, kept
from agenda.people import devices
from agenda.people.devices import DeviceCheck, DeviceCreate
from agenda.viewer import Viewer
from meeting_app import vendor
from meeting_app.api.common import ident, reply
from meeting_app.api.offline_schemas import DeviceChecked, DeviceRegistered, KeptList, KeptMeetingPublic
from meeting_app.api.spec import operation
from meeting_app.auth import api_user, check_origin
from meeting_app.context import AppContext, ctx
from meeting_app.files.books import BookFiles
from meeting_app.inputs import read_json
from meeting_app.templating import STATIC, static_url

CHECKS_PER_MINUTE = 120  # per client address: a room of tablets behind one NAT opening the app


# --- the shell ----------------------------------------------------------------------------------


@cache
def shell_urls() -> tuple[str, ...]:
    """The static files the pages need with no network: every file under static/ by the
    cache-busting URL the templates write (`static()`), and each script also by its bare URL (the
    modules import one another as `./x.js`); pdf.js's library, worker and standard fonts when
    node_modules has them. Not the CMaps (1.7 MB, for PDFs without embedded CJK fonts only)."""
    urls: list[str] = []
    for path in sorted(p for p in STATIC.rglob("*") if p.is_file() and not p.name.startswith(".")):
        name = path.relative_to(STATIC).as_posix()
        if name.endswith(".map") or name == "sw.js":  # the service worker is served at /sw.js itself
            continue
        urls.append(static_url(name))
        if name.endswith((".js", ".mjs")):
            urls.append(f"/static/{name}")
    if vendor.pdfjs_version() is not None:
        urls += [f"/vendor/pdfjs/{name.removeprefix('build/')}" for name in vendor.PDFJS_FILES]
        fonts = vendor.PDFJS / "standard_fonts"
        urls += sorted(
            f"/vendor/pdfjs-fonts/{f.name}" for f in fonts.iterdir() if f.suffix in (".pfb", ".ttf")
        )
    return tuple(urls)


# --- devices ------------------------------------------------------------------------------------


class CheckLimiter:
    """At most `limit` checks a minute per client address, in this process."""

    def __init__(self, limit: int = CHECKS_PER_MINUTE, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, address: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 10_000:  # forget quiet addresses rather than grow without bound
                self._seen = {a: q for a, q in self._seen.items() if q and q[-1] > now - self.window}
            found = self._seen.setdefault(address, deque())
            while found and found[0] <= now - self.window:
                found.popleft()
            if len(found) >= self.limit:
                return False
            found.append(now)
            return True


LIMITER = CheckLimiter()


def _numbers(app: AppContext) -> dict[str, Any]:
    return {
        "expiry_hours": app.policy.offline_expiry_hours,
        "purge_days": app.policy.offline_purge_days,
    }


@operation(
    "Register this browser as one of the caller's offline reading devices",
    description="The key is shown once; the server keeps only its SHA-256.",
    who="user",
    body=DeviceCreate,
    responses={201: DeviceRegistered},
)
async def register_device(request: Request) -> Response:
    me = await api_user(request)
    body = await read_json(request, DeviceCreate)
    user_id = me.viewer.user_id
    app = ctx(request)
    made = await app.db.write(lambda s: devices.register_device(session=s, user_id=user_id, label=body.label))
    assert made.device.id is not None
    return reply({"device_id": made.device.id, "key": made.key, **_numbers(app)}, 201)


@operation(
    "Must this device wipe what it keeps?",
    description="No session needed: the key names the device. An unknown key answers wipe.",
    who="anyone (the device's key)",
    body=DeviceCheck,
    responses={200: DeviceChecked},
)
async def check_device(request: Request) -> Response:
    check_origin(request)
    address = request.client.host if request.client else "unknown"
    if not LIMITER.allow(address):
        raise RateLimited()
    body = await read_json(request, DeviceCheck)
    app = ctx(request)
    found = await app.db.write(lambda s: checks.check_device(session=s, key=body.key, leaving=body.leaving))
    return reply({"wipe": found.wipe, "reason": found.reason, **_numbers(app), "server_time": iso(utcnow())})


# --- what is kept -------------------------------------------------------------------------------


def _with_book(app: AppContext, session: Session, viewer: Viewer, meeting: kept.KeptMeeting) -> None:
    """The caller's briefing book of the meeting: its size once built, else the papers' sum."""
    plan = briefing.book_inputs(
        session=session,
        meeting_id=meeting.id,
        viewer=viewer,
        policy=app.policy,
        data_dir=app.settings.data_dir,
    )
    try:
        size: int | None = os.stat(BookFiles.of(app.settings.data_dir, plan).pdf).st_size
    except OSError:
        size = None
        meeting.estimate += meeting.paper_bytes  # the book holds every paper once
    url = f"/api/v1/meetings/{meeting.id}/book.pdf"
    meeting.files.insert(1, kept.KeptFile(url=url, kind="book", bytes=size))


async def _load(app: AppContext, viewer: Viewer, meeting_id: int | None) -> list[dict[str, Any]]:
    def load(session: Session, found_id: int) -> AgendaData:
        return app.agenda_cache.get(session=session, meeting_id=found_id)

    def read(s: Session) -> list[dict[str, Any]]:
        if meeting_id is None:
            found = kept.kept_meetings(
                session=s, viewer=viewer, policy=app.policy, data_dir=app.settings.data_dir, load=load
            )
        else:
            one = kept.kept_meeting(
                session=s,
                data=load(s, meeting_id),
                viewer=viewer,
                policy=app.policy,
                data_dir=app.settings.data_dir,
            )
            if one is None:
                raise NotFound()
            found = [one]
        for meeting in found:
            _with_book(app, s, viewer, meeting)
        return [m.as_dict() for m in found]

    return await app.db.read(read)


@operation(
    "What the caller's devices keep for offline reading, meeting by meeting",
    description="Upcoming and open meetings, and those adjourned less than `purge_days` ago.",
    who="user",
    responses={200: KeptList},
)
async def list_kept(request: Request) -> Response:
    me = await api_user(request)
    app = ctx(request)
    meetings = await _load(app, me.viewer, None)
    return reply(
        {**_numbers(app), "server_time": iso(utcnow()), "shell": list(shell_urls()), "meetings": meetings}
    )


@operation(
    "What the caller's devices keep of one meeting",
    description="404 when the meeting is not visible or not kept (a draft, or past `keep_until`).",
    who="anyone who may see the meeting",
    responses={200: KeptMeetingPublic},
)
async def one_kept(request: Request) -> Response:
    me = await api_user(request)
    meeting_id = ident(request)
    app = ctx(request)
    return reply((await _load(app, me.viewer, meeting_id))[0])


routes = [
    Route("/api/v1/offline/devices", register_device, methods=["POST"]),
    Route("/api/v1/offline/devices/check", check_device, methods=["POST"]),
    Route("/api/v1/offline/meetings", list_kept, methods=["GET"]),
    Route("/api/v1/offline/meetings/{id:int}", one_kept, methods=["GET"]),
]
