"""The demo's follow-through (agenda/demo/demo_tasks.py): the real registry of ministries and
agencies, linked by name from the programme; the agencies' focal points among the printed logins;
some thirty tasks in every state with reports, an approved and a pending extension and one
restricted task; the clock put back as it was."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlmodel import col, select
from starlette.testclient import TestClient

from agenda import clock
from agenda.agencies.registry import Agency
from agenda.db import Database
from agenda.demo import cast, demo
from agenda.people.accounts import User
from agenda.policy import DEFAULT_POLICY
from agenda.programme.programme import ProgrammeItem
from agenda.tasks.models import Task, TaskAudience, TaskExtension, TaskReport
from agenda.tasks.states import state_of
from tests.conftest import context_of
from tests.support.factories import login_as


def test_the_demo_seeds_the_registry_focal_points_and_tasks(client: TestClient, db: Database) -> None:
    now = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    clock.freeze(now)
    data_dir = context_of(client).settings.data_dir
    logins = db.write_sync(lambda s: demo.seed_demo(session=s, data_dir=data_dir, policy=DEFAULT_POLICY))
    assert clock.utcnow() == now  # the history was written on its own days; the clock is back
    assert ("cb.btc", cast.AGENCY_PASSWORD, "agency – cán bộ đầu mối Bộ Tài chính") in logins

    agencies = db.read_sync(lambda s: list(s.exec(select(Agency)).all()))
    assert Counter(a.kind for a in agencies) == {"ministry": 18, "ministerial": 4, "government": 9}
    by_id = {a.id: a for a in agencies}
    assert {a.code for a in agencies} >= {"BTC", "BCA", "VPCP", "NHNN", "VTV", "VOV", "TTXVN"}
    items = db.read_sync(lambda s: list(s.exec(select(ProgrammeItem)).all()))
    for item in items:  # every lead agency of the programme is one of the registry's, by name
        assert item.lead_agency_id is not None and by_id[item.lead_agency_id].name == item.lead_agency

    focal = db.read_sync(lambda s: s.exec(select(User).where(User.username == "cb.btc")).one())
    assert focal.roles == ["agency"] and by_id[focal.agency_id].name == "Bộ Tài chính"

    tasks = db.read_sync(lambda s: list(s.exec(select(Task)).all()))
    today = clock.local_today()
    states = Counter(state_of(t, today) for t in tasks)
    assert len(tasks) >= 28 and set(states) == {"on_time", "late", "in_time", "overdue", "cancelled"}
    finance = Counter(state_of(t, today) for t in tasks if by_id[t.lead_agency_id].name == "Bộ Tài chính")
    assert set(finance) >= {"on_time", "late", "in_time", "overdue"}  # cb.btc's home has every state
    assert all(t.document_number and t.leader_member_id for t in tasks)
    extensions = db.read_sync(lambda s: list(s.exec(select(TaskExtension)).all()))
    assert sorted(e.status for e in extensions) == ["approved", "pending"]
    [approved] = [e for e in extensions if e.status == "approved"]
    moved = next(t for t in tasks if t.id == approved.task_id)
    assert moved.original_due_on < moved.due_on == approved.due_on
    reports = db.read_sync(lambda s: list(s.exec(select(TaskReport)).all()))
    assert sum(r.done for r in reports) == states["on_time"] + states["late"] and any(
        not r.done for r in reports
    )
    [secret] = [t for t in tasks if t.restricted]
    audience = db.read_sync(
        lambda s: set(
            s.exec(
                select(User.username)
                .join(TaskAudience, col(TaskAudience.user_id) == User.id)
                .where(TaskAudience.task_id == secret.id)
            ).all()
        )
    )
    assert audience == {"chutoa", "pttg.thuongtruc"}

    # The focal point signs in, and the search finds its tasks (and not the others' restricted one).
    actor = login_as(client, "cb.btc", cast.AGENCY_PASSWORD)
    found = actor.get("/api/v1/search", params={"q": "no cong"}).json()["results"]
    assert any(r["type"] == "task" for r in found)
    member = login_as(client, "bt.taichinh", cast.MEMBER_PASSWORD)
    assert secret.code not in member.get("/api/v1/search", params={"q": secret.code}).text
