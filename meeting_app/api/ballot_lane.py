"""The ballot lane: `POST /api/v1/votes/{id}/ballots` served without the generic request stack.

When a vote opens, every member present votes within a few seconds, and the room waits on the
last acknowledgement (../shared/DESIGN.md "Performance budget": 500 ballots at once, p99 under 100 ms).
Through the generic stack (four middlewares, the router, a Request, the session lookup,
pydantic, a Response) a ballot costs about 0.3 ms of CPU before its transaction, and the 500th
waits for the 499 before it. This ASGI middleware, outermost, serves the plain ballot with the
same checks made by the same functions, in well under half of that:

- the Host is allowed (security.HostRule) and the body is within the JSON limit, declared by
  Content-Length as application/json (the BodyLimit and read_json rules);
- the session cookie names a live session that this process remembers (session_cache), of a
  user with the `member` role; the Origin is ours (auth.sender_allowed) and X-CSRF-Token
  matches (auth.token_ok), as auth.api_user checks them;
- the Idempotency-Key is valid (api.votes.valid_key) and the body is exactly `{"choice": c}`
  with a known choice (agenda.votes.models.BallotCast).

Then the ballot goes to the ballot box through api.votes.cast, as the route's does, and is
answered with the route's headers plus the security headers (security.secured). A refusal is
answered by the app's own exception handler for it (errors.py), in the user's language
(auth.user_locale).

Any request off that path (a session this process has not seen yet, a missing or wrong header, a
malformed or oversized body) goes down the generic stack with its body, which answers it as it
answers any request. So there is one behaviour, and the lane only makes the common case cheap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request, cookie_parser
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agenda.errors import InvalidInput
from agenda.people import accounts
from agenda.people.accounts import viewer_of
from agenda.viewer import Viewer
from agenda.votes.ballots import BallotRequest
from agenda.votes.models import CHOICES, BallotCast
from meeting_app import i18n
from meeting_app.api.common import MAX_ID
from meeting_app.api.votes import cast, valid_key
from meeting_app.auth import MAX_TOKEN, SESSION_COOKIE, sender_allowed, token_ok, user_locale
from meeting_app.context import AppContext
from meeting_app.inputs import media_type
from meeting_app.security import HostRule, secured
from meeting_app.settings import Settings

BALLOT_PATH = re.compile(r"/api/v1/votes/([0-9]{1,18})/ballots")
_WANTED = frozenset(
    {
        b"host",
        b"cookie",
        b"origin",
        b"referer",
        b"x-csrf-token",
        b"idempotency-key",
        b"content-type",
        b"content-length",
        b"transfer-encoding",
        b"accept-language",
    }
)
Handler = Callable[[Request, Exception], Awaitable[Response]]


@dataclass(frozen=True)
class _Plain:
    """A ballot request whose headers passed every check."""

    context: AppContext
    locale: str  # the user's, for a refusal's message
    viewer: Viewer
    vote_id: int
    key: str


class BallotLane:
    def __init__(self, app: ASGIApp, *, settings: Settings, handlers: dict[Any, Handler]) -> None:
        self.app = app
        self.hosts = HostRule(settings.allowed_hosts)
        self.limit = settings.max_body_kb * 1024  # BodyLimit's for JSON routes
        self.allowed_origins = settings.allowed_origins
        self.handlers = handlers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = BALLOT_PATH.fullmatch(scope["path"]) if scope["type"] == "http" else None
        plain = self._plain(scope, int(path[1])) if path and scope["method"] == "POST" else None
        if plain is None:
            await self.app(scope, receive, send)
            return
        body = await _body(receive, self.limit)
        if body is None:
            return  # the tablet went away before its ballot was sent whole: nothing to answer
        choice = _choice(body)
        if choice is None:
            await self.app(scope, _replay(body, receive), send)
            return
        ballot = BallotRequest(vote_id=plain.vote_id, choice=choice, key=plain.key, viewer=plain.viewer)
        try:
            answer = await cast(plain.context, ballot)
        except Exception as exc:
            handler = self._handler(exc)
            if handler is None:
                raise
            with i18n.use_locale(plain.locale):
                response = await handler(Request(scope, receive), exc)
            await response(scope, receive, secured(send))
            return
        # The route's answer (api.votes.cast_ballot) with the headers SecurityHeaders adds to it.
        body = json.dumps(answer.body).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"cache-control", b"no-store"),
            (b"content-length", str(len(body)).encode()),
        ]
        send = secured(send)
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _plain(self, scope: Scope, vote_id: int) -> _Plain | None:
        """The ballot if every check that precedes the body passes; None sends it the long way."""
        context: AppContext | None = scope.get("state", {}).get("ctx")
        headers = _headers(scope)
        if context is None or not 1 <= vote_id <= MAX_ID or not self.hosts.allowed(headers.get("host", "")):
            return None
        json_body = media_type(headers.get("content-type", "")) == "application/json"
        if "transfer-encoding" in headers or not json_body:
            return None
        declared = headers.get("content-length", "")
        if not declared.isdigit() or int(declared) > self.limit:
            return None
        auth = _session(context, headers.get("cookie", ""))
        if auth is None:
            return None
        viewer = viewer_of(auth.user)
        if not viewer.has("member"):
            return None
        origin, referer, host = headers.get("origin"), headers.get("referer"), headers.get("host", "")
        if not sender_allowed(origin, referer, host, self.allowed_origins):
            return None
        if not token_ok(auth.csrf_token, headers.get("x-csrf-token")):
            return None
        try:
            key = valid_key(headers.get("idempotency-key", ""))
        except InvalidInput:
            return None
        context.sessions.seen(auth, context.db)
        locale = user_locale(scope["path"], headers.get("accept-language"), auth.user)
        return _Plain(context, locale, viewer, vote_id, key)

    def _handler(self, exc: Exception) -> Handler | None:
        """The app's handler for `exc`, looked up by class as Starlette looks it up."""
        for cls in type(exc).__mro__:
            if cls in self.handlers:
                return self.handlers[cls]
        return None


def _headers(scope: Scope) -> dict[str, str]:
    """The headers the lane reads; the first of repeated ones, as Starlette's Headers.get."""
    found: dict[str, str] = {}
    for name, value in scope["headers"]:
        if name in _WANTED:
            found.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    return found


def _session(context: AppContext, cookie: str) -> accounts.Authenticated | None:
    """The session this process remembers for the cookie's token (a cache miss goes the long way)."""
    token = cookie_parser(cookie).get(SESSION_COOKIE, "")
    if not token or len(token) > MAX_TOKEN:
        return None
    return context.sessions.get(accounts.session_id(token, context.settings.secret_key))


async def _body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None when the client went away; over `limit`, what came so far."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > limit or not message.get("more_body", False):
            return b"".join(chunks)


def _choice(body: bytes) -> str | None:
    try:
        data = BallotCast.model_validate_json(body)
    except ValidationError:
        return None
    return data.choice if data.choice in CHOICES else None


def _replay(body: bytes, receive: Receive) -> Receive:
    """`receive` that first gives back the body the lane already read."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed
