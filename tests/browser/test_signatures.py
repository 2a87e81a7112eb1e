"""Verifying a signed PDF in a real browser (issue 16, point 2; docs/signatures.md
"Verification"): a member on a tablet in portrait (768x1024, touch) opens "Kiểm tra chữ ký số"
from the navigation, chooses a file signed by two people of the deployment's CA, and reads the
verdict and both signers; a file changed after signing is not valid; the script refuses a file
that is not a PDF before sending it, and takes a dropped file. On a desktop (1366x900), a file
of another CA is "not trusted". axe finds no serious or critical violation on the results; the
tablet keeps 44px targets and never scrolls sideways. Screenshots go to test-output/.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser_server import BrowserScreen, Served, check_layout, migrated_database, seeded_server
from tests.support.page_checks import axe_violations
from tests.support.signed_pdfs import SignedPdfs, make_signed_pdfs

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent.parent
OUTPUT = ROOT / "test-output"
PASSWORD = "signatures-browser-1"
TABLET = {"width": 768, "height": 1024}
DESKTOP = {"width": 1366, "height": 900}


@dataclass(frozen=True)
class Seeded:
    files: SignedPdfs


def seed(data_dir: Path) -> Seeded:
    from agenda.people import members
    from agenda.people.accounts import UserCreate, create_user
    from agenda.people.members import MemberCreate

    def member(s: Any) -> None:
        found = members.create_member(
            session=s, data=MemberCreate(full_name="Bộ trưởng Thử", title="Bộ trưởng"), actor_id=None
        )
        data = UserCreate(
            username="sig-member",
            full_name="Bộ trưởng Thử",
            password=PASSWORD,
            roles=["member"],
            member_id=found.id,
        )
        create_user(session=s, data=data, actor_id=None)

    with migrated_database(data_dir) as db:
        db.write_sync(member)
    # Signed by two people of this DATA_DIR's demo CA (the one the server trusts), and by a stranger;
    # on a thread of its own: pyHanko signs through asyncio.run, which refuses to start in a thread
    # where the shared Chromium's Playwright loop runs (tests/browser/conftest.py).
    with ThreadPoolExecutor(1) as thread:
        other_ca = data_dir.parent / f"{data_dir.name}-other-ca"
        return Seeded(files=thread.submit(make_signed_pdfs, data_dir, other_ca).result())


Server = Served[Seeded]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with seeded_server(tmp_path_factory, "signatures-data", seed) as served:
        yield served


class Screen(BrowserScreen):
    def __init__(
        self, browser: Any, server: Server, viewport: dict[str, int], *, touch: bool = False
    ) -> None:
        super().__init__(browser, server.url, viewport, password=PASSWORD, touch=touch, timeout_ms=20_000)

    def shot(self, name: str) -> None:
        OUTPUT.mkdir(exist_ok=True)
        self.page.screenshot(path=str(OUTPUT / f"signatures-{name}.png"), full_page=True)

    def choose(self, name: str, data: bytes, mime: str = "application/pdf") -> None:
        self.page.set_input_files("#verify-file", files=[{"name": name, "mimeType": mime, "buffer": data}])

    def submit(self) -> None:
        with self.page.expect_navigation():
            self.page.click("#verify-submit")

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


def test_a_member_verifies_a_signed_file_on_a_tablet(screens: Any, server: Server) -> None:
    from playwright.sync_api import expect

    files = server.seeded.files
    tablet = screens(TABLET, touch=True)
    tablet.login("sig-member")
    with tablet.page.expect_navigation():
        tablet.page.click("nav.mainnav a[href='/signatures/verify']")
    expect(tablet.page.locator("h1")).to_have_text("Kiểm tra chữ ký số")
    check_layout(tablet.page, "the verification form")

    # Not a PDF: refused by the script before anything is sent.
    tablet.choose("ghi-chu.txt", b"plain text", "text/plain")
    tablet.page.click("#verify-submit")
    expect(tablet.page.locator("#verify-file-problem")).to_have_text("Tệp đã chọn không phải là tệp PDF.")
    expect(tablet.page.locator("#verify-file")).to_have_attribute("aria-invalid", "true")
    assert tablet.page.url.endswith("/signatures/verify")

    # The file both signed: valid, both signers, the verdict focused.
    tablet.choose("bien-ban-da-ky.pdf", files.two)
    expect(tablet.page.locator("#verify-file-chosen")).to_have_text("Đã chọn: bien-ban-da-ky.pdf")
    tablet.submit()
    heading = tablet.page.locator("#verify-result-heading")
    expect(heading).to_contain_text("Kết quả: Hợp lệ")
    expect(heading).to_be_focused()
    result = tablet.page.locator("#verify-result")
    for name in files.signers:
        expect(result).to_contain_text(name)
    expect(result.locator(".signature")).to_have_count(2)
    expect(result).to_contain_text("(giờ Việt Nam)")
    assert tablet.page.title().startswith("Hợp lệ")
    tablet.accessible()
    check_layout(tablet.page, "a valid result")
    tablet.shot("valid-tablet")

    # One byte changed after signing: not valid, and why.
    tablet.choose("bien-ban-da-sua.pdf", files.tampered)
    tablet.submit()
    expect(heading).to_contain_text("Kết quả: Không hợp lệ")
    expect(result).to_contain_text("Không: nội dung được ký đã bị sửa, hoặc chữ ký bị hỏng.")
    tablet.accessible()
    check_layout(tablet.page, "an invalid result")
    tablet.shot("tampered-tablet")

    # A file dropped on the box is taken as if chosen.
    tablet.page.evaluate(
        """() => {
            const dropped = new DataTransfer();
            dropped.items.add(new File(["%PDF-1.7"], "keo-tha.pdf", {type: "application/pdf"}));
            const zone = document.getElementById("drop-zone");
            const init = {dataTransfer: dropped, bubbles: true, cancelable: true};
            zone.dispatchEvent(new DragEvent("drop", init));
        }"""
    )
    expect(tablet.page.locator("#verify-file-chosen")).to_have_text("Đã chọn: keo-tha.pdf")
    assert tablet.page.evaluate("() => document.getElementById('verify-file').files.length") == 1


def test_a_file_of_another_ca_is_not_trusted_on_a_desktop(screens: Any, server: Server) -> None:
    from playwright.sync_api import expect

    desktop = screens(DESKTOP)
    desktop.login("sig-member")
    desktop.go("/signatures/verify")
    desktop.choose("ca-khac.pdf", server.seeded.files.foreign)
    desktop.submit()
    expect(desktop.page.locator("#verify-result-heading")).to_contain_text("Kết quả: Chưa được tin cậy")
    expect(desktop.page.locator("#verify-result")).to_contain_text("Người Lạ")
    expect(desktop.page.locator("a[href='/pki/root.pem']")).to_be_visible()
    desktop.accessible()
    desktop.shot("untrusted-desktop")
