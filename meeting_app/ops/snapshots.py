"""Database snapshots for backups, and putting them back, per engine. See docs/deployment.md
"Operations".

- SQLite: `sqlite3.Connection.backup` copies the live database in one read transaction, so the
  copy is consistent while the server keeps writing (WAL lets the writer go on). A restore runs
  the same API the other way, inside SQLite's locking, WAL and -shm included.
- PostgreSQL: `pg_dump --format=custom` of the app's schema, in a snapshot exported by a
  REPEATABLE READ transaction that also counts the event log, so the manifest's count is the
  dump's. A restore is `pg_restore --clean --if-exists --single-transaction`: all or nothing.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from agenda.db import make_engine, normalize_url
from agenda.text import N_
from meeting_app.ops.archive import BackupError

SQLITE, POSTGRESQL = "sqlite", "postgresql"
TOOL_TIMEOUT = 6 * 3600  # seconds; a dump of a large database takes long, a hung one must end
SCHEMA_ENTRY = re.compile(r"^\d+; \d+ \d+ (SCHEMA - |COMMENT - SCHEMA )")


@dataclass(frozen=True)
class Facts:
    """What a snapshot holds, for the manifest and for checking a restore."""

    events: int
    revisions: list[str]
    schema: str | None = None


def engine_of(database_url: str) -> str:
    name = make_url(normalize_url(database_url)).get_backend_name()
    if name not in (SQLITE, POSTGRESQL):
        raise BackupError(
            N_("Không hỗ trợ cơ sở dữ liệu {engine}."), code="unsupported_database", engine=name
        )
    return name


def facts(database_url: str) -> Facts:
    """The event count and Alembic revisions of the database at `database_url` (0 and [] when
    it has no tables yet)."""
    engine = make_engine(database_url, pool_size=0)
    try:
        tables = set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            events = (
                int(conn.execute(text("SELECT count(*) FROM event")).scalar_one()) if "event" in tables else 0
            )
            revisions = (
                sorted(
                    str(r) for r in conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
                )
                if "alembic_version" in tables
                else []
            )
    except Exception as exc:
        raise unreachable(exc) from exc
    finally:
        engine.dispose()
    return Facts(events=events, revisions=revisions)


def unreachable(exc: BaseException) -> BackupError:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return BackupError(
        N_("Không đọc được cơ sở dữ liệu: {detail}"), code="database_unreachable", detail=detail[:300]
    )


# --- SQLite -------------------------------------------------------------------------------------


def sqlite_path(database_url: str) -> Path:
    name = make_url(database_url).database
    if not name or name == ":memory:":
        raise BackupError(
            N_("Không hỗ trợ cơ sở dữ liệu {engine}."), code="unsupported_database", engine="sqlite"
        )
    return Path(name).resolve()


def sqlite_snapshot(database_url: str, dest: Path) -> Facts:
    """An online copy of the live database into `dest` (a new file)."""
    path = sqlite_path(database_url)
    if not path.exists():
        raise unreachable(FileNotFoundError(str(path)))
    try:
        source = sqlite3.connect(path, timeout=30)
        copy = sqlite3.connect(dest)
        try:
            source.execute("PRAGMA busy_timeout=30000")
            source.backup(copy)  # all pages in one step: one consistent read of the database
        finally:
            copy.close()
            source.close()
        with closing(sqlite3.connect(dest)) as conn:
            tables = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "event" not in tables:
                raise BackupError(
                    N_("Cơ sở dữ liệu chưa có bảng của eCabinet; hãy chạy migrate trước."),
                    code="database_empty",
                )
            events = int(conn.execute("SELECT count(*) FROM event").fetchone()[0])
            revisions = sorted(str(r[0]) for r in conn.execute("SELECT version_num FROM alembic_version"))
    except sqlite3.Error as exc:
        raise unreachable(exc) from exc
    return Facts(events=events, revisions=revisions)


def sqlite_check(path: Path) -> None:
    """Refuse a snapshot that SQLite itself finds damaged."""
    try:
        with closing(sqlite3.connect(path)) as conn:
            verdict = conn.execute("PRAGMA quick_check").fetchone()
    except sqlite3.Error as exc:
        verdict = (str(exc),)
    if verdict is None or verdict[0] != "ok":
        raise BackupError(
            N_("Bản chụp cơ sở dữ liệu trong tệp sao lưu bị hỏng: {detail}"),
            code="backup_database_damaged",
            detail=str(verdict[0] if verdict else "?")[:300],
        )


def sqlite_restore(source: Path, database_url: str) -> None:
    """Copy the snapshot at `source` over the database at `database_url`, through SQLite's own
    locking (a server still running would wait, then see the new content)."""
    path = sqlite_path(database_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        snapshot = sqlite3.connect(source)
        target = sqlite3.connect(path, timeout=30)
        try:
            target.execute("PRAGMA busy_timeout=30000")
            snapshot.backup(target)
        finally:
            target.close()
            snapshot.close()
    except sqlite3.Error as exc:
        raise unreachable(exc) from exc


# --- PostgreSQL ---------------------------------------------------------------------------------


def libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """The conninfo for libpq and its tools, and the environment that carries the password (so
    it never shows on a command line)."""
    _scheme, _, rest = normalize_url(database_url).partition("://")
    params = conninfo_to_dict(f"postgresql://{rest}")
    env = dict(os.environ)
    password = params.pop("password", None)
    if password:
        env["PGPASSWORD"] = str(password)
    return make_conninfo("", **{k: str(v) for k, v in params.items() if v is not None}), env


def run_tool(args: list[str], env: dict[str, str]) -> str:
    try:
        done = subprocess.run(
            args, env=env, capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=False
        )
    except FileNotFoundError:
        raise BackupError(
            N_("Không tìm thấy chương trình {tool}; hãy cài gói postgresql-client."),
            code="tool_missing",
            tool=args[0],
        ) from None
    except subprocess.TimeoutExpired:
        raise BackupError(
            N_("{tool} không xong: {detail}"), code="tool_failed", tool=args[0], detail="timeout"
        ) from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise BackupError(
            N_("{tool} không xong: {detail}"),
            code="tool_failed",
            tool=args[0],
            detail=" / ".join(lines[-3:])[:600] or f"exit {done.returncode}",
        )
    return done.stdout


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def pg_snapshot(database_url: str, dest: Path) -> Facts:
    """`pg_dump` of the app's schema into `dest`, with the event count of the same snapshot."""
    conninfo, env = libpq(database_url)
    try:
        with psycopg.connect(conninfo) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            row = conn.execute("SELECT pg_export_snapshot(), current_schema()").fetchone()
            assert row is not None
            snapshot, schema = str(row[0]), row[1]
            if schema is None or conn.execute("SELECT to_regclass('event')").fetchone() == (None,):
                raise BackupError(
                    N_("Cơ sở dữ liệu chưa có bảng của eCabinet; hãy chạy migrate trước."),
                    code="database_empty",
                )
            count = conn.execute("SELECT count(*) FROM event").fetchone()
            revisions = sorted(str(r[0]) for r in conn.execute("SELECT version_num FROM alembic_version"))
            run_tool(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--schema={quoted(schema)}",
                    f"--snapshot={snapshot}",
                    f"--file={dest}",
                    f"--dbname={conninfo}",
                ],
                env,
            )
            conn.rollback()
    except psycopg.Error as exc:
        raise unreachable(exc) from exc
    return Facts(events=int(count[0]) if count else 0, revisions=revisions, schema=str(schema))


def pg_target_schema(database_url: str) -> str:
    """The schema the app would use at `database_url`: the first of its search_path (even when it
    does not exist yet)."""
    conninfo, _env = libpq(database_url)
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            row = conn.execute("SELECT current_schema(), current_setting('search_path')").fetchone()
    except psycopg.Error as exc:
        raise unreachable(exc) from exc
    assert row is not None
    if row[0]:
        return str(row[0])
    for part in str(row[1]).split(","):
        name = part.strip()
        if name.startswith('"') and name.endswith('"'):
            name = name[1:-1].replace('""', '"')
        if name and name != "$user":
            return name
    return "public"


def pg_restore(dump: Path, database_url: str, schema: str, listing: Path) -> None:
    """Restore `dump` into `schema` (created when missing) in one transaction. The schema's own
    entry is left out of the restore, so --clean drops and recreates the app's objects only,
    never the schema with whatever else it holds."""
    conninfo, env = libpq(database_url)
    entries = run_tool(["pg_restore", "--list", str(dump)], env)
    listing.write_text("".join(line + "\n" for line in entries.splitlines() if not SCHEMA_ENTRY.match(line)))
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted(schema)}")
    except psycopg.Error as exc:
        raise unreachable(exc) from exc
    run_tool(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--use-list={listing}",
            f"--dbname={conninfo}",
            str(dump),
        ],
        env,
    )
