"""Fan-out budget (../shared/DESIGN.md "Performance budget"): a chair's action reaches every tablet. At 1,000
tablets on one process, p99 within 1.5x of a bare `websockets` broadcast server measured in the
same run; 5,000 tablets on one process without error.

Two servers, each in its own process, measured under the same clients, alternating per round:
  (a) ours   `python run.py serve --no-access-log` on the demo (seeded in-process into a fresh
             DATA_DIR), the regular meeting started by the chair. A handful of accounts log in
             over HTTP (members inside and outside the restricted item's audience, the guest,
             the room display, the secretariat) and the tablets share their cookies, so the hub
             has several audience classes. Each tablet connects to /ws/meetings/{id} with the
             cookie and the Origin and waits for its snapshot. The chair then POSTs
             /api/v1/meetings/{id}/advance, alternating between the first two agenda items.
  (b) bare   bench/bare_broadcast.py: `websockets.asyncio.server.broadcast` of one frame of the
             same shape and size to every tablet, triggered by text on a /control socket.
Latency is the arrival of the `agenda.advanced` frame at a tablet minus the time just before
the trigger was sent (the HTTP POST for ours, the control frame for the bare one), over every
(tablet, advance) pair of a round; the next advance waits until every tablet has the last one.

The tablets are minimal WebSocket clients written as asyncio protocols, stamped when the bytes
come off the socket, so a client library's parser, queues and tasks add little to the figures.
They run in --clients worker processes (default 1); the machine's cores are shared by the
server and the clients, which is the same for both servers. "srv cpu" and "cli cpu" are the CPU
time the server process and the client processes spent per advance; "worst adv" is the median
latency of the slowest advance (one slow advance out of 20 is 5% of the samples, enough to set
the p99; --verbose prints every advance's median).
Errors: tablets refused or failing to connect, closed before the end, frames missing or out
of seq order, triggers that failed. Exits 1 when any happened.

    .venv/bin/python bench/fanout.py [--tablets 1000,5000] [--rounds 3] [--advances 20] [--clients 1]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, cast

import httpx
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as sync_connect
from websockets.version import version as websockets_version

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from processes import cpu_seconds, free_port  # noqa: E402

from agenda.demo import cast as demo_cast  # noqa: E402
from meeting_app.ops import commands  # noqa: E402
from meeting_app.settings import Settings  # noqa: E402

SESSION_COOKIE = "ecab_session"
BUDGET_RATIO = 1.5  # p99 against the bare server, at 1,000 tablets
BUDGET_TABLETS = 1000
# Who the tablets are (demo logins): members in and out of the restricted item's audience, the
# invited guest, the room display and the secretariat; the chair drives.
TABLET_LOGINS = (
    "pttg.thuongtruc",
    "bt.quocphong",
    "bt.taichinh",
    "bt.yte",
    "bt.gddt",
    "thongdoc",
    "khach",
    "manhinh",
    "thuky",
)
CHAIR_LOGIN = "chutoa"


# --- the tablets (worker processes) ------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    path: str
    origin: str
    cookies: tuple[str, ...]  # one Cookie header per login; tablet n uses cookies[n % len]


class Tablet(asyncio.Protocol):
    """One tablet: a minimal RFC 6455 client that stamps each frame when its bytes arrive.

    Hand-rolled rather than websockets' ClientProtocol to keep the client's cost per frame
    (which both servers pay in these figures) small: the handshake, unmasked server frames,
    fragments, permessage-deflate, pongs and the closing handshake; nothing else."""

    def __init__(self, worker: Worker, target: Target, cookie: str, deflate: bool) -> None:
        self.worker = worker
        self.request = handshake(target, cookie, deflate)
        self.inflater = zlib.decompressobj(-zlib.MAX_WBITS) if deflate else None
        self.transport: asyncio.Transport | None = None
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.arrivals: dict[int, float] = {}  # seq of each agenda.advanced frame -> perf_counter
        self.last_seq: int | None = None
        self.pending = b""  # bytes of an incomplete frame (or of the handshake response)
        self.open = False
        self.fragments: list[bytes] = []
        self.compressed = False
        self.closing = False
        self.failed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        self.transport.write(self.request)

    def fail(self, kind: str, detail: str) -> None:
        if not self.failed and not self.closing:
            self.failed = True
            self.worker.errors.append((kind, detail))
        if not self.ready.done():
            self.ready.set_result(None)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        if self.pending:
            data, self.pending = self.pending + data, b""
        if not self.open:
            end = data.find(b"\r\n\r\n")
            if end < 0:
                self.pending = data
                return
            status = data[: data.find(b"\r\n")]
            if not status.startswith(b"HTTP/1.1 101"):
                self.fail("refused", f"handshake answered {status.decode(errors='replace')}")
                self.closing = True
                if self.transport is not None:
                    self.transport.close()
                return
            self.open = True
            data = data[end + 4 :]
        at, size = 0, len(data)
        while size - at >= 2:
            head, length = data[at], data[at + 1] & 0x7F
            start = at + 2
            if length == 126:
                length, start = int.from_bytes(data[at + 2 : at + 4]), at + 4
            elif length == 127:
                length, start = int.from_bytes(data[at + 2 : at + 10]), at + 10
            if start + length > size:
                break
            self.on_frame(head, data[start : start + length], now)
            at = start + length
        if at < size:
            self.pending = data[at:]

    def on_frame(self, head: int, payload: bytes, now: float) -> None:
        opcode = head & 0x0F
        if opcode in (0x1, 0x2, 0x0):  # text, binary, continuation
            if opcode:
                self.compressed = bool(head & 0x40)
            self.fragments.append(payload)
            if head & 0x80:  # FIN
                message = self.fragments[0] if len(self.fragments) == 1 else b"".join(self.fragments)
                self.fragments = []
                if self.compressed and self.inflater is not None:
                    message = self.inflater.decompress(message + b"\x00\x00\xff\xff")
                self.on_message(message, now)
        elif opcode == 0x9:  # ping
            self.send(0xA, payload)
        elif opcode == 0x8:  # close
            code = int.from_bytes(payload[:2]) if len(payload) >= 2 else 1005
            reason = payload[2:].decode(errors="replace")
            self.fail("closed", f"closed by the server: {code} {reason}".strip())
            if not self.closing:
                self.send(0x8, payload[:2])
                self.closing = True
            if self.transport is not None:
                self.transport.close()

    def send(self, opcode: int, payload: bytes) -> None:
        """A masked frame to the server (pong or close): clients must mask."""
        if self.transport is None or self.transport.is_closing():
            return
        mask = os.urandom(4)
        masked = bytes(b ^ mask[n % 4] for n, b in enumerate(payload))
        self.transport.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    def on_message(self, message: bytes, now: float) -> None:
        frame: dict[str, Any] = json.loads(message)
        kind = frame.get("type")
        if kind == "snapshot":
            self.last_seq = int(frame["seq"])
            if not self.ready.done():
                self.ready.set_result(None)
        elif kind == "event":
            seq = int(frame["seq"])
            if self.last_seq is not None and seq != self.last_seq + 1:
                self.fail("out of order", f"event seq {seq} after {self.last_seq}")
            self.last_seq = seq
            if frame.get("kind") == "agenda.advanced":
                self.arrivals[seq] = now
                self.worker.arrived(seq)
            if not self.ready.done():  # replayed events without a snapshot: still connected
                self.ready.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closing:
            self.fail("closed", f"connection lost: {exc or 'EOF'}")
        if not self.lost.done():
            self.lost.set_result(None)

    def close(self) -> None:
        """Start the closing handshake; the server answers and closes the TCP connection."""
        if not self.closing:
            self.closing = True
            self.send(0x8, (1000).to_bytes(2))


def handshake(target: Target, cookie: str, deflate: bool) -> bytes:
    lines = [
        f"GET {target.path} HTTP/1.1",
        f"Host: {target.host}:{target.port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}",
        "Sec-WebSocket-Version: 13",
        f"Origin: {target.origin}",
    ]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    if deflate:  # what browsers offer
        lines.append("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@dataclass
class Worker:
    """A client process: its tablets, their arrival times, and the pipe to the bench."""

    pipe: Connection
    tablets: list[Tablet] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    counts: dict[int, int] = field(default_factory=dict)
    expected: int = 0

    def arrived(self, seq: int) -> None:
        self.counts[seq] = self.counts.get(seq, 0) + 1
        if self.counts[seq] == self.expected:
            self.pipe.send(("got", seq))


async def run_worker(pipe: Connection, target: Target, indices: list[int], args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    worker = Worker(pipe)
    gate = asyncio.Semaphore(args.connect_concurrency)

    async def one(index: int) -> None:
        cookie = target.cookies[index % len(target.cookies)] if target.cookies else ""
        async with gate:
            tablet = Tablet(worker, target, cookie, args.deflate)
            try:
                await loop.create_connection(lambda: tablet, target.host, target.port)
            except OSError as exc:
                worker.errors.append(("refused", f"connect: {exc}"))
                return
            worker.tablets.append(tablet)
            try:
                await asyncio.wait_for(asyncio.shield(tablet.ready), args.connect_timeout)
            except TimeoutError:
                tablet.fail("refused", f"no snapshot within {args.connect_timeout:g} s")

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in indices))
    worker.expected = sum(1 for t in worker.tablets if not t.failed)
    pipe.send(("ready", worker.expected, time.perf_counter() - started))
    cpu_ready = process_cpu()

    stop = loop.create_future()

    def on_pipe() -> None:
        if pipe.recv() == "stop" and not stop.done():
            stop.set_result(None)

    loop.add_reader(pipe.fileno(), on_pipe)
    await stop
    cpu_used = process_cpu() - cpu_ready
    loop.remove_reader(pipe.fileno())
    os.set_blocking(pipe.fileno(), True)  # add_reader made it non-blocking; the result is large
    for tablet in worker.tablets:
        tablet.close()
    lost = [t.lost for t in worker.tablets]
    if lost:
        await asyncio.wait(lost, timeout=10)
    for tablet in worker.tablets:
        if tablet.transport is not None and not tablet.lost.done():
            tablet.transport.abort()
    pipe.send(("result", [t.arrivals for t in worker.tablets if not t.failed], worker.errors, cpu_used))


def process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker_main(pipe: Connection, target: Target, indices: list[int], args: argparse.Namespace) -> None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] installs it
        asyncio.run(run_worker(pipe, target, indices, args))
    else:
        uvloop.run(run_worker(pipe, target, indices, args))


# --- the servers -------------------------------------------------------------------------------


def raise_open_files() -> int:
    """Lift the soft limit on open files to the hard one; the server subprocesses inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def wait_for_port(port: int, server: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"a server exited with {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port}")


@contextmanager
def process(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


class Server:
    """A server under test: where the tablets go and how the chair's action is triggered."""

    name: str
    pid: int
    target: Target

    def targets(self) -> list[Target]:
        """Where the tablets go: client process n connects to targets[n % len(targets)]
        (several for bench/cluster.py, whose tablets are spread over processes)."""
        return [self.target]

    def pids(self) -> list[int]:
        """The server processes whose CPU time counts."""
        return [self.pid]

    def trigger(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class Ours(Server):
    def __init__(self, pid: int, port: int) -> None:
        self.name = "ours"
        self.pid = pid
        self.base = f"http://127.0.0.1:{port}"
        passwords = {u: p for u, p, _ in demo_cast.DEMO_LOGINS}
        cookies: list[str] = []
        for username in TABLET_LOGINS:
            token, _ = log_in(self.base, username, passwords[username])
            cookies.append(f"{SESSION_COOKIE}={token}")
        token, csrf = log_in(self.base, CHAIR_LOGIN, passwords[CHAIR_LOGIN])
        self.chair = httpx.Client(
            base_url=self.base,
            cookies={SESSION_COOKIE: token},
            headers={"X-CSRF-Token": csrf, "Origin": self.base},
            timeout=30.0,
        )
        self.meeting_id = self.started_meeting()
        self.position: int | None = None
        self.target = Target("127.0.0.1", port, f"/ws/meetings/{self.meeting_id}", self.base, tuple(cookies))

    def started_meeting(self) -> int:
        found = self.chair.get("/api/v1/meetings").json()["items"]
        published = [m for m in found if m["state"] in ("published", "in_progress")]
        if not published:
            raise SystemExit("the demo has no published meeting")
        meeting_id: int = published[0]["id"]
        if published[0]["state"] == "published":
            # A session starts only with quorum: everyone invited is marked present first.
            snapshot = self.chair.get(f"/api/v1/meetings/{meeting_id}/live").json()
            for row in snapshot["state"]["attendance"]:
                marked = self.chair.put(
                    f"/api/v1/meetings/{meeting_id}/attendance/{row['member_id']}", json={"status": "present"}
                )
                if marked.status_code != 200:
                    raise SystemExit(f"attendance answered {marked.status_code}: {marked.text}")
            response = self.chair.post(f"/api/v1/meetings/{meeting_id}/start")
            if response.status_code != 200:
                raise SystemExit(f"start answered {response.status_code}: {response.text}")
        return meeting_id

    def trigger(self) -> None:
        to = "next" if self.position in (None, 1) else "previous"
        response = self.chair.post(f"/api/v1/meetings/{self.meeting_id}/advance", json={"to": to})
        if response.status_code != 200:
            raise RuntimeError(f"advance answered {response.status_code}: {response.text[:200]}")
        body = response.json()
        item = body.get("current_item", body) if isinstance(body, dict) else {}
        self.position = item.get("position") if isinstance(item, dict) else None
        if self.position is None:  # not told: alternate blindly between the first two items
            self.position = 2 if to == "next" else 1

    def close(self) -> None:
        self.chair.close()


class Bare(Server):
    def __init__(self, pid: int, port: int) -> None:
        self.name = "bare"
        self.pid = pid
        origin = f"http://127.0.0.1:{port}"
        self.target = Target("127.0.0.1", port, "/tablet", origin, ())
        self.control: ClientConnection = sync_connect(
            f"ws://127.0.0.1:{port}/control", compression=None, legacy=True
        )

    def trigger(self) -> None:
        self.control.send("advance")

    def close(self) -> None:
        self.control.close()


def log_in(base: str, username: str, password: str) -> tuple[str, str]:
    with httpx.Client(base_url=base, timeout=30.0) as client:
        response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
        if response.status_code != 200:
            raise SystemExit(f"login {username} answered {response.status_code}: {response.text}")
        return response.cookies[SESSION_COOKIE], response.json()["csrf_token"]


# --- one measurement ---------------------------------------------------------------------------


@dataclass
class Trial:
    server: str
    tablets: int
    connected: int = 0
    connect_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    server_cpu_ms: float = 0.0  # per advance
    client_cpu_ms: float = 0.0  # per advance, all client processes together
    advance_ms: list[float] = field(default_factory=list)  # each advance's median latency

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def receive(pipes: list[Connection], want: str, timeout: float) -> dict[int, tuple[Any, ...]]:
    """The next message of kind `want` from each pipe, by pipe index; missing ones time out."""
    got: dict[int, tuple[Any, ...]] = {}
    deadline = time.monotonic() + timeout
    while len(got) < len(pipes):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        for ready in wait([p for n, p in enumerate(pipes) if n not in got], left):
            assert isinstance(ready, Connection)
            message = ready.recv()
            if message[0] == want:
                got[pipes.index(ready)] = message
    return got


def trial(server: Server, tablets: int, args: argparse.Namespace) -> Trial:
    result = Trial(server.name, tablets)
    context = multiprocessing.get_context("fork")
    pipes: list[Connection] = []
    workers = []
    targets = server.targets()
    for n in range(args.clients):
        ours, theirs = context.Pipe()
        indices = list(range(n, tablets, args.clients))
        target = targets[n % len(targets)]
        proc = context.Process(target=worker_main, args=(theirs, target, indices, args), daemon=True)
        proc.start()
        theirs.close()
        pipes.append(ours)
        workers.append(proc)
    try:
        ready = receive(pipes, "ready", args.connect_timeout + tablets / 10)
        result.connected = sum(m[1] for m in ready.values())
        result.connect_s = max((m[2] for m in ready.values()), default=float("nan"))
        if len(ready) < len(pipes):
            result.errors.append(("refused", "a client process did not finish connecting"))
        triggered: list[float] = []
        cpu_before = sum(cpu_seconds(pid) for pid in server.pids())
        for number in range(args.warmup + args.advances):
            started = time.perf_counter()
            try:
                server.trigger()
            except Exception as exc:
                result.errors.append(("trigger", str(exc)))
                continue
            triggered.append(started)
            if len(receive(pipes, "got", args.frame_timeout)) < len(pipes):
                result.errors.append(("missing", f"advance {number + 1} did not reach every tablet"))
            time.sleep(args.pause)
        cpu_after = sum(cpu_seconds(pid) for pid in server.pids())
        result.server_cpu_ms = (cpu_after - cpu_before) * 1000 / max(1, len(triggered))
        for pipe in pipes:
            pipe.send("stop")
        results = receive(pipes, "result", 60.0)
    finally:
        for proc in workers:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    arrivals: list[dict[int, float]] = [a for m in results.values() for a in m[1]]
    for message in results.values():
        result.errors.extend(message[2])
        result.client_cpu_ms += message[3] * 1000 / max(1, len(triggered))
    if len(results) < len(pipes):
        result.errors.append(("missing", "a client process sent no result"))
    # The i-th advance is the i-th distinct seq any tablet saw.
    seqs = sorted({seq for a in arrivals for seq in a})
    if len(seqs) != len(triggered):
        result.errors.append(("missing", f"{len(triggered)} advances sent, {len(seqs)} seen"))
    for seq, sent in list(zip(seqs, triggered, strict=False))[args.warmup :]:
        these = [(tablet[seq] - sent) * 1000 for tablet in arrivals if seq in tablet]
        result.errors.extend([("missing", f"a tablet lacks seq {seq}")] * (len(arrivals) - len(these)))
        result.latencies_ms.extend(these)
        if these:
            result.advance_ms.append(statistics.median(these))
    return result


# --- the report ------------------------------------------------------------------------------


def summarize_errors(errors: list[tuple[str, str]]) -> str:
    if not errors:
        return "0"
    kinds: dict[str, int] = {}
    for kind, _ in errors:
        kinds[kind] = kinds.get(kind, 0) + 1
    return ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))


def row(name: str, trials: list[Trial]) -> str:
    def med(fn: Callable[[Trial], float]) -> float:
        return statistics.median(fn(t) for t in trials)

    return (
        f"{name:<6} {med(lambda t: t.quantile(0.5)):>8.1f} {med(lambda t: t.quantile(0.99)):>8.1f} "
        f"{med(lambda t: max(t.latencies_ms, default=float('nan'))):>8.1f} "
        f"{med(lambda t: max(t.advance_ms, default=float('nan'))):>9.1f} "
        f"{med(lambda t: t.server_cpu_ms):>10.1f} {med(lambda t: t.client_cpu_ms):>10.1f} "
        f"{med(lambda t: t.connect_s):>9.1f} "
        f"{med(lambda t: t.connected):>9.0f}  {summarize_errors([e for t in trials for e in t.errors])}"
    )


HEADER = (
    f"{'server':<6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'worst adv':>9} {'srv cpu ms':>10} "
    f"{'cli cpu ms':>10} {'connect s':>9} {'connected':>9}  errors"
)


def rounds(
    servers: list[Server], tablets: int, args: argparse.Namespace
) -> tuple[dict[str, list[Trial]], bool]:
    """`args.rounds` trials per server, alternating which goes first; prints each and the medians.
    Returns the trials by server name and whether none had an error (bench/cluster.py too)."""
    trials: dict[str, list[Trial]] = {s.name: [] for s in servers}
    clean = True
    for number in range(1, args.rounds + 1):
        print(f"\n{tablets} tablets, round {number}/{args.rounds}")
        print(HEADER)
        for server in servers if number % 2 else list(reversed(servers)):
            found = trial(server, tablets, args)
            trials[server.name].append(found)
            print(row(server.name, [found]))
            if args.verbose:
                print("    each advance's median ms:", " ".join(f"{v:.0f}" for v in found.advance_ms))
            for kind, detail in found.errors[:5]:
                print(f"    {kind}: {detail}")
            clean = clean and not found.errors
    print(f"\n{tablets} tablets, median of {args.rounds} rounds")
    print(HEADER)
    for name, found_trials in trials.items():
        print(row(name, found_trials))
    return trials, clean


def measure(servers: list[Server], args: argparse.Namespace) -> bool:
    clean = True
    for tablets in args.tablets:
        trials, clean_now = rounds(servers, tablets, args)
        clean = clean and clean_now
        if "ours" in trials and "bare" in trials:
            ratios = {
                q: statistics.median(
                    o.quantile(q) / b.quantile(q) for o, b in zip(trials["ours"], trials["bare"], strict=True)
                )
                for q in (0.5, 0.99)
            }
            line = f"ours/bare: p50 {ratios[0.5]:.2f}x, p99 {ratios[0.99]:.2f}x"
            if tablets == BUDGET_TABLETS:
                verdict = "within" if ratios[0.99] <= BUDGET_RATIO else "over"
                line += f" ({verdict} the {BUDGET_RATIO}x budget of ../shared/DESIGN.md)"
            print(line)
    return clean


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--tablets", default="1000,5000", type=lambda s: [int(n) for n in s.split(",")], help="e.g. 1000,5000"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--advances", type=int, default=20, help="measured advances per round")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured advances before them")
    parser.add_argument("--pause", type=float, default=0.1, help="seconds between advances")
    parser.add_argument("--clients", type=int, default=1, help="client processes holding the tablets")
    parser.add_argument("--servers", default="ours,bare", help="which servers to measure")
    parser.add_argument("--deflate", action="store_true", help="tablets offer permessage-deflate")
    parser.add_argument("--connect-concurrency", type=int, default=100, help="handshakes in flight")
    parser.add_argument("--connect-timeout", type=float, default=120.0)
    parser.add_argument("--frame-timeout", type=float, default=10.0)
    parser.add_argument("--verbose", action="store_true", help="print each advance's median latency")
    args = parser.parse_args()
    limit = raise_open_files()
    print(
        f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}  websockets: {websockets_version}  "
        f"open files: {limit}  client processes: {args.clients}  deflate: {'on' if args.deflate else 'off'}"
    )
    if limit < max(args.tablets) + 100:
        raise SystemExit(f"the open-file limit ({limit}) is too low for {max(args.tablets)} tablets")
    names = args.servers.split(",")
    with tempfile.TemporaryDirectory(prefix="ecabinet-fanout-") as tmp:
        data_dir = Path(tmp)
        env = {**os.environ, "DATA_DIR": str(data_dir)}
        env.pop("DATABASE_URL", None)
        ours_port, bare_port = free_port(), free_port()
        if "ours" in names:
            started = time.perf_counter()
            commands.seed_demo(Settings.from_env({"DATA_DIR": str(data_dir)}))
            print(f"seeded the demo in {time.perf_counter() - started:.1f} s")
        ours_cmd = [
            sys.executable,
            str(ROOT / "run.py"),
            "serve",
            "--port",
            str(ours_port),
            "--no-access-log",
        ]
        bare_cmd = [sys.executable, str(ROOT / "bench" / "bare_broadcast.py"), "--port", str(bare_port)]
        servers: list[Server] = []
        with ExitStack() as stack:
            if "ours" in names:
                ours = stack.enter_context(process(ours_cmd, env, data_dir / "ours.log"))
                wait_for_port(ours_port, ours)
                servers.append(Ours(ours.pid, ours_port))
                stack.callback(servers[-1].close)
            if "bare" in names:
                bare = stack.enter_context(process(bare_cmd, env, data_dir / "bare.log"))
                wait_for_port(bare_port, bare)
                servers.append(Bare(bare.pid, bare_port))
                stack.callback(servers[-1].close)
            clean = measure(servers, args)
        if not clean:
            print("\nerrors happened; the server logs were:")
            for log in ("ours.log", "bare.log"):
                if not (data_dir / log).exists():
                    continue
                text = (data_dir / log).read_text(errors="replace").strip().splitlines()
                print(f"--- {log} (last 20 lines)", *text[-20:], sep="\n")
            sys.exit(1)


if __name__ == "__main__":
    main()
