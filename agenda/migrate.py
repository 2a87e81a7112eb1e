"""Apply Alembic migrations (migrations/ at the repository root) to an engine."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Upgrade to every head: features developed side by side may add branches, which a merge
    revision later joins; "heads" applies them all either way."""
    command.upgrade(alembic_config(engine), revision)
