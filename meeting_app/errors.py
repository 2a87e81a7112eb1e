"""Domain errors to HTTP answers, in one place: JSON under /api, pages elsewhere.

Every answer has the shape of ../shared/API.md, `{"error": {"code", "message"}}`, with the message in
the viewer's language. Nothing here ever turns bad input into a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from agenda.errors import (
    Conflict,
    DomainError,
    Forbidden,
    ImportFailed,
    InvalidInput,
    NotFound,
    RateLimited,
    RuleBroken,
    Unavailable,
    WrongState,
)
from agenda.text import N_
from meeting_app.i18n import translate
from meeting_app.templating import render

log = logging.getLogger("ecabinet")


class Unauthorized(DomainError):
    """No live session (401)."""

    code = "unauthorized"
    message = N_("Bạn cần đăng nhập.")


class CsrfFailed(Forbidden):
    """A state change without the right CSRF token or from a foreign Origin (403)."""

    code = "csrf_failed"
    message = N_("Phiên làm việc không hợp lệ hoặc đã hết hạn; hãy tải lại trang và thử lại.")


class TooLarge(DomainError):
    """The request body is over its limit (413)."""

    code = "too_large"
    message = N_("Dữ liệu gửi lên quá lớn (tối đa {limit}).")


class UnsupportedType(DomainError):
    """The body is not of the type the route takes (415)."""

    code = "unsupported_media_type"
    message = N_("Định dạng dữ liệu không được hỗ trợ; cần {expected}.")


STATUS: list[tuple[type[DomainError], int]] = [
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (WrongState, 409),
    (Conflict, 409),
    (TooLarge, 413),
    (UnsupportedType, 415),
    (RuleBroken, 422),
    (RateLimited, 429),
    (Unavailable, 503),
    (InvalidInput, 400),
]

HTTP_CODES = {
    400: ("bad_request", N_("Yêu cầu không hợp lệ.")),
    404: ("not_found", N_("Không tìm thấy.")),
    405: ("method_not_allowed", N_("Phương thức không được hỗ trợ.")),
    413: ("too_large", N_("Dữ liệu gửi lên quá lớn.")),
    500: ("server_error", N_("Đã có lỗi ở máy chủ. Xin thử lại sau.")),
}


# The parameters of an error that its JSON body carries beside the message, for scripts.
EXPOSED_PARAMS = (
    "fields",
    "missing",
    "missing_documents",
    "present",
    "required",
    "total",
    "yes",
    "vote_id",
    "vote_adopted",
)


def status_of(exc: DomainError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def error_body(exc: DomainError) -> dict[str, Any]:
    error: dict[str, Any] = {"code": exc.code, "message": translate(exc.message, exc.params)}
    for name in EXPOSED_PARAMS:
        if name in exc.params:
            error[name] = exc.params[name]
    body: dict[str, Any] = {"error": error}
    if isinstance(exc, ImportFailed):
        body["rows"] = [
            {"line": line, "message": translate(message, params)} for line, message, params in exc.rows
        ]
    return body


def wants_json(request: Request) -> bool:
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    status = status_of(exc)
    if wants_json(request):
        return JSONResponse(error_body(exc), status_code=status)
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(
            request.url_for("login_page").include_query_params(next=target), status_code=303
        )
    return render_error(request, status, translate(exc.message, exc.params))


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, message = HTTP_CODES.get(exc.status_code, ("error", N_("Yêu cầu không hợp lệ.")))
    if wants_json(request):
        return JSONResponse(
            {"error": {"code": code, "message": translate(message)}},
            status_code=exc.status_code,
            headers=exc.headers,
        )
    return render_error(request, exc.status_code, translate(message))


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    code, message = HTTP_CODES[500]
    if wants_json(request):
        return JSONResponse({"error": {"code": code, "message": translate(message)}}, status_code=500)
    return render_error(request, 500, translate(message))


def render_error(request: Request, status: int, message: str) -> Response:
    return render(request, "error.html", {"status": status, "message": message}, status_code=status)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error,
    HTTPException: http_error,
    Exception: server_error,
}
