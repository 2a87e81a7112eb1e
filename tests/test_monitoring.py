"""The monitoring board (docs/monitoring.md) against a scripted data set whose every figure is
computed by hand below: three agencies, tasks at the boundary dates of the four states,
programme items in every outcome, restricted tasks counted but never shown, who may read the
board, the CSV, the monthly report's text and attaching it to the next regular session.

"Today" is frozen at 2027-03-20. The tasks (due date, what happened → state as of today):

    Bộ Tài chính (A)
      A1 due 03-10, done 03-10           → on_time (done on the due date)
      A2 due 03-10, done 03-11           → late (done the day after)
      A3 due 03-20, open                 → in_time (open on the due date)   at risk (no report)
      A4 due 03-19, open                 → overdue (open the day after)
      A5 due 03-25, cancelled            → left out of "due"
      A6 due 03-26, open, restricted     → in_time                          at risk (hidden)
      A7 due 03-27, open, has a report   → in_time                          not at risk
    Bộ Tư pháp (B)
      B1 due 03-01, done 02-20           → on_time
      B2 due 03-05, open, restricted     → overdue
      B3 due 04-02, open                 → April: outside March
      B4 due 03-28, open                 → in_time (8 days off: not at risk)
    Bộ Kế hoạch và Đầu tư (C)
      C1 due 02-28, open                 → overdue, in February

March: A due 6 = 1 on time + 1 late + 3 in time + 1 overdue; B due 3 = 1 + 0 + 1 + 1;
totals due 9 = 2 + 1 + 4 + 2; on-time rate 2/9, completed among those due 3/9.

Programme items planned in March 2027 (submission deadline 2027-02-25):
    A: P1 nothing submitted → not_submitted; P2 submitted 02-20 → submitted_on_time
    B: P3 submitted 03-01 → submitted_late (4 days); P4 withdrawn
    C: P5 postponed (xin lùi, approved); P6 moved to ready by the secretariat → submitted_on_time
April (deadline 2027-03-25, 5 days after today): A's P7 incomplete → at risk; B's P8 complete → not.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from pypdf import PdfReader
from sqlmodel import select
from starlette.testclient import TestClient

from agenda import clock
from agenda.agencies.registry import Agency
from agenda.db import Database
from agenda.meetings.agenda_items import AgendaItem
from agenda.people.accounts import User
from agenda.policy import DEFAULT_POLICY
from agenda.programme import postponements, programme
from agenda.programme.postponements import PostponementCreate, PostponementDecision
from agenda.programme.submission import submit_dossier
from agenda.tasks import lifecycle
from agenda.tasks.lifecycle import ReportCreate, TaskCancel, TaskCreate
from tests.support.factories import (
    Actor,
    complete_dossier,
    error_of,
    local_time,
    login_as,
    make_meeting,
    make_member,
    make_programme_item,
    make_user,
)

TODAY = date(2027, 3, 20)
A, B, C = "Bộ Tài chính", "Bộ Tư pháp", "Bộ Kế hoạch và Đầu tư"
SECRET_TITLE = "Nhiệm vụ mật về quốc phòng"


def at(day: date) -> None:
    clock.freeze(datetime(day.year, day.month, day.day, 10, 0))


def task(db: Database, code: str, agency: str, due: date, **fields: Any) -> int:
    data = TaskCreate.model_validate(
        {"title": f"Nhiệm vụ {code}", "lead_agency": agency, "due_on": due, **fields}
    )
    made = db.write_sync(lambda s: lifecycle.create_task(session=s, data=data, actor_id=None))
    assert made.id is not None
    return made.id


def report(db: Database, task_id: int, *, done: bool) -> None:
    data = ReportCreate(text="Đã triển khai", done=done)
    db.write_sync(
        lambda s: lifecycle.add_report(
            session=s, task=lifecycle.get_task(session=s, task_id=task_id), data=data, actor_id=None
        )
    )


def submit(db: Database, item_id: int) -> None:
    db.write_sync(lambda s: submit_dossier(session=s, item_id=item_id, actor_id=None, policy=DEFAULT_POLICY))


def status(db: Database, item_id: int, new: str, reason: str | None = None) -> None:
    def move(s: Any) -> None:
        item = programme.get_item(session=s, item_id=item_id)
        programme.change_status(
            session=s, item=item, new=new, actor_id=None, policy=DEFAULT_POLICY, reason=reason
        )

    db.write_sync(move)


def build(db: Database) -> dict[str, int]:
    ids: dict[str, int] = {}
    at(date(2027, 1, 10))
    insider = make_user(db, "insider", ["member"])
    assert insider.id is not None
    ids["insider"] = insider.id
    for code, agency, due in (
        ("A1", A, date(2027, 3, 10)),
        ("A2", A, date(2027, 3, 10)),
        ("A3", A, date(2027, 3, 20)),
        ("A4", A, date(2027, 3, 19)),
        ("A5", A, date(2027, 3, 25)),
        ("A7", A, date(2027, 3, 27)),
        ("B1", B, date(2027, 3, 1)),
        ("B3", B, date(2027, 4, 2)),
        ("B4", B, date(2027, 3, 28)),
        ("C1", C, date(2027, 2, 28)),
    ):
        ids[code] = task(db, code, agency, due)
    for code, agency, due in (("A6", A, date(2027, 3, 26)), ("B2", B, date(2027, 3, 5))):
        ids[code] = task(
            db, code, agency, due, title=SECRET_TITLE + " " + code, restricted_user_ids=[insider.id]
        )
    p1 = make_programme_item(db, code="P1", lead_agency=A, planned_month="2027-03")
    p2 = make_programme_item(db, code="P2", lead_agency=A, planned_month="2027-03")
    p3 = make_programme_item(db, code="P3", lead_agency=B, planned_month="2027-03")
    p4 = make_programme_item(db, code="P4", lead_agency=B, planned_month="2027-03")
    p5 = make_programme_item(db, code="P5", lead_agency=C, planned_month="2027-03")
    p6 = make_programme_item(db, code="P6", lead_agency=C, planned_month="2027-03")
    p7 = make_programme_item(db, code="P7", lead_agency=A, planned_month="2027-04")
    p8 = make_programme_item(db, code="P8", lead_agency=B, planned_month="2027-04")
    for item in (p1, p2, p3, p4, p5, p6, p7, p8):
        assert item.id is not None
        ids[item.code] = item.id
    for item in (p2, p3, p6, p8):
        complete_dossier(db, item)
    status(db, ids["P4"], "withdrawn", reason="Không còn cần thiết")
    request = db.write_sync(
        lambda s: postponements.request_postponement(
            session=s, item_id=ids["P5"], data=PostponementCreate(reason="Chờ ý kiến các bộ"), actor_id=None
        )
    )
    db.write_sync(
        lambda s: postponements.decide_postponement(
            session=s,
            postponement_id=request.id or 0,
            data=PostponementDecision(approve=True),
            actor_id=None,
            policy=DEFAULT_POLICY,
        )
    )
    status(db, ids["P6"], "submitted")
    status(db, ids["P6"], "ready")
    at(date(2027, 2, 20))
    submit(db, ids["P2"])
    report(db, ids["B1"], done=True)
    at(date(2027, 3, 1))
    submit(db, ids["P3"])
    at(date(2027, 3, 10))
    report(db, ids["A1"], done=True)
    at(date(2027, 3, 11))
    report(db, ids["A2"], done=True)
    at(date(2027, 3, 15))
    report(db, ids["A7"], done=False)
    db.write_sync(
        lambda s: lifecycle.cancel_task(
            session=s,
            task=lifecycle.get_task(session=s, task_id=ids["A5"]),
            data=TaskCancel(reason="Không cần"),
            actor_id=None,
        )
    )
    at(TODAY)
    return ids


@pytest.fixture(scope="module")
def world(shared_db: Database) -> dict[str, int]:
    try:
        return build(shared_db)
    finally:
        clock.freeze(None)


@pytest.fixture
def today() -> Iterator[None]:
    at(TODAY)
    yield


def agency_id(db: Database, name: str) -> int:
    found = db.read_sync(lambda s: s.exec(select(Agency.id).where(Agency.name == name)).one())
    assert found is not None
    return found


def actor(client: TestClient, db: Database, username: str, roles: list[str], **fields: Any) -> Actor:
    if db.read_sync(lambda s: s.exec(select(User.id).where(User.username == username)).first()) is None:
        make_user(db, username, roles, **fields)  # once per module: the data set is shared
    return login_as(client, username)


def secretariat(client: TestClient, db: Database) -> Actor:
    return actor(client, db, "vpcp", ["secretariat"])


def tasks_of(row: dict[str, Any]) -> tuple[int, ...]:
    t = row["tasks"]
    return (t["due"], t["on_time"], t["late"], t["in_time"], t["overdue"])


def programme_of(row: dict[str, Any]) -> tuple[int, ...]:
    p = row["programme"]
    return (
        p["planned"],
        p["submitted_on_time"],
        p["submitted_late"],
        p["not_submitted"],
        p["postponed"],
        p["withdrawn"],
    )


def test_the_figures_of_march_match_the_hand_count(
    shared_client: TestClient, shared_db: Database, world: dict[str, int], today: None
) -> None:
    response = secretariat(shared_client, shared_db).get("/api/v1/monitoring?from=2027-03&to=2027-03")
    assert response.status_code == 200, response.text
    board = response.json()
    assert board["period"] == {"from": "2027-03", "to": "2027-03"}
    assert board["as_of"] == "2027-03-20"
    rows = {r["agency"]: r for r in board["agencies"]}
    assert set(rows) == {A, B, C}
    assert tasks_of(rows[A]) == (6, 1, 1, 3, 1)
    assert tasks_of(rows[B]) == (3, 1, 0, 1, 1)
    assert tasks_of(rows[C]) == (0, 0, 0, 0, 0)
    assert programme_of(rows[A]) == (2, 1, 0, 1, 0, 0)
    assert programme_of(rows[B]) == (2, 0, 1, 0, 0, 1)
    assert programme_of(rows[C]) == (2, 1, 0, 0, 1, 0)
    totals = board["totals"]
    assert tasks_of(totals) == (9, 2, 1, 4, 2)
    assert programme_of(totals) == (6, 2, 1, 1, 1, 1)
    assert totals["on_time_rate"] == round(2 / 9, 4)
    assert totals["completion_rate"] == round(3 / 9, 4)
    assert rows[C]["on_time_rate"] is None
    assert rows[A]["on_time_rate"] == round(1 / 6, 4)
    assert board["months"] == [{"month": "2027-03", **{k: totals[k] for k in totals}}]
    # The figures never carry a title.
    assert SECRET_TITLE not in response.text


def test_a_wider_period_adds_february_and_april(
    shared_client: TestClient, shared_db: Database, world: dict[str, int], today: None
) -> None:
    board = secretariat(shared_client, shared_db).get("/api/v1/monitoring?from=2027-02&to=2027-04").json()
    assert tasks_of(board["totals"]) == (11, 2, 1, 5, 3)  # + C1 overdue (Feb), + B3 in time (Apr)
    assert programme_of(board["totals"]) == (8, 2, 1, 3, 1, 1)  # + P7 and P8, neither submitted
    months = {m["month"]: m for m in board["months"]}
    assert list(months) == ["2027-02", "2027-03", "2027-04"]
    assert tasks_of(months["2027-02"]) == (1, 0, 0, 0, 1)
    assert tasks_of(months["2027-04"]) == (1, 0, 0, 1, 0)
    assert programme_of(months["2027-04"]) == (2, 0, 0, 2, 0, 0)


def test_drill_downs_list_what_is_behind_each_number(
    shared_client: TestClient, shared_db: Database, world: dict[str, int], today: None
) -> None:
    staff = secretariat(shared_client, shared_db)
    a = agency_id(shared_db, A)
    found = staff.get(f"/api/v1/monitoring/tasks?from=2027-03&to=2027-03&agency={a}&state=in_time").json()
    assert [t["code"] for t in found["items"]] != []
    assert sorted(t["id"] for t in found["items"]) == sorted([world["A3"], world["A6"], world["A7"]])
    assert (found["total"], found["hidden"]) == (3, 0)
    overdue = staff.get("/api/v1/monitoring/tasks?from=2027-03&to=2027-03&state=overdue").json()
    assert sorted(t["id"] for t in overdue["items"]) == sorted([world["A4"], world["B2"]])
    due = staff.get("/api/v1/monitoring/tasks?from=2027-03&to=2027-03").json()
    assert due["total"] == 9 and world["A5"] not in [t["id"] for t in due["items"]]
    items = staff.get("/api/v1/monitoring/programme?from=2027-03&to=2027-03&state=submitted_late").json()
    assert [i["code"] for i in items["items"]] == ["P3"]
    assert items["items"][0]["days_late"] == 4
    planned = staff.get(f"/api/v1/monitoring/programme?from=2027-03&to=2027-03&agency={a}").json()
    assert [i["code"] for i in planned["items"]] == ["P1", "P2"]


def test_restricted_tasks_are_counted_but_never_shown(
    shared_client: TestClient, shared_db: Database, world: dict[str, int], today: None
) -> None:
    member = actor(shared_client, shared_db, "thanhvien", ["member"])
    board = member.get("/api/v1/monitoring?from=2027-03&to=2027-03")
    assert tasks_of(board.json()["totals"]) == (9, 2, 1, 4, 2)  # the same figures
    found = member.get("/api/v1/monitoring/tasks?from=2027-03&to=2027-03").json()
    assert (found["total"], found["shown"], found["hidden"]) == (9, 7, 2)
    assert world["A6"] not in [t["id"] for t in found["items"]]
    csv = member.get("/api/v1/monitoring/tasks?from=2027-03&to=2027-03&format=csv")
    for response in (board, csv):
        assert SECRET_TITLE not in response.text
    assert "2 nhiệm vụ mật" in csv.content.decode("utf-8-sig")
    risky = member.get("/api/v1/monitoring/at-risk").json()["tasks"]
    assert [t["id"] for t in risky["items"]] == [world["A3"]]
    assert (risky["total"], risky["hidden"]) == (2, 1)
    # Its audience sees it.
    insider = login_as(shared_client, "insider")
    seen = insider.get("/api/v1/monitoring/tasks?from=2027-03&to=2027-03").json()
    assert (seen["shown"], seen["hidden"]) == (9, 0)
    assert any(SECRET_TITLE in t["title"] for t in seen["items"])


def test_at_risk_lists_tasks_without_a_report_and_incomplete_dossiers(
    shared_client: TestClient, shared_db: Database, world: dict[str, int], today: None
) -> None:
    risky = secretariat(shared_client, shared_db).get("/api/v1/monitoring/at-risk").json()
    assert risky["days"] == 7
    assert [t["id"] for t in risky["tasks"]["items"]] == [world["A3"], world["A6"]]
    assert [i["code"] for i in risky["programme"]["items"]] == ["P7"]
    assert risky["programme"]["items"][0]["submission_deadline"] == "2027-03-25"


def test_who_reads_the_board(
    shared_client: TestClient, shared_db: Database, world: dict[str, int], today: None
) -> None:
    a = agency_id(shared_db, A)
    for username, role in (("chutoa", "chair"), ("thanhvien", "member")):
        reader = actor(shared_client, shared_db, username, [role])
        assert reader.get("/api/v1/monitoring").status_code == 200
    others: tuple[tuple[str, list[str], dict[str, Any]], ...] = (
        ("canbo", ["agency"], {"agency_id": a}),
        ("khach", ["guest"], {}),
        ("quansat", ["observer"], {}),
    )
    for username, roles, fields in others:
        other = actor(shared_client, shared_db, username, roles, **fields)
        for url in ("/api/v1/monitoring", "/api/v1/monitoring/tasks", "/api/v1/monitoring/at-risk"):
            assert other.get(url).status_code == 403, (username, url)
        assert other.get("/api/v1/monitoring/report.pdf").status_code == 403
    member = actor(shared_client, shared_db, "thanhvien", ["member"])
    assert member.get("/api/v1/monitoring/report.pdf?month=2027-03").status_code == 403
    assert member.post("/api/v1/monitoring/report/attach", json={"month": "2027-03"}).status_code == 403
    shared_client.cookies.clear()
    assert shared_client.get("/api/v1/monitoring").status_code == 401


def test_bad_periods_get_a_clear_400(
    shared_client: TestClient, shared_db: Database, world: dict[str, int], today: None
) -> None:
    staff = secretariat(shared_client, shared_db)
    for query in ("from=2027-13", "from=2027-05&to=2027-03", "from=2000-01&to=2027-01", "to=abc"):
        response = staff.get(f"/api/v1/monitoring?{query}")
        assert response.status_code == 400, query
        assert error_of(response)["code"] in ("bad_month", "bad_period")
    bad_state = staff.get("/api/v1/monitoring/tasks?state=cancelled")
    assert bad_state.status_code == 400 and error_of(bad_state)["code"] == "bad_state"
    assert staff.get("/api/v1/monitoring/tasks?agency=x").status_code == 400
    assert staff.get("/api/v1/monitoring/report.pdf?month=2027-3").status_code == 400


def test_the_csv_opens_with_the_right_vietnamese_text(
    shared_client: TestClient, shared_db: Database, world: dict[str, int], today: None
) -> None:
    response = secretariat(shared_client, shared_db).get(
        "/api/v1/monitoring?from=2027-03&to=2027-03&format=csv"
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Cơ quan chủ trì,Mã cơ quan,Đến hạn,Hoàn thành đúng hạn,Hoàn thành quá hạn")
    rows = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    assert rows[A][2:7] == ["6", "1", "1", "3", "1"]
    assert rows["Tổng cộng"][2:7] == ["9", "2", "1", "4", "2"]
    assert rows["Tổng cộng"][7] == "22.22%"


def test_the_report_pdf_says_the_figures_and_names_no_restricted_task(
    shared_client: TestClient, shared_db: Database, world: dict[str, int], today: None
) -> None:
    response = secretariat(shared_client, shared_db).get("/api/v1/monitoring/report.pdf?month=2027-03")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    flat = " ".join(text.split())
    assert "Tình hình thực hiện nhiệm vụ và chương trình công tác tháng 03/2027" in flat
    assert "Số nhiệm vụ đến hạn trong tháng: 9" in flat
    assert "Hoàn thành đúng hạn: 2" in flat
    assert "Chưa hoàn thành, quá hạn: 2" in flat
    assert "Tỷ lệ hoàn thành đúng hạn: 22,22%" in flat
    assert "Đã trình muộn: 1" in flat
    assert "Xin lùi: 1" in flat
    assert A in flat and B in flat
    assert "Nhiệm vụ A4" in flat and "Nhiệm vụ C1" in flat  # overdue, due up to March
    assert SECRET_TITLE not in flat
    assert "1 nhiệm vụ mật quá hạn" in flat  # B2


def test_attach_puts_the_report_on_the_next_regular_session(
    shared_client: TestClient, shared_db: Database, world: dict[str, int], today: None
) -> None:
    staff = secretariat(shared_client, shared_db)
    none_yet = staff.post("/api/v1/monitoring/report/attach", json={"month": "2027-03"})
    assert none_yet.status_code == 409 and error_of(none_yet)["code"] == "no_upcoming_session"
    assert staff.post("/api/v1/monitoring/report/attach", json={"month": "03/2027"}).status_code in (400, 422)
    chair = make_member(shared_db, full_name="Thủ tướng Chính phủ")
    assert chair.id is not None
    make_meeting(shared_db, chair_member_id=chair.id, kind="thematic", starts_at=local_time(2027, 3, 25))
    later = make_meeting(shared_db, chair_member_id=chair.id, starts_at=local_time(2027, 5, 6))
    sooner = make_meeting(shared_db, chair_member_id=chair.id, starts_at=local_time(2027, 4, 2))
    response = staff.post("/api/v1/monitoring/report/attach", json={"month": "2027-03"})
    assert response.status_code == 201, response.text
    found = response.json()
    assert found["meeting_id"] == sooner.id != later.id
    assert found["version"] == 1
    item = shared_db.read_sync(lambda s: s.get(AgendaItem, found["agenda_item_id"]))
    assert item is not None and item.meeting_id == sooner.id
    assert item.title == "Báo cáo tình hình thực hiện nhiệm vụ và chương trình công tác tháng 03/2027"
    paper = staff.get(f"/api/v1/programme-items/{found['programme_item_id']}/documents")
    assert paper.status_code == 200
    assert [d["kind"] for d in paper.json()["items"]] == ["submission"]
    again = staff.post("/api/v1/monitoring/report/attach", json={"month": "2027-03"}).json()
    assert again["agenda_item_id"] == found["agenda_item_id"]
    assert again["programme_item_id"] == found["programme_item_id"]


def test_the_board_page_links_every_number_to_its_list(
    shared_client: TestClient, shared_db: Database, world: dict[str, int], today: None
) -> None:
    staff = secretariat(shared_client, shared_db)
    response = staff.get("/monitoring?from=2027-03&to=2027-03")
    assert response.status_code == 200, response.text
    html = response.text
    assert 'role="img"' in html and '<title id="chart-task-states-title">' in html
    assert 'href="/monitoring/tasks?from=2027-03&amp;to=2027-03&amp;state=overdue"' in html
    a = agency_id(shared_db, A)
    assert f'href="/monitoring/tasks?from=2027-03&amp;to=2027-03&amp;agency={a}&amp;state=in_time"' in html
    assert 'action="/monitoring/report/attach"' in html  # the secretariat's button
    assert f'href="/tasks/{world["A3"]}"' in html  # at risk, linked to the task page
    assert SECRET_TITLE in html  # the secretariat sees every task
    drill = staff.get(f"/monitoring/tasks?from=2027-03&to=2027-03&agency={a}&state=in_time")
    assert drill.status_code == 200
    assert f'href="/tasks/{world["A6"]}"' in drill.text


def test_a_member_sees_restricted_tasks_as_a_count_on_the_pages(
    shared_client: TestClient, shared_db: Database, world: dict[str, int], today: None
) -> None:
    member = actor(shared_client, shared_db, "thanhvien", ["member"])
    board = member.get("/monitoring?from=2027-03&to=2027-03")
    assert board.status_code == 200
    assert SECRET_TITLE not in board.text
    assert "1 nhiệm vụ mật" in board.text  # A6, at risk
    assert 'action="/monitoring/report/attach"' not in board.text
    assert "/api/v1/monitoring/report.pdf" not in board.text
    drill = member.get("/monitoring/tasks?from=2027-03&to=2027-03&state=due")
    assert drill.status_code == 200
    assert SECRET_TITLE not in drill.text and "2 nhiệm vụ mật" in drill.text
    english = member.get("/monitoring?from=2027-03&to=2027-03", headers={"Accept-Language": "en"})
    assert english.status_code == 200
    agency = actor(shared_client, shared_db, "canbo", ["agency"], agency_id=agency_id(shared_db, A))
    assert agency.get("/monitoring").status_code == 403
    assert agency.get("/monitoring/tasks").status_code == 403


def test_a_bad_period_on_the_page_shows_this_year_with_the_message(
    shared_client: TestClient, shared_db: Database, world: dict[str, int], today: None
) -> None:
    response = secretariat(shared_client, shared_db).get("/monitoring?from=2027-09&to=2027-01")
    assert response.status_code == 200
    assert "Tháng kết thúc phải sau tháng bắt đầu." in response.text
    assert 'value="2027-01"' in response.text


def test_the_cached_figures_follow_every_change(client: TestClient, db: Database) -> None:
    """The board's figures are kept under the newest event's id (agenda/monitoring/board_cache.py):
    a report that closes a task is an event, so the next read counts it."""
    at(date(2027, 3, 1))
    task_id = task(db, "X1", A, date(2027, 3, 10))
    make_user(db, "vpcp", ["secretariat"])
    staff = login_as(client, "vpcp")
    url = "/api/v1/monitoring?from=2027-03&to=2027-03"
    assert tasks_of(staff.get(url).json()["totals"]) == (1, 0, 0, 1, 0)
    assert tasks_of(staff.get(url).json()["totals"]) == (1, 0, 0, 1, 0)  # from the cache
    report(db, task_id, done=True)
    assert tasks_of(staff.get(url).json()["totals"]) == (1, 1, 0, 0, 0)
