"""Who is asking: the session cookie, roles and CSRF checks for pages and the JSON API.

See docs/security.md. Handlers call one of:
- `api_user(request, *roles)`: JSON routes; checks the `X-CSRF-Token` header on state changes;
- `page_user(request, *roles)`: pages that only read;
- `form_user(request, *roles)`: page forms; reads the form and checks its `csrf_token` field;
- `upload_user(request, *roles)`: page forms with a file, streamed; the `csrf_token` is checked
  before the file is written.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.requests import HTTPConnection, Request

from agenda.errors import Forbidden
from agenda.people import accounts
from agenda.people.accounts import User, viewer_of
from agenda.viewer import Viewer
from meeting_app import i18n
from meeting_app.context import ctx
from meeting_app.errors import CsrfFailed, Unauthorized
from meeting_app.inputs import read_form

SESSION_COOKIE = "ecab_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_TOKEN = 128  # issued tokens are 43 characters


@dataclass(frozen=True)
class Current:
    user: User
    viewer: Viewer
    csrf_token: str
    token: str


async def current(conn: HTTPConnection) -> Current | None:
    """The live session of this request, or None. Looked up once per request."""
    if "current" in conn.scope:
        found: Current | None = conn.scope["current"]
        return found
    found = None
    token = conn.cookies.get(SESSION_COOKIE, "")
    app = ctx(conn)
    if token and len(token) <= MAX_TOKEN:
        secret, policy = app.settings.secret_key, app.settings.session_policy
        auth = app.sessions.get(accounts.session_id(token, secret))
        if auth is None:
            auth = await app.db.read(
                lambda s: accounts.authenticate(session=s, token=token, secret=secret, policy=policy)
            )
            if auth is not None:
                app.sessions.put(auth)
        if auth is not None:
            app.sessions.seen(auth, app.db)
            found = Current(
                user=auth.user, viewer=viewer_of(auth.user), csrf_token=auth.csrf_token, token=token
            )
            i18n.set_locale(user_locale(conn.scope["path"], conn.headers.get("accept-language"), auth.user))
    conn.scope["current"] = found
    return found


def user_locale(path: str, accept_language: str | None, user: User) -> str:
    """A logged-in user's language: what an API client asks for in Accept-Language, else the
    language saved on the account (pages always use the saved one)."""
    explicit = accept_language if path.startswith("/api/") else None
    return i18n.negotiate(explicit) if explicit else user.locale


async def end_session(conn: HTTPConnection, me: Current) -> None:
    """Log out: the session row is deleted, and this process forgets it before answering."""
    app = ctx(conn)
    secret = app.settings.secret_key
    await app.db.write(lambda s: accounts.logout(session=s, token=me.token, secret=secret))
    app.sessions.drop(accounts.session_id(me.token, secret))


def _require_roles(found: Current, roles: tuple[str, ...]) -> Current:
    if roles and not found.viewer.has(*roles):
        raise Forbidden()
    return found


def check_origin(conn: HTTPConnection) -> None:
    """A state change or a WebSocket must come from our own origin or an allowed one."""
    headers, allowed = conn.headers, ctx(conn).settings.allowed_origins
    if not sender_allowed(headers.get("origin"), headers.get("referer"), headers.get("host", ""), allowed):
        raise CsrfFailed()


def sender_allowed(origin: str | None, referer: str | None, host: str, allowed: tuple[str, ...]) -> bool:
    """The Origin (else the Referer's) is this host's or an allowed one. With neither header the
    sender is not a browser, and the CSRF token alone guards the change."""
    if origin is None:
        if referer is None:
            return True
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    return _origin_ok(origin, host, allowed)


def origin_allowed(conn: HTTPConnection, origin: str) -> bool:
    return _origin_ok(origin, conn.headers.get("host", ""), ctx(conn).settings.allowed_origins)


def _origin_ok(origin: str, host: str, allowed: tuple[str, ...]) -> bool:
    return origin in (f"http://{host}", f"https://{host}") or origin in allowed


def token_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


async def api_user(request: Request, *roles: str) -> Current:
    found = await current(request)
    if found is None:
        raise Unauthorized()
    if request.method not in SAFE_METHODS:
        check_origin(request)
        if not token_ok(found.csrf_token, request.headers.get("x-csrf-token")):
            raise CsrfFailed()
    return _require_roles(found, roles)


async def page_user(request: Request, *roles: str) -> Current:
    found = await current(request)
    if found is None:
        raise Unauthorized()
    return _require_roles(found, roles)


async def upload_user(request: Request, *roles: str) -> tuple[Current, Callable[[Mapping[str, str]], None]]:
    """Page forms that upload a file, read as a stream by meeting_app.files.uploads.

    The session, Origin and roles are checked at once. The returned check takes the form's
    text fields and verifies its `csrf_token`: uploads.receive runs it when the file part
    begins, before a byte is written (the token comes first in the form), and the caller
    runs it again on the whole form.
    """
    found = await current(request)
    if found is None:
        raise Unauthorized()
    check_origin(request)
    _require_roles(found, roles)

    def check_token(fields: Mapping[str, str]) -> None:
        if not token_ok(found.csrf_token, fields.get("csrf_token")):
            raise CsrfFailed()

    return found, check_token


async def form_user(request: Request, *roles: str, upload_mb: int | None = None) -> tuple[Current, FormData]:
    found = await current(request)
    if found is None:
        raise Unauthorized()
    check_origin(request)
    form = await read_form(request, upload_mb=upload_mb)
    token = form.get("csrf_token")
    if not token_ok(found.csrf_token, token if isinstance(token, str) else None):
        raise CsrfFailed()
    return _require_roles(found, roles), form
