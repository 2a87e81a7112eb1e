"""Highlights and notes anchored to passages, in the reader, in a real browser (issue 17 part 3).

A real server holds a published meeting with two papers of Vietnamese text (fpdf2, DejaVu),
read through the real watermarked file route by two invited ministers and the secretariat.
Text is selected on pdf.js's text layer the way a finger or a mouse leaves it (a DOM selection
over the layer's spans), and "Tô sáng" / "Ghi chú" are tapped: the highlight is drawn over the
passage (among two repeats of it, the one chosen), and is still drawn after a reload. A note is
shared with the other minister, whose open reader hears of it on /ws/me. The keyboard alone
makes one. A new version carries them over, or orphans the one whose passage is gone, and says
so. The meeting page's link downloads the reader's own annotations as a PDF.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.annotation_pdfs import pdf
from tests.support.browser_server import (
    BrowserScreen,
    Served,
    check_layout,
    migrated_database,
    seeded_server,
)
from tests.support.page_checks import axe_violations

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent.parent
OUTPUT = ROOT / "test-output"
PASSWORD = "annot-test-pass-1"
TABLET = {"width": 768, "height": 1024}
DESKTOP = {"width": 1366, "height": 900}

REPEATED = "chịu trách nhiệm trước Chính phủ"
PAGES = [
    [
        "Điều 1. Phạm vi điều chỉnh",
        "Nghị định này quy định về phiên họp Chính phủ không giấy.",
        f"Bộ trưởng {REPEATED} về lĩnh vực được giao.",
        "Điều 2. Trách nhiệm của Văn phòng Chính phủ",
        "Văn phòng Chính phủ gửi tài liệu họp chậm nhất năm ngày làm việc.",
        f"Thủ trưởng cơ quan ngang bộ {REPEATED} về việc thi hành.",
        "Điều 3. Hiệu lực thi hành kể từ ngày ký ban hành.",
    ],
    [
        "Điều 4. Tổ chức thực hiện",
        "Các Bộ trưởng, Thủ trưởng cơ quan ngang bộ thi hành Nghị định này.",
        "Ý kiến thẩm định của Bộ Tư pháp được tiếp thu đầy đủ.",
    ],
]
KEPT = "Đề án số hóa tài liệu họp được triển khai trong năm 2027."
GONE = "Kinh phí thực hiện do ngân sách trung ương bảo đảm toàn bộ."
OLD = [["Điều 1. Kinh phí và tiến độ", KEPT, GONE, "Điều 2. Hiệu lực thi hành."]]
NEW = [
    [
        "Điều 1. Kinh phí và tiến độ",
        "Khoản mới: áp dụng thí điểm tại ba bộ.",
        KEPT,
        "Điều 2. Hiệu lực thi hành.",
    ]
]

# A passage of the text layer, by its text and which repeat (0 the first): its bounding box,
# and with `select`, the page's selection set over it the way a finger or a mouse leaves it.
PASSAGE = """([needle, nth, select]) => {
  const layer = document.querySelector('#sheet .textLayer');
  const walker = document.createTreeWalker(layer, NodeFilter.SHOW_TEXT);
  const nodes = [];
  let text = '';
  for (let n = walker.nextNode(); n; n = walker.nextNode()) { nodes.push([n, text.length]); text += n.data; }
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error('not on the page: ' + needle);
  }
  const point = (pos, end) => {
    for (let i = nodes.length - 1; i >= 0; i--) {
      if (nodes[i][1] < pos || (!end && nodes[i][1] === pos)) return [nodes[i][0], pos - nodes[i][1]];
    }
    return [nodes[0][0], 0];
  };
  const range = document.createRange();
  range.setStart(...point(at, false));
  range.setEnd(...point(at + needle.length, true));
  if (select) {
    const selection = document.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    layer.dispatchEvent(new MouseEvent('mouseup', { bubbles: true }));
  }
  const box = range.getBoundingClientRect();
  return { x: box.x, y: box.y, width: box.width, height: box.height };
}"""
MARKS = """() => [...document.querySelectorAll('#sheet .annot-mark')].map((m) => {
  const box = m.getBoundingClientRect();
  const { x, y, width, height } = box;
  return { id: m.dataset.annotation, cls: m.className, x, y, width, height };
})"""
CREATE = """async ([url, body]) => {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const response = await fetch(url, { method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': token },
    body: JSON.stringify(body) });
  return [response.status, await response.json()];
}"""


@dataclass(frozen=True)
class Seeded:
    meeting_id: int
    document_id: int  # two pages, a passage repeated on the first
    revised_id: int  # the paper that gets a new version
    revised_item_id: int  # its programme item (the secretariat uploads there)
    first_user_id: int
    second_user_id: int


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

    def run(s: Any) -> Seeded:
        chair = members.create_member(
            session=s,
            data=MemberCreate(full_name="Chủ tọa Chú thích", title="Thủ tướng", precedence=0),
            actor_id=None,
        )
        first = members.create_member(
            session=s, data=MemberCreate(full_name="Bộ trưởng Tài chính", title="Bộ trưởng"), actor_id=None
        )
        second = members.create_member(
            session=s, data=MemberCreate(full_name="Bộ trưởng Tư pháp", title="Bộ trưởng"), actor_id=None
        )
        assert chair.id is not None and first.id is not None and second.id is not None
        users = []
        for username, name, roles, member_id in [
            ("an-thuky", "Thư ký Chú thích", ["secretariat"], None),
            ("an-taichinh", "Bộ trưởng Tài chính", ["member"], first.id),
            ("an-tuphap", "Bộ trưởng Tư pháp", ["member"], second.id),
        ]:
            users.append(
                create_user(
                    session=s,
                    data=UserCreate(
                        username=username, full_name=name, password=PASSWORD, roles=roles, member_id=member_id
                    ),
                    actor_id=None,
                )
            )
        meeting = meetings.create_meeting(
            session=s,
            data=MeetingCreate(
                title="Phiên họp thử chú thích",
                kind="regular",
                starts_at=utcnow() + timedelta(days=3),
                duration_minutes=60,
                place="Phòng họp thử",
                chair_member_id=chair.id,
                invitee_member_ids=[chair.id, first.id, second.id],
            ),
            actor_id=None,
        )
        assert meeting.id is not None
        ids = []
        for code, title, pages in [
            ("AN-1", "Tờ trình Nghị định họp không giấy", PAGES),
            ("AN-2", "Đề án số hóa", OLD),
        ]:
            item = programme.create_item(
                session=s,
                data=ProgrammeItemCreate(
                    code=code,
                    title=title,
                    kind="other",
                    lead_agency="Văn phòng Chính phủ",
                    planned_month=utcnow().strftime("%Y-%m"),
                ),
                actor_id=None,
            )
            assert item.id is not None
            data = pdf(pages)
            document, _version = dossier.add_document(
                session=s,
                programme_item_id=item.id,
                kind="submission",
                title=title,
                sha256=store_original(data_dir, data),
                pages=len(pages),
                size=len(data),
                note="",
                actor_id=None,
            )
            assert document.id is not None
            agenda_edits.add_item(
                session=s,
                meeting_id=meeting.id,
                data=AgendaItemCreate(programme_item_id=item.id, minutes=30),
                actor_id=None,
                policy=Policy(),
            )
            ids.append((document.id, item.id))
        publishing.publish(session=s, meeting_id=meeting.id, actor_id=None)
        assert users[1].id is not None and users[2].id is not None
        return Seeded(
            meeting_id=meeting.id,
            document_id=ids[0][0],
            revised_id=ids[1][0],
            revised_item_id=ids[1][1],
            first_user_id=users[1].id,
            second_user_id=users[2].id,
        )

    with migrated_database(data_dir) as db:
        return db.write_sync(run)


Server = Served[Seeded]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with seeded_server(tmp_path_factory, "annotations-data", seed, reader=True) as served:
        yield served


class Reader(BrowserScreen):
    def __init__(self, browser: Any, server: Server, viewport: dict[str, int], touch: bool) -> None:
        super().__init__(browser, server.url, viewport, password=PASSWORD, touch=touch, timeout_ms=20_000)
        self.touch = touch

    def press(self, selector: str) -> None:
        """A tap on a tablet, a click on a desktop."""
        if self.touch:
            self.page.tap(selector)
        else:
            self.page.click(selector)

    def open(self, document_id: int, page: int = 1, version: int | None = None) -> None:
        query = f"?v={version}" if version else ""
        response = self.page.goto(f"{self.base_url}/documents/{document_id}/read{query}#page={page}")
        if response is None:  # the same page: only its hash changed
            response = self.page.reload()
        assert response is not None and response.status == 200, response
        self.wait_drawn(page)

    def wait_drawn(self, page: int) -> None:
        self.page.wait_for_selector(f"#sheet[data-page='{page}'] .textLayer span")
        self.page.wait_for_function("() => document.getElementById('annot-list').children.length > 0")

    def select(self, needle: str, nth: int = 0) -> dict[str, float]:
        box: dict[str, float] = self.page.evaluate(PASSAGE, [needle, nth, True])
        self.page.wait_for_selector("#annot-tools:not([hidden])")
        return box

    def box_of(self, needle: str, nth: int = 0) -> dict[str, float]:
        box: dict[str, float] = self.page.evaluate(PASSAGE, [needle, nth, False])
        return box

    def marks(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.page.evaluate(MARKS)
        return found


@pytest.fixture
def reader(browser: Any, server: Server) -> Iterator[Any]:
    opened: list[Reader] = []

    def open_reader(username: str, viewport: dict[str, int] = TABLET, touch: bool = True) -> Reader:
        found = Reader(browser, server, viewport, touch)
        found.login(username)
        opened.append(found)
        return found

    yield open_reader
    for found in opened:
        assert found.errors == [], found.errors
        found.context.close()


def covers(marks: list[dict[str, Any]], box: dict[str, float]) -> bool:
    """Some mark of non-zero size lies over the middle of `box`."""
    mid_x, mid_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    return any(
        m["width"] > 2
        and m["height"] > 2
        and m["x"] <= mid_x <= m["x"] + m["width"]
        and m["y"] <= mid_y <= m["y"] + m["height"]
        for m in marks
    )


def test_a_selection_is_highlighted_on_a_tablet_and_still_drawn_after_a_reload(
    reader: Any, server: Server
) -> None:
    from playwright.sync_api import expect

    seeded = server.seeded
    member = reader("an-taichinh")
    page = member.page
    member.open(seeded.document_id)
    expect(page.locator("#annot-list .annot-none")).to_have_count(1)

    # The second of two repeats of a passage, selected: the toolbar offers to highlight it.
    member.select(REPEATED, nth=1)
    tools = page.locator("#annot-tools")
    expect(tools).to_be_visible()
    check_layout(page, "the selection toolbar at 768x1024")
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "annotations-select-768x1024.png"))
    member.press("#annot-highlight")
    expect(page.locator("#annot-announce")).to_contain_text("Đã tô sáng một đoạn ở trang 1")
    expect(tools).to_be_hidden()
    page.wait_for_selector("#sheet .annot-mark")
    second, first = member.box_of(REPEATED, 1), member.box_of(REPEATED, 0)
    assert covers(member.marks(), second), (member.marks(), second)
    assert not covers(member.marks(), first)
    expect(page.locator("#annot-count")).to_have_text("1")

    # Reloaded: drawn again from the server's copy, over the same repeat.
    page.reload()
    member.wait_drawn(1)
    page.wait_for_selector("#sheet .annot-mark")
    assert covers(member.marks(), member.box_of(REPEATED, 1)), member.marks()
    assert not covers(member.marks(), member.box_of(REPEATED, 0))
    # Zoomed in, the page is drawn again and so are the marks, over the passage at its new size.
    width = member.marks()[0]["width"]
    member.press("#zoom-in")
    page.wait_for_function(
        "() => document.getElementById('fit-width').getAttribute('aria-pressed') === 'false'"
    )
    page.wait_for_function(
        """([w]) => {
          const m = document.querySelector('#sheet .annot-mark');
          return m && m.getBoundingClientRect().width > w + 5;
        }""",
        arg=[width],
    )
    assert covers(member.marks(), member.box_of(REPEATED, 1))
    member.press("#fit-width")

    # The panel lists it with its page and quote; a tap on it goes to its page.
    member.press("#toggle-annotations")
    item = page.locator("#annot-list .annot-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Trang 1 · Tô sáng")
    expect(item).to_contain_text(REPEATED)
    expect(item).to_contain_text("Chỉ mình bạn")
    check_layout(page, "the annotations drawer at 768x1024")
    page.screenshot(path=str(OUTPUT / "annotations-panel-768x1024.png"))
    member.press("#annotations .panel-close")
    expect(page.locator("#annotations")).to_be_hidden()
    member.press("#next-page")
    page.wait_for_selector("#sheet[data-page='2'] .textLayer span")
    assert member.marks() == []
    member.press("#toggle-annotations")
    member.press("#annot-list .annot-go")
    page.wait_for_selector("#sheet[data-page='1'] .annot-mark")
    expect(page.locator("#annotations")).to_be_hidden()  # a drawer closes after the jump

    # Deleted, with a second tap to confirm.
    member.press("#toggle-annotations")
    delete = page.locator("#annot-list .annot-delete")
    delete.tap()
    expect(delete).to_have_text("Bấm lần nữa để xóa")
    delete.tap()
    expect(page.locator("#annot-announce")).to_contain_text("Đã xóa chú thích")
    expect(page.locator("#annot-list .annot-none")).to_be_visible()
    assert member.marks() == []


def test_a_note_is_shared_with_another_minister_who_hears_of_it(reader: Any, server: Server) -> None:
    from playwright.sync_api import expect

    seeded = server.seeded
    # The other minister's reader is open on the paper, its feed connected.
    other = reader("an-tuphap", DESKTOP, touch=False)
    other.open(seeded.document_id)
    other.page.wait_for_function("() => document.documentElement.dataset.me === 'live'")
    expect(other.page.locator("#annot-list .annot-none")).to_have_count(1)

    author = reader("an-taichinh", DESKTOP, touch=False)
    page = author.page
    author.open(seeded.document_id)
    passage = "Văn phòng Chính phủ gửi tài liệu họp chậm nhất năm ngày làm việc"
    author.select(passage)
    author.press("#annot-note")
    form = page.locator("#annot-form")
    expect(form).to_be_visible()
    expect(page.locator("#annot-form-quote")).to_contain_text(passage)
    page.wait_for_function("() => document.activeElement.id === 'annot-text'")
    # Private by default: nothing ticked. Empty, it is refused with a word.
    page.wait_for_selector("#annot-audience input[type=checkbox]")
    assert not page.is_checked("#annot-share-secretariat")
    assert page.eval_on_selector_all("#annot-audience input:checked", "els => els.length") == 0
    author.press("#annot-save")
    expect(page.locator("#annot-form-status")).to_have_text("Hãy viết nội dung ghi chú.")
    page.fill("#annot-text", "Đề nghị rút xuống ba ngày làm việc.")
    page.check(f"#annot-audience input[value='{seeded.second_user_id}']")
    expect(page.locator("#annot-audience")).to_contain_text("Bộ trưởng Tư pháp")
    check_layout(page, "the note form at 1366x900")
    page.screenshot(path=str(OUTPUT / "annotations-note-form-1366x900.png"))
    author.press("#annot-save")
    expect(form).to_be_hidden()
    expect(page.locator("#annot-announce")).to_contain_text("Đã lưu chú thích ở trang 1")
    marker = page.locator("#sheet .annot-marker")
    expect(marker).to_have_count(1)
    assert covers(author.marks(), author.box_of(passage))
    note = page.locator("#annot-list .annot-item.is-note")
    expect(note).to_contain_text("Đề nghị rút xuống ba ngày làm việc.")
    expect(note).to_contain_text("Chia sẻ với: 1 người")
    check_layout(page, "a note drawn at 1366x900")
    page.screenshot(path=str(OUTPUT / "annotations-note-1366x900.png"))
    assert axe_violations(page) == []

    # The other minister's open reader: the note arrives, is announced, and is drawn.
    expect(other.page.locator("#annot-announce")).to_contain_text(
        "Bộ trưởng Tài chính vừa chia sẻ một chú thích với bạn"
    )
    shared = other.page.locator("#annot-list .annot-item.is-shared")
    expect(shared).to_contain_text("của Bộ trưởng Tài chính")
    expect(shared).to_contain_text("Đề nghị rút xuống ba ngày làm việc.")
    expect(shared.locator(".annot-edit")).to_have_count(0)
    other.page.wait_for_selector("#sheet .annot-marker.is-shared")
    assert covers(other.marks(), other.box_of(passage))
    other.page.screenshot(path=str(OUTPUT / "annotations-shared-1366x900.png"))
    # Its marker opens it in the panel.
    other.press("#sheet .annot-marker")
    expect(other.page.locator("#annotations")).to_be_visible()
    other.page.wait_for_function("() => document.activeElement.classList.contains('annot-go')")

    # The author edits it: the note's text and its sharing (now with the Government Office too).
    author.press("#annot-list .annot-item.is-note .annot-edit")
    expect(form).to_be_visible()
    expect(page.locator("#annot-text")).to_have_value("Đề nghị rút xuống ba ngày làm việc.")
    page.wait_for_selector(f"#annot-audience input[value='{seeded.second_user_id}']:checked")
    page.fill("#annot-text", "Đề nghị rút xuống bốn ngày làm việc.")
    page.check("#annot-share-secretariat")
    author.press("#annot-save")
    expect(note).to_contain_text("Đề nghị rút xuống bốn ngày làm việc.")
    expect(note).to_contain_text("Chia sẻ với: Văn phòng Chính phủ, 1 người")
    expect(other.page.locator("#annot-announce")).to_contain_text("vừa được sửa")
    expect(shared).to_contain_text("Đề nghị rút xuống bốn ngày làm việc.")
    # A second note begun and cancelled leaves nothing behind.
    author.select("Điều 3. Hiệu lực thi hành")
    author.press("#annot-note")
    expect(form).to_be_visible()
    author.press("#annot-cancel")
    expect(form).to_be_hidden()
    expect(page.locator("#annot-list .annot-item")).to_have_count(1)

    # The secretariat reads it too (shared with the Government Office); nobody else's.
    office = reader("an-thuky", DESKTOP, touch=False)
    office.open(seeded.document_id)
    office.press("#toggle-annotations")
    expect(office.page.locator("#annot-list .annot-item")).to_have_count(1)
    expect(office.page.locator("#annot-list .annot-item")).to_contain_text("của Bộ trưởng Tài chính")


def test_an_annotation_made_by_keyboard_alone(reader: Any, server: Server) -> None:
    from playwright.sync_api import expect

    seeded = server.seeded
    member = reader("an-tuphap", DESKTOP, touch=False)
    page = member.page
    member.open(seeded.document_id, page=2)
    page.focus("#stage")
    page.keyboard.press("a")  # the annotations, the focus in the passage search
    page.wait_for_function("() => document.activeElement.id === 'annot-find'")
    page.keyboard.type("tham dinh cua bo tu phap")  # without diacritics
    expect(page.locator("#annot-find-status")).to_have_text("1 đoạn khớp trên trang 2.")
    match = page.locator("#annot-matches .annot-match")
    expect(match).to_have_count(1)
    expect(match.locator("mark")).to_have_text("thẩm định của Bộ Tư pháp")
    page.keyboard.press("Enter")  # to the first match
    page.wait_for_function("() => document.activeElement.classList.contains('annot-match')")
    page.keyboard.press("Enter")  # highlight it
    expect(page.locator("#annot-announce")).to_contain_text("Đã tô sáng một đoạn ở trang 2")
    page.wait_for_selector("#sheet .annot-mark")
    assert covers(member.marks(), member.box_of("thẩm định của Bộ Tư pháp"))
    page.wait_for_function("() => document.activeElement.id === 'annot-find'")

    # A note, still by keyboard: the kind by arrow keys, the passage, the text, Save.
    page.keyboard.type("to chuc thuc hien")
    expect(match).to_have_count(1)
    page.keyboard.press("Tab")  # the kinds: the checked radio
    page.keyboard.press("ArrowRight")
    assert page.is_checked("input[name='annot-kind'][value='note']")
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('annot-match')"):
            break
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'annot-text'")
    page.keyboard.type("Cần phân công rõ cơ quan chủ trì.")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "annot-save":
            break
    page.keyboard.press("Enter")
    expect(page.locator("#annot-form")).to_be_hidden()
    expect(page.locator("#annot-announce")).to_contain_text("Đã lưu chú thích ở trang 2")
    page.wait_for_function("() => document.activeElement.classList.contains('annot-go')")
    expect(page.locator("#annot-list .annot-item")).to_have_count(3)  # with the note shared with them
    assert page.get_attribute("#annot-announce", "role") == "status"
    page.keyboard.press("Escape")
    expect(page.locator("#annotations")).to_be_hidden()
    assert page.evaluate("document.activeElement.id") == "toggle-annotations"
    page.screenshot(path=str(OUTPUT / "annotations-keyboard-1366x900.png"))
    assert axe_violations(page) == []


def test_a_new_version_carries_the_annotations_or_orphans_them(
    reader: Any, server: Server, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    seeded = server.seeded
    member = reader("an-taichinh")
    page = member.page
    member.open(seeded.revised_id)
    url = f"/api/v1/documents/{seeded.revised_id}/annotations"
    for exact, kind in [(KEPT, "highlight"), (GONE, "note")]:
        body = {"version": 1, "kind": kind, "page": 1, "exact": exact, "prefix": "", "suffix": ""}
        if kind == "note":
            body["text"] = "Hỏi Bộ Tài chính về nguồn kinh phí."
        status, made = page.evaluate(CREATE, [url, body])
        assert status == 201, made

    # The secretariat uploads version 2: a line inserted before the kept passage, the other gone.
    office = reader("an-thuky", DESKTOP, touch=False)
    office.go(f"/programme/{seeded.revised_item_id}")
    desk = office.page
    desk.click(f"form[action$='/documents/{seeded.revised_id}/versions'] >> xpath=.. >> summary")
    new_file = tmp_path / "de-an-ban-2.pdf"
    new_file.write_bytes(pdf(NEW))
    desk.set_input_files(f"#version-file-{seeded.revised_id}", str(new_file))
    desk.fill(f"#version-note-{seeded.revised_id}", "Bỏ đoạn kinh phí, thêm khoản thí điểm")
    with desk.expect_navigation():
        desk.click(f"form[action$='/documents/{seeded.revised_id}/versions'] button[type=submit]")

    member.open(seeded.revised_id)
    announce = page.locator("#annot-announce")
    expect(announce).to_contain_text(
        "1 chú thích được chuyển sang bản 2; 1 không tìm thấy đoạn văn (mồ côi)."
    )
    page.wait_for_selector("#sheet .annot-mark")
    assert covers(member.marks(), member.box_of(KEPT))
    member.press("#toggle-annotations")
    expect(page.locator("#annot-summary")).to_contain_text("mồ côi")
    orphan = page.locator("#annot-orphans .annot-item")
    expect(orphan).to_have_count(1)
    expect(orphan).to_contain_text(GONE)
    expect(orphan).to_contain_text("Hỏi Bộ Tài chính về nguồn kinh phí.")
    expect(orphan).to_contain_text("Không tìm thấy đoạn văn này trong bản 2")
    expect(page.locator("#annot-list .annot-item")).to_have_count(1)
    check_layout(page, "carried and orphaned annotations at 768x1024")
    page.screenshot(path=str(OUTPUT / "annotations-carried-768x1024.png"))
    # The orphan is the author's to delete.
    delete = orphan.locator(".annot-delete")
    delete.tap()
    delete.tap()
    expect(orphan).to_have_count(0)
    expect(page.locator("#annot-orphans-block")).to_be_hidden()

    # The old version still opens, and says that only the latest can be annotated.
    member.open(seeded.revised_id, version=1)
    member.press("#toggle-annotations")
    expect(page.locator("#annotations .annot-old")).to_contain_text("bản 2")
    expect(page.locator("#annot-list .annot-item")).to_contain_text("Bản 2")  # where it is now
    assert member.marks() == []  # drawn on the version it is anchored to, not on this one


def test_the_meeting_page_downloads_my_annotations_as_a_pdf(reader: Any, server: Server) -> None:
    member = reader("an-taichinh", DESKTOP, touch=False)
    page = member.page
    member.go(f"/meetings/{server.seeded.meeting_id}")
    link = page.locator("#annotations-pdf-link")
    assert link.inner_text().strip() == "Tải chú thích của tôi (PDF)"
    with page.expect_download() as info:
        link.click()
    download = info.value
    path = download.path()
    assert path is not None
    data = Path(path).read_bytes()
    assert data.startswith(b"%PDF"), data[:20]
