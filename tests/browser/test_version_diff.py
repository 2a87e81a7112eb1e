"""What changed between two versions of a paper, from the reader, in a real browser (issue 17,
part 4; meeting_app/pages/version_changes.py).

A real server holds a published meeting whose paper has three versions: the first, the second
with known changes (a paragraph inserted, words changed, a passage moved, one deleted) and its
change note, and a third with an appendix. An invited member on a tablet opens the second
version in the reader, taps "what changed" in the version picker and sees the changes page by
page with the note; picks another version to compare with; opens a version at a page. The same
by keyboard alone on a desktop. axe is clean on both, and screenshots go to test-output/.
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
from tests.support.page_checks import axe_violations
from tests.test_version_diff import CHANGED, INSERTED, NOTE, P1, P2, P3, V2, pdf

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent.parent
OUTPUT = ROOT / "test-output"
PASSWORD = "diff-test-pass-1"
TABLET = {"width": 768, "height": 1024}
DESKTOP = {"width": 1366, "height": 900}
APPENDIX = "Phụ lục: danh mục hồ sơ thuế."
FOCUS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {tag: el.tagName, id: el.id, href: el.getAttribute('href') || '',
          outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
}"""


@dataclass(frozen=True)
class Seeded:
    document_id: int


def seed(data_dir: Path) -> Seeded:
    from pypdf import PdfReader

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
    from agenda.storage import store_original

    files = []
    for number, pages in enumerate([[P1, P2, P3], V2, [*V2, [APPENDIX]]], start=1):
        path = pdf(pages, data_dir / f"v{number}.pdf")
        data = path.read_bytes()
        files.append((store_original(data_dir, data), len(PdfReader(str(path)).pages), len(data)))
        path.unlink()
    notes = ["", NOTE, "Thêm phụ lục danh mục hồ sơ"]

    def run(s: Any) -> Seeded:
        chair = members.create_member(
            session=s,
            data=MemberCreate(full_name="Chủ tọa So sánh", title="Thủ tướng", precedence=0),
            actor_id=None,
        )
        minister = members.create_member(
            session=s, data=MemberCreate(full_name="Bộ trưởng So sánh", title="Bộ trưởng"), actor_id=None
        )
        assert chair.id is not None and minister.id is not None
        create_user(
            session=s,
            data=UserCreate(
                username="ss-thanhvien",
                full_name="Bộ trưởng So sánh",
                password=PASSWORD,
                roles=["member"],
                member_id=minister.id,
            ),
            actor_id=None,
        )
        item = programme.create_item(
            session=s,
            data=ProgrammeItemCreate(
                code="SS-1",
                title="Nghị định về quản lý thuế",
                kind="other",
                lead_agency="Bộ Tài chính",
                planned_month=utcnow().strftime("%Y-%m"),
            ),
            actor_id=None,
        )
        assert item.id is not None
        (sha256, pages, size), *later = files
        document, _version = dossier.add_document(
            session=s,
            programme_item_id=item.id,
            kind="submission",
            title="Tờ trình dự thảo Nghị định về quản lý thuế",
            sha256=sha256,
            pages=pages,
            size=size,
            note="",
            actor_id=None,
        )
        assert document.id is not None
        for (sha256, pages, size), note in zip(later, notes[1:], strict=True):
            dossier.add_version(
                session=s,
                document_id=document.id,
                sha256=sha256,
                pages=pages,
                size=size,
                note=note,
                actor_id=None,
            )
        meeting = meetings.create_meeting(
            session=s,
            data=MeetingCreate(
                title="Phiên họp thử so sánh",
                kind="regular",
                starts_at=utcnow() + timedelta(days=3),
                duration_minutes=60,
                place="Phòng họp thử",
                chair_member_id=chair.id,
                invitee_member_ids=[chair.id, minister.id],
            ),
            actor_id=None,
        )
        assert meeting.id is not None
        agenda_edits.add_item(
            session=s,
            meeting_id=meeting.id,
            data=AgendaItemCreate(programme_item_id=item.id, minutes=30),
            actor_id=None,
            policy=Policy(),
        )
        publishing.publish(session=s, meeting_id=meeting.id, actor_id=None)
        return Seeded(document_id=document.id)

    with migrated_database(data_dir) as db:
        return db.write_sync(run)


Server = Served[Seeded]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with seeded_server(tmp_path_factory, "diff-data", seed, reader=True) as served:
        yield served


def screen(browser: Any, server: Server, viewport: dict[str, int], touch: bool) -> BrowserScreen:
    found = BrowserScreen(browser, server.url, viewport, password=PASSWORD, touch=touch, timeout_ms=20_000)
    found.login("ss-thanhvien")
    return found


def see_the_known_changes(page: Any) -> None:
    from playwright.sync_api import expect

    expect(page.locator("h1")).to_have_text("Thay đổi từ bản 1 sang bản 2")
    notes = page.locator(".changes-notes")
    expect(notes).to_contain_text("Bổ sung khoản mới tại Điều 1")
    expect(notes).to_contain_text("<theo ý kiến Bộ Tư pháp>")
    expect(page.locator("#changes-count")).to_contain_text("1 đoạn sửa")
    first = page.locator(".change-page").first
    expect(first.locator("h2")).to_have_text("Trang 1 (bản 1) → trang 1 (bản 2)")
    expect(first.locator(".change-added ins")).to_contain_text(INSERTED)
    changed = page.locator(".change-changed").first
    expect(changed.locator("ins")).to_contain_text("hộ gia đình,")
    expect(changed).to_contain_text(CHANGED.replace("hộ gia đình, ", "[thêm: hộ gia đình,] "))
    expect(page.locator("del", has_text="Hồ sơ thuế là hồ sơ đăng ký thuế.")).to_have_count(1)
    # Named in words as well as marked: underlined, struck through.
    assert page.evaluate("getComputedStyle(document.querySelector('ins')).textDecorationLine") == "underline"
    assert (
        page.evaluate("getComputedStyle(document.querySelector('del')).textDecorationLine") == "line-through"
    )


def test_a_member_taps_from_the_reader_to_what_changed(browser: Any, server: Server) -> None:
    from playwright.sync_api import expect

    document_id = server.seeded.document_id
    member = screen(browser, server, TABLET, touch=True)
    page = member.page
    try:
        member.go(f"/documents/{document_id}/read?v=2")
        page.wait_for_selector("#sheet[data-page='1'] canvas")
        page.tap("#versions summary")
        link = page.locator(f"a.version-changes[href='/documents/{document_id}/versions/2/changes']")
        expect(link).to_have_text("Xem thay đổi so với bản 1")
        with page.expect_navigation():
            link.tap()
        see_the_known_changes(page)
        # On a tablet the note stands above the changes.
        note_box = page.locator(".changes-notes").bounding_box()
        main_box = page.locator(".changes-main").bounding_box()
        assert note_box and main_box and note_box["y"] + note_box["height"] <= main_box["y"] + 1
        check_layout(page, "changes at 768x1024")
        assert axe_violations(page) == []
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / "version-changes-768x1024.png"), full_page=True)

        # Another version to compare with: the third, which has the appendix this one lacks.
        page.select_option("#compare-from", "3")
        with page.expect_navigation():
            page.tap("#compare-submit")
        assert page.url.endswith(f"/documents/{document_id}/versions/2/changes?from=3")
        expect(page.locator("h1")).to_have_text("Thay đổi từ bản 3 sang bản 2")
        expect(page.locator("del", has_text=APPENDIX)).to_have_count(1)
        expect(page.locator(".changes-notes")).to_contain_text("Thêm phụ lục danh mục hồ sơ")

        # From the reader's "new version" notice, and then into the reader at a changed page.
        member.go(f"/documents/{document_id}/read?v=2")
        with page.expect_navigation():
            page.tap(f".notice-new a[href='/documents/{document_id}/versions/3/changes?from=2']")
        expect(page.locator("h1")).to_have_text("Thay đổi từ bản 2 sang bản 3")
        opener = page.locator(f"a[href='/documents/{document_id}/read?v=3#page=4']")
        expect(opener).to_have_text("Mở bản 3, trang 4")
        with page.expect_navigation():
            opener.tap()
        page.wait_for_selector("#sheet[data-page='4'] canvas")
        assert page.input_value("#page-input") == "4"
        assert member.errors == [], member.errors
    finally:
        member.context.close()


def tab_until(page: Any, wanted: str, limit: int = 80) -> dict[str, Any]:
    """Press Tab until the focused element matches the CSS selector `wanted`; its focus shows."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(sel) => document.activeElement.matches(sel)", wanted):
            found: dict[str, Any] = page.evaluate(FOCUS)
            assert found["outline"] != "none" and found["width"] >= 2, found
            return found
    raise AssertionError(f"Tab never reached {wanted}")


def test_what_changed_by_keyboard_alone(browser: Any, server: Server) -> None:
    from playwright.sync_api import expect

    document_id = server.seeded.document_id
    desk = screen(browser, server, DESKTOP, touch=False)
    page = desk.page
    try:
        desk.go(f"/documents/{document_id}/read?v=2")
        page.wait_for_selector("#sheet[data-page='1'] canvas")
        tab_until(page, "#versions summary")
        page.keyboard.press("Enter")
        expect(page.locator("#versions .version-menu")).to_be_visible()
        tab_until(page, f"a[href='/documents/{document_id}/versions/2/changes']")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        see_the_known_changes(page)
        # On a desktop the note stands beside the changes.
        note_box = page.locator(".changes-notes").bounding_box()
        main_box = page.locator(".changes-main").bounding_box()
        assert note_box and main_box and note_box["x"] >= main_box["x"] + main_box["width"]
        assert abs(note_box["y"] - main_box["y"]) < 2
        assert axe_violations(page) == []
        check_layout(page, "changes at 1366x900")
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / "version-changes-1366x900.png"), full_page=True)

        # The picker by keyboard: the other version, then the button.
        tab_until(page, "#compare-from")
        page.keyboard.press("ArrowUp")  # the options run newest first: 3, then 1
        expect(page.locator("#compare-from")).to_have_value("3")
        tab_until(page, "#compare-submit")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.locator("h1")).to_have_text("Thay đổi từ bản 3 sang bản 2")

        # A link opens the version at the page, by Enter.
        found = tab_until(page, "a[href*='/read?v=2#page=']")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        wanted = re.search(r"#page=(\d+)", found["href"])
        assert wanted
        page.wait_for_selector(f"#sheet[data-page='{wanted.group(1)}'] canvas")
        assert desk.errors == [], desk.errors
    finally:
        desk.context.close()
