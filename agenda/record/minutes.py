"""The minutes of a session (biên bản) and its draft resolution. See docs/minutes.md.

- At adjournment `generate_draft` stores the record (agenda/record/minutes_record.py) in a draft,
  in the adjourning transaction, and appends `minutes.drafted`.
- The secretariat edits the narrative parts (an opening, a discussion summary per agenda item,
  a closing): `edit`, one `minutes.edited` per change.
- `finalize` locks the minutes and closes the meeting (adjourned -> closed). It records the seq
  and hash of the last event of the meeting's stream before its own `minutes.finalized`, which
  cannot hold its own hash. Finalized minutes are never changed again (409 `minutes_final`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlalchemy import Column, Text, text
from sqlmodel import Field, Session, SQLModel, select

from agenda.clock import iso, utcnow
from agenda.errors import Forbidden, RuleBroken, WrongState
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.meetings.meetings import Meeting, get_meeting
from agenda.people.accounts import User
from agenda.record.minutes_record import Record, build_record, for_viewer, resolution, sees_item
from agenda.record.record_tasks import with_tasks
from agenda.text import N_
from agenda.viewer import Viewer

STATES = ("draft", "final")
# Who may read the minutes (../shared/API.md): the secretariat, the chair and the invited members.
READERS = ("secretariat", "chair", "member")
WRITERS = ("secretariat",)
MAX_TEXT = 20_000
NARRATIVE_FIELDS = ("opening", "items", "closing")


class Minutes(SQLModel, table=True):
    __tablename__ = "minutes"

    meeting_id: int = Field(foreign_key="meeting.id", primary_key=True)
    state: str = Field(default="draft", max_length=16)
    content: str = Field(sa_column=Column(Text, nullable=False))  # the generated record, JSON
    opening: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    closing: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # agenda item id -> discussion summary, JSON
    item_notes: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    finalized_at: datetime | None = None
    finalized_by: int | None = Field(default=None, foreign_key="user_account.id")
    last_event_seq: int | None = None
    last_event_hash: str | None = Field(default=None, max_length=64)

    def record(self) -> Record:
        found: Record = json.loads(self.content)
        return found

    def notes(self) -> dict[str, str]:
        found: dict[str, str] = json.loads(self.item_notes or "{}")
        return found

    def narrative(self) -> dict[str, Any]:
        return {"opening": self.opening, "items": self.notes(), "closing": self.closing}


class MinutesEdit(BaseModel):
    """The narrative parts. A field left out keeps its text; `items` changes only the items it
    names (agenda item id -> summary), and an empty summary removes one."""

    model_config = ConfigDict(extra="forbid", strict=True)

    opening: str | None = PField(default=None, max_length=MAX_TEXT)
    closing: str | None = PField(default=None, max_length=MAX_TEXT)
    items: dict[str, str] | None = PField(default=None, max_length=1000)


def sha256_of(value: Any) -> str:
    return hashlib.sha256(events.canonical(value)).hexdigest()


def content_hash(minutes: Minutes) -> str:
    """The fingerprint of the record and the narrative together (what `minutes.finalized` binds)."""
    return sha256_of({"record": minutes.record(), "narrative": minutes.narrative()})


# Bidirectional embeddings, overrides and isolates: they could make a summary read backwards.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _clean(value: str) -> str:
    """Line breaks kept as \\n; other control characters and bidi overrides dropped; trimmed."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        ch for ch in value if ch in "\n\t" or (ch >= " " and ch != "\x7f" and ch not in _BIDI)
    ).strip()


# --- changing -----------------------------------------------------------------------------------


def generate_draft(session: Session, meeting_id: int, *, actor_id: int | None = None) -> Minutes:
    """Draft the minutes of an adjourned meeting from its record (once; later calls return it)."""
    meeting = get_meeting(session=session, meeting_id=meeting_id)
    # Two first readers of a meeting adjourned before minutes existed queue here (PostgreSQL).
    session.execute(select(Meeting.id).where(Meeting.id == meeting_id).with_for_update())
    found = session.get(Minutes, meeting_id)
    if found is not None:
        return found
    if meeting.state not in ("adjourned", "closed"):
        raise WrongState(N_("Phiên họp chưa bế mạc; chưa có biên bản."), code="not_adjourned")
    record = build_record(session, meeting)
    minutes = Minutes(meeting_id=meeting_id, content=json.dumps(record, ensure_ascii=False, sort_keys=True))
    session.add(minutes)
    session.flush()
    events.append(
        session, k.MinutesDrafted(meeting_id=meeting_id, content_sha256=sha256_of(record)), actor_id=actor_id
    )
    return minutes


def _locked(session: Session, meeting_id: int) -> Minutes:
    """The minutes row, locked until commit (PostgreSQL; SQLite's BEGIN IMMEDIATE serializes)."""
    query = select(Minutes).where(Minutes.meeting_id == meeting_id).with_for_update()
    found = session.exec(query.execution_options(populate_existing=True)).first()
    if found is None:
        found = generate_draft(session, meeting_id)
    if found.state == "final":
        raise WrongState(N_("Biên bản đã chốt; không thể sửa."), code="minutes_final")
    return found


def edit(*, session: Session, meeting_id: int, data: MinutesEdit, actor_id: int | None) -> Minutes:
    get_meeting(session=session, meeting_id=meeting_id)
    minutes = _locked(session, meeting_id)
    changed: list[str] = []
    if data.opening is not None and _clean(data.opening) != minutes.opening:
        minutes.opening = _clean(data.opening)
        changed.append("opening")
    if data.items is not None:
        known = {str(i["id"]) for i in minutes.record()["items"]}
        unknown = sorted(key for key in data.items if key not in known)
        if unknown:
            raise RuleBroken(
                N_("Không có nội dung này trong chương trình phiên họp: {ids}."),
                code="unknown_agenda_item",
                ids=", ".join(key[:20] for key in unknown[:10]),
            )
        notes = minutes.notes()
        for key, value in data.items.items():
            if len(value) > MAX_TEXT:
                raise RuleBroken(
                    N_("Tóm tắt thảo luận dài quá {limit} ký tự."), code="text_too_long", limit=MAX_TEXT
                )
            summary = _clean(value)
            if summary:
                notes[key] = summary
            else:
                notes.pop(key, None)
        ordered = {key: notes[key] for key in sorted(notes, key=int)}
        if ordered != minutes.notes():
            minutes.item_notes = json.dumps(ordered, ensure_ascii=False)
            changed.append("items")
    if data.closing is not None and _clean(data.closing) != minutes.closing:
        minutes.closing = _clean(data.closing)
        changed.append("closing")
    if not changed:
        return minutes
    minutes.updated_at = utcnow()
    session.add(minutes)
    events.append(
        session,
        k.MinutesEdited(
            meeting_id=meeting_id, fields=changed, narrative_sha256=sha256_of(minutes.narrative())
        ),
        actor_id=actor_id,
    )
    return minutes


def stream_head(session: Session, meeting_id: int, *, lock: bool = False) -> tuple[int, str]:
    """The meeting stream's last seq and hash. `lock`: held until commit on PostgreSQL, so the next
    event appended is the one right after them (SQLite's BEGIN IMMEDIATE already serializes)."""
    query = "SELECT last_seq, last_hash FROM stream_head WHERE stream = :s"
    if lock and session.get_bind().dialect.name == "postgresql":
        query += " FOR UPDATE"
    row = session.execute(text(query), {"s": meeting_id}).first()
    return (int(row[0]), str(row[1])) if row else (0, events.GENESIS_HASH)


def finalize(*, session: Session, meeting_id: int, actor_id: int | None) -> Minutes:
    """Lock the minutes and close the meeting; records the last event before this one."""
    meeting = get_meeting(session=session, meeting_id=meeting_id)
    minutes = _locked(session, meeting_id)
    if meeting.state != "adjourned":
        raise WrongState(N_("Phiên họp chưa bế mạc; chưa có biên bản."), code="not_adjourned")
    seq, digest = stream_head(session, meeting_id, lock=True)
    now = utcnow()
    minutes.state = "final"
    minutes.finalized_at = now
    minutes.finalized_by = actor_id
    minutes.last_event_seq = seq
    minutes.last_event_hash = digest
    minutes.updated_at = now
    meeting.state = "closed"
    session.add_all([minutes, meeting])
    event = events.append(
        session,
        k.MinutesFinalized(
            meeting_id=meeting_id,
            finalized_at=iso(now) or "",
            last_event_seq=seq,
            last_event_hash=digest,
            content_sha256=content_hash(minutes),
        ),
        actor_id=actor_id,
    )
    assert event.seq == seq + 1 and event.prev_hash == digest
    return minutes


# --- reading ------------------------------------------------------------------------------------


def readable_meeting(*, session: Session, meeting_id: int, viewer: Viewer) -> Meeting:
    """The meeting whose minutes `viewer` asks for: 404 when the meeting is not visible, 403 for a
    role that does not read minutes, 409 before adjournment."""
    meeting = get_meeting(session=session, meeting_id=meeting_id, viewer=viewer)
    if not viewer.has(*READERS):
        raise Forbidden()
    if meeting.state not in ("adjourned", "closed"):
        raise WrongState(N_("Phiên họp chưa bế mạc; chưa có biên bản."), code="not_adjourned")
    return meeting


def last_event(session: Session, minutes: Minutes) -> dict[str, Any]:
    """The last event the minutes cover: fixed at finalization; for a draft, the stream's head now."""
    if minutes.state == "final" and minutes.last_event_seq is not None:
        return {"seq": minutes.last_event_seq, "hash": minutes.last_event_hash}
    seq, digest = stream_head(session, minutes.meeting_id)
    return {"seq": seq, "hash": digest}


def view(session: Session, minutes: Minutes, viewer: Viewer) -> dict[str, Any]:
    """The minutes as `viewer` may read them (../shared/API.md): the record and narrative, with restricted
    items outside the viewer's audience as placeholders, the draft resolution and the last event.
    Each item the viewer sees carries the tasks its conclusion gave (agenda/record/record_tasks.py)."""
    record = minutes.record()
    chair = (record["meeting"].get("chair") or {}).get("member_id")
    visible = {str(i["id"]) for i in record["items"] if sees_item(viewer, chair, i)}
    shown = for_viewer(record, viewer)
    shown = {**shown, "items": with_tasks(session, shown["items"])}
    finalizer = session.get(User, minutes.finalized_by) if minutes.finalized_by else None
    return {
        "meeting_id": minutes.meeting_id,
        "state": minutes.state,
        "record": shown,
        "narrative": {
            "opening": minutes.opening,
            "items": {key: value for key, value in minutes.notes().items() if key in visible},
            "closing": minutes.closing,
        },
        "resolution": {"items": resolution(shown)},
        "last_event": last_event(session, minutes),
        "created_at": iso(minutes.created_at),
        "updated_at": iso(minutes.updated_at),
        "finalized_at": iso(minutes.finalized_at),
        "finalized_by": {"id": finalizer.id, "full_name": finalizer.full_name} if finalizer else None,
    }


def get_minutes(session: Session, meeting_id: int) -> Minutes | None:
    return session.get(Minutes, meeting_id)
