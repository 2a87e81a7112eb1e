"""Fan-out over several processes (issue 6): a chair's action on one process reaches tablets
spread over two, on PostgreSQL, compared with all of them on one process in the same run.
Goal: no errors, and a p99 no worse than the single process with the same tablets.

The demo is seeded into a fresh schema of --database-url (dropped at the end), and two servers,
A and B (`python run.py serve --no-access-log`), serve it from the same DATA_DIR. The chair
always advances over HTTP on A. Per round, alternating the order:
  single   every tablet on A;
  cluster  the tablets spread evenly over A and B: B's learn of the advance through PostgreSQL
           (NOTIFY, then B's LISTEN connection reads the row: meeting_app/live/listener.py).
The same --clients client processes hold the tablets in both (client n connects to the n-th
server, round robin), so the clients cost the same; "srv cpu" is A's and B's CPU together.
The tablets, the latency (advance POST to arrival of the `agenda.advanced` frame at a tablet),
the errors and the columns are those of bench/fanout.py, whose client code this reuses.

Each tablet is a socket on the server and one in a client process: the open-file limit is
raised to its hard limit (fanout.raise_open_files), and must exceed the tablets.

    .venv/bin/python bench/cluster.py [--tablets 5000] [--rounds 3] [--advances 20] [--clients 2]
        [--database-url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fanout
from fanout import ROOT, Ours, Server, Target

from meeting_app.ops import commands
from meeting_app.settings import Settings

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/test"


class Spread(Server):
    """The same chair and meeting as `chair` (on A), with the tablets spread over A and others."""

    def __init__(self, chair: Ours, others: list[tuple[int, int]]) -> None:
        self.name = "cluster"
        self.chair = chair
        self.pid = chair.pid
        self.target = chair.target
        self._targets = [chair.target] + [
            replace(chair.target, port=port, origin=f"http://127.0.0.1:{port}") for _, port in others
        ]
        self._pids = [chair.pid] + [pid for pid, _ in others]

    def targets(self) -> list[Target]:
        return self._targets

    def pids(self) -> list[int]:
        return self._pids

    def trigger(self) -> None:
        self.chair.trigger()


class Single(Server):
    """Every tablet on A; A's and B's CPU both count, as in the cluster."""

    def __init__(self, chair: Ours, other_pids: list[int]) -> None:
        self.name = "single"
        self.chair = chair
        self.pid = chair.pid
        self.target = chair.target
        self._pids = [chair.pid, *other_pids]

    def pids(self) -> list[int]:
        return self._pids

    def trigger(self) -> None:
        self.chair.trigger()


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A new, empty schema of `url`, selected by search_path; dropped at the end."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.OperationalError as exc:  # `make bench` without PostgreSQL: skip, do not fail
        print(f"PostgreSQL does not answer at {url} ({exc}); skipped")
        sys.exit(0)
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def wait_ready(port: int, timeout: float = 60.0) -> None:
    """Until /readyz says the database answers and the LISTEN connection is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server on port {port} was not ready within {timeout:g} s")


def measure(single: Server, cluster: Server, args: argparse.Namespace) -> bool:
    trials, clean = fanout.rounds([single, cluster], args.tablets, args)
    ratios = {
        q: statistics.median(
            c.quantile(q) / s.quantile(q) for c, s in zip(trials["cluster"], trials["single"], strict=True)
        )
        for q in (0.5, 0.99)
    }
    verdict = "no worse than" if ratios[0.99] <= 1.0 else "worse than"
    print(
        f"cluster/single: p50 {ratios[0.5]:.2f}x, p99 {ratios[0.99]:.2f}x "
        f"(the cluster's p99 is {verdict} the single process's)"
    )
    return clean


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tablets", type=int, default=5000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--advances", type=int, default=20, help="measured advances per round")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured advances before them")
    parser.add_argument("--pause", type=float, default=0.1, help="seconds between advances")
    parser.add_argument("--clients", type=int, default=2, help="client processes holding the tablets")
    parser.add_argument("--deflate", action="store_true", help="tablets offer permessage-deflate")
    parser.add_argument("--connect-concurrency", type=int, default=100, help="handshakes in flight")
    parser.add_argument("--connect-timeout", type=float, default=120.0)
    parser.add_argument("--frame-timeout", type=float, default=10.0)
    parser.add_argument("--verbose", action="store_true", help="print each advance's median latency")
    args = parser.parse_args()
    if args.clients < 2:
        raise SystemExit("--clients must be at least 2: one per server in the cluster")
    limit = fanout.raise_open_files()
    print(
        f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}  open files: {limit}  "
        f"client processes: {args.clients}  servers: 2 (A: chair and tablets, B: tablets)"
    )
    if limit < args.tablets + 200:
        raise SystemExit(f"the open-file limit ({limit}) is too low for {args.tablets} tablets")
    with (
        tempfile.TemporaryDirectory(prefix="ecabinet-cluster-") as tmp,
        fresh_schema(args.database_url) as url,
    ):
        data_dir = Path(tmp)
        env = {**os.environ, "DATA_DIR": str(data_dir), "DATABASE_URL": url}
        env.pop("SECRET_KEY", None)  # both read DATA_DIR/secret_key
        started = time.perf_counter()
        commands.seed_demo(Settings.from_env({"DATA_DIR": str(data_dir), "DATABASE_URL": url}))
        print(f"seeded the demo on PostgreSQL in {time.perf_counter() - started:.1f} s")
        ports = [fanout.free_port(), fanout.free_port()]
        with ExitStack() as stack:
            procs = []
            for name, port in zip("AB", ports, strict=True):
                command = [
                    sys.executable,
                    str(ROOT / "run.py"),
                    "serve",
                    "--port",
                    str(port),
                    "--no-access-log",
                ]
                procs.append(stack.enter_context(fanout.process(command, env, data_dir / f"{name}.log")))
            for port, proc in zip(ports, procs, strict=True):
                fanout.wait_for_port(port, proc)
                wait_ready(port)
            chair = Ours(procs[0].pid, ports[0])
            stack.callback(chair.close)
            single = Single(chair, [procs[1].pid])
            cluster = Spread(chair, [(procs[1].pid, ports[1])])
            clean = measure(single, cluster, args)
        if not clean:
            print("\nerrors happened; the server logs were:")
            for name in "AB":
                text = (data_dir / f"{name}.log").read_text(errors="replace").strip().splitlines()
                print(f"--- {name}.log (last 20 lines)", *text[-20:], sep="\n")
            sys.exit(1)


if __name__ == "__main__":
    main()
