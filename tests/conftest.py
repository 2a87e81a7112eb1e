"""Fixtures: a real database per test (SQLite always, PostgreSQL when TEST_DATABASE_URL is set),
the app built by its factory, and a TestClient that runs the lifespan.

PostgreSQL tests each get a schema of their own, selected through `search_path` in the URL, so
migrations and the append-only triggers land there; the schema is dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from agenda import clock
from agenda.db import Database
from meeting_app.app import create_app
from meeting_app.context import AppContext
from meeting_app.settings import Settings

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()

ENGINES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


def plain_postgres_url(url: str) -> str:
    """The URL as libpq takes it: `postgresql://`, without a SQLAlchemy driver suffix."""
    scheme, _, rest = url.partition("://")
    return f"postgresql://{rest}" if scheme.startswith("postgres") else url


def with_search_path(url: str, schema: str) -> str:
    separator = "&" if urlsplit(url).query else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


@contextmanager
def fresh_database(engine: str, directory: Path) -> Iterator[str]:
    """The URL of a new, empty database: a SQLite file in `directory`, or a PostgreSQL schema."""
    if engine == "sqlite":
        yield f"sqlite:///{directory / 'test.sqlite3'}"
        return
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    base = plain_postgres_url(TEST_DATABASE_URL)
    schema = f"t_{uuid.uuid4().hex}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield with_search_path(base, schema)
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute("SET lock_timeout = '20s'")
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def running_client(directory: Path, database_url: str) -> Iterator[TestClient]:
    settings = Settings.from_env({"DATA_DIR": str(directory)}, database_url=database_url)
    with TestClient(create_app(settings), base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for one test."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings.from_env({"DATA_DIR": str(tmp_path)}, database_url=database_url)


@pytest.fixture
def app(settings: Settings) -> Starlette:
    return create_app(settings)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def app_context(client: TestClient) -> AppContext:
    """What the running app's lifespan yielded."""
    return context_of(client)


@pytest.fixture
def db(app_context: AppContext) -> Database:
    """The app's own Database (migrated by the lifespan), for domain-level setup and checks."""
    return app_context.db


def context_of(client: TestClient) -> AppContext:
    context: AppContext = client.app_state["ctx"]
    return context


# A database and a running app shared by the tests of one module, for read-only tests that need
# a large cast of users (argon2 makes every account and every login cost ~0.1 s).


@pytest.fixture(scope="module", params=ENGINES)
def shared_client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    directory = tmp_path_factory.mktemp("shared")
    with fresh_database(request.param, directory) as url, running_client(directory, url) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def shared_db(shared_client: TestClient) -> Database:
    return context_of(shared_client).db


@pytest.fixture(autouse=True)
def _release_clock() -> Iterator[None]:
    """A test that freezes the clock never leaks the frozen time into the next one."""
    try:
        yield
    finally:
        clock.freeze(None)
