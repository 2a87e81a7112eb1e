"""The secretariat's buttons on a ballot page, in one table (docs/opinion-polls.md).

Each row names the action once: its URL (`POST /opinion-polls/{id}/<name>`), the states that
offer its button, the domain function it runs, the flash it leaves and the state it leads to. The
template draws the buttons from this table and the routes are made from it, so a button cannot
post to one action while the handler runs another (issue 14, defect 1: "Gửi phiếu" ran *close*).
tests/test_poll_actions.py walks every row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from agenda.policy import Policy
from agenda.polls import poll_lifecycle
from agenda.text import N_

Run = Callable[[Session, int, int | None, Policy], object]


@dataclass(frozen=True)
class PollAction:
    name: str  # the URL's last segment, and the button's id (`<name>-poll`)
    label: str  # the button (a msgid)
    states: frozenset[str]  # the ballot states that offer it
    leads_to: str  # the state after it
    flash: str  # the FLASH code of meeting_app/pages/common.py
    run: Run
    style: str = "btn-primary"
    confirm: str | None = None  # a msgid: when set, the button opens a confirmation first
    confirm_label: str | None = None  # the disclosure's summary (a msgid)
    overdue_label: str | None = None  # the summary once the deadline has passed (a msgid)

    @property
    def button_id(self) -> str:
        return f"{self.name}-poll"


def _send(s: Session, poll_id: int, actor_id: int | None, policy: Policy) -> object:
    return poll_lifecycle.send(session=s, poll_id=poll_id, actor_id=actor_id)


def _remind(s: Session, poll_id: int, actor_id: int | None, policy: Policy) -> object:
    return poll_lifecycle.remind(session=s, poll_id=poll_id)  # a count: the flash's {count}


def _close(s: Session, poll_id: int, actor_id: int | None, policy: Policy) -> object:
    return poll_lifecycle.close(session=s, poll_id=poll_id, actor_id=actor_id, policy=policy)


ACTIONS: tuple[PollAction, ...] = (
    PollAction(
        name="send",
        label=N_("Gửi phiếu đến các thành viên"),
        states=frozenset({"draft"}),
        leads_to="sent",
        flash="poll_sent",
        run=_send,
    ),
    PollAction(
        name="remind",
        label=N_("Nhắc thành viên chưa trả lời"),
        states=frozenset({"sent"}),
        leads_to="sent",
        flash="poll_reminded",
        run=_remind,
        style="",
    ),
    PollAction(
        name="close",
        label=N_("Xác nhận kết thúc"),
        states=frozenset({"sent"}),
        leads_to="closed",
        flash="poll_closed",
        run=_close,
        style="btn-danger",
        confirm=N_(
            "Phiếu kết thúc ngay: không nhận thêm ý kiến; kết quả được tổng hợp trên tổng số thành viên "
            "được lấy ý kiến."
        ),
        confirm_label=N_("Kết thúc sớm và tổng hợp"),
        overdue_label=N_("Kết thúc và tổng hợp"),
    ),
)
BY_NAME = {a.name: a for a in ACTIONS}


def offered(state: str) -> list[PollAction]:
    """The actions whose buttons a ballot in `state` shows."""
    return [a for a in ACTIONS if state in a.states]
