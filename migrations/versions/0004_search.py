"""search: document text, the search index (FTS5 on SQLite, tsvector + GIN on PostgreSQL)

Revision ID: 0004_search
Revises: 0003
Create Date: 2026-12-01 09:00:00.000000

An existing database gets its index filled here from its programme, meetings and agenda
(plain SQL, so later changes to the models cannot break this step). Papers uploaded before
this revision have no extracted text yet: `python run.py reindex` extracts it and rebuilds the
whole index (docs/search.md).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from agenda.search.text_search import index_body, index_title

revision = "0004_search"
down_revision = "0003"
branch_labels = None
depends_on = None

SQLITE_FTS = [
    """CREATE VIRTUAL TABLE search_index USING fts5(
        kind UNINDEXED, ref_id UNINDEXED, title, body,
        content='search_entry', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER search_entry_ai AFTER INSERT ON search_entry BEGIN
        INSERT INTO search_index(rowid, kind, ref_id, title, body)
        VALUES (new.id, new.kind, new.ref_id, new.title, new.body);
    END""",
    """CREATE TRIGGER search_entry_ad AFTER DELETE ON search_entry BEGIN
        INSERT INTO search_index(search_index, rowid, kind, ref_id, title, body)
        VALUES ('delete', old.id, old.kind, old.ref_id, old.title, old.body);
    END""",
    """CREATE TRIGGER search_entry_au AFTER UPDATE ON search_entry BEGIN
        INSERT INTO search_index(search_index, rowid, kind, ref_id, title, body)
        VALUES ('delete', old.id, old.kind, old.ref_id, old.title, old.body);
        INSERT INTO search_index(rowid, kind, ref_id, title, body)
        VALUES (new.id, new.kind, new.ref_id, new.title, new.body);
    END""",
]

POSTGRES_TSV = [
    """ALTER TABLE search_entry ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B')
    ) STORED""",
    "CREATE INDEX ix_search_entry_tsv ON search_entry USING gin (tsv)",
]


def upgrade() -> None:
    op.create_table(
        "document_text",
        sa.Column("document_version_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["document_version_id"], ["document_version.id"]),
        sa.PrimaryKeyConstraint("document_version_id"),
    )
    op.create_table(
        "search_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_search_entry_kind_ref", "search_entry", ["kind", "ref_id"], unique=True)
    bind = op.get_bind()
    for statement in SQLITE_FTS if bind.dialect.name == "sqlite" else POSTGRES_TSV:
        op.execute(statement)
    backfill(bind)


def backfill(bind: sa.engine.Connection) -> None:
    """Index what an existing database already holds (nothing, for a new one)."""
    entries: list[dict[str, object]] = []

    def add(kind: str, ref_id: int, title: str, body: str) -> None:
        entries.append(
            {"kind": kind, "ref_id": ref_id, "title": index_title(title), "body": index_body(body)}
        )

    for ref_id, code, title, agency in bind.execute(
        sa.text("SELECT id, code, title, lead_agency FROM programme_item")
    ):
        add("programme_item", ref_id, f"{code} {title}", agency or "")
    for ref_id, title, place in bind.execute(sa.text("SELECT id, title, place FROM meeting")):
        add("meeting", ref_id, title, place or "")
    for ref_id, title, presenter, conclusion in bind.execute(
        sa.text("SELECT id, title, presenter, conclusion FROM agenda_item")
    ):
        add("agenda_item", ref_id, title, presenter or "")
        if (conclusion or "").strip():
            add("conclusion", ref_id, title, conclusion)
    for ref_id, title in bind.execute(sa.text("SELECT id, title FROM document")):
        add("document", ref_id, title, "")
    if entries:
        bind.execute(
            sa.text(
                "INSERT INTO search_entry (kind, ref_id, title, body) VALUES (:kind, :ref_id, :title, :body)"
            ),
            entries,
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("search_entry_au", "search_entry_ad", "search_entry_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_index")
    op.drop_index("ix_search_entry_kind_ref", table_name="search_entry")
    op.drop_table("search_entry")
    op.drop_table("document_text")
