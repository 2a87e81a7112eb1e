"""One search over the programme, meetings, agenda items, conclusions, papers and tasks. See
docs/search.md.

The index is a plain table, `search_entry` (kind, ref_id, folded title, folded body; see
agenda/search/index.py), written by the domain functions that change what it covers, in their
own transaction. The query is folded as the index is (agenda.search.text_search.fold). This
module sits above every subsystem it searches, so it imports them at the top.

What a viewer gets is filtered twice: in SQL by the meetings and agenda items they may see, and
then each hit again by the visibility functions the pages use (meetings.can_see,
agenda_items.get_agenda_item, access.papers.get_visible_document, hidden_programme_ids,
tasks.views.can_see). An `agency` account (cán bộ đầu mối) finds only its own agency's programme
items and the tasks it may see (docs/follow-through.md "Who sees what").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    and_,
    delete,
    func,
    literal_column,
    or_,
    table,
)
from sqlalchemy import column as sa_column
from sqlalchemy import text as sql_text
from sqlmodel import Session, col, select

from agenda.access.papers import get_visible_document
from agenda.agencies.registry import Agency
from agenda.clock import to_local
from agenda.errors import InvalidInput, NotFound
from agenda.meetings.agenda_items import (
    AgendaAudience,
    AgendaItem,
    get_agenda_item,
    hidden_programme_ids,
    index_agenda_item,
)
from agenda.meetings.meetings import Meeting, get_meeting, index_meeting, list_meetings
from agenda.papers import annotations as annotation_notes
from agenda.papers.annotations import Annotation
from agenda.papers.documents import Document, index_document_version, latest_text
from agenda.polls.opinion_polls import OpinionPoll, PollRecipient
from agenda.programme.programme import ProgrammeItem, index_programme_item
from agenda.search.index import SearchEntry, match_expression
from agenda.search.text_search import (
    MAX_QUERY_CHARS,
    MAX_SNIPPET_SCAN,
    Highlighter,
    query_terms,
    snippet,
)
from agenda.tasks import views as task_views
from agenda.tasks.indexing import index_task
from agenda.tasks.models import Task
from agenda.text import N_
from agenda.viewer import Viewer

KINDS = ("programme_item", "meeting", "agenda_item", "conclusion", "document", "task", "annotation")
MAX_LIMIT = 50
ROUNDS = 4  # over-fetching rounds before giving up on filling `limit` with visible hits
RANK_WEIGHTS = "0.0, 0.0, 10.0, 1.0"  # bm25 per column of search_index: kind, ref_id, title, body


# --- keeping the index current -------------------------------------------------------------------


def rebuild(session: Session) -> int:
    """Index everything again from the tables; the number of entries."""
    session.execute(delete(SearchEntry))
    for item in session.exec(select(ProgrammeItem).order_by(col(ProgrammeItem.id))):
        index_programme_item(session, item)
    for meeting in session.exec(select(Meeting).order_by(col(Meeting.id))):
        index_meeting(session, meeting)
    for agenda_item in session.exec(select(AgendaItem).order_by(col(AgendaItem.id))):
        index_agenda_item(session, agenda_item)
    for document in session.exec(select(Document).order_by(col(Document.id))):
        index_document_version(session, document)
    for task in session.exec(select(Task).order_by(col(Task.id))):
        index_task(session, task)
    annotation_notes.index_all(session)
    if session.get_bind().dialect.name == "sqlite":
        session.execute(sql_text("INSERT INTO search_index(search_index) VALUES ('rebuild')"))
    return int(session.exec(select(func.count()).select_from(SearchEntry)).one())


# --- asking ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One result, as plain text: the page escapes it, `highlights` say where the words are."""

    type: str
    id: int
    title: str
    snippet: str
    url: str
    highlights: list[tuple[int, int]] = field(default_factory=list)
    title_highlights: list[tuple[int, int]] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "id": self.id,
            "title": self.title,
            "snippet": self.snippet,
            "url": self.url,
            "highlights": [list(span) for span in self.highlights],
            "title_highlights": [list(span) for span in self.title_highlights],
        }


def check_query(q: str | None) -> str:
    """The query, trimmed; 400 when it is empty or longer than MAX_QUERY_CHARS."""
    value = (q or "").replace("\x00", " ").strip()
    if not value:
        raise InvalidInput(N_("Hãy nhập nội dung cần tìm."), code="query_required")
    if len(value) > MAX_QUERY_CHARS:
        raise InvalidInput(
            N_("Nội dung tìm kiếm quá dài (tối đa {limit} ký tự)."),
            code="query_too_long",
            limit=MAX_QUERY_CHARS,
        )
    return value


def check_limit(raw: str | None, default: int = 20) -> int:
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 3 or not 1 <= int(raw) <= MAX_LIMIT:
        raise InvalidInput(N_("Số kết quả phải từ 1 đến {limit}."), code="bad_limit", limit=MAX_LIMIT)
    return int(raw)


def search(
    *, session: Session, viewer: Viewer, q: str, limit: int = 20, can_read_programme: bool
) -> list[Hit]:
    """Up to `limit` hits for `q` that `viewer` may see, best first.

    `can_read_programme` says whether the viewer's roles may read the work programme (the web
    layer's rule). Raises InvalidInput for an empty or too long query or a bad limit.
    """
    q = check_query(q)
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(N_("Số kết quả phải từ 1 đến {limit}."), code="bad_limit", limit=MAX_LIMIT)
    terms = query_terms(q)
    if not terms:
        return []
    scope = Scope.of(session, viewer, can_read_programme)
    where = scope.where()
    if where is None:
        return []
    highlighter = Highlighter(terms)
    hits: list[Hit] = []
    seen: set[tuple[str, int]] = set()
    batch = limit * 2 + 10
    # Titles holding the words together come first, then everything holding them all.
    for phrase in (True, False) if len(terms) > 1 else (False,):
        for round_ in range(ROUNDS):
            rows = _candidates(session, terms, where, phrase=phrase, offset=round_ * batch, limit=batch)
            for kind, ref_id in rows:
                if (kind, ref_id) in seen:
                    continue
                seen.add((kind, ref_id))
                hit = LOADERS[kind](session, scope, ref_id, highlighter)
                if hit is not None:
                    hits.append(hit)
                    if len(hits) == limit:
                        return hits
            if len(rows) < batch:
                break
    return hits


def _candidates(
    session: Session,
    terms: list[str],
    where: ColumnElement[bool],
    *,
    phrase: bool,
    offset: int,
    limit: int,
) -> list[tuple[str, int]]:
    """(kind, ref_id) of the entries matching `terms` (match_expression), best first."""
    dialect = session.get_bind().dialect.name
    expression = match_expression(dialect, terms, phrase=phrase)
    newest = col(SearchEntry.id).desc()  # the tie-break: the most recently indexed first
    rank: ColumnElement[Any]
    if dialect == "postgresql":
        query = func.to_tsquery(literal_column("'simple'"), expression)
        vector: ColumnClause[Any] = literal_column("search_entry.tsv")
        rank = func.ts_rank(vector, query)
        statement = (
            select(SearchEntry.kind, SearchEntry.ref_id)
            .where(vector.op("@@")(query), where)
            .order_by(rank.desc(), newest)
        )
    else:
        fts = table("search_index", sa_column("rowid"))
        rank = literal_column(f"bm25(search_index, {RANK_WEIGHTS})")
        statement = (
            select(SearchEntry.kind, SearchEntry.ref_id)
            .join(fts, fts.c.rowid == SearchEntry.id)
            .where(literal_column("search_index").op("MATCH")(expression), where)
            .order_by(rank, newest)
        )
    rows = session.exec(statement.offset(offset).limit(limit)).all()
    return [(str(kind), int(ref_id)) for kind, ref_id in rows]


# --- who may see what ------------------------------------------------------------------------------


@dataclass
class Scope:
    """What one viewer may see, computed once per search."""

    viewer: Viewer
    can_read_programme: bool
    meeting_ids: list[int] | None  # None: every meeting (staff)
    hidden_programme: set[int]
    own_agency: int | None = None  # an agency-only account: its agency's programme items only

    @classmethod
    def of(cls, session: Session, viewer: Viewer, can_read_programme: bool) -> Scope:
        meeting_ids = None
        if not viewer.is_staff:
            meeting_ids = [m.id for m in list_meetings(session=session, viewer=viewer) if m.id is not None]
        hidden = hidden_programme_ids(session=session, viewer=viewer) if can_read_programme else set()
        return cls(viewer, can_read_programme, meeting_ids, hidden, agency_only(viewer))

    def reads_tasks(self) -> bool:
        return self.viewer.has(*task_views.READERS)

    def where(self) -> ColumnElement[bool] | None:
        """The SQL filter on search_entry; None when the viewer may see nothing at all."""
        kind, ref = col(SearchEntry.kind), col(SearchEntry.ref_id)
        # Annotations: one's own and those shared with one, nobody else's (docs/annotations.md).
        mine = select(Annotation.id).where(annotation_notes.shared_clause(self.viewer))
        clauses: list[ColumnElement[bool]] = [and_(kind == annotation_notes.SEARCH_KIND, ref.in_(mine))]
        if self.can_read_programme:
            programme = kind == "programme_item"
            if self.hidden_programme:
                programme = and_(programme, ref.not_in(sorted(self.hidden_programme)))
            if self.own_agency is not None:
                own = select(ProgrammeItem.id).where(ProgrammeItem.lead_agency_id == self.own_agency)
                programme = and_(programme, ref.in_(own))
            clauses.append(programme)
        if self.reads_tasks():
            visible = task_views.visible_clause(self.viewer)
            tasks = kind == "task"
            clauses.append(tasks if visible is None else and_(tasks, ref.in_(select(Task.id).where(visible))))
        if self.meeting_ids is None:
            clauses.append(kind.in_(("meeting", "agenda_item", "conclusion", "document")))
            return or_(*clauses)
        viewer = self.viewer
        member = viewer.member_id if viewer.has("member", "assistant") else None
        # Papers: those of items on agenda items the viewer may see, and (access.papers.
        # can_view_programme_papers) those an opinion ballot sent to the viewer's member carries.
        sources: list[ColumnElement[bool]] = []
        if self.meeting_ids:
            shown_items: ColumnElement[bool] = col(AgendaItem.restricted).is_(False)
            if member is not None:
                in_audience = select(AgendaAudience.agenda_item_id).where(AgendaAudience.member_id == member)
                chaired = select(Meeting.id).where(Meeting.chair_member_id == member)
                shown_items = or_(
                    shown_items, col(AgendaItem.id).in_(in_audience), col(AgendaItem.meeting_id).in_(chaired)
                )
            items = select(AgendaItem.id).where(col(AgendaItem.meeting_id).in_(self.meeting_ids), shown_items)
            clauses += [
                and_(kind == "meeting", ref.in_(self.meeting_ids)),
                and_(kind.in_(("agenda_item", "conclusion")), ref.in_(items)),
            ]
            on_agenda = select(AgendaItem.programme_item_id).where(col(AgendaItem.id).in_(items))
            sources.append(col(Document.programme_item_id).in_(on_agenda))
        if member is not None:
            polled = (
                select(OpinionPoll.programme_item_id)
                .join(PollRecipient, col(PollRecipient.poll_id) == OpinionPoll.id)
                .where(PollRecipient.member_id == member)
            )
            sources.append(col(Document.programme_item_id).in_(polled))
        if sources:
            clauses.append(and_(kind == "document", ref.in_(select(Document.id).where(or_(*sources)))))
        return or_(*clauses) if clauses else None


# --- each kind of hit, checked again with the pages' own rules ------------------------------------


def _hit(kind: str, ref_id: int, title: str, text: str, url: str, highlighter: Highlighter) -> Hit:
    shown, spans = snippet(text, highlighter)
    return Hit(kind, ref_id, title, shown, url, spans, highlighter.spans(title))


def _programme_item(session: Session, scope: Scope, ref_id: int, highlighter: Highlighter) -> Hit | None:

    item = session.get(ProgrammeItem, ref_id)
    if item is None or not scope.can_read_programme or ref_id in scope.hidden_programme:
        return None
    if scope.own_agency is not None and item.lead_agency_id != scope.own_agency:
        return None
    text = f"{item.code} · {item.lead_agency}"
    return _hit("programme_item", ref_id, item.title, text, f"/programme/{ref_id}", highlighter)


def _meeting(session: Session, scope: Scope, ref_id: int, highlighter: Highlighter) -> Hit | None:

    try:
        meeting = get_meeting(session=session, meeting_id=ref_id, viewer=scope.viewer)
    except NotFound:
        return None
    when = to_local(meeting.starts_at).strftime("%H:%M %d/%m/%Y")
    text = " · ".join(part for part in (meeting.place, when) if part)
    return _hit("meeting", ref_id, meeting.title, text, f"/meetings/{ref_id}", highlighter)


def _visible_item(session: Session, scope: Scope, ref_id: int) -> tuple[AgendaItem, Meeting] | None:
    try:
        item = get_agenda_item(session=session, agenda_item_id=ref_id, viewer=scope.viewer)
    except NotFound:
        return None
    meeting = session.get(Meeting, item.meeting_id)
    return (item, meeting) if meeting is not None else None


def _agenda_item(session: Session, scope: Scope, ref_id: int, highlighter: Highlighter) -> Hit | None:
    found = _visible_item(session, scope, ref_id)
    if found is None:
        return None
    item, meeting = found
    text = " · ".join(part for part in (item.presenter, meeting.title) if part)
    url = f"/meetings/{meeting.id}#item-{ref_id}"
    return _hit("agenda_item", ref_id, item.title, text, url, highlighter)


def _conclusion(session: Session, scope: Scope, ref_id: int, highlighter: Highlighter) -> Hit | None:
    found = _visible_item(session, scope, ref_id)
    if found is None or not (found[0].conclusion or "").strip():
        return None
    item, meeting = found
    url = f"/meetings/{meeting.id}#item-{ref_id}"
    return _hit("conclusion", ref_id, item.title, item.conclusion or "", url, highlighter)


def _document(session: Session, scope: Scope, ref_id: int, highlighter: Highlighter) -> Hit | None:

    try:
        document = get_visible_document(session=session, document_id=ref_id, viewer=scope.viewer)
    except NotFound:
        return None
    text = latest_text(session, ref_id, limit=MAX_SNIPPET_SCAN)
    return _hit("document", ref_id, document.title, text, f"/documents/{ref_id}/read", highlighter)


def _task(session: Session, scope: Scope, ref_id: int, highlighter: Highlighter) -> Hit | None:
    task = session.get(Task, ref_id)
    if task is None or not scope.reads_tasks() or not task_views.can_see(session, scope.viewer, task):
        return None
    agency = session.get(Agency, task.lead_agency_id)
    parts = (task.code, agency.name if agency else "", task.due_on.strftime("%d/%m/%Y"), task.description)
    text = " · ".join(part for part in parts if part)
    return _hit("task", ref_id, task.title, text, f"/tasks/{ref_id}", highlighter)


def _annotation(session: Session, scope: Scope, ref_id: int, highlighter: Highlighter) -> Hit | None:
    try:
        found = annotation_notes.get_visible(session=session, annotation_id=ref_id, viewer=scope.viewer)
        document = get_visible_document(session=session, document_id=found.document_id, viewer=scope.viewer)
    except NotFound:
        return None
    text = f"{found.text} · “{found.exact}”" if found.text else f"“{found.exact}”"
    url = f"/documents/{document.id}/read#annotation-{ref_id}"
    return _hit("annotation", ref_id, document.title, text, url, highlighter)


def agency_only(viewer: Viewer) -> int | None:
    """The agency of an account that reads only as an agency's focal point (no other reading role)."""
    if viewer.has("agency") and not viewer.has("secretariat", "chair", "member", "assistant", "observer"):
        return viewer.agency_id if viewer.agency_id is not None else -1
    return None


LOADERS: dict[str, Callable[[Session, Scope, int, Highlighter], Hit | None]] = {
    "programme_item": _programme_item,
    "meeting": _meeting,
    "agenda_item": _agenda_item,
    "conclusion": _conclusion,
    "document": _document,
    "task": _task,
    "annotation": _annotation,
}


def grouped(hits: list[Hit]) -> Iterator[tuple[str, list[Hit]]]:
    """The hits by type, in KINDS order, each group keeping the rank order."""
    for kind in KINDS:
        found = [h for h in hits if h.type == kind]
        if found:
            yield kind, found
