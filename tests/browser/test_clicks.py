"""The forms of the pages no other browser test drives, clicked as their users would (issue 14,
build 15): accounts and members (admin, secretariat), the search box and the search page, the
programme filter, the copy-code lookup, the minutes' narrative, the language switch and logout.

Served over the same seed as tests/browser/test_a11y.py (the demo plus a live and a held session).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.test_a11y import ROLES, Seeded, seed
from tests.support.browser_server import BrowserScreen, Served, seeded_server

pytestmark = pytest.mark.browser

Server = Served[Seeded]
TABLET = {"width": 1024, "height": 768}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with seeded_server(tmp_path_factory, "clicks-data", seed) as served:
        yield served


@pytest.fixture
def login(browser: Any, server: Server) -> Iterator[Any]:
    opened: list[BrowserScreen] = []

    def open_as(role: str) -> BrowserScreen:
        username, password = ROLES[role]
        screen = BrowserScreen(browser, server.url, TABLET, password=password)
        opened.append(screen)
        screen.login(username)
        return screen

    yield open_as
    for screen in opened:
        assert not [e for e in screen.errors if "Content Security Policy" in e], screen.errors
        screen.context.close()


def submit(screen: BrowserScreen, selector: str) -> None:
    with screen.page.expect_navigation():
        screen.page.click(selector)


def test_admin_creates_an_account_then_edits_it(login: Any) -> None:
    admin = login("admin")
    admin.go("/admin/users")
    with admin.page.expect_navigation():
        admin.page.click("a[href='/admin/users/new']")
    admin.page.fill("#f-username", "khach.moi")
    admin.page.fill("#f-full_name", "Khách Mời Mới")
    admin.page.fill("#f-password", "khach-moi-2026-pass")
    admin.page.check("input[name=roles][value=guest]")
    submit(admin, "form.form button[type=submit]")
    assert "ok=created" in admin.page.url  # the new account's own page
    assert admin.page.input_value("#f-full_name") == "Khách Mời Mới"
    admin.page.fill("#f-full_name", "Khách Mời Đã Sửa")
    submit(admin, "form.form button[type=submit]")
    admin.go("/admin/users")
    assert "Khách Mời Đã Sửa" in admin.page.inner_text("main")


def test_secretariat_adds_a_member_then_edits_them(login: Any) -> None:
    secretariat = login("secretariat")
    secretariat.go("/members")
    with secretariat.page.expect_navigation():
        secretariat.page.click("a[href='/members/new']")
    secretariat.page.fill("#f-full_name", "Lê Văn Thử")
    secretariat.page.fill("#f-title", "Thứ trưởng Bộ Tư pháp")
    submit(secretariat, "form.form button[type=submit]")
    assert "Lê Văn Thử" in secretariat.page.inner_text("main")
    with secretariat.page.expect_navigation():
        secretariat.page.click("main a:text('Lê Văn Thử')")
    secretariat.page.fill("#f-agency", "Bộ Tư pháp")
    submit(secretariat, "form.form button[type=submit]")
    assert "Bộ Tư pháp" in secretariat.page.inner_text("main")


def test_member_searches_from_the_masthead_then_from_the_search_page(login: Any) -> None:
    member = login("member")
    member.go("/")
    member.page.fill("#masthead-q", "đất đai")
    submit(member, ".masthead-search button[type=submit]")
    assert "/search" in member.page.url
    member.page.fill("main form.search-form input[type=search]", "nghị định")
    submit(member, "main form.search-form button[type=submit]")
    assert "ngh%E1%BB%8B" in member.page.url or "nghị" in member.page.url


def test_chair_filters_the_programme(login: Any) -> None:
    chair = login("chair")
    chair.go("/programme")
    chair.page.select_option("#kind", index=1)
    submit(chair, "main form.filters button[type=submit]")
    assert "kind=" in chair.page.url


def test_secretariat_looks_up_an_unknown_copy_code(login: Any) -> None:
    secretariat = login("secretariat")
    secretariat.go("/copies")
    secretariat.page.fill("#code", "ZZZZ-ZZZZ")
    submit(secretariat, "main form.filters button[type=submit]")
    assert "code=ZZZZ-ZZZZ" in secretariat.page.url
    assert secretariat.page.is_visible("main")


def test_secretariat_saves_the_minutes_narrative(login: Any, server: Server) -> None:
    secretariat = login("secretariat")
    secretariat.go(f"/meetings/{server.seeded.adjourned}")
    with secretariat.page.expect_navigation():
        secretariat.page.click("#minutes-link")
    field = secretariat.page.locator("#narrative-form textarea").first
    field.fill("Phiên họp diễn ra đúng chương trình.")
    submit(secretariat, "#save-narrative")
    assert secretariat.page.locator("#narrative-form textarea").first.input_value().startswith("Phiên họp")


def test_language_switch_and_logout_from_the_masthead(login: Any) -> None:
    member = login("member")
    member.go("/meetings")
    submit(member, ".lang-switch button[value=en]")
    assert member.page.get_attribute("html", "lang") == "en"
    submit(member, ".lang-switch button[value=vi]")
    assert member.page.get_attribute("html", "lang") == "vi"
    submit(member, "form[action='/logout'] button")
    assert member.page.url.endswith("/login")
