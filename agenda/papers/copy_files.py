"""Personal copies on disk: where a copy's file lives, what its stamp says, and building it.
See docs/papers.md.

A copy's file is a cache. `build_copy` remakes it from the original and the copy's row at any
time: the stamp names the same person, the same issue time and the same code, so a rebuilt
file is byte for byte the first one (the stamp is deterministic). `build_copy` is a plain
top-level function of picklable arguments: it runs in the app's process pool, for a single
document here and for a whole briefing book.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from sqlmodel import Session

from agenda.clock import to_local
from agenda.errors import NotFound
from agenda.papers.copies import DocumentCopy
from agenda.papers.overlay import stamp_pdf
from agenda.papers.stamp import StampText
from agenda.people.accounts import User
from agenda.people.members import Member

STAMP_TIME_FORMAT = "%H:%M %d/%m/%Y"  # "08:15 03/12/2026", Asia/Ho_Chi_Minh
CODE_RE = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$")

# The title printed under the name when the user is not linked to a Government member. The
# stamp is part of the paper, so it is always Vietnamese (like the papers themselves): it must
# not change with the reader's language, or a rebuilt copy would differ from the first one.
# The same words as the role labels of meeting_app/labels.py.
ROLE_TITLES: dict[str, str] = {
    "chair": "Chủ tọa",
    "secretariat": "Thư ký (Văn phòng Chính phủ)",
    "member": "Thành viên Chính phủ",
    "assistant": "Bộ phận giúp việc",
    "guest": "Khách mời",
    "observer": "Quan sát viên",
    "admin": "Quản trị hệ thống",
}


def copy_path(data_dir: Path, copy: DocumentCopy) -> Path:
    """Where the copy's file is cached.

    DATA_DIR/cache/copies/<version_id>/<code>.pdf for a document version and
    DATA_DIR/cache/books/<meeting_id>/<code>.pdf for a briefing book.
    """
    if not CODE_RE.match(copy.code):  # codes are made by new_code(); never a path of the client's
        raise ValueError(f"not a copy code: {copy.code!r}")
    if copy.document_version_id is not None:
        return data_dir / "cache" / "copies" / str(int(copy.document_version_id)) / f"{copy.code}.pdf"
    if copy.meeting_id is not None:
        return data_dir / "cache" / "books" / str(int(copy.meeting_id)) / f"{copy.code}.pdf"
    raise ValueError("a copy is of a document version or of a book")


def title_of(*, session: Session, user: User) -> str:
    """What the stamp says under the name: the linked member's title, else the role.

    An assistant is linked to the member they work for, so their stamp says whose office they
    are ("Bộ phận giúp việc Bộ trưởng Bộ Tư pháp") and never gives them the member's title.
    """
    member = session.get(Member, user.member_id) if user.member_id is not None else None
    if member is not None:
        if user.has("assistant") and not user.has("member", "chair"):
            return f"{ROLE_TITLES['assistant']} {member.title}"
        return member.title
    for role in ROLE_TITLES:
        if user.has(role):
            return ROLE_TITLES[role]
    return ""


def stamp_for(*, session: Session, copy: DocumentCopy) -> StampText:
    """The stamp of `copy`: its owner's full name and title, its issue time and its code."""
    user = session.get(User, copy.user_id)
    if user is None:
        raise NotFound()
    return StampText(
        full_name=user.full_name,
        title=title_of(session=session, user=user),
        issued_at=to_local(copy.issued_at).strftime(STAMP_TIME_FORMAT),
        copy_code=copy.code,
    )


def build_copy(original_path: str, target_path: str, stamp: StampText) -> int:
    """Stamp the PDF at `original_path` and write it to `target_path`; return its size in bytes.

    Runs in the process pool. The file appears at once and whole (a unique temporary file in
    the same folder, flushed, then renamed over the target), so concurrent builders of the same
    copy, in this process or another, and readers never see half a file.
    """
    stamped = stamp_pdf(Path(original_path).read_bytes(), stamp)
    target = Path(target_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.part"
    try:
        with partial.open("wb") as handle:
            handle.write(stamped)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return len(stamped)
