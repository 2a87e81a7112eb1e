"""Pages budget (../shared/DESIGN.md "Performance budget"): an agenda page in under 20 ms p99 at 50
concurrent readers.

Seeds the demo into a temporary DATA_DIR, starts the real server (`python run.py serve`) on a
free loopback port, logs 50 readers in as Government members (each with a session of its own),
then, per round, loads two targets in two ways: 50 readers each reloading once a second
(paced; what a room of tablets does) and a fixed number of requests with 50 in flight at once
(saturation):
  (a) GET /meetings/{id}          the agenda page (HTML, server-rendered);
  (b) GET /api/v1/meetings/{id}   the same agenda as JSON.
It prints p50/p90/p99/max latency and requests per second for each round and the median over
the rounds; a second row per target sends a tenth as many requests one at a time, which shows
the bare service time without queueing. It asserts nothing, stays on 127.0.0.1, stops by
itself and kills the server.

The load generator (httpx on asyncio, one process) shares the machine with the server, so
the figures are an upper bound for what a tablet on the network would see from the server.

    .venv/bin/python bench/pages.py [--requests 2000] [--warmup 200] [--rounds 3] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from processes import free_port, wait_until_up  # noqa: E402

from agenda.demo import cast  # noqa: E402
from meeting_app.ops import commands  # noqa: E402
from meeting_app.settings import Settings  # noqa: E402

SESSION_COOKIE = "ecab_session"
BUDGET_P99_MS = 20.0
ROUND_TIMEOUT_S = 300.0


@dataclass
class Figures:
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def seed(data_dir: Path) -> None:
    started = time.perf_counter()
    commands.seed_demo(Settings.from_env({"DATA_DIR": str(data_dir)}))
    print(f"seeded the demo in {time.perf_counter() - started:.1f} s")


def start_server(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "run.py"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def member_logins() -> list[tuple[str, str]]:
    return [(a.username, a.password) for a in cast.ACCOUNTS if a.roles == ("member",)]


def log_in(base: str, readers: int) -> list[str]:
    """One session per reader, spread over the demo's member accounts."""
    accounts = member_logins()
    tokens: list[str] = []
    with httpx.Client(base_url=base, timeout=30.0) as client:
        for n in range(readers):
            username, password = accounts[n % len(accounts)]
            client.cookies.clear()
            response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
            response.raise_for_status()
            tokens.append(response.cookies[SESSION_COOKIE])
    return tokens


def published_meeting(base: str, token: str) -> int:
    with httpx.Client(base_url=base, cookies={SESSION_COOKIE: token}, timeout=30.0) as client:
        found = client.get("/api/v1/meetings").json()["items"]
    published = [m for m in found if m["state"] == "published"]
    if not published:
        raise SystemExit("the demo has no published meeting this member is invited to")
    meeting_id: int = published[0]["id"]
    with httpx.Client(base_url=base, cookies={SESSION_COOKIE: token}, timeout=30.0) as client:
        agenda = client.get(f"/api/v1/meetings/{meeting_id}").json()["agenda"]
    print(f"meeting {meeting_id}: {len(agenda)} agenda items")
    return meeting_id


async def hammer(base: str, path: str, tokens: list[str], total: int) -> Figures:
    """`total` GETs of `path`, one client per token, all of them in flight together."""
    latencies: list[float] = []
    errors = 0
    remaining = total
    clients = [
        httpx.AsyncClient(base_url=base, cookies={SESSION_COOKIE: t}, timeout=30.0, http2=False)
        for t in tokens
    ]

    async def reader(client: httpx.AsyncClient) -> None:
        nonlocal remaining, errors
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            response = await client.get(path)
            await response.aread()
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                errors += 1

    try:
        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(reader(c) for c in clients)), ROUND_TIMEOUT_S)
        seconds = time.perf_counter() - started
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return Figures(requests=len(latencies), seconds=seconds, latencies_ms=latencies, errors=errors)


async def pace(base: str, path: str, tokens: list[str], interval: float, duration: float) -> Figures:
    """Each reader asks for `path` once every `interval` seconds (random phase) for `duration`.

    This is 50 people with the agenda open, each reloading it every second: the load a room of
    tablets puts on the server, as opposed to `hammer`'s 50 requests always in flight.
    """
    latencies: list[float] = []
    errors = 0
    clients = [httpx.AsyncClient(base_url=base, cookies={SESSION_COOKIE: t}, timeout=30.0) for t in tokens]
    rng = random.Random(7)

    async def reader(client: httpx.AsyncClient) -> None:
        nonlocal errors
        loop = asyncio.get_running_loop()
        due = loop.time() + rng.uniform(0, interval)
        end = loop.time() + duration
        while due < end:
            await asyncio.sleep(max(0.0, due - loop.time()))
            started = time.perf_counter()
            response = await client.get(path)
            await response.aread()
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                errors += 1
            due += interval

    try:
        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(reader(c) for c in clients)), ROUND_TIMEOUT_S)
        seconds = time.perf_counter() - started
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return Figures(requests=len(latencies), seconds=seconds, latencies_ms=latencies, errors=errors)


COLUMNS = ("p50 ms", "p90 ms", "p99 ms", "max ms", "req/s")


def summary(f: Figures) -> tuple[float, ...]:
    return (f.quantile(0.50), f.quantile(0.90), f.quantile(0.99), max(f.latencies_ms), f.rps)


def line(name: str, values: tuple[float, ...], extra: str = "") -> str:
    shown = " ".join(f"{v:>8.1f}" if i < 4 else f"{v:>8.0f}" for i, v in enumerate(values))
    return f"{name:<34} {shown}{extra}"


def header(extra: str = "") -> str:
    return f"{'target':<34} " + " ".join(f"{c:>8}" for c in COLUMNS) + extra


async def measure(base: str, targets: dict[str, str], tokens: list[str], args: argparse.Namespace) -> None:
    results: dict[str, list[Figures]] = {}
    for number in range(1, args.rounds + 1):
        print(f"\nround {number}/{args.rounds}")
        print(header(f" {'reqs':>6} {'errors':>6}"))
        for name, path in targets.items():
            for label, readers, total in (
                (f"{name}, {len(tokens)} in flight", tokens, args.requests),
                (f"{name}, 1 in flight", tokens[:1], args.requests // 10),
            ):
                await hammer(base, path, readers, args.warmup)
                figures = await hammer(base, path, readers, total)
                results.setdefault(label, []).append(figures)
                print(line(label, summary(figures), f" {figures.requests:>6} {figures.errors:>6}"))
            label = f"{name}, {len(tokens)} readers at 1/{args.interval:g}s"
            figures = await pace(base, path, tokens, args.interval, args.duration)
            results.setdefault(label, []).append(figures)
            print(line(label, summary(figures), f" {figures.requests:>6} {figures.errors:>6}"))
    print(f"\nmedian of {args.rounds} rounds")
    print(header())
    for label, rounds in results.items():
        columns = zip(*(summary(f) for f in rounds), strict=True)
        print(line(label, tuple(statistics.median(c) for c in columns)))
    for label, rounds in results.items():
        if "readers at" in label:
            p99 = statistics.median(f.quantile(0.99) for f in rounds)
            verdict = "within" if p99 < BUDGET_P99_MS else "over"
            print(f"{label}: p99 {p99:.1f} ms, {verdict} the {BUDGET_P99_MS:.0f} ms budget of DESIGN.md")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per target and round")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured requests before each measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=50, help="readers in flight at once")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between one reader's reloads")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of paced reading per round")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}  readers: {args.concurrency}")
    with tempfile.TemporaryDirectory(prefix="ecabinet-bench-") as tmp:
        data_dir = Path(tmp)
        seed(data_dir)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(data_dir, port, data_dir / "server.log")
        try:
            wait_until_up(base, server)
            tokens = log_in(base, args.concurrency)
            meeting_id = published_meeting(base, tokens[0])
            targets = {
                "agenda page (HTML)": f"/meetings/{meeting_id}",
                "agenda JSON (API)": f"/api/v1/meetings/{meeting_id}",
            }
            asyncio.run(measure(base, targets, tokens, args))
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


if __name__ == "__main__":
    main()
