"""The event log: every change appends one event in its own transaction; the log is hash-chained,
append-only at the database level, and `verify` finds the first altered row."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select
from starlette.testclient import TestClient

from agenda.agencies.registry import ensure_agency
from agenda.db import Database, is_sqlite
from agenda.log import events
from agenda.log.events import GLOBAL_STREAM, Event, StreamHead, verify_chain
from agenda.programme import programme
from agenda.programme.programme import ProgrammeItem, ProgrammeItemCreate
from meeting_app.settings import Settings
from tests.support.cli import json_out, run_cli
from tests.support.factories import (
    Actor,
    add_agenda_item,
    login_as,
    make_meeting,
    make_member,
    make_programme_item,
    make_ready_item,
    make_user,
)

NEW_ITEM = {
    "code": "ND-99/2026",
    "title": "Nghị định về lưu trữ điện tử",
    "kind": "decree",
    "lead_agency": "Bộ Nội vụ",
    "planned_month": "2026-12",
}


@pytest.fixture
def secretary(client: TestClient, db: Database) -> Actor:
    make_user(db, "thuky", ["secretariat"])
    # NEW_ITEM's lead agency is in the registry already, so creating the item logs one event.
    db.write_sync(lambda s: ensure_agency(s, str(NEW_ITEM["lead_agency"]), actor_id=None))
    return login_as(client, "thuky")


def all_events(db: Database) -> list[Event]:
    return db.read_sync(lambda s: list(s.exec(select(Event).order_by(col(Event.id))).all()))


def new_events(db: Database, since: int) -> list[Event]:
    return [e for e in all_events(db) if (e.id or 0) > since]


def last_id(db: Database) -> int:
    found = all_events(db)
    return found[-1].id or 0 if found else 0


def test_creating_an_item_appends_its_event(secretary: Actor, db: Database) -> None:
    mark = last_id(db)
    response = secretary.post("/api/v1/programme-items", json=NEW_ITEM)
    assert response.status_code == 201
    appended = new_events(db, mark)
    assert [e.kind for e in appended] == ["programme.item_created"]
    event = appended[0]
    assert event.payload() == {
        "programme_item_id": response.json()["id"],
        "code": "ND-99/2026",
        "title": "Nghị định về lưu trữ điện tử",
    }
    assert event.stream == GLOBAL_STREAM
    me = secretary.get("/api/v1/me").json()["user"]["id"]
    assert event.actor_id == me


def test_a_failed_change_appends_nothing_and_stores_nothing(secretary: Actor, db: Database) -> None:
    assert secretary.post("/api/v1/programme-items", json=NEW_ITEM).status_code == 201
    mark = last_id(db)
    duplicate = secretary.post("/api/v1/programme-items", json={**NEW_ITEM, "title": "Bản trùng mã"})
    assert duplicate.status_code == 409
    assert new_events(db, mark) == []
    rows = db.read_sync(lambda s: s.exec(select(ProgrammeItem)).all())
    assert [r.title for r in rows] == ["Nghị định về lưu trữ điện tử"]


def test_a_rolled_back_write_leaves_no_gap_in_seq(client: TestClient, db: Database) -> None:
    make_programme_item(db, code="A-1")
    head = db.read_sync(lambda s: s.get(StreamHead, GLOBAL_STREAM))
    assert head is not None

    class Boom(Exception):
        pass

    with pytest.raises(Boom), db.writing() as session:
        data = ProgrammeItemCreate(
            code="B-1", title="Sẽ bị hủy", kind="law", lead_agency="Bộ", planned_month="2026-12"
        )
        programme.create_item(session=session, data=data, actor_id=None)
        raise Boom
    assert (
        db.read_sync(lambda s: s.exec(select(ProgrammeItem).where(ProgrammeItem.code == "B-1")).first())
        is None
    )
    after = db.read_sync(lambda s: s.get(StreamHead, GLOBAL_STREAM))
    assert after is not None and (after.last_seq, after.last_hash) == (head.last_seq, head.last_hash)
    make_programme_item(db, code="C-1")
    seqs = [e.seq for e in all_events(db) if e.stream == GLOBAL_STREAM]
    assert seqs == list(range(1, len(seqs) + 1))
    assert db.read_sync(verify_chain).intact


def test_each_api_change_appends_exactly_its_events(secretary: Actor, db: Database) -> None:
    pm = make_member(db, precedence=1)
    ready = make_ready_item(db)
    steps: list[tuple[str, str, dict[str, Any] | None, list[str]]] = [
        ("POST", "/api/v1/programme-items", NEW_ITEM, ["programme.item_created"]),
        ("PATCH", "/api/v1/programme-items/{item}", {"title": "Tên mới"}, ["programme.item_updated"]),
        ("PATCH", "/api/v1/programme-items/{item}", {"status": "submitted"}, ["programme.status_changed"]),
        (
            "POST",
            "/api/v1/programme-items/{item}/postponements",
            {"reason": "Chưa kịp"},
            ["postponement.requested"],
        ),
        (
            "POST",
            "/api/v1/meetings",
            {
                "title": "Phiên họp",
                "kind": "regular",
                "starts_at": "2026-12-03T08:30:00+07:00",
                "duration_minutes": 120,
                "chair_member_id": pm.id,
            },
            ["meeting.created"],
        ),
        (
            "POST",
            "/api/v1/meetings/{meeting}/agenda-items",
            {"programme_item_id": ready.id, "minutes": 30},
            ["programme.status_changed", "agenda.changed"],
        ),
        ("POST", "/api/v1/meetings/{meeting}/publish", None, ["meeting.published"]),
        ("POST", "/api/v1/members", {"full_name": "Bộ trưởng mới", "title": "Bộ trưởng"}, ["member.created"]),
        ("PATCH", "/api/v1/me", {"locale": "en"}, ["user.updated"]),
    ]
    ids: dict[str, int] = {}
    for method, path, body, kinds in steps:
        mark = last_id(db)
        url = path.format(**ids)
        response = (
            secretary.request(method, url, json=body) if body is not None else secretary.request(method, url)
        )
        assert response.status_code in (200, 201), (url, response.text)
        if path == "/api/v1/programme-items":
            ids["item"] = response.json()["id"]
        if path == "/api/v1/meetings":
            ids["meeting"] = response.json()["id"]
        assert sorted(e.kind for e in new_events(db, mark)) == sorted(kinds), url
    assert db.read_sync(verify_chain).intact


def test_meeting_events_go_to_the_meetings_stream(client: TestClient, db: Database) -> None:
    pm = make_member(db, precedence=1)
    meeting = make_meeting(db, chair_member_id=pm.id or 0)
    add_agenda_item(db, meeting.id or 0)
    stream = [(e.seq, e.kind) for e in all_events(db) if e.stream == meeting.id]
    assert stream == [(1, "meeting.created"), (2, "agenda.changed")]


def test_the_chain_links_every_event(client: TestClient, db: Database) -> None:
    for n in range(3):
        make_programme_item(db, code=f"X-{n}")
    rows = [e for e in all_events(db) if e.stream == GLOBAL_STREAM]
    assert rows[0].prev_hash == events.GENESIS_HASH
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.hash
        assert after.seq == before.seq + 1
    for row in rows:
        assert row.hash == events.compute_hash(
            row.prev_hash,
            stream=row.stream,
            seq=row.seq,
            kind=row.kind,
            data=row.data,
            actor_id=row.actor_id,
            at=row.at,
        )
    report = db.read_sync(verify_chain)
    assert report.intact and report.events == len(all_events(db))


def test_concurrent_writers_never_collide_or_leave_gaps(client: TestClient, db: Database) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(8):
                make_programme_item(db, code=f"T{n}-{i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    seqs = [e.seq for e in all_events(db) if e.stream == GLOBAL_STREAM]
    assert sorted(seqs) == list(range(1, 34))  # 32 items, and their lead agency joining the registry
    assert db.read_sync(verify_chain).intact


# --- append-only and tamper detection -----------------------------------------------------------


def raw(db: Database, sql: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(sql))


def refused(db: Database, sql: str) -> str:
    with pytest.raises(DBAPIError) as caught:
        raw(db, sql)
    return str(caught.value)


def drop_triggers(db: Database) -> None:
    """What an attacker with raw database access would do first."""
    if is_sqlite(db.engine):
        raw(db, "DROP TRIGGER event_no_update")
        raw(db, "DROP TRIGGER event_no_delete")
    else:
        raw(db, "DROP TRIGGER event_append_only ON event")


def test_the_engine_refuses_to_update_or_delete_events(client: TestClient, db: Database) -> None:
    make_programme_item(db)
    assert "append-only" in refused(db, "UPDATE event SET kind = 'x'")
    assert "append-only" in refused(db, "DELETE FROM event")
    if not is_sqlite(db.engine):
        assert "append-only" in refused(db, "TRUNCATE event")
    assert db.read_sync(verify_chain).intact


def tamper_target(db: Database) -> Event:
    return next(
        e for e in all_events(db) if e.kind == "programme.item_created" and e.payload()["code"] == "X-1"
    )


def test_an_altered_event_is_found_by_verify_and_the_cli(
    client: TestClient, db: Database, settings: Settings, database_url: str, tmp_path: Path
) -> None:
    for n in range(3):
        make_programme_item(db, code=f"X-{n}")
    clean = run_cli(["verify"], data_dir=tmp_path, database_url=database_url)
    assert clean.returncode == 0, clean.stderr
    assert json_out(clean)["intact"] is True

    target = tamper_target(db)
    assert "append-only" in refused(db, f"UPDATE event SET data = '{{}}' WHERE id = {target.id}")
    drop_triggers(db)
    forged = target.data.replace("X-1", "X-1-FORGED")
    raw(db, f"UPDATE event SET data = '{forged}' WHERE id = {target.id}")

    report = db.read_sync(verify_chain)
    assert not report.intact
    assert report.first_bad == {"stream": GLOBAL_STREAM, "seq": target.seq, "reason": "hash_mismatch"}

    result = run_cli(["verify"], data_dir=tmp_path, database_url=database_url)
    assert result.returncode == 1, result.stdout + result.stderr
    summary = json_out(result)
    assert summary["intact"] is False
    assert summary["first_bad_seq"] == target.seq


def test_recomputing_the_hash_breaks_the_next_link(client: TestClient, db: Database) -> None:
    for n in range(3):
        make_programme_item(db, code=f"X-{n}")
    target = tamper_target(db)
    drop_triggers(db)
    forged = target.data.replace("X-1", "X-1-FORGED")
    digest = events.compute_hash(
        target.prev_hash,
        stream=target.stream,
        seq=target.seq,
        kind=target.kind,
        data=forged,
        actor_id=target.actor_id,
        at=target.at,
    )
    raw(db, f"UPDATE event SET data = '{forged}', hash = '{digest}' WHERE id = {target.id}")
    report = db.read_sync(verify_chain)
    assert report.first_bad == {"stream": GLOBAL_STREAM, "seq": target.seq + 1, "reason": "broken_link"}


def test_a_deleted_event_is_found(client: TestClient, db: Database) -> None:
    for n in range(3):
        make_programme_item(db, code=f"X-{n}")
    target = tamper_target(db)
    drop_triggers(db)
    raw(db, f"DELETE FROM event WHERE id = {target.id}")
    report = db.read_sync(verify_chain)
    assert report.first_bad == {"stream": GLOBAL_STREAM, "seq": target.seq, "reason": "gap"}


def test_a_deleted_last_event_is_found(client: TestClient, db: Database) -> None:
    for n in range(2):
        make_programme_item(db, code=f"X-{n}")
    last = [e for e in all_events(db) if e.stream == GLOBAL_STREAM][-1]
    drop_triggers(db)
    raw(db, f"DELETE FROM event WHERE id = {last.id}")
    report = db.read_sync(verify_chain)
    assert report.first_bad == {"stream": GLOBAL_STREAM, "seq": last.seq, "reason": "missing_events"}


def test_tampering_in_a_meeting_stream_names_the_stream(client: TestClient, db: Database) -> None:
    pm = make_member(db, precedence=1)
    meeting = make_meeting(db, chair_member_id=pm.id or 0)
    add_agenda_item(db, meeting.id or 0, title="Mục gốc")
    target = next(e for e in all_events(db) if e.kind == "agenda.changed")
    drop_triggers(db)
    raw(db, f"UPDATE event SET actor_id = 999 WHERE id = {target.id}")
    report = db.read_sync(verify_chain)
    assert report.first_bad == {"stream": meeting.id, "seq": target.seq, "reason": "hash_mismatch"}
