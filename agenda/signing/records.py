"""Signing identities, signed files and their signatures, the copy log of signed files, and the
count of wrong PINs. See docs/signatures.md.

- `SigningIdentity`: a person's (or the organisation's seal's) key in a store and its certificate.
- `SignedFile`: one version of a record's file (minutes, resolution, ballot report, vote record).
  Its bytes live under DATA_DIR by SHA-256 (agenda/storage.py) and only grow: each signature is
  an incremental update covering everything before it. Once it carries a signature the record is
  locked; a correction is a new version (`supersede`), and the old one stays with its signatures.
- `FileSignature`: one signature on a file, with the SHA-256 of the file right after it. Every
  signature appends `record.signed` in the same transaction, which `verify` checks the stored
  file against.
- `SignedFileFetch`: who fetched which signed file, when: a signed file cannot carry a personal
  watermark (it would break the signature), so its copies are traced here instead.
- `PinFailure`: wrong PINs, for the rate limit (`pin_allowed`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, Text, UniqueConstraint, delete, func
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.clock import utcnow
from agenda.errors import Conflict, NotFound, RateLimited
from agenda.log import events
from agenda.log.signing_kinds import RecordSigned, SignedRecordSuperseded, SignerEnrolled
from agenda.text import N_

RECORDS = ("minutes", "resolution", "poll_report", "vote_record")
MAX_PIN_FAILURES = 5  # wrong PINs per signer within the window, then 429 until they age out
PIN_WINDOW = timedelta(minutes=15)


class SigningIdentity(SQLModel, table=True):
    __tablename__ = "signing_identity"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    kind: str = Field(default="person", max_length=16)  # person, seal
    store: str = Field(max_length=16)  # pkcs11, pkcs12
    token: str = Field(max_length=64)
    key_label: str = Field(max_length=64)
    certificate: str = Field(sa_column=Column(Text, nullable=False))  # PEM
    certificate_sha256: str = Field(max_length=64, index=True)
    common_name: str = Field(max_length=200)
    title: str = Field(default="", max_length=200)
    organisation: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class SignedFile(SQLModel, table=True):
    __tablename__ = "signed_file"
    __table_args__ = (UniqueConstraint("record", "subject_id", "version", name="uq_signed_file_version"),)

    id: int | None = Field(default=None, primary_key=True)
    record: str = Field(max_length=16)
    subject_id: int = Field(index=True)
    version: int = 1
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)
    source_sha256: str = Field(max_length=64)  # the file as generated, before any signature
    sha256: str = Field(max_length=64)  # the file as it is now
    size: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    superseded_at: datetime | None = None
    superseded_reason: str = Field(default="", max_length=2000)


class FileSignature(SQLModel, table=True):
    __tablename__ = "file_signature"
    __table_args__ = (UniqueConstraint("signed_file_id", "position", name="uq_file_signature_position"),)

    id: int | None = Field(default=None, primary_key=True)
    signed_file_id: int = Field(foreign_key="signed_file.id", index=True)
    position: int
    identity_id: int = Field(foreign_key="signing_identity.id")
    signer_id: int | None = Field(default=None, foreign_key="user_account.id")
    slot: str = Field(default="", max_length=32)  # where the visible signature sits
    field_name: str = Field(max_length=64)
    certificate_sha256: str = Field(max_length=64)
    signed_at: datetime = Field(default_factory=utcnow)
    sha256: str = Field(max_length=64)  # the whole file right after this signature
    level: str = Field(max_length=8)  # B-B, B-T, B-LT
    time_source: str = Field(max_length=16)  # tsa, signer_clock


class SignedFileFetch(SQLModel, table=True):
    __tablename__ = "signed_file_fetch"

    id: int | None = Field(default=None, primary_key=True)
    signed_file_id: int = Field(foreign_key="signed_file.id", index=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    sha256: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow)


class PinFailure(SQLModel, table=True):
    __tablename__ = "pin_failure"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    at: datetime = Field(default_factory=utcnow, index=True)


# --- identities -----------------------------------------------------------------------------------


def add_identity(session: Session, identity: SigningIdentity, *, actor_id: int | None) -> SigningIdentity:
    """Record a new identity; the signer's earlier ones (or the earlier seal) are retired."""
    now = utcnow()
    earlier = select(SigningIdentity).where(
        col(SigningIdentity.revoked_at).is_(None), SigningIdentity.kind == identity.kind
    )
    if identity.kind == "person":
        earlier = earlier.where(SigningIdentity.user_id == identity.user_id)
    for old in session.exec(earlier).all():
        old.revoked_at = now
        session.add(old)
    session.add(identity)
    session.flush()
    assert identity.id is not None
    events.append(
        session,
        SignerEnrolled(
            identity.id, identity.user_id, identity.kind, identity.store, identity.certificate_sha256
        ),
        actor_id=actor_id,
    )
    return identity


def identity_of(session: Session, user_id: int | None, *, kind: str = "person") -> SigningIdentity | None:
    query = select(SigningIdentity).where(
        col(SigningIdentity.revoked_at).is_(None), SigningIdentity.kind == kind
    )
    if kind == "person":
        query = query.where(SigningIdentity.user_id == user_id)
    return session.exec(query.order_by(col(SigningIdentity.id).desc())).first()


# --- wrong PINs -----------------------------------------------------------------------------------


def pin_allowed(session: Session, user_id: int) -> None:
    """Raise RateLimited (429) after MAX_PIN_FAILURES wrong PINs within PIN_WINDOW."""
    since = utcnow() - PIN_WINDOW
    session.execute(delete(PinFailure).where(col(PinFailure.at) < since))
    count = session.exec(
        select(func.count())
        .select_from(PinFailure)
        .where(PinFailure.user_id == user_id, PinFailure.at >= since)
    ).one()
    if count >= MAX_PIN_FAILURES:
        raise RateLimited(
            N_("Nhập sai mã PIN quá nhiều lần. Vui lòng thử lại sau 15 phút."), code="pin_locked"
        )


def pin_failed(session: Session, user_id: int) -> None:
    session.add(PinFailure(user_id=user_id))


def pin_succeeded(session: Session, user_id: int) -> None:
    session.execute(delete(PinFailure).where(PinFailure.user_id == user_id))  # type: ignore[arg-type]


# --- signed files ---------------------------------------------------------------------------------


def current_file(session: Session, record: str, subject_id: int) -> SignedFile | None:
    """The newest version of a record's file."""
    return session.exec(
        select(SignedFile)
        .where(SignedFile.record == record, SignedFile.subject_id == subject_id)
        .order_by(col(SignedFile.version).desc())
    ).first()


def signatures_of(session: Session, file_id: int) -> list[FileSignature]:
    return list(
        session.exec(
            select(FileSignature)
            .where(FileSignature.signed_file_id == file_id)
            .order_by(col(FileSignature.position))
        ).all()
    )


@dataclass(frozen=True)
class NewSignature:
    """A signature to record on a record's current file (`expected_sha256`), or on a new first
    version drawn as `source_sha256` when `expected_sha256` is None."""

    record: str
    subject_id: int
    meeting_id: int | None
    expected_sha256: str | None
    source_sha256: str
    identity: SigningIdentity
    signer_id: int | None  # None: the organisation's seal
    slot: str
    field_name: str
    signed_at: datetime


def add_signature(
    session: Session, new: NewSignature, *, signed_sha256: str, size: int, level: str, time_source: str
) -> FileSignature:
    """Record the signature, the file now `signed_sha256`, and append `record.signed`. 409 when
    another signature landed in between: the caller signs again over the newer file."""
    record, subject_id, meeting_id = new.record, new.subject_id, new.meeting_id
    expected_sha256, source_sha256, identity = new.expected_sha256, new.source_sha256, new.identity
    signer_id, slot, field_name, signed_at = new.signer_id, new.slot, new.field_name, new.signed_at
    found = current_file(session, record, subject_id)
    if expected_sha256 is None:
        if found is not None and found.superseded_at is None:
            raise Conflict(
                N_("Văn bản vừa được ký bởi người khác. Vui lòng ký lại."), code="signed_meanwhile"
            )
        found = SignedFile(
            record=record,
            subject_id=subject_id,
            version=(found.version + 1) if found is not None else 1,
            meeting_id=meeting_id,
            source_sha256=source_sha256,
            sha256=source_sha256,
        )
        session.add(found)
        session.flush()
    elif found is None or found.sha256 != expected_sha256:
        raise Conflict(N_("Văn bản vừa được ký bởi người khác. Vui lòng ký lại."), code="signed_meanwhile")
    assert found.id is not None and identity.id is not None
    position = len(signatures_of(session, found.id)) + 1
    signature = FileSignature(
        signed_file_id=found.id,
        position=position,
        identity_id=identity.id,
        signer_id=signer_id,
        slot=slot,
        field_name=field_name,
        certificate_sha256=identity.certificate_sha256,
        signed_at=signed_at,
        sha256=signed_sha256,
        level=level,
        time_source=time_source,
    )
    found.sha256 = signed_sha256
    found.size = size
    session.add(found)
    session.add(signature)
    session.flush()
    events.append(
        session,
        RecordSigned(
            found.id,
            record,
            subject_id,
            found.version,
            signer_id,
            identity.certificate_sha256,
            signed_sha256,
            level,
            meeting_id,
        ),
        actor_id=signer_id,
    )
    return signature


def supersede(
    session: Session, record: str, subject_id: int, reason: str, *, actor_id: int | None
) -> SignedFile:
    """Retire the current signed version: the next signature starts a new version (a correction)."""
    found = current_file(session, record, subject_id)
    if found is None or found.superseded_at is not None:
        raise NotFound()
    found.superseded_at = utcnow()
    found.superseded_reason = reason
    session.add(found)
    assert found.id is not None
    events.append(
        session,
        SignedRecordSuperseded(found.id, record, subject_id, found.version, reason, found.meeting_id),
        actor_id=actor_id,
    )
    return found


def log_fetch(session: Session, file: SignedFile, user_id: int) -> None:
    assert file.id is not None
    session.add(SignedFileFetch(signed_file_id=file.id, user_id=user_id, sha256=file.sha256))
