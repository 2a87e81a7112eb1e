"""An opinion ballot in a real browser: Chromium (Debian's package) driven by Playwright.

A real server (uvicorn in a subprocess, with /ws/me) runs over a temp DATA_DIR holding a ballot
sent to a Government of three (a decision needs 2 agree), with a real paper in its dossier. The
secretariat's board is open on a desktop page; a member, on a tablet in portrait (768x1024, touch),
finds the ballot under the bell and in the inbox, opens its paper in the reader, answers, then
revises; the board's rows and count move live, without a reload. The member's assistant sees the
ballot read-only. No CSP violations, no script errors, no sideways scrolling and 44px touch
targets on the tablet. Screenshots go to test-output/.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser_server import (
    BrowserScreen,
    Served,
    check_layout,
    migrated_database,
    seeded_server,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent.parent
OUTPUT = ROOT / "test-output"
PASSWORD = "polls-browser-pass-1"
DESKTOP = {"width": 1280, "height": 900}
PORTRAIT = {"width": 768, "height": 1024}
QUESTION = "Thành viên Chính phủ có đồng ý thông qua dự thảo Nghị định về bảo vệ dữ liệu cá nhân không?"
ME_LIVE = "() => document.documentElement.dataset.me === 'live'"


@dataclass(frozen=True)
class Seeded:
    poll_id: int
    document_id: int
    members: dict[str, int]  # username -> member id


def seed(data_dir: Path) -> Seeded:
    from agenda.clock import utcnow
    from agenda.meetings import dossier
    from agenda.people import members
    from agenda.people.accounts import UserCreate, create_user
    from agenda.people.members import MemberCreate
    from agenda.polls import poll_lifecycle
    from agenda.polls.opinion_polls import PollCreate
    from agenda.programme import programme
    from agenda.programme.programme import ProgrammeItemCreate
    from agenda.storage import store_original
    from tests.support.factories import make_pdf

    paper = make_pdf(3, heading="Dự thảo Nghị định về bảo vệ dữ liệu cá nhân")
    sha256 = store_original(data_dir, paper)

    def run(s: Any) -> Seeded:
        people = {
            "pb-m1": ("Bộ trưởng Một", "Bộ trưởng Bộ Công an", 1),
            "pb-m2": ("Bộ trưởng Hai", "Bộ trưởng Bộ Tư pháp", 2),
            "pb-m3": ("Bộ trưởng Ba", "Bộ trưởng Bộ Tài chính", 3),
        }
        ids: dict[str, int] = {}
        for username, (name, title, precedence) in people.items():
            member = members.create_member(
                session=s,
                data=MemberCreate(full_name=name, title=title, precedence=precedence),
                actor_id=None,
            )
            assert member.id is not None
            ids[username] = member.id
            create_user(
                session=s,
                data=UserCreate(
                    username=username,
                    full_name=name,
                    password=PASSWORD,
                    roles=["member"],
                    member_id=member.id,
                ),
                actor_id=None,
            )
        create_user(
            session=s,
            data=UserCreate(
                username="pb-troly",
                full_name="Trợ lý Bộ trưởng Một",
                password=PASSWORD,
                roles=["assistant"],
                member_id=ids["pb-m1"],
            ),
            actor_id=None,
        )
        staff = create_user(
            session=s,
            data=UserCreate(
                username="pb-thuky", full_name="Thư ký", password=PASSWORD, roles=["secretariat"]
            ),
            actor_id=None,
        )
        item = programme.create_item(
            session=s,
            data=ProgrammeItemCreate(
                code="ND-PB-1",
                title="Nghị định về bảo vệ dữ liệu cá nhân",
                kind="decree",
                lead_agency="Bộ Công an",
                planned_month=utcnow().strftime("%Y-%m"),
            ),
            actor_id=None,
        )
        assert item.id is not None
        document, _version = dossier.add_document(
            session=s,
            programme_item_id=item.id,
            kind="draft",
            title="Dự thảo Nghị định",
            sha256=sha256,
            pages=3,
            size=len(paper),
            note="",
            actor_id=None,
        )
        poll = poll_lifecycle.create(
            session=s,
            data=PollCreate(
                programme_item_id=item.id, question=QUESTION, deadline=utcnow() + timedelta(days=2)
            ),
            actor_id=staff.id,
        )
        assert poll.id is not None and document.id is not None
        poll_lifecycle.send(session=s, poll_id=poll.id, actor_id=staff.id)
        return Seeded(poll_id=poll.id, document_id=document.id, members=ids)

    with migrated_database(data_dir) as db:
        return db.write_sync(run)


Server = Served[Seeded]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with seeded_server(tmp_path_factory, "polls-data", seed) as served:
        yield served


class Screen(BrowserScreen):
    """A member's tablet or the secretariat's screen."""

    def __init__(
        self, browser: Any, server: Server, viewport: dict[str, int], *, touch: bool = False
    ) -> None:
        super().__init__(browser, server.url, viewport, password=PASSWORD, touch=touch, timeout_ms=15_000)
        self.server = server

    def go(self, path: str) -> None:
        response = self.page.goto(self.server.url + path)
        assert response is not None and response.status == 200, path

    def shot(self, name: str) -> None:
        OUTPUT.mkdir(exist_ok=True)
        self.page.screenshot(path=str(OUTPUT / f"polls-{name}.png"), full_page=True)


@pytest.fixture
def screens(browser: Any, server: Server) -> Iterator[Any]:
    opened: list[Screen] = []

    def open_screen(viewport: dict[str, int], *, touch: bool = False) -> Screen:
        found = Screen(browser, server, viewport, touch=touch)
        opened.append(found)
        return found

    yield open_screen
    for found in opened:
        assert not [e for e in found.errors if "Content Security Policy" in e], found.errors
        assert found.errors == [], found.errors
        found.context.close()


def test_a_member_answers_on_a_tablet_and_the_board_moves_live(screens: Any, server: Server) -> None:
    from playwright.sync_api import expect

    seeded = server.seeded
    poll_url = f"/opinion-polls/{seeded.poll_id}"
    one = seeded.members["pb-m1"]

    staff = screens(DESKTOP)
    staff.login("pb-thuky")
    staff.go(poll_url)
    board = staff.page
    board.wait_for_function(ME_LIVE)
    board.evaluate("() => { window.__sameDocument = true; }")  # gone if the page reloads
    expect(board.locator("#board-count")).to_have_text("Đã trả lời 0 / 3")
    expect(board.locator(f"#board-{one}")).to_have_attribute("data-status", "pending")

    tablet = screens(PORTRAIT, touch=True)
    tablet.login("pb-m1")
    page = tablet.page
    page.wait_for_function(ME_LIVE)
    expect(page.locator("#bell-count")).to_have_text("1")  # the ballot's announcement
    check_layout(page, "member home with the bell, portrait")
    page.tap("#bell")
    expect(page.locator(".notification.is-unread")).to_have_count(1)
    check_layout(page, "notifications, portrait")
    with page.expect_navigation():
        page.tap(".notification.is-unread button")
    assert page.url.endswith(poll_url), page.url
    page.wait_for_function(ME_LIVE)
    expect(page.locator("#bell-count")).to_be_hidden()  # opened: read
    page.tap("a[href='/opinion-polls']")
    expect(page.locator(f"#poll-{seeded.poll_id}")).to_contain_text("Chưa trả lời")
    check_layout(page, "member inbox, portrait")
    tablet.shot("member-inbox")
    with page.expect_navigation():
        page.tap(f"#poll-{seeded.poll_id} a")
    expect(page.locator("#poll-question")).to_have_text(QUESTION)
    paper = page.locator(f"a.doc-read[href='/documents/{seeded.document_id}/read']")
    expect(paper).to_be_visible()
    check_layout(page, "ballot answer form, portrait")
    tablet.shot("member-ballot")

    # The paper opens in the reader (its PDF is the member's watermarked copy).
    with page.expect_navigation():
        paper.tap()
    expect(page.locator("body")).to_contain_text("Dự thảo Nghị định")
    page.go_back()
    expect(page.locator("#answer-form")).to_be_visible()

    # The member answers; the board moves without a reload.
    page.tap("label[for='position-agree']")
    page.fill("#f-comment", "Đồng ý; đề nghị quy định rõ lộ trình áp dụng.")
    with page.expect_navigation():
        page.tap("#answer-submit")
    expect(page.locator(".notice-ok")).to_have_text("Đã ghi nhận ý kiến của bạn.")
    expect(page.locator("#my-answer")).to_contain_text("Đồng ý")
    expect(page.locator("#answer-submit")).to_have_text("Cập nhật ý kiến")
    check_layout(page, "ballot answered, portrait")
    tablet.shot("member-answered")

    expect(board.locator("#board-count")).to_have_text("Đã trả lời 1 / 3")
    expect(board.locator("#poll-count")).to_have_text("1 / 3")
    row = board.locator(f"#board-{one}")
    expect(row).to_have_attribute("data-status", "answered")
    expect(row.locator(".board-position")).to_contain_text("Đồng ý")
    expect(row.locator(".board-position")).to_contain_text("lộ trình áp dụng")
    expect(row.locator(".board-status")).to_have_text("Đã trả lời")

    # A revision before the deadline: the board shows the new position, still 1 of 3.
    page.tap("label[for='position-disagree']")
    page.fill("#f-comment", "Không đồng ý: cần đánh giá tác động thêm.")
    with page.expect_navigation():
        page.tap("#answer-submit")
    expect(page.locator("#my-answer")).to_contain_text("Không đồng ý")
    expect(row.locator(".board-position")).to_contain_text("Không đồng ý")
    expect(row.locator(".board-position")).to_contain_text("đánh giá tác động")
    expect(board.locator("#board-count")).to_have_text("Đã trả lời 1 / 3")
    assert board.evaluate("() => window.__sameDocument === true"), "the board reloaded"
    staff.shot("board-live")

    # The member's assistant sees the ballot and the answer, read-only.
    assistant = screens(PORTRAIT, touch=True)
    assistant.login("pb-troly")
    assistant.go(poll_url)
    expect(assistant.page.locator("#assistant-note")).to_be_visible()
    expect(assistant.page.locator("#my-answer")).to_contain_text("Không đồng ý")
    expect(assistant.page.locator("#answer-form")).to_have_count(0)
    check_layout(assistant.page, "assistant's ballot, portrait")
    assistant.shot("assistant-ballot")


def local_input(delta: timedelta) -> str:
    """A datetime-local value in Vietnam time, `delta` from now."""
    from agenda.clock import to_local, utcnow

    return to_local(utcnow() + delta).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("viewport", [{"width": 1024, "height": 768}, {"width": 1366, "height": 768}])
def test_the_secretariat_clicks_every_ballot_button(
    screens: Any, server: Server, viewport: dict[str, int]
) -> None:
    """Issue 14, defects 1 and 10: create (the 5-minute rule said on the form), send, the report,
    remind, close; each by a click, each seen on screen."""
    from playwright.sync_api import expect

    from meeting_app.pages.poll_actions import ACTIONS

    size = f"{viewport['width']}x{viewport['height']}"
    staff = screens(viewport)
    staff.login("pb-thuky")
    page = staff.page
    page.click("a[href='/opinion-polls']")
    question = f"Đồng ý ban hành Nghị định ({size})?"
    page.select_option("#f-programme_item_id", label="ND-PB-1 – Nghị định về bảo vệ dữ liệu cá nhân")
    page.fill("#f-question", question)
    page.fill("#f-deadline", local_input(timedelta(minutes=1)))
    expect(page.locator("#f-deadline-hint")).to_contain_text("ít nhất 5 phút")
    with page.expect_navigation():
        page.click("#new-poll button[type=submit]")
    expect(page.locator(".notice-error")).to_contain_text(
        "Hạn trả lời phải sau thời điểm hiện tại ít nhất 5 phút"
    )
    refused = "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    assert staff.errors == [refused], staff.errors  # the form's own answer, expected
    staff.errors.clear()
    page.fill("#f-deadline", local_input(timedelta(days=3)))
    with page.expect_navigation():
        page.click("#new-poll button[type=submit]")
    expect(page.locator("#poll-question")).to_have_text(question)
    expect(page.locator("#poll-state")).to_have_text("Chưa gửi")
    expect(page.locator("#poll-report")).to_have_count(0)  # a draft has no report
    check_layout(page, f"draft ballot, {size}")
    staff.shot(f"secretariat-draft-{size}")

    clicked: set[str] = set()
    with page.expect_navigation():
        page.click("#send-poll")
    clicked.add("send")
    expect(page.locator(".notice-ok")).to_have_text("Đã gửi phiếu lấy ý kiến đến các thành viên Chính phủ.")
    expect(page.locator("#poll-state")).to_have_text("Đang lấy ý kiến")
    expect(page.locator("#board-count")).to_have_text("Đã trả lời 0 / 3")
    expect(page.locator("#send-poll")).to_have_count(0)
    check_layout(page, f"sent ballot, {size}")
    staff.shot(f"secretariat-sent-{size}")

    report = page.locator("#poll-report")
    expect(report).to_be_visible()
    fetched = page.request.get(server.url + str(report.get_attribute("href")))
    assert fetched.status == 200 and fetched.headers["content-type"] == "application/pdf"

    poll_path = page.url.split("?")[0].removeprefix(server.url)
    with page.expect_navigation():
        page.click("#remind-poll")
    clicked.add("remind")
    expect(page.locator(".notice-ok")).to_have_text("Đã nhắc 3 thành viên chưa trả lời.")
    expect(page.locator("#poll-state")).to_have_text("Đang lấy ý kiến")
    with page.expect_navigation():
        page.click("#remind-poll")  # again within the hour: refused, said on screen
    expect(page.locator(".notice-error")).to_contain_text("đã được nhắc trong giờ này")
    refused_409 = "Failed to load resource: the server responded with a status of 409 (Conflict)"
    assert staff.errors == [refused_409], staff.errors
    staff.errors.clear()
    staff.go(poll_path)

    page.click("#close-confirm summary")
    expect(page.locator("#close-confirm .hint")).to_be_visible()
    with page.expect_navigation():
        page.click("#close-poll")
    clicked.add("close")
    expect(page.locator(".notice-ok")).to_have_text("Đã kết thúc phiếu lấy ý kiến và tổng hợp kết quả.")
    expect(page.locator("#poll-state")).to_have_text("Đã kết thúc")
    expect(page.locator("#poll-result .poll-verdict")).to_have_text("Không được thông qua")
    expect(page.locator(".board-actions form")).to_have_count(0)
    check_layout(page, f"closed ballot, {size}")
    staff.shot(f"secretariat-closed-{size}")
    assert clicked == {a.name for a in ACTIONS}, "a ballot action has no click in this test"


def test_a_member_marks_every_notice_read(screens: Any, server: Server) -> None:
    """Issue 14: "mark all read" on the bell's list. A member with unread notices (the ballot's
    announcement, and the sends and reminders of the tests above) clicks it: the list shows none
    unread, the bell goes to zero on this page and, live, on the member's other open tab."""
    from playwright.sync_api import expect

    tablet = screens(PORTRAIT, touch=True)
    tablet.login("pb-m2")
    page = tablet.page
    other = tablet.context.new_page()  # the member's home, left open in another tab
    other.goto(server.url + "/")
    other.wait_for_function(ME_LIVE)
    page.wait_for_function(ME_LIVE)
    bell = page.locator("#bell-count")
    expect(bell).to_be_visible()
    unread = int(bell.inner_text())
    assert unread >= 1
    expect(other.locator("#bell-count")).to_have_text(str(unread))

    page.tap("#bell")
    notices = page.locator(".notification")
    expect(page.locator(".notification.is-unread")).to_have_count(unread)
    listed = notices.count()
    with page.expect_navigation():
        page.tap("#read-all")
    expect(page.locator(".notice-ok")).to_have_text("Đã đánh dấu tất cả thông báo là đã đọc.")
    expect(page.locator(".notification.is-unread")).to_have_count(0)
    expect(notices).to_have_count(listed)  # read, not gone
    expect(page.locator("#read-all")).to_have_count(0)  # nothing left to mark
    expect(page.locator("#bell")).to_have_attribute("data-unread", "0")  # the socket's count
    expect(bell).to_be_hidden()
    expect(other.locator("#bell-count")).to_be_hidden()  # the other tab, without a reload
    check_layout(page, "notifications all read, portrait")
    tablet.shot("member-all-read")
    other.close()
