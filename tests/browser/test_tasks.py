"""Tasks in a real browser (docs/task-screens.md): the secretariat gives tasks from a meeting's
conclusions and a directive; the Ministry of Finance's liaison officer, on a tablet in portrait
(768x1024, touch), opens the agency's home, submits a dossier, opens a task and reports it done
with a PDF, and asks to extend another; the secretariat sees the state change, decides the
extensions and cancels a task with the keyboard only. axe finds no serious or critical
violation; the tablet pages keep 44px targets and never scroll sideways. Screenshots at tablet
and desktop sizes go to test-output/.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser_server import BrowserScreen, Served, check_layout, seeded_server
from tests.support.page_checks import axe_violations

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent.parent
OUTPUT = ROOT / "test-output"
PASSWORD = "tasks-browser-pass-1"
DESKTOP = {"width": 1366, "height": 900}
TABLET = {"width": 768, "height": 1024}
CONCLUSION = "Giao Bộ Tài chính hoàn thiện dự thảo Nghị định, trình Chính phủ trong tháng."


@dataclass(frozen=True)
class Seeded:
    meeting: int
    item: int  # the agenda item with its conclusion
    finance: int
    leader: int
    dossier_home: int  # a complete item the agency submits from its home
    dossier_page: int  # a complete item the secretariat submits from its page
    waiting: int  # a task with a pending extension request


def seed(data_dir: Path) -> Seeded:
    from agenda.agencies.registry import ensure_agency
    from agenda.clock import local_today
    from agenda.db import Database, make_engine, sqlite_url
    from agenda.meetings import dossier
    from agenda.meetings.agenda_items import AgendaItem
    from agenda.migrate import upgrade
    from agenda.people import members
    from agenda.people.accounts import UserCreate, create_user
    from agenda.people.members import MemberCreate
    from agenda.policy import Policy
    from agenda.programme import programme
    from agenda.programme.programme import ProgrammeItemCreate
    from agenda.storage import store_original
    from agenda.tasks import lifecycle
    from agenda.tasks.lifecycle import ExtensionCreate, TaskCreate
    from tests.support.factories import add_agenda_item, local_time, make_meeting, make_pdf

    engine = make_engine(sqlite_url(data_dir), pool_size=0)
    upgrade(engine)
    db = Database(engine)
    paper = make_pdf(2, heading="Hồ sơ đề án")
    sha256 = store_original(data_dir, paper)
    policy = Policy()

    def people(s: Any) -> tuple[int, int]:
        finance = ensure_agency(s, "Bộ Tài chính", actor_id=None)
        ensure_agency(s, "Bộ Tư pháp", actor_id=None)
        leader = members.create_member(
            session=s,
            data=MemberCreate(full_name="Phạm Minh Chính", title="Thủ tướng Chính phủ", precedence=1),
            actor_id=None,
        )
        create_user(
            session=s,
            data=UserCreate(
                username="tb-thuky", full_name="Thư ký", password=PASSWORD, roles=["secretariat"]
            ),
            actor_id=None,
        )
        create_user(
            session=s,
            data=UserCreate(
                username="tb-btc",
                full_name="Cán bộ Bộ Tài chính",
                password=PASSWORD,
                roles=["agency"],
                agency_id=finance.id,
            ),
            actor_id=None,
        )
        assert finance.id is not None and leader.id is not None
        return finance.id, leader.id

    finance, leader = db.write_sync(people)
    meeting = make_meeting(db, chair_member_id=leader, starts_at=local_time(2026, 12, 3, 8, 30))
    assert meeting.id is not None
    agenda_item = add_agenda_item(db, meeting.id, title="Dự thảo Nghị định về thuế giá trị gia tăng")

    def rest(s: Any) -> Seeded:
        item = s.get(AgendaItem, agenda_item.id)
        item.outcome, item.conclusion, item.state = "adopted", CONCLUSION, "done"
        month = (local_today() + timedelta(days=40)).strftime("%Y-%m")
        complete: list[int] = []
        for code, title in (("ND-TB-1", "Nghị định về hóa đơn điện tử"), ("ND-TB-2", "Nghị định về phí")):
            found = programme.create_item(
                session=s,
                data=ProgrammeItemCreate(
                    code=code, title=title, kind="report", lead_agency="Bộ Tài chính", planned_month=month
                ),
                actor_id=None,
            )
            assert found.id is not None
            for kind in policy.required_documents("report"):
                dossier.add_document(
                    session=s,
                    programme_item_id=found.id,
                    kind=kind,
                    title=f"Tài liệu {kind}",
                    sha256=sha256,
                    pages=2,
                    size=len(paper),
                    note="",
                    actor_id=None,
                )
            complete.append(found.id)
        waiting = lifecycle.create_task(
            session=s,
            data=TaskCreate(
                title="Báo cáo tình hình giải ngân vốn đầu tư công",
                lead_agency_id=finance,
                due_on=local_today() + timedelta(days=10),
            ),
            actor_id=None,
        )
        lifecycle.request_extension(
            session=s,
            task=waiting,
            data=ExtensionCreate(reason="Chờ số liệu quý", due_on=local_today() + timedelta(days=40)),
            actor_id=None,
        )
        assert meeting.id is not None and agenda_item.id is not None and waiting.id is not None
        return Seeded(
            meeting=meeting.id,
            item=agenda_item.id,
            finance=finance,
            leader=leader,
            dossier_home=complete[0],
            dossier_page=complete[1],
            waiting=waiting.id,
        )

    try:
        return db.write_sync(rest)
    finally:
        engine.dispose()


Server = Served[Seeded]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with seeded_server(tmp_path_factory, "tasks-data", seed) as served:
        yield served


class Screen(BrowserScreen):
    def __init__(
        self, browser: Any, server: Server, viewport: dict[str, int], *, touch: bool = False
    ) -> None:
        super().__init__(browser, server.url, viewport, password=PASSWORD, touch=touch, timeout_ms=15_000)

    def shot(self, name: str) -> None:
        OUTPUT.mkdir(exist_ok=True)
        self.page.screenshot(path=str(OUTPUT / f"tasks-{name}.png"), full_page=True)

    def submit(self, selector: str) -> None:
        with self.page.expect_navigation():
            self.page.click(selector)

    def flash(self) -> str:
        return str(self.page.inner_text(".notice-ok"))

    def accessible(self) -> None:
        assert axe_violations(self.page) == [], self.page.url


@pytest.fixture
def screens(browser: Any, server: Server) -> Iterator[Any]:
    opened: list[Screen] = []

    def open_screen(viewport: dict[str, int], *, touch: bool = False) -> Screen:
        found = Screen(browser, server, viewport, touch=touch)
        opened.append(found)
        return found

    yield open_screen
    for found in opened:
        assert found.errors == [], found.errors
        found.context.close()


def test_from_conclusions_to_a_report_on_a_tablet(screens: Any, server: Server) -> None:
    from playwright.sync_api import expect

    seeded = server.seeded
    sec = screens(DESKTOP)
    sec.login("tb-thuky")

    # The secretariat gives two tasks from the conclusion, in one submit.
    sec.go(f"/meetings/{seeded.meeting}/tasks/new")
    expect(sec.page.locator("main")).to_contain_text(CONCLUSION)
    sec.accessible()
    row = f"#row-{seeded.item}-"
    sec.page.fill(f"{row}0-title", "Hoàn thiện dự thảo Nghị định về thuế giá trị gia tăng")
    sec.page.select_option(f"{row}0-lead", str(seeded.finance))
    sec.page.fill(f"{row}0-due", "2099-06-30")
    sec.page.select_option(f"{row}0-leader", str(seeded.leader))
    sec.page.fill(f"{row}1-title", "Tổng hợp ý kiến thành viên Chính phủ")
    sec.page.select_option(f"{row}1-lead", str(seeded.finance))
    sec.page.fill(f"{row}1-due", "2099-07-31")
    sec.shot("bulk-desktop")
    sec.submit("#bulk-form button[type=submit]")
    assert "Đã giao 2 nhiệm vụ." in sec.flash()
    expect(sec.page.locator("main")).to_contain_text("Tổng hợp ý kiến thành viên Chính phủ")

    # A directive, then the list filtered by state.
    sec.go("/tasks/new")
    sec.page.fill("#task-title", "Rà soát thủ tục hành chính lĩnh vực thuế")
    sec.page.fill("#task-document", "45/TB-VPCP")
    sec.page.select_option("#task-lead", str(seeded.finance))
    sec.page.fill("#task-due", "2099-05-31")
    sec.accessible()
    sec.submit("form.form button[type=submit]")
    assert "Đã giao nhiệm vụ." in sec.flash()
    directive_url = sec.page.url.split("?")[0]
    sec.go("/tasks")
    sec.page.select_option("#filter-state", "in_time")
    sec.submit("form.task-filters button[type=submit]")
    expect(sec.page.locator("main")).to_contain_text("Rà soát thủ tục hành chính lĩnh vực thuế")
    sec.accessible()
    sec.shot("list-desktop")

    # The agency's liaison officer, on a tablet.
    tablet = screens(TABLET, touch=True)
    tablet.login("tb-btc")
    assert tablet.page.url.endswith("/agency")
    expect(tablet.page.locator("h1")).to_have_text("Bộ Tài chính")
    tablet.accessible()
    check_layout(tablet.page, "agency home")
    tablet.shot("agency-tablet")
    tablet.submit(f"form[action='/programme/{seeded.dossier_home}/submit'] button")
    assert "Đã nộp hồ sơ đề án." in tablet.flash()

    tablet.submit("a:has-text('Hoàn thiện dự thảo Nghị định về thuế giá trị gia tăng')")
    assert "/tasks/" in tablet.page.url
    task_url = tablet.page.url.split("?")[0]
    tablet.accessible()
    check_layout(tablet.page, "task page")
    tablet.page.click("#reports summary")
    tablet.page.fill("#report-text", "Đã trình Chính phủ dự thảo Nghị định đã hoàn thiện.")
    tablet.page.check("#report-done")
    from tests.support.factories import make_pdf

    tablet.page.set_input_files(
        "#report-file", files=[{"name": "bao-cao.pdf", "mimeType": "application/pdf", "buffer": make_pdf(2)}]
    )
    tablet.shot("report-tablet")
    tablet.submit("#report-form button[type=submit]")
    assert "Đã gửi báo cáo kết quả." in tablet.flash()
    expect(tablet.page.locator(".page-actions")).to_contain_text("Hoàn thành đúng hạn")
    expect(tablet.page.locator("#reports")).to_contain_text("Tệp báo cáo (PDF, 2 trang)")
    check_layout(tablet.page, "task page after the report")

    # ... and asks to extend the directive.
    tablet.go(directive_url.removeprefix(server.url))
    tablet.page.click("#extensions summary")
    tablet.page.fill("#extension-due", "2099-08-31")
    tablet.page.fill("#extension-reason", "Chờ ý kiến thẩm định của Bộ Tư pháp")
    tablet.submit("#extensions form button[type=submit]")
    assert "Đã gửi đề nghị gia hạn." in tablet.flash()

    # The secretariat sees the state change and decides the extensions.
    sec.go("/tasks")
    done_row = sec.page.locator("tr", has_text="Hoàn thiện dự thảo Nghị định về thuế giá trị gia tăng")
    expect(done_row).to_contain_text("Hoàn thành đúng hạn")
    sec.go(task_url.removeprefix(server.url))
    expect(sec.page.locator("#reports")).to_contain_text("Đã trình Chính phủ dự thảo Nghị định")
    sec.go(directive_url.removeprefix(server.url))
    sec.submit("button[name=decision][value=approve]")
    assert "Đã chấp thuận gia hạn." in sec.flash()
    expect(sec.page.locator(".facts")).to_contain_text("31/08/2099")
    sec.go(f"/tasks/{seeded.waiting}")
    sec.accessible()
    sec.shot("task-desktop")
    sec.submit("button[name=decision][value=refuse]")
    assert "Đã từ chối đề nghị gia hạn." in sec.flash()

    # Keyboard only: cancel a task with its reason.
    sec.go(f"/tasks/{seeded.waiting}")
    sec.page.focus("#cancel-reason")
    sec.page.keyboard.type("Đã có văn bản chỉ đạo thay thế")
    sec.page.keyboard.press("Tab")
    focused = sec.page.evaluate("() => document.activeElement.closest('form').getAttribute('action')")
    assert focused == f"/tasks/{seeded.waiting}/cancel"
    with sec.page.expect_navigation():
        sec.page.keyboard.press("Enter")
    assert "Đã hủy nhiệm vụ." in sec.flash()
    expect(sec.page.locator(".page-actions")).to_contain_text("Đã hủy")

    # The secretariat submits a dossier from the item's page.
    sec.go(f"/programme/{seeded.dossier_page}")
    sec.submit(f"form[action='/programme/{seeded.dossier_page}/submit'] button")
    assert "Đã nộp hồ sơ đề án." in sec.flash()

    tablet.go("/agency")
    done_group = tablet.page.locator("#h-group-on_time").locator("xpath=..")
    expect(done_group).to_contain_text("Hoàn thiện dự thảo Nghị định về thuế giá trị gia tăng")
    tablet.shot("agency-tablet-after")
