"""The tablet reader in a real browser: Chromium (Debian's package) driven by Playwright.

A real server (uvicorn in a subprocess) over a temp DATA_DIR holds a published meeting with one
multi-page PDF with bookmarks (made with fpdf2, stored as an original). An invited member on a
768x1024 tablet opens it from the agenda in one tap and reads it through the real watermarked
file route: the first page is drawn, pages turn by button, keyboard and swipe, the width fits,
the outline lists the bookmarks, and a private note survives a reload. No CSP violations.
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
PASSWORD = "reader-test-pass-1"
OUTPUT = ROOT / "test-output"
PORTRAIT = {"width": 768, "height": 1024}
LANDSCAPE = {"width": 1024, "height": 768}
CHAPTERS = [  # (title, pages), each chapter with one sub-section on its second page
    ("Chương I. Những quy định chung", 3),
    ("Chương II. Hồ sơ, trình tự, thủ tục", 3),
    ("Chương III. Điều khoản thi hành", 2),
]
# Conditions to wait for are written as functions: a bare expression would be eval'ed in the
# page, which its CSP (no 'unsafe-eval') refuses.
FITTED = "document.getElementById('fit-width').getAttribute('aria-pressed')"
SHEET_WIDTH = "document.getElementById('sheet').getBoundingClientRect().width"
STAGE_WIDTH = "document.getElementById('stage').clientWidth"
NOTE = "Đề nghị làm rõ khoản 2 Điều 5 — hỏi Bộ Tư pháp."


def paper() -> tuple[bytes, int]:
    """A PDF with Vietnamese text, numbered pages and a two-level outline; and its page count."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    from agenda.pdf.fonts import find_font

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", "", str(find_font()))
    pdf.set_font("DejaVu", size=13)
    for number, (title, pages) in enumerate(CHAPTERS, start=1):
        for page in range(pages):
            pdf.add_page()
            pdf.set_font("DejaVu", size=18 if page == 0 else 13)
            if page == 0:
                pdf.start_section(title, level=0)
                pdf.multi_cell(0, 10, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            elif page == 1:
                pdf.start_section(f"Mục {number}.1. Quy định chi tiết", level=1)
                pdf.multi_cell(
                    0, 8, f"Mục {number}.1. Quy định chi tiết", new_x=XPos.LMARGIN, new_y=YPos.NEXT
                )
            pdf.set_font("DejaVu", size=12)
            for line in range(16):
                pdf.multi_cell(
                    0,
                    7,
                    f"Điều {number * 10 + line}. Nội dung dự thảo nghị định, "
                    f"trang {pdf.page_no()}, dòng {line + 1}.",
                    new_x=XPos.LMARGIN,
                    new_y=YPos.NEXT,
                )
            pdf.set_y(-20)
            pdf.cell(0, 10, f"Trang {pdf.page_no()}", align="C")
    assert pdf.page_no() == sum(pages for _, pages in CHAPTERS)
    return bytes(pdf.output()), pdf.page_no()


@dataclass(frozen=True)
class Seeded:
    meeting_id: int
    document_id: int
    pages: int
    programme_item_id: int


def seed(data_dir: Path) -> Seeded:
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

    data, pages = paper()
    sha256 = store_original(data_dir, data)

    def run(s: Any) -> Seeded:
        chair = members.create_member(
            session=s,
            data=MemberCreate(full_name="Chủ tọa Đọc", title="Thủ tướng", precedence=0),
            actor_id=None,
        )
        minister = members.create_member(
            session=s, data=MemberCreate(full_name="Bộ trưởng Đọc", title="Bộ trưởng"), actor_id=None
        )
        assert chair.id is not None and minister.id is not None
        create_user(
            session=s,
            data=UserCreate(
                username="doc-thuky", full_name="Thư ký Đọc", password=PASSWORD, roles=["secretariat"]
            ),
            actor_id=None,
        )
        create_user(
            session=s,
            data=UserCreate(
                username="doc-thanhvien",
                full_name="Bộ trưởng Đọc",
                password=PASSWORD,
                roles=["member"],
                member_id=minister.id,
            ),
            actor_id=None,
        )
        item = programme.create_item(
            session=s,
            data=ProgrammeItemCreate(
                code="DOC-1",
                title="Nghị định thử trình đọc",
                kind="other",
                lead_agency="Bộ Tư pháp",
                planned_month=utcnow().strftime("%Y-%m"),
            ),
            actor_id=None,
        )
        assert item.id is not None
        document, _version = dossier.add_document(
            session=s,
            programme_item_id=item.id,
            kind="submission",
            title="Tờ trình dự thảo Nghị định",
            sha256=sha256,
            pages=pages,
            size=len(data),
            note="",
            actor_id=None,
        )
        meeting = meetings.create_meeting(
            session=s,
            data=MeetingCreate(
                title="Phiên họp thử trình đọc",
                kind="regular",
                starts_at=utcnow() + timedelta(days=3),
                duration_minutes=60,
                place="Phòng họp thử",
                chair_member_id=chair.id,
                invitee_member_ids=[chair.id, minister.id],
            ),
            actor_id=None,
        )
        assert meeting.id is not None and document.id is not None
        agenda_edits.add_item(
            session=s,
            meeting_id=meeting.id,
            data=AgendaItemCreate(programme_item_id=item.id, minutes=30),
            actor_id=None,
            policy=Policy(),
        )
        publishing.publish(session=s, meeting_id=meeting.id, actor_id=None)
        return Seeded(meeting_id=meeting.id, document_id=document.id, pages=pages, programme_item_id=item.id)

    with migrated_database(data_dir) as db:
        return db.write_sync(run)


Server = Served[Seeded]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with seeded_server(tmp_path_factory, "reader-data", seed, reader=True) as served:
        yield served


class Tablet(BrowserScreen):
    """One touch tablet (a browser context) that records console errors and page errors."""

    def __init__(
        self, browser: Any, server: Server, viewport: dict[str, int], timezone_id: str | None = None
    ) -> None:
        super().__init__(
            browser,
            server.url,
            viewport,
            password=PASSWORD,
            touch=True,
            timeout_ms=20_000,
            timezone_id=timezone_id,
        )
        self.server = server

    def login(self, username: str = "doc-thanhvien", password: str | None = None) -> None:
        super().login(username, password)

    def wait_page(self, number: int) -> None:
        """Wait until page `number` is drawn and shown in the page indicator."""
        self.page.wait_for_selector(f"#sheet[data-page='{number}'] canvas")
        self.page.wait_for_function(f"() => document.getElementById('page-input').value === '{number}'")

    def ink(self) -> int:
        """How many sampled pixels of the drawn page are not white: 0 for a blank canvas."""
        count: int = self.page.evaluate(
            """() => {
              const canvas = document.querySelector('#sheet canvas');
              const ctx = canvas.getContext('2d');
              const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
              let ink = 0;
              for (let i = 0; i < data.length; i += 4 * 7) {
                if (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200) ink++;
              }
              return ink;
            }"""
        )
        return count

    def swipe(self, from_x: float, to_x: float, y: float = 600) -> None:
        """A one-finger horizontal swipe on the stage, as real touch events."""
        cdp = self.context.new_cdp_session(self.page)
        steps = 6
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": from_x, "y": y}]})
        for step in range(1, steps + 1):
            x = from_x + (to_x - from_x) * step / steps
            cdp.send(
                "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y + step}]}
            )
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        cdp.detach()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tablet(browser: Any, server: Server) -> Iterator[Any]:
    opened: list[Tablet] = []

    def open_tablet(viewport: dict[str, int] = PORTRAIT, timezone_id: str | None = None) -> Tablet:
        found = Tablet(browser, server, viewport, timezone_id)
        opened.append(found)
        return found

    yield open_tablet
    for found in opened:
        assert not [e for e in found.errors if "Content Security Policy" in e], found.errors
        assert found.errors == [], found.errors
        found.close()


def test_a_member_reads_a_paper_on_a_tablet(tablet: Any, server: Server) -> None:
    seeded = server.seeded
    member = tablet(PORTRAIT)
    page = member.page
    member.login()
    member.go(f"/meetings/{seeded.meeting_id}")
    # From the agenda item to its paper in one tap.
    with page.expect_navigation():
        page.tap(f"a.doc-read[href='/documents/{seeded.document_id}/read']")
    assert page.url.split("#")[0].endswith(f"/documents/{seeded.document_id}/read")
    member.wait_page(1)
    assert page.inner_text("#page-count").strip() == f"/ {seeded.pages}"
    assert member.ink() > 500, "the first page is blank"
    # Fit to width is the default on a tablet: the page fills the stage, and nothing of the
    # page's chrome scrolls sideways.
    assert page.get_attribute("#fit-width", "aria-pressed") == "true"
    widths = page.evaluate(
        """() => ({
          sheet: document.getElementById('sheet').getBoundingClientRect().width,
          stage: document.getElementById('stage').clientWidth,
          doc: document.scrollingElement.scrollWidth,
          view: window.innerWidth,
        })"""
    )
    assert widths["stage"] - 40 <= widths["sheet"] <= widths["stage"], widths
    assert widths["doc"] <= widths["view"], widths
    check_layout(page, "reader at 768x1024")
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "reader-portrait.png"))

    # Pages turn with the button, the keyboard and a swipe; the indicator follows.
    page.tap("#next-page")
    member.wait_page(2)
    assert member.ink() > 500
    page.focus("#stage")
    page.keyboard.press("ArrowRight")
    member.wait_page(3)
    page.keyboard.press("PageUp")
    member.wait_page(2)
    page.keyboard.press("PageDown")
    member.wait_page(3)
    member.swipe(650, 150)
    member.wait_page(4)
    member.swipe(150, 650)
    member.wait_page(3)
    page.fill("#page-input", str(seeded.pages))
    page.press("#page-input", "Enter")
    member.wait_page(seeded.pages)
    assert page.is_disabled("#next-page")
    page.fill("#page-input", "1")
    page.press("#page-input", "Enter")
    member.wait_page(1)
    assert page.is_disabled("#prev-page")

    # Zoom in: the page grows inside its stage, the document still does not scroll sideways;
    # fit to width brings it back.
    page.tap("#zoom-in")
    page.tap("#zoom-in")
    page.wait_for_function(f"() => {FITTED} === 'false'")
    page.wait_for_function(f"() => {SHEET_WIDTH} > {STAGE_WIDTH}")
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    assert page.inner_text("#zoom-level").strip().endswith("%")
    page.tap("#fit-width")
    page.wait_for_function(f"() => {FITTED} === 'true'")
    page.wait_for_function(f"() => {SHEET_WIDTH} <= {STAGE_WIDTH}")

    # The outline lists the bookmarks; a tap on one goes to its page.
    page.tap("#toggle-outline")
    page.wait_for_selector("#outline:not([hidden]) .outline-link")
    titles = page.eval_on_selector_all("#outline .outline-title", "els => els.map(e => e.textContent)")
    assert [t for t in titles if t.startswith("Chương")] == [title for title, _ in CHAPTERS]
    assert page.is_hidden("#outline-fallback")
    check_layout(page, "reader with the outline open")
    page.screenshot(path=str(OUTPUT / "reader-outline.png"))
    third = 1 + sum(pages for _, pages in CHAPTERS[:2])
    page.tap(f"#outline .outline-link:has-text('{CHAPTERS[2][0]}')")
    member.wait_page(third)
    assert page.is_hidden("#outline")  # a drawer on a portrait tablet closes after the jump

    # A private note on this page, saved by itself, still there after a reload.
    page.tap("#toggle-notes")
    page.wait_for_selector("#note-text:not([disabled])")
    assert page.inner_text("#note-label").strip() == f"Trang {third}"
    page.fill("#note-text", NOTE)
    page.wait_for_function("() => document.getElementById('note-status').textContent.startsWith('Đã lưu')")
    assert not page.is_hidden("#note-dot")
    page.screenshot(path=str(OUTPUT / "reader-notes.png"))
    page.reload()
    member.wait_page(third)  # the page number is kept in the URL
    page.tap("#toggle-notes")
    page.wait_for_selector("#note-text:not([disabled])")
    assert page.input_value("#note-text") == NOTE
    assert f"Trang {third}" in page.inner_text("#note-pages")
    page.tap("#next-page")
    member.wait_page(third + 1)
    assert page.input_value("#note-text") == ""


def test_the_reader_in_landscape(tablet: Any, server: Server) -> None:
    member = tablet(LANDSCAPE)
    member.login()
    member.go(f"/documents/{server.seeded.document_id}/read")
    member.wait_page(1)
    assert member.ink() > 500
    check_layout(member.page, "reader at 1024x768")
    # Panels sit beside the page here; the page refits to the narrower stage.
    before = member.page.evaluate("document.getElementById('sheet').getBoundingClientRect().width")
    member.page.tap("#toggle-outline")
    member.page.wait_for_function(
        f"() => document.getElementById('sheet').getBoundingClientRect().width < {before} - 100"
    )
    member.wait_page(1)
    check_layout(member.page, "reader at 1024x768 with the outline")
    member.page.screenshot(path=str(OUTPUT / "reader-landscape.png"))


def test_a_note_is_saved_at_vietnam_time_on_a_device_set_elsewhere(tablet: Any, server: Server) -> None:
    """Defect 10: the "saved at" time followed the device's clock. A tablet set to New York
    (11 or 12 hours behind) still says when the note was saved in Vietnam time."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    member = tablet(LANDSCAPE, timezone_id="America/New_York")
    page = member.page
    member.login()
    member.go(f"/documents/{server.seeded.document_id}/read#page=2")
    member.wait_page(2)
    assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == "America/New_York"
    page.click("#toggle-notes")
    page.wait_for_selector("#note-text:not([disabled])")
    page.fill("#note-text", "Ghi chú lúc xem ở nước ngoài.")
    page.wait_for_function("() => document.getElementById('note-status').textContent.startsWith('Đã lưu')")
    said = page.inner_text("#note-status")
    now = datetime.now(UTC)
    wanted = {
        (now + timedelta(minutes=delta)).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%H:%M")
        for delta in (-1, 0, 1)
    }
    assert any(said.endswith(time) for time in wanted), (said, wanted)
    page.fill("#note-text", "")  # leave no note behind for the other tests
    page.wait_for_function("() => document.getElementById('note-status').textContent.startsWith('Đã xóa')")


FOCUS_RING = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {id: el.id, cls: el.className, outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
}"""


def tab_to(page: Any, element_id: str, limit: int = 60) -> None:
    """Press Tab until the element with this id has the focus, and check its focus shows."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        found = page.evaluate(FOCUS_RING)
        if found["id"] == element_id:
            assert found["outline"] != "none" and found["width"] >= 2, found
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def test_the_reader_by_keyboard_alone(browser: Any, server: Server) -> None:
    """Build 14 for the reader: pages, zoom, notes and the outline by keyboard alone, with the
    focus visible at each stop, and the shortcuts written on screen."""
    from playwright.sync_api import expect

    desk = BrowserScreen(browser, server.url, {"width": 1366, "height": 768}, password=PASSWORD)
    page = desk.page
    try:
        desk.login("doc-thanhvien")
        desk.go(f"/documents/{server.seeded.document_id}/read")
        page.wait_for_selector("#sheet[data-page='1'] canvas")
        expect(page.locator("#reader-keys")).to_be_visible()
        assert page.get_attribute("#next-page", "aria-keyshortcuts") == "ArrowRight PageDown"

        tab_to(page, "stage")
        for key, wanted in [("ArrowRight", 2), ("PageDown", 3), ("End", 8), ("ArrowLeft", 7), ("Home", 1)]:
            page.keyboard.press(key)
            page.wait_for_selector(f"#sheet[data-page='{wanted}'] canvas")
        tab_to(page, "next-page")
        page.keyboard.press("Enter")
        page.wait_for_selector("#sheet[data-page='2'] canvas")

        # Zoom: + and - by key, 0 fits the width again; the buttons by Tab and Space.
        page.keyboard.press("+")
        page.wait_for_function(f"() => {FITTED} === 'false'")
        before = page.inner_text("#zoom-level")
        page.keyboard.press("-")
        page.wait_for_function(f"() => document.getElementById('zoom-level').textContent !== '{before}'")
        page.keyboard.press("0")
        page.wait_for_function(f"() => {FITTED} === 'true'")
        tab_to(page, "zoom-in")
        page.keyboard.press("Space")
        page.wait_for_function(f"() => {FITTED} === 'false'")
        tab_to(page, "fit-width")
        page.keyboard.press("Space")
        page.wait_for_function(f"() => {FITTED} === 'true'")

        # Notes: N opens them with the focus in the note; typing saves; Escape closes and goes
        # back to the notes button.
        page.keyboard.press("n")
        expect(page.locator("#notes")).to_be_visible()
        page.wait_for_function("() => document.activeElement.id === 'note-text'")
        page.keyboard.type("Ghi chú bằng bàn phím.")
        page.wait_for_function(
            "() => document.getElementById('note-status').textContent.startsWith('Đã lưu')"
        )
        page.keyboard.press("Escape")
        expect(page.locator("#notes")).to_be_hidden()
        assert page.evaluate(FOCUS_RING)["id"] == "toggle-notes"
        assert page.evaluate(FOCUS_RING)["outline"] != "none"

        # The outline: M opens it on its current entry; Tab and Enter jump to a chapter.
        page.keyboard.press("m")
        expect(page.locator("#outline")).to_be_visible()
        page.wait_for_function("() => document.activeElement.classList.contains('outline-link')")
        third = 1 + sum(pages for _, pages in CHAPTERS[:2])
        for _ in range(20):
            if CHAPTERS[2][0] in page.evaluate("document.activeElement.textContent"):
                break
            page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.wait_for_selector(f"#sheet[data-page='{third}'] canvas")
        page.keyboard.press("Escape")
        expect(page.locator("#outline")).to_be_hidden()
        assert page.evaluate(FOCUS_RING)["id"] == "toggle-outline"
        check_layout(page, "reader by keyboard at 1366x768")
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / "reader-keyboard-1366x768.png"))
        assert desk.errors == [], desk.errors
    finally:
        desk.context.close()


def test_the_page_back_zoom_out_and_panel_close_buttons(tablet: Any, server: Server) -> None:
    """Issue 14: the reader's buttons no test had tapped, each tapped on a tablet as a reader would
    and its result seen: the previous page, zoom out, and the × that closes each panel (a note
    typed just before the × is saved all the same)."""
    from playwright.sync_api import expect

    member = tablet(PORTRAIT)
    page = member.page
    member.login()
    member.go(f"/documents/{server.seeded.document_id}/read#page=3")
    member.wait_page(3)

    # The previous page, down to the first, where the button turns off.
    page.tap("#prev-page")
    member.wait_page(2)
    assert page.url.endswith("#page=2"), page.url
    assert member.ink() > 500
    page.tap("#prev-page")
    member.wait_page(1)
    expect(page.locator("#prev-page")).to_be_disabled()
    expect(page.locator("#next-page")).to_be_enabled()

    # Zoom out from the fitted width: each tap draws the page smaller and says so.
    def level() -> int:
        return int(page.inner_text("#zoom-level").strip().rstrip("%"))

    assert page.get_attribute("#fit-width", "aria-pressed") == "true"
    for _ in range(2):
        width, percent = page.evaluate(SHEET_WIDTH), level()
        page.tap("#zoom-out")
        page.wait_for_function(f"() => {SHEET_WIDTH} < {width} - 1")
        page.wait_for_function(
            f"() => parseInt(document.getElementById('zoom-level').textContent, 10) < {percent}"
        )
        assert page.get_attribute("#fit-width", "aria-pressed") == "false"
        member.wait_page(1)
        assert member.ink() > 500, "the zoomed-out page is blank"
    assert level() < 90, level()
    page.tap("#fit-width")
    page.wait_for_function(f"() => {FITTED} === 'true'")

    # The outline's ×: the drawer closes, its button says so and has the focus back.
    toggle = page.locator("#toggle-outline")
    toggle.tap()
    expect(page.locator("#outline")).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.tap("#outline .panel-close")
    expect(page.locator("#outline")).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    member.wait_page(1)  # closing a panel leaves the page where it was

    # The notes' ×, tapped right after typing (before the pause that saves): the panel closes
    # and the note is kept, as a reload shows.
    toggle = page.locator("#toggle-notes")
    toggle.tap()
    page.wait_for_selector("#note-text:not([disabled])")
    page.fill("#note-text", "Ghi chú rồi đóng ngay.")
    page.tap("#notes .panel-close")
    expect(page.locator("#notes")).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(page.locator("#note-dot")).to_be_visible()  # saved: the page has a note
    page.reload()
    member.wait_page(1)
    toggle.tap()
    page.wait_for_selector("#note-text:not([disabled])")
    assert page.input_value("#note-text") == "Ghi chú rồi đóng ngay."
    page.fill("#note-text", "")  # leave no note behind for the other tests
    page.wait_for_function("() => document.getElementById('note-status').textContent.startsWith('Đã xóa')")


def test_an_open_reader_hears_of_a_new_version(tablet: Any, server: Server, tmp_path: Path) -> None:
    """Defect 10: a reader already open got no word of a new version. The secretariat uploads one
    through its dossier form; the member's open reader shows a banner, announced (role=status),
    with a link that opens the new version. Runs last: the paper gains a version."""
    from playwright.sync_api import expect

    from tests.support.factories import make_pdf

    seeded = server.seeded
    member = tablet(LANDSCAPE)
    reader = member.page
    member.login()
    member.go(f"/documents/{seeded.document_id}/read")
    member.wait_page(1)
    reader.wait_for_function("() => document.documentElement.dataset.me === 'live'")
    expect(reader.locator("#live-version")).to_be_empty()

    staff = tablet({"width": 1366, "height": 768})
    staff.login("doc-thuky")
    staff.go(f"/programme/{seeded.programme_item_id}")
    desk = staff.page
    desk.click(f"form[action$='/documents/{seeded.document_id}/versions'] >> xpath=.. >> summary")
    new_file = tmp_path / "ban-sua.pdf"
    new_file.write_bytes(make_pdf(2, heading="Tờ trình, bản sửa"))
    desk.set_input_files(f"#version-file-{seeded.document_id}", str(new_file))
    desk.fill(f"#version-note-{seeded.document_id}", "Sửa theo ý kiến Bộ Tư pháp")
    with desk.expect_navigation():
        desk.click(f"form[action$='/documents/{seeded.document_id}/versions'] button[type=submit]")

    banner = reader.locator("#live-version .notice")
    expect(banner).to_contain_text("bản 2")
    assert reader.get_attribute("#live-version", "role") == "status"
    check_layout(reader, "reader with the new-version banner")
    OUTPUT.mkdir(exist_ok=True)
    reader.screenshot(path=str(OUTPUT / "reader-new-version.png"))
    with reader.expect_navigation():
        reader.click("#open-new-version")
    assert reader.url.endswith(f"/documents/{seeded.document_id}/read?v=2") or "?v=2" in reader.url
    member.wait_page(1)
    assert reader.inner_text("#page-count").strip() == "/ 2"

    # The bell told of it too (build 13): the notice opens the paper in the reader.
    expect(reader.locator("#bell-count")).to_have_text("1")
    member.go("/notifications")
    notice = reader.locator(".notification.is-unread")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("Tài liệu có bản mới: Tờ trình dự thảo Nghị định (bản 2)")
    expect(notice).to_contain_text("Sửa theo ý kiến Bộ Tư pháp")
    check_layout(reader, "the bell with a paper's new version")
    reader.screenshot(path=str(OUTPUT / "bell-new-version.png"))
    with reader.expect_navigation():
        notice.locator("button").click()
    assert f"/documents/{seeded.document_id}/read" in reader.url, reader.url
