"""Accounts, roles, passwords and server-side sessions. See docs/security.md.

A session is a random token held by the browser in a cookie; the database keeps only its
HMAC, so a copy of the database does not hand out live sessions. Login always issues a new
token (no fixation), logout deletes the row, and a session idle for too long is dead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PField
from sqlalchemy import JSON, Column, delete, func, update
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.agencies.registry import Agency
from agenda.clock import utcnow
from agenda.errors import Conflict, NotFound, RateLimited, RuleBroken
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.people import devices
from agenda.people.members import Member
from agenda.text import N_
from agenda.viewer import Viewer

ROLES = ("admin", "secretariat", "chair", "member", "assistant", "guest", "observer", "agency")
LOCALES = ("vi", "en")
# One address, no spaces or angle brackets, a dot in the domain: enough to reach a mailbox and
# never enough to smuggle a second header into a reminder email.
EMAIL_PATTERN = r"^[^@\s<>,;:\"]+@[^@\s<>,;:\"]+\.[^@\s<>,;:\"]+$"

_RECOMMENDED = profiles.RFC_9106_LOW_MEMORY  # argon2-cffi's own default for PasswordHasher()


@dataclass(frozen=True)
class PasswordCost:
    """argon2id's work factors. The defaults are argon2-cffi's recommended parameters; only the
    test suite lowers them (through Settings), since every hash is meant to cost ~0.1 s."""

    time_cost: int = _RECOMMENDED.time_cost
    memory_kib: int = _RECOMMENDED.memory_cost
    parallelism: int = _RECOMMENDED.parallelism


class Passwords:
    """The process's password hasher, set from Settings when the app or a command starts."""

    def __init__(self) -> None:
        self.cost = PasswordCost()
        self.hasher = PasswordHasher()
        self._dummy: str | None = None

    def use(self, cost: PasswordCost) -> None:
        if cost == self.cost:
            return
        self.cost = cost
        self.hasher = PasswordHasher(
            time_cost=cost.time_cost, memory_cost=cost.memory_kib, parallelism=cost.parallelism
        )
        self._dummy = None

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def dummy(self) -> str:
        """Verified against when the username is unknown, so both paths cost the same time. Made
        when first needed, not at import (every PDF pool worker imports this module)."""
        if self._dummy is None:
            self._dummy = self.hasher.hash(secrets.token_hex(16))
        return self._dummy


passwords = Passwords()


def hash_password(password: str) -> str:
    return passwords.hash(password)


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    full_name: str = Field(max_length=200)
    password_hash: str = Field(max_length=255)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    # An `agency` account's agency (cán bộ đầu mối): it works for that agency only.
    agency_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    locale: str = Field(default="vi", max_length=8)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    email: str | None = Field(default=None, max_length=254)  # for reminders by email (optional)

    def has(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)


class AuthSession(SQLModel, table=True):
    __tablename__ = "auth_session"

    id: str = Field(primary_key=True, max_length=64)  # HMAC-SHA256 of the cookie token
    user_id: int = Field(foreign_key="user_account.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)


class LoginFailure(SQLModel, table=True):
    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, index=True)
    address: str = Field(max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, index=True)


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    username: str = PField(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    full_name: str = PField(min_length=1, max_length=200)
    password: str = PField(min_length=10, max_length=256)
    roles: list[str] = PField(min_length=1, max_length=len(ROLES))
    member_id: int | None = None
    agency_id: int | None = PField(default=None, ge=1, le=2**31 - 1)
    email: str | None = PField(default=None, max_length=254, pattern=EMAIL_PATTERN)

    @field_validator("roles")
    @classmethod
    def known_roles(cls, value: list[str]) -> list[str]:
        unknown = [r for r in value if r not in ROLES]
        if unknown:
            raise ValueError(f"unknown roles: {', '.join(unknown)}")
        return sorted(set(value))


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    full_name: str | None = PField(default=None, min_length=1, max_length=200)
    roles: list[str] | None = None
    member_id: int | None = None
    agency_id: int | None = PField(default=None, ge=1, le=2**31 - 1)
    active: bool | None = None
    password: str | None = PField(default=None, min_length=10, max_length=256)
    email: str | None = PField(default=None, max_length=254, pattern=EMAIL_PATTERN)

    @field_validator("roles")
    @classmethod
    def known_roles(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else UserCreate.known_roles(value)


def public_user(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "full_name": user.full_name,
        "roles": list(user.roles),
        "member_id": user.member_id,
        "agency_id": user.agency_id,
        "locale": user.locale,
        "active": user.active,
        "email": user.email,
    }


# --- users --------------------------------------------------------------------------------------


def create_user(*, session: Session, data: UserCreate, actor_id: int | None) -> User:
    if session.exec(select(User).where(func.lower(User.username) == data.username.lower())).first():
        raise Conflict(N_("Tên đăng nhập đã tồn tại."), code="username_taken")
    _check_member_link(session, data.member_id, data.roles)
    _check_agency_link(session, data.agency_id, data.roles)
    user = User(
        username=data.username,
        full_name=data.full_name,
        password_hash=passwords.hash(data.password),
        roles=data.roles,
        member_id=data.member_id,
        agency_id=data.agency_id,
        email=data.email,
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    events.append(
        session,
        k.UserCreated(user_id=user.id, username=user.username, roles=user.roles, member_id=user.member_id),
        actor_id=actor_id,
    )
    return user


def update_user(*, session: Session, user_id: int, data: UserUpdate, actor_id: int | None) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound()
    changes: dict[str, Any] = {}
    fields = data.model_dump(exclude_unset=True)
    roles = fields.get("roles", user.roles)
    if "member_id" in fields or "roles" in fields:
        _check_member_link(session, fields.get("member_id", user.member_id), roles, user_id)
    if "agency_id" in fields or "roles" in fields:
        _check_agency_link(session, fields.get("agency_id", user.agency_id), roles)
    for name in ("full_name", "roles", "member_id", "agency_id", "active", "email"):
        if name in fields and fields[name] != getattr(user, name):
            changes[name] = fields[name]
            setattr(user, name, fields[name])
    if fields.get("password"):
        user.password_hash = passwords.hash(fields["password"])
        changes["password"] = "changed"
    if changes.get("active") is False or "password" in changes:
        session.execute(delete(AuthSession).where(AuthSession.user_id == user_id))  # type: ignore[arg-type]
    if changes:
        events.append(session, k.UserUpdated(user_id=user_id, changes=changes), actor_id=actor_id)
    if changes.get("active") is False:  # its offline devices wipe at their next contact
        devices.order_wipe(session=session, user_id=user_id, actor_id=actor_id, deactivated=True)
    return user


def set_locale(*, session: Session, user_id: int, locale: str) -> None:
    if locale not in LOCALES:
        raise RuleBroken(N_("Ngôn ngữ không được hỗ trợ."), code="unknown_locale")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound()
    if user.locale != locale:
        user.locale = locale
        events.append(session, k.UserUpdated(user_id=user_id, changes={"locale": locale}), actor_id=user_id)


def _check_member_link(
    session: Session, member_id: int | None, roles: list[str], user_id: int | None = None
) -> None:
    if member_id is None:
        if "member" in roles or "assistant" in roles:
            raise RuleBroken(
                N_("Tài khoản thành viên hoặc trợ lý phải gắn với một thành viên Chính phủ."),
                code="member_link_required",
            )
        return
    if session.get(Member, member_id) is None:
        raise RuleBroken(N_("Không có thành viên Chính phủ này."), code="unknown_member")
    if "member" in roles:
        linked = session.exec(select(User).where(User.member_id == member_id, User.id != user_id)).all()
        if any("member" in u.roles and u.active for u in linked):
            raise Conflict(N_("Thành viên này đã có tài khoản."), code="member_already_linked")


def _check_agency_link(session: Session, agency_id: int | None, roles: list[str]) -> None:
    if "agency" not in roles:
        if agency_id is not None:
            raise RuleBroken(
                N_("Chỉ tài khoản cán bộ đầu mối gắn với một cơ quan."), code="agency_link_unexpected"
            )
        return
    if agency_id is None:
        raise RuleBroken(
            N_("Tài khoản cán bộ đầu mối phải gắn với một cơ quan."), code="agency_link_required"
        )
    if session.get(Agency, agency_id) is None:
        raise RuleBroken(N_("Không có cơ quan này."), code="unknown_agency")


# --- sessions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=60)
    absolute: timedelta = timedelta(hours=14)
    touch_every: timedelta = timedelta(seconds=60)
    max_failures_per_user: int = 5
    max_failures_per_address: int = 30
    failure_window: timedelta = timedelta(minutes=15)


def session_id(token: str, secret: str) -> str:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Login:
    user: User
    token: str
    csrf_token: str


def login(
    *,
    session: Session,
    username: str,
    password: str,
    address: str,
    secret: str,
    policy: SessionPolicy,
    replaces_token: str | None = None,
) -> Login | None:
    """Check the password and issue a new session. None on bad credentials; raises RateLimited.

    Failures older than the policy's window count for nothing and are deleted on every attempt,
    so a password-spraying attack cannot grow the table forever."""
    now = utcnow()
    since = now - policy.failure_window
    name = username.strip().lower()[:64]
    session.execute(delete(LoginFailure).where(col(LoginFailure.at) < since))
    user_failures = session.exec(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.username == name, LoginFailure.at >= since)
    ).one()
    address_failures = session.exec(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.address == address, LoginFailure.at >= since)
    ).one()
    if user_failures >= policy.max_failures_per_user or address_failures >= policy.max_failures_per_address:
        raise RateLimited()
    user = session.exec(select(User).where(func.lower(User.username) == name)).first()
    if not _password_ok(user, password) or user is None or not user.active:
        session.add(LoginFailure(username=name, address=address[:64], at=now))
        return None
    if replaces_token:
        session.execute(delete(AuthSession).where(AuthSession.id == session_id(replaces_token, secret)))  # type: ignore[arg-type]
    if passwords.hasher.check_needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(password)
    session.execute(delete(LoginFailure).where(LoginFailure.username == name))  # type: ignore[arg-type]
    session.execute(delete(AuthSession).where(AuthSession.last_seen_at < now - policy.idle))  # type: ignore[arg-type]
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    assert user.id is not None
    session.add(
        AuthSession(
            id=session_id(token, secret), user_id=user.id, csrf_token=csrf, created_at=now, last_seen_at=now
        )
    )
    events.append(session, k.UserLoggedIn(user_id=user.id), actor_id=user.id)
    return Login(user=user, token=token, csrf_token=csrf)


def _password_ok(user: User | None, password: str) -> bool:
    try:
        hashed = user.password_hash if user else passwords.dummy()
        return passwords.hasher.verify(hashed, password) and user is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def logout(*, session: Session, token: str, secret: str) -> None:
    row = session.get(AuthSession, session_id(token, secret))
    if row is None:
        return
    session.delete(row)
    events.append(session, k.UserLoggedOut(user_id=row.user_id), actor_id=row.user_id)


@dataclass(frozen=True)
class Authenticated:
    user: User
    csrf_token: str
    needs_touch: bool
    session_id: str
    created_at: datetime
    last_seen_at: datetime


def authenticate(*, session: Session, token: str, secret: str, policy: SessionPolicy) -> Authenticated | None:
    """The live session behind `token`, or None when it is unknown, idle too long or too old."""
    if not token or len(token) > 128:
        return None
    sid = session_id(token, secret)
    row = session.get(AuthSession, sid)
    if row is None:
        return None
    now = utcnow()
    if now - row.last_seen_at > policy.idle or now - row.created_at > policy.absolute:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return Authenticated(
        user=user,
        csrf_token=row.csrf_token,
        needs_touch=now - row.last_seen_at > policy.touch_every,
        session_id=sid,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
    )


def touch_many(*, session: Session, sids: list[str]) -> None:
    """Record activity of several sessions at once (meeting_app/session_cache.py batches them)."""
    if sids:
        session.execute(
            update(AuthSession).where(col(AuthSession.id).in_(sids)).values(last_seen_at=utcnow())
        )


def viewer_of(user: User) -> Viewer:
    """Who `user` is to the access rules: the web layer's viewer of a request, and the domain's
    when it acts for a user (reminders check what each one may see)."""
    assert user.id is not None
    return Viewer(
        user_id=user.id,
        roles=frozenset(user.roles),
        member_id=user.member_id,
        locale=user.locale,
        agency_id=user.agency_id,
    )
