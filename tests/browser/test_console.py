"""The presiding officer's console in Chromium, clicked and typed through as the chair would
(issue 14: defects 2, 3, 8 and two of 10; build 11, the console on one screen).

A real server runs over a DATA_DIR holding a Government of 27 members (quorum 18), two guests who
may stand in, and a published meeting scheduled two days ago (so its start is far off schedule
and its projected end days late). Four members asked beforehand to speak on item 2. The tests run
in order on that one meeting: the refused start and the roll call, the start after the warning,
the one-screen layout at each size, every dialog and shortcut, the adjournment, and the minutes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser_server import BrowserScreen, Served, check_layout, migrated_database, seeded_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent.parent
OUTPUT = ROOT / "test-output"
PASSWORD = "console-browser-pass-1"
DESKTOP = {"width": 1366, "height": 768}
LANDSCAPE = {"width": 1024, "height": 768}
PORTRAIT = {"width": 768, "height": 1024}
WIDE = {"width": 1920, "height": 1080}
LIVE = "() => document.documentElement.dataset.live === 'live'"
TITLES = [
    "Khai mạc phiên họp và thông qua chương trình",
    "Dự thảo Nghị định quy định chi tiết Luật Đất đai về bồi thường, hỗ trợ, tái định cư",
    "Báo cáo tình hình kinh tế - xã hội tháng 11 và 11 tháng năm 2026",
    "Dự án Luật sửa đổi, bổ sung một số điều của Luật Thuế giá trị gia tăng",
    "Nghị quyết về phí sử dụng đường bộ (thông qua chung)",
    "Bế mạc phiên họp",
]
MEMBER_NAMES = [
    "Phạm Minh Chính",
    "Trần Hồng Hà",
    "Lê Thành Long",
    "Hồ Đức Phớc",
    "Bùi Thanh Sơn",
    "Nguyễn Hòa Bình",
    "Phan Văn Giang",
    "Lương Tam Quang",
    "Nguyễn Văn Thắng",
    "Nguyễn Hồng Diên",
    "Đỗ Đức Duy",
    "Trần Đức Thắng",
    "Nguyễn Kim Sơn",
    "Đào Ngọc Dung",
    "Nguyễn Thanh Nghị",
    "Nguyễn Văn Hùng",
    "Nguyễn Mạnh Hùng",
    "Lê Minh Hưng",
    "Nguyễn Thị Hồng",
    "Đào Hồng Lan",
    "Huỳnh Thành Đạt",
    "Trần Văn Sơn",
    "Nguyễn Chí Dũng",
    "Đoàn Hồng Phong",
    "Hầu A Lềnh",
    "Nguyễn Văn Thể",
    "Lê Khánh Hải",
]
SUBSTITUTE = "Thứ trưởng Nguyễn Sinh Nhật Tân"


@dataclass(frozen=True)
class Seeded:
    meeting_id: int
    items: list[int]
    members: list[int]  # members[0] chairs


def seed(data_dir: Path) -> Seeded:
    from agenda.clock import utcnow
    from agenda.meetings import agenda_edits, meetings, positions, publishing
    from agenda.meetings.agenda_items import AgendaItemCreate
    from agenda.meetings.meetings import MeetingCreate
    from agenda.meetings.positions import PositionSet
    from agenda.people import members
    from agenda.people.accounts import UserCreate, create_user
    from agenda.people.members import MemberCreate
    from agenda.policy import Policy
    from agenda.viewer import Viewer

    policy = Policy()

    def run(s: Any) -> Seeded:
        ids: list[int] = []
        viewers: list[Viewer] = []
        for n, name in enumerate(MEMBER_NAMES):
            member = members.create_member(
                session=s,
                data=MemberCreate(full_name=name, title="Thủ tướng" if n == 0 else "Bộ trưởng", precedence=n),
                actor_id=None,
            )
            assert member.id is not None
            ids.append(member.id)
            roles = ["chair", "member"] if n == 0 else ["member"]
            user = create_user(
                session=s,
                data=UserCreate(
                    username=f"cs-m{n}", full_name=name, password=PASSWORD, roles=roles, member_id=member.id
                ),
                actor_id=None,
            )
            assert user.id is not None
            viewers.append(Viewer(user.id, frozenset(roles), member.id))
        for username, name, roles in (
            ("cs-sec", "Chuyên viên Văn phòng Chính phủ", ["secretariat"]),
            ("cs-sub", SUBSTITUTE, ["guest"]),
            ("cs-sub2", "Thứ trưởng Lê Văn Thanh", ["guest"]),
        ):
            create_user(
                session=s,
                data=UserCreate(username=username, full_name=name, password=PASSWORD, roles=roles),
                actor_id=None,
            )
        meeting = meetings.create_meeting(
            session=s,
            data=MeetingCreate(
                title="Phiên họp Chính phủ thường kỳ tháng 11 năm 2026",
                kind="regular",
                starts_at=utcnow() - timedelta(days=2, hours=3),
                duration_minutes=240,
                place="Phòng họp Chính phủ",
                chair_member_id=ids[0],
                invitee_member_ids=ids,
            ),
            actor_id=None,
        )
        assert meeting.id is not None
        items = []
        for n, title in enumerate(TITLES):
            item = agenda_edits.add_item(
                session=s,
                meeting_id=meeting.id,
                data=AgendaItemCreate(
                    title=title,
                    minutes=(10, 60, 45, 60, 5, 10)[n],
                    presenter="Bộ trưởng Bộ Tài nguyên và Môi trường" if n == 1 else None,
                    consent=n == 4,
                ),
                actor_id=None,
                policy=policy,
            )
            assert item.id is not None
            items.append(item.id)
        publishing.publish(session=s, meeting_id=meeting.id, actor_id=None)
        for viewer in viewers[3:7]:  # four wishes to speak on item 2: the queue at the start
            positions.set_position(
                session=s,
                meeting_id=meeting.id,
                agenda_item_id=items[1],
                viewer=viewer,
                data=PositionSet(position="wish_to_speak"),
            )
        return Seeded(meeting_id=meeting.id, items=items, members=ids)

    with migrated_database(data_dir) as db:
        return db.write_sync(run)


Server = Served[Seeded]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with seeded_server(tmp_path_factory, "console-data", seed) as served:
        yield served


class Screen(BrowserScreen):
    def __init__(self, browser: Any, server: Server, viewport: dict[str, int]) -> None:
        super().__init__(browser, server.url, viewport, password=PASSWORD, timeout_ms=15_000)
        self.server = server

    def console(self) -> Any:
        self.go(f"/meetings/{self.server.seeded.meeting_id}/console")
        self.page.wait_for_function(LIVE)
        return self.page

    def shot(self, name: str) -> None:
        OUTPUT.mkdir(exist_ok=True)
        self.page.screenshot(path=str(OUTPUT / f"{name}.png"))


@pytest.fixture(scope="module")
def chair(browser: Any, server: Server) -> Iterator[Screen]:
    """The chair's console, kept open across the module's tests (in order, as a session runs)."""
    screen = Screen(browser, server, DESKTOP)
    screen.login("cs-m0")
    screen.console()
    yield screen
    assert not [e for e in screen.errors if "Content Security Policy" in e], screen.errors
    assert [e for e in screen.errors if "WebSocket" not in e and "409" not in e] == [], screen.errors
    screen.context.close()


def focused_id(page: Any) -> str:
    found: str = page.evaluate("() => document.activeElement ? document.activeElement.id : ''")
    return found


def in_viewport(page: Any, selector: str) -> None:
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    assert box is not None, selector
    assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
    assert box["x"] + box["width"] <= size["width"] + 1, (selector, box, size)
    assert box["y"] + box["height"] <= size["height"] + 1, (selector, box, size)


# --- defect 8: the span formatter -----------------------------------------------------------------


def test_the_span_formatter_gives_days_hours_and_minutes(chair: Screen) -> None:
    found = chair.page.evaluate(
        """async () => {
          const { spanText } = await import('/static/js/span.js');
          const vi = { days: '{n} ngày', hours: '{n} giờ', minutes: '{n} phút' };
          const en = { days: '{n} d', hours: '{n} h', minutes: '{n} min' };
          return [spanText(5492, vi), spanText(-44851, vi), spanText(0, vi), spanText(61, vi),
                  spanText(1440, vi), spanText(5492, en), spanText(45, en)];
        }"""
    )
    assert found == [
        "3 ngày 19 giờ 32 phút",
        "31 ngày 3 giờ 31 phút",
        "0 phút",
        "1 giờ 1 phút",
        "1 ngày",
        "3 d 19 h 32 min",
        "45 min",
    ]


def test_the_console_in_english_gives_the_span_in_english(chair: Screen) -> None:
    from playwright.sync_api import expect

    page = chair.page
    with page.expect_navigation():
        page.click(".lang-switch button[value='en']")
    page.wait_for_function(LIVE)
    expect(page.locator("#projected")).to_contain_text(
        re.compile(r"\(2 d( \d+ h)?( \d+ min)? late against the scheduled end \d\d:\d\d \d\d/\d\d/\d{4}\)")
    )
    expect(page.locator("#keys-list")).to_contain_text("next item")
    expect(page.locator("#all-present")).to_contain_text("All present")
    chair.shot("console-en-1366x768")
    with page.expect_navigation():
        page.click(".lang-switch button[value='vi']")
    page.wait_for_function(LIVE)
    expect(page.locator("#all-present")).to_contain_text("Tất cả có mặt")


# --- defect 2 and the roll call ---------------------------------------------------------------------


def test_a_start_without_quorum_is_refused_with_the_counts(chair: Screen) -> None:
    from playwright.sync_api import expect

    page = chair.page
    expect(page.locator("#quorum")).to_have_attribute("data-quorate", "false")
    # The projected end, two days after the scheduled one: days, hours and minutes, not 3000 minutes.
    expect(page.locator("#projected")).to_contain_text(
        re.compile(r"trễ 2 ngày( \d+ giờ)?( \d+ phút)? so với")
    )
    page.click("#start-session")
    expect(page.locator("#start-dialog")).to_be_visible()
    expect(page.locator("#start-warning")).to_contain_text("đã trễ 2 ngày")
    page.click("#start-confirm")
    expect(page.locator("#console-error")).to_contain_text("có mặt 0, cần 18 trên tổng số 27")
    expect(page.locator("#meeting-state")).to_have_text("Đã công bố")


def test_the_roll_call_grid_search_all_present_and_a_substitute(chair: Screen) -> None:
    from playwright.sync_api import expect

    page = chair.page
    members = chair.server.seeded.members
    tiles = page.locator("#attendance li[data-member]")
    expect(tiles).to_have_count(27)
    # The search ignores accents: "dao ngoc" finds Đào Ngọc Dung.
    page.fill("#roll-search", "dao ngoc")
    expect(tiles).to_have_count(1)
    page.click(f"li[data-member='{members[13]}'] .roll-toggle")
    expect(page.locator(f"li[data-member='{members[13]}'] .roll-toggle")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.fill("#roll-search", "khong co ai")
    expect(page.locator("#roll-empty")).to_be_visible()
    page.fill("#roll-search", "")
    expect(tiles).to_have_count(27)
    expect(page.locator("#quorum")).to_contain_text("1 / 27, cần 18")
    # All present, in one click.
    page.click("#all-present")
    expect(page.locator("#quorum")).to_contain_text("27 / 27", timeout=30_000)
    expect(page.locator("#quorum")).to_have_attribute("data-quorate", "true")
    expect(page.locator("#all-present")).to_be_disabled()
    # The toggle takes a member out; the key "A" marks everyone present again.
    toggle = page.locator(f"li[data-member='{members[5]}'] .roll-toggle")
    toggle.click()
    expect(page.locator("#quorum")).to_contain_text("26 / 27")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("a")
    expect(page.locator("#quorum")).to_contain_text("27 / 27")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#console-announce")).to_have_text("Đã đánh dấu có mặt 1 thành viên.")
    # One member is away; a deputy minister stands in (who never counts for quorum).
    away = members[26]
    page.select_option(f"#att-status-{away}", "excused")
    expect(page.locator("#quorum")).to_contain_text("26 / 27")
    page.select_option(f"#sub-{away}", label=SUBSTITUTE)
    expect(page.locator(f"li[data-member='{away}']")).to_contain_text(f"Người dự thay: {SUBSTITUTE}")
    expect(page.locator("#quorum")).to_contain_text("26 / 27")


def test_the_start_warns_off_schedule_escape_cancels_then_the_keyboard_starts(chair: Screen) -> None:
    from playwright.sync_api import expect

    page = chair.page
    page.locator("#start-session").focus()
    page.keyboard.press("s")
    expect(page.locator("#start-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#start-dialog")).to_be_hidden()
    assert focused_id(page) == "start-session"  # the focus came back to the opener
    expect(page.locator("#meeting-state")).to_have_text("Đã công bố")
    # The dialog's "Hủy", by mouse, cancels too: the meeting is not started.
    page.click("#start-session")
    expect(page.locator("#start-dialog")).to_be_visible()
    page.click("#start-dialog button[value='cancel']")
    expect(page.locator("#start-dialog")).to_be_hidden()
    page.wait_for_timeout(300)  # a start wrongly sent would have come back by now
    expect(page.locator("#meeting-state")).to_have_text("Đã công bố")
    expect(page.locator("#start-session")).to_be_visible()
    page.locator("#start-session").focus()
    page.keyboard.press("s")
    expect(page.locator("#start-dialog")).to_be_visible()
    assert focused_id(page) == "start-confirm"
    page.keyboard.press("Enter")
    expect(page.locator("#meeting-state")).to_have_text("Đang họp")
    expect(page.locator("#console-announce")).to_have_text("Phiên họp đã bắt đầu.")
    expect(page.locator("#start-session")).to_be_hidden()


# --- build 11: one screen ---------------------------------------------------------------------------


def test_everything_the_chair_needs_is_on_one_screen(chair: Screen) -> None:
    from playwright.sync_api import expect

    page = chair.page
    page.keyboard.press("n")
    expect(page.locator("#current-title")).to_have_text(TITLES[0])
    page.keyboard.press("n")
    expect(page.locator("#current-title")).to_have_text(TITLES[1])
    expect(page.locator("#speakers li.speaker")).to_have_count(4)
    for viewport in (DESKTOP, LANDSCAPE):
        page.set_viewport_size(viewport)
        page.evaluate("() => window.scrollTo(0, 0)")
        page.wait_for_timeout(200)
        chair.shot(f"console-one-screen-{viewport['width']}x{viewport['height']}")
        for selector in (
            "#current-title",
            "#item-timer",
            "#next-item",
            "#agenda-list .is-current",
            "#agenda-list .is-current + li",
            ".console-votes",
            "#new-vote",
            ".console-speakers",
            "#speakers li.speaker",
            "#quorum",
            "#all-present",
            "#roll-search",
            "#attendance li[data-member]",
        ):
            in_viewport(page, selector)
        check_layout(page, f"console {viewport['width']}x{viewport['height']}")
    page.set_viewport_size(DESKTOP)


def test_screenshots_at_four_sizes(chair: Screen) -> None:
    page = chair.page
    for viewport in (PORTRAIT, LANDSCAPE, DESKTOP, WIDE):
        page.set_viewport_size(viewport)
        page.evaluate("() => window.scrollTo(0, 0)")
        page.wait_for_timeout(250)
        check_layout(page, f"console {viewport['width']}x{viewport['height']}")
        chair.shot(f"console-{viewport['width']}x{viewport['height']}")
    page.set_viewport_size(DESKTOP)


# --- dialogs and shortcuts --------------------------------------------------------------------------


def test_the_speakers_by_shortcut(chair: Screen) -> None:
    from playwright.sync_api import expect

    page = chair.page
    first = page.locator("#speakers li.speaker").first
    expect(first.locator("kbd")).to_have_text("F")
    page.keyboard.press("f")
    expect(page.locator("#speakers li.speaker-speaking")).to_have_count(1)
    page.keyboard.press("x")
    expect(page.locator("#speakers li.speaker-speaking")).to_have_count(0)
    expect(page.locator("#speakers li.speaker-done")).to_have_count(1)
    # Typing in a field is never a shortcut.
    page.fill("#roll-search", "")
    page.locator("#roll-search").press("n")
    page.locator("#roll-search").press("f")
    expect(page.locator("#current-title")).to_have_text(TITLES[1])
    expect(page.locator("#speakers li.speaker-speaking")).to_have_count(0)
    page.fill("#roll-search", "")
    page.locator("#roll-search").blur()
    # "/" goes to the search box.
    page.keyboard.press("/")
    assert focused_id(page) == "roll-search"
    page.locator("#roll-search").blur()


def test_a_vote_by_keyboard_then_by_mouse_and_a_failed_vote_needs_an_override(chair: Screen) -> None:
    from playwright.sync_api import expect

    page = chair.page
    # The keyboard: V opens the dialog on the question, Enter creates, Escape closes another.
    page.keyboard.press("v")
    expect(page.locator("#vote-dialog")).to_be_visible()
    assert focused_id(page) == "vote-question"
    page.keyboard.type("Thông qua dự thảo Nghị định?")
    page.keyboard.press("Enter")
    expect(page.locator("#vote-dialog")).to_be_hidden()
    assert focused_id(page) == "new-vote"
    expect(page.locator(".vote-card[data-state='draft']")).to_contain_text("Thông qua dự thảo Nghị định?")
    page.keyboard.press("v")
    expect(page.locator("#vote-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#vote-dialog")).to_be_hidden()
    # O opens the vote (announced); C closes it: nobody voted, so it fails (0 of 27).
    page.keyboard.press("o")
    expect(page.locator(".vote-card[data-state='open']")).to_be_visible()
    expect(page.locator("#console-announce")).to_contain_text(
        "Đã mở biểu quyết: Thông qua dự thảo Nghị định?"
    )
    page.keyboard.press("c")
    expect(page.locator(".vote-card[data-state='closed']")).to_contain_text("Không được thông qua")
    expect(page.locator("#console-announce")).to_contain_text("Kết quả biểu quyết: Không được thông qua")

    # The mouse: a second vote, prepared with a click, secret, left as a draft.
    page.click("#new-vote")
    page.fill("#vote-question", "Biểu quyết kín về nhân sự?")
    page.check("#vote-secret")
    page.click("#create-vote")
    expect(page.locator("#vote-dialog")).to_be_hidden()
    expect(page.locator(".vote-card[data-state='draft']")).to_contain_text("Bỏ phiếu kín")

    # K: the outcome dialog, by keyboard. "Thông qua" contradicts the failed vote: a reason is asked.
    page.keyboard.press("k")
    expect(page.locator("#outcome-dialog")).to_be_visible()
    assert focused_id(page) == "outcome"
    expect(page.locator("#outcome-last-vote")).to_contain_text("Không được thông qua (0/27 tán thành)")
    page.select_option("#outcome", "adopted_with_changes")
    expect(page.locator("#override-field")).to_be_visible()
    page.keyboard.press("Tab")
    page.keyboard.type("Giao Bộ Tài nguyên và Môi trường tiếp thu, hoàn thiện.")
    page.keyboard.press("Tab")
    page.keyboard.type("Biểu quyết lại bằng phiếu giấy do sự cố kỹ thuật: 20/27 tán thành.")
    page.keyboard.press("Tab")
    assert focused_id(page) == "save-outcome"
    page.keyboard.press("Enter")
    expect(page.locator("#outcome-dialog")).to_be_hidden()
    expect(page.locator("#outcome-line")).to_contain_text("Thông qua có chỉnh sửa")
    assert focused_id(page) == "open-outcome"

    # The mouse: the outcome dialog again; "Trả lại" agrees with the failed vote, no reason needed.
    page.click("#open-outcome")
    page.select_option("#outcome", "returned")
    expect(page.locator("#override-field")).to_be_hidden()
    page.fill("#conclusion", "Trả lại để hoàn thiện hồ sơ.")
    page.click("#save-outcome")
    expect(page.locator("#outcome-dialog")).to_be_hidden()
    expect(page.locator("#outcome-line")).to_contain_text("Trả lại để hoàn thiện")
    # Mouse and override: the server's refusal shows in the dialog when no reason is given.
    page.click("#open-outcome")
    page.select_option("#outcome", "adopted")
    page.evaluate("() => { document.getElementById('override-reason').required = false; }")
    page.click("#save-outcome")
    expect(page.locator("#outcome-error")).to_contain_text("lý do ghi đè")
    page.click("#outcome-dialog [data-close]")
    expect(page.locator("#outcome-dialog")).to_be_hidden()


def test_item_navigation_and_the_consent_block_by_keyboard(chair: Screen) -> None:
    from playwright.sync_api import expect

    page = chair.page
    page.keyboard.press("ArrowRight")
    expect(page.locator("#current-title")).to_have_text(TITLES[2])
    expect(page.locator("#console-announce")).to_contain_text(f"Đang thảo luận nội dung 3: {TITLES[2]}")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#current-title")).to_have_text(TITLES[1])
    page.keyboard.press("p")
    expect(page.locator("#current-title")).to_have_text(TITLES[0])
    page.keyboard.press("n")
    expect(page.locator("#current-title")).to_have_text(TITLES[1])
    # The button, by mouse: back one item, announced.
    page.click("#prev-item")
    expect(page.locator("#current-title")).to_have_text(TITLES[0])
    expect(page.locator("#console-announce")).to_contain_text(f"Đang thảo luận nội dung 1: {TITLES[0]}")
    page.keyboard.press("n")
    page.keyboard.press("n")
    expect(page.locator("#current-title")).to_have_text(TITLES[2])
    # The dialog records on the item it was opened on, even when another operator moves on.
    items = chair.server.seeded.items
    page.keyboard.press("k")
    expect(page.locator("#outcome-item")).to_contain_text(TITLES[2])
    page.evaluate(
        """async (id) => {
          const token = document.querySelector('meta[name=csrf-token]').content;
          await fetch(`/api/v1/meetings/${id}/advance`, {method: 'POST', credentials: 'same-origin',
            headers: {'X-CSRF-Token': token, 'Content-Type': 'application/json'},
            body: JSON.stringify({to: 'next'})});
        }""",
        chair.server.seeded.meeting_id,
    )
    expect(page.locator("#current-title")).to_have_text(TITLES[3])
    page.select_option("#outcome", "noted")
    page.fill("#conclusion", "Ghi nhận báo cáo.")
    page.click("#save-outcome")
    expect(page.locator("#outcome-dialog")).to_be_hidden()
    expect(page.locator(f"#agenda-{items[2]}")).to_contain_text("Ghi nhận")
    expect(page.locator(f"#agenda-{items[3]}")).not_to_contain_text("Ghi nhận")
    expect(page.locator("#adopt-consent kbd")).to_have_text("T")
    page.keyboard.press("t")
    expect(page.locator("#adopt-consent")).to_be_hidden()


def test_adjourning_leaves_no_form_and_a_link_to_the_minutes(chair: Screen) -> None:
    from playwright.sync_api import expect

    page = chair.page
    page.keyboard.press("e")
    expect(page.locator("#adjourn-dialog")).to_be_visible()
    # "Hủy" first: the session goes on.
    page.click("#adjourn-dialog button[value='cancel']")
    expect(page.locator("#adjourn-dialog")).to_be_hidden()
    page.wait_for_timeout(300)  # an adjournment wrongly sent would have come back by now
    expect(page.locator("#meeting-state")).to_have_text("Đang họp")
    expect(page.locator("#adjourn")).to_be_visible()
    expect(page.locator("#next-item")).to_be_visible()
    page.click("#adjourn")
    expect(page.locator("#adjourn-dialog")).to_be_visible()
    page.click("#adjourn-confirm")
    expect(page.locator("#meeting-state")).to_have_text("Đã bế mạc")
    for selector in (
        "#next-item",
        "#prev-item",
        "#open-outcome",
        "#new-vote",
        "#all-present",
        "#roll-search",
    ):
        expect(page.locator(selector)).to_be_hidden()
    expect(page.locator("#adjourn")).to_be_hidden()
    # The roll call stays, read-only; the votes held stay, with their results.
    expect(page.locator("#attendance li[data-member]")).to_have_count(27)
    expect(
        page.locator(
            "#console button:visible:not(.agenda-jump), #console select:visible, #console input:visible"
        )
    ).to_have_count(0)
    expect(page.locator(".vote-card[data-state='closed']")).to_contain_text("Không được thông qua")
    link = page.locator("#minutes-link")
    expect(link).to_be_visible()
    # The shortcuts do nothing now.
    page.keyboard.press("k")
    page.keyboard.press("v")
    expect(page.locator("dialog[open]")).to_have_count(0)
    chair.shot("console-adjourned-1366x768")
    link.click()
    page.wait_for_url(re.compile(r"/minutes$"))
    expect(page.locator("h1")).to_be_visible()


def test_finalizing_the_minutes_asks_once_and_finalizes(browser: Any, server: Server) -> None:
    from playwright.sync_api import expect

    screen = Screen(browser, server, DESKTOP)
    try:
        screen.login("cs-sec")
        screen.go(f"/meetings/{server.seeded.meeting_id}/minutes")
        page = screen.page
        # One confirmation, the dialog: the form's checkbox (for pages without JavaScript) is
        # not asked as well.
        expect(page.locator("#finalize-confirm-box")).to_be_hidden()
        # "Hủy" sends nothing: the minutes stay a draft, even after a reload.
        page.click("#finalize")
        expect(page.locator("#finalize-dialog")).to_be_visible()
        page.click("#finalize-dialog button[value='cancel']")
        expect(page.locator("#finalize-dialog")).to_be_hidden()
        expect(page.locator("#finalize-confirm-box")).not_to_be_checked()
        page.reload()
        expect(page.locator("#finalize")).to_be_visible()
        expect(page.locator("main")).not_to_contain_text("Biên bản đã chốt lúc")
        page.click("#finalize")
        expect(page.locator("#finalize-dialog")).to_be_visible()
        with page.expect_navigation():
            page.click("#finalize-yes")
        expect(page.locator("main")).to_contain_text("Biên bản đã chốt lúc")
        expect(page.locator("#finalize")).to_have_count(0)
        assert [e for e in screen.errors if "Content Security Policy" in e] == []
    finally:
        screen.context.close()
