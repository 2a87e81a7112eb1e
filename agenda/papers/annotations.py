"""Highlights and notes anchored to a passage of a paper (issue 17, part 3). See docs/annotations.md.

An annotation is a W3C `TextQuoteSelector` (exact, prefix, suffix) with the page as a hint, on
one version of a document; this model is the source of truth (never pdf.js's own annotation
storage). Private by default; its author may share it with chosen readers (the audience,
agenda/access/annotation_audience.py) and with the secretariat. When the document gets a new
version the annotations are re-anchored onto it (agenda/papers/reanchor.py).

The caller has checked that the user may read the document. Every change appends its event in
the same transaction; events name the annotation and who reads it, never its note or its quote.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as BodyField
from sqlalchemy import Column, Text, delete, or_
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.clock import iso, utcnow
from agenda.errors import InvalidInput, NotFound, RuleBroken, WrongState
from agenda.log import annotation_kinds as k
from agenda.log import events
from agenda.papers.anchoring import Quote, find, normalise, normalise_context
from agenda.people.accounts import User
from agenda.search import index
from agenda.text import N_
from agenda.viewer import Viewer

KINDS = ("highlight", "note")
MAX_EXACT = 2000
MAX_CONTEXT = 64
MAX_TEXT = 10_000
MAX_SHARES = 200
SEARCH_KIND = "annotation"


class Annotation(SQLModel, table=True):
    __tablename__ = "annotation"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    version: int  # the version it is anchored to now (or was looked for in, when orphaned)
    kind: str = Field(max_length=16)
    page: int
    exact: str = Field(sa_column=Column(Text, nullable=False))
    prefix: str = Field(default="", sa_column=Column(Text, nullable=False))
    suffix: str = Field(default="", sa_column=Column(Text, nullable=False))
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    state: str = Field(default="anchored", max_length=16)  # anchored | orphaned
    share_secretariat: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class AnnotationShare(SQLModel, table=True):
    __tablename__ = "annotation_share"

    annotation_id: int = Field(foreign_key="annotation.id", primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", primary_key=True, index=True)


class Share(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    secretariat: bool = False
    user_ids: list[int] = BodyField(default_factory=list, max_length=MAX_SHARES)


class AnnotationNew(BaseModel):
    """The body of `POST /api/v1/documents/{id}/annotations`."""

    model_config = ConfigDict(extra="forbid", strict=True)

    version: int
    kind: Literal["highlight", "note"]
    page: int
    exact: str = BodyField(max_length=MAX_EXACT)
    prefix: str = BodyField(default="", max_length=MAX_CONTEXT)
    suffix: str = BodyField(default="", max_length=MAX_CONTEXT)
    text: str = BodyField(default="", max_length=MAX_TEXT)
    share: Share | None = None


class AnnotationChange(BaseModel):
    """The body of `PATCH /api/v1/annotations/{id}`: the note's new text, the new sharing, or both."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: str | None = BodyField(default=None, max_length=MAX_TEXT)
    share: Share | None = None


# --- reading ----------------------------------------------------------------------------------------


def shared_clause(viewer: Viewer) -> Any:
    """SQL: the annotations `viewer` may read (their own, shared with them, or with the
    secretariat when they are of it), on documents they may read (the caller's check)."""
    to_me = col(Annotation.id).in_(
        select(AnnotationShare.annotation_id).where(AnnotationShare.user_id == viewer.user_id)
    )
    clauses = [col(Annotation.user_id) == viewer.user_id, to_me]
    if viewer.has("secretariat"):
        clauses.append(col(Annotation.share_secretariat).is_(True))
    return or_(*clauses)


def list_visible(*, session: Session, document_id: int, viewer: Viewer) -> list[Annotation]:
    """The viewer's own annotations on the document and those shared with them, by page."""
    return list(
        session.exec(
            select(Annotation)
            .where(Annotation.document_id == document_id, shared_clause(viewer))
            .order_by(col(Annotation.page), col(Annotation.id))
        ).all()
    )


def get_visible(*, session: Session, annotation_id: int, viewer: Viewer) -> Annotation:
    found = session.exec(
        select(Annotation).where(Annotation.id == annotation_id, shared_clause(viewer))
    ).first()
    if found is None:
        raise NotFound()
    return found


def get_own(*, session: Session, annotation_id: int, user_id: int) -> Annotation:
    """The user's own annotation; NotFound for anyone else's, shared with them or not."""
    found = session.get(Annotation, annotation_id)
    if found is None or found.user_id != user_id:
        raise NotFound()
    return found


def shares_of(session: Session, annotation_ids: Iterable[int]) -> dict[int, list[int]]:
    ids = list(annotation_ids)
    found: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        for annotation_id, user_id in session.exec(
            select(AnnotationShare.annotation_id, AnnotationShare.user_id)
            .where(col(AnnotationShare.annotation_id).in_(ids))
            .order_by(col(AnnotationShare.user_id))
        ).all():
            found[int(annotation_id)].append(int(user_id))
    return found


def public_list(session: Session, found: list[Annotation], viewer: Viewer) -> list[dict[str, Any]]:
    """Each annotation as the API shows it; the sharing only to its author."""
    ids = [a.id for a in found if a.id is not None]
    shares = shares_of(session, [a.id for a in found if a.id is not None and a.user_id == viewer.user_id])
    authors = {a.user_id for a in found}
    names = (
        dict(session.exec(select(User.id, User.full_name).where(col(User.id).in_(authors))).all())
        if ids
        else {}
    )
    return [public(a, viewer, names.get(a.user_id, ""), shares.get(a.id or 0)) for a in found]


def public(found: Annotation, viewer: Viewer, author_name: str, share: list[int] | None) -> dict[str, Any]:
    mine = found.user_id == viewer.user_id
    shown: dict[str, Any] = {
        "id": found.id,
        "document_id": found.document_id,
        "kind": found.kind,
        "version": found.version,
        "page": found.page,
        "exact": found.exact,
        "prefix": found.prefix,
        "suffix": found.suffix,
        "text": found.text,
        "state": found.state,
        "mine": mine,
        "author": {"user_id": found.user_id, "name": author_name},
        "created_at": iso(found.created_at),
        "updated_at": iso(found.updated_at),
    }
    if mine:
        shown["share"] = {"secretariat": found.share_secretariat, "user_ids": list(share or [])}
    return shown


# --- checking ---------------------------------------------------------------------------------------


def check_text(text: str) -> str:
    if len(text) > MAX_TEXT:
        raise RuleBroken(N_("Ghi chú dài quá {limit} ký tự."), code="note_too_long", limit=MAX_TEXT)
    return text


def check_share(share: Share | None, audience: set[int], author_id: int) -> tuple[bool, list[int]]:
    """The secretariat flag and the user ids, each of whom must be in `audience` (the people the
    author may share this document with)."""
    if share is None:
        return False, []
    ids = sorted(set(share.user_ids))
    if author_id in ids or not set(ids) <= audience:
        raise RuleBroken(N_("Chỉ chia sẻ được với người dự họp có quyền đọc tài liệu này."), code="bad_share")
    return share.secretariat, ids


def check_quote(body: AnnotationNew, pages: list[str] | None) -> None:
    """The page exists and `exact` is on it (as the version's text gives it); 422 otherwise."""
    count = len(pages or [])
    if not 1 <= body.page <= max(count, 1):
        raise RuleBroken(
            N_("Trang {page} không có trong tài liệu (từ 1 đến {pages})."),
            code="page_out_of_range",
            page=body.page,
            pages=count,
        )
    if not normalise(body.exact):
        raise InvalidInput(N_("Cần chọn một đoạn văn bản."), code="quote_required")
    quote = Quote(body.exact, body.prefix, body.suffix, body.page)
    if pages is None or find(pages, quote, fuzzy=False, only_hint=True) is None:
        raise RuleBroken(
            N_("Đoạn văn bản đã chọn không có ở trang {page} của bản {version}."),
            code="quote_not_on_page",
            page=body.page,
            version=body.version,
        )


# --- changing ---------------------------------------------------------------------------------------


def create(
    *,
    session: Session,
    user_id: int,
    document_id: int,
    latest_version: int,
    body: AnnotationNew,
    pages: list[str] | None,
    audience: set[int],
) -> Annotation:
    """Add the user's annotation on the latest version of the document.

    `pages` are that version's page texts (None when they cannot be read), `audience` the users
    the author may share with. 409 when `version` is not the latest; 422 when the quote is not
    on that page, the note too long or a share not allowed.
    """
    if body.version != latest_version:
        raise WrongState(
            N_("Tài liệu đã có bản mới (bản {version}); hãy mở bản mới để ghi chú."),
            code="not_latest_version",
            version=latest_version,
        )
    text = check_text(body.text) if body.kind == "note" else ""
    check_quote(body, pages)
    secretariat, ids = check_share(body.share, audience, user_id)
    now = utcnow()
    found = Annotation(
        user_id=user_id,
        document_id=document_id,
        version=body.version,
        kind=body.kind,
        page=body.page,
        exact=normalise(body.exact),
        prefix=normalise_context(body.prefix),
        suffix=normalise_context(body.suffix),
        text=text,
        share_secretariat=secretariat,
        created_at=now,
        updated_at=now,
    )
    session.add(found)
    session.flush()
    assert found.id is not None
    for other in ids:
        session.add(AnnotationShare(annotation_id=found.id, user_id=other))
    reindex(session, found)
    events.append(
        session,
        k.AnnotationCreated(
            annotation_id=found.id,
            document_id=document_id,
            version=found.version,
            page=found.page,
            user_id=user_id,
            annotation_kind=found.kind,
            shared_with=ids,
            secretariat=secretariat,
        ),
        actor_id=user_id,
    )
    session.flush()
    return found


def update(
    *, session: Session, annotation_id: int, user_id: int, change: AnnotationChange, audience: set[int]
) -> Annotation:
    """Change the note's text or the sharing of the user's own annotation (others: 404)."""
    found = get_own(session=session, annotation_id=annotation_id, user_id=user_id)
    assert found.id is not None
    before = shares_of(session, [found.id])[found.id]
    was_secretariat = found.share_secretariat
    text_changed = False
    if change.text is not None and found.kind == "note" and change.text != found.text:
        found.text = check_text(change.text)
        text_changed = True
    ids = before
    if change.share is not None:
        secretariat, ids = check_share(change.share, audience | set(before), user_id)
        found.share_secretariat = secretariat
        session.execute(delete(AnnotationShare).where(col(AnnotationShare.annotation_id) == found.id))
        for other in ids:
            session.add(AnnotationShare(annotation_id=found.id, user_id=other))
    if not text_changed and ids == before and found.share_secretariat == was_secretariat:
        return found  # nothing changed: no event
    found.updated_at = utcnow()
    session.add(found)
    if text_changed:
        reindex(session, found)
    events.append(
        session,
        k.AnnotationChanged(
            annotation_id=found.id,
            document_id=found.document_id,
            user_id=user_id,
            text_changed=text_changed,
            shared_with=ids,
            secretariat=found.share_secretariat,
            added=sorted(set(ids) - set(before)),
            unshared=sorted(set(before) - set(ids)),
            was_secretariat=was_secretariat,
        ),
        actor_id=user_id,
    )
    session.flush()
    return found


def remove(*, session: Session, annotation_id: int, user_id: int) -> None:
    """Delete the user's own annotation (others: 404)."""
    found = get_own(session=session, annotation_id=annotation_id, user_id=user_id)
    assert found.id is not None
    ids = shares_of(session, [found.id])[found.id]
    events.append(
        session,
        k.AnnotationDeleted(
            annotation_id=found.id,
            document_id=found.document_id,
            user_id=user_id,
            shared_with=ids,
            secretariat=found.share_secretariat,
        ),
        actor_id=user_id,
    )
    session.execute(delete(AnnotationShare).where(col(AnnotationShare.annotation_id) == found.id))
    index.remove(session, SEARCH_KIND, found.id)
    session.delete(found)
    session.flush()


def reindex(session: Session, found: Annotation) -> None:
    """The annotation in the search index: its quote as the title, its note as the body."""
    assert found.id is not None
    index.put(session, SEARCH_KIND, found.id, found.exact, found.text)


def index_all(session: Session) -> None:
    """Every annotation into the search index (`run.py reindex`)."""
    for found in session.exec(select(Annotation).order_by(col(Annotation.id))):
        reindex(session, found)
