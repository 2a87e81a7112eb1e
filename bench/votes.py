"""Votes budget (../shared/DESIGN.md "Performance budget"): 500 simultaneous ballots with zero lost, p99
acknowledgement under 100 ms, and a tally equal to a recount.

Setup, in-process through the domain functions, into a fresh DATA_DIR (or a fresh PostgreSQL
schema with --database-url): --members voting members, each with a `member` account (the first
is also the chair), all invited to one meeting and marked present, the meeting published and
started, one agenda item per round. The members never type a password: their login sessions
are written the way agenda.people.accounts.login() writes them (the HMAC of a random token, a CSRF
token, the auth.login event), so their accounts get a light argon2id hash. The secretariat
logs in over HTTP and, per round, creates and opens a named vote over HTTP.

Then every member's tablet holds a keep-alive connection to `python run.py serve` (each has
just read the vote, as a tablet showing it would) and all of them send POST
/api/v1/votes/{id}/ballots at once, each with its own cookie, X-CSRF-Token, a unique
Idempotency-Key and a random choice. The requests are pre-built and written in one loop, so
they leave within a few milliseconds; each acknowledgement is timed from its own write to
the arrival of its whole answer. The client is a minimal HTTP/1.1 protocol on asyncio, to
keep its CPU cost (taken from the same 2 cores as the server) small.

In the same run, after our server has stopped, the same burst goes to bench/bare_http.py: uvicorn
with the same options and an app that only reads the body and answers 200. Its p99 is the floor
that uvicorn alone puts under 500 simultaneous requests on this machine; the ratio is the cost of
everything eCabinet does per ballot (routing, security middleware, session, validation, the
transaction).

Columns: acknowledgement p50/p90/p99/max; "sent in", the ms from the first request written to
the last; "all in", from the first written to the last answer; "srv cpu", the server process's
CPU ms over the burst; the answers by status.

After the burst the vote is closed over HTTP; GET /api/v1/votes/{id} must show the recount of
the choices acknowledged with 200 (yes, no, abstain, cast, and each member's choice), and at
the end `python run.py verify` must pass on the same database. Lost ballots, non-200 answers,
a wrong tally or a failed verify are errors: printed, and the exit status is 1.

    .venv/bin/python bench/votes.py [--members 500] [--rounds 3] [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import quote

import httpx
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from processes import cpu_seconds, free_port, wait_until_up  # noqa: E402

from agenda.clock import LOCAL_TZ, utcnow  # noqa: E402
from agenda.db import Database, make_engine  # noqa: E402
from agenda.live import presiding  # noqa: E402
from agenda.log import event_kinds as k  # noqa: E402
from agenda.log import events as ev  # noqa: E402
from agenda.meetings import (  # noqa: E402
    agenda_edits,
    attendance,
    meetings,
    publishing,
)
from agenda.meetings.agenda_items import AgendaItemCreate  # noqa: E402
from agenda.meetings.attendance import AttendanceSet  # noqa: E402
from agenda.meetings.meetings import MeetingCreate  # noqa: E402
from agenda.migrate import upgrade  # noqa: E402
from agenda.people import accounts, members  # noqa: E402
from agenda.people.accounts import AuthSession, UserCreate  # noqa: E402
from agenda.people.members import MemberCreate  # noqa: E402
from agenda.policy import Policy  # noqa: E402
from meeting_app.settings import Settings  # noqa: E402

SESSION_COOKIE = "ecab_session"
BUDGET_P99_MS = 100.0
CHOICES = ("yes", "no", "abstain")
SECRETARIAT = ("thuky", "bench-secretariat-2026")
SCHEMA = "bench_votes"
T = TypeVar("T")


# --- setup, in-process ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Voter:
    member_id: int
    token: str
    csrf: str


@dataclass(frozen=True)
class Seated:
    meeting_id: int
    item_ids: list[int]
    voters: list[Voter]


@contextmanager
def light_hashes() -> Iterator[None]:
    """argon2id with light parameters for accounts whose sessions are written directly."""
    saved = accounts.passwords.cost
    accounts.passwords.use(accounts.PasswordCost(time_cost=1, memory_kib=1024, parallelism=1))
    try:
        yield
    finally:
        accounts.passwords.use(saved)


def open_session(session: Session, user_id: int, secret: str) -> tuple[str, str]:
    """A login session as accounts.login() issues one, without checking a password."""
    token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), utcnow()
    row = AuthSession(
        id=accounts.session_id(token, secret),
        user_id=user_id,
        csrf_token=csrf,
        created_at=now,
        last_seen_at=now,
    )
    session.add(row)
    ev.append(session, k.UserLoggedIn(user_id=user_id), actor_id=user_id)
    return token, csrf


def seat(db: Database, settings: Settings, policy: Policy, size: int, rounds: int) -> Seated:
    """`size` voting members with accounts and sessions, all present at a started meeting."""
    secretariat = UserCreate(
        username=SECRETARIAT[0], full_name="Thư ký phiên họp", password=SECRETARIAT[1], roles=["secretariat"]
    )
    actor = db.write_sync(lambda s: accounts.create_user(session=s, data=secretariat, actor_id=None)).id

    def people(session: Session) -> list[Voter]:
        voters: list[Voter] = []
        for n in range(size):
            member = members.create_member(
                session=session,
                data=MemberCreate(
                    full_name=f"Thành viên {n + 1}", title=f"Bộ trưởng {n + 1}", precedence=n + 1
                ),
                actor_id=actor,
            )
            assert member.id is not None
            user = accounts.create_user(
                session=session,
                data=UserCreate(
                    username=f"member{n + 1}",
                    full_name=member.full_name,
                    password=secrets.token_urlsafe(16),
                    roles=["chair", "member"] if n == 0 else ["member"],
                    member_id=member.id,
                ),
                actor_id=actor,
            )
            assert user.id is not None
            voters.append(Voter(member.id, *open_session(session, user.id, settings.secret_key)))
        return voters

    with light_hashes():
        voters = db.write_sync(people)

    def meeting(session: Session) -> tuple[int, list[int]]:
        data = MeetingCreate(
            title="Phiên họp Chính phủ (bench/votes.py)",
            kind="regular",
            starts_at=datetime.now(LOCAL_TZ) + timedelta(hours=1),
            duration_minutes=240,
            chair_member_id=voters[0].member_id,
        )
        created = meetings.create_meeting(session=session, data=data, actor_id=actor)
        assert created.id is not None
        items = []
        for number in range(1, rounds + 1):
            item = agenda_edits.add_item(
                session=session,
                meeting_id=created.id,
                data=AgendaItemCreate(title=f"Nghị quyết số {number}", minutes=10),
                actor_id=actor,
                policy=policy,
            )
            assert item.id is not None
            items.append(item.id)
        publishing.publish(session=session, meeting_id=created.id, actor_id=actor)
        return created.id, items

    meeting_id, item_ids = db.write_sync(meeting)
    present = AttendanceSet(status="present")

    def roll_call(session: Session) -> None:
        for voter in voters:
            attendance.set_attendance(
                session=session,
                meeting_id=meeting_id,
                member_id=voter.member_id,
                data=present,
                actor_id=actor,
                policy=policy,
            )

    db.write_sync(roll_call)
    db.write_sync(lambda s: presiding.start(session=s, meeting_id=meeting_id, actor_id=actor, policy=policy))
    return Seated(meeting_id, item_ids, voters)


# --- the tablets: keep-alive HTTP/1.1 connections ------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    at: float  # perf_counter when the whole answer had arrived


class Tablet(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request at a time; answers need a Content-Length."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.waiter: asyncio.Future[Reply] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def send(self, request: bytes) -> asyncio.Future[Reply]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self.waiter

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buffer[:end].decode("latin-1").split("\r\n")
        length = 0
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
            elif name.strip().lower() == "transfer-encoding":
                raise RuntimeError("a chunked answer: the bench client reads Content-Length only")
        if len(self.buffer) < end + 4 + length:
            return
        body, self.buffer = self.buffer[end + 4 : end + 4 + length], self.buffer[end + 4 + length :]
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(Reply(int(head[0].split()[1]), body, now))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"connection lost: {exc or 'closed by the server'}"))


def http_request(method: str, path: str, port: int, voter: Voter, body: bytes = b"", **headers: str) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        f"Cookie: {SESSION_COOKIE}={voter.token}",
        f"X-CSRF-Token: {voter.csrf}",
        f"Origin: http://127.0.0.1:{port}",
        "Accept: application/json",
        *(f"{name.replace('_', '-')}: {value}" for name, value in headers.items()),
    ]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class Burst:
    latencies_ms: list[float] = field(default_factory=list)
    acked: dict[int, str] = field(default_factory=dict)  # member id -> choice answered with 200
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    spread_ms: float = 0.0  # from the first write to the last
    makespan_ms: float = 0.0  # from the first write to the last answer
    server_cpu_ms: float = 0.0  # the server process's CPU time over the burst


async def burst(
    port: int, pid: int, vote_id: int, voters: list[Voter], rng: random.Random, *, baseline: bool = False
) -> Burst:
    """Every voter sends a ballot at once; with `baseline`, an authenticated GET of the vote instead
    (no write at all): the floor that HTTP, the session check and JSON put under any ballot."""
    loop = asyncio.get_running_loop()
    found = Burst()
    tablets: list[Tablet] = []
    gate = asyncio.Semaphore(100)

    async def connect(voter: Voter) -> Tablet:
        async with gate:
            _, tablet = await loop.create_connection(Tablet, "127.0.0.1", port)
            warm = await tablet.send(http_request("GET", f"/api/v1/votes/{vote_id}", port, voter))
            if warm.status != 200:
                raise RuntimeError(f"GET the vote answered {warm.status}: {warm.body[:200]!r}")
            return tablet

    tablets = list(await asyncio.gather(*(connect(v) for v in voters)))
    choices = [rng.choice(CHOICES) for _ in voters]
    requests = [
        http_request("GET", f"/api/v1/votes/{vote_id}", port, voter)
        if baseline
        else http_request(
            "POST",
            f"/api/v1/votes/{vote_id}/ballots",
            port,
            voter,
            json.dumps({"choice": choice}).encode(),
            Idempotency_Key=str(uuid.uuid4()),
        )
        for voter, choice in zip(voters, choices, strict=True)
    ]
    sent: list[float] = []
    waiters: list[asyncio.Future[Reply]] = []
    cpu_before = cpu_seconds(pid)
    for tablet, request in zip(tablets, requests, strict=True):
        sent.append(time.perf_counter())
        waiters.append(tablet.send(request))
    found.spread_ms = (sent[-1] - sent[0]) * 1000
    replies = await asyncio.gather(*(asyncio.wait_for(w, 120) for w in waiters), return_exceptions=True)
    found.server_cpu_ms = (cpu_seconds(pid) - cpu_before) * 1000
    last = sent[0]
    for voter, choice, started, reply in zip(voters, choices, sent, replies, strict=True):
        if isinstance(reply, BaseException):
            found.errors.append(f"member {voter.member_id}: no answer ({reply!r})")
            continue
        last = max(last, reply.at)
        found.statuses[reply.status] = found.statuses.get(reply.status, 0) + 1
        found.latencies_ms.append((reply.at - started) * 1000)
        if baseline:
            continue
        if reply.status == 200 and json.loads(reply.body).get("counted"):
            found.acked[voter.member_id] = choice
        elif len(found.errors) < 20:
            found.errors.append(f"member {voter.member_id}: {reply.status} {reply.body[:200]!r}")
    found.makespan_ms = (last - sent[0]) * 1000
    for tablet in tablets:
        if tablet.transport is not None:
            tablet.transport.close()
    return found


# --- one round -----------------------------------------------------------------------------------


@dataclass
class Round:
    burst: Burst
    errors: list[str]
    floor: Burst | None = None  # the same burst of authenticated reads, no write

    def quantile(self, q: float) -> float:
        ordered = sorted(self.burst.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def recount_errors(view: dict[str, Any], acked: dict[int, str], members_count: int) -> list[str]:
    """What the stored vote says against the choices acknowledged with 200."""
    errors: list[str] = []
    result = view.get("result") or {}
    for choice in CHOICES:
        mine = sum(1 for c in acked.values() if c == choice)
        if result.get(choice) != mine:
            errors.append(f"tally {choice}: stored {result.get(choice)}, recount {mine}")
    if view.get("cast") != len(acked):
        errors.append(f"cast: stored {view.get('cast')}, acknowledged {len(acked)}")
    if len(acked) != members_count:
        errors.append(f"lost: {members_count - len(acked)} of {members_count} ballots not acknowledged")
    ballots = view.get("ballots")
    if isinstance(ballots, dict) and {int(m): c for m, c in ballots.items()} != acked:
        errors.append("the stored ballots differ from the acknowledged choices")
    return errors


def run_round(
    port: int, pid: int, chair: httpx.Client, seated: Seated, item_id: int, rng: random.Random
) -> Round:
    errors: list[str] = []
    created = chair.post(
        f"/api/v1/agenda-items/{item_id}/votes", json={"question": "Thông qua?", "secret": False}
    )
    if created.status_code != 201:
        raise SystemExit(f"creating the vote answered {created.status_code}: {created.text}")
    vote_id = created.json()["id"]
    opened = chair.post(f"/api/v1/votes/{vote_id}/open")
    if opened.status_code != 200 or opened.json().get("eligible") != len(seated.voters):
        raise SystemExit(f"opening the vote answered {opened.status_code}: {opened.text[:300]}")
    floor = uvloop_run(burst(port, pid, vote_id, seated.voters, rng, baseline=True))
    found = uvloop_run(burst(port, pid, vote_id, seated.voters, rng))
    errors.extend(found.errors)
    closed = chair.post(f"/api/v1/votes/{vote_id}/close")
    if closed.status_code != 200:
        errors.append(f"closing the vote answered {closed.status_code}: {closed.text[:200]}")
    view = chair.get(f"/api/v1/votes/{vote_id}")
    if view.status_code != 200:
        errors.append(f"reading the vote answered {view.status_code}")
    else:
        errors.extend(recount_errors(view.json(), found.acked, len(seated.voters)))
    return Round(found, errors, floor)


def uvloop_run(coro: Coroutine[Any, Any, T]) -> T:
    """On uvloop when installed, as the server runs."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] installs it
        return asyncio.run(coro)
    return uvloop.run(coro)


# --- the server and the report -------------------------------------------------------------------


def bare_bursts(voters: list[Voter], rounds: int, rng: random.Random, *, secure: bool = False) -> list[Burst]:
    """The same burst against bench/bare_http.py (uvicorn and nothing else), after ours stopped;
    with `secure`, its answers carry eCabinet's headers."""
    port = free_port()
    command = [sys.executable, str(ROOT / "bench" / "bare_http.py"), "--port", str(port)]
    command += ["--secure-headers"] if secure else []
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}", server)
        return [uvloop_run(burst(port, server.pid, 0, voters, rng)) for _ in range(rounds)]
    finally:
        server.terminate()
        server.wait(timeout=15)


@contextmanager
def database(url: str | None, data_dir: Path) -> Iterator[str | None]:
    """None for SQLite in DATA_DIR; for PostgreSQL, `url` pointed at a fresh schema, dropped after."""
    if url is None:
        yield None
        return
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.execute(f"CREATE SCHEMA {SCHEMA}")
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options={quote(f'-csearch_path={SCHEMA}')}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


def verify(env: dict[str, str]) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "verify"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    return done.returncode, (done.stdout + done.stderr).strip()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", help="PostgreSQL, e.g. postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--seed", type=int, default=2026, help="of the random choices")
    args = parser.parse_args()
    if args.members > 500:
        raise SystemExit("a meeting invites at most 500 members (MeetingCreate)")
    rng = random.Random(args.seed)
    engine_name = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}  "
        f"members: {args.members}  database: {engine_name}"
    )
    with (
        tempfile.TemporaryDirectory(prefix="ecabinet-votes-") as tmp,
        database(args.database_url, Path(tmp)) as url,
    ):
        data_dir = Path(tmp)
        env = {**os.environ, "DATA_DIR": str(data_dir)}
        env.pop("DATABASE_URL", None)
        if url is not None:
            env["DATABASE_URL"] = url
        settings = Settings.from_env(env)
        engine = make_engine(settings.database_url, pool_size=0)
        upgrade(engine)
        policy = Policy.load(data_dir / "policy.json")
        started = time.perf_counter()
        seated = seat(Database(engine), settings, policy, args.members, args.rounds)
        engine.dispose()
        print(f"seated {args.members} members in {time.perf_counter() - started:.1f} s")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        command = [sys.executable, str(ROOT / "run.py"), "serve", "--port", str(port), "--no-access-log"]
        log = data_dir / "server.log"
        with log.open("wb") as out:
            server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        rounds: list[Round] = []
        try:
            wait_until_up(base, server)
            with httpx.Client(base_url=base, timeout=60.0) as chair:
                login = chair.post(
                    "/api/v1/auth/login", json={"username": SECRETARIAT[0], "password": SECRETARIAT[1]}
                )
                login.raise_for_status()
                chair.headers.update({"X-CSRF-Token": login.json()["csrf_token"], "Origin": base})
                print(f"\n{HEADER}")
                for number, item_id in enumerate(seated.item_ids, start=1):
                    found = run_round(port, server.pid, chair, seated, item_id, rng)
                    rounds.append(found)
                    print(row(str(number), found))
                    for error in found.errors[:10]:
                        print(f"    {error}")
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        bare = bare_bursts(seated.voters, args.rounds, rng)
        secured = bare_bursts(seated.voters, args.rounds, rng, secure=True)
        code, summary = verify(env)
        print(f"\nmedian of {len(rounds)} rounds (200s and other: totals)\n{HEADER}")
        print(row("median", None, rounds))
        p99 = statistics.median(r.quantile(0.99) for r in rounds)
        floors = [Round(r.floor, []) for r in rounds if r.floor is not None]
        if floors:
            floor_p50 = statistics.median(f.quantile(0.5) for f in floors)
            floor_p99 = statistics.median(f.quantile(0.99) for f in floors)
            print(
                f"baseline: the same {args.members} tablets each GET the vote at once (no write): "
                f"p50 {floor_p50:.1f} ms, p99 {floor_p99:.1f} ms; ballots/baseline p99 ratio "
                f"{p99 / floor_p99:.2f}x"
            )
        p50 = statistics.median(r.quantile(0.5) for r in rounds)
        for name, found in (("bare uvicorn", bare), ("bare uvicorn, eCabinet's headers", secured)):
            bare_p50 = statistics.median(Round(b, []).quantile(0.5) for b in found)
            bare_p99 = statistics.median(Round(b, []).quantile(0.99) for b in found)
            bare_cpu = statistics.median(b.server_cpu_ms for b in found)
            print(
                f"{name} (bench/bare_http.py, no app): the same burst p50 {bare_p50:.1f} ms, "
                f"p99 {bare_p99:.1f} ms, srv cpu {bare_cpu:.0f} ms; "
                f"ours/bare p50 {p50 / bare_p50:.1f}x, p99 {p99 / bare_p99:.1f}x"
            )
        verdict = "within" if p99 < BUDGET_P99_MS else "over"
        print(f"p99 acknowledgement {p99:.1f} ms, {verdict} the {BUDGET_P99_MS:.0f} ms budget of DESIGN.md")
        print(f"python run.py verify: exit {code}: {summary}")
        failed = any(r.errors for r in rounds) or code != 0
        if failed:
            print("\nerrors happened; the server log was:")
            print(*log.read_text(errors="replace").strip().splitlines()[-20:], sep="\n")
            sys.exit(1)


HEADER = (
    f"{'round':<7} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'sent in':>8} "
    f"{'all in':>8} {'srv cpu':>8} {'200s':>6} {'other':>6}  tally"
)


def row(name: str, found: Round | None, rounds: list[Round] | None = None) -> str:
    group = rounds if rounds is not None else [found] if found is not None else []

    def med(values: list[float]) -> float:
        return statistics.median(values)

    figures = [
        med([r.quantile(0.5) for r in group]),
        med([r.quantile(0.9) for r in group]),
        med([r.quantile(0.99) for r in group]),
        med([max(r.burst.latencies_ms, default=float("nan")) for r in group]),
        med([r.burst.spread_ms for r in group]),
        med([r.burst.makespan_ms for r in group]),
        med([r.burst.server_cpu_ms for r in group]),
    ]
    ok = sum(r.burst.statuses.get(200, 0) for r in group)
    other = sum(n for r in group for s, n in r.burst.statuses.items() if s != 200)
    tally = "equal to the recount" if not any(r.errors for r in group) else "ERRORS"
    return f"{name:<7} " + " ".join(f"{v:>8.1f}" for v in figures) + f" {ok:>6} {other:>6}  {tally}"


if __name__ == "__main__":
    main()
