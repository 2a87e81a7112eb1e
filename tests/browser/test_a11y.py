"""Every page, for every role of the demo, in a real browser (issue 14, build 14 and "Proven by").

The demo is seeded, plus a session running live (everyone present, the first item current, a
vote open) so that the console, the tablet and the room display show what they show in a
meeting. Each role logs in and the crawler (tests/support/crawler.py) opens every page the role
can reach once (the login page, the same for all, is checked once). On each page, in the same
visit:
- axe-core runs with the WCAG 2.0/2.1/2.2 A and AA rules: zero serious or critical violations;
- no sideways scrolling at 768, 1024, 1366 and 1920 px;
- text at 200% cuts nothing and scrolls nothing sideways (WCAG 1.4.4);
  (these two once per layout: a page whose <main> another role saw on that route with the same
  elements, classes and text lengths, and whose header and menus laid out the same on some page
  before (page_checks.layout), lays out as those did at every width)
- its buttons and forms are listed for the click coverage (test-output/inventory/<role>.json).
Then: prefers-reduced-motion is respected, and the 20 screenshots of the live pages, the
member's home and the meeting page at four sizes go to test-output/screens/.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from agenda.demo import cast
from tests.support import clicks
from tests.support.browser_server import BrowserScreen, Served, demo_database, seeded_server
from tests.support.crawler import Crawl, crawl, route_of
from tests.support.page_checks import axe_violations, layout, raw_codes, sideways, zoomed_text

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent.parent
SCREENS = ROOT / "test-output" / "screens"
SIZES = [(768, 1024), (1024, 768), (1366, 768), (1920, 1080)]

# role -> (username, password), from the demo's cast (agenda/demo/cast.py).
ROLES = {
    "admin": ("admin", cast.ADMIN_PASSWORD),
    "secretariat": ("thuky", cast.SECRETARIAT_PASSWORD),
    "chair": ("chutoa", cast.CHAIR_PASSWORD),
    "member": ("bt.taichinh", cast.MEMBER_PASSWORD),
    "assistant": ("troly.taichinh", cast.ASSISTANT_PASSWORD),
    "guest": ("khach", cast.GUEST_PASSWORD),
    "observer": ("manhinh", cast.OBSERVER_PASSWORD),
    "agency": ("a11y.coquan", "a11y-coquan-2026"),  # made by seed(): the demo has no agency user
}


@dataclass(frozen=True)
class Seeded:
    live: int  # the session running live
    published: int  # the demo's published regular session
    draft: int  # the demo's draft thematic session
    vote: int  # the vote open in the live session
    adjourned: int  # a session held this morning, its minutes to write
    task: int  # a task of the Ministry of Finance with a pending extension request


def seed(data_dir: Path) -> Seeded:
    from sqlmodel import col, select

    from agenda.clock import utcnow
    from agenda.live import presiding
    from agenda.meetings import agenda_edits, attendance, publishing
    from agenda.meetings import meetings as meeting_rows
    from agenda.meetings.agenda_items import AgendaItemCreate
    from agenda.meetings.attendance import AttendanceSet
    from agenda.meetings.meetings import MeetingCreate
    from agenda.models import Meeting, Member, User
    from agenda.policy import Policy
    from agenda.votes import lifecycle
    from agenda.votes.models import VoteCreate

    policy = Policy()

    def running(s: Any) -> Seeded:
        demo_meetings = s.exec(select(Meeting).order_by(col(Meeting.id))).all()
        published = next(m.id for m in demo_meetings if m.state == "published")
        draft = next(m.id for m in demo_meetings if m.state == "draft")
        voters = s.exec(select(Member).where(Member.votes)).all()
        chair = next(m for m in voters if m.precedence == 1)
        guest = s.exec(select(User).where(User.username == "khach")).one()

        def started(title: str, hours: int) -> tuple[Meeting, list[Any]]:
            meeting = meeting_rows.create_meeting(
                session=s,
                data=MeetingCreate(
                    title=title,
                    kind="extraordinary",
                    starts_at=utcnow() - timedelta(hours=hours),
                    duration_minutes=120,
                    place=cast.PLACE,
                    chair_member_id=chair.id,
                    guest_user_ids=[guest.id],
                ),
                actor_id=None,
            )
            assert meeting.id is not None
            items = [
                agenda_edits.add_item(
                    session=s,
                    meeting_id=meeting.id,
                    data=AgendaItemCreate(title=title, minutes=minutes, consent=consent),
                    actor_id=None,
                    policy=policy,
                )
                for title, minutes, consent in (
                    ("Khai mạc phiên họp", 5, False),
                    ("Tình hình kinh tế - xã hội và giải pháp điều hành", 60, False),
                    ("Nghị quyết về lệ phí (thông qua chung)", 5, True),
                    ("Bế mạc", 5, False),
                )
            ]
            publishing.publish(session=s, meeting_id=meeting.id, actor_id=None)
            for member in voters:
                attendance.set_attendance(
                    session=s,
                    meeting_id=meeting.id,
                    member_id=member.id,
                    data=AttendanceSet(status="present"),
                    actor_id=None,
                    policy=policy,
                )
            presiding.start(session=s, meeting_id=meeting.id, actor_id=None, policy=policy)
            return meeting, items

        task = agency_and_task(s)
        held, _ = started("Phiên họp Chính phủ bất thường (đã bế mạc)", 4)
        presiding.adjourn(session=s, meeting_id=held.id or 0, actor_id=None)
        meeting, items = started("Phiên họp Chính phủ bất thường (đang họp)", 0)
        assert meeting.id is not None
        presiding.advance(session=s, meeting_id=meeting.id, to=items[1].id or 0, actor_id=None)
        vote = lifecycle.create(
            session=s,
            agenda_item_id=items[1].id or 0,
            data=VoteCreate(question="Thông qua các giải pháp điều hành?"),
            actor_id=None,
        )
        lifecycle.open_vote(session=s, vote_id=vote.id or 0, actor_id=None, policy=policy)
        return Seeded(
            live=meeting.id,
            published=published,
            draft=draft,
            vote=vote.id or 0,
            adjourned=held.id or 0,
            task=task,
        )

    with demo_database(data_dir) as db:
        return db.write_sync(running)


def agency_and_task(s: Any) -> int:
    """The Ministry of Finance's liaison officer and a task of theirs, its extension pending
    (the task pages with every form: report, decision, cancel)."""
    from agenda.agencies.registry import ensure_agency
    from agenda.clock import local_today
    from agenda.people.accounts import UserCreate, create_user
    from agenda.tasks import lifecycle
    from agenda.tasks.lifecycle import ExtensionCreate, TaskCreate

    finance = ensure_agency(s, "Bộ Tài chính", actor_id=None)
    username, password = ROLES["agency"]
    create_user(
        session=s,
        data=UserCreate(
            username=username,
            full_name="Cán bộ đầu mối Bộ Tài chính",
            password=password,
            roles=["agency"],
            agency_id=finance.id,
        ),
        actor_id=None,
    )
    task = lifecycle.create_task(
        session=s,
        data=TaskCreate(
            title="Báo cáo tình hình giải ngân vốn đầu tư công",
            lead_agency_id=finance.id,
            due_on=local_today() + timedelta(days=10),
            document_number="12/TB-VPCP",
        ),
        actor_id=None,
    )
    lifecycle.request_extension(
        session=s,
        task=task,
        data=ExtensionCreate(reason="Chờ số liệu quý", due_on=local_today() + timedelta(days=40)),
        actor_id=None,
    )
    assert task.id is not None
    return task.id


Server = Served[Seeded]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with seeded_server(tmp_path_factory, "a11y-data", seed) as served:
        yield served


def start_paths(role: str, seeded: Seeded) -> list[str]:
    """Where each role's crawl starts: home, the running session's pages it may open, and pages
    no link leads to."""
    live = f"/meetings/{seeded.live}"
    paths = ["/", "/search?q=ngh%E1%BB%8B+%C4%91%E1%BB%8Bnh"]
    if role != "admin":
        paths += [live, f"/meetings/{seeded.published}"]
    if role in ("chair", "secretariat", "member"):
        paths.append(f"/meetings/{seeded.adjourned}")
    if role in ("chair", "secretariat"):
        paths += [f"{live}/console", f"{live}/display"]
    if role == "secretariat":
        paths += [f"/meetings/{seeded.draft}", "/copies"]
    if role in ("chair", "member", "guest", "assistant"):
        paths.append(f"{live}/tablet")
    if role in ("chair", "secretariat", "member", "agency"):
        paths += ["/tasks", f"/tasks/{seeded.task}"]
    if role == "secretariat":
        paths += ["/tasks/new", f"/meetings/{seeded.adjourned}/tasks/new"]
    if role == "observer":
        paths = ["/", f"{live}/display"]
    if role == "agency":  # the agency's own pages: no meeting is theirs
        paths = ["/", "/agency", "/tasks", f"/tasks/{seeded.task}"]
    return paths


@dataclass
class Found:
    """One role's crawl and what the checks found on its pages."""

    crawl: Crawl = field(default_factory=Crawl)
    axe: list[str] = field(default_factory=list)
    sideways: list[str] = field(default_factory=list)
    zoom: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    inventory: dict[str, list[str]] = field(default_factory=dict)
    laid_out: set[str] = field(default_factory=set)  # the layouts whose widths and zoom are checked


def audit_role(
    browser: Any, server: Server, role: str, *, login_page: bool, laid_out: set[str] | None = None
) -> Found:
    """The role's crawl; with `login_page`, the login page's checks first (the same page for
    every role, so it is checked with the first role only). `laid_out`, shared by the roles:
    the layouts already checked at every width and zoomed."""
    username, password = ROLES[role]
    screen = BrowserScreen(browser, server.url, {"width": 1366, "height": 768}, password=password)
    found = Found(laid_out=set() if laid_out is None else laid_out)
    try:
        page = screen.page
        if login_page:
            page.goto(server.url + "/login")
            check(page, "/login", found)
        screen.login(username)

        def visit(path: str) -> None:
            check(page, path, found)

        found.crawl = crawl(page, server.url, start_paths(role, server.seeded), visit)
    finally:
        screen.context.close()
    clicks.write_inventory(role, found.inventory)
    return found


def check(page: Any, path: str, found: Found) -> None:
    try:
        check_once(page, path, found)
    except Exception as error:  # a page that reloads itself once (a live snapshot): check again
        if "context was destroyed" not in str(error):
            raise
        page.wait_for_load_state()
        check_once(page, path, found)


DESKTOP = {"width": 1366, "height": 768}
LIVE_READY = "() => [undefined, 'live'].includes(document.documentElement.dataset.live)"


def check_once(page: Any, path: str, found: Found) -> None:
    if page.viewport_size != DESKTOP:
        page.set_viewport_size(DESKTOP)
    page.wait_for_function(LIVE_READY, timeout=15000)  # a live page: its first snapshot drawn
    for key in clicks.inventory(page):
        found.inventory.setdefault(key, []).append(path)
    found.axe += [f"{path}: {v}" for v in axe_violations(page)]
    main, rest = layout(page)
    laid_out = {f"main {route_of(urlsplit(path).path)} {main}", f"rest {rest}"}
    if not laid_out <= found.laid_out:
        found.sideways += [f"{path} {p}" for p in sideways(page)]
        found.zoom += [f"{path} {p}" for p in zoomed_text(page)]
        found.laid_out |= laid_out
    if shown := raw_codes(page):
        found.codes.append(f"{path}: {shown}")


@pytest.fixture(scope="module")
def audit(browser: Any, server: Server) -> dict[str, Found]:
    first, laid_out = next(iter(ROLES)), set[str]()
    return {
        role: audit_role(browser, server, role, login_page=role == first, laid_out=laid_out) for role in ROLES
    }


def report(audit: dict[str, Found], attr: str) -> list[str]:
    return [f"[{role}] {line}" for role, found in audit.items() for line in getattr(found, attr)]


def test_every_role_reaches_its_pages(audit: dict[str, Found]) -> None:
    for role, found in audit.items():
        assert len(found.crawl.opened) >= (2 if role == "observer" else 5), (role, found.crawl.opened)
    assert "/meetings/{id}/console" in audit["chair"].crawl.opened
    assert "/meetings/{id}/tablet" in audit["member"].crawl.opened
    assert "/meetings/{id}/display" in audit["observer"].crawl.opened
    assert "/admin/users" in audit["admin"].crawl.opened


def test_every_link_leads_to_a_page(audit: dict[str, Found]) -> None:
    broken = [f"[{role}] {line}" for role, found in audit.items() for line in found.crawl.broken]
    assert broken == [], "\n".join(broken)


def test_no_serious_or_critical_axe_violation_on_any_page(audit: dict[str, Found]) -> None:
    problems = report(audit, "axe")
    assert problems == [], f"{len(problems)} violations (role, page, rule, target):\n" + "\n".join(problems)


def test_no_page_scrolls_sideways_at_768_1024_1366_1920(audit: dict[str, Found]) -> None:
    problems = report(audit, "sideways")
    assert problems == [], "\n".join(problems)


def test_no_raw_codes_on_any_page(audit: dict[str, Found]) -> None:
    """Labels, never codes such as `adopted_with_changes` (issue 14, defect 7)."""
    problems = report(audit, "codes")
    assert problems == [], "\n".join(problems)


def test_text_zoomed_to_200_percent_loses_nothing(audit: dict[str, Found]) -> None:
    problems = report(audit, "zoom")
    assert problems == [], "\n".join(problems)


MOVING = """() => {
  const probe = document.createElement('div');  // a future animation, styled through the CSSOM
  probe.className = 'motion-probe';
  probe.style.transition = 'opacity 1s';
  probe.style.animation = 'none 1s';
  probe.style.animationName = 'spin';
  document.body.append(probe);
  return Array.from(document.querySelectorAll('*')).filter(el => {
  const style = getComputedStyle(el);
  const seconds = (v) => Math.max(...v.split(',').map(parseFloat));
  return (style.animationName !== 'none' && seconds(style.animationDuration) > 0.01)
    || seconds(style.transitionDuration) > 0.01;
}).map(el => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`);
}"""


def test_reduced_motion_stops_animations_and_transitions(browser: Any, server: Server) -> None:
    screen = BrowserScreen(browser, server.url, {"width": 1366, "height": 768}, password=cast.CHAIR_PASSWORD)
    try:
        screen.page.emulate_media(reduced_motion="reduce")
        screen.login("chutoa")
        for path in ("/", f"/meetings/{server.seeded.live}/console", f"/meetings/{server.seeded.live}"):
            screen.go(path)
            assert screen.page.evaluate(MOVING) == [], path
    finally:
        screen.context.close()


SHOTS = [
    ("console", "chair", "/meetings/{live}/console"),
    ("display", "observer", "/meetings/{live}/display"),
    ("tablet", "member", "/meetings/{live}/tablet"),
    ("home", "member", "/"),
    ("meeting", "member", "/meetings/{live}"),
]


def assert_on_screen(page: Any, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    assert box is not None, f"{selector} is not shown"
    assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"], f"{selector} is off screen: {box}"
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"], f"{selector} is off screen: {box}"
    # Not clipped by a scroll box either: its top and bottom edges are what the screen shows there.
    whole = page.locator(selector).evaluate(
        """(el) => {
            const r = el.getBoundingClientRect(), x = r.left + r.width / 2;
            return [r.top + 2, r.bottom - 2].every((y) => el.contains(document.elementFromPoint(x, y)));
        }"""
    )
    assert whole, f"{selector} is cut off by the box it scrolls in"


def test_screenshots_of_the_live_pages_home_and_meeting_at_four_sizes(browser: Any, server: Server) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    written = []
    for role in ("chair", "observer", "member"):
        username, password = ROLES[role]
        screen = BrowserScreen(browser, server.url, {"width": 1366, "height": 768}, password=password)
        try:
            screen.login(username)
            for name, who, path in SHOTS:
                if who != role:
                    continue
                screen.go(path.format(live=server.seeded.live))
                screen.page.wait_for_function(LIVE_READY, timeout=15000)
                for width, height in SIZES:
                    screen.page.set_viewport_size({"width": width, "height": height})
                    screen.page.wait_for_timeout(150)
                    target = SCREENS / f"{name}-{width}x{height}.png"
                    screen.page.screenshot(path=str(target))
                    written.append(target)
                    if name == "console" and height == 768:
                        # The open vote's close button, the chair's next act, is on screen too.
                        assert_on_screen(screen.page, "#votes [data-action=close-vote]")
        finally:
            screen.context.close()
    assert len(written) == 20 and all(p.stat().st_size > 0 for p in written)
