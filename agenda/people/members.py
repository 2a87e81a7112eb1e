"""The registry of Government members: title, agency, precedence, voting or not."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlmodel import Field, Session, SQLModel, select

from agenda.errors import NotFound
from agenda.log import event_kinds as k
from agenda.log import events


class Member(SQLModel, table=True):
    __tablename__ = "member"

    id: int | None = Field(default=None, primary_key=True)
    full_name: str = Field(max_length=200)
    title: str = Field(max_length=300)
    agency: str = Field(max_length=300)
    precedence: int = Field(default=100, index=True)
    votes: bool = True
    active: bool = True


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    full_name: str = PField(min_length=1, max_length=200)
    title: str = PField(min_length=1, max_length=300)
    agency: str = PField(default="", max_length=300)
    precedence: int = PField(default=100, ge=0, le=10_000)
    votes: bool = True


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    full_name: str | None = PField(default=None, min_length=1, max_length=200)
    title: str | None = PField(default=None, min_length=1, max_length=300)
    agency: str | None = PField(default=None, max_length=300)
    precedence: int | None = PField(default=None, ge=0, le=10_000)
    votes: bool | None = None
    active: bool | None = None


def public_member(member: Member) -> dict[str, Any]:
    return {
        "id": member.id,
        "full_name": member.full_name,
        "title": member.title,
        "agency": member.agency,
        "precedence": member.precedence,
        "votes": member.votes,
        "active": member.active,
    }


def list_members(*, session: Session, only_active: bool = True) -> list[Member]:
    query = select(Member).order_by(Member.precedence, Member.id)  # type: ignore[arg-type]
    if only_active:
        query = query.where(Member.active == True)  # noqa: E712
    return list(session.exec(query).all())


def voting_members(*, session: Session) -> list[Member]:
    return [m for m in list_members(session=session) if m.votes]


def get_member(*, session: Session, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound()
    return member


def create_member(*, session: Session, data: MemberCreate, actor_id: int | None) -> Member:
    member = Member(**data.model_dump())
    session.add(member)
    session.flush()
    assert member.id is not None
    events.append(
        session,
        k.MemberCreated(member_id=member.id, full_name=member.full_name, title=member.title),
        actor_id=actor_id,
    )
    return member


def update_member(*, session: Session, member_id: int, data: MemberUpdate, actor_id: int | None) -> Member:
    member = get_member(session=session, member_id=member_id)
    changes = {
        name: value
        for name, value in data.model_dump(exclude_unset=True).items()
        if value is not None and getattr(member, name) != value
    }
    for name, value in changes.items():
        setattr(member, name, value)
    if changes:
        events.append(session, k.MemberUpdated(member_id=member_id, changes=changes), actor_id=actor_id)
    return member
