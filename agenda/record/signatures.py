"""Who signs which record, when, and where on the page; what a signed record's readers get.
See docs/signatures.md.

- The minutes, once finalized: the signers the policy names (`minutes_signers`, by default the
  secretariat); the secretariat signs in the left column of the signature block ("THƯ KÝ"), the
  chair in the right ("CHỦ TỌA").
- The session resolution, once the meeting is adjourned: the meeting's chair (TM. CHÍNH PHỦ).
- A closed opinion ballot's synthesis report: the secretariat.
- Each closed vote's result record: the organisation's seal (agenda/record/vote_records.py).

The first signature freezes the file: it is rendered once, for a reader who sees every item,
and every later signature is added to those bytes. A signed record is served as signed to the
readers who may see all of it; a reader outside a restricted item's audience keeps their own
unsigned copy with the item as a placeholder, and sees who signed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from agenda.errors import Conflict, DomainError, Forbidden, WrongState
from agenda.meetings.meetings import Meeting, get_meeting
from agenda.policy import Policy
from agenda.polls import opinion_polls, poll_report
from agenda.record import minutes
from agenda.record.minutes_record import sees_item
from agenda.signing import records
from agenda.signing.records import FileSignature, SignedFile, SigningIdentity
from agenda.text import N_
from agenda.viewer import Viewer

# A reader who sees every item: whose view of the record is rendered for signing.
RECORD_VIEWER = Viewer(user_id=0, roles=frozenset({"secretariat"}))
COLUMNS = {"minutes": ("secretariat", "chair"), "resolution": ("chair",), "poll_report": ("secretariat",)}


@dataclass(frozen=True)
class Plan:
    """One signature to make: on what, by whom, where, and (for a first signature) what to draw."""

    record: str
    subject_id: int
    meeting_id: int | None
    identity: SigningIdentity
    signer_id: int
    expected_sha256: str | None  # the current file's digest; None: render `doc` first
    slot: str
    column: int
    columns: int
    visible: bool
    field_name: str
    doc: Any  # minutes.view() (+ for_signing) or a poll_report.ReportPlan; None when signing over a file


def _slot(record: str, viewer: Viewer, meeting: Meeting | None) -> str:
    if record == "minutes":
        return "chair" if meeting is not None and chairs(viewer, meeting) else "secretariat"
    return COLUMNS[record][0]


def chairs(viewer: Viewer, meeting: Meeting) -> bool:
    """The presiding officer, or the member who chairs this meeting."""
    own = viewer.member_id is not None and viewer.member_id == meeting.chair_member_id
    return viewer.has("chair") or own


def _meeting_signable(
    session: Session, record: str, meeting_id: int, viewer: Viewer, policy: Policy
) -> Meeting:
    # The role first (403), then whether this viewer sees the meeting (404), then its state (409).
    if not viewer.has(*(policy.minutes_signers if record == "minutes" else ("chair", "member"))):
        raise Forbidden()
    meeting = get_meeting(session=session, meeting_id=meeting_id, viewer=viewer)
    if record == "minutes":
        found = minutes.get_minutes(session, meeting_id)
        if found is None or found.state != "final":
            raise WrongState(N_("Biên bản chưa được chốt; chưa thể ký."), code="minutes_not_final")
        return meeting
    if not chairs(viewer, meeting):
        raise Forbidden()
    if meeting.state not in ("adjourned", "closed"):
        raise WrongState(N_("Phiên họp chưa bế mạc; chưa thể ký nghị quyết."), code="not_adjourned")
    return meeting


def _document(session: Session, record: str, subject_id: int, policy: Policy) -> Any:
    if record == "poll_report":
        poll = session.get(opinion_polls.OpinionPoll, subject_id)
        assert poll is not None
        return poll_report.plan(session, poll, policy)
    found = minutes.get_minutes(session, subject_id)
    if found is None:
        found = minutes.generate_draft(session, subject_id)
    return {**minutes.view(session, found, RECORD_VIEWER), "for_signing": True}


@dataclass(frozen=True)
class _Checked:
    meeting: Meeting | None
    identity: SigningIdentity
    current: SignedFile | None
    signatures: list[FileSignature]


def _check(session: Session, record: str, subject_id: int, viewer: Viewer, policy: Policy) -> _Checked:
    meeting: Meeting | None = None
    if record == "poll_report":
        if not viewer.has("secretariat"):
            raise Forbidden()
        poll = opinion_polls.get_poll(session=session, poll_id=subject_id, viewer=viewer)
        if poll.state != "closed":
            raise WrongState(
                N_("Phiếu lấy ý kiến chưa kết thúc; chưa thể ký báo cáo."), code="poll_not_closed"
            )
    else:
        meeting = _meeting_signable(session, record, subject_id, viewer, policy)
    identity = records.identity_of(session, viewer.user_id)
    if identity is None:
        raise Conflict(
            N_("Bạn chưa được cấp chứng thư số để ký. Liên hệ quản trị hệ thống."), code="not_enrolled"
        )
    current = records.current_file(session, record, subject_id)
    if current is not None and current.superseded_at is not None:
        current = None
    signatures = records.signatures_of(session, current.id) if current is not None and current.id else []
    if any(s.signer_id == viewer.user_id for s in signatures):
        raise Conflict(N_("Bạn đã ký văn bản này."), code="already_signed")
    return _Checked(meeting, identity, current, signatures)


def may_sign(session: Session, *, record: str, subject_id: int, viewer: Viewer, policy: Policy) -> bool:
    """Whether to offer `viewer` the signing form (the PIN count is checked on submission)."""
    try:
        _check(session, record, subject_id, viewer, policy)
    except DomainError:
        return False
    return True


def offers_resolution(session: Session, meeting_id: int, viewer: Viewer) -> bool:
    """Whether the console offers `viewer` the resolution's signing form once the session ends:
    the meeting's chair, enrolled, who has not signed it yet (whatever the meeting's state now)."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or not chairs(viewer, meeting) or records.identity_of(session, viewer.user_id) is None:
        return False
    current = records.current_file(session, "resolution", meeting_id)
    if current is None or current.id is None or current.superseded_at is not None:
        return True
    return all(s.signer_id != viewer.user_id for s in records.signatures_of(session, current.id))


def plan(session: Session, *, record: str, subject_id: int, viewer: Viewer, policy: Policy) -> Plan:
    """Check that `viewer` may sign `record` now, with an enrolled key and PINs left, and say how."""
    checked = _check(session, record, subject_id, viewer, policy)
    records.pin_allowed(session, viewer.user_id)
    meeting, identity, current, signatures = (
        checked.meeting,
        checked.identity,
        checked.current,
        checked.signatures,
    )
    slot = _slot(record, viewer, meeting)
    columns = COLUMNS[record]
    taken = {s.slot for s in signatures}
    position = len(signatures) + 1
    session.expunge(identity)
    return Plan(
        record=record,
        subject_id=subject_id,
        meeting_id=meeting.id if meeting is not None else None,
        identity=identity,
        signer_id=viewer.user_id,
        expected_sha256=current.sha256 if current is not None else None,
        slot=slot,
        column=columns.index(slot) if slot in columns else 0,
        columns=len(columns),
        visible=slot in columns and slot not in taken,
        field_name=f"{record}-{slot}-{position}",
        doc=None if current is not None else _document(session, record, subject_id, policy),
    )


def new_version(session: Session, *, record: str, subject_id: int, viewer: Viewer, reason: str) -> int:
    """Retire the signed version of `record` for a correction (the secretariat): the next
    signature draws the record afresh as a new version, with its own signatures; the old file
    and its signatures stay. Returns the retired version."""
    if not viewer.has("secretariat"):
        raise Forbidden()
    if record == "poll_report":
        opinion_polls.get_poll(session=session, poll_id=subject_id, viewer=viewer)
    else:
        get_meeting(session=session, meeting_id=subject_id, viewer=viewer)
    current = records.current_file(session, record, subject_id)
    if current is None or current.superseded_at is not None:
        raise WrongState(N_("Văn bản chưa được ký; không cần lập phiên bản mới."), code="not_signed")
    return records.supersede(session, record, subject_id, reason, actor_id=viewer.user_id).version


def listing(session: Session, record: str, subject_id: int) -> dict[str, Any] | None:
    """The current signed version of a record and its signatures, for any of its readers."""
    current = records.current_file(session, record, subject_id)
    if current is None or current.id is None:
        return None
    rows = records.signatures_of(session, current.id)
    identities = {
        i.id: i
        for i in session.exec(
            select(SigningIdentity).where(SigningIdentity.id.in_([r.identity_id for r in rows]))  # type: ignore[union-attr]
        ).all()
    }
    return {
        "version": current.version,
        "sha256": current.sha256,
        "size": current.size,
        "superseded": current.superseded_at is not None,
        "signatures": [_signature(row, identities.get(row.identity_id)) for row in rows],
    }


def _signature(row: FileSignature, identity: SigningIdentity | None) -> dict[str, Any]:
    from agenda.clock import iso

    return {
        "signer": identity.common_name if identity else "",
        "title": identity.title if identity else "",
        "signer_id": row.signer_id,
        "signed_at": iso(row.signed_at),
        "certificate_sha256": row.certificate_sha256,
        "level": row.level,
        "time_source": row.time_source,
    }


def signed_copy(session: Session, record: str, subject_id: int, viewer: Viewer) -> SignedFile | None:
    """The signed file `viewer` gets in place of a freshly drawn one (the caller logs the fetch:
    records.log_fetch); None when there is none or the viewer may not see all of it (a
    restricted item outside their audience)."""
    current = records.current_file(session, record, subject_id)
    if current is None or current.sha256 == current.source_sha256:
        return None
    if record in ("minutes", "resolution"):
        found = minutes.get_minutes(session, subject_id)
        if found is None:
            return None
        content = found.record()
        chair = (content["meeting"].get("chair") or {}).get("member_id")
        if not all(sees_item(viewer, chair, item) for item in content["items"]):
            return None
    return current
