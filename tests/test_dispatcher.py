"""The dispatcher hands every committed event on once, in seq order per stream, whichever path
brought it (this process's commits, the listener's notifications, a catch-up); the listener
(PostgreSQL) survives losing its connection without losing an event; /readyz follows both."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import psycopg
import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from agenda.db import Database, make_engine
from agenda.log import events as ev
from agenda.migrate import upgrade
from meeting_app.live.dispatcher import Dispatcher, read_events
from meeting_app.live.listener import Listener, application_name, backoff, libpq_url, parse
from tests.conftest import context_of, plain_postgres_url
from tests.support.factories import make_member


@dataclass
class Setup:
    source: Database  # writes as another process would: nothing published
    dispatcher: Dispatcher
    got: list[ev.Event] = field(default_factory=list)

    def seqs(self, stream: int = ev.GLOBAL_STREAM) -> list[int]:
        return [e.seq for e in self.got if e.stream == stream]

    def commit(self, count: int) -> list[ev.Event]:
        """`count` events on the global stream, committed without publishing; returns them."""
        head = self.source.read_sync(lambda s: _head(s, ev.GLOBAL_STREAM))
        for _ in range(count):
            make_member(self.source)
        return self.source.read_sync(
            lambda s: read_events(s, stream=ev.GLOBAL_STREAM, after=head, limit=count)
        )


def _head(session: Session, stream: int) -> int:
    row = session.get(ev.StreamHead, stream)
    return row.last_seq if row is not None else 0


@pytest.fixture
def setup(database_url: str) -> Iterator[Setup]:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        got: list[ev.Event] = []
        dispatcher = Dispatcher(Database(engine), got.extend, gap_after=0.02)
        yield Setup(source=Database(engine), dispatcher=dispatcher, got=got)
    finally:
        engine.dispose()


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_local_events_are_handed_on_once_and_in_order(setup: Setup) -> None:
    async def scenario() -> None:
        await setup.dispatcher.start()
        first, second, third = setup.commit(3)
        setup.dispatcher.publish([second])  # early: held
        assert setup.got == []
        setup.dispatcher.publish([first, second])  # the one before, and a duplicate
        setup.dispatcher.publish([third, first])
        assert setup.seqs() == [first.seq, second.seq, third.seq]
        assert setup.dispatcher.idle()
        await setup.dispatcher.stop()

    asyncio.run(scenario())


def test_an_open_gap_is_read_from_the_table(setup: Setup) -> None:
    async def scenario() -> None:
        await setup.dispatcher.start()
        found = setup.commit(3)
        setup.dispatcher.publish([found[2]])  # its two predecessors were never published here
        await until(lambda: len(setup.got) == 3)
        assert setup.seqs() == [e.seq for e in found]
        await until(setup.dispatcher.idle)
        await setup.dispatcher.stop()

    asyncio.run(scenario())


def test_a_notification_reads_what_another_process_committed(setup: Setup) -> None:
    async def scenario() -> None:
        await setup.dispatcher.start()
        found = setup.commit(2)
        setup.dispatcher.notify(ev.GLOBAL_STREAM, found[1].seq)
        await until(lambda: len(setup.got) == 2)
        setup.dispatcher.publish(found)  # the same events arriving by the other path
        setup.dispatcher.notify(ev.GLOBAL_STREAM, found[0].seq)
        setup.dispatcher.notify(ev.GLOBAL_STREAM, found[1].seq + 50)  # another database's
        await until(setup.dispatcher.idle)
        assert setup.seqs() == [e.seq for e in found]
        await setup.dispatcher.stop()

    asyncio.run(scenario())


def test_catch_up_reads_every_stream_that_moved(setup: Setup) -> None:
    async def scenario() -> None:
        make_member(setup.source)  # committed before the start: not news
        await setup.dispatcher.start()
        found = setup.commit(2)
        await setup.dispatcher.catch_up()
        await until(lambda: len(setup.got) == 2)
        assert setup.seqs() == [e.seq for e in found]
        await setup.dispatcher.stop()

    asyncio.run(scenario())


def test_listener_helpers() -> None:
    assert parse("12:345") == (12, 345)
    assert parse("-1:7") == (-1, 7)
    assert parse("nonsense") is None and parse("a:b") is None
    assert libpq_url("postgresql+psycopg://u@h/db?x=1") == "postgresql://u@h/db?x=1"
    assert libpq_url("postgres://u@h/db") == "postgresql://u@h/db"
    delays = [backoff(n, first=0.25, most=10.0) for n in range(1, 10)]
    assert 0.125 <= delays[0] <= 0.25 and all(d <= 10.0 for d in delays) and delays[-1] >= 5.0


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_the_listener_loses_nothing_when_its_connection_drops(setup: Setup, database_url: str) -> None:
    listener = Listener(database_url, setup.dispatcher, retry_first=0.2)

    def terminate() -> None:
        with psycopg.connect(plain_postgres_url(database_url), autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                (application_name(os.getpid()),),
            )

    async def scenario() -> None:
        await setup.dispatcher.start()
        listener.start()
        await until(lambda: listener.ready)
        first = await asyncio.to_thread(setup.commit, 1)
        await until(lambda: len(setup.got) == 1)  # by NOTIFY alone: nothing was published here
        await asyncio.to_thread(terminate)
        later = await asyncio.to_thread(setup.commit, 3)  # while the listener is away
        await until(lambda: listener.connects == 2 and len(setup.got) == 4)
        assert setup.seqs() == [e.seq for e in [*first, *later]]
        assert listener.ready
        await listener.stop()
        assert not listener.ready
        await setup.dispatcher.stop()

    asyncio.run(scenario())


def test_a_failing_reader_falls_back_to_the_pool(setup: Setup) -> None:
    async def broken(stream: int, after: int, limit: int) -> list[ev.Event]:
        raise OSError("the listener's connection is gone")

    async def scenario() -> None:
        await setup.dispatcher.start()
        setup.dispatcher.reader = broken
        found = setup.commit(2)
        setup.dispatcher.notify(ev.GLOBAL_STREAM, found[1].seq)
        await until(lambda: len(setup.got) == 2)
        assert setup.seqs() == [e.seq for e in found]
        await setup.dispatcher.stop()

    asyncio.run(scenario())


def test_readyz_answers_for_the_database_and_the_listener(client: TestClient) -> None:
    assert client.get("/healthz").text == "ok"
    listener = context_of(client).listener
    deadline = time.monotonic() + 10
    while (answer := client.get("/readyz")).status_code != 200:  # the listener connects meanwhile
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.05)
    assert answer.text == "ready"
    if listener is None:  # SQLite: no listener to wait for
        return
    client.portal.call(listener.stop)  # type: ignore[union-attr]
    answer = client.get("/readyz")
    assert (answer.status_code, answer.text) == (503, "listener not connected")
    client.portal.call(listener.start)  # type: ignore[union-attr]
    deadline = time.monotonic() + 10
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "the listener did not come back"
        time.sleep(0.05)
