"""eCabinet's command line: `python run.py serve|create-user|verify|migrate|reindex` (see API.md)."""

from __future__ import annotations

import argparse
import os
import sys

from meeting_app import commands
from meeting_app.settings import Settings


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="run.py", description="eCabinet: paperless cabinet meetings")
    sub = top.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="apply migrations, then serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="seed the demo data into an empty database")
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--no-access-log", action="store_true", help="do not log every request")

    user = sub.add_parser("create-user", help="create an account and print its id as JSON")
    user.add_argument("--username", required=True)
    user.add_argument("--full-name", required=True)
    user.add_argument("--role", action="append", required=True, dest="roles")
    user.add_argument("--member-id", type=int)
    user.add_argument(
        "--password-stdin",
        action="store_true",
        required=True,
        help="read the password from the first line of standard input",
    )

    sub.add_parser("verify", help="re-check the event hash chain; exit 1 on the first bad seq")
    sub.add_parser("migrate", help="apply migrations and exit")
    sub.add_parser("reindex", help="extract missing document text, then rebuild the search index")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = Settings.from_env()
    if args.command == "serve":
        import uvicorn

        commands.migrate(settings)
        if args.demo:
            commands.print_logins(commands.seed_demo(settings), f"http://{args.host}:{args.port}")
        os.environ.setdefault("DATA_DIR", str(settings.data_dir))
        uvicorn.run(
            "meeting_app.app:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            proxy_headers=False,
            log_level="info",
            access_log=not args.no_access_log,
            ws="websockets-sansio",
            ws_max_size=64 * 1024,  # the feed is push-only; clients have nothing large to send
            ws_per_message_deflate=False,  # frames are small; compressing each per socket costs CPU
            timeout_keep_alive=30,  # tablets keep their connection between taps
        )
        return 0
    if args.command == "create-user":
        password = sys.stdin.readline().rstrip("\r\n")
        return commands.create_user(
            settings,
            username=args.username,
            full_name=args.full_name,
            roles=args.roles,
            member_id=args.member_id,
            password=password,
        )
    if args.command == "verify":
        return commands.verify(settings)
    if args.command == "migrate":
        commands.migrate(settings)
        return 0
    if args.command == "reindex":
        return commands.reindex(settings)
    return 2


if __name__ == "__main__":
    sys.exit(main())
