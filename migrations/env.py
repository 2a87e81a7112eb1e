"""Alembic environment: the engine comes from the caller (agenda.migrate) or DATABASE_URL."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import context

from agenda import models
from agenda.db import make_engine, sqlite_url

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    url = os.environ.get("DATABASE_URL") or sqlite_url(Path(os.environ.get("DATA_DIR", "var")))
    engine = make_engine(url, pool_size=0)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=models.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
