"""Several processes on one PostgreSQL database (issue 6; docs/deployment.md "Several processes").

Two real servers, A (`run.py serve`) and B (`run.py serve --workers 2`), on different ports and
data directories share one fresh schema and one SECRET_KEY, as two machines behind a load
balancer would. They prove that:
- a tablet on B receives the chair's advance made on A (A's commit reaches B through
  NOTIFY and B's LISTEN connection), and a logout on B ends the session on A at once;
- 200 ballots sent half to A and half to B, some retried on the other server with the same
  Idempotency-Key, are each counted once;
- when A's LISTEN connection is killed mid-session, the events made meanwhile reach A's
  tablets in order once it has reconnected;
- after `kill -9` of A, B keeps serving, A's tablets resume on B with `since` and get every
  event with no gap, and `python run.py verify` passes;
- SIGTERM to B (`--workers 2`) closes an open feed with 1012 (server restarting), last, so that
  no third server is started for it;
- concurrent writers in several processes, some rolling back, leave one stream with seqs
  exactly 1..N and an intact hash chain.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlmodel import col, select

from agenda.db import Database, make_engine
from agenda.log import events
from agenda.log.events import Event
from agenda.migrate import upgrade
from agenda.policy import DEFAULT_POLICY
from agenda.votes.models import CHOICES
from agenda.votes.tally import recount_all
from meeting_app.live.listener import application_name
from meeting_app.session_cache import TTL
from tests.conftest import TEST_DATABASE_URL, fresh_database
from tests.support.cli import ROOT, json_out, run_cli
from tests.support.cluster_setup import Member, Seated, Server, Tablet, seat

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not TEST_DATABASE_URL, reason="TEST_DATABASE_URL is not set"),
]

VOTERS = 200


@dataclass
class Cluster:
    url: str
    db: Database
    seated: Seated
    a: Server
    b: Server
    current: int | None = None  # the current agenda item

    def running(self) -> Cluster:
        """Both servers up (a test before may have killed one)."""
        for server in (self.a, self.b):
            if not server.alive():
                server.restart()
        return self

    def flip(self, server: Server) -> int:
        """The chair, on `server`, makes the other of the two items current; returns its id."""
        first, second = self.seated.items
        to = second if self.current == first else first
        with server.client(self.seated.chair) as chair:
            response = chair.post(f"/api/v1/meetings/{self.seated.meeting_id}/advance", json={"to": to})
        assert response.status_code == 200, response.text
        assert response.json()["current_item"]["id"] == to
        self.current = to
        return to

    def tablet(
        self, server: Server, who: Member, since: int | None = None, epoch: str | None = None
    ) -> Tablet:
        tablet = server.tablet(self.seated.meeting_id, who, since, epoch)
        if since is None:
            assert tablet.next()["type"] == "snapshot"
        return tablet


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    directory = tmp_path_factory.mktemp("cluster")
    with fresh_database("postgres", directory) as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            db = Database(engine)
            seated = seat(db, VOTERS)
            a, b = Server(directory / "a", url), Server(directory / "b", url, workers=2)
            try:
                a.wait_ready()
                b.wait_ready()
                yield Cluster(url=url, db=db, seated=seated, a=a, b=b)
            finally:
                a.stop()
                b.stop()
        finally:
            engine.dispose()


def listener_backend(url: str, server: Server) -> tuple[int, datetime] | None:
    """The pid and start time of `server`'s LISTEN connection in pg_stat_activity."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT pid, backend_start FROM pg_stat_activity WHERE application_name = %s",
            (application_name(server.pid),),
        ).fetchone()
    return (int(row[0]), row[1]) if row else None


def test_a_tablet_on_b_receives_an_advance_made_on_a(cluster: Cluster) -> None:
    cluster.running()
    member = cluster.seated.members[1]
    on_b = cluster.tablet(cluster.b, member)
    try:
        for _ in range(2):
            current = cluster.flip(cluster.a)
            assert on_b.until("agenda.advanced")[0]["data"]["to_item_id"] == current
    finally:
        on_b.close()


def test_ballots_spread_over_two_processes_are_counted_once(cluster: Cluster) -> None:
    cluster.running()
    seated, a, b = cluster.seated, cluster.a, cluster.b
    with a.client(seated.chair) as chair:
        created = chair.post(
            f"/api/v1/agenda-items/{seated.items[1]}/votes", json={"question": "Thông qua?", "secret": False}
        )
        assert created.status_code == 201, created.text
        vote_id = created.json()["id"]
        opened = chair.post(f"/api/v1/votes/{vote_id}/open")
        assert opened.status_code == 200, opened.text
    watcher = cluster.tablet(b, seated.members[2])
    sent = {m.member_id: CHOICES[n % len(CHOICES)] for n, m in enumerate(seated.members)}

    def cast(n: int, server: Server) -> dict[str, Any]:
        member = seated.members[n]
        with server.client(member) as client:
            response = client.post(
                f"/api/v1/votes/{vote_id}/ballots",
                json={"choice": sent[member.member_id]},
                headers={"Idempotency-Key": f"cluster-{vote_id}-{n}"},
            )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            first = list(pool.map(lambda n: cast(n, a if n % 2 else b), range(VOTERS)))
            # Every fifth ballot is sent again, with the same key, to the other server.
            retried = list(range(0, VOTERS, 5))
            again = list(pool.map(lambda n: cast(n, b if n % 2 else a), retried))
        assert [first[n] for n in retried] == again
        with b.client(seated.chair) as chair:
            closed = chair.post(f"/api/v1/votes/{vote_id}/close")
            assert closed.status_code == 200, closed.text
        with a.client(seated.chair) as chair:
            vote = chair.get(f"/api/v1/votes/{vote_id}").json()
        expected = Counter(sent.values())
        assert vote["state"] == "closed" and vote["cast"] == VOTERS
        assert {c: vote["result"][c] for c in CHOICES} == {c: expected[c] for c in CHOICES}
        assert {int(k): v for k, v in vote["ballots"].items()} == sent
        assert cluster.db.read_sync(lambda s: recount_all(s, DEFAULT_POLICY)) == (1, [])
        # The tablet on B saw the count rise batch by batch (from both servers) to 200, in order,
        # then the close.
        counts = [f["data"]["cast"] for f in watcher.until("vote.progress")]
        while counts[-1] < VOTERS:
            counts += [f["data"]["cast"] for f in watcher.until("vote.progress")]
        assert counts == sorted(set(counts)) and counts[-1] == VOTERS
        assert watcher.until("vote.closed")[0]["data"]["result"]["cast"] == VOTERS
    finally:
        watcher.close()


def test_a_logout_on_b_ends_the_session_on_a_at_once(cluster: Cluster) -> None:
    cluster.running()
    member = cluster.seated.members[9]
    with cluster.a.client(member) as on_a:
        assert on_a.get("/api/v1/me").status_code == 200  # A now remembers the session (TTL)
        with cluster.b.client(member) as on_b:
            assert on_b.post("/api/v1/auth/logout").status_code == 204
        logged_out = time.monotonic()
        # `auth.logout` reaches A's session cache through the listener, well before the TTL.
        while on_a.get("/api/v1/me").status_code != 401:
            assert time.monotonic() - logged_out < TTL / 2, "A still accepts the session"
            time.sleep(0.02)


def test_a_dropped_listen_connection_loses_nothing(cluster: Cluster) -> None:
    cluster.running()
    on_a = cluster.tablet(cluster.a, cluster.seated.members[3])
    try:
        before = listener_backend(cluster.url, cluster.a)
        assert before is not None
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", (before[0],))
        # A's listener waits at least 0.125 s before it reconnects: these commit meanwhile.
        targets = [cluster.flip(cluster.b) for _ in range(4)]
        received = on_a.until("agenda.advanced", len(targets), timeout=15)
        assert [f["data"]["to_item_id"] for f in received] == targets
        after = listener_backend(cluster.url, cluster.a)
        assert after is not None and after[0] != before[0], "A did not reconnect"
        first_at = cluster.db.read_sync(
            lambda s: _event_time(s, cluster.seated.meeting_id, received[0]["seq"])
        )
        assert after[1] > first_at, "the first advance did not commit while A was away"
        with cluster.a.client() as client:
            assert client.get("/readyz").text == "ready"
    finally:
        on_a.close()


def _event_time(session: Any, stream: int, seq: int) -> datetime:
    row = session.exec(select(Event).where(Event.stream == stream, Event.seq == seq)).one()
    at: datetime = row.at
    return at


def test_after_kill_9_tablets_resume_on_the_other_process(cluster: Cluster, tmp_path: Path) -> None:
    cluster.running()
    a, b, seated = cluster.a, cluster.b, cluster.seated
    on_a = [cluster.tablet(a, m) for m in seated.members[4:7]]
    on_b = cluster.tablet(b, seated.members[7])
    try:
        cluster.flip(a)
        for tablet in [*on_a, on_b]:
            tablet.until("agenda.advanced")
        a.kill()
        with b.client() as client:
            assert client.get("/readyz").status_code == 200
        missed = [cluster.flip(b) for _ in range(2)]
        for tablet in on_a:
            assert tablet.closed_with() is None  # the TCP connection died: no close frame
            tablet.close()
        # Each of A's tablets reconnects to B from the last seq it had and with A's epoch, as
        # live.js does (both processes name the same log): it gets the events it missed, then
        # the live ones. One tablet sends `since` alone (../shared/API.md), which must work as well.
        assert len({t.epoch for t in [*on_a, on_b]}) == 1, "the processes name the log differently"
        resumed = [
            cluster.tablet(b, m, since=t.seq, epoch=t.epoch if n else None)
            for n, (m, t) in enumerate(zip(seated.members[4:7], on_a, strict=True))
        ]
        try:
            live = cluster.flip(b)
            for old, new in zip(on_a, resumed, strict=True):
                new.seq = old.seq  # `next` checks that the first event continues it
                got = new.until("agenda.advanced", 3)
                assert [f["data"]["to_item_id"] for f in got] == [*missed, live]
                assert all(f["type"] == "event" for f in new.frames), "a snapshot instead of a replay"
            assert [f["data"]["to_item_id"] for f in on_b.until("agenda.advanced", 3)] == [*missed, live]
        finally:
            for tablet in resumed:
                tablet.close()
    finally:
        for tablet in [*on_a, on_b]:
            tablet.close()
    verified = run_cli(["verify"], data_dir=tmp_path, database_url=cluster.url)
    assert verified.returncode == 0, (verified.stdout, verified.stderr)
    assert json_out(verified)["intact"] is True


def test_sigterm_closes_open_feeds_with_1012(cluster: Cluster) -> None:
    server = cluster.b  # `--workers 2`; the tests after this one need no server (nor A, killed before)
    if not server.alive():
        server.restart()
    try:
        tablet = cluster.tablet(server, cluster.seated.members[8])
        server.process.send_signal(signal.SIGTERM)
        assert tablet.closed_with() == 1012
        tablet.close()
        assert server.process.wait(timeout=30) == 0
        log = server.log.read_text()  # the listener and the hub stopped cleanly in both workers
        assert "Traceback" not in log and "Task was destroyed" not in log, log
        assert log.count("Application shutdown complete.") == 2, log
    finally:
        server.stop()


def test_concurrent_writers_in_several_processes_leave_no_gap(cluster: Cluster) -> None:
    stream = 900_000 + cluster.seated.meeting_id  # a stream of its own
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.seq_writer",
                cluster.url,
                str(stream),
                "4",
                "15",
                str(n),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    committed: list[int] = []
    for writer in writers:
        out, _ = writer.communicate(timeout=120)
        assert writer.returncode == 0
        committed.extend(json.loads(out.strip().splitlines()[-1]))
    assert len(committed) > 20  # some committed, some (about a third) rolled back
    assert sorted(committed) == list(range(1, len(committed) + 1))

    def check(session: Any) -> tuple[list[int], events.ChainReport]:
        seqs = session.exec(select(Event.seq).where(Event.stream == stream).order_by(col(Event.seq))).all()
        return list(seqs), events.verify_chain(session, stream=stream)

    seqs, report = cluster.db.read_sync(check)
    assert seqs == list(range(1, len(committed) + 1))
    assert report.intact and report.events == len(committed), report
