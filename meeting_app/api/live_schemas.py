"""What a tablet gets during and around a session: the live snapshot, votes and ballots, speakers,
opinion ballots and the bell, as pydantic models (the rest is in meeting_app/api/schemas.py,
which says how they are used and tested).
"""

from __future__ import annotations

from typing import Literal

from meeting_app.api.schemas import AgendaEntry, MeetingPublic, Public, Time

# --- speakers and votes -------------------------------------------------------------------------


class SpeakerPublic(Public):
    id: int
    agenda_item_id: int
    user_id: int | None
    member_id: int | None
    name: str
    state: str
    requested_at: Time
    started_at: Time | None
    stopped_at: Time | None
    seconds: int


class VoteResult(Public):
    yes: int
    no: int
    abstain: int
    total_membership: int
    adopted: bool
    rule: str
    tie_broken_by_chair: bool
    eligible: int
    cast: int


class VotePublic(Public):
    """A vote as everyone sees it: while it is open, no count of choices, only `cast`."""

    id: int
    agenda_item_id: int
    question: str
    secret: bool
    state: str
    eligible: int
    cast: int
    opened_at: Time | None
    closed_at: Time | None
    result: VoteResult | None = None
    ballots: dict[str, str] | None = None  # member id -> choice, named votes once closed


class VoteView(VotePublic):
    """GET /votes/{id}: a member also learns whether they may vote and whether they did."""

    my_choice: str | None = None
    has_voted: bool | None = None
    eligible_me: bool | None = None


class BallotCounted(Public):
    """The answer to a ballot, once committed; a named vote repeats the choice."""

    vote_id: int
    counted: Literal[True]
    secret: bool
    choice: str | None = None


# --- the live snapshot --------------------------------------------------------------------------


class AttendanceRow(Public):
    member_id: int
    full_name: str
    title: str
    votes: bool
    precedence: int
    status: str | None
    substitute_user_id: int | None
    substitute_name: str | None


class Quorum(Public):
    present: int
    total: int
    required: int
    quorate: bool


class ViewerInfo(Public):
    user_id: int
    member_id: int | None
    roles: list[str]
    can_preside: bool
    can_vote: bool


class LiveState(Public):
    meeting: MeetingPublic
    agenda: list[AgendaEntry]
    attendance: list[AttendanceRow]
    quorum: Quorum
    speakers: list[SpeakerPublic]
    votes: list[VotePublic]
    speaker_warning_seconds: int
    viewer: ViewerInfo


class LiveSnapshot(Public):
    """The live feed's state for the caller, as the socket's first frame (docs/live.md)."""

    seq: int
    epoch: str
    server_time: Time
    state: LiveState


# --- opinion ballots ----------------------------------------------------------------------------


class PollItem(Public):
    id: int
    code: str
    title: str
    kind: str


class PollResult(Public):
    agree: int
    disagree: int
    other: int
    responded: int
    not_responded: int
    total_membership: int
    adopted: bool
    rule: str


class PollResponse(Public):
    position: str
    comment: str | None
    answered_at: Time
    revised_at: Time | None


class BoardRow(Public):
    member_id: int
    full_name: str
    title: str
    status: str
    response: PollResponse | None


class PollSummary(Public):
    """An opinion ballot in a list; a member or an assistant also gets their member's answer."""

    id: int
    programme_item_id: int
    programme_item: PollItem | None = None
    question: str
    deadline: Time
    state: str
    created_at: Time
    sent_at: Time | None
    closed_at: Time | None
    responded: int
    total: int
    overdue: bool
    my_position: str | None = None


class PollList(Public):
    items: list[PollSummary]


class PollView(Public):
    """One opinion ballot: `result` once final, the caller's own answer, the staff's board."""

    id: int
    programme_item_id: int
    programme_item: PollItem | None = None
    question: str
    deadline: Time
    state: str
    created_at: Time
    sent_at: Time | None
    closed_at: Time | None
    responded: int
    total: int
    overdue: bool
    result: PollResult | None = None
    my_response: PollResponse | None = None
    can_answer: bool | None = None
    board: list[BoardRow] | None = None


# --- the bell -----------------------------------------------------------------------------------


class NotificationPublic(Public):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: Time
    read_at: Time | None


class Bell(Public):
    """The caller's notifications, newest first, and how many are unread."""

    items: list[NotificationPublic]
    unread: int
