"""The secretariat's pages in a real browser (issue 14): the programme's filters and its folded
search, a dossier upload (and the same file refused), the agenda builder, and what every page
carries (the header's search box, the breadcrumbs, the icon). Each form is filled and each button
clicked as a person would, at iPad landscape (1024x768) and desktop (1366x768); screenshots go to
test-output/.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser_server import BrowserScreen, Served, check_layout, migrated_database, seeded_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent.parent
OUTPUT = ROOT / "test-output"
SIZES = [{"width": 1024, "height": 768}, {"width": 1366, "height": 768}]
REFUSED = "Failed to load resource: the server responded with a status of {status}"


@dataclass(frozen=True)
class Seeded:
    password: str
    items: dict[str, int]  # code -> programme item id
    meeting_id: int


def seed(data_dir: Path) -> Seeded:
    from tests.support.factories import (
        PASSWORD,
        make_meeting,
        make_member,
        make_programme_item,
        make_user,
    )

    with migrated_database(data_dir) as db:
        chair = make_member(db, full_name="Thủ tướng Chính phủ", title="Thủ tướng", precedence=1)
        minister = make_user(db, "sb-bt", ["member"], full_name="Bộ trưởng Bộ Xây dựng")
        make_user(db, "sb-thuky", ["secretariat"], full_name="Thư ký Văn phòng Chính phủ")
        items = {
            "LDD-1": make_programme_item(
                db,
                code="LDD-1",
                title="Luật Đất đai (sửa đổi)",
                kind="law",
                lead_agency="Bộ Tài nguyên và Môi trường",
                planned_month="2026-12",
            ),
            "ND-NOXH": make_programme_item(
                db,
                code="ND-NOXH",
                title="Nghị định về Nhà ở xã hội",
                kind="decree",
                lead_agency="Bộ Xây dựng",
                planned_month="2026-12",
            ),
            "ND-DLCN": make_programme_item(
                db,
                code="ND-DLCN",
                title="Nghị định về bảo vệ dữ liệu cá nhân",
                kind="decree",
                lead_agency="Bộ Công an",
                planned_month="2027-01",
            ),
        }
        assert chair.id is not None and minister.member_id is not None
        meeting = make_meeting(
            db,
            chair_member_id=chair.id,
            title="Phiên họp Chính phủ thường kỳ tháng 12 năm 2026",
            invitee_member_ids=[chair.id, minister.member_id],
        )
        assert meeting.id is not None
        return Seeded(
            password=PASSWORD, items={code: i.id or 0 for code, i in items.items()}, meeting_id=meeting.id
        )


Server = Served[Seeded]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with seeded_server(tmp_path_factory, "secretariat-data", seed) as served:
        yield served


class Screen(BrowserScreen):
    def shot(self, name: str) -> None:
        OUTPUT.mkdir(exist_ok=True)
        self.page.screenshot(path=str(OUTPUT / f"secretariat-{name}.png"), full_page=True)

    def expect_refused(self, status: int) -> None:
        """The page's own 4xx answer to a refused form is expected, once; nothing else."""
        assert len(self.errors) == 1 and self.errors[0].startswith(REFUSED.format(status=status)), self.errors
        self.errors.clear()


@pytest.fixture
def staff(browser: Any, server: Server, request: pytest.FixtureRequest) -> Iterator[Screen]:
    viewport = getattr(request, "param", SIZES[1])
    screen = Screen(browser, server.url, viewport, password=server.seeded.password, timeout_ms=15_000)
    screen.login("sb-thuky")
    yield screen
    assert screen.errors == [], screen.errors
    screen.context.close()


def size_of(screen: Screen) -> str:
    viewport = screen.page.viewport_size
    return f"{viewport['width']}x{viewport['height']}"


# The header's search box shows its whole placeholder (measured in the input's own font).
PLACEHOLDER_FITS = """() => {
  const input = document.querySelector('#masthead-q');
  const style = getComputedStyle(input);
  const context = document.createElement('canvas').getContext('2d');
  context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return {text: input.placeholder, needs: context.measureText(input.placeholder).width, room};
}"""

# Every mark the breadcrumbs draw, in order.
CRUMB_MARKS = """() => [...document.querySelectorAll('nav.crumbs a')].map(
  (a) => getComputedStyle(a, '::before').content.replaceAll('"', ''))"""


def results(page: Any) -> list[str]:
    return [c.strip() for c in page.locator("#h-results ~ * td.code").all_inner_texts()]


@pytest.mark.parametrize("staff", SIZES, indirect=True, ids=["1024x768", "1366x768"])
def test_the_programme_filters_and_search(staff: Screen, server: Server) -> None:
    from playwright.sync_api import expect

    page = staff.page
    size = size_of(staff)
    fits = page.evaluate(PLACEHOLDER_FITS)
    assert fits["needs"] <= fits["room"], fits
    if size == "1024x768":  # and in iPad portrait
        page.set_viewport_size({"width": 768, "height": 1024})
        fits = page.evaluate(PLACEHOLDER_FITS)
        assert fits["needs"] <= fits["room"], ("768x1024", fits)
        staff.shot("header-768x1024")
        page.set_viewport_size({"width": 1024, "height": 768})
    with page.expect_navigation():
        page.click("nav.mainnav a[href='/programme']")
    assert sorted(results(page)) == ["LDD-1", "ND-DLCN", "ND-NOXH"]
    check_layout(page, f"programme, {size}")
    staff.shot(f"programme-{size}")

    # The search folds case and diacritics (defect 6): typed, then Enter.
    for typed in ("dat dai", "ĐẤT ĐAI", "Đất đai"):
        page.fill("#q", typed)
        with page.expect_navigation():
            page.press("#q", "Enter")
        assert results(page) == ["LDD-1"], typed
        expect(page.locator("#h-results .count")).to_have_text("1")
    staff.shot(f"programme-search-{size}")
    page.fill("#q", "nha o")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert results(page) == ["ND-NOXH"]

    # Each filter, by the button.
    page.fill("#q", "")
    page.select_option("#agency", "Bộ Xây dựng")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert results(page) == ["ND-NOXH"]
    page.select_option("#kind", "law")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert results(page) == []
    expect(page.locator("main")).to_contain_text("Không có đề án nào phù hợp.")
    with page.expect_navigation():
        page.click("form.filters a.btn-quiet")  # Bỏ lọc
    assert len(results(page)) == 3
    page.fill("#month", "2027-01")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert results(page) == ["ND-DLCN"]
    page.fill("#month", "")
    page.select_option("#status", "planned")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert len(results(page)) == 3
    check_layout(page, f"programme filtered, {size}")

    # One "‹" before the trail on a page with one crumb, and one more mark per extra link.
    with page.expect_navigation():
        page.click(f"a[href='/programme/{server.seeded.items['LDD-1']}']")
    assert page.evaluate(CRUMB_MARKS) == ["‹"]
    staff.go(f"/meetings/{server.seeded.meeting_id}/positions")
    assert page.evaluate(CRUMB_MARKS) == ["‹", "›"]


def test_a_dossier_upload_and_the_same_file_again(staff: Screen, server: Server) -> None:
    from playwright.sync_api import expect

    from tests.support.factories import make_pdf

    page = staff.page
    item_id = server.seeded.items["ND-NOXH"]
    staff.go(f"/programme/{item_id}")
    first = {"name": "to-trinh.pdf", "mimeType": "application/pdf", "buffer": make_pdf(2, heading="Tờ trình")}
    page.click("summary:has-text('Tải lên tài liệu')")
    page.set_input_files("#upload-file", first)
    page.select_option("#upload-kind", "submission")
    page.fill("#upload-title", "Tờ trình Chính phủ về Nhà ở xã hội")
    page.fill("#upload-note", "Bản trình lần đầu")
    with page.expect_navigation():
        page.click("form[action$='/documents'] button[type=submit]")
    expect(page.locator(".notice-ok")).to_have_text("Đã tải lên tài liệu.")
    expect(page.locator("main")).to_contain_text("Tờ trình Chính phủ về Nhà ở xã hội")

    # The same file as a new version: refused, in Vietnamese, the form still open.
    page.click("summary:has-text('Tải lên phiên bản mới')")
    page.set_input_files("input[id^='version-file-']", first)
    page.fill("textarea[id^='version-note-']", "Gửi lại")
    with page.expect_navigation():
        page.click("form[action$='/versions'] button[type=submit]")
    expect(page.locator(".notice-error")).to_contain_text(
        "Tệp này giống hệt bản 1 hiện hành của tài liệu; không tạo phiên bản mới."
    )
    staff.expect_refused(409)
    check_layout(page, "same file refused, 1366x768")
    staff.shot("same-file-1366x768")

    # A changed file is the next version.
    second = {**first, "buffer": make_pdf(3, heading="Tờ trình (sửa)")}
    form = page.locator("form[action$='/versions']")
    if not form.is_visible():
        page.click("summary:has-text('Tải lên phiên bản mới')")
    page.set_input_files("input[id^='version-file-']", second)
    page.fill("textarea[id^='version-note-']", "Bổ sung số liệu")
    with page.expect_navigation():
        page.click("form[action$='/versions'] button[type=submit]")
    expect(page.locator(".notice-ok")).to_have_text("Đã tải lên phiên bản mới của tài liệu.")
    expect(page.locator("main")).to_contain_text("Bổ sung số liệu")


def test_the_agenda_builder(staff: Screen, server: Server) -> None:
    from playwright.sync_api import expect

    page = staff.page
    staff.go(f"/meetings/{server.seeded.meeting_id}")
    land = server.seeded.items["LDD-1"]
    page.select_option("#add-programme", str(land))
    page.fill("#add-minutes", "45")
    page.fill("#add-presenter", "Bộ trưởng Bộ Tài nguyên và Môi trường")
    page.check("#add-override")  # its dossier is empty
    with page.expect_navigation():
        page.click("#add-form button[type=submit]")
    expect(page.locator(".notice-ok")).to_have_text("Đã thêm nội dung vào chương trình phiên họp.")
    page.fill("#proc-title", "Thông qua biên bản phiên họp trước")
    page.fill("#proc-minutes", "10")
    with page.expect_navigation():
        page.click("form:has(#proc-title) button[type=submit]")
    expect(page.locator(".agenda-row")).to_have_count(2)

    # Edit the procedural item, then remove it, by its own buttons.
    row = page.locator(".agenda-row").nth(1)
    row.locator("summary:has-text('Sửa')").click()
    row.locator("input[id^='minutes-']").fill("15")
    with page.expect_navigation():
        row.locator("form[action$='/edit'] button[type=submit]").click()
    expect(page.locator(".agenda-row").nth(1)).to_contain_text("15 phút")
    row = page.locator(".agenda-row").nth(1)
    with page.expect_navigation():
        row.locator(".move-up").click()
    expect(page.locator(".agenda-row").nth(0)).to_contain_text("Thông qua biên bản")
    row = page.locator(".agenda-row").nth(0)
    row.locator("summary:has-text('Gỡ')").click()
    with page.expect_navigation():
        row.locator("form[action$='/remove'] button[type=submit]").click()
    expect(page.locator(".notice-ok")).to_have_text("Đã gỡ nội dung khỏi chương trình phiên họp.")
    expect(page.locator(".agenda-row")).to_have_count(1)
    check_layout(page, "agenda builder, 1366x768")
    staff.shot("agenda-builder-1366x768")
    with page.expect_navigation():
        page.click("form.publish-bar button[type=submit]")
    expect(page.locator(".notice-ok")).to_have_text("Đã công bố chương trình phiên họp.")


# The tests below add to the programme (a new item, the demo's 42): they stay after the filters'
# test, which counts the seeded three (each xdist worker runs a module's tests in file order).


def test_the_meeting_details_edited(staff: Screen, server: Server) -> None:
    from playwright.sync_api import expect

    page = staff.page
    path = f"/meetings/{server.seeded.meeting_id}"
    staff.go(path)
    page.click("summary:has-text('Sửa thông tin phiên họp')")
    page.fill("#m-title", "Phiên họp Chính phủ chuyên đề về xây dựng pháp luật")
    page.fill("#m-place", "Phòng họp số 2, Trụ sở Chính phủ")
    page.fill("#m-duration", "180")
    if page.locator("#m-reason").count():  # the agenda builder's test has published it
        page.fill("#m-reason", "Đổi phòng họp theo chỉ đạo của Thủ tướng")
    with page.expect_navigation():
        page.click(f"form[action='{path}/edit'] button[type=submit]")
    expect(page.locator(".notice-ok")).to_have_text("Đã lưu thay đổi.")
    expect(page.locator("h1")).to_have_text("Phiên họp Chính phủ chuyên đề về xây dựng pháp luật")
    expect(page.locator("main")).to_contain_text("Phòng họp số 2, Trụ sở Chính phủ")
    expect(page.locator("main")).to_contain_text("/ 180 phút")
    staff.go(path)  # saved, not just shown
    expect(page.locator("h1")).to_have_text("Phiên họp Chính phủ chuyên đề về xây dựng pháp luật")
    assert page.input_value("#m-place") == "Phòng họp số 2, Trụ sở Chính phủ"


def test_a_new_programme_item_then_edited(staff: Screen, server: Server) -> None:
    from playwright.sync_api import expect

    page = staff.page
    staff.go("/programme/new")
    page.fill("#f-code", "ND-CDS-1")
    page.fill("#f-title", "Nghị định về chuyển đổi số quốc gia")
    page.select_option("#f-kind", "decree")
    page.fill("#f-month", "2027-02")
    page.fill("#f-agency", "Bộ Thông tin và Truyền thông")
    with page.expect_navigation():
        page.click("form[action='/programme/new'] button[type=submit]")
    expect(page.locator(".notice-ok")).to_have_text("Đã tạo thành công.")
    expect(page.locator("h1")).to_have_text("Nghị định về chuyển đổi số quốc gia")
    expect(page.locator(".eyebrow .code")).to_have_text("ND-CDS-1")
    expect(page.locator("dl.facts")).to_contain_text("Bộ Thông tin và Truyền thông")
    item_path = page.url.split("?")[0].removeprefix(server.url)
    assert item_path.startswith("/programme/")

    # Its details, edited in the side card.
    page.fill("#edit-title", "Nghị định về chuyển đổi số quốc gia (sửa đổi)")
    page.fill("#edit-month", "2027-03")
    with page.expect_navigation():
        page.click(f"form[action='{item_path}/edit'] button[type=submit]")
    expect(page.locator(".notice-ok")).to_have_text("Đã lưu thay đổi.")
    expect(page.locator("h1")).to_have_text("Nghị định về chuyển đổi số quốc gia (sửa đổi)")
    expect(page.locator("dl.facts")).to_contain_text("2027")
    staff.go("/programme?q=chuyen doi so")
    assert results(page) == ["ND-CDS-1"]
    expect(page.locator("main")).to_contain_text("Nghị định về chuyển đổi số quốc gia (sửa đổi)")


def test_a_member_asks_to_postpone_an_item(browser: Any, server: Server) -> None:
    from playwright.sync_api import expect

    member = Screen(browser, server.url, SIZES[1], password=server.seeded.password, timeout_ms=15_000)
    try:
        member.login("sb-bt")
        page = member.page
        path = f"/programme/{server.seeded.items['ND-DLCN']}"
        member.go(path)
        expect(page.locator("#h-postpone ~ .empty")).to_have_text("Chưa có đề nghị xin lùi nào.")
        page.click("summary:has-text('Gửi đề nghị xin lùi')")
        page.fill("#postpone-reason", "Cần thêm thời gian lấy ý kiến các bộ, ngành.")
        page.fill("#postpone-month", "2027-04")
        with page.expect_navigation():
            page.click(f"form[action='{path}/postponements'] button[type=submit]")
        expect(page.locator(".notice-ok")).to_have_text("Đã gửi đề nghị xin lùi.")
        request = page.locator("section[aria-labelledby='h-postpone'] .stack-item")
        expect(request).to_have_count(1)
        expect(request).to_contain_text("Cần thêm thời gian lấy ý kiến các bộ, ngành.")
        expect(request).to_contain_text("Bộ trưởng Bộ Xây dựng")
        expect(request.locator(".badge-pending")).to_be_visible()
        assert member.errors == [], member.errors
    finally:
        member.context.close()


def test_the_work_programme_imported_from_csv(staff: Screen, server: Server) -> None:
    from playwright.sync_api import expect

    demo = ROOT / "tests" / "data" / "work-programme.csv"  # the demo's programme (../shared/demo/)
    lines = demo.read_text(encoding="utf-8").splitlines()
    page = staff.page
    staff.go("/programme")
    with page.expect_navigation():
        page.click("a[href='/programme/import']")
    page.set_input_files("#file", str(demo))
    with page.expect_navigation():
        page.click("form[action='/programme/import'] button[type=submit]")
    expect(page.locator(".notice-ok")).to_have_text(
        f"Đã nhập {len(lines) - 1} đề án vào chương trình công tác."
    )
    assert page.url.split("?")[0] == f"{server.url}/programme"
    code, title = lines[1].split(",")[:2]
    page.fill("#q", code)
    with page.expect_navigation():
        page.press("#q", "Enter")
    assert results(page) == [code]
    expect(page.locator("main")).to_contain_text(title)
