"""The work programme: items, their status workflow, readiness and postponements. See docs/programme.md."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PField
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.agencies.registry import ensure_agency
from agenda.clock import iso, utcnow
from agenda.errors import Conflict, NotFound, RuleBroken, WrongState
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.papers.documents import present_kinds
from agenda.policy import PROGRAMME_KINDS, Policy
from agenda.search import index
from agenda.text import N_

STATUSES = ("planned", "submitted", "ready", "scheduled", "discussed", "concluded", "postponed", "withdrawn")
# Moves the secretariat makes by hand. `scheduled` comes from the agenda builder, `discussed`
# from the live session and `postponed` from an approved request.
MANUAL_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "planned": ("submitted", "withdrawn"),
    "submitted": ("planned", "ready", "withdrawn"),
    "ready": ("submitted", "withdrawn"),
    "scheduled": (),
    "discussed": ("concluded", "ready"),
    "concluded": (),
    "postponed": ("planned", "submitted"),
    "withdrawn": (),
}
SCHEDULABLE = ("planned", "submitted", "ready", "discussed")
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class ProgrammeItem(SQLModel, table=True):
    __tablename__ = "programme_item"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    title: str = Field(max_length=500)
    kind: str = Field(max_length=32, index=True)
    lead_agency: str = Field(max_length=300, index=True)
    lead_agency_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    planned_month: str = Field(max_length=7, index=True)
    status: str = Field(default="planned", max_length=16, index=True)
    # The dossier's submission (nộp hồ sơ, agenda/programme/submission.py): when, and whether
    # after the policy's deadline, by how many days (fixed when submitted).
    submitted_at: datetime | None = None
    submitted_late: bool = Field(default=False)
    days_late: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


def _month(value: str) -> str:
    if not MONTH_RE.match(value):
        raise ValueError("month must be YYYY-MM")
    return value


class ProgrammeItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    code: str = PField(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
    title: str = PField(min_length=1, max_length=500)
    kind: str
    lead_agency: str = PField(min_length=1, max_length=300)
    planned_month: str

    @field_validator("kind")
    @classmethod
    def known_kind(cls, value: str) -> str:
        if value not in PROGRAMME_KINDS:
            raise ValueError(f"kind must be one of {', '.join(PROGRAMME_KINDS)}")
        return value

    @field_validator("planned_month")
    @classmethod
    def month(cls, value: str) -> str:
        return _month(value)


class ProgrammeItemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    title: str | None = PField(default=None, min_length=1, max_length=500)
    kind: str | None = None
    lead_agency: str | None = PField(default=None, min_length=1, max_length=300)
    planned_month: str | None = None
    status: str | None = None
    reason: str | None = PField(default=None, max_length=2000)

    @field_validator("kind")
    @classmethod
    def known_kind(cls, value: str | None) -> str | None:
        return None if value is None else ProgrammeItemCreate.known_kind(value)

    @field_validator("planned_month")
    @classmethod
    def month(cls, value: str | None) -> str | None:
        return None if value is None else _month(value)

    @field_validator("status")
    @classmethod
    def known_status(cls, value: str | None) -> str | None:
        if value is not None and value not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        return value


def submission_deadline(planned_month: str, day: int = 25) -> date:
    """Papers for a month's regular session are due on the policy's day (the 25th) of the month
    before."""
    year, month = int(planned_month[:4]), int(planned_month[5:7])
    year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return date(year, month, min(day, 28))


def public_item(item: ProgrammeItem, present: set[str], policy: Policy) -> dict[str, Any]:
    missing = policy.missing_documents(item.kind, present)
    return {
        "id": item.id,
        "code": item.code,
        "title": item.title,
        "kind": item.kind,
        "lead_agency": item.lead_agency,
        "planned_month": item.planned_month,
        "status": item.status,
        "ready": not missing,
        "missing_documents": missing,
        "submission_deadline": submission_deadline(item.planned_month, policy.submission_day).isoformat(),
        "lead_agency_id": item.lead_agency_id,
        "submitted_at": iso(item.submitted_at),
        "submitted_late": item.submitted_late,
        "days_late": item.days_late,
    }


def public_items(*, session: Session, items: list[ProgrammeItem], policy: Policy) -> list[dict[str, Any]]:
    present = present_kinds(session=session, programme_item_ids=[i.id for i in items if i.id is not None])
    return [public_item(i, present.get(i.id or 0, set()), policy) for i in items]


def readiness(*, session: Session, item: ProgrammeItem, policy: Policy) -> list[str]:
    """The document kinds still missing from the item's dossier; empty means ready."""
    assert item.id is not None
    present = present_kinds(session=session, programme_item_ids=[item.id]).get(item.id, set())
    return policy.missing_documents(item.kind, present)


def list_items(
    *,
    session: Session,
    month: str | None = None,
    agency: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    q: str | None = None,
    agency_id: int | None = None,
    limit: int = 1000,
) -> list[ProgrammeItem]:
    query = select(ProgrammeItem)
    if agency_id is not None:
        query = query.where(ProgrammeItem.lead_agency_id == agency_id)
    if month:
        query = query.where(ProgrammeItem.planned_month == month)
    if agency:
        query = query.where(ProgrammeItem.lead_agency == agency)
    if kind:
        query = query.where(ProgrammeItem.kind == kind)
    if status:
        query = query.where(ProgrammeItem.status == status)
    if q:
        # Folded as the search box folds (case, diacritics, đ), over the code, the title and the
        # lead agency (index_programme_item); a query with no word filters nothing.
        found = index.matching_refs(session, "programme_item", q)
        if found is not None:
            query = query.where(col(ProgrammeItem.id).in_(found))
    query = query.order_by(col(ProgrammeItem.planned_month), col(ProgrammeItem.code)).limit(limit)
    return list(session.exec(query).all())


def agencies(*, session: Session) -> list[str]:
    return list(
        session.exec(select(ProgrammeItem.lead_agency).distinct().order_by(ProgrammeItem.lead_agency)).all()
    )


def get_item(*, session: Session, item_id: int) -> ProgrammeItem:
    item = session.get(ProgrammeItem, item_id)
    if item is None:
        raise NotFound()
    return item


def create_item(*, session: Session, data: ProgrammeItemCreate, actor_id: int | None) -> ProgrammeItem:
    if session.exec(select(ProgrammeItem).where(ProgrammeItem.code == data.code)).first():
        raise Conflict(N_("Mã đề án đã tồn tại."), code="code_taken")
    item = ProgrammeItem(**data.model_dump())
    item.lead_agency_id = ensure_agency(session, data.lead_agency, actor_id=actor_id).id
    session.add(item)
    session.flush()
    assert item.id is not None
    index_programme_item(session, item)
    events.append(
        session,
        k.ProgrammeItemCreated(programme_item_id=item.id, code=item.code, title=item.title),
        actor_id=actor_id,
    )
    return item


def update_item(
    *, session: Session, item_id: int, data: ProgrammeItemUpdate, actor_id: int | None, policy: Policy
) -> ProgrammeItem:
    item = get_item(session=session, item_id=item_id)
    fields = data.model_dump(exclude_unset=True, exclude={"status", "reason"})
    changes = {
        name: value for name, value in fields.items() if value is not None and getattr(item, name) != value
    }
    for name, value in changes.items():
        setattr(item, name, value)
    if "lead_agency" in changes:
        item.lead_agency_id = ensure_agency(session, item.lead_agency, actor_id=actor_id).id
    if changes:
        item.updated_at = utcnow()
        index_programme_item(session, item)
        events.append(
            session, k.ProgrammeItemUpdated(programme_item_id=item_id, changes=changes), actor_id=actor_id
        )
    if data.status is not None and data.status != item.status:
        change_status(
            session=session, item=item, new=data.status, actor_id=actor_id, policy=policy, reason=data.reason
        )
    return item


def change_status(
    *,
    session: Session,
    item: ProgrammeItem,
    new: str,
    actor_id: int | None,
    policy: Policy,
    reason: str | None = None,
    automatic: bool = False,
) -> None:
    """Move `item` to `new`. By hand only along MANUAL_TRANSITIONS; `ready` needs a full dossier."""
    old = item.status
    if not automatic and new not in MANUAL_TRANSITIONS.get(old, ()):
        raise WrongState(
            N_("Không thể chuyển đề án từ trạng thái {old} sang {new}."),
            code="bad_transition",
            old=old,
            new=new,
        )
    if new == "ready":
        missing = readiness(session=session, item=item, policy=policy)
        if missing:
            raise RuleBroken(N_("Hồ sơ chưa đủ, còn thiếu: {missing}."), code="not_ready", missing=missing)
    if new == "withdrawn" and not (reason or "").strip() and not automatic:
        raise RuleBroken(N_("Cần nêu lý do rút đề án."), code="reason_required")
    item.status = new
    item.updated_at = utcnow()
    assert item.id is not None
    events.append(
        session,
        k.ProgrammeStatusChanged(programme_item_id=item.id, old=old, new=new, reason=reason),
        actor_id=actor_id,
    )


def status_from_dossier(*, session: Session, item: ProgrammeItem, policy: Policy) -> str:
    """The status an item returns to when it leaves an agenda: ready, submitted or planned."""
    assert item.id is not None
    present = present_kinds(session=session, programme_item_ids=[item.id]).get(item.id, set())
    if not policy.missing_documents(item.kind, present):
        return "ready"
    return "submitted" if present else "planned"


def index_programme_item(session: Session, item: ProgrammeItem) -> None:
    assert item.id is not None
    index.put(session, "programme_item", item.id, f"{item.code} {item.title}", item.lead_agency)
