"""`verify`'s check of the signed files: every `record.signed` event's file is stored under
DATA_DIR with exactly the SHA-256 the event recorded, and each record's current file is the one
its last signature event names. A replaced or truncated file, or a row changed behind the log's
back, is named."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select

from agenda.log.events import Event
from agenda.signing.records import SignedFile
from agenda.storage import original_path


@dataclass(frozen=True)
class FileProblem:
    signed_file_id: int
    seq: int | None
    reason: str


def _digest(path: Path) -> str | None:
    if not path.is_file():
        return None
    found = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            found.update(chunk)
    return found.hexdigest()


def check_signed_files(session: Session, data_dir: Path) -> tuple[int, list[FileProblem]]:
    """(signatures checked, problems)."""
    problems: list[FileProblem] = []
    last: dict[int, str] = {}
    rows = session.exec(select(Event).where(Event.kind == "record.signed").order_by(col(Event.id))).all()
    for row in rows:
        data = row.payload()
        file_id, expected = int(data["signed_file_id"]), str(data["sha256"])
        last[file_id] = expected
        actual = _digest(original_path(data_dir, expected))
        if actual is None:
            problems.append(FileProblem(file_id, row.seq, "missing"))
        elif actual != expected:
            problems.append(FileProblem(file_id, row.seq, "replaced"))
    for found in session.exec(select(SignedFile)).all():
        assert found.id is not None
        if found.id in last and last[found.id] != found.sha256:
            problems.append(FileProblem(found.id, None, "record_differs_from_log"))
        elif found.id not in last and found.sha256 != found.source_sha256:
            problems.append(FileProblem(found.id, None, "signature_without_event"))
    return len(rows), problems
