"""No page of a meeting scrolls sideways (issue 14, defect 4): every demo meeting page, as the
secretariat (who sees the read-receipt matrix) and as a member, at 768, 1024, 1366 and 1920 px.

The demo is seeded into a temp DATA_DIR and served by a real uvicorn; a member opens two papers
first, so the matrix holds read receipts. Screenshots go to test-output/meeting-<w>x<h>.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser_server import BrowserScreen, Served, seeded_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent.parent
OUTPUT = ROOT / "test-output"
SIZES = [(768, 1024), (1024, 768), (1366, 768), (1920, 1080)]
RAW_CODE = re.compile(r"\b[a-z]+_[a-z_]+\b|\b[a-z]+\.[a-z_]+=")
SCROLL_WIDTH = "() => [document.scrollingElement.scrollWidth, window.innerWidth]"


@dataclass(frozen=True)
class Demo:
    secretariat: tuple[str, str]
    member: tuple[str, str]
    guest: tuple[str, str]


def seed(data_dir: Path) -> Demo:
    from agenda.db import Database, make_engine, sqlite_url
    from agenda.demo import cast, demo
    from agenda.migrate import upgrade
    from agenda.policy import Policy

    engine = make_engine(sqlite_url(data_dir), pool_size=0)
    upgrade(engine)
    try:
        Database(engine).write_sync(lambda s: demo.seed_demo(session=s, data_dir=data_dir, policy=Policy()))
    finally:
        engine.dispose()
    return Demo(
        secretariat=("thuky", cast.SECRETARIAT_PASSWORD),
        member=("bt.taichinh", cast.MEMBER_PASSWORD),
        guest=("khach", cast.GUEST_PASSWORD),
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served[Demo]]:
    with seeded_server(tmp_path_factory, "widths-data", seed) as served:
        yield served


def screen(browser: Any, server: Served[Demo], who: tuple[str, str], size: tuple[int, int]) -> BrowserScreen:
    found = BrowserScreen(browser, server.url, {"width": size[0], "height": size[1]}, password=who[1])
    found.login(who[0])
    return found


def meeting_paths(found: BrowserScreen) -> list[str]:
    found.go("/meetings")
    hrefs: list[str] = found.page.eval_on_selector_all(
        "a[href^='/meetings/']", "as => as.map(a => a.getAttribute('href'))"
    )
    return sorted({h for h in hrefs if re.fullmatch(r"/meetings/\d+", h)})


def open_papers(found: BrowserScreen, path: str) -> None:
    """Open the first two papers of the meeting, so the matrix has read receipts."""
    found.go(path)
    links: list[str] = found.page.eval_on_selector_all(
        "a.doc-read, a[href$='/read']", "as => as.map(a => a.getAttribute('href'))"
    )
    for href in links[:2]:
        found.go(href)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_meeting_pages_do_not_scroll_sideways(
    browser: Any, server: Served[Demo], size: tuple[int, int]
) -> None:
    member = screen(browser, server, server.seeded.member, size)
    secretariat = screen(browser, server, server.seeded.secretariat, size)
    try:
        paths = meeting_paths(secretariat)
        assert len(paths) >= 2, paths
        for path in meeting_paths(member):
            open_papers(member, path)
        for who, found in (("secretariat", secretariat), ("member", member)):
            for path in meeting_paths(found) if who == "member" else paths:
                found.go(path)
                width, inner = found.page.evaluate(SCROLL_WIDTH)
                assert width <= inner, f"{who} {path} at {size}: scrollWidth {width} > {inner}"
                if size == SIZES[0]:  # raw codes (issue 14, defect 7): once is enough
                    shown = RAW_CODE.findall(found.page.inner_text("main"))
                    assert shown == [], f"{who} {path} shows codes {shown}"
        secretariat.go(paths[0])
        OUTPUT.mkdir(exist_ok=True)
        secretariat.page.screenshot(path=str(OUTPUT / f"meeting-{size[0]}x{size[1]}.png"))
        secretariat.page.locator("#reading").screenshot(
            path=str(OUTPUT / f"meeting-reading-{size[0]}x{size[1]}.png")
        )
        if size == (1366, 768):  # the audit page reads as sentences, the codes beside them
            secretariat.go(paths[0] + "/audit")
            sentences = secretariat.page.locator("#audit-events .audit-sentence").all_inner_texts()
            assert sentences[0].startswith("Tạo phiên họp “"), sentences[0]
            assert any(s.endswith("được thêm vào chương trình.") for s in sentences), sentences
            assert not [s for s in sentences if RAW_CODE.search(s)]
            secretariat.page.screenshot(path=str(OUTPUT / "audit-1366x768.png"), full_page=True)
        assert not [e for e in secretariat.errors + member.errors if "Content Security Policy" in e]
    finally:
        member.context.close()
        secretariat.context.close()


# The text of <main> a person reads: <code> (a CSV header, an event's kind) is for specialists.
PROSE = """() => {
  const main = document.querySelector('main').cloneNode(true);
  for (const el of main.querySelectorAll('code, pre, kbd, script, template')) el.remove();
  return main.textContent;
}"""
SKIP = re.compile(r"^/(logout|api/|static/)|\.(pdf|json|csv)$|/read$|/book")


@pytest.mark.parametrize("who", ["secretariat", "member", "guest"])
def test_no_raw_codes_on_the_pages_a_role_reaches(browser: Any, server: Served[Demo], who: str) -> None:
    """Every page linked from the home page, the menu and the meetings list, and the pages those
    link to, shows labels, never codes such as `adopted_with_changes` (issue 14, defect 7), and
    does not scroll sideways on a portrait tablet (defect 4)."""
    found = screen(browser, server, getattr(server.seeded, who), (768, 1024))
    try:
        seen: set[str] = set()
        queue = ["/", "/meetings"]
        problems: list[str] = []
        while queue and len(seen) < 60:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            response = found.page.goto(server.url + path)
            if (
                response is None
                or response.status >= 400
                or "text/html" not in response.headers.get("content-type", "")
            ):
                continue
            width, inner = found.page.evaluate(SCROLL_WIDTH)
            if width > inner:
                problems.append(f"{path}: scrollWidth {width} > {inner}")
            if found.page.locator("main").count():
                shown = RAW_CODE.findall(found.page.evaluate(PROSE))
                if shown:
                    problems.append(f"{path}: {sorted(set(shown))}")
            links: list[str] = found.page.eval_on_selector_all(
                "a[href^='/']", "as => as.map(a => a.getAttribute('href').split('#')[0].split('?')[0])"
            )
            queue.extend(h for h in links if h and h not in seen and not SKIP.search(h))
        assert len(seen) >= 5, seen  # a guest reaches five pages
        assert problems == [], problems
    finally:
        found.context.close()
