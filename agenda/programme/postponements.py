"""Postponement requests ("xin lùi"): a lead agency asks to move an item to a later month, the
secretariat decides. See docs/programme.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PField
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.clock import iso, utcnow
from agenda.errors import Conflict, NotFound, RuleBroken, WrongState
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.policy import Policy
from agenda.programme.programme import _month, change_status, get_item
from agenda.text import N_


class Postponement(SQLModel, table=True):
    __tablename__ = "postponement"

    id: int | None = Field(default=None, primary_key=True)
    programme_item_id: int = Field(foreign_key="programme_item.id", index=True)
    requested_by: int | None = Field(default=None, foreign_key="user_account.id")
    reason: str = Field(max_length=2000)
    to_month: str | None = Field(default=None, max_length=7)
    status: str = Field(default="pending", max_length=16, index=True)  # pending, approved, refused
    decided_by: int | None = Field(default=None, foreign_key="user_account.id")
    decision_note: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None


class PostponementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    reason: str = PField(min_length=3, max_length=2000)
    to_month: str | None = None

    @field_validator("to_month")
    @classmethod
    def month(cls, value: str | None) -> str | None:
        return None if value is None else _month(value)


class PostponementDecision(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    approve: bool
    note: str | None = PField(default=None, max_length=2000)


def request_postponement(
    *, session: Session, item_id: int, data: PostponementCreate, actor_id: int | None
) -> Postponement:
    item = get_item(session=session, item_id=item_id)
    if item.status in ("concluded", "withdrawn", "postponed", "discussed"):
        raise WrongState(N_("Đề án ở trạng thái này không thể xin lùi."), code="wrong_state")
    if data.to_month is not None and data.to_month <= item.planned_month:
        raise RuleBroken(N_("Tháng lùi đến phải sau tháng dự kiến hiện tại."), code="bad_month")
    pending = session.exec(
        select(Postponement).where(
            Postponement.programme_item_id == item_id, Postponement.status == "pending"
        )
    ).first()
    if pending is not None:
        raise Conflict(N_("Đề án đã có đề nghị xin lùi đang chờ xử lý."), code="already_pending")
    request = Postponement(
        programme_item_id=item_id, requested_by=actor_id, reason=data.reason, to_month=data.to_month
    )
    session.add(request)
    session.flush()
    assert request.id is not None
    events.append(
        session,
        k.PostponementRequested(
            postponement_id=request.id, programme_item_id=item_id, reason=data.reason, to_month=data.to_month
        ),
        actor_id=actor_id,
    )
    return request


def decide_postponement(
    *,
    session: Session,
    postponement_id: int,
    data: PostponementDecision,
    actor_id: int | None,
    policy: Policy,
) -> Postponement:
    request = session.get(Postponement, postponement_id)
    if request is None:
        raise NotFound()
    if request.status != "pending":
        raise WrongState(N_("Đề nghị này đã được xử lý."), code="already_decided")
    item = get_item(session=session, item_id=request.programme_item_id)
    if data.approve:
        if item.status == "scheduled":
            raise WrongState(
                N_("Đề án đang có trong chương trình phiên họp; hãy gỡ khỏi chương trình trước."),
                code="scheduled",
            )
        change_status(
            session=session,
            item=item,
            new="postponed",
            actor_id=actor_id,
            policy=policy,
            reason=request.reason,
            automatic=True,
        )
        if request.to_month:
            item.planned_month = request.to_month
    request.status = "approved" if data.approve else "refused"
    request.decided_by = actor_id
    request.decision_note = data.note
    request.decided_at = utcnow()
    events.append(
        session,
        k.PostponementDecided(
            postponement_id=postponement_id,
            programme_item_id=item.id or 0,
            approved=data.approve,
            note=data.note,
        ),
        actor_id=actor_id,
    )
    return request


def public_postponement(request: Postponement) -> dict[str, Any]:
    return {
        "id": request.id,
        "programme_item_id": request.programme_item_id,
        "reason": request.reason,
        "to_month": request.to_month,
        "status": request.status,
        "decision_note": request.decision_note,
        "requested_by": request.requested_by,
        "created_at": iso(request.created_at),
        "decided_at": iso(request.decided_at),
    }


def list_postponements(
    *, session: Session, item_id: int | None = None, status: str | None = None
) -> list[Postponement]:
    query = select(Postponement).order_by(col(Postponement.created_at).desc())
    if item_id is not None:
        query = query.where(Postponement.programme_item_id == item_id)
    if status is not None:
        query = query.where(Postponement.status == status)
    return list(session.exec(query).all())
