"""Signing in Chromium (issue 16): the chair adjourns the session at the console and signs the
resolution there with the PIN of their token (a wrong PIN first, answered in place); the minutes
page then shows who signed and when; the secretariat, on a tablet and by keyboard alone,
finalizes the minutes and signs them. The files downloaded are the signed ones and validate.

A real server runs over a DATA_DIR with five members, a running meeting with two adopted items
and the chair and the secretary enrolled in this test process's SoftHSM2 token folder (the
server inherits SOFTHSM2_CONF).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser_server import BrowserScreen, Served, check_layout, migrated_database, seeded_server
from tests.support.page_checks import axe_violations

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent.parent
OUTPUT = ROOT / "test-output"
PASSWORD = "signing-browser-pass-1"
PIN = "246810"
DESKTOP = {"width": 1366, "height": 900}
TABLET = {"width": 768, "height": 1024}
LIVE = "() => document.documentElement.dataset.live === 'live'"
NAMES = ["Phạm Minh Chính", "Trần Hồng Hà", "Lê Thành Long", "Hồ Đức Phớc", "Bùi Thanh Sơn"]
CONCLUSION = "Thông qua Nghị định; giao Bộ Tài chính hoàn thiện, trình ký ban hành trước ngày 20."


@dataclass(frozen=True)
class Seeded:
    meeting_id: int
    data_dir: Path


def seed(data_dir: Path) -> Seeded:
    from agenda.clock import utcnow
    from agenda.live import presiding
    from agenda.live.presiding import OutcomeSet
    from agenda.meetings import agenda_edits, attendance, meetings, publishing
    from agenda.meetings.agenda_items import AgendaItemCreate
    from agenda.meetings.attendance import AttendanceSet
    from agenda.meetings.meetings import MeetingCreate
    from agenda.people import members
    from agenda.people.accounts import UserCreate, create_user
    from agenda.people.members import MemberCreate
    from agenda.policy import Policy
    from agenda.signing import records, service
    from agenda.signing.config import SigningConfig

    policy = Policy()

    def run(s: Any) -> tuple[int, list[tuple[int, str, str, str]]]:
        ids: list[int] = []
        signers: list[tuple[int, str, str, str]] = []
        for n, name in enumerate(NAMES):
            title = "Thủ tướng Chính phủ" if n == 0 else "Bộ trưởng"
            member = members.create_member(
                session=s, data=MemberCreate(full_name=name, title=title, precedence=n), actor_id=None
            )
            assert member.id is not None
            ids.append(member.id)
            roles = ["chair", "member"] if n == 0 else ["member"]
            user = create_user(
                session=s,
                data=UserCreate(
                    username=f"sg-m{n}", full_name=name, password=PASSWORD, roles=roles, member_id=member.id
                ),
                actor_id=None,
            )
            if n == 0 and user.id is not None:
                signers.append((user.id, "sg-m0", name, title))
        secretary = create_user(
            session=s,
            data=UserCreate(
                username="sg-sec", full_name="Phan Ngọc Ánh", password=PASSWORD, roles=["secretariat"]
            ),
            actor_id=None,
        )
        assert secretary.id is not None
        signers.append((secretary.id, "sg-sec", "Phan Ngọc Ánh", "Văn phòng Chính phủ"))
        meeting = meetings.create_meeting(
            session=s,
            data=MeetingCreate(
                title="Phiên họp Chính phủ chuyên đề xây dựng pháp luật tháng 12 năm 2026",
                kind="thematic",
                starts_at=utcnow() - timedelta(minutes=5),
                duration_minutes=120,
                place="Phòng họp Chính phủ",
                chair_member_id=ids[0],
                invitee_member_ids=ids,
            ),
            actor_id=None,
        )
        assert meeting.id is not None
        items: list[int] = []
        for title in ("Dự thảo Nghị định về quản lý thuế", "Dự án Luật Dữ liệu (sửa đổi)"):
            item = agenda_edits.add_item(
                session=s,
                meeting_id=meeting.id,
                data=AgendaItemCreate(title=title, minutes=30),
                actor_id=None,
                policy=policy,
            )
            assert item.id is not None
            items.append(item.id)
        publishing.publish(session=s, meeting_id=meeting.id, actor_id=None)
        for member_id in ids:
            attendance.set_attendance(
                session=s,
                meeting_id=meeting.id,
                member_id=member_id,
                data=AttendanceSet(status="present"),
                actor_id=None,
                policy=policy,
            )
        presiding.start(session=s, meeting_id=meeting.id, actor_id=None, policy=policy)
        for item_id in items:
            presiding.advance(session=s, meeting_id=meeting.id, to=item_id, actor_id=None)
            presiding.set_outcome(
                session=s,
                agenda_item_id=item_id,
                data=OutcomeSet(outcome="adopted", conclusion=CONCLUSION),
                actor_id=None,
                policy=policy,
            )
        return meeting.id, signers

    with migrated_database(data_dir) as db:
        meeting_id, signers = db.write_sync(run)
        config = SigningConfig(folder=data_dir / "signing")
        for user_id, username, name, title in signers:
            identity = service.enrol(
                config, user_id=user_id, username=username, pin=PIN, common_name=name, title=title
            )
            db.write_sync(partial(records.add_identity, identity=identity, actor_id=None))
    return Seeded(meeting_id=meeting_id, data_dir=data_dir)


Server = Served[Seeded]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with seeded_server(tmp_path_factory, "signing-data", seed) as served:
        yield served


def shot(screen: BrowserScreen, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    screen.page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)


def verified(server: Server, data: bytes) -> dict[str, Any]:
    from agenda.signing.config import SigningConfig
    from agenda.signing.verify import verify_pdf

    trust = SigningConfig(folder=server.seeded.data_dir / "signing").trust()
    # pyHanko's synchronous API runs its own event loop: not on this thread, where Playwright's runs.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(verify_pdf, data, trust.roots, trust.crls).result()


def test_the_chair_signs_the_resolution_from_the_console(browser: Any, server: Server) -> None:
    from playwright.sync_api import expect

    meeting_id = server.seeded.meeting_id
    chair = BrowserScreen(browser, server.url, DESKTOP, password=PASSWORD, timeout_ms=20_000)
    try:
        chair.login("sg-m0")
        page = chair.page
        chair.go(f"/meetings/{meeting_id}/console")
        page.wait_for_function(LIVE)
        expect(page.locator("#console-sign")).to_be_hidden()  # the session is still running
        page.click("#adjourn")
        page.click("#adjourn-confirm")
        expect(page.locator("#meeting-state")).to_have_text("Đã bế mạc")
        sign = page.locator("#console-sign")
        expect(sign).to_be_visible()
        expect(sign).to_contain_text("Ký nghị quyết phiên họp")

        # A wrong PIN: the token refuses it, the message is read out, the field is cleared and focused.
        page.fill("#console-sign-form-pin", "000000")
        page.click("#console-sign-form button[type=submit]")
        error = page.locator("#console-sign-form .sign-error")
        expect(error).to_be_visible()
        expect(error).to_contain_text("Mã PIN không đúng")
        expect(page.locator("#console-sign-form-pin")).to_be_focused()
        expect(page.locator("#console-sign-form-pin")).to_have_value("")

        page.fill("#console-sign-form-pin", PIN)
        page.click("#console-sign-form button[type=submit]")
        expect(page.locator("#console-sign-form .sign-status")).to_contain_text("Đã ký: Phạm Minh Chính")
        expect(page.locator("#console-sign-form-pin")).to_be_hidden()
        assert axe_violations(page) == []
        shot(chair, "signing-console-1366x900")
        page.set_viewport_size(TABLET)
        sign.scroll_into_view_if_needed()
        shot(chair, "signing-console-768x1024")
        page.set_viewport_size(DESKTOP)

        # The resolution as downloaded is the signed one, and it validates against the demo root.
        data = page.request.get(f"{server.url}/api/v1/meetings/{meeting_id}/resolution.pdf").body()
        report = verified(server, data)
        assert report["valid"] is True
        assert [s["signer"] for s in report["signatures"]] == ["Phạm Minh Chính"]

        # The minutes page shows who signed, and when.
        page.click("#minutes-link")
        page.wait_for_url(re.compile(r"/minutes$"))
        listed = page.locator("#resolution-signatures")
        expect(listed).to_have_attribute("data-count", "1")
        expect(listed).to_contain_text("Phạm Minh Chính")
        expect(listed).to_contain_text("Thủ tướng Chính phủ")
        expect(listed).to_contain_text("Ký lúc")
        expect(page.locator("#resolution-pdf")).to_have_text("Tải nghị quyết đã ký (PDF)")
        expect(page.locator("#sign-resolution-form")).to_have_count(0)  # signed once
        assert axe_violations(page) == []
        check_layout(page, "minutes page, desktop")
        shot(chair, "signing-minutes-1366x900")
        assert [e for e in chair.errors if "WebSocket" not in e and "403" not in e] == [], chair.errors
    finally:
        chair.context.close()


def test_the_secretary_finalizes_and_signs_the_minutes_by_keyboard_on_a_tablet(
    browser: Any, server: Server
) -> None:
    from playwright.sync_api import expect

    meeting_id = server.seeded.meeting_id
    secretary = BrowserScreen(browser, server.url, TABLET, password=PASSWORD, touch=True, timeout_ms=20_000)
    try:
        secretary.login("sg-sec")
        page = secretary.page
        secretary.go(f"/meetings/{meeting_id}/minutes")
        expect(page.locator("#minutes-signing")).to_contain_text("Biên bản được ký sau khi chốt.")
        page.click("#finalize")
        with page.expect_navigation():
            page.click("#finalize-yes")
        form = page.locator("#sign-minutes-form")
        expect(form).to_be_visible()
        page.focus("#sign-minutes-form-pin")
        page.keyboard.type(PIN)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.locator("[role=status]").first).to_contain_text("Đã ký số văn bản.")
        listed = page.locator("#minutes-signatures")
        expect(listed).to_have_attribute("data-count", "1")
        expect(listed).to_contain_text("Phan Ngọc Ánh")
        expect(page.locator("#resolution-signatures")).to_contain_text("Phạm Minh Chính")
        assert axe_violations(page) == []
        check_layout(page, "minutes page, tablet")
        page.locator("#signatures").scroll_into_view_if_needed()
        shot(secretary, "signing-minutes-768x1024")
        data = page.request.get(f"{server.url}/api/v1/meetings/{meeting_id}/minutes.pdf").body()
        report = verified(server, data)
        assert report["valid"] is True and [s["signer"] for s in report["signatures"]] == ["Phan Ngọc Ánh"]
    finally:
        secretary.context.close()
