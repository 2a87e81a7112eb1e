"""Real server processes on one PostgreSQL schema, for tests/test_cluster.py.

- `Server`: `python run.py serve` (optionally `--workers N`) on a free port, its own DATA_DIR
  (as on another machine), the shared DATABASE_URL and SECRET_KEY; ready when `/readyz`
  answers 200, i.e. the database answers and the LISTEN connection is up.
- `seat`: a started meeting with `size` voting members, all present, two agenda items, and a
  login session for each member. Sessions are written as `accounts.login` writes them, without
  the argon2 check (0.1 s each), so two hundred tablets cost nothing to log in.
- `Tablet`: a WebSocket client on a meeting feed that checks the seq of every frame.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from agenda.clock import utcnow
from agenda.db import Database
from agenda.live import presiding
from agenda.meetings import attendance
from agenda.meetings.attendance import AttendanceSet
from agenda.people import accounts, members
from agenda.people.accounts import AuthSession
from agenda.people.members import MemberCreate
from agenda.policy import DEFAULT_POLICY
from meeting_app.auth import SESSION_COOKIE
from tests.support.browser_server import free_port
from tests.support.cli import ROOT
from tests.support.factories import add_agenda_item, add_user, make_meeting, publish_meeting

READY_WITHIN = 60.0
SECRET_KEY = "cluster-test-secret-key-" + "k" * 24


class Server:
    """`python run.py serve` on a free port, as a child process of the test."""

    def __init__(self, data_dir: Path, database_url: str, *, workers: int = 1) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.workers = workers
        data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = data_dir / f"server-{self.port}.log"
        self.process = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "DATA_DIR": str(self.data_dir),
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1",
            "PYTHONWARNINGS": "ignore",
        }
        command = [sys.executable, str(ROOT / "run.py"), "serve", "--port", str(self.port), "--no-access-log"]
        if self.workers > 1:
            command += ["--workers", str(self.workers)]
        with self.log.open("ab") as out:
            return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_WITHIN
        with httpx.Client(base_url=self.base, trust_env=False, timeout=2) as client:
            while time.monotonic() < deadline:
                assert self.alive(), f"the server exited:\n{self.log.read_text()}"
                try:
                    if client.get("/readyz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        raise AssertionError(f"the server was not ready within {READY_WITHIN} s:\n{self.log.read_text()}")

    def restart(self) -> None:
        self.stop()
        self.process = self._start()
        self.wait_ready()

    def kill(self) -> None:
        if self.alive():
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def client(self, who: Member | None = None) -> httpx.Client:
        headers = who.headers() if who is not None else {}
        return httpx.Client(base_url=self.base, trust_env=False, timeout=30, headers=headers)

    def tablet(
        self, meeting_id: int, who: Member, since: int | None = None, epoch: str | None = None
    ) -> Tablet:
        query = f"?since={since}" if since is not None else ""
        query += f"&epoch={epoch}" if since is not None and epoch is not None else ""
        socket = connect(
            f"ws://127.0.0.1:{self.port}/ws/meetings/{meeting_id}{query}",
            origin=Origin(self.base),
            additional_headers={"Cookie": f"{SESSION_COOKIE}={who.token}"},
            open_timeout=10,
            compression=None,
            legacy=True,
        )
        return Tablet(socket)


@dataclass(frozen=True)
class Member:
    """A voting member's account and its login session (usable on every server)."""

    member_id: int
    user_id: int
    token: str
    csrf: str

    def headers(self) -> dict[str, str]:
        return {"Cookie": f"{SESSION_COOKIE}={self.token}", "X-CSRF-Token": self.csrf}


@dataclass(frozen=True)
class Seated:
    meeting_id: int
    items: tuple[int, int]
    members: list[Member]  # members[0] presides (roles chair and member)

    @property
    def chair(self) -> Member:
        return self.members[0]


def issue_session(session: Session, user_id: int) -> tuple[str, str]:
    """A login session as accounts.login issues it (token, CSRF token), without the password."""
    token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), utcnow()
    session.add(
        AuthSession(
            id=accounts.session_id(token, SECRET_KEY),
            user_id=user_id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
        )
    )
    return token, csrf


def seat(db: Database, size: int) -> Seated:
    """`size` voting members (the whole Government), all present, two items, meeting started.

    Each step goes through the domain functions, batched in one transaction per step."""

    def people(session: Session) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        for n in range(size):
            data = MemberCreate(
                full_name=f"Thành viên cụm {n}", title="Bộ trưởng", agency="Bộ", precedence=n + 1
            )
            member = members.create_member(session=session, data=data, actor_id=None)
            assert member.id is not None
            roles = ["chair", "member"] if n == 0 else ["member"]
            user = add_user(session, f"cluster{n}", roles, member_id=member.id)
            assert user.id is not None
            found.append((member.id, user.id))
        return found

    users = db.write_sync(people)
    meeting = make_meeting(db, chair_member_id=users[0][0])  # invitees: every voting member
    assert meeting.id is not None
    meeting_id = meeting.id
    first = add_agenda_item(db, meeting_id, title="Báo cáo tình hình kinh tế - xã hội").id
    second = add_agenda_item(db, meeting_id, title="Nghị quyết biểu quyết nhanh").id
    assert first is not None and second is not None
    publish_meeting(db, meeting_id)

    def present(session: Session) -> None:
        for member_id, _ in users:
            attendance.set_attendance(
                session=session,
                meeting_id=meeting_id,
                member_id=member_id,
                data=AttendanceSet(status="present"),
                actor_id=None,
                policy=DEFAULT_POLICY,
            )
        presiding.start(session=session, meeting_id=meeting_id, actor_id=None, policy=DEFAULT_POLICY)

    db.write_sync(present)
    sessions = db.write_sync(lambda s: [issue_session(s, user_id) for _, user_id in users])
    people_seated = [
        Member(member_id=m, user_id=u, token=t, csrf=c)
        for (m, u), (t, c) in zip(users, sessions, strict=True)
    ]
    return Seated(meeting_id=meeting_id, items=(first, second), members=people_seated)


@dataclass
class Tablet:
    """A meeting feed: every frame, and a check that event seqs follow each other."""

    socket: ClientConnection
    frames: list[dict[str, Any]] = field(default_factory=list)
    seq: int | None = None
    epoch: str | None = None
    close_code: int | None = None

    def next(self, timeout: float = 10.0) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(self.socket.recv(timeout=timeout))
        if frame["type"] == "snapshot":
            self.seq = frame["seq"]
            self.epoch = frame["epoch"]
        elif frame["type"] == "event":
            assert self.seq is None or frame["seq"] == self.seq + 1, (self.seq, frame)
            self.seq = frame["seq"]
        self.frames.append(frame)
        return frame

    def until(self, kind: str, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Read frames until `count` events of `kind` have come; returns those events."""
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(found) < count:
            frame = self.next(timeout=max(0.01, deadline - time.monotonic()))
            if frame["type"] == "event" and frame["kind"] == kind:
                found.append(frame)
        return found

    def closed_with(self, timeout: float = 15.0) -> int | None:
        """Read until the server closes the socket; its close code (None: no close frame)."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.socket.recv(timeout=max(0.01, deadline - time.monotonic()))
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else None
        raise AssertionError("the socket stayed open")

    def close(self) -> None:
        self.socket.close()
