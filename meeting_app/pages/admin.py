"""Administration: user accounts (admin) and the registry of Government members (secretariat, admin)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.errors import DomainError, NotFound
from agenda.people import accounts, members
from agenda.people.accounts import ROLES, User, UserCreate, UserUpdate
from agenda.people.members import MemberCreate, MemberUpdate
from agenda.text import N_
from meeting_app.api.common import ident
from meeting_app.auth import form_user, page_user
from meeting_app.context import ctx
from meeting_app.inputs import form_fields, validate
from meeting_app.pages.common import checked, done, failed, ident_field, page, present, values_of
from meeting_app.pages.offline_devices import devices_of

MEMBER_WRITERS = ("secretariat", "admin")
FIELDS = {
    "username": N_("Tên đăng nhập"),
    "full_name": N_("Họ và tên"),
    "email": N_("Thư điện tử"),
    "password": N_("Mật khẩu (tối thiểu 10 ký tự)"),
    "roles": N_("Vai trò"),
    "member_id": N_("Thành viên Chính phủ liên kết"),
    "title": N_("Chức vụ"),
    "agency": N_("Cơ quan"),
    "precedence": N_("Thứ tự ưu tiên"),
}


def roles_of(form: FormData) -> list[str]:
    return [r for r in form.getlist("roles")[:20] if isinstance(r, str) and len(r) <= 32]


async def user_context(request: Request, user_id: int | None = None) -> dict[str, Any]:
    policy = ctx(request).policy

    def load(s: Session) -> dict[str, Any]:
        user = s.get(User, user_id) if user_id is not None else None
        if user_id is not None and user is None:
            raise NotFound()
        found = {"user": user, "members": members.list_members(session=s, only_active=False)}
        if user_id is not None:  # its offline devices and the wipe order (issue 17)
            found.update(devices_of(s, user_id, policy))
        return found

    return {**await ctx(request).db.read(load), "roles": ROLES}


async def users_page(request: Request) -> Response:
    await page_user(request, "admin")

    def load(s: Session) -> dict[str, Any]:
        users = list(s.exec(select(User).order_by(col(User.username))).all())
        linked = {m.id: m for m in members.list_members(session=s, only_active=False)}
        return {"users": users, "linked": linked}

    return page(request, "admin/users.html", await ctx(request).db.read(load))


async def new_user_page(request: Request) -> Response:
    await page_user(request, "admin")
    return page(request, "admin/user_form.html", {**await user_context(request), "values": {}})


async def create_user(request: Request) -> Response:
    me, form = await form_user(request, "admin")
    data: dict[str, Any] = form_fields(form, ("username", "full_name", "email"))
    data["password"] = form.get("password") if isinstance(form.get("password"), str) else ""
    data["roles"] = roles_of(form)
    data["member_id"] = ident_field(form, "member_id")
    try:
        payload = validate(UserCreate, data)
        user = await ctx(request).db.write(
            lambda s: accounts.create_user(session=s, data=payload, actor_id=me.viewer.user_id)
        )
    except DomainError as exc:
        context = {**await user_context(request), "values": values_of(form)}
        return failed(request, "admin/user_form.html", context, exc, FIELDS)
    return done(f"/admin/users/{user.id}", "created")


async def user_page(request: Request) -> Response:
    await page_user(request, "admin")
    context = await user_context(request, ident(request))
    user = context["user"]
    values = {
        "full_name": user.full_name,
        "email": user.email or "",
        "roles": list(user.roles),
        "member_id": str(user.member_id or ""),
        "active": "1" if user.active else "",
    }
    return page(request, "admin/user_form.html", {**context, "values": values})


async def update_user(request: Request) -> Response:
    me, form = await form_user(request, "admin")
    user_id = ident(request)
    data: dict[str, Any] = present(form, ("full_name",))
    if isinstance(form.get("email"), str):  # an emptied field clears the address
        data["email"] = form_fields(form, ("email",)).get("email")
    data["roles"] = roles_of(form)
    data["member_id"] = ident_field(form, "member_id")
    data["active"] = checked(form, "active")
    password = form.get("password")
    if isinstance(password, str) and password:
        data["password"] = password
    try:
        payload = validate(UserUpdate, data)
        await ctx(request).db.write(
            lambda s: accounts.update_user(
                session=s, user_id=user_id, data=payload, actor_id=me.viewer.user_id
            )
        )
    except DomainError as exc:
        context = {**await user_context(request, user_id), "values": values_of(form)}
        return failed(request, "admin/user_form.html", context, exc, FIELDS)
    return done(f"/admin/users/{user_id}", "saved")


# --- members ------------------------------------------------------------------------------------


async def members_page(request: Request) -> Response:
    me = await page_user(request)
    found = await ctx(request).db.read(lambda s: members.list_members(session=s, only_active=False))
    return page(
        request, "admin/members.html", {"members": found, "can_write": me.viewer.has(*MEMBER_WRITERS)}
    )


def member_data(form: FormData, *, edit: bool) -> dict[str, Any]:
    names = ("full_name", "title", "agency", "precedence")
    data: dict[str, Any] = present(form, names) if edit else form_fields(form, names)
    data["votes"] = checked(form, "votes")
    if edit:
        data["active"] = checked(form, "active")
    return data


async def new_member_page(request: Request) -> Response:
    await page_user(request, *MEMBER_WRITERS)
    values = {"votes": "1", "precedence": "100"}
    return page(request, "admin/member_form.html", {"member": None, "values": values})


async def create_member(request: Request) -> Response:
    me, form = await form_user(request, *MEMBER_WRITERS)
    try:
        payload = validate(MemberCreate, member_data(form, edit=False))
        await ctx(request).db.write(
            lambda s: members.create_member(session=s, data=payload, actor_id=me.viewer.user_id)
        )
    except DomainError as exc:
        context = {"member": None, "values": values_of(form)}
        return failed(request, "admin/member_form.html", context, exc, FIELDS)
    return done("/members", "created")


async def member_page(request: Request) -> Response:
    await page_user(request, *MEMBER_WRITERS)
    member_id = ident(request)

    def load(s: Session) -> tuple[members.Member, list[User]]:
        found = members.get_member(session=s, member_id=member_id)
        linked = s.exec(select(User).where(User.member_id == member_id).order_by(col(User.id))).all()
        return found, list(linked)

    member, accounts = await ctx(request).db.read(load)
    values = {
        "full_name": member.full_name,
        "title": member.title,
        "agency": member.agency,
        "precedence": str(member.precedence),
        "votes": "1" if member.votes else "",
        "active": "1" if member.active else "",
    }
    # The accounts linked to the member: the way to their offline devices (issue 17).
    context = {"member": member, "values": values, "accounts": accounts}
    return page(request, "admin/member_form.html", context)


async def update_member(request: Request) -> Response:
    me, form = await form_user(request, *MEMBER_WRITERS)
    member_id = ident(request)
    try:
        payload = validate(MemberUpdate, member_data(form, edit=True))
        await ctx(request).db.write(
            lambda s: members.update_member(
                session=s, member_id=member_id, data=payload, actor_id=me.viewer.user_id
            )
        )
    except DomainError as exc:
        member = await ctx(request).db.read(lambda s: members.get_member(session=s, member_id=member_id))
        context = {"member": member, "values": values_of(form)}
        return failed(request, "admin/member_form.html", context, exc, FIELDS)
    return done(f"/members/{member_id}", "saved")


routes = [
    Route("/admin/users", users_page, methods=["GET"], name="users"),
    Route("/admin/users/new", new_user_page, methods=["GET"]),
    Route("/admin/users/new", create_user, methods=["POST"]),
    Route("/admin/users/{id:int}", user_page, methods=["GET"]),
    Route("/admin/users/{id:int}", update_user, methods=["POST"]),
    Route("/members", members_page, methods=["GET"], name="members"),
    Route("/members/new", new_member_page, methods=["GET"]),
    Route("/members/new", create_member, methods=["POST"]),
    Route("/members/{id:int}", member_page, methods=["GET"]),
    Route("/members/{id:int}", update_member, methods=["POST"]),
]
