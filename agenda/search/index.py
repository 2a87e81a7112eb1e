"""The search index: the `search_entry` table the subsystems write, and the extracted texts.
See docs/search.md.

Each subsystem indexes its own things in its own transaction (programme.index_programme_item,
meetings.index_meeting, agenda_items.index_agenda_item, documents.index_document_version), so
this module knows only kinds, ids and text; the queries over it (agenda/search/queries.py) sit on
top of every subsystem. On SQLite an FTS5 table (`search_index`, external content, kept in step by
triggers) indexes `search_entry`; on PostgreSQL a generated tsvector column with a GIN index does.
Both engines hold folded text (agenda.search.text_search.fold).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, Select, Text, delete, func, insert, literal_column, table
from sqlalchemy import column as sa_column
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.search.text_search import index_body, index_title, query_terms


class SearchEntry(SQLModel, table=True):
    """One searchable thing, its title and body folded (the index tokenizes these)."""

    __tablename__ = "search_entry"
    __table_args__ = (Index("ix_search_entry_kind_ref", "kind", "ref_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    ref_id: int
    title: str = Field(default="", sa_type=Text)
    body: str = Field(default="", sa_type=Text)


class DocumentText(SQLModel, table=True):
    """The text of a document version, extracted once at upload in the PDF sandbox."""

    __tablename__ = "document_text"

    document_version_id: int = Field(foreign_key="document_version.id", primary_key=True)
    text: str = Field(default="", sa_type=Text)


def put(session: Session, kind: str, ref_id: int, title: str, body: str) -> None:
    remove(session, kind, ref_id)
    session.execute(
        insert(SearchEntry).values(kind=kind, ref_id=ref_id, title=index_title(title), body=index_body(body))
    )


def remove(session: Session, kind: str, ref_id: int) -> None:
    """Drop one thing from the index (nothing happens when it is not there)."""
    session.execute(
        delete(SearchEntry).where(col(SearchEntry.kind) == kind, col(SearchEntry.ref_id) == ref_id)
    )


def store_text(session: Session, document_version_id: int, text: str) -> None:
    """Keep the text extracted from a version (once, at upload). No engine stores a NUL."""
    session.add(DocumentText(document_version_id=document_version_id, text=text.replace("\x00", " ")))
    session.flush()


def match_expression(dialect: str, terms: list[str], *, phrase: bool) -> str:
    """The engine's query for `terms`, the last one a prefix; with `phrase`, the words must be
    together in the title. The terms are letters and digits only, so nothing in them is syntax."""
    if dialect == "postgresql":
        if phrase:
            return " <-> ".join([*(f"{t}:A" for t in terms[:-1]), f"{terms[-1]}:*A"])
        return " & ".join([*terms[:-1], f"{terms[-1]}:*"])
    if phrase:
        return f'title : "{" ".join(terms)}" *'
    return " ".join([*(f'"{t}"' for t in terms[:-1]), f'"{terms[-1]}" *'])


def matching_refs(session: Session, kind: str, q: str) -> Select[Any] | None:
    """The ref_ids of `kind` whose folded title or body holds every word of `q` (the last one a
    prefix), matched as the search box matches (queries.search); None when `q` has no word.
    A page's own filter (the programme's search) uses it as a subquery."""
    terms = query_terms(q)
    if not terms:
        return None
    dialect = session.get_bind().dialect.name
    expression = match_expression(dialect, terms, phrase=False)
    statement = select(SearchEntry.ref_id).where(col(SearchEntry.kind) == kind)
    if dialect == "postgresql":
        query = func.to_tsquery(literal_column("'simple'"), expression)
        return statement.where(literal_column("search_entry.tsv").op("@@")(query))
    fts = table("search_index", sa_column("rowid"))
    return statement.join(fts, fts.c.rowid == SearchEntry.id).where(
        literal_column("search_index").op("MATCH")(expression)
    )
