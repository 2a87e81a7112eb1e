"""Changing an agenda: add, edit, remove and reorder its items. See docs/agenda.md.

The read side (the tables, who sees which item, the agenda as a page shows it) is
agenda/meetings/agenda_items.py; the members' positions (agenda/meetings/positions.py) build on
that, and this module sits above both, so removing an item also forgets the positions on it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from agenda.errors import Conflict, NotFound, RuleBroken, WrongState
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.meetings.agenda_items import (
    AgendaAudience,
    AgendaItem,
    AgendaItemCreate,
    AgendaItemUpdate,
    AgendaOrder,
    agenda_ids,
    audiences,
    get_agenda_item,
    index_agenda_item,
    list_items,
    remove_agenda_item,
)
from agenda.meetings.meetings import bump_version, get_meeting, require_editable, tell_agenda_change
from agenda.meetings.positions import forget_item
from agenda.papers.documents import present_kinds
from agenda.people.members import Member
from agenda.policy import Policy
from agenda.programme.programme import (
    SCHEDULABLE,
    ProgrammeItem,
    change_status,
    get_item,
    status_from_dossier,
)
from agenda.text import N_


def _check_audience(session: Session, member_ids: list[int]) -> list[int]:
    ids = sorted(set(member_ids))
    known = set(session.exec(select(Member.id).where(col(Member.id).in_(ids))).all()) if ids else set()
    if set(ids) - known:
        raise RuleBroken(N_("Không có thành viên Chính phủ này."), code="unknown_member")
    return ids


def _set_audience(session: Session, item: AgendaItem, member_ids: list[int]) -> None:
    assert item.id is not None
    session.execute(delete(AgendaAudience).where(col(AgendaAudience.agenda_item_id) == item.id))
    session.add_all(AgendaAudience(agenda_item_id=item.id, member_id=m) for m in member_ids)
    item.restricted = bool(member_ids)


def add_item(
    *, session: Session, meeting_id: int, data: AgendaItemCreate, actor_id: int | None, policy: Policy
) -> AgendaItem:
    meeting = get_meeting(session=session, meeting_id=meeting_id)
    require_editable(meeting)
    audience = _check_audience(session, data.restricted_member_ids or [])
    title = data.title
    overridden = False
    source: ProgrammeItem | None = None
    if data.programme_item_id is not None:
        try:
            source = get_item(session=session, item_id=data.programme_item_id)
        except NotFound as exc:
            raise RuleBroken(
                N_("Không có đề án này trong chương trình công tác."), code="unknown_programme_item"
            ) from exc
        on_agenda = session.exec(
            select(AgendaItem.id).where(
                AgendaItem.meeting_id == meeting_id, AgendaItem.programme_item_id == source.id
            )
        ).first()
        if on_agenda is not None:
            raise Conflict(N_("Đề án đã có trong chương trình phiên họp này."), code="already_on_agenda")
        if source.status not in SCHEDULABLE:
            raise WrongState(
                N_("Đề án đang ở trạng thái {status}, không thể đưa vào phiên họp."),
                code="not_schedulable",
                status=source.status,
            )
        missing = policy.missing_documents(
            source.kind,
            present_kinds(session=session, programme_item_ids=[source.id or 0]).get(source.id or 0, set()),
        )
        if missing and not data.override_readiness:
            raise RuleBroken(N_("Hồ sơ chưa đủ, còn thiếu: {missing}."), code="not_ready", missing=missing)
        overridden = bool(missing)
        title = title or source.title
    reason = bump_version(meeting, data.reason)
    position = (
        session.exec(select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting_id)).one()
        or 0
    ) + 1
    item = AgendaItem(
        meeting_id=meeting_id,
        position=position,
        programme_item_id=data.programme_item_id,
        title=title or "",
        minutes=data.minutes,
        presenter=data.presenter or "",
        consent=data.consent,
        readiness_overridden=overridden,
    )
    session.add(item)
    session.flush()
    assert item.id is not None
    _set_audience(session, item, audience)
    index_agenda_item(session, item)
    if source is not None:
        change_status(
            session=session, item=source, new="scheduled", actor_id=actor_id, policy=policy, automatic=True
        )
    events.append(
        session,
        k.AgendaChanged(
            meeting_id=meeting_id,
            action="added",
            agenda_version=meeting.agenda_version,
            agenda_item_id=item.id,
            order=agenda_ids(session, meeting_id),
            readiness_override=overridden,
            reason=reason,
            changes={
                "title": item.title,
                "minutes": item.minutes,
                "consent": item.consent,
                "restricted": item.restricted,
                "programme_item_id": item.programme_item_id,
            },
        ),
        actor_id=actor_id,
    )
    tell_agenda_change(session, meeting=meeting, reason=reason, actor_id=actor_id)
    return item


def update_item(
    *, session: Session, agenda_item_id: int, data: AgendaItemUpdate, actor_id: int | None
) -> AgendaItem:
    item = get_agenda_item(session=session, agenda_item_id=agenda_item_id)
    meeting = get_meeting(session=session, meeting_id=item.meeting_id)
    require_editable(meeting)
    fields = data.model_dump(exclude_unset=True, exclude={"reason", "restricted_member_ids"})
    changes: dict[str, Any] = {n: v for n, v in fields.items() if v is not None and getattr(item, n) != v}
    audience: list[int] | None = None
    if data.restricted_member_ids is not None:
        audience = _check_audience(session, data.restricted_member_ids)
        if audience != sorted(audiences(session, [agenda_item_id]).get(agenda_item_id, [])):
            changes["restricted_member_ids"] = audience
    if not changes:
        return item
    reason = bump_version(meeting, data.reason)
    for name, value in fields.items():
        if name in changes:
            setattr(item, name, value)
    if audience is not None:
        _set_audience(session, item, audience)
    if "title" in changes or "presenter" in changes:
        index_agenda_item(session, item)
    events.append(
        session,
        k.AgendaChanged(
            meeting_id=meeting.id or 0,
            action="updated",
            agenda_version=meeting.agenda_version,
            agenda_item_id=agenda_item_id,
            changes=changes,
            reason=reason,
        ),
        actor_id=actor_id,
    )
    tell_agenda_change(session, meeting=meeting, reason=reason, actor_id=actor_id)
    return item


def remove_item(
    *, session: Session, agenda_item_id: int, reason: str | None, actor_id: int | None, policy: Policy
) -> None:
    item = get_agenda_item(session=session, agenda_item_id=agenda_item_id)
    meeting = get_meeting(session=session, meeting_id=item.meeting_id)
    require_editable(meeting)
    reason = bump_version(meeting, reason)
    meeting_id = item.meeting_id
    session.execute(delete(AgendaAudience).where(col(AgendaAudience.agenda_item_id) == agenda_item_id))

    forget_item(session, agenda_item_id)  # the members' positions on it (the log keeps them)
    if item.programme_item_id is not None:
        source = get_item(session=session, item_id=item.programme_item_id)
        if source.status == "scheduled":
            change_status(
                session=session,
                item=source,
                actor_id=actor_id,
                policy=policy,
                automatic=True,
                new=status_from_dossier(session=session, item=source, policy=policy),
            )
    session.delete(item)
    session.flush()
    remove_agenda_item(session, agenda_item_id)
    order = _renumber(session, meeting_id)
    events.append(
        session,
        k.AgendaChanged(
            meeting_id=meeting_id,
            action="removed",
            agenda_version=meeting.agenda_version,
            agenda_item_id=agenda_item_id,
            order=order,
            reason=reason,
        ),
        actor_id=actor_id,
    )
    tell_agenda_change(session, meeting=meeting, reason=reason, actor_id=actor_id)


def _renumber(session: Session, meeting_id: int) -> list[int]:
    items = list_items(session, meeting_id)
    for position, item in enumerate(items, start=1):
        item.position = position
    return [i.id for i in items if i.id is not None]


def reorder(*, session: Session, meeting_id: int, data: AgendaOrder, actor_id: int | None) -> list[int]:
    meeting = get_meeting(session=session, meeting_id=meeting_id)
    require_editable(meeting)
    items = {i.id: i for i in list_items(session, meeting_id)}
    wanted = data.agenda_item_ids
    if len(wanted) != len(items) or set(wanted) != set(items):
        raise RuleBroken(
            N_("Thứ tự mới phải gồm đúng các mục hiện có của chương trình, mỗi mục một lần."),
            code="not_a_permutation",
        )
    if wanted == [i for i in items]:  # dicts keep the current order
        return wanted
    reason = bump_version(meeting, data.reason)
    for position, item_id in enumerate(wanted, start=1):
        items[item_id].position = position
    events.append(
        session,
        k.AgendaChanged(
            meeting_id=meeting_id,
            action="reordered",
            agenda_version=meeting.agenda_version,
            order=wanted,
            reason=reason,
        ),
        actor_id=actor_id,
    )
    tell_agenda_change(session, meeting=meeting, reason=reason, actor_id=actor_id)
    return wanted
