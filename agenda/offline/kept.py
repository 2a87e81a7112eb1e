"""What a device keeps for offline reading: per meeting, the files a member needs to read its
papers with no network. See docs/offline.md, "What is kept".

The list is built with the rules of the meeting page and of the papers themselves: the
meetings the viewer may see (`list_meetings`), the agenda as the viewer may see it
(`present_agenda`: a restricted item outside the viewer's audience is a placeholder with no
papers), and each item's papers only when `can_view_programme_papers` agrees. So a restricted
item's papers are never listed for someone outside its audience, and the file routes would
refuse them anyway.

A meeting is kept while it is published or in session, and for `offline_purge_days` after it
adjourns (`keep_until`). Its `agenda_etag` changes whenever what the viewer would see of it
changes: the meeting's facts, its state, the agenda, a paper's version.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from agenda.access.papers import can_view_programme_papers
from agenda.clock import iso, utcnow
from agenda.meetings.agenda_items import AgendaData, load_agenda, present_agenda
from agenda.meetings.meetings import Meeting, can_see, list_meetings
from agenda.papers.copies import DocumentCopy
from agenda.papers.copy_files import copy_path
from agenda.papers.documents import DocumentVersion
from agenda.policy import Policy
from agenda.viewer import Viewer

KEPT_STATES = ("published", "in_progress")
ENDED_STATES = ("adjourned", "closed")
FILE_KINDS = ("page", "reader", "paper", "book", "notes")

LoadAgenda = Callable[[Session, int], AgendaData]


@dataclass(frozen=True)
class KeptFile:
    url: str
    kind: str  # one of FILE_KINDS
    bytes: int | None = None  # None until known (a copy not made yet, an HTML page)
    document_id: int | None = None
    version: int | None = None


@dataclass
class KeptMeeting:
    id: int
    title: str
    starts_at: str | None
    state: str
    closed_at: str | None
    keep_until: str | None
    agenda_etag: str
    files: list[KeptFile] = field(default_factory=list)
    estimate: int = 0  # bytes of the files not made yet, guessed from their originals
    paper_bytes: int = 0  # the papers' copies, made or guessed: what a briefing book weighs

    def as_dict(self) -> dict[str, Any]:
        known = sum(f.bytes or 0 for f in self.files)
        return {
            "id": self.id,
            "title": self.title,
            "starts_at": self.starts_at,
            "state": self.state,
            "closed_at": self.closed_at,
            "keep_until": self.keep_until,
            "agenda_etag": self.agenda_etag,
            "bytes": known + self.estimate,
            "files": [asdict(f) for f in self.files],
        }


def ended_at(meeting: Meeting) -> datetime | None:
    """When the meeting ended (adjourned, or closed with its minutes), None while it has not."""
    if meeting.state not in ENDED_STATES:
        return None
    return meeting.adjourned_at or meeting.starts_at + timedelta(minutes=meeting.duration_minutes)


def keep_until(meeting: Meeting, policy: Policy) -> datetime | None:
    ended = ended_at(meeting)
    return None if ended is None else ended + timedelta(days=policy.offline_purge_days)


def is_kept(meeting: Meeting, policy: Policy, now: datetime) -> bool:
    """Published or in session; or ended less than `offline_purge_days` ago. Never a draft."""
    if meeting.state in KEPT_STATES:
        return True
    until = keep_until(meeting, policy)
    if until is None:
        return False
    if until.tzinfo is None:
        until = until.replace(tzinfo=now.tzinfo)
    return until > now


def _copy_sizes(session: Session, user_id: int, version_ids: list[int], data_dir: Path) -> dict[int, int]:
    """The size of the viewer's watermarked copy of each version whose file is made already."""
    if not version_ids:
        return {}
    found: dict[int, int] = {}
    copies = session.exec(
        select(DocumentCopy).where(
            DocumentCopy.user_id == user_id, col(DocumentCopy.document_version_id).in_(version_ids)
        )
    ).all()
    for copy in copies:
        assert copy.document_version_id is not None
        try:
            found[copy.document_version_id] = os.stat(copy_path(data_dir, copy)).st_size
        except (OSError, ValueError):
            continue
    return found


def _etag(detail: dict[str, Any], agenda: list[dict[str, Any]]) -> str:
    """A digest of what the viewer sees of the meeting, without the live session's clock."""
    shown = [
        {
            key: entry.get(key)
            for key in ("id", "position", "title", "presenter", "restricted", "consent", "minutes")
        }
        | {"documents": [(d["id"], d["version"], d["title"]) for d in entry.get("documents", [])]}
        for entry in agenda
    ]
    text = json.dumps({"meeting": detail, "agenda": shown}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def kept_meeting(
    *, session: Session, data: AgendaData, viewer: Viewer, policy: Policy, data_dir: Path
) -> KeptMeeting | None:
    """The meeting's files as `viewer` keeps them, or None when the viewer may not see the
    meeting or it is not (or no longer) kept."""
    meeting = data.meeting
    assert meeting.id is not None
    if not can_see(viewer, meeting, data.invitees, data.guests) or not is_kept(meeting, policy, utcnow()):
        return None
    agenda = present_agenda(data, viewer, policy)
    readable: list[dict[str, Any]] = []
    for entry in agenda:
        programme_id = entry.get("programme_item_id")
        if entry.get("documents") and programme_id is not None:
            if can_view_programme_papers(session=session, viewer=viewer, programme_item_id=programme_id):
                readable.extend(entry["documents"])
    versions = {
        (v.document_id, v.version): v
        for v in session.exec(
            select(DocumentVersion).where(col(DocumentVersion.document_id).in_([d["id"] for d in readable]))
        ).all()
    }
    chosen = [versions[(d["id"], d["version"])] for d in readable if (d["id"], d["version"]) in versions]
    sizes = _copy_sizes(session, viewer.user_id, [v.id for v in chosen if v.id is not None], data_dir)
    files = [KeptFile(url=f"/meetings/{meeting.id}", kind="page")]
    estimate = paper_bytes = 0
    for version in chosen:
        assert version.id is not None
        d, n = version.document_id, version.version
        size = sizes.get(version.id)
        if size is None:
            estimate += version.size
        paper_bytes += version.size if size is None else size
        files += [
            KeptFile(url=f"/documents/{d}/read", kind="reader", document_id=d, version=n),
            KeptFile(
                url=f"/api/v1/documents/{d}/versions/{n}/file",
                kind="paper",
                bytes=size,
                document_id=d,
                version=n,
            ),
            KeptFile(url=f"/api/v1/documents/{d}/notes", kind="notes", document_id=d, version=n),
            # The reader asks for the annotations of the version it shows (the latest), so the
            # kept answer is that very URL: highlights and shared notes are drawn offline too.
            KeptFile(
                url=f"/api/v1/documents/{d}/annotations?version={n}", kind="notes", document_id=d, version=n
            ),
        ]
    ended, until = ended_at(meeting), keep_until(meeting, policy)
    detail = {
        "title": meeting.title,
        "starts_at": iso(meeting.starts_at),
        "place": meeting.place,
        "state": meeting.state,
        "agenda_version": meeting.agenda_version,
        "chair": meeting.chair_member_id,
    }
    return KeptMeeting(
        id=meeting.id,
        title=meeting.title,
        starts_at=iso(meeting.starts_at),
        state=meeting.state,
        closed_at=iso(ended),
        keep_until=iso(until),
        agenda_etag=_etag(detail, agenda),
        files=files,
        estimate=estimate,
        paper_bytes=paper_bytes,
    )


def _load(session: Session, meeting_id: int) -> AgendaData:
    return load_agenda(session=session, meeting_id=meeting_id)


def kept_meetings(
    *,
    session: Session,
    viewer: Viewer,
    policy: Policy,
    data_dir: Path,
    load: LoadAgenda = _load,
) -> list[KeptMeeting]:
    """Every meeting `viewer` keeps offline, soonest first. `load` may be a cache's."""
    now = utcnow()
    found: list[KeptMeeting] = []
    for meeting in reversed(list_meetings(session=session, viewer=viewer)):
        if meeting.id is None or not is_kept(meeting, policy, now):
            continue
        kept = kept_meeting(
            session=session, data=load(session, meeting.id), viewer=viewer, policy=policy, data_dir=data_dir
        )
        if kept is not None:
            found.append(kept)
    return found
