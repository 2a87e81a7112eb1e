"""Fixtures: a real database per test (SQLite always, PostgreSQL when TEST_DATABASE_URL is set),
the app built by its factory, and a TestClient that runs the lifespan.

Each test's database is a copy of one migrated once per test process (one per xdist worker):
- SQLite: a file copy of the migrated template file;
- PostgreSQL: a schema of the test database, selected through `search_path` in the URL,
  migrated once and emptied before each reuse (`Templates`).
The app's lifespan still runs the migrations, which find nothing to do. Tests that need an
empty database (migrating from an old revision) use `fresh_database`.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from agenda import clock
from agenda.db import Database, make_engine
from agenda.demo import demo, demo_papers
from agenda.migrate import upgrade
from agenda.people import accounts
from agenda.people.accounts import PasswordCost
from meeting_app.app import create_app
from meeting_app.context import AppContext
from meeting_app.files import pdf_pool
from meeting_app.settings import Settings
from tests.support import schedule

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()

# argon2 at its lowest cost: production's ~0.1 s a hash, paid by every account and login of the
# suite, tests nothing that these parameters do not. The servers that tests start as
# subprocesses inherit it through the environment; `settings_for` passes it explicitly.
TEST_ENV = {"PASSWORD_HASH_TIME_COST": "1", "PASSWORD_HASH_MEMORY_KIB": "8", "PASSWORD_HASH_PARALLELISM": "1"}
os.environ.update(TEST_ENV)
CHEAP = PasswordCost(time_cost=1, memory_kib=8, parallelism=1)
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
# SoftHSM2 reads its configuration once per process: one token folder per test process, made by
# `make test` under .softhsm/ (or here, when pytest runs alone). Each app gets its own token
# label prefix (settings_for), so that tests enrolling the same username never share a token.
if "SOFTHSM2_CONF" not in os.environ:
    _tokens = Path(tempfile.mkdtemp(prefix=f"softhsm-{WORKER}-"))
    (_tokens / "tokens").mkdir()
    (_tokens / "softhsm2.conf").write_text(
        f"directories.tokendir = {_tokens / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(_tokens / "softhsm2.conf")


@pytest.fixture(autouse=True)
def cheap_hashes() -> None:
    """Every test starts at the suite's cost, whatever the test before it made the process use
    (an in-process app or command with default Settings switches to the recommended one)."""
    accounts.passwords.use(CHEAP)


# The app's PDF pool (meeting_app/files/pdf_pool.py) spawns its workers on first use: each a fresh
# interpreter that imports pytest, pypdf, fpdf2 and the domain before its first job, 1-2 s of CPU,
# paid again by nearly every test that serves a PDF, since each test has its own app. In the suite
# they are forked instead from a fork server that imported all of that once per test process
# (multiprocessing's "forkserver": a clean single-threaded process, the job and its arguments
# pickled exactly as for a spawned worker). tests/test_pdf_pool.py, which tests the pool itself,
# keeps production's spawned workers.
PDF_WORKERS = multiprocessing.get_context("forkserver")
PDF_WORKERS.set_forkserver_preload(["__main__", "pytest", "meeting_app.app"])


def pdf_worker_context(method: str | None = None) -> BaseContext:
    """`multiprocessing.get_context` as the PDF pool calls it, the fork server for "spawn"."""
    return PDF_WORKERS if method == "spawn" else multiprocessing.get_context(method)


@pytest.fixture(autouse=True, scope="session")
def forked_pdf_workers() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdf_pool, "get_context", pdf_worker_context)
        yield


# The demo's papers (agenda/demo/demo_papers.py `render_papers`) are some sixty PDFs drawn with
# fpdf2: about ten seconds of CPU, the same drawing for every seed of the demo. The tests that seed
# it (tests/test_demo_tasks.py, tests/test_search.py, on both engines, and the browser tests' demo
# template, tests/support/browser_server.py) take the papers of the first seed of their process;
# that first seed draws them as `run.py serve --demo` does. The papers are plain data, read only.
_drawn_papers: dict[str, list[Any]] = {}


def demo_papers_drawn_once(rows: Any, *, dossiers: Any, government: Any) -> list[Any]:
    key = repr((rows, dossiers, government))
    if key not in _drawn_papers:
        _drawn_papers[key] = demo_papers.render_papers(rows, dossiers=dossiers, government=government)
    return _drawn_papers[key]


@pytest.fixture(autouse=True, scope="session")
def demo_papers_once() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo, "render_papers", demo_papers_drawn_once)
        yield


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


def settings_for(data_dir: Path, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Settings as `Settings.from_env` reads them, with the suite's cheap password hashing."""
    prefix = {"SIGNING_TOKEN_PREFIX": f"t{uuid.uuid4().hex[:8]}-"}
    given = {**TEST_ENV, **prefix, "DATA_DIR": str(data_dir), **(environ or {})}
    return Settings.from_env(given, **overrides)


class Templates:
    """The migrated databases of this test process, made when first needed and reused.

    - SQLite: one template file, migrated once and copied per test.
    - PostgreSQL: a pool of schemas in the test database, each migrated once. A schema taken
      from the pool is emptied first: every table but `alembic_version` loses its rows and
      every sequence restarts, in one transaction (about 30 ms, where migrating costs 0.3 s
      or more and copying a template database as much again).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sqlite: Path | None = None
        self.free: list[str] = []  # schemas to reuse, each emptied when taken
        self.made = 0
        self.shape: str | None = None  # the migrated schema's catalog fingerprint

    def sqlite_copy(self, target: Path) -> str:
        if self.sqlite is None:
            self.sqlite = self.root / "template.sqlite3"
            engine = make_engine(f"sqlite:///{self.sqlite}", pool_size=0)
            upgrade(engine)
            engine.dispose()
        shutil.copyfile(self.sqlite, target)
        return f"sqlite:///{target}"

    def take_schema(self) -> str:
        base = plain_postgres_url(TEST_DATABASE_URL)
        if self.free:
            schema = self.free.pop()
            with psycopg.connect(base, autocommit=True) as conn:
                empty_schema(conn, schema)
            return schema
        self.made += 1
        schema = f"t_{WORKER}_{self.made}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        engine = make_engine(with_search_path(base, schema), pool_size=0)
        upgrade(engine)
        engine.dispose()
        if self.shape is None:
            with psycopg.connect(base, autocommit=True) as conn:
                self.shape = schema_shape(conn, schema)
        return schema

    def give_back(self, schema: str) -> None:
        """Reuse the schema unless the test changed its shape (the tamper tests drop the event
        log's trigger, for one); such a schema is dropped."""
        with psycopg.connect(plain_postgres_url(TEST_DATABASE_URL), autocommit=True) as conn:
            if schema_shape(conn, schema) == self.shape:
                self.free.append(schema)
                return
            conn.execute("SET lock_timeout = '20s'")
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

    def close(self) -> None:
        if not self.free:
            return
        with psycopg.connect(plain_postgres_url(TEST_DATABASE_URL), autocommit=True) as conn:
            conn.execute("SET lock_timeout = '20s'")
            for schema in self.free:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def schema_shape(conn: psycopg.Connection[Any], schema: str) -> str:
    """The tables, indexes, sequences, triggers, constraints and functions of `schema`, as text."""
    row = conn.execute(
        """
        SELECT md5(concat_ws('|',
            (SELECT string_agg(relname || ':' || relkind::text, ',' ORDER BY relname) FROM pg_class
              WHERE relnamespace = n.oid),
            (SELECT string_agg(attrelid::regclass::text || '.' || attname || ':' || atttypid::text, ','
                ORDER BY attrelid::regclass::text, attname) FROM pg_attribute a
              JOIN pg_class c ON c.oid = a.attrelid
              WHERE c.relnamespace = n.oid AND a.attnum > 0 AND NOT a.attisdropped),
            (SELECT string_agg(tgname || ':' || tgenabled::text, ',' ORDER BY tgname) FROM pg_trigger t
              JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = n.oid),
            (SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint
              WHERE connamespace = n.oid),
            (SELECT string_agg(proname || md5(prosrc), ',' ORDER BY proname) FROM pg_proc
              WHERE pronamespace = n.oid)))
        FROM pg_namespace n WHERE nspname = %s
        """,
        (schema,),
    ).fetchone()
    return str(row[0]) if row else ""


def empty_schema(conn: psycopg.Connection[Any], schema: str) -> None:
    """Every table of `schema` but alembic_version emptied, every sequence restarted. Triggers,
    the event log's append-only one and the foreign keys' included, are off for the deletes."""
    tables = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename <> 'alembic_version'", (schema,)
    ).fetchall()
    sequences = conn.execute(
        "SELECT sequencename FROM pg_sequences WHERE schemaname = %s", (schema,)
    ).fetchall()
    script = "SET LOCAL lock_timeout = '20s'; SET LOCAL session_replication_role = replica;"
    script += "".join(f'DELETE FROM "{schema}"."{table}";' for (table,) in tables)
    script += "".join(f'ALTER SEQUENCE "{schema}"."{sequence}" RESTART;' for (sequence,) in sequences)
    with conn.transaction():
        conn.execute(script.encode())


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    made = Templates(tmp_path_factory.mktemp("templates"))
    try:
        yield made
    finally:
        made.close()


@contextmanager
def migrated_database(engine: str, directory: Path, templates: Templates) -> Iterator[str]:
    """The URL of a database holding the migrated schema and no rows."""
    if engine == "sqlite":
        yield templates.sqlite_copy(directory / "test.sqlite3")
        return
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    schema = templates.take_schema()
    try:
        # Commits need not wait for the disk here: the crash tests kill the app, never PostgreSQL.
        url = with_search_path(plain_postgres_url(TEST_DATABASE_URL), schema)
        yield url + "%20-csynchronous_commit%3Doff"
    finally:
        templates.give_back(schema)


@contextmanager
def running_client(directory: Path, database_url: str) -> Iterator[TestClient]:
    settings = settings_for(directory, database_url=database_url)
    with TestClient(create_app(settings), base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, templates: Templates) -> Iterator[str]:
    """A new database for one test, migrated and without rows."""
    with migrated_database(request.param, tmp_path, templates) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return settings_for(tmp_path, database_url=database_url)


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
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, templates: Templates
) -> Iterator[TestClient]:
    directory = tmp_path_factory.mktemp("shared")
    with (
        migrated_database(request.param, directory, templates) as url,
        running_client(directory, url) as test_client,
    ):
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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slowest", type=int, default=0, metavar="N", help="list the N slowest tests")
    parser.addoption(
        "--store-durations",
        action="store_true",
        help="write the seconds each module of this run took to tests/support/durations.json, "
        "the order in which `--dist loadscope` hands out modules (tests/support/schedule.py)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Under `--dist loadscope`, the longest modules first (tests/support/schedule.py)."""
    if config.pluginmanager.has_plugin("xdist"):
        config.pluginmanager.register(schedule.LongestFirst(), "longest-first")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """The N slowest tests, setup and teardown included (pytest's --durations lists phases), and
    with --store-durations each module's seconds kept for the scheduling."""
    phases = [
        (report.nodeid, report.duration)
        for reports in terminalreporter.stats.values()
        for report in reports
        if isinstance(report, pytest.TestReport)
    ]
    if config.getoption("--store-durations") and phases and not hasattr(config, "workerinput"):
        schedule.store(schedule.totals(phases))
        terminalreporter.write_line(f"the modules' durations are stored in {schedule.DURATIONS}")
    count = int(config.getoption("--slowest"))
    if not count:
        return
    totals: dict[str, float] = {}
    for nodeid, seconds in phases:
        totals[nodeid] = totals.get(nodeid, 0.0) + seconds
    terminalreporter.write_sep("=", f"{count} slowest tests (setup + call + teardown)")
    for nodeid, seconds in sorted(totals.items(), key=lambda item: item[1], reverse=True)[:count]:
        terminalreporter.write_line(f"{seconds:8.2f}s  {nodeid}")
