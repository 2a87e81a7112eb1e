"""`agenda.log.bulk.insert_rows` against SQLAlchemy Core's executemany, on the ballot batch's shape.

A group commit of ballots (agenda/votes/models.py, BallotBatch.write) inserts, in one transaction,
up to 500 rows into each of three tables: `ballot_receipt` (a secret vote), `ballot` (a named
vote; two datetimes per row) and `idempotency_record` (one answer per ballot; a datetime and a
JSON text per row). This script times those three inserts of 500 rows done two ways:
  ours  `insert_rows(session, Model, columns, tuples)`: one driver executemany over tuples, each
        value bound by its column type's processor, looked up once per column;
  core  `session.execute(insert(table), dicts)`: SQLAlchemy Core's executemany, the rows given
        as the parameter dictionaries Core takes (building them is timed too).
Each round runs both, in alternating order, each in its own transaction rolled back at the end
(so every round inserts into the same tables); one warm-up round first is not counted. It
prints the median ms per table and in all, and the ratio ours/core: under 1 means ours is
faster. Asserts nothing.

Setup, in-process, into a fresh SQLite file (or a fresh PostgreSQL schema with
--database-url): --rows members and accounts (with a light argon2 cost), one meeting with an
agenda item, and two open votes (one secret, one named) for the rows to point at.

    .venv/bin/python bench/bulk_insert.py [--rows 500] [--rounds 30] [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from agenda.clock import LOCAL_TZ, utcnow  # noqa: E402
from agenda.db import Database, make_engine, sqlite_url  # noqa: E402
from agenda.log.bulk import insert_rows, table_of  # noqa: E402
from agenda.meetings import agenda_edits, meetings  # noqa: E402
from agenda.meetings.agenda_items import AgendaItemCreate  # noqa: E402
from agenda.meetings.meetings import MeetingCreate  # noqa: E402
from agenda.migrate import upgrade  # noqa: E402
from agenda.people import accounts, members  # noqa: E402
from agenda.people.accounts import PasswordCost, UserCreate  # noqa: E402
from agenda.people.members import MemberCreate  # noqa: E402
from agenda.policy import Policy  # noqa: E402
from agenda.votes.models import Ballot, BallotReceipt, IdempotencyRecord, Vote  # noqa: E402

TABLES: tuple[tuple[str, type[SQLModel], tuple[str, ...]], ...] = (
    ("ballot_receipt", BallotReceipt, ("vote_id", "member_id")),
    ("ballot", Ballot, ("vote_id", "member_id", "choice", "cast_at", "changed_at")),
    (
        "idempotency_record",
        IdempotencyRecord,
        ("user_id", "key", "fingerprint", "status", "body", "created_at"),
    ),
)
CHOICES = ("yes", "no", "abstain")
Rows = dict[str, list[tuple[Any, ...]]]


@contextmanager
def database(url: str | None, directory: Path) -> Iterator[str]:
    """A SQLite file in `directory`, or `url` pointed at a fresh schema, dropped after."""
    if url is None:
        yield sqlite_url(directory)
        return
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def setup(db: Database, size: int) -> tuple[int, int, list[int], list[int]]:
    """The secret and the named vote's ids, and `size` member ids and user ids."""
    accounts.passwords.use(PasswordCost(time_cost=1, memory_kib=8, parallelism=1))

    def people(session: Session) -> tuple[list[int], list[int]]:
        member_ids, user_ids = [], []
        for n in range(size):
            data = MemberCreate(full_name=f"Thành viên {n + 1}", title=f"Bộ trưởng {n + 1}", precedence=n + 1)
            member = members.create_member(session=session, data=data, actor_id=None)
            user = accounts.create_user(
                session=session,
                data=UserCreate(
                    username=f"guest{n + 1}", full_name=member.full_name, password="x" * 12, roles=["guest"]
                ),
                actor_id=None,
            )
            assert member.id is not None and user.id is not None
            member_ids.append(member.id)
            user_ids.append(user.id)
        return member_ids, user_ids

    member_ids, user_ids = db.write_sync(people)

    def votes(session: Session) -> tuple[int, int]:
        data = MeetingCreate(
            title="Phiên họp Chính phủ (bench/bulk_insert.py)",
            kind="regular",
            starts_at=datetime.now(LOCAL_TZ) + timedelta(hours=1),
            duration_minutes=240,
            chair_member_id=member_ids[0],
        )
        meeting = meetings.create_meeting(session=session, data=data, actor_id=None)
        assert meeting.id is not None
        item = agenda_edits.add_item(
            session=session,
            meeting_id=meeting.id,
            data=AgendaItemCreate(title="Nghị quyết", minutes=10),
            actor_id=None,
            policy=Policy(),
        )
        assert item.id is not None
        made = [
            Vote(meeting_id=meeting.id, agenda_item_id=item.id, question="?", secret=secret, state="open")
            for secret in (True, False)
        ]
        session.add_all(made)
        session.flush()
        assert made[0].id is not None and made[1].id is not None
        return made[0].id, made[1].id

    secret_id, named_id = db.write_sync(votes)
    return secret_id, named_id, member_ids, user_ids


def batch(secret_id: int, named_id: int, member_ids: list[int], user_ids: list[int]) -> Rows:
    """One group commit's rows, as tuples in the order of each table's columns."""
    now = utcnow()
    answers = [json.dumps({"vote_id": named_id, "counted": True, "choice": c}) for c in CHOICES]
    return {
        "ballot_receipt": [(secret_id, m) for m in member_ids],
        "ballot": [(named_id, m, CHOICES[n % 3], now, now) for n, m in enumerate(member_ids)],
        "idempotency_record": [
            (u, str(uuid.uuid4()), uuid.uuid4().hex + uuid.uuid4().hex, 200, answers[n % 3], now)
            for n, u in enumerate(user_ids)
        ],
    }


def ours(session: Session, model: type[SQLModel], columns: tuple[str, ...], rows: list[Any]) -> None:
    insert_rows(session, model, columns, rows)


def core(session: Session, model: type[SQLModel], columns: tuple[str, ...], rows: list[Any]) -> None:
    session.execute(insert(table_of(model)), [dict(zip(columns, row, strict=True)) for row in rows])


Way = Callable[[Session, type[SQLModel], tuple[str, ...], list[Any]], None]


def timed(db: Database, way: Way, rows: Rows) -> dict[str, float]:
    """Seconds per table for one batch, in one transaction that is then rolled back."""
    found: dict[str, float] = {}
    # The write engine (BEGIN IMMEDIATE on SQLite) as Database.writing() uses it, which commits.
    with Session(db._write_engine) as session:
        session.connection()  # BEGIN before the clock starts
        for name, model, columns in TABLES:
            started = time.perf_counter()
            way(session, model, columns, rows[name])
            found[name] = time.perf_counter() - started
        session.rollback()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=500, help="rows per table in one batch")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--database-url", help="PostgreSQL, e.g. postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    engine_name = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}  sqlalchemy: {sqlalchemy.__version__}  "
        f"database: {engine_name}  rows per table: {args.rows}  rounds: {args.rounds}"
    )
    with (
        tempfile.TemporaryDirectory(prefix="ecabinet-bulk-") as tmp,
        database(args.database_url, Path(tmp)) as url,
    ):
        engine = make_engine(url, pool_size=1)
        try:
            upgrade(engine)
            db = Database(engine)
            secret_id, named_id, member_ids, user_ids = setup(db, args.rows)
            ways: dict[str, Way] = {"ours": ours, "core": core}
            figures: dict[str, list[dict[str, float]]] = {"ours": [], "core": []}
            for round_number in range(args.rounds + 1):
                order = ("ours", "core") if round_number % 2 == 0 else ("core", "ours")
                for label in order:
                    found = timed(db, ways[label], batch(secret_id, named_id, member_ids, user_ids))
                    if round_number > 0:  # the first round warms the caches up
                        figures[label].append(found)
        finally:
            engine.dispose()
    names = [name for name, _model, _columns in TABLES]
    print(f"{'median ms':<10}" + "".join(f"{name:>20}" for name in [*names, "all three"]))
    medians: dict[str, list[float]] = {}
    for label, rounds in figures.items():
        medians[label] = [statistics.median(r[name] for r in rounds) * 1000 for name in names]
        medians[label].append(statistics.median(sum(r.values()) for r in rounds) * 1000)
        print(f"{label:<10}" + "".join(f"{value:>20.2f}" for value in medians[label]))
    ratios = [o / c for o, c in zip(medians["ours"], medians["core"], strict=True)]
    print(f"{'ours/core':<10}" + "".join(f"{value:>20.2f}" for value in ratios))


if __name__ == "__main__":
    main()
