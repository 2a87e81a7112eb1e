"""Briefing books: GET /api/v1/meetings/{id}/book.pdf, built in the PDF pool (agenda/books/briefing.py).

A published meeting with three items (a decree with three papers, a procedural item, a report
restricted to one member) is built for two members; the books are read back with pypdf.
"""

from __future__ import annotations

import io
import pickle
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from fpdf import FPDF
from httpx2 import Response
from pypdf import PdfReader
from sqlmodel import select
from starlette.testclient import TestClient

from agenda.books import briefing
from agenda.books.book_pages import Layout, roman
from agenda.books.briefing import BookError, BookPlan
from agenda.db import Database
from agenda.meetings import dossier
from agenda.papers import copies
from agenda.papers.copies import DocumentCopy, ReadReceipt
from agenda.papers.documents import Document
from agenda.pdf.fonts import subset_font_files
from agenda.people.accounts import User, viewer_of
from agenda.policy import DEFAULT_POLICY
from agenda.storage import store_original
from agenda.viewer import Viewer
from meeting_app.context import AppContext
from tests.support.factories import (
    Actor,
    add_agenda_item,
    login_as,
    make_meeting,
    make_member,
    make_programme_item,
    make_user,
    publish_meeting,
    user_actor,
)

SECRET_TITLE = "Báo cáo tình hình an ninh quốc phòng năm 2026"
SECRET_PAPER = "Báo cáo chuyên đề về an ninh biên giới"


def paper(title: str, pages: int) -> bytes:
    """A small PDF whose every page names its title and number."""
    regular, _bold = subset_font_files()
    pdf = FPDF()
    pdf.add_font("dejavu", "", str(regular))
    pdf.set_font("dejavu", "", 14)
    for page in range(1, pages + 1):
        pdf.add_page()
        pdf.cell(text=f"{title} – trang {page}")
    return bytes(pdf.output())


def add_paper(
    db: Database, data_dir: Path, programme_item_id: int, kind: str, title: str, pages: int
) -> Document:
    data = paper(title, pages)
    sha = store_original(data_dir, data)
    return db.write_sync(
        lambda s: dossier.add_document(
            session=s,
            programme_item_id=programme_item_id,
            kind=kind,
            title=title,
            sha256=sha,
            pages=pages,
            size=len(data),
            note="",
            actor_id=None,
        )[0]
    )


@dataclass
class World:
    meeting_id: int
    item_ids: list[int]  # decree, procedural, restricted report
    titles: list[str]
    papers: dict[int, list[tuple[str, int]]]  # agenda item id -> (title, pages) in book order
    insider: Actor  # a member in the audience of the restricted item
    outsider: Actor  # a member outside it
    secretary: Actor
    insider_user: User
    outsider_user: User
    data_dir: Path

    @property
    def url(self) -> str:
        return f"/api/v1/meetings/{self.meeting_id}/book.pdf"


@pytest.fixture
def world(client: TestClient, db: Database, app_context: AppContext) -> World:
    data_dir = app_context.settings.data_dir
    chair = make_member(db, full_name="Phạm Minh Chính", title="Thủ tướng Chính phủ", precedence=1)
    insider_user = make_user(db, "an", ["member"], full_name="Nguyễn Văn An")
    outsider_user = make_user(db, "binh", ["member"], full_name="Trần Thị Bình")
    assert chair.id and insider_user.member_id and outsider_user.member_id
    secretary = user_actor(client, db, "thuky", ["secretariat"])
    decree = make_programme_item(db, code="ND-01", title="Nghị định về quản lý đất đai", kind="decree")
    report = make_programme_item(db, code="BC-09", title=SECRET_TITLE, kind="report")
    assert decree.id and report.id
    # Added out of DOCUMENT_KINDS order: the book puts them in it.
    add_paper(db, data_dir, decree.id, "appraisal", "Báo cáo thẩm định dự thảo Nghị định", 1)
    add_paper(db, data_dir, decree.id, "submission", "Tờ trình về dự thảo Nghị định", 2)
    add_paper(db, data_dir, decree.id, "draft", "Dự thảo Nghị định về quản lý đất đai", 3)
    add_paper(db, data_dir, report.id, "submission", SECRET_PAPER, 2)
    meeting = make_meeting(
        db,
        chair_member_id=chair.id,
        title="Phiên họp Chính phủ thường kỳ tháng 12 năm 2026",
        invitee_member_ids=[chair.id, insider_user.member_id, outsider_user.member_id],
    )
    assert meeting.id
    first = add_agenda_item(db, meeting.id, programme_item_id=decree.id)
    second = add_agenda_item(db, meeting.id, title="Thông qua biên bản phiên họp trước")
    third = add_agenda_item(
        db, meeting.id, programme_item_id=report.id, restricted_member_ids=[insider_user.member_id]
    )
    publish_meeting(db, meeting.id)
    assert first.id and second.id and third.id
    return World(
        meeting_id=meeting.id,
        item_ids=[first.id, second.id, third.id],
        titles=[first.title, second.title, third.title],
        papers={
            first.id: [
                ("Tờ trình về dự thảo Nghị định", 2),
                ("Dự thảo Nghị định về quản lý đất đai", 3),
                ("Báo cáo thẩm định dự thảo Nghị định", 1),
            ],
            second.id: [],
            third.id: [(SECRET_PAPER, 2)],
        },
        insider=login_as(client, "an"),
        outsider=login_as(client, "binh"),
        secretary=secretary,
        insider_user=insider_user,
        outsider_user=outsider_user,
        data_dir=data_dir,
    )


def fetch_book(actor: Actor, url: str) -> Response:
    """202 with progress first, then poll until the book is there."""
    response = actor.get(url)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "building" and 0 <= body["progress"] <= 100
    assert response.headers["retry-after"] == "1"
    deadline = time.monotonic() + 90
    while response.status_code == 202:
        assert 0 <= response.json()["progress"] <= 100
        assert time.monotonic() < deadline, "the book took too long"
        time.sleep(0.05)
        response = actor.get(url)
    assert response.status_code == 200, response.text
    return response


def texts(reader: PdfReader) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


def outline_of(reader: PdfReader) -> list[tuple[str, list[str]]]:
    """[(item title, [document titles])] from the bookmarks."""
    found: list[tuple[str, list[str]]] = []
    for entry in reader.outline:
        if isinstance(entry, list):
            found[-1] = (found[-1][0], [str(child.title) for child in entry])  # type: ignore[union-attr]
        else:
            found.append((str(entry.title), []))
    return found


def books_of(data_dir: Path, meeting_id: int, user: User) -> list[Path]:
    return sorted((data_dir / "cache" / "books" / str(meeting_id)).glob(f"{user.id}-*.pdf"))


def test_a_members_book(world: World, db: Database) -> None:
    response = fetch_book(world.insider, world.url)
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["accept-ranges"] == "bytes"
    assert "content-encoding" not in response.headers
    assert response.headers["cache-control"].startswith("private")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("inline;") and "filename*=UTF-8''" in disposition
    reader = PdfReader(io.BytesIO(response.content))
    pages = texts(reader)

    # Bookmarks: the items in agenda order (with the agenda's numbers), their papers (in
    # DOCUMENT_KINDS order) as children.
    assert outline_of(reader) == [
        (f"{n + 1}. {world.titles[n]}", [title for title, _ in world.papers[item]])
        for n, item in enumerate(world.item_ids)
    ]
    # Page labels: i, ii for the cover and contents, then 1, 2, ... from the first divider.
    labels = list(reader.page_labels)
    front = labels.index("1")
    assert labels[:front] == [roman(n) for n in range(1, front + 1)] and front == 2
    assert labels[front:] == [str(n) for n in range(1, len(labels) - front + 1)]
    paper_pages = sum(p for papers in world.papers.values() for _, p in papers)
    assert len(reader.pages) == 1 + (front - 1) + len(world.item_ids) + paper_pages

    # The contents point at each item's divider.
    contents = " ".join(pages[1:front])
    for number, title in enumerate(world.titles, start=1):
        found = re.search(re.escape(title) + r"\s*(\d+)", contents)
        assert found is not None, title
        divider = pages[labels.index(found.group(1))]
        assert title in divider and f"NỘI DUNG {number}/3" in divider
    # Each paper follows its item's divider, in order.
    page = front
    for item in world.item_ids:
        page += 1
        for title, count in world.papers[item]:
            for n in range(1, count + 1):
                assert f"{title} – trang {n}" in pages[page], (title, n)
                page += 1

    # The cover, in Vietnamese.
    cover = pages[0]
    for text in ("SỔ TÀI LIỆU HỌP", "Phiên họp Chính phủ thường kỳ tháng 12 năm 2026", "Phạm Minh Chính"):
        assert text in cover
    assert "thứ Năm, ngày 03/12/2026" in cover

    # The stamp (name and copy code) is on every page; the code resolves to this book.
    code = re.search(r"Mã bản: ([A-Z0-9]{4}-[A-Z0-9]{4})", cover)
    assert code is not None
    for n, text in enumerate(pages):
        assert "Nguyễn Văn An" in text and code.group(1) in text, n

    def resolve(s: object) -> DocumentCopy:
        return copies.find_copy(session=s, code=code.group(1))  # type: ignore[arg-type]

    copy = db.read_sync(resolve)
    assert (copy.meeting_id, copy.user_id, copy.document_version_id) == (
        world.meeting_id,
        world.insider_user.id,
        None,
    )

    # One open logged; ranges and HEAD are not opens.
    def receipts(s: object) -> int:
        rows = s.exec(select(ReadReceipt).where(ReadReceipt.copy_id == copy.id)).all()  # type: ignore[attr-defined]
        return len(rows)

    assert db.read_sync(receipts) == 1
    part = world.insider.get(world.url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == response.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(response.content)}"
    assert world.insider.request("HEAD", world.url).status_code == 200
    assert db.read_sync(receipts) == 1
    assert world.insider.get(world.url).status_code == 200
    assert db.read_sync(receipts) == 2


def test_restricted_items_are_left_out_and_books_are_per_recipient(world: World, db: Database) -> None:
    outsider = PdfReader(io.BytesIO(fetch_book(world.outsider, world.url).content))
    everything = " ".join(texts(outsider))
    assert SECRET_TITLE not in everything and SECRET_PAPER not in everything
    assert "BC-09" not in everything
    assert [title for title, _ in outline_of(outsider)] == [f"1. {world.titles[0]}", f"2. {world.titles[1]}"]
    assert "NỘI DUNG 2/3" in everything  # the agenda's numbers; item 3 is a line in the contents
    assert "3. Nội dung không thuộc phạm vi tài liệu của bạn." in everything
    assert "Trần Thị Bình" in everything

    insider = PdfReader(io.BytesIO(fetch_book(world.insider, world.url).content))
    assert SECRET_TITLE in " ".join(texts(insider))
    assert len(insider.pages) == len(outsider.pages) + 1 + 2
    assert books_of(world.data_dir, world.meeting_id, world.outsider_user) != []

    def book_copies(s: object) -> list[DocumentCopy]:
        query = select(DocumentCopy).where(DocumentCopy.meeting_id == world.meeting_id)
        return list(s.exec(query).all())  # type: ignore[attr-defined]

    found = db.read_sync(book_copies)
    assert {c.user_id for c in found} == {world.insider_user.id, world.outsider_user.id}
    assert len({c.code for c in found}) == 2 and len({c.book_hash for c in found}) == 2


def test_a_restricted_item_keeps_the_agenda_numbers(world: World, db: Database) -> None:
    """Issue 14, defect 9: outside a restricted item, the book keeps the agenda's numbers (3
    after 1, not 2) and says in the contents that item 2 is not in this recipient's scope."""
    order = [world.item_ids[0], world.item_ids[2], world.item_ids[1]]  # the restricted item is 2nd
    moved = world.secretary.put(
        f"/api/v1/meetings/{world.meeting_id}/agenda-order",
        json={"agenda_item_ids": order, "reason": "Đổi thứ tự theo chỉ đạo"},
    )
    assert moved.status_code == 200, moved.text
    outsider = PdfReader(io.BytesIO(fetch_book(world.outsider, world.url).content))
    pages = texts(outsider)
    everything = " ".join(pages)
    assert SECRET_TITLE not in everything and SECRET_PAPER not in everything and "BC-09" not in everything
    assert [title for title, _ in outline_of(outsider)] == [f"1. {world.titles[0]}", f"3. {world.titles[1]}"]
    labels = list(outsider.page_labels)
    contents = " ".join(pages[1 : labels.index("1")])
    assert "2. Nội dung không thuộc phạm vi tài liệu của bạn." in contents
    assert re.search(r"1\. " + re.escape(world.titles[0]), contents)
    assert re.search(r"3\. " + re.escape(world.titles[1]), contents)
    assert "NỘI DUNG 1/3" in everything and "NỘI DUNG 3/3" in everything
    assert "NỘI DUNG 2/" not in everything
    assert "2 trong 3 nội dung" in pages[0]

    insider = PdfReader(io.BytesIO(fetch_book(world.insider, world.url).content))
    assert [title for title, _ in outline_of(insider)] == [
        f"1. {world.titles[0]}",
        f"2. {world.titles[2]}",
        f"3. {world.titles[1]}",
    ]
    assert "không thuộc phạm vi" not in " ".join(texts(insider))


def plan_for(db: Database, world: World, user: User) -> BookPlan:
    return plan_for_viewer(db, world, viewer_of(user))


def plan_for_viewer(db: Database, world: World, viewer: Viewer) -> BookPlan:
    return db.read_sync(
        lambda s: briefing.book_inputs(
            session=s,
            meeting_id=world.meeting_id,
            viewer=viewer,
            policy=DEFAULT_POLICY,
            data_dir=world.data_dir,
        )
    )


def test_changes_give_a_new_book(world: World, db: Database) -> None:
    first = fetch_book(world.insider, world.url)
    old = books_of(world.data_dir, world.meeting_id, world.insider_user)
    assert len(old) == 1
    hashes = {plan_for(db, world, world.insider_user).plan_hash}

    # Reordering the published agenda (with a reason): a new book in the new order.
    order = [world.item_ids[1], world.item_ids[0], world.item_ids[2]]
    moved = world.secretary.put(
        f"/api/v1/meetings/{world.meeting_id}/agenda-order",
        json={"agenda_item_ids": order, "reason": "Đổi thứ tự theo chỉ đạo"},
    )
    assert moved.status_code == 200, moved.text
    hashes.add(plan_for(db, world, world.insider_user).plan_hash)
    second = fetch_book(world.insider, world.url)
    reader = PdfReader(io.BytesIO(second.content))
    assert [t for t, _ in outline_of(reader)] == [
        f"1. {world.titles[1]}",
        f"2. {world.titles[0]}",
        f"3. {world.titles[2]}",
    ]
    assert second.content != first.content
    deadline = time.monotonic() + 10
    while old[0].exists() and time.monotonic() < deadline:  # swept once the new one is done
        time.sleep(0.05)
    assert not old[0].exists()

    # An edit after publishing (with a reason) and a new version of a paper: new hashes.
    edited = world.secretary.patch(
        f"/api/v1/agenda-items/{world.item_ids[1]}",
        json={"title": "Thông qua biên bản phiên họp tháng 11", "reason": "Sửa tên"},
    )
    assert edited.status_code == 200, edited.text
    hashes.add(plan_for(db, world, world.insider_user).plan_hash)
    data = paper("Tờ trình về dự thảo Nghị định (bản 2)", 4)
    sha = store_original(world.data_dir, data)
    submission = plan_for(db, world, world.insider_user).items[1].documents[0]
    db.write_sync(
        lambda s: dossier.add_version(
            session=s,
            document_id=submission.document_id,
            sha256=sha,
            pages=4,
            size=len(data),
            note="Bổ sung số liệu",
            actor_id=None,
        )
    )
    plan = plan_for(db, world, world.insider_user)
    hashes.add(plan.plan_hash)
    assert len(hashes) == 4
    assert plan.items[1].documents[0].version == 2
    third = PdfReader(io.BytesIO(fetch_book(world.insider, world.url).content))
    assert len(third.pages) == len(reader.pages) + 2
    assert "Tờ trình về dự thảo Nghị định (bản 2) – trang 4" in " ".join(texts(third))
    # The outsider's plan never depends on the restricted item.
    assert plan_for(db, world, world.outsider_user).plan_hash != plan.plan_hash


def test_who_may_have_a_book(client: TestClient, db: Database, world: World) -> None:
    stranger = user_actor(client, db, "nguoi_la", ["member"])
    assert stranger.get(world.url).status_code == 404
    client.cookies.clear()
    assert client.get(world.url).status_code == 401
    for bad in ("0", "99999999", "2147483648", "abc"):
        assert world.insider.get(f"/api/v1/meetings/{bad}/book.pdf").status_code == 404
    chair_member = make_member(db, full_name="Chủ tọa khác", title="Phó Thủ tướng")
    assert chair_member.id and world.insider_user.member_id
    draft = make_meeting(
        db, chair_member_id=chair_member.id, invitee_member_ids=[world.insider_user.member_id]
    )
    assert draft.id
    add_agenda_item(db, draft.id, title="Mục thủ tục của bản nháp")
    url = f"/api/v1/meetings/{draft.id}/book.pdf"
    assert world.insider.get(url).status_code == 404  # a draft: members see nothing
    staff = fetch_book(world.secretary, url)  # the secretariat may build it
    cover = PdfReader(io.BytesIO(staff.content)).pages[0].extract_text()
    assert "BẢN DỰ THẢO" in cover


def test_a_failed_build_is_a_clear_422(world: World, db: Database) -> None:
    plan = plan_for(db, world, world.insider_user)
    Path(plan.items[0].documents[1].path).unlink()  # an original lost from the disk
    response = world.insider.get(world.url)
    deadline = time.monotonic() + 60
    while response.status_code == 202:
        assert time.monotonic() < deadline
        time.sleep(0.05)
        response = world.insider.get(world.url)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "book_original_missing"
    assert "Dự thảo Nghị định về quản lý đất đai" in error["message"]
    english = world.insider.get(world.url, headers={"Accept-Language": "en"})
    assert english.status_code == 422 and "missing" in english.json()["error"]["message"]


def test_the_book_page(client: TestClient, db: Database, world: World) -> None:
    meeting_page = world.outsider.get(f"/meetings/{world.meeting_id}")
    assert meeting_page.status_code == 200
    assert f'href="/meetings/{world.meeting_id}/book"' in meeting_page.text
    page = world.outsider.get(f"/meetings/{world.meeting_id}/book")
    assert page.status_code == 200
    assert '<progress id="book-progress"' in page.text
    assert f'data-url="{world.url}"' in page.text
    assert re.search(r'<script type="module" src="/static/js/book\.js\?v=\w+"></script>', page.text)
    assert "<script>" not in page.text
    assert client.get("/static/js/book.js").status_code == 200
    stranger = user_actor(client, db, "nguoi_ngoai", ["member"])
    assert stranger.get(f"/meetings/{world.meeting_id}/book").status_code == 404


# --- the domain parts on their own ----------------------------------------------------------------


def test_layout_numbers_the_dividers_and_papers() -> None:
    layout = Layout.of([[2, 3, 1], [], [2]])
    assert layout.dividers == (1, 8, 9)
    assert layout.documents == ((2, 4, 7), (), (10,))
    assert layout.pages == 11
    assert [roman(n) for n in (1, 2, 4, 9, 14, 40)] == ["i", "ii", "iv", "ix", "xiv", "xl"]


def test_plans_and_errors_cross_process_boundaries(world: World, db: Database) -> None:
    plan = plan_for(db, world, world.insider_user)
    assert pickle.loads(pickle.dumps(plan)) == plan
    assert plan == plan_for(db, world, world.insider_user)  # the same inputs, the same hash
    assert [d.kind for d in plan.items[0].documents] == ["submission", "draft", "appraisal"]
    assert plan.starts_at == "08:30, thứ Năm, ngày 03/12/2026"
    assert plan.kind_label == "Phiên họp Chính phủ thường kỳ"
    error = pickle.loads(
        pickle.dumps(BookError("font_missing", "Thiếu {detail}", True, {"detail": "DejaVu"}))
    )
    assert (error.code, error.retry, str(error)) == ("font_missing", True, "Thiếu DejaVu")
    outsider = plan_for(db, world, world.outsider_user)
    assert [i.title for i in outsider.items] == world.titles[:2]
    assert [i.number for i in outsider.items] == [1, 2]
    staff = plan_for_viewer(
        db, world, Viewer(user_id=world.outsider_user.id or 0, roles=frozenset({"secretariat"}))
    )
    assert [i.title for i in staff.items] == world.titles  # the secretariat sees every item
    assert staff.plan_hash != outsider.plan_hash
