"""A real server killed with SIGKILL in the middle of a burst of ballots (SQLite, once: this test
takes no engine parameter). After a restart on the same DATA_DIR every acknowledged ballot is
there exactly once, the retry of an acknowledged ballot gets its first answer, the close counts
what is stored, the recount agrees, and `python run.py verify` exits 0.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from agenda.db import Database, make_engine, sqlite_url
from agenda.migrate import upgrade
from agenda.policy import DEFAULT_POLICY
from agenda.votes import tally
from agenda.votes.models import CHOICES, Ballot, Vote
from meeting_app.auth import SESSION_COOKIE
from tests.support.browser_server import free_port
from tests.support.cli import ROOT, json_out, run_cli
from tests.support.factories import PASSWORD
from tests.support.vote_setup import Seated, open_vote, seat_meeting

pytestmark = pytest.mark.slow

VOTERS = 20
BALLOTS_EACH = 10  # each voter changes their named ballot this many times, one request after another
KILL_AFTER = 40  # acknowledged ballots before the SIGKILL
READY_WITHIN = 60.0


@contextmanager
def database(data_dir: Path) -> Iterator[Database]:
    engine = make_engine(sqlite_url(data_dir))
    try:
        upgrade(engine)
        yield Database(engine)
    finally:
        engine.dispose()


class Server:
    """`python run.py serve` on a free port, as a child process of the test."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = data_dir / f"server-{self.port}.log"
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
        env.update({"DATA_DIR": str(data_dir), "ALLOWED_HOSTS": "127.0.0.1", "PYTHONWARNINGS": "ignore"})
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "run.py"), "serve", "--port", str(self.port), "--no-access-log"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_WITHIN
        with httpx.Client(base_url=self.base, trust_env=False, timeout=2) as client:
            while time.monotonic() < deadline:
                assert self.process.poll() is None, f"the server exited:\n{self.log.read_text()}"
                try:
                    if client.get("/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        raise AssertionError(f"the server did not answer within {READY_WITHIN} s:\n{self.log.read_text()}")

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Tablet:
    """One voter's logged-in session, kept across the restart (sessions live in the database)."""

    member_id: int
    token: str
    csrf: str
    # (Idempotency-Key, choice, the answer or None when the request failed), in the order sent
    attempts: list[tuple[str, str, dict[str, Any] | None]] = field(default_factory=list)

    def headers(self, key: str | None = None) -> dict[str, str]:
        found = {"Cookie": f"{SESSION_COOKIE}={self.token}", "X-CSRF-Token": self.csrf}
        if key is not None:
            found["Idempotency-Key"] = key
        return found

    def acknowledged(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [(k, c, a) for k, c, a in self.attempts if a is not None]


def log_in(base: str, username: str, member_id: int) -> Tablet:
    with httpx.Client(base_url=base, trust_env=False, timeout=30) as client:
        response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        token = client.cookies.get(SESSION_COOKIE)
        assert token
        return Tablet(member_id=member_id, token=token, csrf=response.json()["csrf_token"])


def burst(server: Server, vote_id: int, tablets: list[Tablet]) -> None:
    """Every tablet sends BALLOTS_EACH ballots in a row; the server is killed after KILL_AFTER
    acknowledgements. A tablet stops at its first failed request."""
    acked = 0
    guard = threading.Lock()
    enough = threading.Event()
    go = threading.Barrier(len(tablets) + 1)

    def vote(n: int, tablet: Tablet) -> None:
        nonlocal acked
        with httpx.Client(base_url=server.base, trust_env=False, timeout=30) as client:
            go.wait()
            for i in range(BALLOTS_EACH):
                key, choice = f"crash-{n}-{i}", CHOICES[(n + i) % len(CHOICES)]
                try:
                    response = client.post(
                        f"/api/v1/votes/{vote_id}/ballots",
                        json={"choice": choice},
                        headers=tablet.headers(key),
                    )
                except httpx.TransportError:
                    tablet.attempts.append((key, choice, None))
                    return
                assert response.status_code == 200, response.text
                tablet.attempts.append((key, choice, response.json()))
                with guard:
                    acked += 1
                    if acked >= KILL_AFTER:
                        enough.set()

    def killer() -> None:
        go.wait()
        enough.wait(timeout=120)
        server.kill()

    with ThreadPoolExecutor(max_workers=len(tablets) + 1) as pool:
        futures = [pool.submit(vote, n, t) for n, t in enumerate(tablets)]
        futures.append(pool.submit(killer))
        for future in futures:
            future.result(timeout=180)


def test_acknowledged_ballots_survive_a_kill(tmp_path: Path) -> None:
    with database(tmp_path) as db:
        seated: Seated = seat_meeting(db, VOTERS, prefix="tablet")
        vote_id = open_vote(db, seated, secret=False)

    server = Server(tmp_path)
    try:
        server.wait_ready()
        with ThreadPoolExecutor(max_workers=4) as pool:
            tablets = list(
                pool.map(
                    lambda v: log_in(server.base, seated.usernames[v], seated.voters[v].member_id or 0),
                    range(VOTERS),
                )
            )
        burst(server, vote_id, tablets)
        assert server.process.returncode == -signal.SIGKILL
        acknowledged = sum(len(t.acknowledged()) for t in tablets)
        assert acknowledged >= KILL_AFTER
        assert acknowledged < VOTERS * BALLOTS_EACH, "the kill came after the burst"
        assert any(a is None for t in tablets for _, _, a in t.attempts), "no request was cut off"

        server = Server(tmp_path)
        server.wait_ready()
        with database(tmp_path) as db:
            rows = {b.member_id: b.choice for b in db.read_sync(lambda s: s.exec(select(Ballot)).all())}
            vote = db.read_sync(lambda s: s.get(Vote, vote_id))
            assert vote is not None and vote.state == "open"
            assert vote.cast == len(rows)
        for tablet in tablets:
            done = tablet.acknowledged()
            if not done:  # its first ballot was cut off: committed or not, never half-stored
                assert rows.get(tablet.member_id) in (None, tablet.attempts[0][1])
                continue
            # Each tablet's requests went one after another: the stored choice is the last one
            # acknowledged, or the one in flight when the server died.
            after = tablet.attempts[len(done) :][:1]
            assert rows.get(tablet.member_id) in {done[-1][1], *(c for _, c, _ in after)}, tablet

        with httpx.Client(base_url=server.base, trust_env=False, timeout=30) as client:
            # A tablet that retries an acknowledged ballot after the restart gets the first answer.
            for tablet in tablets:
                for key, choice, answer in tablet.acknowledged()[-1:]:
                    response = client.post(
                        f"/api/v1/votes/{vote_id}/ballots",
                        json={"choice": choice},
                        headers=tablet.headers(key),
                    )
                    assert (response.status_code, response.json()) == (200, answer)
            chair = tablets[0]
            closed = client.post(f"/api/v1/votes/{vote_id}/close", headers=chair.headers())
            assert closed.status_code == 200, closed.text
            result = closed.json()["result"]
        expected = Counter(rows.values())
        assert {c: result[c] for c in CHOICES} == {c: expected.get(c, 0) for c in CHOICES}
        assert result["cast"] == len(rows)
        with database(tmp_path) as db:
            assert {
                b.member_id: b.choice for b in db.read_sync(lambda s: s.exec(select(Ballot)).all())
            } == rows
            assert db.read_sync(lambda s: tally.recount_all(s, DEFAULT_POLICY)) == (1, [])
    finally:
        server.stop()

    verified = run_cli(["verify"], data_dir=tmp_path, database_url=sqlite_url(tmp_path))
    assert verified.returncode == 0, (verified.stdout, verified.stderr)
    summary = json_out(verified)
    assert (summary["intact"], summary["votes_ok"], summary["votes_recounted"]) == (True, True, 1)
