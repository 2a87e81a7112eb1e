"""Login, logout and the current user (../shared/API.md "Auth and people")."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.errors import DomainError
from agenda.people import accounts
from agenda.text import N_
from meeting_app.api.common import reply
from meeting_app.api.schemas import Me
from meeting_app.api.spec import operation
from meeting_app.auth import SESSION_COOKIE, api_user, current, end_session
from meeting_app.context import ctx
from meeting_app.errors import Unauthorized
from meeting_app.inputs import read_json

CLEAR_SITE_DATA = '"cache", "storage"'


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    username: str = PField(min_length=1, max_length=200)
    password: str = PField(min_length=1, max_length=1024)


class MeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    locale: str


class BadCredentials(Unauthorized):
    code = "bad_credentials"
    message = N_("Tên đăng nhập hoặc mật khẩu không đúng.")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def do_login(request: Request, username: str, password: str) -> accounts.Login:
    """Check credentials and issue a fresh session (any session already in the cookie dies)."""
    app = ctx(request)
    old = request.cookies.get(SESSION_COOKIE) or None
    result = await app.db.write(
        lambda s: accounts.login(
            session=s,
            username=username,
            password=password,
            address=client_address(request),
            secret=app.settings.secret_key,
            policy=app.settings.session_policy,
            replaces_token=old,
        )
    )
    if result is None:
        raise BadCredentials()
    if old is not None:  # the session it replaced was deleted: forget it here too
        app.sessions.drop(accounts.session_id(old, app.settings.secret_key))
    return result


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    settings = ctx(request).settings
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        path="/",
        secure=settings.secure_cookies or request.url.scheme == "https",
        max_age=int(settings.session_policy.absolute.total_seconds()),
    )


def clear_session_cookie(response: Response) -> None:
    """Forget the session, and everything the browser keeps of this origin for offline reading:
    the Cache API and IndexedDB (`Clear-Site-Data`, docs/security.md "Offline storage"). The
    language cookie stays, so it is not "cookies"."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA


@operation(
    "Log in; returns the user and a CSRF token, sets the cookie",
    who="anyone",
    body=LoginBody,
    responses={200: Me},
)
async def login(request: Request) -> Response:
    body = await read_json(request, LoginBody)
    result = await do_login(request, body.username, body.password)
    response = reply({"user": accounts.public_user(result.user), "csrf_token": result.csrf_token})
    set_session_cookie(request, response, result.token)
    return response


@operation("Log out; the session dies server-side", who="user", responses={204: None})
async def logout(request: Request) -> Response:
    me = await api_user(request)
    await end_session(request, me)
    response = Response(status_code=204)
    clear_session_cookie(response)
    return response


@operation("The current user and CSRF token", who="user", responses={200: Me})
async def me(request: Request) -> Response:
    found = await current(request)
    if found is None:
        raise Unauthorized()
    return reply({"user": accounts.public_user(found.user), "csrf_token": found.csrf_token})


@operation("Change the current user's language", who="user", body=MeUpdate, responses={200: Me})
async def update_me(request: Request) -> Response:
    found = await api_user(request)
    body = await read_json(request, MeUpdate)
    user_id = found.viewer.user_id
    await ctx(request).db.write(lambda s: accounts.set_locale(session=s, user_id=user_id, locale=body.locale))
    user = await ctx(request).db.read(lambda s: s.get(accounts.User, user_id))
    if user is None:  # deleted between the two calls
        raise DomainError()
    return reply({"user": accounts.public_user(user), "csrf_token": found.csrf_token})


routes = [
    Route("/api/v1/auth/login", login, methods=["POST"]),
    Route("/api/v1/auth/logout", logout, methods=["POST"]),
    Route("/api/v1/me", me, methods=["GET"]),
    Route("/api/v1/me", update_me, methods=["PATCH"]),
]
