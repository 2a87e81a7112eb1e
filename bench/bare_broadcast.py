"""The fan-out baseline (../shared/DESIGN.md "Performance budget"): a bare `websockets` broadcast server.

No HTTP, no database, no auth, no per-viewer filtering: what the fastest Python server on the
same library does. bench/fanout.py starts it as a subprocess next to ours and measures both.
  - A tablet connects to any path but /control; it gets one small snapshot frame once it is
    registered (so a client knows it will receive the next broadcast), then only broadcasts.
  - A control connection to /control sends any text (e.g. "advance"); each one makes the server
    serialize ONE `agenda.advanced` event frame shaped and sized like ours and push it to every
    tablet with `websockets.asyncio.server.broadcast` (no backpressure, one write per socket).
It runs on uvloop when uvloop is installed, as uvicorn does with its default `--loop auto`, and
listens with uvicorn's default backlog (2048), so the two servers differ only in the software.

    .venv/bin/python bench/bare_broadcast.py --port 8765    # serve until killed
    .venv/bin/python bench/bare_broadcast.py                # self-check: 200 tablets, 20 advances
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import time
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, broadcast, serve

BACKLOG = 2048  # uvicorn's default


def event_frame(seq: int) -> str:
    """An `agenda.advanced` event as our hub sends it (about 200 bytes)."""
    at = datetime.now(UTC).isoformat()
    data = {
        "meeting_id": 1,
        "to_item_id": 2 + seq % 2,
        "at": at,
        "from_item_id": 3 - seq % 2,
        "spent_seconds": 0,
    }
    return json.dumps({"type": "event", "seq": seq, "kind": "agenda.advanced", "at": at, "data": data})


async def serve_forever(host: str, port: int, ready: asyncio.Event | None = None) -> None:
    tablets: set[ServerConnection] = set()
    seq = 0

    async def handler(ws: ServerConnection) -> None:
        nonlocal seq
        if ws.request is not None and ws.request.path == "/control":
            async for _ in ws:
                seq += 1
                broadcast(tablets, event_frame(seq))
            return
        tablets.add(ws)
        try:
            await ws.send(json.dumps({"type": "snapshot", "seq": seq, "epoch": "bare", "state": {}}))
            await ws.wait_closed()
        finally:
            tablets.discard(ws)

    async with serve(handler, host, port, backlog=BACKLOG):
        if ready is not None:
            ready.set()
        await asyncio.Future()  # until killed


def run(main: Coroutine[Any, Any, None]) -> None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] installs it
        asyncio.run(main)
    else:
        uvloop.run(main)


async def check(port: int, tablets: int, advances: int) -> list[float]:
    """Self-check: serve in this process, connect `tablets` clients, time `advances` broadcasts."""
    ready = asyncio.Event()
    server = asyncio.create_task(serve_forever("127.0.0.1", port, ready))
    await ready.wait()
    url = f"ws://127.0.0.1:{port}"
    clients = [await connect(f"{url}/tablet", compression=None) for _ in range(tablets)]
    for client in clients:
        await client.recv()  # the snapshot: registered
    latencies: list[float] = []
    async with connect(f"{url}/control", compression=None) as control:
        for _ in range(advances):
            started = time.perf_counter()
            await control.send("advance")
            for client in clients:
                await client.recv()
            latencies.append((time.perf_counter() - started) * 1000)
    await asyncio.gather(*(c.close() for c in clients))
    server.cancel()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, help="serve on this port until killed")
    parser.add_argument("--tablets", type=int, default=200, help="self-check only")
    parser.add_argument("--advances", type=int, default=20, help="self-check only")
    args = parser.parse_args()
    if args.port is not None:
        run(serve_forever(args.host, args.port))
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result: list[list[float]] = []

    async def checked() -> None:
        result.append(await check(port, args.tablets, args.advances))

    run(checked())
    times = sorted(result[0])
    print(
        f"bare broadcast self-check, {args.tablets} tablets in this process: last arrival after "
        f"median {statistics.median(times):.1f} ms, max {times[-1]:.1f} ms over {args.advances} advances"
    )


if __name__ == "__main__":
    main()
