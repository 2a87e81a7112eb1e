"""A live session in a real browser: Chromium (Debian's package) driven by Playwright.

A real server (uvicorn in a subprocess, with its live hub and WebSocket feed) runs over a temp
DATA_DIR holding a published meeting. Three voting members make up the whole Government here
(quorum 2, a decision needs 2 yes). The chair's console, two members' tablets (portrait and
landscape) and the room display are open at once: the chair takes the roll call, starts the
session and moves through the agenda, and both tablets follow; a member asks to speak and the
display shows the speaker; the chair opens a vote, each tablet votes through its confirm step,
the console's count moves, and on close the display draws the result bars. No CSP violations,
no script errors, no sideways scrolling and 44px touch targets on the tablets. Screenshots go to
test-output/.
"""

from __future__ import annotations

import re
import time
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
PASSWORD = "live-browser-pass-1"
CONSOLE = {"width": 1366, "height": 1000}
PORTRAIT = {"width": 768, "height": 1024}
LANDSCAPE = {"width": 1024, "height": 768}
PRO = {"width": 834, "height": 1194}
DISPLAY = {"width": 1280, "height": 720}
TITLES = [
    "Khai mạc phiên họp",
    "Dự thảo Nghị định về chuyển đổi số",
    "Bế mạc",
    "Nghị quyết về phí (thông qua chung)",
]
QUESTION = "Thông qua dự thảo Nghị định về chuyển đổi số?"
LIVE = "() => document.documentElement.dataset.live === 'live'"


@dataclass(frozen=True)
class Seeded:
    meeting_id: int
    items: list[int]
    members: dict[str, int]  # username -> member id
    document_id: int


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

    policy = Policy()

    def run(s: Any) -> Seeded:
        people = {
            "lv-chair": ("Thủ tướng Trực tiếp", "Thủ tướng", 0, ["chair", "member"]),
            "lv-m1": ("Bộ trưởng Một", "Bộ trưởng Bộ Tư pháp", 1, ["member"]),
            "lv-m2": ("Bộ trưởng Hai", "Bộ trưởng Bộ Tài chính", 2, ["member"]),
        }
        ids: dict[str, int] = {}
        for username, (name, title, precedence, roles) in people.items():
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
                    username=username, full_name=name, password=PASSWORD, roles=roles, member_id=member.id
                ),
                actor_id=None,
            )
        create_user(
            session=s,
            data=UserCreate(
                username="lv-display", full_name="Màn hình phòng họp", password=PASSWORD, roles=["observer"]
            ),
            actor_id=None,
        )
        source = programme.create_item(
            session=s,
            data=ProgrammeItemCreate(
                code="LV-1",
                title=TITLES[1],
                kind="other",
                lead_agency="Bộ Thông tin và Truyền thông",
                planned_month=utcnow().strftime("%Y-%m"),
            ),
            actor_id=None,
        )
        assert source.id is not None
        document, _version = dossier.add_document(
            session=s,
            programme_item_id=source.id,
            kind="submission",
            title="Tờ trình dự thảo Nghị định",
            sha256="b" * 64,
            pages=4,
            size=4000,
            note="",
            actor_id=None,
        )
        meeting = meetings.create_meeting(
            session=s,
            data=MeetingCreate(
                title="Phiên họp Chính phủ thường kỳ (thử trực tiếp)",
                kind="regular",
                starts_at=utcnow() + timedelta(minutes=5),
                duration_minutes=90,
                place="Phòng họp Chính phủ",
                chair_member_id=ids["lv-chair"],
                invitee_member_ids=list(ids.values()),
            ),
            actor_id=None,
        )
        assert meeting.id is not None and document.id is not None
        items = [
            agenda_edits.add_item(
                session=s,
                meeting_id=meeting.id,
                data=AgendaItemCreate(title=TITLES[0], minutes=5),
                actor_id=None,
                policy=policy,
            ),
            agenda_edits.add_item(
                session=s,
                meeting_id=meeting.id,
                data=AgendaItemCreate(programme_item_id=source.id, minutes=45, presenter="Bộ trưởng Một"),
                actor_id=None,
                policy=policy,
            ),
            agenda_edits.add_item(
                session=s,
                meeting_id=meeting.id,
                data=AgendaItemCreate(title=TITLES[2], minutes=5),
                actor_id=None,
                policy=policy,
            ),
            agenda_edits.add_item(
                session=s,
                meeting_id=meeting.id,
                data=AgendaItemCreate(title=TITLES[3], minutes=5, consent=True),
                actor_id=None,
                policy=policy,
            ),
        ]
        publishing.publish(session=s, meeting_id=meeting.id, actor_id=None)
        return Seeded(
            meeting_id=meeting.id,
            items=[i.id for i in items if i.id is not None],
            members=ids,
            document_id=document.id,
        )

    with migrated_database(data_dir) as db:
        return db.write_sync(run)


Server = Served[Seeded]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with seeded_server(tmp_path_factory, "live-data", seed) as served:
        yield served


class Screen(BrowserScreen):
    """A console, a tablet or the room display."""

    def __init__(
        self, browser: Any, server: Server, viewport: dict[str, int], *, touch: bool = False
    ) -> None:
        super().__init__(browser, server.url, viewport, password=PASSWORD, touch=touch, timeout_ms=15_000)
        self.server = server

    def open(self, screen: str) -> None:
        response = self.page.goto(f"{self.server.url}/meetings/{self.server.seeded.meeting_id}/{screen}")
        assert response is not None and response.status == 200, screen
        self.page.wait_for_function(LIVE)

    def shot(self, name: str) -> None:
        OUTPUT.mkdir(exist_ok=True)
        self.page.screenshot(path=str(OUTPUT / f"live-{name}.png"), full_page=True)


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
        # A socket refused or cut is the only error a live screen may log (none is expected).
        assert [e for e in found.errors if "WebSocket" not in e] == [], found.errors
        found.context.close()


def test_a_live_session_across_console_tablets_and_display(screens: Any, server: Server) -> None:
    from playwright.sync_api import expect

    seeded = server.seeded
    chair = screens(CONSOLE)
    one = screens(PORTRAIT, touch=True)
    two = screens(LANDSCAPE, touch=True)
    room = screens(DISPLAY)
    for screen, username, page in (
        (chair, "lv-chair", "console"),
        (one, "lv-m1", "tablet"),
        (two, "lv-m2", "tablet"),
        (room, "lv-display", "display"),
    ):
        screen.login(username)
        screen.open(page)
    console = chair.page

    # The roll call: everyone present gives quorum (2 of 3 needed).
    expect(console.locator("#quorum")).to_have_attribute("data-quorate", "false")
    for member_id in seeded.members.values():
        console.click(f"li[data-member='{member_id}'] button[data-status='present']")
        expect(
            console.locator(f"li[data-member='{member_id}'] button[data-status='present']")
        ).to_have_attribute("aria-pressed", "true")
    expect(console.locator("#quorum")).to_have_attribute("data-quorate", "true")
    expect(console.locator("#quorum")).to_contain_text("3 / 3")

    # Start, then the first item by button and the second by the keyboard.
    console.click("#start-session")
    expect(console.locator("#meeting-state")).to_have_text("Đang họp")
    for tablet in (one, two):
        expect(tablet.page.locator("#meeting-state")).to_have_text("Đang họp")
    # The consent block is adopted in one step, without debate.
    expect(console.locator("#adopt-consent")).to_contain_text("Thông qua nhóm không thảo luận (1)")
    console.click("#adopt-consent")
    expect(console.locator("#adopt-consent")).to_be_hidden()
    for tablet in (one, two):
        expect(tablet.page.locator(f"#item-{seeded.items[3]}")).to_contain_text("Thông qua")
        expect(tablet.page.locator(f"#item-{seeded.items[3]}")).to_contain_text("Đã thảo luận")
    console.click("#next-item")
    expect(console.locator("#current-title")).to_have_text(TITLES[0])
    console.locator("body").press("n")
    expect(console.locator("#current-title")).to_have_text(TITLES[1])
    for tablet in (one, two):
        expect(tablet.page.locator("#now-title")).to_have_text(TITLES[1])
        expect(tablet.page.locator(f"#item-{seeded.items[1]}")).to_have_class(re.compile(r"\bis-current\b"))
        expect(tablet.page.locator(f"#item-{seeded.items[0]}")).not_to_have_class(
            re.compile(r"\bis-current\b")
        )
    expect(room.page.locator("#display-title")).to_have_text(TITLES[1])
    # The current item's paper opens in the reader in one tap.
    expect(one.page.locator(f"#now a.doc-read[href='/documents/{seeded.document_id}/read']")).to_be_visible()
    expect(console.locator("#projected")).to_contain_text("Dự kiến kết thúc")

    # A member asks to speak; the chair gives the floor; the display shows the speaker's timer.
    one.page.tap("#ask-to-speak")
    expect(one.page.locator("#withdraw")).to_be_visible()
    console.locator("#speakers button", has_text="Mời phát biểu").click()
    expect(room.page.locator("#speaker-name")).to_have_text("Bộ trưởng Một")
    expect(room.page.locator("#speaker-timer")).to_have_text(re.compile(r"^\d+:\d\d$"))
    expect(one.page.locator(".speak-now")).to_be_visible()
    console.locator("#speakers button", has_text="Dừng").click()
    expect(room.page.locator("#display-speaker")).to_be_hidden()
    # Another asks, then thinks better of it.
    two.page.tap("#ask-to-speak")
    expect(console.locator("#speakers li", has_text="Bộ trưởng Hai")).to_contain_text("Chờ phát biểu")
    two.page.tap("#withdraw")
    expect(console.locator("#speakers li", has_text="Bộ trưởng Hai")).to_have_count(0)
    expect(two.page.locator("#ask-to-speak")).to_be_visible()

    # The chair prepares a vote and opens it with its button (the console module presses "O").
    vote_reads: list[str] = []  # the tablets learn their eligibility from `vote.opened` itself
    for tablet in (one, two):
        tablet.page.on("request", lambda r: vote_reads.append(r.url) if "/api/v1/votes/" in r.url else None)
    console.click("#new-vote")  # the vote form opens in a dialog
    console.fill("#vote-question", QUESTION)
    console.click("#create-vote")
    card = console.locator(".vote-card[data-state='draft']")
    expect(card).to_contain_text(QUESTION)
    console.click("#votes [data-action='open-vote']")
    expect(console.locator("#votes [data-action='open-vote']")).to_have_count(0)
    expect(console.locator(".vote-card[data-state='open'] .vote-cast")).to_have_text("Đã bỏ phiếu 0 / 3")
    expect(room.page.locator("#display-count")).to_have_text("Đã bỏ phiếu 0 / 3")

    # Each tablet votes through its confirm step; the console's count follows.
    for count, tablet in enumerate((one, two), start=1):
        page = tablet.page
        expect(page.locator("#vote-panel")).to_be_visible()
        expect(page.locator("#vote-question")).to_have_text(QUESTION)
        if count == 1:
            check_layout(page, "tablet vote panel, portrait")
            tablet.shot("tablet-vote-choose")
        if count == 2:
            # The second member hesitates: "no", then "abstain", then "yes"; only the last counts.
            for choice, text in (("no", "Không tán thành"), ("abstain", "Không biểu quyết")):
                page.tap(f"#vote-body .vote-choice.vote-{choice}")
                expect(page.locator(".vote-chosen")).to_contain_text(text)
                expect(page.locator(f".vote-choice.vote-{choice}")).to_have_attribute("aria-pressed", "true")
                expect(page.locator(".vote-choice.vote-yes")).to_have_attribute("aria-pressed", "false")
            cast = console.locator(".vote-card[data-state='open'] .vote-cast")
            expect(cast).to_have_text("Đã bỏ phiếu 1 / 3")  # nothing is sent before the confirm
        page.tap(".vote-choice.vote-yes")
        expect(page.locator(".vote-chosen")).to_contain_text("Tán thành")
        expect(page.locator(".vote-choice.vote-yes")).to_have_attribute("aria-pressed", "true")
        with page.expect_response(lambda r: r.url.endswith("/ballots") and r.status == 200) as answer:
            page.tap("#vote-confirm")
        assert answer.value.request.headers.get("idempotency-key")
        expect(page.locator("#vote-done")).to_have_text("Bạn đã biểu quyết: Tán thành")
        expect(console.locator(".vote-card[data-state='open'] .vote-cast")).to_have_text(
            f"Đã bỏ phiếu {count} / 3"
        )
        expect(room.page.locator("#display-count")).to_have_text(f"Đã bỏ phiếu {count} / 3")
    one.shot("tablet-voted-portrait")
    assert [url for url in vote_reads if not url.endswith("/ballots")] == []

    # The chair closes the vote with its button; the display draws the result.
    console.click("#votes [data-action='close-vote']")
    expect(console.locator("#votes [data-action='close-vote']")).to_have_count(0)
    expect(console.locator(".vote-card[data-state='closed']")).to_contain_text("Được thông qua")
    expect(room.page.locator("#bars")).to_be_visible()
    expect(room.page.locator("#bar-value-yes")).to_have_text("2")
    expect(room.page.locator("#bar-value-no")).to_have_text("0")
    expect(room.page.locator("#display-verdict")).to_have_text("Được thông qua")
    # The yes bar is 2/3 of its track: 2 yes of a total membership of 3 (set through element.style).
    room.page.wait_for_function(
        "() => { const b = document.getElementById('bar-yes').getBoundingClientRect().width;"
        " const t = document.querySelector('.bar-yes .bar-track').getBoundingClientRect().width;"
        " return t > 0 && Math.abs(b / t - 2 / 3) < 0.02; }"
    )
    for tablet in (one, two):
        expect(tablet.page.locator("#vote-panel")).to_be_hidden()
        expect(tablet.page.locator(".tablet-result")).to_contain_text("Được thông qua")
    room.shot("display-result")
    chair.shot("console")
    two.shot("tablet-landscape")

    # The outcome reaches every tablet's agenda.
    console.click("#open-outcome")  # the outcome form opens in a dialog
    console.select_option("#outcome", "adopted_with_changes")
    console.fill("#conclusion", "Giao Bộ Tư pháp hoàn thiện dự thảo.")
    console.click("#save-outcome")
    expect(console.locator("#outcome-status")).to_have_text("Đã ghi kết quả.")
    for tablet in (one, two):
        expect(tablet.page.locator(f"#item-{seeded.items[1]}")).to_contain_text("Thông qua có chỉnh sửa")

    # Every screen built its state from one snapshot and the events after it, by live.js's mirror
    # of agenda/live/live_state.py; it equals the server's fresh view for that viewer, at the same seq.
    for screen in (chair, one, two, room):
        assert_state_matches_the_server(screen.page, seeded.meeting_id)

    # Tablet layouts: no sideways scrolling and 44px targets, in every iPad orientation.
    for tablet, label in ((one, "portrait"), (two, "landscape")):
        check_layout(tablet.page, f"live tablet, {label}")
    one.page.set_viewport_size(PRO)
    check_layout(one.page, "live tablet, 834x1194")
    one.shot("tablet-834")


COMPARE = """async (id) => {
  const response = await fetch(`/api/v1/meetings/${id}/live`, { credentials: "same-origin" });
  const client = window.ecabinetLive;
  return { fresh: await response.json(), seq: client.seq, state: client.state, snapshots: client.snapshots };
}"""


def assert_state_matches_the_server(page: Any, meeting_id: int) -> None:
    deadline = time.monotonic() + 15
    while True:
        found = page.evaluate(COMPARE, meeting_id)
        if found["seq"] == found["fresh"]["seq"] or time.monotonic() > deadline:
            break
    assert found["seq"] == found["fresh"]["seq"]
    assert found["snapshots"] == 1, "the screen reloaded its state instead of applying the events"
    assert found["state"] == found["fresh"]["state"]


def running(console: Any, seeded: Seeded) -> None:
    """Take the roll call and start the session, unless that is done already."""
    from playwright.sync_api import expect

    if console.locator("#start-session").is_visible():
        for member_id in seeded.members.values():
            console.click(f"li[data-member='{member_id}'] button[data-status='present']")
        expect(console.locator("#quorum")).to_have_attribute("data-quorate", "true")
        console.click("#start-session")
    expect(console.locator("#meeting-state")).to_have_text("Đang họp")


def test_the_tablet_resumes_after_a_restart(screens: Any, server: Server) -> None:
    """The socket closes with 1012: the tablet says the server is restarting, retries with backoff,
    resumes from its last seq and applies what it missed meanwhile."""
    from playwright.sync_api import expect

    seeded = server.seeded
    chair = screens(CONSOLE)
    chair.login("lv-chair")
    chair.open("console")
    console = chair.page
    running(console, seeded)

    tablet = screens(PORTRAIT, touch=True)
    sockets: list[Any] = []
    urls: list[str] = []
    down = {"now": False}

    def route(ws: Any) -> None:
        urls.append(ws.url)
        if down["now"]:
            ws.close(code=1012, reason="restarting")
            return
        ws.connect_to_server()
        sockets.append(ws)

    tablet.page.route_web_socket(re.compile(r"/ws/meetings/"), route)
    tablet.login("lv-m2")
    tablet.open("tablet")
    page = tablet.page
    assert "since=" not in urls[0]

    down["now"] = True
    for ws in sockets:
        ws.close(code=1012, reason="restarting")
    expect(page.locator("#live-status")).to_have_text("Máy chủ đang khởi động lại…")
    shown = page.inner_text("#now-title") if page.locator("#now-title").count() else ""
    target = next(i for i, title in zip(seeded.items, TITLES, strict=True) if title != shown)
    console.click(f"#agenda-{target} .agenda-jump")
    title = TITLES[seeded.items.index(target)]
    expect(console.locator("#current-title")).to_have_text(title)
    # Still down: the tablet keeps trying (each try is refused) and still shows the old item.
    tries = len(urls)
    deadline = time.monotonic() + 20
    while len(urls) <= tries:  # evaluate() lets Playwright run the route handler meanwhile
        assert time.monotonic() < deadline, urls
        page.evaluate("() => document.documentElement.dataset.live")
    expect(page.locator("#live-status")).to_have_text("Máy chủ đang khởi động lại…")
    expect(page.locator("#now-title")).not_to_have_text(title)

    down["now"] = False
    page.wait_for_function(LIVE, timeout=30_000)
    expect(page.locator("#now-title")).to_have_text(title)
    expect(page.locator("#live-status")).to_be_hidden()
    assert len(urls) >= 2 and "since=" in urls[-1], urls

    # The chair adjourns, after confirming; the tablet and the console agree with the server.
    console.click("#adjourn")
    expect(console.locator("#adjourn-dialog")).to_be_visible()
    console.click("#adjourn-confirm")
    expect(console.locator("#meeting-state")).to_have_text("Đã bế mạc")
    expect(page.locator("#meeting-state")).to_have_text("Đã bế mạc")
    expect(page.locator("#now")).to_contain_text("Phiên họp đã bế mạc.")
    assert_state_matches_the_server(console, seeded.meeting_id)
    # The tablet resumed by replay: still its first snapshot, and the same state as the server.
    assert_state_matches_the_server(page, seeded.meeting_id)
