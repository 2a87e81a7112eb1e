"""The command line's commands (`python run.py ...`, ../shared/API.md "Command line").

The demo (fpdf2 and the papers it draws) and the signing keys (pyHanko) are imported by the
commands that use them, not with this module: they are over half of its import time, ~1.3 s
that every `create-user`, `verify`, `reindex` or `backup` would otherwise pay before it starts.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agenda.db import Database, make_engine
from agenda.errors import BadPdf, DomainError
from agenda.log.events import verify_chain
from agenda.migrate import upgrade
from agenda.papers import documents
from agenda.papers.pdf_check import REJECTIONS, check_pdf
from agenda.people import accounts
from agenda.policy import Policy
from agenda.polls import poll_lifecycle
from agenda.search import index, queries
from agenda.signing import audit as signing_audit
from agenda.storage import original_path
from agenda.text import N_
from agenda.votes.tally import recount_all
from meeting_app.i18n import translate
from meeting_app.ops import backup as backups
from meeting_app.ops.archive import BackupError
from meeting_app.settings import Settings


def _database(settings: Settings) -> Database:
    accounts.passwords.use(settings.password_cost)
    engine = make_engine(settings.database_url, pool_size=0)
    upgrade(engine)
    return Database(engine)


def migrate(settings: Settings) -> None:
    _database(settings).engine.dispose()


def seed_demo(settings: Settings) -> list[tuple[str, str, str]]:
    """Seed the demo into an empty database; return the demo logins either way."""
    from agenda.demo import cast, demo
    from meeting_app.ops import signers

    db = _database(settings)
    policy = Policy.load(settings.data_dir / "policy.json")
    try:
        if db.read_sync(lambda s: demo.is_empty(session=s)):
            logins = db.write_sync(
                lambda s: demo.seed_demo(session=s, data_dir=settings.data_dir, policy=policy)
            )
            signers.enroll_demo(db, settings)
            return logins
        return list(cast.DEMO_LOGINS)
    finally:
        db.engine.dispose()


def reindex(settings: Settings) -> int:
    """Extract the text of every stored version that has none yet (in the PDF sandbox), then
    rebuild the whole search index; print what was done as JSON."""
    db = _database(settings)
    extracted = 0
    try:
        for version_id, sha256 in db.read_sync(documents.versions_without_text):
            path = original_path(settings.data_dir, sha256)
            if not path.exists():
                continue  # a missing original: tried again next time
            try:
                text = check_pdf(path).text
            except BadPdf:
                text = ""  # refused now: kept empty, so it is not tried again
            db.write_sync(partial(index.store_text, document_version_id=version_id, text=text))
            extracted += 1
        entries = db.write_sync(queries.rebuild)
    finally:
        db.engine.dispose()
    print(json.dumps({"extracted": extracted, "entries": entries}))
    return 0


def verify_pdf(settings: Settings, file: str) -> int:
    """Validate every signature in `file` against the configured trust roots, in this process
    (it is the caller's own file); print the report as POST /api/v1/signatures/verify answers it.
    Exit 0 only when the file is signed and every signature is intact and trusted (`valid`), 1
    otherwise, 2 when the file is missing or not a readable PDF (a JSON error on stderr)."""
    with warnings.catch_warnings():  # pyHanko names cryptography's DSA class, which warns on import
        warnings.filterwarnings("ignore", message="DSA is deprecated")
        from agenda.signing.verify import NotAPdf, verify_file  # pyHanko: only this command needs it

    path = Path(file)
    if not path.is_file():
        problem = (
            N_("{file}: là một thư mục, không phải tệp.")
            if path.is_dir()
            else N_("{file}: không có tệp này.")
        )
        return _pdf_error("no_file", translate(problem, {"file": file}))
    try:
        trust = settings.signing().trust()
        report = verify_file(path, trust.roots, trust.crls)
    except NotAPdf as exc:
        reason = translate(REJECTIONS.get(exc.reason, REJECTIONS["pdf_unreadable"]))
        return _pdf_error("bad_pdf", f"{file}: {reason} ({exc.detail})")
    except OSError as exc:
        return _pdf_error("io_error", translate(N_("Lỗi đọc hoặc ghi tệp: {detail}"), {"detail": str(exc)}))
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if report["valid"] else 1


def _pdf_error(code: str, message: str) -> int:
    print(json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False), file=sys.stderr)
    return 2


def backup(settings: Settings, target: str) -> int:
    """Write the database snapshot and DATA_DIR's originals, key and policy to `target`
    (meeting_app/ops/backup.py); print a JSON summary."""
    return _operation(lambda: backups.backup(settings, Path(target)))


def restore(settings: Settings, source: str, *, force: bool) -> int:
    """Put a backup back into this DATABASE_URL and DATA_DIR; print a JSON summary."""
    return _operation(lambda: backups.restore(settings, Path(source), force=force))


def _operation(run: Callable[[], dict[str, Any]]) -> int:
    """Run a backup or a restore: a JSON summary on stdout and exit 0, or a JSON error on
    stderr and exit 1; never a traceback."""
    try:
        summary = run()
    except BackupError as exc:
        error = {"code": exc.code, "message": translate(exc.message, exc.params)}
    except OSError as exc:
        error = {
            "code": "io_error",
            "message": translate(N_("Lỗi đọc hoặc ghi tệp: {detail}"), {"detail": str(exc)}),
        }
    except Exception as exc:
        error = {
            "code": "backup_failed",
            "message": translate(
                N_("Không sao lưu hoặc khôi phục được: {detail}"), {"detail": str(exc)[:600]}
            ),
        }
    else:
        print(json.dumps(summary, ensure_ascii=False))
        return 0
    print(json.dumps({"error": error}, ensure_ascii=False), file=sys.stderr)
    return 1


def print_trust(settings: Settings, url: str) -> None:
    from meeting_app.ops import signers

    signers.print_trust(settings, url)


def print_logins(logins: list[tuple[str, str, str]], url: str) -> None:
    print(f"\neCabinet demo on {url}\n")
    width = max(len(u) for u, _, _ in logins)
    for username, password, role in logins:
        print(f"  {username:<{width}}  {password:<20}  {role}")
    print()
    sys.stdout.flush()


def create_user(
    settings: Settings,
    *,
    username: str,
    full_name: str,
    roles: list[str],
    member_id: int | None,
    password: str,
) -> int:
    db = _database(settings)
    try:
        data = accounts.UserCreate(
            username=username, full_name=full_name, password=password, roles=roles, member_id=member_id
        )
        user = db.write_sync(lambda s: accounts.create_user(session=s, data=data, actor_id=None))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        print(json.dumps({"error": {"code": "invalid_input", "message": problems}}), file=sys.stderr)
        return 2
    except DomainError as exc:
        print(
            json.dumps(
                {"error": {"code": exc.code, "message": exc.message.format(**exc.params)}}, ensure_ascii=False
            ),
            file=sys.stderr,
        )
        return 2
    finally:
        db.engine.dispose()
    print(json.dumps({"id": user.id}))
    return 0


def signer_enroll(
    settings: Settings,
    *,
    username: str | None,
    pin: str,
    seal: bool,
    pkcs12: str | None,
    pkcs12_password: str | None,
) -> int:
    from meeting_app.ops import signers

    db = _database(settings)
    try:
        return signers.enroll(
            db,
            settings,
            username=username,
            pin=pin,
            seal=seal,
            pkcs12=Path(pkcs12) if pkcs12 else None,
            pkcs12_password=pkcs12_password,
        )
    finally:
        db.engine.dispose()


def verify(settings: Settings) -> int:
    """Re-check the hash chain of every stream, recount every closed vote from its ballots and
    every closed opinion ballot from its responses; exit 1 naming the first bad seq, or the
    votes and ballots whose tally differs."""
    db = _database(settings)
    policy = Policy.load(settings.data_dir / "policy.json")
    try:
        report = db.read_sync(lambda s: verify_chain(session=s))
        counted, problems = db.read_sync(lambda s: recount_all(s, policy))
        polls, poll_problems = db.read_sync(lambda s: poll_lifecycle.recount_all(s, policy))
        signed, file_problems = db.read_sync(lambda s: signing_audit.check_signed_files(s, settings.data_dir))
    finally:
        db.engine.dispose()
    summary: dict[str, Any] = {
        "intact": report.intact,
        "events": report.events,
        "streams": report.streams,
        "votes_recounted": counted,
        "votes_ok": not problems,
        "polls_recounted": polls,
        "polls_ok": not poll_problems,
        "signatures_checked": signed,
        "signed_files_ok": not file_problems,
    }
    if report.first_bad is not None:
        summary["first_bad"] = report.first_bad
        summary["first_bad_seq"] = report.first_bad["seq"]
    if problems:
        summary["bad_votes"] = [{"vote_id": p.vote_id, "reason": p.reason} for p in problems]
    if poll_problems:
        summary["bad_polls"] = [{"poll_id": p.poll_id, "reason": p.reason} for p in poll_problems]
    if file_problems:
        summary["bad_signed_files"] = [
            {"signed_file_id": p.signed_file_id, "seq": p.seq, "reason": p.reason} for p in file_problems
        ]
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if report.intact and not problems and not poll_problems and not file_problems else 1
