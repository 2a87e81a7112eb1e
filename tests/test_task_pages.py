"""The task and agency pages (docs/task-screens.md): each page and form, per role, with agency
users of two ministries and a restricted task; hostile input gives the form back with a 4xx, the
field marked aria-invalid, and nothing stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, func, select
from starlette.testclient import TestClient

from agenda import clock
from agenda.agencies.registry import ensure_agency
from agenda.db import Database
from agenda.meetings.agenda_items import AgendaItem
from agenda.programme.programme import ProgrammeItem
from agenda.tasks import lifecycle
from agenda.tasks.lifecycle import TaskCreate
from agenda.tasks.models import Task, TaskExtension, TaskReport
from tests.support.factories import (
    Actor,
    add_agenda_item,
    complete_dossier,
    login_as,
    make_meeting,
    make_member,
    make_pdf,
    make_programme_item,
    make_user,
)

TODAY = date(2027, 3, 1)


@dataclass
class World:
    sec: Actor
    member: Actor
    btc: Actor  # an agency user of the Ministry of Finance
    btp: Actor  # an agency user of the Ministry of Justice
    finance: int
    justice: int
    task: int  # the Ministry of Finance's, open
    secret: int  # the Ministry of Justice's, restricted to the secretariat user
    leader: int


def today(day: date = TODAY) -> None:
    clock.freeze(datetime(day.year, day.month, day.day, 10, 0))


def new_task(db: Database, **fields: Any) -> int:
    data = TaskCreate.model_validate(
        {"title": "Xây dựng Đề án chuyển đổi số", "due_on": TODAY + timedelta(days=30), **fields}
    )
    task = db.write_sync(lambda s: lifecycle.create_task(session=s, data=data, actor_id=None))
    assert task.id is not None
    return task.id


def agency(db: Database, name: str) -> int:
    found = db.write_sync(lambda s: ensure_agency(s, name, actor_id=None))
    assert found.id is not None
    return found.id


@pytest.fixture
def world(client: TestClient, db: Database) -> World:
    today()
    finance, justice = agency(db, "Bộ Tài chính"), agency(db, "Bộ Tư pháp")
    leader = make_member(db, full_name="Phạm Minh Chính", title="Thủ tướng Chính phủ", precedence=1)
    sec_user = make_user(db, "tp-thuky", ["secretariat"])
    make_user(db, "tp-tv", ["member"])
    make_user(db, "tp-btc", ["agency"], agency_id=finance, full_name="Cán bộ Bộ Tài chính")
    make_user(db, "tp-btp", ["agency"], agency_id=justice, full_name="Cán bộ Bộ Tư pháp")
    task = new_task(db, lead_agency_id=finance, title="Sửa đổi Nghị định về thuế giá trị gia tăng")
    secret = new_task(
        db,
        lead_agency_id=justice,
        title="Nhiệm vụ mật về cải cách tư pháp",
        restricted_user_ids=[sec_user.id],
    )
    assert leader.id is not None
    return World(
        sec=login_as(client, "tp-thuky"),
        member=login_as(client, "tp-tv"),
        btc=login_as(client, "tp-btc"),
        btp=login_as(client, "tp-btp"),
        finance=finance,
        justice=justice,
        task=task,
        secret=secret,
        leader=leader.id,
    )


def count(db: Database, model: Any) -> int:
    return int(db.read_sync(lambda s: s.exec(select(func.count()).select_from(model)).one()))


def load_task(db: Database, task_id: int) -> Task:
    found = db.read_sync(lambda s: s.get(Task, task_id))
    assert found is not None
    return found


def invalid_ids(html: str) -> set[str]:
    return set(re.findall(r'id="([^"]+)"[^>]*aria-invalid="true"', html))


# --- the list -----------------------------------------------------------------------------------


def test_the_list_shows_each_role_what_it_may_see(world: World) -> None:
    everything = world.sec.get("/tasks")
    assert everything.status_code == 200
    assert "Sửa đổi Nghị định về thuế" in everything.text and "Nhiệm vụ mật" in everything.text
    assert 'href="/tasks/new"' in everything.text
    assert "/api/v1/tasks?" in everything.text and "format=csv" in everything.text

    member = world.member.get("/tasks")
    assert "Sửa đổi Nghị định về thuế" in member.text and "Nhiệm vụ mật" not in member.text
    assert 'href="/tasks/new"' not in member.text

    finance = world.btc.get("/tasks")
    assert "Sửa đổi Nghị định về thuế" in finance.text and "Nhiệm vụ mật" not in finance.text
    justice = world.btp.get("/tasks")
    assert "Nhiệm vụ mật" in justice.text and "Sửa đổi Nghị định về thuế" not in justice.text


def test_the_filters_narrow_the_list_and_carry_into_the_csv_link(world: World) -> None:
    page = world.sec.get(f"/tasks?agency={world.justice}&state=in_time&month=2027-03")
    assert page.status_code == 200
    assert "Nhiệm vụ mật" in page.text and "Sửa đổi Nghị định về thuế" not in page.text
    link = re.search(r'href="(/api/v1/tasks\?[^"]+)"', page.text)
    assert link is not None
    assert "agency=B%E1%BB%99+T%C6%B0+ph%C3%A1p" in link.group(1)
    assert "due_from=2027-03-01" in link.group(1) and "due_to=2027-03-31" in link.group(1)
    assert "state=in_time" in link.group(1)


@pytest.mark.parametrize("query", ["state=bogus", "month=2027-13", "agency=abc", "page=0", "leader=-1"])
def test_a_bad_filter_gives_the_form_back_with_400(world: World, query: str) -> None:
    page = world.sec.get(f"/tasks?{query}")
    assert page.status_code == 400
    assert 'role="alert"' in page.text
    name = query.split("=")[0]
    assert invalid_ids(page.text) == (set() if name == "page" else {f"filter-{name}"})  # no page field


def test_the_task_pages_are_for_readers_only(client: TestClient, db: Database, world: World) -> None:
    make_user(db, "tp-guest", ["guest"])
    guest = login_as(client, "tp-guest")
    assert guest.get("/tasks").status_code == 403
    assert guest.get(f"/tasks/{world.task}").status_code == 403
    client.cookies.clear()
    assert client.get("/tasks", follow_redirects=False).status_code in (302, 303, 401)


# --- a restricted task --------------------------------------------------------------------------


def test_a_restricted_task_is_not_found_outside_its_audience(world: World) -> None:
    assert world.member.get(f"/tasks/{world.secret}").status_code == 404
    assert world.btc.get(f"/tasks/{world.secret}").status_code == 404
    assert world.btp.get(f"/tasks/{world.secret}").status_code == 200
    page = world.sec.get(f"/tasks/{world.secret}")
    assert page.status_code == 200 and "Người dùng tp-thuky" in page.text  # its audience
    assert world.btc.get(f"/tasks/{world.secret}/extensions").status_code == 405
    refused = world.btc.post(
        f"/tasks/{world.secret}/extensions",
        data={"csrf_token": world.btc.csrf, "reason": "Cần thêm thời gian", "due_on": "2027-06-30"},
    )
    assert refused.status_code == 404
    assert "Nhiệm vụ mật" not in refused.text


# --- a directive ----------------------------------------------------------------------------------


def directive(world: World, **fields: Any) -> dict[str, Any]:
    return {
        "csrf_token": world.sec.csrf,
        "title": "Rà soát thủ tục hành chính lĩnh vực đầu tư",
        "description": "Báo cáo Thủ tướng trước ngày 30.",
        "document_number": "123/TB-VPCP",
        "lead_agency_id": str(world.finance),
        "cooperating_agencies": [str(world.justice)],
        "due_on": "2027-04-30",
        "leader_member_id": str(world.leader),
        **fields,
    }


def test_the_secretariat_gives_a_directive_task(db: Database, world: World) -> None:
    form = world.sec.get("/tasks/new")
    assert form.status_code == 200 and "Phạm Minh Chính" in form.text
    created = world.sec.post("/tasks/new", data=directive(world), follow_redirects=False)
    assert created.status_code == 303, created.text
    task_id = int(created.headers["location"].split("/")[2].split("?")[0])
    task = load_task(db, task_id)
    assert (task.document_number, task.lead_agency_id, task.leader_member_id) == (
        "123/TB-VPCP",
        world.finance,
        world.leader,
    )
    page = world.sec.get(created.headers["location"])
    assert "Đã giao nhiệm vụ." in page.text and "Bộ Tư pháp" in page.text  # cooperating
    assert "Giao nhiệm vụ" in page.text  # its history: task.created as a sentence
    assert world.member.get("/tasks/new").status_code == 403
    assert world.btc.post("/tasks/new", data=directive(world, csrf_token=world.btc.csrf)).status_code == 403


@pytest.mark.parametrize(
    ("fields", "status", "marked"),
    [
        ({"title": ""}, 400, "task-title"),
        ({"due_on": "not-a-date"}, 400, "task-due"),
        ({"due_on": "2027-02-01"}, 422, "task-due"),
        ({"lead_agency_id": ""}, 400, "task-lead"),
        ({"lead_agency_id": "abc"}, 400, "task-lead"),
        ({"lead_agency_id": "999999"}, 422, "task-lead"),
        ({"leader_member_id": "999999"}, 422, "task-leader"),
        ({"title": "x" * 501}, 400, "task-title"),
    ],
)
def test_a_bad_directive_comes_back_marked_and_stores_nothing(
    db: Database, world: World, fields: dict[str, Any], status: int, marked: str
) -> None:
    before = count(db, Task)
    page = world.sec.post("/tasks/new", data=directive(world, **fields))
    assert page.status_code == status, page.text
    assert 'role="alert"' in page.text
    assert marked in invalid_ids(page.text)
    assert "Rà soát thủ tục hành chính" in page.text or fields.get("title") is not None  # typed text kept
    assert count(db, Task) == before


def test_a_form_without_its_csrf_token_is_refused(db: Database, world: World) -> None:
    before = count(db, Task)
    page = world.sec.post("/tasks/new", data={**directive(world), "csrf_token": "nope"})
    assert page.status_code == 403
    assert count(db, Task) == before


# --- reports, extensions, cancel ------------------------------------------------------------------


def report_form(actor: Actor, **fields: str) -> dict[str, str]:
    return {"csrf_token": actor.csrf, "text": "Đã trình Chính phủ dự thảo Nghị định", **fields}


NO_FILE = {"file": ("", b"", "application/octet-stream")}  # what a browser sends with no file chosen


def test_the_lead_agency_reports_done_with_a_pdf(db: Database, world: World) -> None:
    page = world.btc.get(f"/tasks/{world.task}")
    assert page.status_code == 200 and f'action="/tasks/{world.task}/reports"' in page.text
    assert f'action="/tasks/{world.task}/cancel"' not in page.text  # the secretariat's
    sent = world.btc.post(
        f"/tasks/{world.task}/reports",
        data=report_form(world.btc, done="1"),
        files={"file": ("bao-cao.pdf", make_pdf(2), "application/pdf")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    task = load_task(db, world.task)
    assert (task.status, task.completed_on) == ("done", TODAY)
    shown = world.sec.get(f"/tasks/{world.task}")
    assert "Hoàn thành đúng hạn" in shown.text
    report_id = db.read_sync(
        lambda s: s.exec(select(TaskReport.id).where(TaskReport.task_id == world.task)).one()
    )
    assert f"/api/v1/task-reports/{report_id}/file" in shown.text
    assert "Báo cáo hoàn thành nhiệm vụ" in shown.text  # the history


def test_a_progress_report_without_a_file(db: Database, world: World) -> None:
    sent = world.sec.post(
        f"/tasks/{world.task}/reports", data=report_form(world.sec), files=NO_FILE, follow_redirects=False
    )
    assert sent.status_code == 303, sent.text
    assert load_task(db, world.task).status == "open"
    assert count(db, TaskReport) == 1


@pytest.mark.parametrize(
    ("fields", "file", "status", "marked"),
    [
        ({"text": ""}, None, 400, "report-text"),
        ({"done": "1", "completed_on": "2027-03-09"}, None, 422, "report-completed"),
        ({"completed_on": "2027-02-20"}, None, 422, "report-completed"),
        ({}, b"%PDF-1.4 this is not a pdf at all", 422, "report-file"),
        ({}, b"MZ\x90\x00 an executable", 422, "report-file"),
    ],
)
def test_a_bad_report_comes_back_marked_and_stores_nothing(
    db: Database, world: World, fields: dict[str, str], file: bytes | None, status: int, marked: str
) -> None:
    files = {"file": ("x.pdf", file, "application/pdf")} if file is not None else NO_FILE
    page = world.btc.post(f"/tasks/{world.task}/reports", data=report_form(world.btc, **fields), files=files)
    assert page.status_code == status, page.text
    assert marked in invalid_ids(page.text)
    assert count(db, TaskReport) == 0
    assert load_task(db, world.task).status == "open"


def test_only_the_lead_agency_and_the_secretariat_report(world: World) -> None:
    member = world.member.post(f"/tasks/{world.task}/reports", data=report_form(world.member), files=NO_FILE)
    assert member.status_code == 403
    other = world.btp.post(f"/tasks/{world.task}/reports", data=report_form(world.btp), files=NO_FILE)
    assert other.status_code == 404


def test_an_extension_is_asked_by_the_agency_and_decided_by_the_secretariat(
    db: Database, world: World
) -> None:
    asked = world.btc.post(
        f"/tasks/{world.task}/extensions",
        data={"csrf_token": world.btc.csrf, "reason": "Chờ ý kiến thẩm định", "due_on": "2027-05-31"},
        follow_redirects=False,
    )
    assert asked.status_code == 303, asked.text
    extension_id = db.read_sync(lambda s: s.exec(select(TaskExtension.id)).one())
    page = world.sec.get(f"/tasks/{world.task}")
    assert f"/tasks/{world.task}/extensions/{extension_id}/decision" in page.text
    assert (
        world.btc.post(
            f"/tasks/{world.task}/extensions/{extension_id}/decision",
            data={"csrf_token": world.btc.csrf, "decision": "approve"},
        ).status_code
        == 403
    )
    no_choice = world.sec.post(
        f"/tasks/{world.task}/extensions/{extension_id}/decision", data={"csrf_token": world.sec.csrf}
    )
    assert no_choice.status_code == 400
    approved = world.sec.post(
        f"/tasks/{world.task}/extensions/{extension_id}/decision",
        data={"csrf_token": world.sec.csrf, "decision": "approve", "note": "Đồng ý"},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    task = load_task(db, world.task)
    assert task.due_on == date(2027, 5, 31) and task.original_due_on == TODAY + timedelta(days=30)
    assert "ban đầu" in world.btc.get(f"/tasks/{world.task}").text


@pytest.mark.parametrize(
    ("due_on", "reason", "status", "marked"),
    [
        ("2027-03-05", "Cần thêm thời gian", 422, "extension-due"),
        ("2027-06-30", "x", 400, "extension-reason"),
    ],
)
def test_a_bad_extension_request_comes_back(
    db: Database, world: World, due_on: str, reason: str, status: int, marked: str
) -> None:
    page = world.btc.post(
        f"/tasks/{world.task}/extensions",
        data={"csrf_token": world.btc.csrf, "reason": reason, "due_on": due_on},
    )
    assert page.status_code == status, page.text
    assert marked in invalid_ids(page.text)
    assert count(db, TaskExtension) == 0


def test_the_secretariat_cancels_with_a_reason(db: Database, world: World) -> None:
    short = world.sec.post(f"/tasks/{world.task}/cancel", data={"csrf_token": world.sec.csrf, "reason": ""})
    assert short.status_code == 400 and "cancel-reason" in invalid_ids(short.text)
    assert load_task(db, world.task).status == "open"
    assert (
        world.btc.post(
            f"/tasks/{world.task}/cancel", data={"csrf_token": world.btc.csrf, "reason": "Không cần nữa"}
        ).status_code
        == 403
    )
    done = world.sec.post(
        f"/tasks/{world.task}/cancel",
        data={"csrf_token": world.sec.csrf, "reason": "Đã có văn bản thay thế"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert load_task(db, world.task).status == "cancelled"
    page = world.btc.get(f"/tasks/{world.task}")
    assert "Đã hủy" in page.text and "Đã có văn bản thay thế" in page.text
    assert f'action="/tasks/{world.task}/reports"' not in page.text


# --- the agency's home and its items --------------------------------------------------------------


def test_the_agency_home_shows_its_items_and_tasks_by_state(
    client: TestClient, db: Database, world: World
) -> None:
    own = make_programme_item(
        db, lead_agency="Bộ Tài chính", planned_month="2027-04", title="Luật Thuế thu nhập"
    )
    make_programme_item(db, lead_agency="Bộ Tư pháp", planned_month="2027-04", title="Luật Hộ tịch sửa đổi")
    overdue = new_task(db, lead_agency_id=world.finance, title="Báo cáo tình hình nợ công", due_on=TODAY)
    assert world.sec.get("/agency").status_code == 403
    today(TODAY + timedelta(days=1))
    btc = login_as(client, "tp-btc")
    home = btc.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/agency"
    page = btc.get("/agency")
    assert page.status_code == 200
    assert "Luật Thuế thu nhập" in page.text and "Luật Hộ tịch" not in page.text
    assert "25/03/2027" in page.text  # the submission deadline: the 25th of the month before
    assert "Nhiệm vụ mật" not in page.text
    overdue_group = page.text.split('id="h-group-overdue"')[1].split("</section>")[0]
    assert "Báo cáo tình hình nợ công" in overdue_group and f"/tasks/{overdue}" in overdue_group
    in_time = page.text.split('id="h-group-in_time"')[1].split("</section>")[0]
    assert "Sửa đổi Nghị định về thuế" in in_time
    assert f'action="/programme/{own.id}/submit"' in page.text


def test_the_agency_submits_its_dossier_once_complete(client: TestClient, db: Database, world: World) -> None:
    item = make_programme_item(db, lead_agency="Bộ Tài chính", planned_month="2027-03")
    incomplete = world.btc.post(
        f"/programme/{item.id}/submit", data={"csrf_token": world.btc.csrf, "back": "agency"}
    )
    assert incomplete.status_code == 422 and "Hồ sơ chưa đủ" in incomplete.text
    complete_dossier(db, item)
    other = world.btp.post(
        f"/programme/{item.id}/submit", data={"csrf_token": world.btp.csrf, "back": "agency"}
    )
    assert other.status_code == 404
    sent = world.btc.post(
        f"/programme/{item.id}/submit",
        data={"csrf_token": world.btc.csrf, "back": "agency"},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"].startswith("/agency?ok=submitted")
    found = db.read_sync(lambda s: s.get(ProgrammeItem, item.id))
    assert found is not None and found.submitted_at is not None and found.submitted_late  # after 25/02
    assert "Nộp chậm 4 ngày" in world.btc.get("/agency").text


def test_the_agency_opens_uploads_and_postpones_its_own_items_only(db: Database, world: World) -> None:
    own = make_programme_item(db, lead_agency="Bộ Tài chính", planned_month="2027-05")
    other = make_programme_item(db, lead_agency="Bộ Tư pháp", planned_month="2027-05")
    page = world.btc.get(f"/programme/{own.id}")
    assert page.status_code == 200
    assert f'action="/programme/{own.id}/documents"' in page.text
    assert f'action="/programme/{own.id}/postponements"' in page.text
    assert f'action="/programme/{own.id}/status"' not in page.text  # the secretariat's
    assert world.btc.get(f"/programme/{other.id}").status_code == 404
    assert world.btc.get("/programme").status_code == 403
    uploaded = world.btc.post(
        f"/programme/{own.id}/documents",
        data={"csrf_token": world.btc.csrf, "kind": "submission", "title": "Tờ trình", "note": ""},
        files={"file": ("t.pdf", make_pdf(1), "application/pdf")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303, uploaded.text
    refused = world.btc.post(
        f"/programme/{other.id}/documents",
        data={"csrf_token": world.btc.csrf, "kind": "submission", "title": "Tờ trình", "note": ""},
        files={"file": ("t.pdf", make_pdf(1), "application/pdf")},
    )
    assert refused.status_code == 404
    asked = world.btc.post(
        f"/programme/{own.id}/postponements",
        data={"csrf_token": world.btc.csrf, "reason": "Chờ ý kiến các bộ", "to_month": "2027-07"},
        follow_redirects=False,
    )
    assert asked.status_code == 303, asked.text
    assert (
        world.btc.post(
            f"/programme/{other.id}/postponements",
            data={"csrf_token": world.btc.csrf, "reason": "Chờ ý kiến các bộ", "to_month": "2027-07"},
        ).status_code
        == 404
    )


# --- tasks from a meeting's conclusions ---------------------------------------------------------


def concluded_meeting(db: Database, world: World) -> tuple[int, int, int]:
    meeting = make_meeting(db, chair_member_id=world.leader)
    assert meeting.id is not None
    first = add_agenda_item(db, meeting.id, title="Dự thảo Nghị định về thuế")
    second = add_agenda_item(db, meeting.id, title="Báo cáo kinh tế - xã hội")

    def conclude(s: Session) -> None:
        item = s.get(AgendaItem, first.id)
        assert item is not None
        item.outcome, item.conclusion, item.state = "adopted", "Giao Bộ Tài chính hoàn thiện dự thảo.", "done"

    db.write_sync(conclude)
    assert first.id is not None and second.id is not None
    return meeting.id, first.id, second.id


def row(item_id: int, n: int, **fields: str) -> dict[str, str]:
    return {f"row-{item_id}-{n}-{name}": value for name, value in fields.items()}


def test_the_secretariat_gives_several_tasks_from_a_conclusion(db: Database, world: World) -> None:
    meeting_id, first, second = concluded_meeting(db, world)
    page = world.sec.get(f"/meetings/{meeting_id}/tasks/new")
    assert page.status_code == 200
    assert "Giao Bộ Tài chính hoàn thiện dự thảo." in page.text
    assert f"row-{first}-0-title" in page.text and f"row-{second}-0-title" not in page.text
    before = count(db, Task)
    sent = world.sec.post(
        f"/meetings/{meeting_id}/tasks/new",
        data={
            "csrf_token": world.sec.csrf,
            **row(
                first,
                0,
                title="Hoàn thiện dự thảo Nghị định",
                lead_agency_id=str(world.finance),
                due_on="2027-04-15",
            ),
            **row(
                first,
                1,
                title="Thẩm định dự thảo",
                lead_agency_id=str(world.justice),
                due_on="2027-04-01",
                leader_member_id=str(world.leader),
            ),
            **row(first, 2, title="", lead_agency_id="", due_on=""),
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    assert count(db, Task) == before + 2
    made = db.read_sync(lambda s: s.exec(select(Task).where(Task.source_agenda_item_id == first)).all())
    assert {t.source_meeting_id for t in made} == {meeting_id}
    again = world.sec.get(sent.headers["location"])
    assert "Đã giao 2 nhiệm vụ." in again.text and "Thẩm định dự thảo" in again.text
    listed = world.sec.get(f"/tasks?meeting={meeting_id}")
    assert "Hoàn thiện dự thảo Nghị định" in listed.text and "Sửa đổi Nghị định về thuế" not in listed.text


def test_one_bad_row_stores_none_and_says_which(db: Database, world: World) -> None:
    meeting_id, first, _ = concluded_meeting(db, world)
    before = count(db, Task)
    page = world.sec.post(
        f"/meetings/{meeting_id}/tasks/new",
        data={
            "csrf_token": world.sec.csrf,
            **row(
                first,
                0,
                title="Hoàn thiện dự thảo Nghị định",
                lead_agency_id=str(world.finance),
                due_on="2027-04-15",
            ),
            **row(
                first, 1, title="Thẩm định dự thảo", lead_agency_id=str(world.justice), due_on="2026-01-01"
            ),
            **row(first, 2, title="Việc thứ ba", lead_agency_id="999999", due_on="2027-04-15"),
        },
    )
    assert page.status_code == 422, page.text
    assert count(db, Task) == before
    marked = invalid_ids(page.text)
    assert f"row-{first}-1-due" in marked and f"row-{first}-2-lead" in marked
    assert f"row-{first}-0-title" not in marked
    assert "Hoàn thiện dự thảo Nghị định" in page.text  # what was typed comes back
    empty = world.sec.post(f"/meetings/{meeting_id}/tasks/new", data={"csrf_token": world.sec.csrf})
    assert empty.status_code == 400
    assert world.member.get(f"/meetings/{meeting_id}/tasks/new").status_code == 403
    assert (
        world.btc.post(f"/meetings/{meeting_id}/tasks/new", data={"csrf_token": world.btc.csrf}).status_code
        == 403
    )


def test_a_task_from_a_closed_ballot_needs_a_closed_ballot(world: World) -> None:
    assert world.sec.get("/tasks/new?poll=999999").status_code == 404
    assert world.sec.get("/tasks/new?poll=abc").status_code == 404


def test_the_nav_offers_tasks_and_the_agency_home(world: World) -> None:
    assert 'href="/tasks"' in world.member.get("/").text
    home = world.btc.get("/agency").text
    assert 'href="/agency"' in home and 'href="/tasks"' in home and 'href="/meetings"' not in home


def test_the_pages_speak_english(client: TestClient, db: Database, world: World) -> None:
    def english(s: Session) -> None:
        from agenda.people.accounts import User

        user = s.exec(select(User).where(User.username == "tp-btc")).one()
        user.locale = "en"

    db.write_sync(english)
    page = login_as(client, "tp-btc").get(f"/tasks/{world.task}")
    assert "Lead agency" in page.text and "History" in page.text
    assert "Due date" in page.text
