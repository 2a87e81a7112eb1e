"""eCabinet's command line: `python run.py COMMAND`, one of serve, create-user, verify, verify-pdf,
signer, migrate, reindex, backup and restore.

See ../shared/API.md "Command line" and docs/deployment.md.
"""

from __future__ import annotations

import argparse
import os
import sys

from meeting_app.ops import commands
from meeting_app.settings import BadSetting, Settings


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
    signer = sub.add_parser("signer", help="signing keys and certificates (docs/signatures.md)")
    signer_sub = signer.add_subparsers(dest="signer_command", required=True)
    enroll = signer_sub.add_parser(
        "enroll",
        help="give a user a key in the configured token and a certificate; print its SHA-256 as JSON",
    )
    who = enroll.add_mutually_exclusive_group(required=True)
    who.add_argument("--username")
    who.add_argument("--seal", action="store_true", help="the organisation's seal (PIN from the settings)")
    enroll.add_argument(
        "--pin-stdin", action="store_true", help="read the PIN from the first line of standard input"
    )
    enroll.add_argument("--pkcs12", help="import this PKCS#12 (key and certificate) instead of a new key")
    enroll.add_argument(
        "--pkcs12-password-stdin",
        action="store_true",
        help="read the PKCS#12's password from the next line of standard input",
    )
    sub.add_parser("migrate", help="apply migrations and exit")
    sub.add_parser("reindex", help="extract missing document text, then rebuild the search index")
    verify_pdf = sub.add_parser(
        "verify-pdf",
        help="validate every signature in a PDF; exit 0 only when all are intact and trusted",
        description="See docs/signatures.md, Verification. Prints the JSON of POST "
        "/api/v1/signatures/verify; exits 1 when the file is unsigned or a signature fails, "
        "2 when the file is missing or not a readable PDF.",
    )
    verify_pdf.add_argument("file", help="the PDF to check")

    backup = sub.add_parser(
        "backup",
        help="write the database (online snapshot) and DATA_DIR's originals, key and policy to one archive",
        description="See docs/deployment.md, Operations. Safe while the server runs and writes.",
    )
    backup.add_argument("file", help="the archive to create (.tar; .tar.gz compresses); never overwritten")
    restore = sub.add_parser(
        "restore",
        help="put a backup back into DATABASE_URL and DATA_DIR, checking every SHA-256 sum",
        description="See docs/deployment.md, Operations. Stop the servers first; run verify afterwards.",
    )
    restore.add_argument("file", help="an archive made by `run.py backup`")
    restore.add_argument("--force", action="store_true", help="overwrite a target that holds data")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except BadSetting as exc:  # one line naming the variable, no traceback
        print(f"run.py: {exc}", file=sys.stderr)
        return 2
    if args.command == "serve":
        import uvicorn

        if args.workers > 1 and not settings.database_url.startswith("postgres"):
            # Each process has its own hub; only PostgreSQL tells them of each other's events.
            print("--workers above 1 needs PostgreSQL (DATABASE_URL=postgresql://...)", file=sys.stderr)
            return 2
        commands.migrate(settings)
        if args.demo:
            url = f"http://{args.host}:{args.port}"
            commands.print_logins(commands.seed_demo(settings), url)
            commands.print_trust(settings, url)
        os.environ.setdefault("DATA_DIR", str(settings.data_dir))
        uvicorn.run(
            "meeting_app.serving:served_app",  # the app, with the thread limit and gc tuning of a server
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            # X-Forwarded-For/-Proto are believed only from the proxies named in FORWARDED_ALLOW_IPS
            # (uvicorn reads it); unset, the peer address is the client's (login rate limits).
            proxy_headers=bool(os.environ.get("FORWARDED_ALLOW_IPS")),
            log_level="info",
            access_log=not args.no_access_log,
            ws="websockets-sansio",
            ws_max_size=64 * 1024,  # the feed is push-only; clients have nothing large to send
            ws_per_message_deflate=False,  # frames are small; compressing each per socket costs CPU
            timeout_keep_alive=30,  # tablets keep their connection between taps
            # SIGTERM: stop accepting, close feeds with 1012, let requests in flight finish (30 s at most).
            timeout_graceful_shutdown=30,
            # --workers: a worker that does not answer the supervisor's ping is killed; a fresh one
            # importing the app on a busy machine may take more than uvicorn's default 5 s.
            timeout_worker_healthcheck=30,
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
    if args.command == "signer":
        pin = sys.stdin.readline().rstrip("\r\n") if args.pin_stdin else ""
        if args.username and not args.pin_stdin:
            print("run.py: signer enroll --username needs --pin-stdin", file=sys.stderr)
            return 2
        password = sys.stdin.readline().rstrip("\r\n") if args.pkcs12_password_stdin else None
        return commands.signer_enroll(
            settings,
            username=args.username,
            pin=pin,
            seal=args.seal,
            pkcs12=args.pkcs12,
            pkcs12_password=password,
        )
    if args.command == "migrate":
        commands.migrate(settings)
        return 0
    if args.command == "reindex":
        return commands.reindex(settings)
    if args.command == "verify-pdf":
        return commands.verify_pdf(settings, args.file)
    if args.command == "backup":
        return commands.backup(settings, args.file)
    if args.command == "restore":
        return commands.restore(settings, args.file, force=args.force)
    return 2


if __name__ == "__main__":
    sys.exit(main())
