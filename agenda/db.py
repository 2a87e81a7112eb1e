"""Engines and units of work for SQLite (default) and PostgreSQL. See docs/architecture.md.

SQLite runs in WAL mode with foreign keys, a busy timeout and synchronous=FULL. Write units
of work begin with BEGIN IMMEDIATE, so two writers never deadlock on a lock upgrade; reads
begin deferred and run beside a writer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool
from sqlmodel import Session, create_engine

from agenda.log import events as ev

T = TypeVar("T")

_BEGIN_OPTION = "ecabinet_begin"


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'ecabinet.sqlite3'}"


def normalize_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and select the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        connect_args = {"check_same_thread": False, "timeout": 30}
        if pool_size == 0:
            engine = create_engine(url, connect_args=connect_args, poolclass=NullPool)
        else:  # connections kept open: each new one costs its PRAGMAs
            engine = create_engine(url, connect_args=connect_args, pool_size=pool_size, max_overflow=20)
        _configure_sqlite(engine)
        return engine
    if pool_size == 0:
        return create_engine(url, poolclass=NullPool)
    return create_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, decide how transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """Units of work. Domain functions run inside them; events are published after commit.

    `publish` receives the events a committed write appended, in order. A write that raises
    rolls back and publishes nothing.
    """

    def __init__(self, engine: Engine, publish: Callable[[list[ev.Event]], None] | None = None) -> None:
        self.engine = engine
        self._write_engine = engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        self.publish = publish
        # SQLite has one writer at a time. The threads of this process take turns on a lock
        # (woken in turn) instead of polling the file lock with busy-timeout sleeps; other
        # processes still meet the busy timeout. PostgreSQL writers run side by side.
        self._write_turn = threading.RLock() if is_sqlite(engine) else nullcontext()
        self._running = 0  # units of work in progress, in any thread
        self._quiet = threading.Condition()

    @contextmanager
    def _unit(self) -> Iterator[None]:
        with self._quiet:
            self._running += 1
        try:
            yield
        finally:
            with self._quiet:
                self._running -= 1
                if not self._running:
                    self._quiet.notify_all()

    def close(self, timeout: float = 30.0) -> None:
        """Dispose of the engine once the units of work still running have ended. A worker
        thread outlives its awaiting task when that task is cancelled at shutdown; had the pool
        been disposed under it, its connection would go back to a pool nobody closes."""
        with self._quiet:
            self._quiet.wait_for(lambda: not self._running, timeout)
        self.engine.dispose()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._unit(), Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A write transaction: commits on success, then publishes the appended events."""
        with self._unit(), self._write_turn, Session(self._write_engine, expire_on_commit=False) as session:
            try:
                yield session
                appended = ev.pending(session)
                session.commit()
            except BaseException:
                session.rollback()
                raise
        if appended and self.publish is not None:
            self.publish(appended)

    def read_sync(self, fn: Callable[[Session], T]) -> T:
        with self.reading() as session:
            return fn(session)

    def write_sync(self, fn: Callable[[Session], T]) -> T:
        with self.writing() as session:
            return fn(session)

    async def read(self, fn: Callable[[Session], T]) -> T:
        """Run `fn(session)` in a worker thread, off the event loop."""
        return await anyio.to_thread.run_sync(self.read_sync, fn)

    async def write(self, fn: Callable[[Session], T]) -> T:
        """Run `fn(session)` in one write transaction in a worker thread, then commit."""
        return await anyio.to_thread.run_sync(self.write_sync, fn)
