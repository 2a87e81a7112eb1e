"""The follow-through's reminders on a frozen clock (docs/follow-through.md "Reminders"): each
task reminder fires exactly once, on its day and not before; an extension moves the schedule
and keeps the original date; done and cancelled tasks get nothing more; restricted tasks are
told only to those who may see them; dossier reminders before the deadline while incomplete; the
secretariat's weekly overdue digest; and the loop's round."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from starlette.testclient import TestClient

from agenda import clock
from agenda.agencies.registry import by_name
from agenda.db import Database
from agenda.people import accounts
from agenda.people.notifications import Notification
from agenda.policy import DEFAULT_POLICY
from agenda.programme.dossier_reminders import send_dossier_reminders
from agenda.tasks import lifecycle
from agenda.tasks.lifecycle import ExtensionCreate, ExtensionDecision, ReportCreate, TaskCancel, TaskCreate
from agenda.tasks.models import Task
from agenda.tasks.reminders import send_overdue_digest, send_task_reminders
from meeting_app.app import create_app
from meeting_app.ops import reminders
from tests.conftest import context_of, settings_for
from tests.support.factories import complete_dossier, login_as, make_programme_item, make_user
from tests.test_opinion_polls import SmtpSink, set_email, sink  # noqa: F401 (the fixture)

DUE = date(2027, 3, 31)  # a Wednesday
FINANCE = "Bộ Tài chính"


def at(day: date, hour: int = 10) -> None:
    clock.freeze(datetime(day.year, day.month, day.day, hour, 0))


def agency_id(db: Database, name: str = FINANCE) -> int:
    found = db.read_sync(lambda s: by_name(s, name))
    assert found is not None and found.id is not None
    return found.id


def new_task(db: Database, **fields: Any) -> Task:
    data = TaskCreate.model_validate(
        {"title": "Xây dựng Đề án chuyển đổi số", "lead_agency": FINANCE, "due_on": DUE, **fields}
    )
    return db.write_sync(lambda s: lifecycle.create_task(session=s, data=data, actor_id=None))


def run(db: Database, day: date) -> list[tuple[int, str]]:
    at(day)
    made = db.write_sync(lambda s: send_task_reminders(session=s, policy=DEFAULT_POLICY))
    return sorted((n.user_id, n.key) for n in made)


def keys(made: list[tuple[int, str]]) -> set[str]:
    return {key for _, key in made}


def test_each_task_reminder_fires_once_on_its_day(db: Database) -> None:
    at(date(2027, 3, 1))
    task = new_task(db)
    finance = agency_id(db)
    one = make_user(db, "cb.btc", ["agency"], agency_id=finance)
    two = make_user(db, "cb2.btc", ["agency"], agency_id=finance)
    make_user(db, "thuky", ["secretariat"])
    other = new_task(db, lead_agency="Bộ Tư pháp")
    justice = make_user(db, "cb.btp", ["agency"], agency_id=other.lead_agency_id)
    tid = task.id
    assert run(db, DUE - timedelta(days=8)) == []  # not before the seventh day
    assert run(db, DUE - timedelta(days=7)) == sorted(
        [(u.id or 0, f"task:{tid}:before:2027-03-31") for u in (one, two)]
        + [(justice.id or 0, f"task:{other.id}:before:2027-03-31")]
    )
    assert run(db, DUE - timedelta(days=7)) == []  # a second round makes nothing
    assert run(db, DUE - timedelta(days=1)) == []
    assert keys(run(db, DUE)) == {f"task:{tid}:due:2027-03-31", f"task:{other.id}:due:2027-03-31"}
    assert run(db, DUE) == []
    assert run(db, DUE + timedelta(days=6)) == []  # overdue, but the week is not over
    assert keys(run(db, DUE + timedelta(days=7))) == {
        f"task:{tid}:overdue:2027-03-31:1",
        f"task:{other.id}:overdue:2027-03-31:1",
    }
    assert run(db, DUE + timedelta(days=13)) == []
    at(DUE + timedelta(days=13))
    lifecycle_report(db, other.id or 0)  # done: nothing more for it
    assert keys(run(db, DUE + timedelta(days=14))) == {f"task:{tid}:overdue:2027-03-31:2"}
    at(DUE + timedelta(days=15))
    db.write_sync(
        lambda s: lifecycle.cancel_task(
            session=s,
            task=lifecycle.get_task(session=s, task_id=tid or 0),
            data=TaskCancel(reason="Không còn cần"),
            actor_id=None,
        )
    )
    assert run(db, DUE + timedelta(days=21)) == []  # cancelled: nothing more
    told = db.read_sync(
        lambda s: s.exec(
            select(Notification).where(Notification.user_id == one.id).order_by(col(Notification.id))
        ).all()
    )
    assert [n.kind for n in told] == ["task_due_soon", "task_due_today", "task_overdue", "task_overdue"]
    assert told[0].url == f"/tasks/{tid}"
    params = told[0].param_dict()
    assert params["code"] == task.code and params["due_on"] == "31/03/2027" and params["days"] == 7


def lifecycle_report(db: Database, task_id: int) -> None:
    db.write_sync(
        lambda s: lifecycle.add_report(
            session=s,
            task=lifecycle.get_task(session=s, task_id=task_id),
            data=ReportCreate(text="Đã hoàn thành", done=True),
            actor_id=None,
        )
    )


def test_a_missed_day_is_caught_up_once_and_a_late_task_skips_the_early_reminder(db: Database) -> None:
    at(DUE - timedelta(days=3))  # assigned three days ahead: no "7 days before"
    task = new_task(db)
    make_user(db, "cb.btc", ["agency"], agency_id=agency_id(db))
    assert run(db, DUE - timedelta(days=2)) == []
    # The server was down on the due date: the next round tells it, once.
    assert keys(run(db, DUE + timedelta(days=2))) == {f"task:{task.id}:due:2027-03-31"}
    assert run(db, DUE + timedelta(days=3)) == []


def test_an_extension_keeps_the_original_date_and_moves_the_reminders(db: Database) -> None:
    at(date(2027, 3, 1))
    task = new_task(db)
    make_user(db, "cb.btc", ["agency"], agency_id=agency_id(db))
    assert keys(run(db, DUE - timedelta(days=7))) == {f"task:{task.id}:before:2027-03-31"}
    new_due = date(2027, 4, 30)
    at(DUE - timedelta(days=5))
    request = db.write_sync(
        lambda s: lifecycle.request_extension(
            session=s,
            task=lifecycle.get_task(session=s, task_id=task.id or 0),
            data=ExtensionCreate(reason="Chờ ý kiến các bộ", due_on=new_due),
            actor_id=None,
        )
    )
    db.write_sync(
        lambda s: lifecycle.decide_extension(
            session=s, extension_id=request.id or 0, data=ExtensionDecision(approve=True), actor_id=None
        )
    )
    found = db.read_sync(lambda s: s.get(Task, task.id))
    assert found is not None and (found.original_due_on, found.due_on) == (DUE, new_due)
    assert run(db, DUE) == []  # the old due date rings nothing
    assert run(db, DUE + timedelta(days=7)) == []  # nor is it overdue
    assert run(db, new_due - timedelta(days=8)) == []
    assert keys(run(db, new_due - timedelta(days=7))) == {f"task:{task.id}:before:2027-04-30"}
    assert keys(run(db, new_due)) == {f"task:{task.id}:due:2027-04-30"}
    assert keys(run(db, new_due + timedelta(days=7))) == {f"task:{task.id}:overdue:2027-04-30:1"}


def test_a_restricted_task_is_told_only_to_those_who_may_see_it(db: Database) -> None:
    at(date(2027, 3, 1))
    finance_task = new_task(db)
    finance = agency_id(db)
    mine = make_user(db, "cb.btc", ["agency"], agency_id=finance)
    outsider = make_user(db, "tv1", ["member"])
    insider = make_user(db, "tv2", ["member"])
    task = new_task(db, restricted_user_ids=[insider.id])
    made = run(db, DUE - timedelta(days=7))
    assert {u for u, _ in made} == {mine.id}  # the lead agency only: members are not reminded
    assert keys(made) == {f"task:{task.id}:before:2027-03-31", f"task:{finance_task.id}:before:2027-03-31"}
    assert (
        db.read_sync(
            lambda s: s.exec(
                select(Notification).where(col(Notification.user_id).in_((outsider.id, insider.id)))
            ).all()
        )
        == []
    )


def test_the_weekly_digest_tells_the_secretariat_once_what_went_overdue(db: Database) -> None:
    at(date(2027, 3, 20))
    late = new_task(db, due_on=date(2027, 3, 24))  # due Wednesday, still open: overdue
    done_late = new_task(db, due_on=date(2027, 3, 26))
    done_in_time = new_task(db, due_on=date(2027, 3, 27))
    new_task(db, due_on=date(2027, 3, 29))  # due in the digest's own week: next time
    sec = make_user(db, "thuky", ["secretariat"])
    make_user(db, "cb.btc", ["agency"], agency_id=agency_id(db))
    at(date(2027, 3, 27))
    lifecycle_report(db, done_late.id or 0)
    lifecycle_report(db, done_in_time.id or 0)
    at(date(2027, 3, 28))  # Sunday: the digest of the week before is not due yet
    assert db.write_sync(lambda s: send_overdue_digest(session=s)) == []
    at(date(2027, 3, 29))  # Monday
    made = db.write_sync(lambda s: send_overdue_digest(session=s))
    assert [(n.user_id, n.kind, n.key) for n in made] == [
        (sec.id, "tasks_overdue_digest", "tasks:overdue-digest:2027-03-29")
    ]
    params = made[0].param_dict()
    assert params["count"] == 2 and params["codes"] == f"{late.code}, {done_late.code}"
    assert (params["first"], params["last"]) == ("22/03/2027", "28/03/2027")
    at(date(2027, 3, 31))
    assert db.write_sync(lambda s: send_overdue_digest(session=s)) == []  # once a week


def test_dossier_reminders_before_the_deadline_while_incomplete(db: Database) -> None:
    at(date(2027, 2, 1))
    missing = make_programme_item(db, lead_agency=FINANCE, planned_month="2027-04")
    ready = make_programme_item(db, lead_agency=FINANCE, planned_month="2027-04")
    complete_dossier(db, ready)
    later = make_programme_item(db, lead_agency=FINANCE, planned_month="2027-05")
    user = make_user(db, "cb.btc", ["agency"], agency_id=agency_id(db))
    deadline = date(2027, 3, 25)

    def remind(day: date) -> set[str]:
        at(day)
        made = db.write_sync(lambda s: send_dossier_reminders(session=s, policy=DEFAULT_POLICY))
        assert all(n.user_id == user.id for n in made)
        return {n.key for n in made}

    assert remind(deadline - timedelta(days=8)) == set()
    assert remind(deadline - timedelta(days=7)) == {f"dossier:{missing.id}:before:2027-03-25:7d"}
    assert remind(deadline - timedelta(days=6)) == set()
    assert remind(deadline - timedelta(days=2)) == {f"dossier:{missing.id}:before:2027-03-25:2d"}
    assert remind(deadline) == set()
    assert remind(deadline + timedelta(days=1)) == set()
    # May's items: their own deadline (25 April).
    assert remind(date(2027, 4, 18)) == {f"dossier:{later.id}:before:2027-04-25:7d"}
    assert later.id is not None
    complete_dossier(db, later)  # complete now: no more reminders
    assert remind(date(2027, 4, 23)) == set()
    notice = db.read_sync(
        lambda s: s.exec(select(Notification).where(col(Notification.key).startswith("dossier:"))).first()
    )
    assert (
        notice is not None and notice.kind == "dossier_reminder" and notice.url == f"/programme/{missing.id}"
    )
    assert notice.param_dict()["deadline"] == "25/03/2027"


def test_the_loop_makes_the_follow_through_reminders(client: TestClient, db: Database) -> None:
    context = context_of(client)
    at(date(2027, 3, 1))
    new_task(db)
    make_user(db, "cb.btc", ["agency"], agency_id=agency_id(db))
    at(DUE)
    assert client.portal.call(lambda: reminders.tick(context, follow_through=False)) == (0, 0)  # type: ignore[union-attr]
    assert client.portal.call(reminders.tick, context) == (0, 1)  # type: ignore[union-attr]
    assert client.portal.call(reminders.tick, context) == (0, 0)  # type: ignore[union-attr]


def test_task_reminders_are_in_the_bell_and_mailed_in_the_readers_language(
    tmp_path: Path,
    database_url: str,
    sink: SmtpSink,  # noqa: F811 (the fixture imported above)
) -> None:
    settings = settings_for(
        tmp_path,
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=sink.server_address[1],
        public_url="https://ecabinet.chinhphu.example",
    )
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        db = context_of(client).db
        at(date(2027, 3, 1))
        task = new_task(db)
        finance = agency_id(db)
        vi = make_user(db, "cb.btc", ["agency"], agency_id=finance)
        en = make_user(db, "cb2.btc", ["agency"], agency_id=finance)
        set_email(db, vi.id or 0, "cb.btc@chinhphu.example")
        set_email(db, en.id or 0, "cb2.btc@chinhphu.example")
        db.write_sync(lambda s: accounts.set_locale(session=s, user_id=en.id or 0, locale="en"))
        at(DUE)
        assert client.portal.call(reminders.tick, context_of(client)) == (0, 2)  # type: ignore[union-attr]
        mails = {to[0]: message for _, to, message in sink.wait_for(2)}
        assert mails["cb.btc@chinhphu.example"]["Subject"] == f"Nhiệm vụ {task.code} đến hạn ngày 31/03/2027"
        assert mails["cb2.btc@chinhphu.example"]["Subject"] == f"Task {task.code} is due on 31/03/2027"
        body = mails["cb.btc@chinhphu.example"].get_content()
        assert "Cơ quan chủ trì: Bộ Tài chính" in body
        assert f"https://ecabinet.chinhphu.example/tasks/{task.id}" in body
        bell = login_as(client, "cb.btc").get("/api/v1/notifications").json()
        assert bell["unread"] == 1 and bell["items"][0]["url"] == f"/tasks/{task.id}"
        assert client.portal.call(reminders.tick, context_of(client)) == (0, 0)  # type: ignore[union-attr]
