"""Submitting a programme item's dossier (nộp hồ sơ): the lead agency says its papers are all
in. See docs/follow-through.md "Dossiers".

The dossier must hold what the item's kind requires (the readiness rule), else 422
`dossier_incomplete` names the missing kinds. A submission after the policy's deadline (by
default the 25th of the month before the planned month) is flagged late with the number of
days, fixed at that moment. A planned (or postponed) item moves to `submitted`; a later
re-submission, after the secretariat sent the item back to `planned`, records the new date.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from agenda.clock import local_today, utcnow
from agenda.errors import RuleBroken, WrongState
from agenda.log import events
from agenda.log import follow_up_kinds as k
from agenda.policy import Policy
from agenda.programme.programme import ProgrammeItem, change_status, get_item, readiness, submission_deadline
from agenda.text import N_

SUBMITTABLE = ("planned", "postponed", "submitted", "ready")


def days_late(item: ProgrammeItem, on: date, policy: Policy) -> int:
    return max(0, (on - submission_deadline(item.planned_month, policy.submission_day)).days)


def submit_dossier(*, session: Session, item_id: int, actor_id: int | None, policy: Policy) -> ProgrammeItem:
    item = get_item(session=session, item_id=item_id)
    if item.status not in SUBMITTABLE:
        raise WrongState(N_("Đề án ở trạng thái này không nộp hồ sơ được."), code="wrong_state")
    if item.submitted_at is not None and item.status in ("submitted", "ready"):
        raise WrongState(N_("Hồ sơ đề án đã được nộp."), code="already_submitted")
    missing = readiness(session=session, item=item, policy=policy)
    if missing:
        raise RuleBroken(
            N_("Hồ sơ chưa đủ, còn thiếu: {missing}."),
            code="dossier_incomplete",
            missing=missing,
            missing_documents=missing,
        )
    today = local_today()
    late = days_late(item, today, policy)
    item.submitted_at = utcnow()
    item.submitted_late = late > 0
    item.days_late = late
    assert item.id is not None
    events.append(
        session,
        k.DossierSubmitted(programme_item_id=item.id, late=late > 0, days_late=late),
        actor_id=actor_id,
    )
    if item.status in ("planned", "postponed"):
        change_status(
            session=session, item=item, new="submitted", actor_id=actor_id, policy=policy, automatic=True
        )
    return item
