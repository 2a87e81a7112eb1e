"""The monitoring board in a real browser (docs/monitoring.md "The page").

A real server over a temp DATA_DIR seeded with three agencies, tasks in the four states around
today (a restricted one among them), programme items and a regular session ahead. The
secretariat opens the board at tablet width (768x1024) and at desktop width (1366x900): the
numbers match the data set, nothing scrolls sideways, every control is a 44px target, axe finds
no serious violation; screenshots go to test-output/board-*.png. They follow a drill-down from
the chart's table to its list, and the task links to its page. Then, with the board open on the
secretariat's screen, the Ministry of Justice's liaison officer, on a tablet (768x1024, touch) in
another browser context, opens the task and reports it done through its page: the server's
`task` frame on the secretariat's /ws/me makes board.js read the figures again, they change in
place and the live region says so, with no reload; a reload shows the same. The report PDF opens,
and "attach to the next session" asks once and lands on the session.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser_server import BrowserScreen, Served, check_layout, seeded_server
from tests.support.page_checks import axe_violations, raw_codes, sideways, zoomed_text

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent.parent
OUTPUT = ROOT / "test-output"
PASSWORD = "board-browser-pass-1"
SECRET_TITLE = "Nhiệm vụ mật về an ninh"
AGENCIES = ("Bộ Tài chính", "Bộ Tư pháp", "Bộ Kế hoạch và Đầu tư")


@dataclass(frozen=True)
class Seeded:
    data_dir: Path
    first: str  # the period shown: YYYY-MM
    last: str
    in_time_task: int
    overdue_task: int
    meeting_id: int


def month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def seed(data_dir: Path) -> Seeded:
    from agenda import clock
    from agenda.agencies.registry import ensure_agency
    from agenda.db import Database, make_engine, sqlite_url
    from agenda.meetings import meetings
    from agenda.meetings.meetings import MeetingCreate
    from agenda.migrate import upgrade
    from agenda.people import members
    from agenda.people.accounts import UserCreate, create_user
    from agenda.people.members import MemberCreate
    from agenda.programme import programme
    from agenda.programme.programme import ProgrammeItemCreate
    from agenda.tasks import lifecycle
    from agenda.tasks.lifecycle import ReportCreate, TaskCreate

    engine = make_engine(sqlite_url(data_dir), pool_size=0)
    upgrade(engine)
    db = Database(engine)
    today = clock.local_today()
    ids: dict[str, int] = {}

    def at(day: date) -> None:
        clock.freeze(datetime(day.year, day.month, day.day, 10, 0))

    def people(s: Any) -> None:
        chair = members.create_member(
            session=s,
            data=MemberCreate(full_name="Thủ tướng", title="Thủ tướng", precedence=0),
            actor_id=None,
        )
        ids["chair"] = chair.id or 0
        for username, roles in (("board-vpcp", ["secretariat"]), ("board-chair", ["chair"])):
            create_user(
                session=s,
                data=UserCreate(
                    username=username,
                    full_name="Văn phòng Chính phủ" if username == "board-vpcp" else "Thủ tướng",
                    password=PASSWORD,
                    roles=roles,
                ),
                actor_id=None,
            )
        justice = ensure_agency(s, AGENCIES[1], actor_id=None)
        create_user(
            session=s,
            data=UserCreate(
                username="board-btp",
                full_name="Cán bộ đầu mối Bộ Tư pháp",
                password=PASSWORD,
                roles=["agency"],
                agency_id=justice.id,
            ),
            actor_id=None,
        )
        meeting = meetings.create_meeting(
            session=s,
            data=MeetingCreate(
                title="Phiên họp Chính phủ thường kỳ",
                kind="regular",
                starts_at=clock.utcnow() + timedelta(days=12),
                duration_minutes=240,
                chair_member_id=chair.id or 0,
            ),
            actor_id=None,
        )
        ids["meeting"] = meeting.id or 0
        for n, agency in enumerate(AGENCIES):
            for k, status in enumerate(("planned", "planned", "withdrawn")):
                item = programme.create_item(
                    session=s,
                    data=ProgrammeItemCreate(
                        code=f"DA-{n}-{k}",
                        title=f"Đề án số {k + 1} của {agency}",
                        kind="report",
                        lead_agency=agency,
                        planned_month=month(today),
                    ),
                    actor_id=None,
                )
                if status == "withdrawn":
                    programme.change_status(
                        session=s,
                        item=item,
                        new="withdrawn",
                        actor_id=None,
                        policy=_policy(),
                        reason="Không cần",
                    )

    def task(title: str, agency: str, due: date, **fields: Any) -> int:
        data = TaskCreate.model_validate({"title": title, "lead_agency": agency, "due_on": due, **fields})
        made = db.write_sync(lambda s: lifecycle.create_task(session=s, data=data, actor_id=None))
        return made.id or 0

    def report(task_id: int) -> None:
        db.write_sync(
            lambda s: lifecycle.add_report(
                session=s,
                task=lifecycle.get_task(session=s, task_id=task_id),
                data=ReportCreate(text="Đã hoàn thành", done=True),
                actor_id=None,
            )
        )

    try:
        db.write_sync(people)
        # Made 40 days ago, due from 20 days ago to 20 days ahead.
        at(today - timedelta(days=40))
        done_early = task("Rà soát thủ tục hành chính về đầu tư", AGENCIES[0], today - timedelta(days=20))
        done_late = task(
            "Sửa đổi Nghị định về thuế giá trị gia tăng", AGENCIES[0], today - timedelta(days=15)
        )
        overdue = task("Báo cáo tình hình giải ngân vốn đầu tư công", AGENCIES[1], today - timedelta(days=5))
        in_time = task("Xây dựng Đề án chuyển đổi số quốc gia", AGENCIES[1], today + timedelta(days=3))
        task("Hoàn thiện dự thảo Luật Đất đai (sửa đổi)", AGENCIES[2], today + timedelta(days=20))
        task(SECRET_TITLE, AGENCIES[2], today + timedelta(days=2), restricted_user_ids=[])
        at(today - timedelta(days=25))
        report(done_early)
        at(today - timedelta(days=10))
        report(done_late)
    finally:
        clock.freeze(None)
        engine.dispose()
    return Seeded(
        data_dir=data_dir,
        first=month(today - timedelta(days=40)),
        last=month(today + timedelta(days=40)),
        in_time_task=in_time,
        overdue_task=overdue,
        meeting_id=ids["meeting"],
    )


def _policy() -> Any:
    from agenda.policy import Policy

    return Policy()


Server = Served[Seeded]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with seeded_server(tmp_path_factory, "board-data", seed) as served:
        yield served


@pytest.fixture
def screen(browser: Any, server: Server) -> Iterator[BrowserScreen]:
    found = BrowserScreen(
        browser, server.url, {"width": 768, "height": 1024}, password=PASSWORD, timeout_ms=20_000
    )
    yield found
    assert found.errors == [], found.errors
    found.context.close()


def shot(page: Any, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"board-{name}.png"), full_page=True)


def test_the_secretariat_reads_the_board_and_it_follows_a_change(
    browser: Any, screen: BrowserScreen, server: Server
) -> None:
    from playwright.sync_api import expect

    seeded = server.seeded
    page = screen.page
    screen.login("board-vpcp")
    board = f"/monitoring?from={seeded.first}&to={seeded.last}"
    screen.go(board)
    # 6 tasks due (none cancelled): 1 on time, 1 late, 3 in time (1 restricted), 1 overdue.
    expect(page.locator("#fact-due")).to_have_text("6")
    expect(page.locator("#fact-overdue")).to_have_text("1")
    expect(page.locator("[data-figure='tasks-in_time']")).to_have_text("3")
    expect(page.locator("[data-figure='programme-withdrawn']")).to_have_text("3")
    expect(page.locator("#chart-agencies")).to_have_attribute("role", "img")
    # Per month too: the months' due tasks add up to the period's.
    due_by_month = page.locator("#months-figures tbody tr td:nth-of-type(1)").all_inner_texts()
    assert sum(int(n) for n in due_by_month) == 6 and len(due_by_month) >= 3
    for width, height, name in ((768, 1024, "tablet"), (1366, 900, "desktop")):
        page.set_viewport_size({"width": width, "height": height})
        check_layout(page, f"board at {width}x{height}")
        assert axe_violations(page) == [], name
        shot(page, name)
    assert sideways(page) == []
    assert zoomed_text(page) == []
    assert raw_codes(page) == []

    # The period form: "Xem" shows the same period again.
    page.fill("#from", seeded.first)
    page.fill("#to", seeded.last)
    with page.expect_navigation():
        page.click("form.board-period button[type=submit]")
    expect(page.locator("#fact-due")).to_have_text("6")

    # A drill-down: the overdue figure of the chart's table, to its list, to the task.
    with page.expect_navigation():
        page.click("[data-figure='tasks-overdue']")
    assert "/monitoring/tasks?" in page.url and "state=overdue" in page.url
    expect(page.locator("#drill-list tbody tr")).to_have_count(1)
    link = page.locator(f"#drill-list a[href='/tasks/{seeded.overdue_task}']")
    expect(link).to_have_text("Báo cáo tình hình giải ngân vốn đầu tư công")
    page.set_viewport_size({"width": 768, "height": 1024})
    check_layout(page, "drill-down at 768x1024")
    assert axe_violations(page) == []
    assert zoomed_text(page) == [] and raw_codes(page) == []
    shot(page, "drill-tablet")
    screen.go(f"/monitoring/tasks?from={seeded.first}&to={seeded.last}&state=in_time")
    assert SECRET_TITLE in page.inner_text("main")  # the secretariat sees every task

    # A change: the in-time task is reported done by its agency on a tablet, while the board is open.
    page.set_viewport_size({"width": 1366, "height": 900})
    with page.expect_websocket(lambda ws: ws.url.endswith("/ws/me")) as opened_feed:
        screen.go(board)
    opened_feed.value.wait_for_event("framereceived")  # the feed is up: it sent the unread count
    expect(page.locator("[data-figure='tasks-on_time']")).to_have_text("1")
    tablet = BrowserScreen(browser, server.url, {"width": 768, "height": 1024}, password=PASSWORD, touch=True)
    try:
        tablet.login("board-btp")
        tablet.go(f"/tasks/{seeded.in_time_task}")
        tablet.page.click("#reports summary")
        tablet.page.fill("#report-text", "Đã trình Thủ tướng Chính phủ Đề án chuyển đổi số quốc gia.")
        tablet.page.check("#report-done")
        check_layout(tablet.page, "the agency's task page on a tablet")
        shot(tablet.page, "agency-report-tablet")
        with tablet.page.expect_navigation():
            tablet.page.click("#report-form button[type=submit]")
        expect(tablet.page.locator("main")).to_contain_text("Hoàn thành đúng hạn")
        assert tablet.errors == [], tablet.errors
    finally:
        tablet.context.close()
    # No reload: the server's frame on the secretariat's /ws/me moves the figures in place.
    expect(page.locator("[data-figure='tasks-on_time']")).to_have_text("2")
    expect(page.locator("[data-figure='tasks-in_time']")).to_have_text("2")
    expect(page.locator("#board-status")).to_have_text("Số liệu theo dõi đã được cập nhật.")
    page.reload()
    expect(page.locator("[data-figure='tasks-on_time']")).to_have_text("2")
    shot(page, "after-report")

    # The monthly report opens as a PDF.
    with page.expect_response(lambda r: "/api/v1/monitoring/report.pdf" in r.url) as opened:
        page.click("form.board-report button[type=submit] >> nth=0")
    assert opened.value.status == 200
    assert opened.value.headers["content-type"] == "application/pdf"
    screen.go(board)

    # Attach: asked once; "Hủy" keeps the page, "Đưa vào phiên họp" lands on the session.
    page.click("#attach")
    expect(page.locator("#attach-dialog")).to_be_visible()
    page.click("#attach-dialog button[value=cancel]")
    expect(page.locator("#attach-dialog")).to_be_hidden()
    page.click("#attach")
    with page.expect_navigation():
        page.click("#attach-yes")
    assert f"/meetings/{seeded.meeting_id}" in page.url
    expect(page.locator("main")).to_contain_text(
        "Báo cáo tình hình thực hiện nhiệm vụ và chương trình công tác"
    )
