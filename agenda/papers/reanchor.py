"""Carrying a document's annotations onto its new version (docs/annotations.md "A new version").

`pending` reads the annotations left on an earlier version than the latest, the matching itself
runs elsewhere (agenda/papers/anchoring.py `reanchor_all`, in the PDF pool), and `apply` writes
what it found: found again, the annotation moves to the new version, page and (for a fuzzy or
diacritics-insensitive match) the passage as the new version has it; not found, it is
"orphaned" on the new version with its old quote, never deleted. Each author's counts are kept
(`AnnotationCarry`, what GET shows as `carried`), and one event gives the totals.

A row is moved only if it is still on the version it was read on, so two runs at once (two
processes, or a request catching up while the background run works) never count one twice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.clock import iso, utcnow
from agenda.log import annotation_kinds as k
from agenda.log import events
from agenda.papers.anchoring import Anchor, Quote
from agenda.papers.annotations import Annotation, reindex
from agenda.papers.documents import DocumentVersion


class AnnotationCarry(SQLModel, table=True):
    """How many of a user's annotations on a document were carried onto `to_version`."""

    __tablename__ = "annotation_carry"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    document_id: int = Field(foreign_key="document.id", primary_key=True)
    to_version: int = Field(primary_key=True)
    from_version: int
    carried: int = 0
    orphaned: int = 0
    at: datetime = Field(default_factory=utcnow)


def latest_version(session: Session, document_id: int) -> DocumentVersion | None:
    return session.exec(
        select(DocumentVersion)
        .where(DocumentVersion.document_id == document_id)
        .order_by(col(DocumentVersion.version).desc())
        .limit(1)
    ).first()


def pending(session: Session, document_id: int) -> tuple[DocumentVersion | None, list[Annotation]]:
    """The latest version and the annotations still on an earlier one (anchored or orphaned:
    an orphan's passage may come back in a later version)."""
    latest = latest_version(session, document_id)
    if latest is None:
        return None, []
    found = session.exec(
        select(Annotation)
        .where(Annotation.document_id == document_id, col(Annotation.version) < latest.version)
        .order_by(col(Annotation.id))
    ).all()
    return latest, list(found)


def quotes(found: list[Annotation]) -> list[tuple[int, Quote]]:
    return [(a.id or 0, Quote(a.exact, a.prefix, a.suffix, a.page)) for a in found]


def apply(
    session: Session,
    *,
    document_id: int,
    to_version: int,
    seen: dict[int, int],
    results: list[tuple[int, Anchor | None]],
    actor_id: int | None = None,
) -> dict[int, tuple[int, int]]:
    """Write the results of one run: `seen` is each annotation's version when it was read.

    Returns {user_id: (carried, orphaned)} of the rows this run moved (empty when another run
    moved them first); logs `annotation.reanchored` when it moved any.
    """
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    earliest: dict[int, int] = {}
    now = utcnow()
    for annotation_id, anchor in results:
        found = session.get(Annotation, annotation_id)
        if found is None or annotation_id not in seen or found.version != seen[annotation_id]:
            continue
        values: dict[str, Any] = {"version": to_version, "updated_at": now}
        if anchor is None:
            values["state"] = "orphaned"
        else:
            values.update(state="anchored", page=anchor.page)
            if anchor.method in ("folded", "fuzzy"):  # the passage reads differently now
                values.update(exact=anchor.exact, prefix=anchor.prefix, suffix=anchor.suffix)
        moved = session.execute(
            update(Annotation)
            .where(col(Annotation.id) == annotation_id, col(Annotation.version) == seen[annotation_id])
            .values(**values)
        )
        if not moved.rowcount:  # type: ignore[attr-defined]
            continue
        counts[found.user_id][0 if anchor is not None else 1] += 1
        earliest[found.user_id] = min(earliest.get(found.user_id, seen[annotation_id]), seen[annotation_id])
        if anchor is not None and "exact" in values:
            session.refresh(found)
            reindex(session, found)
    if not counts:
        return {}
    for user_id, (carried, orphaned) in counts.items():
        row = session.get(AnnotationCarry, (user_id, document_id, to_version))
        if row is None:
            row = AnnotationCarry(
                user_id=user_id,
                document_id=document_id,
                to_version=to_version,
                from_version=earliest[user_id],
            )
        row.carried += carried
        row.orphaned += orphaned
        row.from_version = min(row.from_version, earliest[user_id])
        row.at = now
        session.add(row)
    events.append(
        session,
        k.AnnotationsReanchored(
            document_id=document_id,
            to_version=to_version,
            carried=sum(c for c, _ in counts.values()),
            orphaned=sum(o for _, o in counts.values()),
            users=len(counts),
        ),
        actor_id=actor_id,
    )
    session.flush()
    return {user_id: (c, o) for user_id, (c, o) in counts.items()}


def carried_for(session: Session, *, user_id: int, document_id: int, version: int) -> dict[str, Any] | None:
    """The user's last re-anchoring onto `version` of the document, or None."""
    row = session.get(AnnotationCarry, (user_id, document_id, version))
    if row is None:
        return None
    return {
        "from_version": row.from_version,
        "to_version": row.to_version,
        "carried": row.carried,
        "orphaned": row.orphaned,
        "at": iso(row.at),
    }
