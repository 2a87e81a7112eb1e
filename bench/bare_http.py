"""The ballots baseline (../shared/DESIGN.md "Performance budget"): a bare ASGI app under uvicorn.

It reads each request's body and answers a small JSON 200, with no routing, no middleware, no
session, no database: what uvicorn itself costs per request on this machine. bench/votes.py
serves it with the same uvicorn options as `python run.py serve` (httptools, uvloop, the same
keep-alive) and sends it the same burst of ballots as ours, so the ratio between the two is
the price of everything eCabinet does per ballot. With --secure-headers it answers with the
headers every eCabinet answer carries (Cache-Control and meeting_app/security.py's), whose
checking and writing uvicorn pays per header: the floor under any answer of ours.

    .venv/bin/python bench/bare_http.py --port 8124    # serve until killed
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from meeting_app.security import SECURITY_HEADERS

ANSWER = b'{"vote_id": 0, "counted": true, "secret": false}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(ANSWER)).encode())]
# --secure-headers: also what every eCabinet answer must carry (meeting_app/security.py)
SECURE = [*HEADERS, (b"cache-control", b"no-store"), *SECURITY_HEADERS]  # --secure-headers


def make_app(headers: list[tuple[bytes, bytes]]) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": ANSWER})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=8124)
    parser.add_argument("--secure-headers", action="store_true", help="answer with eCabinet's headers")
    args = parser.parse_args()
    app = make_app(SECURE if args.secure_headers else HEADERS)
    uvicorn.run(
        app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False, timeout_keep_alive=30
    )


if __name__ == "__main__":
    main()
