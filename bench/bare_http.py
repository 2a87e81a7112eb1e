"""The ballots baseline (DESIGN.md "Performance budget"): a bare ASGI app under uvicorn.

It reads each request's body and answers a small JSON 200, with no routing, no middleware, no
session, no database: what uvicorn itself costs per request on this machine. bench/votes.py
serves it with the same uvicorn options as `python run.py serve` (httptools, uvloop, the same
keep-alive) and sends it the same burst of ballots as ours, so the ratio between the two is
the price of everything eCabinet does per ballot.

    .venv/bin/python bench/bare_http.py --port 8124    # serve until killed
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn

ANSWER = b'{"vote_id": 0, "counted": true, "secret": false}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(ANSWER)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": ANSWER})


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=8124)
    args = parser.parse_args()
    uvicorn.run(
        app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False, timeout_keep_alive=30
    )


if __name__ == "__main__":
    main()
