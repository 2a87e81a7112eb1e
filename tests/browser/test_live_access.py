"""The member's tablet and the room display as people with other needs use them (issue 14,
defect 5 and build 14): the display's result fits one screen; the tablet votes by keyboard alone,
its vote buttons are named with the question, and the tablet and the display announce the current
item, a vote opening and a result through live regions; reduced motion stops every transition.

The chair's moves go through the JSON API from a logged-in page (the console is another page's
concern); the tablets and the display are driven and read as their users would.
Screenshots: test-output/display-<w>x<h>.png and test-output/tablet-<w>x<h>.png.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_live import PASSWORD, TITLES, Seeded, seed
from tests.support.browser_server import BrowserScreen, Served, check_layout, seeded_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent.parent
OUTPUT = ROOT / "test-output"
SIZES = [(768, 1024), (1024, 768), (1366, 768), (1920, 1080)]
LIVE = "() => document.documentElement.dataset.live === 'live'"
# A long question, as real ones are: the display must still show the verdict.
QUESTION = (
    "Đồng ý thông qua dự thảo Nghị định quy định chi tiết một số điều của Luật Giao dịch điện tử "
    "về chuyển đổi số trong hoạt động của các cơ quan nhà nước, với các nội dung đã được tiếp thu?"
)
FETCH = """async ([method, url, body, extra]) => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const headers = {"Content-Type": "application/json", "X-CSRF-Token": meta ? meta.content : "", ...extra};
  const payload = body === null ? undefined : JSON.stringify(body);
  const response = await fetch(url, {method, headers, body: payload});
  return [response.status, await response.text()];
}"""

Server = Served[Seeded]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with seeded_server(tmp_path_factory, "access-data", seed) as served:
        yield served


class Screen(BrowserScreen):
    def __init__(self, browser: Any, server: Server, size: tuple[int, int], **kwargs: Any) -> None:
        viewport = {"width": size[0], "height": size[1]}
        super().__init__(browser, server.url, viewport, password=PASSWORD, timeout_ms=15_000, **kwargs)
        self.server = server

    def open(self, screen: str) -> None:
        self.go(f"/meetings/{self.server.seeded.meeting_id}/{screen}")
        self.page.wait_for_function(LIVE)

    def shot(self, name: str) -> None:
        OUTPUT.mkdir(exist_ok=True)
        self.page.screenshot(path=str(OUTPUT / f"{name}.png"))


class Chair(Screen):
    """The chair's moves through the JSON API, from the meeting page (which carries the token)."""

    def __init__(self, browser: Any, server: Server) -> None:
        super().__init__(browser, server, (1366, 768))
        self.login("lv-chair")
        self.go(f"/meetings/{server.seeded.meeting_id}")

    def call(
        self,
        method: str,
        url: str,
        body: Any = None,
        expect: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Any:
        status, text = self.page.evaluate(FETCH, [method, url, body, headers or {}])
        assert status == expect, (method, url, status, text)
        return json.loads(text) if text else None

    def meeting(self, path: str = "") -> str:
        return f"/api/v1/meetings/{self.server.seeded.meeting_id}{path}"

    def ensure_started(self) -> None:
        if self.call("GET", self.meeting())["state"] != "published":
            return
        for member_id in self.server.seeded.members.values():
            self.call("PUT", self.meeting(f"/attendance/{member_id}"), {"status": "present"})
        self.call("POST", self.meeting("/start"))

    def go_to(self, item_id: int) -> None:
        if self.call("GET", self.meeting()).get("current_item_id") != item_id:
            self.call("POST", self.meeting("/advance"), {"to": item_id})

    def ballot(self, vote_id: int, choice: str) -> None:
        self.call(
            "POST",
            f"/api/v1/votes/{vote_id}/ballots",
            {"choice": choice},
            headers={"Idempotency-Key": f"{vote_id}-{choice}"},
        )

    def new_vote(self, item_id: int, question: str = QUESTION) -> int:
        vote = self.call(
            "POST", f"/api/v1/agenda-items/{item_id}/votes", {"question": question, "secret": False}, 201
        )
        vote_id: int = vote["id"]
        self.call("POST", f"/api/v1/votes/{vote_id}/open")
        return vote_id

    def close(self, vote_id: int) -> None:
        self.call("POST", f"/api/v1/votes/{vote_id}/close")


@pytest.fixture
def screens(browser: Any, server: Server) -> Iterator[Any]:
    opened: list[Screen] = []

    def open_screen(kind: str, size: tuple[int, int] = (1366, 768), **kwargs: Any) -> Screen:
        found: Screen = Chair(browser, server) if kind == "chair" else Screen(browser, server, size, **kwargs)
        opened.append(found)
        return found

    yield open_screen
    for found in opened:
        assert not [e for e in found.errors if "Content Security Policy" in e], found.errors
        assert [e for e in found.errors if "WebSocket" not in e] == [], found.errors
        found.context.close()


def in_viewport(page: Any, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    assert box is not None, f"{selector} is not shown"
    assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
    assert box["x"] + box["width"] <= size["width"] + 0.5, (selector, box, size)
    assert box["y"] + box["height"] <= size["height"] + 0.5, (selector, box, size)


def test_the_tablet_votes_by_keyboard_and_announces_the_session(screens: Any, server: Server) -> None:
    from playwright.sync_api import expect

    items = server.seeded.items
    chair = screens("chair")
    tablet = screens("tablet", (1024, 768))
    room = screens("display", (1366, 768))
    tablet.login("lv-m1")
    tablet.open("tablet")
    room.login("lv-display")
    room.open("display")
    chair.ensure_started()
    tablet_news = tablet.page.locator("#live-announce")
    room_news = room.page.locator("#live-announce")
    for region in (tablet_news, room_news):
        expect(region).to_have_attribute("aria-live", "polite")

    # The chair moves to the next item: both screens announce it.
    chair.go_to(items[1])
    expect(tablet_news).to_contain_text(TITLES[1])
    expect(room_news).to_contain_text(TITLES[1])

    # A vote opens: announced, with its question.
    vote_id = chair.new_vote(items[1])
    expect(tablet_news).to_contain_text("Bắt đầu biểu quyết")
    expect(tablet_news).to_contain_text(QUESTION)
    expect(room_news).to_contain_text("Bắt đầu biểu quyết")

    # The vote buttons: named with the question, none pressed yet.
    page = tablet.page
    yes = page.get_by_role("button", name=f"Tán thành: {QUESTION}", exact=True)
    no = page.get_by_role("button", name=f"Không tán thành: {QUESTION}", exact=True)
    abstain = page.get_by_role("button", name=f"Không biểu quyết: {QUESTION}", exact=True)
    for button in (yes, no, abstain):
        expect(button).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_role("group", name=QUESTION)).to_be_visible()

    # Keyboard alone: Tab to "Không tán thành", Enter; the choice is pressed and said in words,
    # focus moves to "Xác nhận"; Shift+Tab back to "Tán thành", Space changes the choice.
    page.locator("body").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.dataset.choice") == "no":
            break
    else:
        pytest.fail("Tab never reached the 'no' button")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), outline
    tablet.shot("tablet-focus-1024x768")
    page.keyboard.press("Enter")
    expect(no).to_have_attribute("aria-pressed", "true")
    expect(yes).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#vote-status")).to_have_text("Bạn chọn: Không tán thành")
    expect(page.locator("#vote-confirm")).to_be_focused()
    for _ in range(6):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("() => document.activeElement.dataset.choice") == "yes":
            break
    page.keyboard.press("Space")
    expect(yes).to_have_attribute("aria-pressed", "true")
    expect(no).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#vote-status")).to_have_text("Bạn chọn: Tán thành")
    expect(page.locator("#vote-confirm")).to_be_focused()
    tablet.shot("tablet-confirm-1024x768")
    page.keyboard.press("Enter")
    expect(page.locator("#vote-status")).to_have_text("Bạn đã biểu quyết: Tán thành")
    expect(page.locator("#vote-done")).to_be_focused()
    # Another ballot moves the count; the focus stays where it was.
    chair.ballot(vote_id, "no")
    expect(page.locator("#vote-progress")).to_have_text("Đã bỏ phiếu 2 / 3")
    expect(page.locator("#vote-done")).to_be_focused()
    check_layout(page, "tablet after voting")

    # The chair closes the vote: the result is announced on both screens.
    chair.close(vote_id)
    expect(tablet_news).to_contain_text("Kết quả biểu quyết")
    expect(tablet_news).to_contain_text(re.compile("Không được thông qua|Được thông qua"))
    expect(room_news).to_contain_text("Kết quả biểu quyết")
    expect(room_news).to_contain_text("Tán thành 1")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_tablet_at_each_size(screens: Any, server: Server, size: tuple[int, int]) -> None:
    from playwright.sync_api import expect

    chair = screens("chair")
    chair.ensure_started()
    chair.go_to(server.seeded.items[1])
    vote_id = chair.new_vote(server.seeded.items[1], "Thông qua dự thảo Nghị định?")
    tablet = screens("tablet", size, touch=True)
    tablet.login("lv-m2")
    tablet.open("tablet")
    expect(tablet.page.locator("#vote-panel")).to_be_visible()
    check_layout(tablet.page, f"tablet {size}")
    tablet.shot(f"tablet-{size[0]}x{size[1]}")
    chair.close(vote_id)


@pytest.mark.parametrize(
    "size", [(1280, 720), (1366, 768), (1920, 1080), (768, 1024), (1024, 768)], ids=lambda s: f"{s[0]}x{s[1]}"
)
def test_the_display_shows_the_whole_result_on_one_screen(
    screens: Any, server: Server, size: tuple[int, int]
) -> None:
    from playwright.sync_api import expect

    chair = screens("chair")
    chair.ensure_started()
    chair.go_to(server.seeded.items[1])
    vote_id = chair.new_vote(server.seeded.items[1])
    chair.ballot(vote_id, "yes")
    chair.close(vote_id)
    speaker = None
    if size == (1280, 720):  # the smallest screen also shows a speaker with the result
        speaker = chair.call("POST", f"/api/v1/agenda-items/{server.seeded.items[1]}/speakers", {}, 201)["id"]
        chair.call("POST", f"/api/v1/speakers/{speaker}/start")
    room = screens("display", size)
    room.login("lv-display")
    room.open("display")
    page = room.page
    expect(page.locator("#display-vote")).to_have_attribute("data-vote", str(vote_id))
    expect(page.locator("#display-verdict")).to_have_text("Không được thông qua")
    expect(page.locator("#display-question")).to_have_text(QUESTION)
    if size[0] >= 1280:  # the projector sizes: the result fits, the page does not scroll
        for selector in ("#display-question", "#bars", "#display-verdict", "#display-title"):
            in_viewport(page, selector)
        # ... and not clipped by the vote box either.
        box, verdict = (page.locator(s).bounding_box() for s in ("#display-vote", "#display-verdict"))
        assert box is not None and verdict is not None
        assert verdict["y"] + verdict["height"] <= box["y"] + box["height"] + 0.5, (verdict, box)
        heights = page.evaluate("() => [document.scrollingElement.scrollHeight, window.innerHeight]")
        assert heights[0] <= heights[1], heights
    # The question is shown whole, not cut at a line limit.
    cut = page.evaluate(
        "() => (q => q.scrollHeight > q.clientHeight + 1)(document.getElementById('display-question'))"
    )
    assert not cut
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= size[0], width
    room.shot(f"display-{size[0]}x{size[1]}")
    if speaker is not None:
        expect(page.locator("#display-speaker")).to_be_visible()
        chair.call("POST", f"/api/v1/speakers/{speaker}/stop")


def test_reduced_motion_stops_transitions_and_animations(screens: Any, server: Server) -> None:
    room = screens("display", (1366, 768))
    room.page.emulate_media(reduced_motion="reduce")
    room.login("lv-display")
    room.open("display")
    tablet = screens("tablet", (1024, 768))
    tablet.page.emulate_media(reduced_motion="reduce")
    tablet.login("lv-m1")
    tablet.open("tablet")
    script = """() => [...document.querySelectorAll('*')].flatMap(el => {
      const s = getComputedStyle(el);
      const times = [s.transitionDuration, s.animationDuration].join(',').split(',');
      return times.some(t => parseFloat(t) > 0.001) ? [el.tagName + '.' + el.className + ' ' + times] : [];
    })"""
    for found in (room, tablet):
        found.page.evaluate("() => document.querySelectorAll('.bar-fill').length")
        assert found.page.evaluate(script) == []
    # Without the preference, the bars still move (so the check above measures something).
    room.page.emulate_media(reduced_motion="no-preference")
    duration = room.page.evaluate(
        "() => getComputedStyle(document.querySelector('.bar-fill')).transitionDuration"
    )
    assert duration != "0s", duration


def test_the_display_goes_full_screen_with_its_button(screens: Any, server: Server) -> None:
    """The room's operator clicks "Toàn màn hình": the page fills the screen and the button, which
    would show on the room's screen, hides until the browser leaves full screen."""
    from playwright.sync_api import expect

    room = screens("display", (1366, 768))
    room.login("lv-display")
    room.open("display")
    page = room.page
    button = page.locator("#fullscreen")
    expect(button).to_be_visible()
    button.click()
    page.wait_for_function("() => document.fullscreenElement === document.documentElement")
    expect(button).to_be_hidden()
    page.evaluate("() => document.exitFullscreen()")
    page.wait_for_function("() => document.fullscreenElement === null")
    expect(button).to_be_visible()
