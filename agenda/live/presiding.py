"""Running a session: start, advance, outcomes, the consent block, adjourn. See docs/live.md.

Each command is one domain function that checks the state, changes it and appends its event in
the same transaction. The time spent on an item accumulates over every stretch it is current,
so going back to an item resumes its timer.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlmodel import Session

from agenda.clock import iso, utcnow
from agenda.errors import NotFound, RuleBroken, WrongState
from agenda.live.outcome_rule import check_outcome
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.meetings.agenda_items import AgendaItem, get_agenda_item, index_agenda_item, list_items
from agenda.meetings.attendance import quorum
from agenda.meetings.meetings import Meeting, get_meeting
from agenda.meetings.positions import queue_wishes
from agenda.meetings.speakers import stop_speaking
from agenda.policy import Policy
from agenda.programme.programme import ProgrammeItem, change_status
from agenda.record.minutes import generate_draft
from agenda.text import N_
from agenda.votes.models import open_votes

OUTCOMES = ("adopted", "adopted_with_changes", "deferred", "returned", "noted")
# The programme item's status after each outcome.
PROGRAMME_STATUS = {
    "adopted": "concluded",
    "adopted_with_changes": "concluded",
    "noted": "concluded",
    "deferred": "discussed",
    "returned": "discussed",
}


class Advance(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    to: str | int


class OutcomeSet(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    outcome: str
    conclusion: str = PField(default="", max_length=20_000)
    # Needed when the outcome contradicts the item's last closed vote (agenda/live/outcome_rule.py).
    override_reason: str | None = PField(default=None, max_length=2_000)


def require_running(meeting: Meeting) -> None:
    if meeting.state != "in_progress":
        raise WrongState(N_("Phiên họp chưa bắt đầu hoặc đã kết thúc."), code="not_in_progress")


def _seconds(since: datetime | None, until: datetime) -> int:
    if since is None:
        return 0
    if since.tzinfo is None and until.tzinfo is not None:
        until = until.replace(tzinfo=None)
    return max(0, int((until - since).total_seconds()))


def _leave(item: AgendaItem, now: datetime) -> int:
    """Stop the item's timer; it keeps the seconds spent in all."""
    item.spent_seconds += _seconds(item.current_since, now)
    item.current_since = None
    item.state = "done"
    return item.spent_seconds


def off_schedule_minutes(meeting: Meeting, now: datetime, policy: Policy) -> int | None:
    """Minutes between the scheduled and the actual start (negative: early), when more than the
    policy's tolerance; None when the session starts on time."""
    scheduled = meeting.starts_at
    if scheduled.tzinfo is None and now.tzinfo is not None:
        now = now.replace(tzinfo=None)
    minutes = round((now - scheduled).total_seconds() / 60)
    return minutes if abs(minutes) > policy.start_tolerance_minutes else None


def start(*, session: Session, meeting_id: int, actor_id: int | None, policy: Policy) -> Meeting:
    """published -> in_progress, only with quorum (the rule that opens a vote, docs/rules.md)."""
    meeting = get_meeting(session=session, meeting_id=meeting_id)
    if meeting.state != "published":
        raise WrongState(N_("Chỉ bắt đầu được phiên họp đã công bố chương trình."), code="not_published")
    count = quorum(session, meeting_id, policy)
    if not count.quorate:
        raise WrongState(
            N_(
                "Chưa đủ số thành viên tối thiểu để bắt đầu phiên họp: "
                "có mặt {present}, cần {required} trên tổng số {total} thành viên."
            ),
            code="no_quorum",
            present=count.present,
            required=count.required,
            total=count.total,
        )
    meeting.state = "in_progress"
    meeting.started_at = utcnow()
    session.add(meeting)
    events.append(
        session,
        k.MeetingStarted(meeting_id=meeting_id, started_at=iso(meeting.started_at) or ""),
        actor_id=actor_id,
    )
    # The wishes to speak stated before the session join the speakers lists (docs/positions.md).

    queue_wishes(session=session, meeting=meeting, actor_id=actor_id)
    return meeting


def _target(items: list[AgendaItem], current: int | None, to: str | int) -> AgendaItem:
    index = next((n for n, i in enumerate(items) if i.id == current), None)
    if to == "next":
        if index is None:
            found = next((i for i in items if i.state != "done"), None)
        else:
            found = items[index + 1] if index + 1 < len(items) else None
        if found is None:
            raise WrongState(N_("Đã ở nội dung cuối cùng của chương trình."), code="no_next_item")
        return found
    if to == "previous":
        if index is None or index == 0:
            raise WrongState(N_("Đã ở nội dung đầu tiên của chương trình."), code="no_previous_item")
        return items[index - 1]
    if isinstance(to, int) and not isinstance(to, bool):
        found = next((i for i in items if i.id == to), None)
        if found is None:
            raise NotFound()
        return found
    raise RuleBroken(N_('Hãy chọn "next", "previous" hoặc số hiệu một nội dung.'), code="bad_target")


def advance(*, session: Session, meeting_id: int, to: str | int, actor_id: int | None) -> AgendaItem:
    """Make another item current: the next, the previous, or any item by id."""
    meeting = get_meeting(session=session, meeting_id=meeting_id)
    require_running(meeting)
    items = list_items(session, meeting_id)
    target = _target(items, meeting.current_item_id, to)
    if target.id == meeting.current_item_id:
        return target
    now = utcnow()
    left = next((i for i in items if i.id == meeting.current_item_id), None)
    spent = _leave(left, now) if left is not None else 0
    target.state = "current"
    target.current_since = now
    meeting.current_item_id = target.id
    session.add_all([meeting, target, *([left] if left else [])])
    assert target.id is not None
    events.append(
        session,
        k.AgendaAdvanced(
            meeting_id=meeting_id,
            to_item_id=target.id,
            at=iso(now) or "",
            from_item_id=left.id if left else None,
            spent_seconds=spent,
        ),
        actor_id=actor_id,
    )
    return target


def _record_outcome(
    session: Session,
    item: AgendaItem,
    data: OutcomeSet,
    *,
    consent: bool,
    actor_id: int | None,
    policy: Policy,
    overrides_vote_id: int | None = None,
) -> None:
    assert item.id is not None
    item.outcome = data.outcome
    item.conclusion = data.conclusion
    if consent:
        item.state = "done"
    session.add(item)
    index_agenda_item(session, item)
    events.append(
        session,
        k.ItemOutcome(
            meeting_id=item.meeting_id,
            agenda_item_id=item.id,
            outcome=data.outcome,
            conclusion=data.conclusion,
            state=item.state,
            consent=consent,
            override_reason=data.override_reason if overrides_vote_id else None,
            overrides_vote_id=overrides_vote_id,
        ),
        actor_id=actor_id,
    )
    if item.programme_item_id is not None:
        source = session.get(ProgrammeItem, item.programme_item_id)
        new = PROGRAMME_STATUS[data.outcome]
        if source is not None and source.status != new:
            change_status(
                session=session, item=source, new=new, actor_id=actor_id, policy=policy, automatic=True
            )


def set_outcome(
    *, session: Session, agenda_item_id: int, data: OutcomeSet, actor_id: int | None, policy: Policy
) -> AgendaItem:
    if data.outcome not in OUTCOMES:
        raise RuleBroken(N_("Kết quả không hợp lệ."), code="bad_outcome")
    item = get_agenda_item(session=session, agenda_item_id=agenda_item_id)
    require_running(get_meeting(session=session, meeting_id=item.meeting_id))
    overridden = check_outcome(
        session=session,
        agenda_item_id=agenda_item_id,
        outcome=data.outcome,
        override_reason=data.override_reason,
    )
    reason = (data.override_reason or "").strip() if overridden else None
    _record_outcome(
        session,
        item,
        data.model_copy(update={"override_reason": reason}),
        consent=False,
        actor_id=actor_id,
        policy=policy,
        overrides_vote_id=overridden.vote_id if overridden else None,
    )
    return item


def adopt_consent(
    *, session: Session, meeting_id: int, actor_id: int | None, policy: Policy
) -> list[AgendaItem]:
    """Adopt, in one step, every consent-block item not yet dealt with (Estonia's practice)."""
    meeting = get_meeting(session=session, meeting_id=meeting_id)
    require_running(meeting)
    block = [
        i for i in list_items(session, meeting_id) if i.consent and i.state == "pending" and i.outcome is None
    ]
    if not block:
        raise WrongState(N_("Không còn nội dung nào trong nhóm thông qua chung."), code="empty_consent_block")
    adopted = OutcomeSet(outcome="adopted", conclusion="")
    for item in block:
        _record_outcome(session, item, adopted, consent=True, actor_id=actor_id, policy=policy)
    return block


def adjourn(*, session: Session, meeting_id: int, actor_id: int | None) -> Meeting:
    meeting = get_meeting(session=session, meeting_id=meeting_id)
    require_running(meeting)
    if open_votes(session, meeting_id):
        raise WrongState(N_("Còn biểu quyết đang mở; hãy kết thúc biểu quyết trước."), code="vote_open")
    stop_speaking(session=session, meeting_id=meeting_id, actor_id=actor_id)
    now = utcnow()
    left = session.get(AgendaItem, meeting.current_item_id) if meeting.current_item_id else None
    spent = _leave(left, now) if left is not None else 0
    meeting.state = "adjourned"
    meeting.adjourned_at = now
    meeting.current_item_id = None
    session.add_all([meeting, *([left] if left else [])])
    events.append(
        session,
        k.MeetingAdjourned(
            meeting_id=meeting_id,
            adjourned_at=iso(now) or "",
            left_item_id=left.id if left else None,
            spent_seconds=spent,
        ),
        actor_id=actor_id,
    )
    generate_draft(session, meeting_id, actor_id=actor_id)  # the minutes' draft, from the record
    return meeting
