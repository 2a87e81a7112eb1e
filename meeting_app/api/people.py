"""Users (admin) and the registry of Government members (../shared/API.md "Auth and people")."""

from __future__ import annotations

from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.errors import NotFound
from agenda.people import accounts, members
from agenda.people.accounts import User, UserCreate, UserUpdate
from agenda.people.members import MemberCreate, MemberUpdate
from meeting_app.api.common import ident, listing, reply
from meeting_app.api.schemas import UserList, UserPublic
from meeting_app.api.spec import JSON, operation
from meeting_app.auth import api_user
from meeting_app.context import ctx
from meeting_app.inputs import read_json

MEMBER_WRITERS = ("secretariat", "admin")


@operation("List accounts", who="admin", responses={200: UserList})
async def list_users(request: Request) -> Response:
    await api_user(request, "admin")
    users = await ctx(request).db.read(
        lambda s: list(s.exec(select(User).order_by(col(User.username))).all())
    )
    return listing([accounts.public_user(u) for u in users])


@operation("Create an account", who="admin", body=UserCreate, responses={201: UserPublic})
async def create_user(request: Request) -> Response:
    me = await api_user(request, "admin")
    data = await read_json(request, UserCreate)
    user = await ctx(request).db.write(
        lambda s: accounts.create_user(session=s, data=data, actor_id=me.viewer.user_id)
    )
    return reply(accounts.public_user(user), 201)


@operation("One account", who="admin", responses={200: UserPublic})
async def get_user(request: Request) -> Response:
    await api_user(request, "admin")
    user_id = ident(request)
    user = await ctx(request).db.read(lambda s: s.get(User, user_id))
    if user is None:
        raise NotFound()
    return reply(accounts.public_user(user))


@operation(
    "Change an account (roles, member link, active, password)",
    who="admin",
    body=UserUpdate,
    responses={200: UserPublic},
)
async def update_user(request: Request) -> Response:
    me = await api_user(request, "admin")
    user_id = ident(request)
    data = await read_json(request, UserUpdate)
    user = await ctx(request).db.write(
        lambda s: accounts.update_user(session=s, user_id=user_id, data=data, actor_id=me.viewer.user_id)
    )
    return reply(accounts.public_user(user))


@operation("The registry of Government members", who="user")
async def list_members(request: Request) -> Response:
    await api_user(request)
    found = await ctx(request).db.read(lambda s: members.list_members(session=s, only_active=False))
    return listing([members.public_member(m) for m in found])


@operation("Add a Government member", who="secretariat, admin", body=MemberCreate, responses={201: JSON})
async def create_member(request: Request) -> Response:
    me = await api_user(request, *MEMBER_WRITERS)
    data = await read_json(request, MemberCreate)
    member = await ctx(request).db.write(
        lambda s: members.create_member(session=s, data=data, actor_id=me.viewer.user_id)
    )
    return reply(members.public_member(member), 201)


@operation("One Government member", who="user")
async def get_member(request: Request) -> Response:
    await api_user(request)
    member_id = ident(request)
    member = await ctx(request).db.read(lambda s: members.get_member(session=s, member_id=member_id))
    return reply(members.public_member(member))


@operation("Change a Government member", who="secretariat, admin", body=MemberUpdate)
async def update_member(request: Request) -> Response:
    me = await api_user(request, *MEMBER_WRITERS)
    member_id = ident(request)
    data = await read_json(request, MemberUpdate)
    member = await ctx(request).db.write(
        lambda s: members.update_member(session=s, member_id=member_id, data=data, actor_id=me.viewer.user_id)
    )
    return reply(members.public_member(member))


routes = [
    Route("/api/v1/users", list_users, methods=["GET"]),
    Route("/api/v1/users", create_user, methods=["POST"]),
    Route("/api/v1/users/{id:int}", get_user, methods=["GET"]),
    Route("/api/v1/users/{id:int}", update_user, methods=["PATCH"]),
    Route("/api/v1/members", list_members, methods=["GET"]),
    Route("/api/v1/members", create_member, methods=["POST"]),
    Route("/api/v1/members/{id:int}", get_member, methods=["GET"]),
    Route("/api/v1/members/{id:int}", update_member, methods=["PATCH"]),
]
