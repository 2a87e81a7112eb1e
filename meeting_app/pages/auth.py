"""Login, logout and the language switch.

The login form is guarded by a double-submit token: a random value in the `ecab_prelogin`
cookie (HttpOnly, SameSite=Strict) that the form must echo, plus the Origin check. Anonymous
visitors choose a language with the same token; a logged-in user's choice is saved on the
account, so it follows them to every device and survives logout.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from agenda.errors import InvalidInput, RateLimited
from agenda.people import accounts
from agenda.text import N_
from meeting_app import i18n
from meeting_app.api.auth import BadCredentials, clear_session_cookie, do_login, set_session_cookie
from meeting_app.auth import check_origin, current, end_session, form_user
from meeting_app.context import ctx
from meeting_app.errors import CsrfFailed, status_of
from meeting_app.inputs import read_form
from meeting_app.pages.common import page, safe_next, text
from meeting_app.security import LANG_COOKIE

PRELOGIN_COOKIE = "ecab_prelogin"
LANG_MAX_AGE = 365 * 24 * 3600


def prelogin_token(request: Request) -> str:
    """The visitor's pre-login token: the cookie's if it looks like ours, else a fresh one."""
    token = request.cookies.get(PRELOGIN_COOKIE, "")
    if len(token) == 43 and token.replace("-", "").replace("_", "").isalnum():
        return token
    return secrets.token_urlsafe(32)


def set_prelogin(request: Request, response: Response, token: str) -> Response:
    response.set_cookie(
        PRELOGIN_COOKIE,
        token,
        max_age=2 * 3600,
        httponly=True,
        samesite="strict",
        path="/",
        secure=ctx(request).settings.secure_cookies or request.url.scheme == "https",
    )
    return response


def set_lang(request: Request, response: Response, locale: str) -> None:
    response.set_cookie(
        LANG_COOKIE,
        locale,
        max_age=LANG_MAX_AGE,
        httponly=True,
        samesite="lax",
        path="/",
        secure=ctx(request).settings.secure_cookies or request.url.scheme == "https",
    )


def prelogin_ok(request: Request, given: object) -> bool:
    cookie = request.cookies.get(PRELOGIN_COOKIE, "")
    return bool(cookie) and isinstance(given, str) and hmac.compare_digest(cookie.encode(), given.encode())


def login_form(
    request: Request,
    *,
    username: str = "",
    error: str | None = None,
    status_code: int = 200,
    next_url: object = None,
) -> Response:
    token = prelogin_token(request)
    response = page(
        request,
        "auth/login.html",
        {
            "username": username,
            "login_error": error,
            "next": safe_next(next_url or request.query_params.get("next"), ""),
            "prelogin": token,
        },
        status_code=status_code,
    )
    return set_prelogin(request, response, token)


async def login_page(request: Request) -> Response:
    if await current(request) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return login_form(request)


async def login(request: Request) -> Response:
    check_origin(request)
    form = await read_form(request)
    username = text(form, "username", limit=200)
    back = form.get("next")
    if not prelogin_ok(request, form.get("csrf_token")):
        message = N_("Phiên đăng nhập đã hết hạn; vui lòng thử lại.")
        return login_form(
            request, username=username, error=i18n.gettext(message), status_code=403, next_url=back
        )
    password = form.get("password")
    password = password[:1024] if isinstance(password, str) else ""
    if not username or not password:
        message = N_("Hãy nhập tên đăng nhập và mật khẩu.")
        return login_form(
            request, username=username, error=i18n.gettext(message), status_code=400, next_url=back
        )
    try:
        result = await do_login(request, username, password)
    except (BadCredentials, RateLimited) as exc:
        error = i18n.translate(exc.message, exc.params)
        return login_form(request, username=username, error=error, status_code=status_of(exc), next_url=back)
    response = RedirectResponse(safe_next(back), status_code=303)
    set_session_cookie(request, response, result.token)
    response.delete_cookie(PRELOGIN_COOKIE, path="/")
    return response


async def logout(request: Request) -> Response:
    me, _ = await form_user(request)
    await end_session(request, me)
    response = RedirectResponse(request.url_for("login_page"), status_code=303)
    clear_session_cookie(response)
    set_lang(request, response, me.user.locale)
    return response


async def language(request: Request) -> Response:
    if await current(request) is not None:
        me, form = await form_user(request)
        locale = text(form, "locale", limit=8)
        user_id = me.viewer.user_id
        await ctx(request).db.write(lambda s: accounts.set_locale(session=s, user_id=user_id, locale=locale))
    else:
        check_origin(request)
        form = await read_form(request)
        if not prelogin_ok(request, form.get("csrf_token")):
            raise CsrfFailed()
        locale = text(form, "locale", limit=8)
        if locale not in accounts.LOCALES:
            raise InvalidInput(N_("Ngôn ngữ không được hỗ trợ."), code="unknown_locale")
    response = RedirectResponse(safe_next(form.get("next")), status_code=303)
    set_lang(request, response, locale)
    return response


async def language_get(request: Request) -> Response:
    """A stray GET (a bookmarked form target) goes home instead of answering 405."""
    return RedirectResponse("/", status_code=303)


routes = [
    Route("/login", login_page, methods=["GET"], name="login_page"),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/language", language, methods=["POST"]),
    Route("/language", language_get, methods=["GET"]),
]
