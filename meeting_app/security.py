"""ASGI middleware: trusted hosts, security headers, body limits and the language of anonymous requests.

See docs/security.md.
"""

from __future__ import annotations

import json
from http.cookies import SimpleCookie

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agenda.text import N_
from meeting_app import i18n
from meeting_app.close_codes import CloseCode
from meeting_app.errors import TooLarge

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]

LANG_COOKIE = "lang"
BAD_HOST = N_("Tên máy chủ (Host) không hợp lệ.")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        await self.app(scope, receive, secured(send))


def secured(send: Send) -> Send:
    """`send` with the security headers added to the response's start (those it lacks)."""

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {name.lower() for name, _ in headers}
            headers += [(n, v) for n, v in SECURITY_HEADERS if n not in present]
            message["headers"] = headers
        await send(message)

    return send_with_headers


class BodyLimit:
    """Refuses bodies over the limit with 413: at once by Content-Length, or while streaming."""

    def __init__(
        self, app: ASGIApp, *, default_bytes: int, upload_bytes: int, upload_suffixes: tuple[str, ...]
    ) -> None:
        self.app = app
        self.default_bytes = default_bytes
        self.upload_bytes = upload_bytes
        self.upload_suffixes = upload_suffixes

    def limit_for(self, path: str) -> int:
        return self.upload_bytes if path.endswith(self.upload_suffixes) else self.default_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        shown = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                too_big = True
            if too_big:
                await _drain_and_refuse(scope, receive, send, shown)
                return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise TooLarge(limit=shown)
            return message

        await self.app(scope, counting_receive, send)


async def _drain_and_refuse(scope: Scope, receive: Receive, send: Send, shown: str) -> None:
    with i18n.use_locale(_anonymous_locale(scope)):
        error = TooLarge(limit=shown)
        body = json.dumps(
            {"error": {"code": error.code, "message": i18n.translate(error.message, error.params)}},
            ensure_ascii=False,
        ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _anonymous_locale(scope: Scope) -> str:
    headers = Headers(scope=scope)
    raw = headers.get("cookie", "")
    if LANG_COOKIE + "=" in raw:  # parsing every request's cookies would cost more than the check
        cookie = SimpleCookie()
        try:
            cookie.load(raw)
        except Exception:  # a malformed Cookie header only loses the preference
            pass
        chosen = cookie.get(LANG_COOKIE)
        if chosen is not None and chosen.value in ("vi", "en"):
            return chosen.value
    if not scope["path"].startswith("/api/"):
        return i18n.DEFAULT_LOCALE  # pages are Vietnamese first; the switch sets the cookie
    return i18n.negotiate(headers.get("accept-language"))


class Language:
    """Sets the request's language: the `lang` cookie, else Accept-Language on /api and Vietnamese on pages.

    A logged-in user's saved language overrides it (meeting_app.auth.current).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        with i18n.use_locale(_anonymous_locale(scope)):
            await self.app(scope, receive, send)


class TrustedHosts:
    """Answers only to ALLOWED_HOSTS; any other Host gets 400 in the error shape of ../shared/API.md."""

    def __init__(self, app: ASGIApp, *, allowed_hosts: tuple[str, ...]) -> None:
        self.app = app
        self.allowed = HostRule(allowed_hosts).allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self.allowed(Headers(scope=scope).get("host", "")):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": int(CloseCode.POLICY)})
            return
        with i18n.use_locale(_anonymous_locale(scope)):
            message = i18n.translate(BAD_HOST)
        body = json.dumps({"error": {"code": "bad_host", "message": message}}, ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class HostRule:
    """ALLOWED_HOSTS: exact names, `*.suffix` wildcards, or `*` for any."""

    def __init__(self, allowed_hosts: tuple[str, ...]) -> None:
        self.exact = {h.lower() for h in allowed_hosts if not h.startswith("*")}
        self.suffixes = tuple(h[1:].lower() for h in allowed_hosts if h.startswith("*."))
        self.any = "*" in allowed_hosts

    def allowed(self, host_header: str) -> bool:
        host, port = host_header.strip().lower(), ""
        if host.startswith("["):  # [::1]:8000
            end = host.find("]")
            if end < 0:
                return False
            host, rest = host[: end + 1], host[end + 1 :]
            if rest:
                if not rest.startswith(":"):
                    return False
                port = rest[1:]
        elif ":" in host:
            host, port = host.split(":", 1)
        if not host or (port and not (port.isdigit() and len(port) <= 5)):
            return False
        return self.any or host in self.exact or (bool(self.suffixes) and host.endswith(self.suffixes))
