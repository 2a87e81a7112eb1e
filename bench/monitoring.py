"""The monitoring board's budget (issue 15): p99 under 200 ms for the board and the task list
over 50,000 tasks, 5 years and 30 agencies, on SQLite and on PostgreSQL.

Builds, in-process, a fresh database (a SQLite file in a temporary DATA_DIR; with
--database-url, a fresh PostgreSQL schema, dropped after): 30 agencies, 50,000 tasks due over
five years ending a year from today (60 % done, on time or late, 5 % cancelled, 3 % restricted,
the rest open), a report for each done task, and 3,000 programme items over the same five
years in every status, all bulk-inserted (agenda.log.bulk.insert_rows). Then times, each
`--rounds` times after one warm-up:
  board (year)       figures.board for this year, computed (the domain query: two GROUP BYs)
  board (year) kept  the same through the board's cache (agenda/monitoring/board_cache.py), as
                     the API and the page read it: one max(event id) while nothing changed
  board (5 years)    the same two over the five years
  page (year)        GET /monitoring, the whole page (figures through the cache, at-risk lists,
                     charts), in-process
  page (5 years)     the same over the five years
  task list          views.list_tasks: the first page of every task, soonest due first, and its count
  task list overdue  the same filtered on the overdue state
and prints p50, p99 and max in ms per line, with OK when p99 is under 200 ms. Asserts nothing.

    .venv/bin/python bench/monitoring.py [--tasks 50000] [--rounds 50]
    .venv/bin/python bench/monitoring.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bulk_insert import database  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlmodel import Session, select  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from agenda.agencies.registry import Agency  # noqa: E402
from agenda.clock import local_today, utcnow  # noqa: E402
from agenda.db import Database, make_engine  # noqa: E402
from agenda.log.bulk import insert_rows  # noqa: E402
from agenda.migrate import upgrade  # noqa: E402
from agenda.monitoring import figures  # noqa: E402
from agenda.monitoring.board_cache import BoardCache  # noqa: E402
from agenda.monitoring.period import Period, month_of  # noqa: E402
from agenda.people import accounts  # noqa: E402
from agenda.people.accounts import PasswordCost, UserCreate  # noqa: E402
from agenda.programme.programme import ProgrammeItem  # noqa: E402
from agenda.tasks import views  # noqa: E402
from agenda.tasks.models import Task, TaskReport  # noqa: E402
from agenda.viewer import Viewer  # noqa: E402
from meeting_app.app import create_app  # noqa: E402
from meeting_app.settings import Settings  # noqa: E402

BUDGET_MS = 200.0
AGENCIES = 30
ITEMS = 3000
BATCH = 5000
PASSWORD = "bench-monitoring-1"
ITEM_STATUSES = ("planned", "submitted", "ready", "scheduled", "concluded", "postponed", "withdrawn")
TASK_COLUMNS = (
    "code",
    "title",
    "description",
    "lead_agency_id",
    "due_on",
    "due_month",
    "original_due_on",
    "status",
    "completed_on",
    "cancelled_on",
    "restricted",
    "created_at",
    "updated_at",
)


def seed(db: Database, tasks: int, rng: random.Random) -> None:
    today = local_today()
    first = today - timedelta(days=4 * 365)
    span = 5 * 365
    now = utcnow()

    def agencies(s: Session) -> list[int]:
        rows = [(f"CQ{n:02d}", f"Bộ số {n:02d}", "ministry", True, now) for n in range(AGENCIES)]
        insert_rows(s, Agency, ("code", "name", "kind", "active", "created_at"), rows)
        return [a for a in s.exec(select(Agency.id)).all() if a is not None]

    agency_ids = db.write_sync(agencies)
    for start in range(0, tasks, BATCH):
        rows = []
        for n in range(start, min(tasks, start + BATCH)):
            due = first + timedelta(days=rng.randrange(span))
            roll = rng.random()
            status, completed, cancelled = "open", None, None
            if roll < 0.05:
                status, cancelled = "cancelled", min(today, due - timedelta(days=rng.randrange(30)))
            elif roll < 0.65 and due - timedelta(days=30) <= today:
                status = "done"
                completed = min(today, due + timedelta(days=rng.randrange(-30, 20)))
            rows.append(
                (
                    f"NV-{n:06d}",
                    f"Nhiệm vụ số {n} về cải cách thủ tục hành chính",
                    "",
                    rng.choice(agency_ids),
                    due,
                    month_of(due),
                    due,
                    status,
                    completed,
                    cancelled,
                    rng.random() < 0.03,
                    now,
                    now,
                )
            )
        db.write_sync(lambda s, rows=rows: insert_rows(s, Task, TASK_COLUMNS, rows))
    done_ids = db.read_sync(lambda s: list(s.exec(select(Task.id).where(Task.status == "done")).all()))
    reports = [(task_id, "Đã hoàn thành", True, now) for task_id in done_ids]
    for start in range(0, len(reports), BATCH):
        chunk = reports[start : start + BATCH]
        db.write_sync(
            lambda s, chunk=chunk: insert_rows(
                s, TaskReport, ("task_id", "text", "done", "created_at"), chunk
            )
        )
    items = []
    for n in range(ITEMS):
        month = month_of(first + timedelta(days=rng.randrange(span)))
        status = rng.choice(ITEM_STATUSES)
        late = status not in ("planned", "postponed", "withdrawn") and rng.random() < 0.2
        items.append(
            (
                f"DA-{n:05d}",
                f"Đề án số {n}",
                "scheme",
                "Bộ",
                rng.choice(agency_ids),
                month,
                status,
                late,
                3 if late else 0,
                now,
                now,
            )
        )
    columns = (
        "code",
        "title",
        "kind",
        "lead_agency",
        "lead_agency_id",
        "planned_month",
        "status",
        "submitted_late",
        "days_late",
        "created_at",
        "updated_at",
    )
    db.write_sync(lambda s: insert_rows(s, ProgrammeItem, columns, items))

    def user(s: Session) -> None:
        accounts.create_user(
            session=s,
            data=UserCreate(
                username="bench-vpcp",
                full_name="Văn phòng Chính phủ",
                password=PASSWORD,
                roles=["secretariat"],
            ),
            actor_id=None,
        )

    db.write_sync(user)


def analyze(engine: Any, *, postgres: bool) -> None:
    """Fresh statistics (and, on PostgreSQL, the visibility map that index-only scans need), as
    autovacuum keeps them after a bulk load."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if postgres else "ANALYZE"))


def timed(label: str, fn: Callable[[], Any], rounds: int) -> None:
    fn()  # warm-up
    found = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        found.append((time.perf_counter() - start) * 1000)
    found.sort()
    p50 = statistics.median(found)
    p99 = found[min(len(found) - 1, round(0.99 * (len(found) - 1)))]
    verdict = "OK" if p99 < BUDGET_MS else "OVER"
    print(f"  {label:<20} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   max {found[-1]:7.1f} ms   {verdict}")


def run(url: str | None, tasks: int, rounds: int) -> None:
    accounts.passwords.use(PasswordCost(time_cost=1, memory_kib=8, parallelism=1))
    with (
        tempfile.TemporaryDirectory(prefix="bench-monitoring-") as folder,
        database(url, Path(folder)) as db_url,
    ):
        engine = make_engine(db_url)
        upgrade(engine)
        db = Database(engine)
        started = time.perf_counter()
        seed(db, tasks, random.Random(15))
        engine_name = "PostgreSQL" if url else "SQLite"
        seconds = time.perf_counter() - started
        print(f"{engine_name}: {tasks} tasks, {AGENCIES} agencies, {ITEMS} items seeded in {seconds:.1f} s")
        today = local_today()
        year = Period(f"{today.year}-01", f"{today.year}-12")
        five = Period(month_of(today - timedelta(days=4 * 365)), month_of(today + timedelta(days=365)))
        analyze(engine, postgres=url is not None)
        staff = Viewer(user_id=0, roles=frozenset({"secretariat"}))
        cache = BoardCache()
        for label, period in (("year", year), ("5 years", five)):

            def computed(s: Session, period: Period = period) -> Any:
                return figures.board(session=s, viewer=staff, period=period)

            def kept(s: Session, period: Period = period) -> Any:
                return figures.board(session=s, viewer=staff, period=period, cache=cache)

            timed(f"board ({label})", lambda computed=computed: db.read_sync(computed), rounds)
            timed(f"board ({label}) kept", lambda kept=kept: db.read_sync(kept), rounds)
        overdue = views.TaskFilter(state="overdue")
        timed(
            "task list",
            lambda: db.read_sync(lambda s: views.list_tasks(session=s, viewer=staff, f=views.TaskFilter())),
            rounds,
        )
        timed(
            "task list overdue",
            lambda: db.read_sync(lambda s: views.list_tasks(session=s, viewer=staff, f=overdue)),
            rounds,
        )
        engine.dispose()
        settings = Settings.from_env(
            {
                "DATA_DIR": folder,
                "DATABASE_URL": db_url,
                "PASSWORD_HASH_TIME_COST": "1",
                "PASSWORD_HASH_MEMORY_KIB": "8",
                "PASSWORD_HASH_PARALLELISM": "1",
            }
        )
        with TestClient(create_app(settings), base_url="http://testserver") as client:
            response = client.post(
                "/api/v1/auth/login", json={"username": "bench-vpcp", "password": PASSWORD}
            )
            assert response.status_code == 200, response.text

            def page(period: Period) -> None:
                got = client.get(f"/monitoring?from={period.first}&to={period.last}")
                assert got.status_code == 200, got.status_code

            timed("page (year)", lambda: page(year), rounds)
            timed("page (5 years)", lambda: page(five), rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tasks", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL URL; default: SQLite")
    args = parser.parse_args()
    run(args.database_url, args.tasks, args.rounds)


if __name__ == "__main__":
    main()
