"""No page of a meeting scrolls sideways (issue 14, defect 4): every demo meeting page, as the
secretariat (who sees the read-receipt matrix) and as a member, at 768, 1024, 1366 and 1920 px.
The other pages' widths and raw codes are checked by the crawl of tests/browser/test_a11y.py.

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

from tests.support.browser_server import BrowserScreen, Served, demo_database, seeded_server
from tests.support.page_checks import RAW_CODE, raw_codes

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent.parent
OUTPUT = ROOT / "test-output"
SIZES = [(768, 1024), (1024, 768), (1366, 768), (1920, 1080)]
SCROLL_WIDTH = "() => [document.scrollingElement.scrollWidth, window.innerWidth]"


@dataclass(frozen=True)
class Demo:
    secretariat: tuple[str, str]
    member: tuple[str, str]
    guest: tuple[str, str]


def seed(data_dir: Path) -> Demo:
    from agenda.demo import cast

    with demo_database(data_dir):
        pass
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


def test_meeting_pages_do_not_scroll_sideways(browser: Any, server: Served[Demo]) -> None:
    """Each meeting page is loaded once per role and measured at the four widths."""
    member = screen(browser, server, server.seeded.member, SIZES[0])
    secretariat = screen(browser, server, server.seeded.secretariat, SIZES[0])
    try:
        paths = meeting_paths(secretariat)
        assert len(paths) >= 2, paths
        for path in meeting_paths(member):
            open_papers(member, path)
        OUTPUT.mkdir(exist_ok=True)
        for who, found in (("secretariat", secretariat), ("member", member)):
            for path in meeting_paths(found) if who == "member" else paths:
                found.go(path)
                shown = raw_codes(found.page)
                assert shown == [], f"{who} {path} shows codes {shown}"
                for size in SIZES:
                    found.page.set_viewport_size({"width": size[0], "height": size[1]})
                    width, inner = found.page.evaluate(SCROLL_WIDTH)
                    assert width <= inner, f"{who} {path} at {size}: scrollWidth {width} > {inner}"
                    if who == "secretariat" and path == paths[0]:
                        secretariat.page.screenshot(path=str(OUTPUT / f"meeting-{size[0]}x{size[1]}.png"))
                        secretariat.page.locator("#reading").screenshot(
                            path=str(OUTPUT / f"meeting-reading-{size[0]}x{size[1]}.png")
                        )
                found.page.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})
        assert not [e for e in secretariat.errors + member.errors if "Content Security Policy" in e]
    finally:
        member.context.close()
        secretariat.context.close()


def test_the_audit_page_reads_as_sentences(browser: Any, server: Served[Demo]) -> None:
    """The audit page reads as sentences, the codes beside them (issue 14, defect 7)."""
    secretariat = screen(browser, server, server.seeded.secretariat, (1366, 768))
    try:
        secretariat.go(meeting_paths(secretariat)[0] + "/audit")
        sentences = secretariat.page.locator("#audit-events .audit-sentence").all_inner_texts()
        assert sentences[0].startswith("Tạo phiên họp “"), sentences[0]
        assert any(s.endswith("được thêm vào chương trình.") for s in sentences), sentences
        assert not [s for s in sentences if RAW_CODE.search(s)]
        OUTPUT.mkdir(exist_ok=True)
        secretariat.page.screenshot(path=str(OUTPUT / "audit-1366x768.png"), full_page=True)
    finally:
        secretariat.context.close()
