"""The pages in a real browser: Chromium (Debian's package) driven by Playwright.

A real server (uvicorn in a subprocess) runs on a free port over a temp DATA_DIR, seeded with
the demo and with a few objects of our own. Checks: login, tablet layouts without sideways
scrolling and with 44px touch targets, the language switch, no CSP violations, escaping,
and reordering the agenda by buttons, keyboard and (after publishing) with a reason.
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
    demo_database,
    seeded_server,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent.parent
PASSWORD = "browser-test-pass-1"
VIEWPORTS = [{"width": 768, "height": 1024}, {"width": 1024, "height": 768}]
HOSTILE = "<script>alert(1)</script> {{7*7}}"


@dataclass(frozen=True)
class Seeded:
    draft_meeting: int
    published_meeting: int
    programme_item: int


def seed(data_dir: Path) -> Seeded:
    """The demo plus our own users, items and two meetings."""
    from agenda.clock import utcnow
    from agenda.meetings import agenda_edits, dossier, meetings, publishing
    from agenda.meetings.agenda_items import AgendaItemCreate
    from agenda.meetings.meetings import MeetingCreate
    from agenda.people import members
    from agenda.people.accounts import UserCreate, create_user
    from agenda.people.members import MemberCreate
    from agenda.policy import Policy
    from agenda.programme import programme
    from agenda.programme.programme import ProgrammeItemCreate

    policy = Policy()

    def ours(s: Any) -> Seeded:
        chair = members.create_member(
            session=s,
            data=MemberCreate(full_name="Chủ tọa Thử", title="Thủ tướng", precedence=0),
            actor_id=None,
        )
        minister = members.create_member(
            session=s,
            data=MemberCreate(full_name="Bộ trưởng Thử", title="Bộ trưởng Bộ Tư pháp", agency="Bộ Tư pháp"),
            actor_id=None,
        )
        other = members.create_member(
            session=s,
            data=MemberCreate(full_name="Thành viên Khác", title="Bộ trưởng Bộ Tài chính"),
            actor_id=None,
        )
        for username, roles, member_id in (
            ("bt-thuky", ["secretariat"], None),
            ("bt-thanhvien", ["member"], minister.id),
        ):
            create_user(
                session=s,
                data=UserCreate(
                    username=username,
                    full_name=f"Người dùng {username}",
                    password=PASSWORD,
                    roles=roles,
                    member_id=member_id,
                ),
                actor_id=None,
            )
        month = utcnow().strftime("%Y-%m")
        items = []
        for n, (kind, title) in enumerate(
            [
                ("decree", "Nghị định về thử nghiệm trình duyệt"),
                ("report", HOSTILE),
                ("resolution", "Nghị quyết thử"),
            ]
        ):
            items.append(
                programme.create_item(
                    session=s,
                    data=ProgrammeItemCreate(
                        code=f"BT-{n}", title=title, kind=kind, lead_agency="Bộ Tư pháp", planned_month=month
                    ),
                    actor_id=None,
                )
            )
        ids = [item.id for item in items if item.id is not None]
        for kind in ("submission", "draft", "appraisal"):
            dossier.add_document(
                session=s,
                programme_item_id=ids[0],
                kind=kind,
                title=f"Tài liệu {kind}",
                sha256="a" * 64,
                pages=3,
                size=1000,
                note="",
                actor_id=None,
            )
        assert chair.id is not None and minister.id is not None and other.id is not None
        chair_id = chair.id
        invited = [chair.id, minister.id, other.id]

        def meeting(title: str, days: int) -> int:
            found = meetings.create_meeting(
                session=s,
                data=MeetingCreate(
                    title=title,
                    kind="regular",
                    starts_at=utcnow() + timedelta(days=days),
                    duration_minutes=60,
                    place="Phòng họp thử",
                    chair_member_id=chair_id,
                    invitee_member_ids=invited,
                ),
                actor_id=None,
            )
            assert found.id is not None
            return found.id

        draft = meeting("Phiên họp nháp thử", 7)
        published = meeting("Phiên họp đã công bố thử", 3)
        for meeting_id in (draft, published):
            for title in ("Khai mạc", "Thông qua biên bản", "Bế mạc"):
                agenda_edits.add_item(
                    session=s,
                    meeting_id=meeting_id,
                    data=AgendaItemCreate(title=title, minutes=15),
                    actor_id=None,
                    policy=policy,
                )
        agenda_edits.add_item(
            session=s,
            meeting_id=published,
            data=AgendaItemCreate(title="Nội dung mật thử", minutes=20, restricted_member_ids=[other.id]),
            actor_id=None,
            policy=policy,
        )
        agenda_edits.add_item(
            session=s,
            meeting_id=draft,
            data=AgendaItemCreate(programme_item_id=ids[1], minutes=30, override_readiness=True),
            actor_id=None,
            policy=policy,
        )
        publishing.publish(session=s, meeting_id=published, actor_id=None)
        return Seeded(draft_meeting=draft, published_meeting=published, programme_item=ids[0])

    with demo_database(data_dir) as db:
        return db.write_sync(ours)


Server = Served[Seeded]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with seeded_server(tmp_path_factory, "browser-data", seed) as served:
        yield served


class Visit(BrowserScreen):
    """One browser context (one tablet) that records console errors and page errors."""

    def __init__(self, browser: Any, server: Server, viewport: dict[str, int] | None = None) -> None:
        super().__init__(browser, server.url, viewport or VIEWPORTS[0], password=PASSWORD)
        self.server = server

    def logout(self) -> None:
        with self.page.expect_navigation():
            self.page.click("form[action='/logout'] button")
        assert self.page.url.endswith("/login")

    def order(self) -> list[str]:
        ids: list[str] = self.page.eval_on_selector_all("#agenda > li", "rows => rows.map(r => r.dataset.id)")
        return ids

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser: Any, server: Server) -> Iterator[Any]:
    opened: list[Visit] = []

    def open_visit(viewport: dict[str, int] | None = None) -> Visit:
        found = Visit(browser, server, viewport)
        opened.append(found)
        return found

    yield open_visit
    for found in opened:
        assert not [e for e in found.errors if "Content Security Policy" in e], found.errors
        found.close()


def test_login_rejects_a_bad_password(visit: Any) -> None:
    tablet = visit()
    tablet.go("/login")
    tablet.page.fill("#username", "bt-thuky")
    tablet.page.fill("#password", "wrong-password")
    tablet.page.click("form.form button[type=submit]")
    tablet.page.wait_for_selector(".notice-error")
    assert "/login" in tablet.page.url
    assert tablet.page.input_value("#password") == ""


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v['width']}x{v['height']}")
def test_tablet_layouts(visit: Any, server: Server, viewport: dict[str, int]) -> None:
    staff = visit(viewport)
    staff.login("bt-thuky")
    for path in ("/", "/programme", f"/meetings/{server.seeded.draft_meeting}", "/meetings/new"):
        staff.go(path)
        check_layout(staff.page, f"secretariat {path} at {viewport}")
    member = visit(viewport)
    member.login("bt-thanhvien")
    for path in ("/", f"/meetings/{server.seeded.published_meeting}"):
        member.go(path)
        check_layout(member.page, f"member {path} at {viewport}")
    assert not staff.errors and not member.errors, staff.errors + member.errors


def test_member_sees_a_placeholder_for_a_restricted_item(visit: Any, server: Server) -> None:
    member = visit()
    member.login("bt-thanhvien")
    assert "Phiên họp đã công bố thử" in member.page.inner_text("main")
    member.go(f"/meetings/{server.seeded.published_meeting}")
    text = member.page.inner_text("main")
    assert "Nội dung hạn chế" in text
    assert "Nội dung mật thử" not in text


def test_hostile_titles_render_as_text(visit: Any, server: Server) -> None:
    staff = visit()
    staff.login("bt-thuky")
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    staff.page.on("dialog", on_dialog)
    staff.go("/programme?q=BT-")
    assert HOSTILE in staff.page.inner_text("main")
    staff.go(f"/meetings/{server.seeded.draft_meeting}")
    assert HOSTILE in staff.page.inner_text("#agenda")
    assert dialogs == []


def test_language_switch_persists_across_logout_and_devices(visit: Any) -> None:
    tablet = visit()
    tablet.login("bt-thuky")
    assert "Chương trình công tác" in tablet.page.inner_text("nav.mainnav")
    with tablet.page.expect_navigation():
        tablet.page.click(".lang-switch button[value=en]")
    assert "Work programme" in tablet.page.inner_text("nav.mainnav")
    assert tablet.page.get_attribute("html", "lang") == "en"
    tablet.logout()
    assert "Log in" in tablet.page.inner_text("main")
    tablet.login("bt-thuky")
    assert "Work programme" in tablet.page.inner_text("nav.mainnav")
    # Another device, no cookies: the choice was saved on the account.
    other = visit()
    other.login("bt-thuky")
    assert "Work programme" in other.page.inner_text("nav.mainnav")
    with other.page.expect_navigation():
        other.page.click(".lang-switch button[value=vi]")
    assert "Chương trình công tác" in other.page.inner_text("nav.mainnav")


def test_anonymous_language_switch_on_the_login_page(visit: Any) -> None:
    tablet = visit()
    tablet.go("/login")
    with tablet.page.expect_navigation():
        tablet.page.click(".lang-switch button[value=en]")
    assert tablet.page.url.endswith("/login")
    assert "Log in" in tablet.page.inner_text("main")


def test_reorder_by_buttons(visit: Any, server: Server) -> None:
    staff = visit()
    staff.login("bt-thuky")
    staff.go(f"/meetings/{server.seeded.draft_meeting}")
    before = staff.order()
    with staff.page.expect_navigation():
        staff.page.click(f"#item-{before[0]} button.move-down")
    assert staff.order() == [before[1], before[0], *before[2:]]
    assert staff.page.locator(".notice-ok").count() == 1
    with staff.page.expect_navigation():
        staff.page.click(f"#item-{before[0]} button.move-up")
    assert staff.order() == before


def test_reorder_by_keyboard(visit: Any, server: Server) -> None:
    staff = visit()
    staff.login("bt-thuky")
    path = f"/meetings/{server.seeded.draft_meeting}"
    staff.go(path)
    before = staff.order()
    # The user clicks the handle (a click, not a drag: the row is not left draggable), then
    # presses Alt+ArrowDown.
    handle = staff.page.locator(f"#item-{before[0]} .handle")
    handle.click()
    assert staff.page.evaluate("document.activeElement.closest('li').dataset.id") == before[0]
    assert staff.page.evaluate(f"document.querySelector('#item-{before[0]}').draggable") is False
    with staff.page.expect_response(lambda r: r.url.endswith("/agenda-order") and r.status == 200):
        staff.page.keyboard.press("Alt+ArrowDown")
    moved = [before[1], before[0], *before[2:]]
    assert staff.order() == moved
    assert staff.page.evaluate("document.activeElement.closest('li').dataset.id") == before[0]
    # Space picks up, arrows move, Space drops: back to the first place.
    staff.page.wait_for_function("() => !document.querySelector('#agenda').classList.contains('is-saving')")
    staff.page.keyboard.press("Space")
    staff.page.wait_for_selector(f"#item-{before[0]}.is-picked")
    staff.page.keyboard.press("ArrowUp")
    with staff.page.expect_response(lambda r: r.url.endswith("/agenda-order") and r.status == 200):
        staff.page.keyboard.press("Space")
    staff.page.wait_for_function("() => !document.querySelector('#agenda').classList.contains('is-saving')")
    assert staff.order() == before
    staff.go(path)
    assert staff.order() == before
    assert staff.page.inner_text(f"#item-{before[0]} .pos") == "1"


def test_reorder_after_publishing_asks_for_a_reason(visit: Any, server: Server) -> None:
    staff = visit()
    staff.login("bt-thuky")
    path = f"/meetings/{server.seeded.published_meeting}"
    staff.go(path)
    version = int(staff.page.inner_text("#agenda-version"))
    before = staff.order()
    staff.page.locator(f"#item-{before[0]} .handle").focus()
    staff.page.keyboard.press("Alt+ArrowDown")
    staff.page.wait_for_selector("#reason-dialog[open]")
    staff.page.fill("#reason-text", "Đổi thứ tự theo chỉ đạo của Thủ tướng")
    with staff.page.expect_response(lambda r: r.url.endswith("/agenda-order") and r.status == 200):
        staff.page.click("#reason-dialog button[value=ok]")
    staff.page.wait_for_function(
        "v => document.querySelector('#agenda-version').textContent === v", arg=str(version + 1)
    )
    # Cancelling the dialog puts the rows back.
    current = staff.order()
    staff.page.locator(f"#item-{current[0]} .handle").focus()
    staff.page.keyboard.press("Alt+ArrowDown")
    staff.page.wait_for_selector("#reason-dialog[open]")
    staff.page.click("#reason-dialog button[value=cancel]")
    staff.page.wait_for_function("() => !document.querySelector('#reason-dialog').open")
    # The rows go back in the dialog's `close` handler, a task after `open` is cleared.
    staff.page.wait_for_function(
        "ids => [...document.querySelectorAll('#agenda > li')].map(r => r.dataset.id).join() === ids",
        arg=",".join(current),
    )
    assert staff.order() == current
    staff.go(path)
    assert staff.order() == [before[1], before[0], *before[2:]]


def test_forms_reject_bad_input_without_a_server_error(visit: Any, server: Server) -> None:
    staff = visit()
    staff.login("bt-thuky")
    staff.go("/meetings/new")
    staff.page.fill("#f-title", "Phiên họp thử lỗi")
    staff.page.fill("#f-starts", "2030-01-02T08:00")
    staff.page.evaluate("document.querySelector('#f-duration').removeAttribute('max')")
    staff.page.fill("#f-duration", "99999999999999999999")
    staff.page.select_option("#f-chair", index=1)
    with staff.page.expect_navigation() as navigation:
        staff.page.click("form.form button[type=submit]")
    assert navigation.value.status in (400, 422)
    assert staff.page.locator(".notice-error").count() == 1
    assert staff.page.input_value("#f-title") == "Phiên họp thử lỗi"


def test_reorder_by_drag_and_drop(visit: Any, server: Server) -> None:
    staff = visit({"width": 1024, "height": 1400})
    staff.login("bt-thuky")
    staff.go(f"/meetings/{server.seeded.draft_meeting}")
    before = staff.order()
    source = staff.page.locator(f"#item-{before[0]} .handle").bounding_box()
    target = staff.page.locator(f"#item-{before[2]}").bounding_box()
    assert source is not None and target is not None
    x, y = source["x"] + source["width"] / 2, source["y"] + source["height"] / 2
    drop_y = target["y"] + target["height"] * 0.75  # the lower half: drop after the third row
    staff.page.mouse.move(x, y)
    staff.page.mouse.down()
    with staff.page.expect_response(lambda r: r.url.endswith("/agenda-order") and r.status == 200):
        for step in range(1, 11):
            staff.page.mouse.move(x, y + (drop_y - y) * step / 10)
        staff.page.mouse.up()
    expected = [before[1], before[2], before[0], *before[3:]]
    assert staff.order() == expected
    staff.go(f"/meetings/{server.seeded.draft_meeting}")
    assert staff.order() == expected
    assert [staff.page.inner_text(f"#item-{i} .pos") for i in expected] == [
        str(n) for n in range(1, len(expected) + 1)
    ]
