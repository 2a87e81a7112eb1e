"""The agenda builder: items, order, allotted minutes, audiences, the consent block. See docs/agenda.md.

An agenda item is a programme item (which must be ready, unless the secretariat overrides
the readiness rule, which is logged) or a procedural item with its own title. A restricted
item is seen only by its audience, the chair and the secretariat; everyone else gets a
placeholder with no title and no papers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as PField
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.clock import iso
from agenda.errors import NotFound
from agenda.meetings.meetings import Meeting, get_meeting, guest_ids, invitee_ids
from agenda.papers.documents import latest_versions, present_kinds
from agenda.policy import Policy
from agenda.programme.programme import ProgrammeItem
from agenda.search import index
from agenda.text import N_
from agenda.viewer import Viewer


class AgendaItem(SQLModel, table=True):
    __tablename__ = "agenda_item"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    position: int
    programme_item_id: int | None = Field(default=None, foreign_key="programme_item.id", index=True)
    title: str = Field(max_length=500)
    minutes: int
    presenter: str = Field(default="", max_length=300)
    consent: bool = False
    restricted: bool = False
    readiness_overridden: bool = False
    state: str = Field(default="pending", max_length=16)  # pending, current, done
    outcome: str | None = Field(default=None, max_length=32)
    conclusion: str | None = Field(default=None)
    # The live session: seconds spent in all, and since when it is under discussion (if current).
    spent_seconds: int = 0
    current_since: datetime | None = None


class AgendaAudience(SQLModel, table=True):
    __tablename__ = "agenda_audience"

    agenda_item_id: int = Field(foreign_key="agenda_item.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True)


class AgendaItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    programme_item_id: int | None = None
    title: str | None = PField(default=None, min_length=1, max_length=500)
    minutes: int = PField(ge=1, le=600)
    presenter: str | None = PField(default=None, max_length=300)
    restricted_member_ids: list[int] | None = PField(default=None, max_length=500)
    consent: bool = False
    override_readiness: bool = False
    reason: str | None = PField(default=None, max_length=2000)

    @model_validator(mode="after")
    def programme_or_title(self) -> AgendaItemCreate:
        if self.programme_item_id is None and not self.title:
            raise ValueError("a procedural item needs a title")
        return self


class AgendaItemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    title: str | None = PField(default=None, min_length=1, max_length=500)
    minutes: int | None = PField(default=None, ge=1, le=600)
    presenter: str | None = PField(default=None, max_length=300)
    restricted_member_ids: list[int] | None = PField(default=None, max_length=500)
    consent: bool | None = None
    reason: str | None = PField(default=None, max_length=2000)


class AgendaOrder(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    agenda_item_ids: list[int] = PField(max_length=1000)
    reason: str | None = PField(default=None, max_length=2000)


# --- reading ------------------------------------------------------------------------------------


def agenda_ids(session: Session, meeting_id: int) -> list[int]:
    rows = session.exec(
        select(AgendaItem.id).where(AgendaItem.meeting_id == meeting_id).order_by(col(AgendaItem.position))
    ).all()
    return [r for r in rows if r is not None]


def list_items(session: Session, meeting_id: int) -> list[AgendaItem]:
    return list(
        session.exec(
            select(AgendaItem).where(AgendaItem.meeting_id == meeting_id).order_by(col(AgendaItem.position))
        ).all()
    )


def audiences(session: Session, item_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    if item_ids:
        for item_id, member_id in session.exec(
            select(AgendaAudience.agenda_item_id, AgendaAudience.member_id).where(
                col(AgendaAudience.agenda_item_id).in_(item_ids)
            )
        ).all():
            found[item_id].append(member_id)
    return found


def can_see_item(viewer: Viewer, meeting: Meeting, item: AgendaItem, audience: list[int]) -> bool:
    if not item.restricted or viewer.is_staff:
        return True
    if viewer.member_id is None or not viewer.has("member", "assistant"):
        return False
    return viewer.member_id in audience or viewer.member_id == meeting.chair_member_id


def get_agenda_item(*, session: Session, agenda_item_id: int, viewer: Viewer | None = None) -> AgendaItem:
    item = session.get(AgendaItem, agenda_item_id)
    if item is None:
        raise NotFound()
    if viewer is not None:
        meeting = get_meeting(session=session, meeting_id=item.meeting_id, viewer=viewer)
        if not can_see_item(
            viewer, meeting, item, audiences(session, [agenda_item_id]).get(agenda_item_id, [])
        ):
            raise NotFound()
    return item


def _documents(session: Session, programme_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = latest_versions(session=session, programme_item_ids=programme_ids)
    for doc, version in rows:
        found[doc.programme_item_id].append(
            {
                "id": doc.id,
                "kind": doc.kind,
                "title": doc.title,
                "version": version.version,
                "pages": version.pages,
            }
        )
    return found


@dataclass(frozen=True)
class AgendaData:
    """Everything the agenda view needs, loaded once and shared by every viewer.

    It holds no viewer-specific filtering: present_agenda() applies that per request, so one
    load (and one cache entry) serves the staff, each member and each guest alike.
    """

    meeting: Meeting
    invitees: list[int]
    guests: list[int]
    items: list[AgendaItem]
    audience: dict[int, list[int]]
    programme: dict[int, ProgrammeItem]
    documents: dict[int, list[dict[str, Any]]]
    present: dict[int, set[str]]


def load_agenda(*, session: Session, meeting_id: int) -> AgendaData:
    """The meeting, its people and its agenda with programme items and latest documents."""
    meeting = get_meeting(session=session, meeting_id=meeting_id)
    items = list_items(session, meeting_id)
    programme_ids = [i.programme_item_id for i in items if i.programme_item_id is not None]
    programme = {
        p.id: p
        for p in session.exec(select(ProgrammeItem).where(col(ProgrammeItem.id).in_(programme_ids))).all()
        if p.id is not None
    }
    return AgendaData(
        meeting=meeting,
        invitees=invitee_ids(session, meeting_id),
        guests=guest_ids(session, meeting_id),
        items=items,
        audience=audiences(session, [i.id for i in items if i.id is not None]),
        programme=programme,
        documents=_documents(session, programme_ids),
        present=present_kinds(session=session, programme_item_ids=programme_ids),
    )


def present_agenda(data: AgendaData, viewer: Viewer, policy: Policy) -> list[dict[str, Any]]:
    """The agenda as `viewer` may see it: restricted items outside their audience are placeholders."""
    result: list[dict[str, Any]] = []
    for item in data.items:
        assert item.id is not None
        if not can_see_item(viewer, data.meeting, item, data.audience.get(item.id, [])):
            result.append({"id": item.id, "position": item.position, "restricted": True, "state": item.state})
            continue
        source = data.programme.get(item.programme_item_id) if item.programme_item_id else None
        documents = data.documents.get(item.programme_item_id, []) if item.programme_item_id else []
        entry: dict[str, Any] = {
            "id": item.id,
            "position": item.position,
            "title": item.title,
            "minutes": item.minutes,
            "presenter": item.presenter,
            "restricted": item.restricted,
            "consent": item.consent,
            "state": item.state,
            "outcome": item.outcome,
            "conclusion": item.conclusion,
            "spent_seconds": item.spent_seconds,
            "current_since": iso(item.current_since),
            "programme_item_id": item.programme_item_id,
            "code": source.code if source else None,
            "programme_kind": source.kind if source else None,
            "lead_agency": source.lead_agency if source else None,
            "documents": [dict(d) for d in documents],
        }
        if viewer.is_staff:
            present = data.present.get(source.id or 0, set()) if source else set()
            entry["restricted_member_ids"] = sorted(data.audience.get(item.id, []))
            entry["missing_documents"] = policy.missing_documents(source.kind, present) if source else []
            entry["readiness_overridden"] = item.readiness_overridden
        result.append(entry)
    return result


def warnings(agenda: list[dict[str, Any]], meeting: Meeting) -> list[dict[str, Any]]:
    """Builder warnings: total time over the session's length, items missing documents."""
    found: list[dict[str, Any]] = []
    total = sum(int(i.get("minutes", 0)) for i in agenda)
    if total > meeting.duration_minutes:
        found.append(
            {
                "code": "over_time",
                "message": N_("Tổng thời gian {total} phút vượt thời lượng phiên họp ({duration} phút)."),
                "params": {"total": total, "duration": meeting.duration_minutes},
            }
        )
    for item in agenda:
        if item.get("missing_documents"):
            found.append(
                {
                    "code": "missing_documents",
                    "agenda_item_id": item["id"],
                    "message": N_("Mục {position} còn thiếu hồ sơ: {missing}."),
                    "params": {"position": item["position"], "missing": item["missing_documents"]},
                }
            )
    return found


# --- changing -----------------------------------------------------------------------------------


def hidden_programme_ids(*, session: Session, viewer: Viewer) -> set[int]:
    """Programme items this viewer may not know of: those on an agenda item restricted from them.

    The work programme is open to members, but an item put on an agenda with a restricted
    audience must not leak its title through the programme list either.
    """
    if viewer.is_staff:
        return set()
    rows = session.exec(
        select(AgendaItem, Meeting)
        .join(Meeting, col(Meeting.id) == AgendaItem.meeting_id)
        .where(col(AgendaItem.restricted).is_(True), col(AgendaItem.programme_item_id).is_not(None))
    ).all()
    found: set[int] = set()
    visible: set[int] = set()
    ids = [item.id for item, _ in rows if item.id is not None]
    audience = audiences(session, ids)
    for item, meeting in rows:
        assert item.id is not None and item.programme_item_id is not None
        if can_see_item(viewer, meeting, item, audience.get(item.id, [])):
            visible.add(item.programme_item_id)
        else:
            found.add(item.programme_item_id)
    return found - visible


def index_agenda_item(session: Session, item: AgendaItem) -> None:
    """The item (title, presenter) and, once it has one, its conclusion."""
    assert item.id is not None
    index.put(session, "agenda_item", item.id, item.title, item.presenter)
    if (item.conclusion or "").strip():
        index.put(session, "conclusion", item.id, item.title, item.conclusion or "")
    else:
        index.remove(session, "conclusion", item.id)


def remove_agenda_item(session: Session, agenda_item_id: int) -> None:
    index.remove(session, "agenda_item", agenda_item_id)
    index.remove(session, "conclusion", agenda_item_id)
