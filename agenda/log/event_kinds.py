"""Every event kind, one class each. docs/events.md lists them; a test keeps the two in step.

Events on a meeting carry `meeting_id` and go to that meeting's stream; the rest go to the
global stream 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agenda.log import (
    annotation_kinds,  # noqa: F401  (registers the annotations' kinds, issue 17)
    follow_up_kinds,  # noqa: F401  (registers the follow-through's kinds, issue 15)
    offline_kinds,  # noqa: F401  (registers offline reading's kinds, issue 17)
    signing_kinds,  # noqa: F401  (registers the signatures' kinds, issue 16)
)
from agenda.log.events import EventData, event_kind

# --- accounts and people ------------------------------------------------------------------------


@event_kind
@dataclass(frozen=True)
class UserCreated(EventData):
    """An account was created (never carries the password or its hash)."""

    kind = "user.created"
    user_id: int
    username: str
    roles: list[str]
    member_id: int | None


@event_kind
@dataclass(frozen=True)
class UserUpdated(EventData):
    """An account's name, roles, member link, language or active flag changed."""

    kind = "user.updated"
    user_id: int
    changes: dict[str, Any]


@event_kind
@dataclass(frozen=True)
class UserLoggedIn(EventData):
    """A user logged in; a fresh session was issued."""

    kind = "auth.login"
    user_id: int


@event_kind
@dataclass(frozen=True)
class LogRestored(EventData):
    """The database was restored from a backup (`python run.py restore`); `events` were in it.
    It also renames the log (agenda.log.events.log_epoch): tablets take a fresh snapshot."""

    kind = "system.restored"
    events: int


@event_kind
@dataclass(frozen=True)
class UserLoggedOut(EventData):
    """A user logged out; the session was deleted server-side."""

    kind = "auth.logout"
    user_id: int


@event_kind
@dataclass(frozen=True)
class MemberCreated(EventData):
    """A Government member was added to the registry."""

    kind = "member.created"
    member_id: int
    full_name: str
    title: str


@event_kind
@dataclass(frozen=True)
class MemberUpdated(EventData):
    """A Government member's registry entry changed."""

    kind = "member.updated"
    member_id: int
    changes: dict[str, Any]


# --- work programme -----------------------------------------------------------------------------


@event_kind
@dataclass(frozen=True)
class ProgrammeItemCreated(EventData):
    """An item was added to the work programme."""

    kind = "programme.item_created"
    programme_item_id: int
    code: str
    title: str


@event_kind
@dataclass(frozen=True)
class ProgrammeItemUpdated(EventData):
    """A work programme item's fields changed."""

    kind = "programme.item_updated"
    programme_item_id: int
    changes: dict[str, Any]


@event_kind
@dataclass(frozen=True)
class ProgrammeStatusChanged(EventData):
    """A work programme item moved in its status workflow."""

    kind = "programme.status_changed"
    programme_item_id: int
    old: str
    new: str
    reason: str | None = None


@event_kind
@dataclass(frozen=True)
class ProgrammeImported(EventData):
    """A CSV import added items to the work programme, all at once."""

    kind = "programme.imported"
    count: int
    programme_item_ids: list[int]


@event_kind
@dataclass(frozen=True)
class PostponementRequested(EventData):
    """Someone asked to postpone a programme item ("xin lùi"), with a reason."""

    kind = "postponement.requested"
    postponement_id: int
    programme_item_id: int
    reason: str
    to_month: str | None


@event_kind
@dataclass(frozen=True)
class PostponementDecided(EventData):
    """The secretariat approved or refused a postponement request."""

    kind = "postponement.decided"
    postponement_id: int
    programme_item_id: int
    approved: bool
    note: str | None


# --- meetings and agendas -----------------------------------------------------------------------


@event_kind
@dataclass(frozen=True)
class MeetingCreated(EventData):
    """A meeting was created as a draft."""

    kind = "meeting.created"
    meeting_id: int
    title: str
    meeting_kind: str
    starts_at: str


@event_kind
@dataclass(frozen=True)
class MeetingUpdated(EventData):
    """A meeting's time, place, chair, invitees or guests changed."""

    kind = "meeting.updated"
    meeting_id: int
    changes: dict[str, Any]
    agenda_version: int
    reason: str | None = None


@event_kind
@dataclass(frozen=True)
class MeetingPublished(EventData):
    """The agenda was published to the invitees."""

    kind = "meeting.published"
    meeting_id: int
    agenda_version: int
    agenda_item_ids: list[int]


@event_kind
@dataclass(frozen=True)
class AgendaChanged(EventData):
    """The agenda changed: an item was added, edited, removed, or the order changed.

    `action` is one of added, updated, removed, reordered. After publishing, every change
    bumps `agenda_version` and carries the secretariat's `reason`.
    """

    kind = "agenda.changed"
    meeting_id: int
    action: str
    agenda_version: int
    agenda_item_id: int | None = None
    order: list[int] = field(default_factory=list)
    changes: dict[str, Any] = field(default_factory=dict)
    readiness_override: bool = False
    reason: str | None = None


# --- documents ----------------------------------------------------------------------------------


@event_kind
@dataclass(frozen=True)
class DocumentAdded(EventData):
    """A new document (its first version) joined a programme item's dossier.

    `doc_kind` is the document kind (submission, draft, appraisal, synthesis, annex, other);
    `sha256` names the stored original.
    """

    kind = "document.added"
    document_id: int
    programme_item_id: int
    doc_kind: str
    title: str
    version: int
    pages: int
    sha256: str


@event_kind
@dataclass(frozen=True)
class DocumentVersionAdded(EventData):
    """A new version of a document was uploaded, with its change note; earlier versions stay.

    `title` is the document's title after the upload (a new version may rename it).
    """

    kind = "document.version_added"
    document_id: int
    programme_item_id: int
    title: str
    version: int
    pages: int
    sha256: str
    note: str


@event_kind
@dataclass(frozen=True)
class DocumentUpdated(EventData):
    """A paper of an agenda item changed on a published or running meeting: a new document or a
    new version. One event per meeting (and agenda item) that holds the programme item, so the
    tablets following it learn at once; viewers outside a restricted item's audience get it hidden.
    """

    kind = "document.updated"
    meeting_id: int
    agenda_item_id: int
    document_id: int
    doc_kind: str
    title: str
    version: int
    pages: int
    note: str


# --- papers -------------------------------------------------------------------------------------


@event_kind
@dataclass(frozen=True)
class CopyIssued(EventData):
    """A personal, stamped copy was issued to a user: of a document version, or of a meeting's book.

    `code` is the short copy code printed in the stamp; it resolves back to this event's row.
    """

    kind = "copy.issued"
    activity = True
    copy_id: int
    code: str
    user_id: int
    document_version_id: int | None
    book_meeting_id: int | None


@event_kind
@dataclass(frozen=True)
class CopyOpened(EventData):
    """A user opened their copy (a read receipt)."""

    kind = "copy.opened"
    activity = True
    copy_id: int
    user_id: int
    document_version_id: int | None


# --- private notes ------------------------------------------------------------------------------


@event_kind
@dataclass(frozen=True)
class NoteSaved(EventData):
    """A user wrote or changed their private note on a page of a document.

    The note is private: the event names it and never carries its text.
    """

    kind = "note.saved"
    activity = True
    note_id: int
    document_id: int
    page: int
    user_id: int


@event_kind
@dataclass(frozen=True)
class NoteDeleted(EventData):
    """A user deleted their private note on a page (or saved it empty); no text, as for `note.saved`."""

    kind = "note.deleted"
    activity = True
    note_id: int
    document_id: int
    page: int
    user_id: int


# --- the live session ---------------------------------------------------------------------------
# These drive the live feed (../shared/API.md "Live feed"); agenda/live/live_state.py applies each of them to
# the session's state, and a test checks that old state + events == freshly loaded state.


@event_kind
@dataclass(frozen=True)
class MeetingStarted(EventData):
    """The presiding officer opened the session: published -> in_progress."""

    kind = "meeting.started"
    meeting_id: int
    started_at: str


@event_kind
@dataclass(frozen=True)
class MeetingAdjourned(EventData):
    """The session was adjourned: in_progress -> adjourned. The item under discussion is left
    with its time spent (`spent_seconds`)."""

    kind = "meeting.adjourned"
    meeting_id: int
    adjourned_at: str
    left_item_id: int | None = None
    spent_seconds: int = 0


@event_kind
@dataclass(frozen=True)
class AttendanceChanged(EventData):
    """A member's attendance was recorded: present, remote, absent or excused, with the
    substitute (a guest account) who stands in for the member, if any."""

    kind = "attendance.changed"
    meeting_id: int
    member_id: int
    status: str
    substitute_user_id: int | None = None
    substitute_name: str | None = None


@event_kind
@dataclass(frozen=True)
class QuorumChanged(EventData):
    """The count of voting members present (in the room or remote) changed."""

    kind = "quorum.changed"
    meeting_id: int
    present: int
    total: int
    required: int
    quorate: bool


@event_kind
@dataclass(frozen=True)
class AgendaAdvanced(EventData):
    """The session moved to another agenda item. The item left (if any) keeps the seconds spent
    on it in all (`spent_seconds`); the new one is timed from `at`."""

    kind = "agenda.advanced"
    meeting_id: int
    to_item_id: int
    at: str
    from_item_id: int | None = None
    spent_seconds: int = 0


@event_kind
@dataclass(frozen=True)
class ItemOutcome(EventData):
    """An outcome and its conclusion were recorded on an agenda item. `state` is the item's
    state afterwards (`done` when the consent block is adopted in one step). An outcome that
    contradicts the item's last closed vote names that vote and the override's reason."""

    kind = "item.outcome"
    meeting_id: int
    agenda_item_id: int
    outcome: str
    conclusion: str
    state: str
    consent: bool = False
    override_reason: str | None = None
    overrides_vote_id: int | None = None


@event_kind
@dataclass(frozen=True)
class SpeakerRequested(EventData):
    """Someone asked to speak on an agenda item."""

    kind = "speaker.requested"
    meeting_id: int
    speaker_id: int
    agenda_item_id: int
    user_id: int
    member_id: int | None
    name: str
    requested_at: str


@event_kind
@dataclass(frozen=True)
class SpeakerStarted(EventData):
    """The presiding officer gave the floor; the speaker's timer starts at `started_at`."""

    kind = "speaker.started"
    meeting_id: int
    speaker_id: int
    agenda_item_id: int
    started_at: str


@event_kind
@dataclass(frozen=True)
class SpeakerStopped(EventData):
    """The speaker's time ended after `seconds`."""

    kind = "speaker.stopped"
    meeting_id: int
    speaker_id: int
    agenda_item_id: int
    stopped_at: str
    seconds: int


@event_kind
@dataclass(frozen=True)
class SpeakerWithdrawn(EventData):
    """A request to speak was withdrawn, by the speaker or by the presiding officer."""

    kind = "speaker.withdrawn"
    meeting_id: int
    speaker_id: int
    agenda_item_id: int


@event_kind
@dataclass(frozen=True)
class VoteCreated(EventData):
    """A vote was prepared on an agenda item (state draft): named, or secret."""

    kind = "vote.created"
    meeting_id: int
    vote_id: int
    agenda_item_id: int
    question: str
    secret: bool


@event_kind
@dataclass(frozen=True)
class VoteOpened(EventData):
    """A vote opened. `eligible` is the number of voting members present at that moment; only
    they may vote. `electorate` names them (member ids, as attendance does), so that each tablet
    shows its vote panel at once instead of asking the server (absent from earlier events)."""

    kind = "vote.opened"
    meeting_id: int
    vote_id: int
    agenda_item_id: int
    eligible: int
    opened_at: str
    electorate: list[int] = field(default_factory=list)


@event_kind
@dataclass(frozen=True)
class VoteProgress(EventData):
    """A ballot was cast or changed. Carries only how many have voted, never a choice or a voter;
    for a secret vote the event row has no actor either. `meeting_id` routes the event to the
    meeting's stream and is left out of the data, which is exactly `{vote_id, cast, eligible}`."""

    kind = "vote.progress"
    meeting_id: int
    vote_id: int
    cast: int
    eligible: int

    def as_data(self) -> dict[str, Any]:
        return {"vote_id": self.vote_id, "cast": self.cast, "eligible": self.eligible}


@event_kind
@dataclass(frozen=True)
class VoteClosed(EventData):
    """A vote closed and was counted in the same transaction. `result` is the stored tally;
    `ballots` maps member id to choice for a named vote and is null for a secret one."""

    kind = "vote.closed"
    meeting_id: int
    vote_id: int
    agenda_item_id: int
    closed_at: str
    result: dict[str, Any]
    ballots: dict[str, str] | None = None


# --- minutes (issue 5, part 3: agenda/record/minutes.py) -----------------------------------------------


@event_kind
@dataclass(frozen=True)
class MinutesDrafted(EventData):
    """The minutes' draft was generated from the record at adjournment. `content_sha256` is the
    SHA-256 of the generated record (canonical JSON); the record itself stays in the minutes row."""

    kind = "minutes.drafted"
    meeting_id: int
    content_sha256: str


@event_kind
@dataclass(frozen=True)
class MinutesEdited(EventData):
    """The secretariat changed the narrative parts of the draft minutes. `fields` names the parts
    changed (`opening`, `items`, `closing`); `narrative_sha256` fingerprints the whole narrative
    after the change. Never the text, which may concern a restricted item."""

    kind = "minutes.edited"
    meeting_id: int
    fields: list[str]
    narrative_sha256: str


@event_kind
@dataclass(frozen=True)
class MinutesFinalized(EventData):
    """The minutes were finalized and locked; the meeting moved from adjourned to closed.
    `last_event_seq` and `last_event_hash` name the last event of the meeting's stream before
    this one (an event cannot hold its own hash); `content_sha256` fingerprints the finalized
    record and narrative."""

    kind = "minutes.finalized"
    meeting_id: int
    finalized_at: str
    last_event_seq: int
    last_event_hash: str
    content_sha256: str


# --- opinion ballots and notifications (issue 5, part 1: agenda/polls/opinion_polls.py) ---------------


@event_kind
@dataclass(frozen=True)
class PollCreated(EventData):
    """The secretariat prepared an opinion ballot (state draft) on a programme item; its papers
    are the item's dossier."""

    kind = "poll.created"
    poll_id: int
    programme_item_id: int
    question: str
    deadline: str


@event_kind
@dataclass(frozen=True)
class PollSent(EventData):
    """An opinion ballot went to every active voting member; `recipients` (member ids) is fixed
    from now on and `total` is its size, the total membership the tally counts against."""

    kind = "poll.sent"
    poll_id: int
    programme_item_id: int
    deadline: str
    recipients: list[int]
    total: int


@event_kind
@dataclass(frozen=True)
class PollAnswered(EventData):
    """A member answered an opinion ballot or revised the answer. A written opinion is not
    secret: the event names the member, the position and the comment. `responded` and `total`
    are the ballot's counts after it."""

    kind = "poll.answered"
    poll_id: int
    member_id: int
    position: str
    comment: str
    revised: bool
    responded: int
    total: int


@event_kind
@dataclass(frozen=True)
class PollClosed(EventData):
    """An opinion ballot closed (`reason`: `early` by the secretariat, or `deadline`) and was
    tallied in the same transaction: `result` and every recipient's `positions` (member id ->
    position, null for no answer). `python run.py verify` recounts it from the responses."""

    kind = "poll.closed"
    poll_id: int
    programme_item_id: int
    closed_at: str
    reason: str
    result: dict[str, Any]
    positions: dict[str, str | None]


@event_kind
@dataclass(frozen=True)
class NotificationCreated(EventData):
    """An in-app notification for one user (a new opinion ballot, a reminder before its
    deadline, or an overdue notice). Personal activity: kept apart from stream 0."""

    kind = "notification.created"
    activity = True
    notification_id: int
    user_id: int
    notification_kind: str
    key: str


@event_kind
@dataclass(frozen=True)
class NotificationsDigested(EventData):
    """Change notices (a paper's new version, an agenda change) of one user gathered into one
    email digest, at most one per user per window (docs/notifications.md). Personal activity."""

    kind = "notification.digested"
    activity = True
    user_id: int
    notification_ids: list[int]


@event_kind
@dataclass(frozen=True)
class NotificationsRead(EventData):
    """A user marked notifications read: the ids, or every unread one (`all`)."""

    kind = "notification.read"
    activity = True
    user_id: int
    notification_ids: list[int]
    all: bool


# --- pre-session positions (issue 5, part 2: agenda/meetings/positions.py) --------------------------------


@event_kind
@dataclass(frozen=True)
class PositionStated(EventData):
    """A member stated or changed their pre-session position on an agenda item: `position` is
    `no_objection`, `object` or `wish_to_speak`, with an optional `comment`. On the live feed it
    reaches the secretariat and the chair only."""

    kind = "position.stated"
    meeting_id: int
    agenda_item_id: int
    member_id: int
    position: str
    comment: str


@event_kind
@dataclass(frozen=True)
class ConsentLeft(EventData):
    """An objection took an item out of the consent block (its `consent` is now false); it
    follows the `position.stated` of that objection in the same transaction."""

    kind = "consent.left"
    meeting_id: int
    agenda_item_id: int
    member_id: int
