"""Tasks in the domain: the four official states at their boundary dates on a frozen clock,
reports, extensions that keep the original due date, cancellation, who sees a restricted task,
and dossier submission flagged late (docs/follow-through.md)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from agenda import clock
from agenda.agencies.registry import Agency, AgencyCreate, create_agency, ensure_agency, initials
from agenda.db import Database
from agenda.errors import Conflict, NotFound, RuleBroken, WrongState
from agenda.log.events import Event
from agenda.policy import DEFAULT_POLICY
from agenda.programme.submission import submit_dossier
from agenda.tasks import lifecycle, views
from agenda.tasks.lifecycle import ExtensionCreate, ExtensionDecision, ReportCreate, TaskCancel, TaskCreate
from agenda.tasks.models import Task
from agenda.tasks.states import state_expression, state_of
from agenda.viewer import Viewer
from tests.support.factories import complete_dossier, make_programme_item, make_user

DUE = date(2027, 3, 31)


def at(day: date, hour: int = 10) -> None:
    clock.freeze(datetime(day.year, day.month, day.day, hour, 0))


def new_task(db: Database, **fields: Any) -> Task:
    data = TaskCreate.model_validate(
        {"title": "Xây dựng Đề án chuyển đổi số", "lead_agency": "Bộ Tài chính", "due_on": DUE, **fields}
    )
    return db.write_sync(lambda s: lifecycle.create_task(session=s, data=data, actor_id=None))


def report(db: Database, task_id: int, **fields: Any) -> None:
    data = ReportCreate.model_validate({"text": "Đã trình Thủ tướng", **fields})
    db.write_sync(
        lambda s: lifecycle.add_report(
            session=s, task=lifecycle.get_task(session=s, task_id=task_id), data=data, actor_id=None
        )
    )


def sql_state(db: Database, task_id: int, as_of: date) -> str:
    return str(
        db.read_sync(lambda s: s.exec(select(state_expression(as_of)).where(Task.id == task_id)).one())
    )


def states(db: Database, task_id: int, as_of: date) -> tuple[str, str]:
    task = db.read_sync(lambda s: s.get(Task, task_id))
    assert task is not None
    return state_of(task, as_of), sql_state(db, task_id, as_of)


@pytest.mark.parametrize(
    ("done_on", "as_of", "expected"),
    [
        (DUE, DUE, "on_time"),  # done on the due date
        (DUE + timedelta(days=1), DUE + timedelta(days=1), "late"),  # done the day after
        (None, DUE, "in_time"),  # open on the due date
        (None, DUE + timedelta(days=1), "overdue"),  # open the day after
    ],
)
def test_the_four_states_at_their_boundary_dates(
    db: Database, done_on: date | None, as_of: date, expected: str
) -> None:
    at(date(2027, 3, 1))
    task = new_task(db)
    assert task.id is not None
    if done_on is not None:
        at(done_on)
        report(db, task.id, done=True)
    assert states(db, task.id, as_of) == (expected, expected)


def test_a_state_as_of_an_earlier_day_ignores_a_later_completion(db: Database) -> None:
    at(date(2027, 3, 1))
    task = new_task(db)
    assert task.id is not None
    at(date(2027, 4, 10))
    report(db, task.id, done=True, completed_on=date(2027, 4, 5))
    assert states(db, task.id, date(2027, 4, 4)) == ("overdue", "overdue")
    assert states(db, task.id, date(2027, 3, 15)) == ("in_time", "in_time")
    assert states(db, task.id, date(2027, 4, 5)) == ("late", "late")


def test_an_approved_extension_moves_the_due_date_and_keeps_the_original(db: Database) -> None:
    at(date(2027, 3, 1))
    task = new_task(db)
    assert task.id is not None
    request = db.write_sync(
        lambda s: lifecycle.request_extension(
            session=s,
            task=lifecycle.get_task(session=s, task_id=task.id or 0),
            data=ExtensionCreate(reason="Chờ ý kiến các bộ", due_on=date(2027, 5, 31)),
            actor_id=None,
        )
    )
    with pytest.raises(Conflict):
        db.write_sync(
            lambda s: lifecycle.request_extension(
                session=s,
                task=lifecycle.get_task(session=s, task_id=task.id or 0),
                data=ExtensionCreate(reason="Lần nữa", due_on=date(2027, 6, 30)),
                actor_id=None,
            )
        )
    db.write_sync(
        lambda s: lifecycle.decide_extension(
            session=s, extension_id=request.id or 0, data=ExtensionDecision(approve=True), actor_id=None
        )
    )
    found = db.read_sync(lambda s: s.get(Task, task.id))
    assert found is not None
    assert (found.due_on, found.original_due_on, found.due_month) == (date(2027, 5, 31), DUE, "2027-05")
    assert states(db, task.id, date(2027, 4, 15)) == ("in_time", "in_time")
    with pytest.raises(WrongState):
        db.write_sync(
            lambda s: lifecycle.decide_extension(
                session=s, extension_id=request.id or 0, data=ExtensionDecision(approve=False), actor_id=None
            )
        )


def test_a_refused_extension_and_an_earlier_date_change_nothing(db: Database) -> None:
    at(date(2027, 3, 1))
    task = new_task(db)
    with pytest.raises(RuleBroken):
        db.write_sync(
            lambda s: lifecycle.request_extension(
                session=s,
                task=lifecycle.get_task(session=s, task_id=task.id or 0),
                data=ExtensionCreate(reason="Sớm hơn", due_on=DUE),
                actor_id=None,
            )
        )
    request = db.write_sync(
        lambda s: lifecycle.request_extension(
            session=s,
            task=lifecycle.get_task(session=s, task_id=task.id or 0),
            data=ExtensionCreate(reason="Chờ ý kiến", due_on=date(2027, 5, 31)),
            actor_id=None,
        )
    )
    db.write_sync(
        lambda s: lifecycle.decide_extension(
            session=s,
            extension_id=request.id or 0,
            data=ExtensionDecision(approve=False, note="Không"),
            actor_id=None,
        )
    )
    found = db.read_sync(lambda s: s.get(Task, task.id))
    assert found is not None and found.due_on == DUE


def test_done_and_cancelled_tasks_take_no_more_changes(db: Database) -> None:
    at(date(2027, 3, 1))
    done, cancelled = new_task(db), new_task(db)
    report(db, done.id or 0, done=True)
    db.write_sync(
        lambda s: lifecycle.cancel_task(
            session=s,
            task=lifecycle.get_task(session=s, task_id=cancelled.id or 0),
            data=TaskCancel(reason="Không còn cần thiết"),
            actor_id=None,
        )
    )
    for task_id in (done.id or 0, cancelled.id or 0):
        with pytest.raises(WrongState):
            report(db, task_id, text="Thêm")
    assert states(db, cancelled.id or 0, date(2027, 3, 2)) == ("cancelled", "cancelled")
    assert states(db, done.id or 0, date(2027, 3, 1)) == ("on_time", "on_time")


def test_bad_tasks_are_refused(db: Database) -> None:
    at(date(2027, 3, 1))
    with pytest.raises(RuleBroken):
        new_task(db, due_on=date(2027, 2, 28))
    with pytest.raises(ValueError):
        TaskCreate.model_validate({"title": "Nhiệm vụ", "due_on": DUE})
    with pytest.raises(RuleBroken):
        new_task(db, leader_member_id=999_999)
    with pytest.raises(RuleBroken):
        new_task(db, restricted_user_ids=[999_999])
    task = new_task(db)
    with pytest.raises(RuleBroken):
        report(db, task.id or 0, done=True, completed_on=date(2027, 3, 2))


def test_a_new_lead_agency_joins_the_registry_and_every_change_is_logged(db: Database) -> None:
    at(date(2027, 3, 1))
    task = new_task(
        db, lead_agency="Ủy ban Dân tộc", cooperating_agencies=["Bộ Tài chính", "Ủy ban Dân tộc", "Bộ Nội vụ"]
    )
    assert task.code == f"NV-2027-{task.id:05d}"
    found = db.read_sync(lambda s: views.public_task(s, lifecycle.get_task(session=s, task_id=task.id or 0)))
    assert found["lead_agency"] == "Ủy ban Dân tộc"
    assert found["cooperating_agencies"] == ["Bộ Nội vụ", "Bộ Tài chính"]
    assert found["state"] == "in_time" and found["original_due_on"] == "2027-03-31"
    kinds = db.read_sync(lambda s: [e.kind for e in s.exec(select(Event).order_by(col(Event.id))).all()])
    assert kinds.count("agency.created") == 3 and kinds[-1] == "task.created"
    code = db.read_sync(lambda s: s.exec(select(Agency.code).where(Agency.name == "Ủy ban Dân tộc")).one())
    assert code == initials("Ủy ban Dân tộc") == "UBDT"


def test_agency_codes_and_names_are_unique(db: Database) -> None:
    db.write_sync(
        lambda s: create_agency(
            session=s, data=AgencyCreate(code="BTC", name="Bộ Tài chính", kind="ministry"), actor_id=None
        )
    )
    for code, name in (("BTC", "Bộ khác"), ("BTC2", "bộ tài chính")):
        duplicate = AgencyCreate(code=code, name=name)

        def add(s: Session, d: AgencyCreate = duplicate) -> Agency:
            return create_agency(session=s, data=d, actor_id=None)

        with pytest.raises(Conflict):
            db.write_sync(add)
    other = db.write_sync(lambda s: ensure_agency(s, "Bộ Tư pháp Cũ", actor_id=None))
    same = db.write_sync(lambda s: ensure_agency(s, "Bộ  Tư pháp  Cũ", actor_id=None))
    assert other.id == same.id


def test_who_sees_a_restricted_task(db: Database) -> None:
    at(date(2027, 3, 1))
    finance = db.write_sync(lambda s: ensure_agency(s, "Bộ Tài chính", actor_id=None))
    justice = db.write_sync(lambda s: ensure_agency(s, "Bộ Tư pháp", actor_id=None))
    named = make_user(db, "bt.named", ["member"])
    other = make_user(db, "bt.other", ["member"])
    own = make_user(db, "cb.btc", ["agency"], agency_id=finance.id)
    foreign = make_user(db, "cb.btp", ["agency"], agency_id=justice.id)
    secret = new_task(db, restricted_user_ids=[named.id])
    open_task = new_task(db)

    def viewer(user: Any) -> Viewer:
        return Viewer(
            user_id=user.id, roles=frozenset(user.roles), member_id=user.member_id, agency_id=user.agency_id
        )

    def listed(user: Any) -> set[int]:
        found, _ = db.read_sync(
            lambda s: views.list_tasks(session=s, viewer=viewer(user), f=views.TaskFilter())
        )
        return {t.id or 0 for t in found}

    assert listed(named) == {secret.id, open_task.id}
    assert listed(other) == {open_task.id}
    assert listed(own) == {secret.id, open_task.id}
    assert listed(foreign) == set()
    with pytest.raises(NotFound):
        db.read_sync(lambda s: views.visible_task(session=s, viewer=viewer(other), task_id=secret.id or 0))
    with pytest.raises(NotFound):
        db.read_sync(
            lambda s: views.visible_task(session=s, viewer=viewer(foreign), task_id=open_task.id or 0)
        )


def test_a_dossier_submitted_after_the_deadline_is_flagged_late_with_the_days(db: Database) -> None:
    on_time, late = (
        make_programme_item(db, planned_month="2027-04"),
        make_programme_item(db, planned_month="2027-04"),
    )
    at(date(2027, 3, 20))
    with pytest.raises(RuleBroken) as refused:
        db.write_sync(
            lambda s: submit_dossier(session=s, item_id=on_time.id or 0, actor_id=None, policy=DEFAULT_POLICY)
        )
    assert refused.value.code == "dossier_incomplete" and refused.value.params["missing_documents"]
    complete_dossier(db, on_time)
    complete_dossier(db, late)
    at(date(2027, 3, 25), hour=23)
    first = db.write_sync(
        lambda s: submit_dossier(session=s, item_id=on_time.id or 0, actor_id=None, policy=DEFAULT_POLICY)
    )
    assert (first.status, first.submitted_late, first.days_late) == ("submitted", False, 0)
    with pytest.raises(WrongState):
        db.write_sync(
            lambda s: submit_dossier(session=s, item_id=on_time.id or 0, actor_id=None, policy=DEFAULT_POLICY)
        )
    at(date(2027, 3, 29))
    second = db.write_sync(
        lambda s: submit_dossier(session=s, item_id=late.id or 0, actor_id=None, policy=DEFAULT_POLICY)
    )
    assert (second.submitted_late, second.days_late) == (True, 4)
