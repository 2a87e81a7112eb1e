"""The event kinds of digital signatures (docs/signatures.md); agenda/log/event_kinds.py
re-exports them, and docs/events.md lists them.

A signature on a meeting's record (minutes, resolution, vote record) goes to the meeting's
stream; a ballot report's and an enrolment go to the global stream.
"""

from __future__ import annotations

from dataclasses import dataclass

from agenda.log.events import EventData, event_kind


@event_kind
@dataclass(frozen=True)
class SignerEnrolled(EventData):
    """A signer got a key in the configured store and a certificate (`kind` person or seal)."""

    kind = "signer.enrolled"
    identity_id: int
    user_id: int | None
    identity_kind: str
    store: str
    certificate_sha256: str


@event_kind
@dataclass(frozen=True)
class RecordSigned(EventData):
    """A signature was added to a record's file: who, with which certificate, and the SHA-256
    of the file as signed (what `verify` checks the stored file against)."""

    kind = "record.signed"
    signed_file_id: int
    record: str  # minutes, resolution, poll_report, vote_record
    subject_id: int
    version: int
    signer_id: int | None
    certificate_sha256: str
    sha256: str
    level: str
    meeting_id: int | None = None


@event_kind
@dataclass(frozen=True)
class SignedRecordSuperseded(EventData):
    """A signed record got a new version (a correction); the old file and its signatures stay."""

    kind = "record.superseded"
    signed_file_id: int
    record: str
    subject_id: int
    version: int
    reason: str
    meeting_id: int | None = None
