"""The migrations build exactly the tables the models describe (a model change without its
migration fails here), on SQLite; the whole suite runs on the migrated schema of both engines."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import agenda.models  # noqa: F401  (imports every table)
from agenda.db import make_engine
from agenda.migrate import upgrade

# Tables the migrations make that no model describes: the search index (FTS5 and its shadow
# tables on SQLite), managed with SQL of its own.
NOT_MODELS = ("search_",)


def test_migrations_match_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    upgrade(engine)
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    engine.dispose()

    def table_of(diff: object) -> str:
        found = diff[1] if isinstance(diff, tuple) and len(diff) > 1 else None
        name = getattr(found, "name", None) or getattr(getattr(found, "table", None), "name", "")
        return str(name)

    real = [d for d in diffs if not (isinstance(d, tuple) and table_of(d).startswith(NOT_MODELS))]
    assert real == []
