"""The member's home as a to-do list (build 12, docs/home.md), in a real browser.

A real server over a temp DATA_DIR: a published session three days ahead with a paper on an open
item, a procedural item, and a restricted item for another member only; an opinion ballot sent
to the Government. The member logs in and finds, on the home page, the ballot to answer, the
two positions to give, the paper to read and the session's time and place (never the
restricted item). They tick the entries off as a person would, by clicking through: answer the
ballot, give a position on the agenda, open the paper in the reader; after each, the home page's
list is shorter. Screenshots at the four sizes go to test-output/home-<w>x<h>.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser_server import BrowserScreen, Served, check_layout, migrated_database, seeded_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent.parent
OUTPUT = ROOT / "test-output"
PASSWORD = "home-browser-pass-1"
SIZES = [(768, 1024), (1024, 768), (1366, 768), (1920, 1080)]
QUESTION = "Thành viên Chính phủ có đồng ý thông qua dự thảo Nghị định về bảo vệ dữ liệu cá nhân không?"
SECRET_TITLE = "Đề án mật về biên giới"
PLACE = "Phòng họp A, Trụ sở Chính phủ"
COMMENT = "Đề nghị bổ sung báo cáo đánh giá tác động."


@dataclass(frozen=True)
class Seeded:
    meeting_id: int
    poll_id: int
    document_id: int
    open_item: int
    procedural_item: int
    secret_item: int


def seed(data_dir: Path) -> Seeded:
    from agenda.clock import utcnow
    from agenda.meetings import agenda_edits, dossier, meetings, publishing
    from agenda.meetings.agenda_items import AgendaItemCreate
    from agenda.meetings.meetings import MeetingCreate
    from agenda.people import members
    from agenda.people.accounts import UserCreate, create_user
    from agenda.people.members import MemberCreate
    from agenda.policy import Policy
    from agenda.polls import poll_lifecycle
    from agenda.polls.opinion_polls import PollCreate
    from agenda.programme import programme
    from agenda.programme.programme import ProgrammeItemCreate
    from agenda.storage import store_original
    from tests.support.factories import make_pdf

    paper = make_pdf(3, heading="Tờ trình dự thảo Nghị định")
    sha256 = store_original(data_dir, paper)

    def run(s: Any) -> Seeded:
        ids: dict[str, int] = {}
        for username, name, precedence in [
            ("home-chair", "Thủ tướng Nhà", 0),
            ("home-tv", "Bộ trưởng Nhà", 1),
            ("home-tv2", "Bộ trưởng Khác", 2),
        ]:
            member = members.create_member(
                session=s,
                data=MemberCreate(full_name=name, title="Bộ trưởng", precedence=precedence),
                actor_id=None,
            )
            assert member.id is not None
            ids[username] = member.id
            create_user(
                session=s,
                data=UserCreate(
                    username=username,
                    full_name=name,
                    password=PASSWORD,
                    roles=["member"],
                    member_id=member.id,
                ),
                actor_id=None,
            )
        month = utcnow().strftime("%Y-%m")
        item = programme.create_item(
            session=s,
            data=ProgrammeItemCreate(
                code="ND-HOME-1",
                title="Nghị định về bảo vệ dữ liệu cá nhân",
                kind="other",
                lead_agency="Bộ Công an",
                planned_month=month,
            ),
            actor_id=None,
        )
        secret = programme.create_item(
            session=s,
            data=ProgrammeItemCreate(
                code="DA-MAT-1",
                title=SECRET_TITLE,
                kind="other",
                lead_agency="Bộ Quốc phòng",
                planned_month=month,
            ),
            actor_id=None,
        )
        assert item.id is not None and secret.id is not None
        document, _version = dossier.add_document(
            session=s,
            programme_item_id=item.id,
            kind="submission",
            title="Tờ trình dự thảo Nghị định",
            sha256=sha256,
            pages=3,
            size=len(paper),
            note="",
            actor_id=None,
        )
        meeting = meetings.create_meeting(
            session=s,
            data=MeetingCreate(
                title="Phiên họp Chính phủ thường kỳ",
                kind="regular",
                starts_at=utcnow() + timedelta(days=3),
                duration_minutes=240,
                place=PLACE,
                chair_member_id=ids["home-chair"],
                invitee_member_ids=list(ids.values()),
            ),
            actor_id=None,
        )
        assert meeting.id is not None
        policy = Policy()
        open_item = agenda_edits.add_item(
            session=s,
            meeting_id=meeting.id,
            data=AgendaItemCreate(programme_item_id=item.id, minutes=30, override_readiness=True),
            actor_id=None,
            policy=policy,
        )
        procedural = agenda_edits.add_item(
            session=s,
            meeting_id=meeting.id,
            data=AgendaItemCreate(title="Thông qua chương trình phiên họp", minutes=5),
            actor_id=None,
            policy=policy,
        )
        secret_item = agenda_edits.add_item(
            session=s,
            meeting_id=meeting.id,
            data=AgendaItemCreate(
                programme_item_id=secret.id,
                minutes=20,
                restricted_member_ids=[ids["home-tv2"]],
                override_readiness=True,
            ),
            actor_id=None,
            policy=policy,
        )
        publishing.publish(session=s, meeting_id=meeting.id, actor_id=None)
        poll = poll_lifecycle.create(
            session=s,
            data=PollCreate(
                programme_item_id=item.id, question=QUESTION, deadline=utcnow() + timedelta(days=2)
            ),
            actor_id=None,
        )
        assert poll.id is not None and document.id is not None
        poll_lifecycle.send(session=s, poll_id=poll.id, actor_id=None)
        return Seeded(
            meeting_id=meeting.id,
            poll_id=poll.id,
            document_id=document.id,
            open_item=open_item.id or 0,
            procedural_item=procedural.id or 0,
            secret_item=secret_item.id or 0,
        )

    with migrated_database(data_dir) as db:
        return db.write_sync(run)


Server = Served[Seeded]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with seeded_server(tmp_path_factory, "home-data", seed) as served:
        yield served


@pytest.fixture
def screens(browser: Any, server: Server) -> Iterator[Any]:
    opened: list[BrowserScreen] = []

    def open_screen(width: int, height: int) -> BrowserScreen:
        found = BrowserScreen(
            browser, server.url, {"width": width, "height": height}, password=PASSWORD, timeout_ms=20_000
        )
        opened.append(found)
        return found

    yield open_screen
    for found in opened:
        assert not [e for e in found.errors if "Content Security Policy" in e], found.errors
        assert found.errors == [], found.errors
        found.context.close()


def entries(page: Any, kind: str) -> list[str]:
    found: list[str] = page.eval_on_selector_all(
        f"[data-todo='{kind}'] a", "els => els.map(e => e.getAttribute('href'))"
    )
    return found


def test_a_member_ticks_off_the_home_to_do_list(screens: Any, server: Server) -> None:
    from playwright.sync_api import expect

    seeded = server.seeded
    member = screens(1366, 768)
    member.login("home-tv")
    page = member.page
    assert page.url.rstrip("/") == server.url
    expect(page.locator("#todo-count")).to_have_text("4 việc")
    assert entries(page, "polls") == [f"/opinion-polls/{seeded.poll_id}"]
    assert entries(page, "positions") == [
        f"/meetings/{seeded.meeting_id}#item-{seeded.open_item}",
        f"/meetings/{seeded.meeting_id}#item-{seeded.procedural_item}",
    ]
    assert entries(page, "papers") == [f"/documents/{seeded.document_id}/read"]
    next_session = page.locator(".todo-next")
    expect(next_session).to_contain_text("Phiên họp Chính phủ thường kỳ")
    expect(next_session).to_contain_text(PLACE)
    assert SECRET_TITLE not in page.inner_text("main")
    assert f"item-{seeded.secret_item}" not in page.content()

    # The screenshots, before anything is ticked off, at the four sizes.
    OUTPUT.mkdir(exist_ok=True)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        check_layout(page, f"member home at {width}x{height}")
        page.screenshot(path=str(OUTPUT / f"home-{width}x{height}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 768})

    # 1. The ballot: from the home page to its form, answered, back home: gone from the list.
    with page.expect_navigation():
        page.click(f"[data-todo-poll='{seeded.poll_id}']")
    page.click("label[for='position-agree']")
    with page.expect_navigation():
        page.click("#answer-submit")
    expect(page.locator(".notice-ok")).to_be_visible()
    with page.expect_navigation():
        page.click("nav a[href='/']")
    expect(page.locator("#todo-count")).to_have_text("3 việc")
    expect(page.locator("[data-todo='polls']")).to_have_count(0)

    # 2. A position: the entry leads to the item's form on the agenda.
    with page.expect_navigation():
        page.click(f"[data-todo-position='{seeded.open_item}']")
    form = page.locator(f"#position-{seeded.open_item}")
    expect(form).to_be_visible()
    form.locator("button[value='no_objection']").click()
    expect(form.locator("[data-position-status]")).to_have_text("Đã ghi ý kiến.")
    member.go("/")
    expect(page.locator("#todo-count")).to_have_text("2 việc")
    assert entries(page, "positions") == [f"/meetings/{seeded.meeting_id}#item-{seeded.procedural_item}"]

    # 3. The paper: opened in the reader, then no longer unread.
    with page.expect_navigation():
        page.click(f"[data-todo-paper='{seeded.document_id}']")
    page.wait_for_selector("#sheet[data-page='1'] canvas")
    member.go("/")
    expect(page.locator("#todo-count")).to_have_text("1 việc")
    expect(page.locator("[data-todo='papers']")).to_have_count(0)
    check_layout(page, "member home, one thing left")
    page.screenshot(path=str(OUTPUT / "home-after.png"), full_page=True)


def test_a_member_objects_and_asks_to_speak(screens: Any, server: Server) -> None:
    """The two other positions, by their buttons on the agenda: an objection with a comment on
    one item and a request to speak on the other; each is marked at once, said in the status
    line, and still there after a reload."""
    from playwright.sync_api import expect

    seeded = server.seeded
    member = screens(1366, 768)
    member.login("home-tv")
    page = member.page
    member.go(f"/meetings/{seeded.meeting_id}")
    objection = page.locator(f"#position-{seeded.procedural_item}")
    objection.locator("summary").click()
    objection.locator("textarea[name=comment]").fill(COMMENT)
    with page.expect_response(lambda r: "/positions/" in r.url and r.request.method == "PUT" and r.ok):
        objection.locator("button[value='object']").click()
    expect(objection.locator("[data-position-status]")).to_have_text("Đã ghi ý kiến.")
    expect(objection.locator("button[value='object']")).to_have_attribute("aria-pressed", "true")
    expect(objection.locator("button[value='no_objection']")).to_have_attribute("aria-pressed", "false")

    speak = page.locator(f"#position-{seeded.open_item}")
    with page.expect_response(lambda r: "/positions/" in r.url and r.request.method == "PUT" and r.ok):
        speak.locator("button[value='wish_to_speak']").click()
    expect(speak.locator("[data-position-status]")).to_have_text("Đã ghi ý kiến.")
    expect(speak.locator("button[value='wish_to_speak']")).to_have_attribute("aria-pressed", "true")

    # Saved on the server: the reloaded page marks the same buttons and keeps the comment.
    page.reload()
    objection = page.locator(f"#position-{seeded.procedural_item}")
    expect(objection.locator("button[value='object']")).to_have_attribute("aria-pressed", "true")
    expect(objection.locator("textarea[name=comment]")).to_have_value(COMMENT)
    speak = page.locator(f"#position-{seeded.open_item}")
    expect(speak.locator("button[value='wish_to_speak']")).to_have_attribute("aria-pressed", "true")
    expect(speak.locator("button[value='no_objection']")).to_have_attribute("aria-pressed", "false")
    # Neither item is left on the home page's to-do list of positions.
    member.go("/")
    expect(page.locator("[data-todo='positions']")).to_have_count(0)
