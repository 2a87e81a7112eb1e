"""Search (docs/search.md): Vietnamese with or without diacritics, on SQLite FTS5 and PostgreSQL
full-text search alike; nothing a viewer may not see; hostile queries; the index follows every
change; `run.py reindex`; text extracted once, in the PDF sandbox.
"""

from __future__ import annotations

import io
import time
import unicodedata
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from agenda.db import Database, make_engine
from agenda.errors import BadPdf
from agenda.live import presiding
from agenda.live.presiding import OutcomeSet
from agenda.meetings import dossier
from agenda.migrate import upgrade
from agenda.papers import documents, pdf_check
from agenda.papers.pdf_check import check_pdf
from agenda.people.accounts import User
from agenda.policy import DEFAULT_POLICY
from agenda.search import queries
from agenda.search.index import DocumentText, SearchEntry
from agenda.search.text_search import Highlighter, fold, index_body, query_terms, snippet
from agenda.storage import store_original
from agenda.viewer import Viewer
from tests.conftest import ENGINES, context_of, fresh_database
from tests.support import pdf_files as pdfs
from tests.support.cli import json_out, run_cli
from tests.support.factories import (
    Actor,
    add_agenda_item,
    login_as,
    make_meeting,
    make_member,
    make_pdf,
    make_programme_item,
    make_ready_item,
    make_user,
    publish_meeting,
    start_meeting,
    user_actor,
)

SECRET_TITLE = "Đề án tuyệt mật về quốc phòng Hải Đăng"
SECRET_CONCLUSION = "Chính phủ thống nhất triển khai phương án Hải Đăng trong quý tới."
SECRET_PAPER = "Phương án bố trí lực lượng Hải Đăng tại vùng biển phía Nam."
OPEN_TITLE = "Nghị định về quản lý hoạt động thương mại điện tử"
DRAFT_TITLE = "Phiên họp chuyên đề Bạch Dương"


def found(actor: Actor, q: str, **params: Any) -> list[dict[str, Any]]:
    response = actor.get("/api/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def kinds(results: list[dict[str, Any]]) -> set[tuple[str, int]]:
    return {(r["type"], r["id"]) for r in results}


# --- folding --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["nghị định", "NGHỊ ĐỊNH", "Nghị Định", "nghi dinh", unicodedata.normalize("NFD", "Nghị định")],
)
def test_fold_removes_diacritics_case_and_the_stroke_of_d(text: str) -> None:
    assert fold(text) == "nghi dinh"


def test_query_terms_keep_only_words() -> None:
    assert query_terms('"nghị" AND định* NEAR( x:y -Đất \x00 ') == [
        "nghi",
        "and",
        "dinh",
        "near",
        "x",
        "y",
        "dat",
    ]
    assert query_terms('*"():-') == []


def test_index_body_holds_each_word_once_and_stays_bounded() -> None:
    assert index_body("Nghị định, nghị quyết; NGHỊ ĐỊNH") == "nghi dinh quyet"
    huge = " ".join(f"tu{n}" for n in range(200_000))
    body = index_body(huge)
    assert len(body) <= 400_000 and len(body.split()) <= 30_000


def test_snippets_come_from_the_original_text_with_highlights() -> None:
    text = "Mở đầu. " * 100 + "Chính phủ ban hành NGHỊ ĐỊNH về chuyển đổi số. " + "Kết thúc. " * 100
    shown, spans = snippet(text, Highlighter(query_terms("nghi dinh chuyen")))
    assert shown.startswith("… ") and shown.endswith(" …")
    assert [shown[a:b] for a, b in spans] == ["NGHỊ", "ĐỊNH", "chuyển"]
    decomposed = unicodedata.normalize("NFD", "Nghị định")
    shown, spans = snippet(decomposed, Highlighter(["nghi", "dinh"]))
    assert len(spans) == 2


# --- finding, on both engines ---------------------------------------------------------------------


def test_a_decree_is_found_with_or_without_diacritics(client: TestClient, db: Database) -> None:
    item = make_programme_item(db, code="ND-TMDT", title=OPEN_TITLE)
    make_programme_item(db, code="L-XD", title="Luật Xây dựng (sửa đổi)")
    secretary = user_actor(client, db, "thuky", ["secretariat"])
    for q in (
        "nghi dinh",
        "Nghị định",
        "NGHỊ ĐỊNH",
        "nghi dinh thuong mai",
        "nghị định thương m",
        "Nghi Đinh",
    ):
        results = found(secretary, q)
        assert [(r["type"], r["id"]) for r in results] == [("programme_item", item.id)], q
        hit = results[0]
        assert hit["title"] == OPEN_TITLE and hit["url"] == f"/programme/{item.id}"
        assert [hit["title"][a:b] for a, b in hit["title_highlights"]][:2] == ["Nghị", "định"]
    assert found(secretary, "luat xay dung")[0]["title"] == "Luật Xây dựng (sửa đổi)"
    assert found(secretary, "ND-TMDT")[0]["id"] == item.id
    assert found(secretary, "nghi dinh", limit=1)[0]["id"] == item.id


def test_titles_holding_the_words_together_come_first(client: TestClient, db: Database) -> None:
    together = make_programme_item(db, title="Nghị định về đăng ký doanh nghiệp")
    apart = make_programme_item(db, title="Nghị quyết về quy định đăng ký doanh nghiệp")  # newer
    secretary = user_actor(client, db, "thuky", ["secretariat"])
    assert [r["id"] for r in found(secretary, "nghi dinh")] == [together.id, apart.id]
    assert [r["id"] for r in found(secretary, "nghị định về đăng k")] == [together.id, apart.id]
    assert [r["id"] for r in found(secretary, "nghi quyet")] == [apart.id]


def test_document_text_is_extracted_at_upload_and_found_without_diacritics(
    client: TestClient, db: Database
) -> None:
    item = make_programme_item(db)
    secretary = user_actor(client, db, "thuky", ["secretariat"])
    pdf = make_pdf(2, heading="Báo cáo đánh giá tác động của chính sách thuế đất")
    response = secretary.post(
        f"/api/v1/programme-items/{item.id}/documents",
        files={"file": ("x.pdf", pdf, "application/pdf")},
        data={"kind": "annex", "title": "Phụ lục số 1"},
    )
    assert response.status_code == 201, response.text
    document_id = response.json()["id"]
    texts = db.read_sync(lambda s: list(s.exec(select(DocumentText)).all()))
    assert len(texts) == 1 and "đánh giá tác động" in texts[0].text
    for q in ("danh gia tac dong", "ĐÁNH GIÁ TÁC ĐỘNG", "chinh sach thue dat"):
        results = found(secretary, q)
        assert ("document", document_id) in kinds(results), q
    hit = next(r for r in found(secretary, "danh gia tac dong") if r["type"] == "document")
    assert hit["title"] == "Phụ lục số 1" and hit["url"] == f"/documents/{document_id}/read"
    assert [hit["snippet"][a:b] for a, b in hit["highlights"]][:3] == ["đánh", "giá", "tác"]
    assert found(secretary, "thue dat nong nghiep") == []  # every word must match


def test_the_index_follows_changes(client: TestClient, db: Database) -> None:
    secretary = user_actor(client, db, "thuky", ["secretariat"])
    item = make_programme_item(db, title="Nghị định về hóa đơn điện tử")
    assert kinds(found(secretary, "hoa don")) == {("programme_item", item.id)}
    renamed = secretary.patch(f"/api/v1/programme-items/{item.id}", json={"title": "Nghị định về chữ ký số"})
    assert renamed.status_code == 200
    assert found(secretary, "hoa don") == []
    assert kinds(found(secretary, "chu ky so")) == {("programme_item", item.id)}

    chair = make_member(db, full_name="Thủ tướng")
    meeting = make_meeting(db, chair_member_id=chair.id or 0, title="Phiên họp thường kỳ tháng Giêng")
    agenda_item = add_agenda_item(db, meeting.id or 0, title="Báo cáo tình hình kinh tế quý một")
    assert kinds(found(secretary, "thang gieng")) == {("meeting", meeting.id)}
    secretary.patch(f"/api/v1/meetings/{meeting.id}", json={"title": "Phiên họp thường kỳ tháng Hai"})
    assert found(secretary, "thang gieng") == []
    assert kinds(found(secretary, "thang hai")) == {("meeting", meeting.id)}
    secretary.patch(f"/api/v1/agenda-items/{agenda_item.id}", json={"title": "Báo cáo quý hai"})
    assert found(secretary, "kinh te quy mot") == []
    assert kinds(found(secretary, "bao cao quy hai")) == {("agenda_item", agenda_item.id)}
    assert secretary.delete(f"/api/v1/agenda-items/{agenda_item.id}").status_code == 204
    assert found(secretary, "bao cao quy hai") == []

    # A new version's text is found (and the document is searched as its latest version).
    pdf = make_pdf(1, heading="Tờ trình về thuế tiêu thụ đặc biệt")
    first = secretary.post(
        f"/api/v1/programme-items/{item.id}/documents",
        files={"file": ("a.pdf", pdf, "application/pdf")},
        data={"kind": "submission", "title": "Tờ trình"},
    ).json()["id"]
    assert ("document", first) in kinds(found(secretary, "tieu thu dac biet"))
    newer = make_pdf(2, heading="Tờ trình về thuế bảo vệ môi trường")
    sent = secretary.post(
        f"/api/v1/documents/{first}/versions",
        files={"file": ("b.pdf", newer, "application/pdf")},
        data={"note": "Đổi phạm vi"},
    )
    assert sent.status_code == 201, sent.text
    assert ("document", first) in kinds(found(secretary, "bao ve moi truong"))
    assert ("document", first) not in kinds(found(secretary, "tieu thu dac biet"))


def test_a_conclusion_is_indexed_when_the_outcome_is_recorded(client: TestClient, db: Database) -> None:
    secretary = user_actor(client, db, "thuky", ["secretariat"])
    chair = make_member(db, full_name="Thủ tướng")
    meeting = make_meeting(db, chair_member_id=chair.id or 0)
    assert meeting.id
    agenda_item = add_agenda_item(db, meeting.id, title="Tình hình phòng chống thiên tai")
    publish_meeting(db, meeting.id)
    start_meeting(db, meeting.id)
    conclusion = "Giao các bộ khẩn trương khắc phục hậu quả bão lũ."
    response = secretary.post(
        f"/api/v1/agenda-items/{agenda_item.id}/outcome", json={"outcome": "noted", "conclusion": conclusion}
    )
    assert response.status_code == 200, response.text
    results = found(secretary, "khac phuc hau qua bao lu")
    assert kinds(results) == {("conclusion", agenda_item.id)}
    assert results[0]["snippet"] == conclusion
    assert results[0]["url"] == f"/meetings/{meeting.id}#item-{agenda_item.id}"


# --- hostile input ----------------------------------------------------------------------------------

HOSTILE = [
    '"',
    '"nghi',
    "*",
    "nghi*",
    "NEAR(nghi dinh",
    "NEAR(",
    "AND OR NOT",
    "nghi AND OR dinh",
    "-nghi",
    "- - -",
    "title:nghi",
    ":",
    "(((",
    "nghi) OR (1=1",
    "\x00",
    "nghi\x00dinh",
    "'; DROP TABLE search_entry; --",
    "1' OR '1'='1",
    "nghi & dinh | !x <-> y:*",
    "\\",
    "%_%",
    "^nghi",
    "{nghi dinh}",
    "🙂 nghị",
    "\u202enghi",
    "ⅷ ﬁ ½",
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_never_fail(shared_client: TestClient, shared_db: Database, q: str) -> None:
    actor = _hostile_actor(shared_client, shared_db)
    response = actor.get("/api/v1/search", params={"q": q})
    assert response.status_code in (200, 400), (q, response.text)
    if response.status_code == 200:
        assert isinstance(response.json()["results"], list)
    else:
        assert response.json()["error"]["code"] == "query_required"
    page = actor.get("/search", params={"q": q})
    assert page.status_code in (200, 400), q


def _hostile_actor(client: TestClient, db: Database) -> Actor:
    """A secretary on the module's shared database (made once), with something to find."""
    username = "timkiem"
    if db.read_sync(lambda s: s.exec(select(User).where(User.username == username)).first()) is None:
        make_programme_item(db, title="Nghị định về dữ liệu")
        make_user(db, username, ["secretariat"])
    return login_as(client, username)


def test_bad_lengths_and_limits_are_400(shared_client: TestClient, shared_db: Database) -> None:
    actor = _hostile_actor(shared_client, shared_db)
    for q, code in (("", "query_required"), ("   ", "query_required"), ("x" * 201, "query_too_long")):
        response = actor.get("/api/v1/search", params={"q": q})
        assert response.status_code == 400 and response.json()["error"]["code"] == code, q
    long = actor.get("/api/v1/search", params={"q": "nghi " * 2000})
    assert long.status_code == 400 and long.json()["error"]["code"] == "query_too_long"
    assert "200" in long.json()["error"]["message"]
    assert actor.get("/api/v1/search").status_code == 400
    assert actor.get("/api/v1/search", params={"q": " " + "x" * 200 + " "}).status_code == 200
    for limit in ("0", "51", "-1", "abc", "1e3", "٣", "9" * 30):
        response = actor.get("/api/v1/search", params={"q": "nghi", "limit": limit})
        assert response.status_code == 400 and response.json()["error"]["code"] == "bad_limit", limit
    assert actor.get("/api/v1/search", params={"q": "nghi", "limit": "50"}).status_code == 200
    assert actor.get("/search", params={"q": "nghi " * 2000}).status_code == 400


def test_anonymous_gets_401(client: TestClient) -> None:
    assert client.get("/api/v1/search", params={"q": "nghi"}).status_code == 401


# --- visibility ------------------------------------------------------------------------------------


@dataclass
class World:
    secretariat: Actor
    chair: Actor
    in_audience: Actor
    outside: Actor  # invited, outside the restricted item's audience
    assistant: Actor  # assistant of `in_audience`
    guest: Actor
    observer: Actor
    uninvited: Actor
    secret_programme_id: int
    secret_item_id: int
    secret_document_id: int
    open_item_id: int
    open_document_id: int
    meeting_id: int
    draft_id: int


@pytest.fixture(scope="module")
def world(shared_client: TestClient, shared_db: Database) -> World:
    client, db = shared_client, shared_db
    pm = make_member(db, full_name="Thủ tướng", precedence=1)
    make_user(db, "v_thuky", ["secretariat"])
    make_user(db, "v_chutoa", ["chair"], member_id=pm.id)
    audience = make_user(db, "v_trongnhom", ["member"])
    outside = make_user(db, "v_ngoainhom", ["member"])
    make_user(db, "v_troly", ["assistant"], member_id=audience.member_id)
    guest = make_user(db, "v_khach", ["guest"])
    make_user(db, "v_quansat", ["observer"])
    make_user(db, "v_khongmoi", ["member"])
    assert pm.id and audience.member_id and outside.member_id and guest.id
    people: dict[str, Any] = {
        "chair_member_id": pm.id,
        "invitee_member_ids": [audience.member_id, outside.member_id],
        "guest_user_ids": [guest.id],
    }
    meeting = make_meeting(db, title="Phiên họp Chính phủ thường kỳ tháng Mười", **people)
    draft = make_meeting(db, title=DRAFT_TITLE, **people)
    assert meeting.id and draft.id
    secret_source = make_ready_item(db, code="MAT-HD", title=SECRET_TITLE, lead_agency="Bộ Quốc phòng")
    open_source = make_ready_item(db, code="ND-TM", title=OPEN_TITLE, lead_agency="Bộ Công Thương")
    assert secret_source.id and open_source.id

    def paper(programme_item_id: int, title: str, text: str) -> int:
        def add(s: Session) -> int:
            document, _ = dossier.add_document(
                session=s,
                programme_item_id=programme_item_id,
                kind="annex",
                title=title,
                sha256="a" * 64,
                pages=1,
                size=100,
                note="",
                actor_id=None,
                text=text,
            )
            assert document.id
            return document.id

        return db.write_sync(add)

    secret_document = paper(secret_source.id, "Phụ lục mật", SECRET_PAPER)
    open_document = paper(open_source.id, "Phụ lục công khai", "Thương mại điện tử xuyên biên giới.")
    secret_item = add_agenda_item(
        db, meeting.id, programme_item_id=secret_source.id, restricted_member_ids=[audience.member_id]
    )
    open_item = add_agenda_item(db, meeting.id, programme_item_id=open_source.id)
    add_agenda_item(db, draft.id, title="Nội dung Bạch Dương của phiên dự thảo")
    publish_meeting(db, meeting.id)
    assert secret_item.id and open_item.id

    start_meeting(db, meeting.id)

    def conclude(s: Session) -> None:
        presiding.set_outcome(
            session=s,
            agenda_item_id=secret_item.id or 0,
            data=OutcomeSet(outcome="adopted", conclusion=SECRET_CONCLUSION),
            actor_id=None,
            policy=DEFAULT_POLICY,
        )

    db.write_sync(conclude)
    return World(
        secretariat=login_as(client, "v_thuky"),
        chair=login_as(client, "v_chutoa"),
        in_audience=login_as(client, "v_trongnhom"),
        outside=login_as(client, "v_ngoainhom"),
        assistant=login_as(client, "v_troly"),
        guest=login_as(client, "v_khach"),
        observer=login_as(client, "v_quansat"),
        uninvited=login_as(client, "v_khongmoi"),
        secret_programme_id=secret_source.id,
        secret_item_id=secret_item.id,
        secret_document_id=secret_document,
        open_item_id=open_item.id,
        open_document_id=open_document,
        meeting_id=meeting.id,
        draft_id=draft.id,
    )


def secret_hits(actor: Actor) -> set[tuple[str, int]]:
    every = set()
    for q in ("hai dang", "Hải Đăng", "HAI DANG", "tuyet mat", "bo tri luc luong", "trien khai phuong an"):
        every |= kinds(found(actor, q))
    return every


def test_the_secretariat_and_the_audience_find_the_restricted_item(world: World) -> None:
    expected = {
        ("agenda_item", world.secret_item_id),
        ("conclusion", world.secret_item_id),
        ("document", world.secret_document_id),
    }
    for actor in (world.secretariat, world.chair, world.in_audience):
        hits = secret_hits(actor)
        assert expected <= hits, actor.username
        assert ("programme_item", world.secret_programme_id) in hits, actor.username
    # An assistant sees the member's meetings and items, but not the work programme.
    assert secret_hits(world.assistant) == expected


@pytest.mark.parametrize("who", ["outside", "guest", "observer", "uninvited"])
def test_nothing_restricted_shows_to_those_outside_its_audience(world: World, who: str) -> None:
    actor: Actor = getattr(world, who)
    assert secret_hits(actor) == set()
    for q in ("hai dang", "tuyet mat quoc phong", "mat"):
        response = actor.get("/api/v1/search", params={"q": q})
        assert "Hải Đăng" not in response.text and "tuyệt mật" not in response.text
        page = actor.get("/search", params={"q": q})
        assert page.status_code == 200 and "Hải Đăng" not in page.text


def test_unrestricted_items_and_papers_follow_the_meeting(world: World) -> None:
    open_hits = {("agenda_item", world.open_item_id), ("document", world.open_document_id)}
    for actor in (world.outside, world.guest, world.observer, world.in_audience):
        assert open_hits <= kinds(found(actor, "thuong mai dien tu")), actor.username
    # A member not invited still reads the work programme, but no meeting, item or paper of it.
    assert {t for t, _ in kinds(found(world.uninvited, "thuong mai dien tu"))} == {"programme_item"}
    # Guests and observers do not read the work programme.
    for actor in (world.guest, world.observer):
        assert "programme_item" not in {t for t, _ in kinds(found(actor, "thuong mai dien tu"))}


def test_a_draft_meeting_is_hidden_from_members(world: World) -> None:
    for actor in (world.secretariat, world.chair):
        assert ("meeting", world.draft_id) in kinds(found(actor, "bach duong")), actor.username
        assert any(r["type"] == "agenda_item" for r in found(actor, "bach duong"))
    for actor in (world.in_audience, world.outside, world.assistant, world.guest, world.observer):
        assert found(actor, "bach duong") == [], actor.username


def test_an_opinion_ballot_opens_its_papers_to_its_members(client: TestClient, db: Database) -> None:
    """access.papers.can_view_programme_papers: a ballot sent to a member carries its item's papers."""
    from datetime import timedelta

    from agenda.clock import utcnow
    from agenda.polls import poll_lifecycle
    from agenda.polls.opinion_polls import PollCreate

    member = user_actor(client, db, "thanhvien", ["member"])
    guest = user_actor(client, db, "khach", ["guest"])
    item = make_programme_item(db, title="Nghị định về quản lý pháo hoa")
    assert item.id

    def add(s: Session) -> int:
        document, _ = dossier.add_document(
            session=s,
            programme_item_id=item.id or 0,
            kind="draft",
            title="Dự thảo",
            sha256="b" * 64,
            pages=1,
            size=100,
            note="",
            actor_id=None,
            text="Quy định về pháo hoa nổ trong dịp Tết Nguyên đán.",
        )
        return document.id or 0

    document_id = db.write_sync(add)
    assert found(member, "phao hoa no") == []  # on no agenda, in no ballot yet

    def poll(s: Session) -> None:
        data = PollCreate(
            programme_item_id=item.id or 0, question="Đồng ý?", deadline=utcnow() + timedelta(days=3)
        )
        poll_lifecycle.send(
            session=s,
            poll_id=poll_lifecycle.create(session=s, data=data, actor_id=None).id or 0,
            actor_id=None,
        )

    db.write_sync(poll)
    assert kinds(found(member, "phao hoa no")) == {("document", document_id)}
    assert found(guest, "phao hoa no") == []


def test_the_visibility_functions_guard_even_a_broken_sql_filter(
    world: World, shared_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defence in depth: with the SQL filter gone, each hit is still checked again."""
    monkeypatch.setattr(queries.Scope, "where", lambda self: sa.true())
    for actor in (world.outside, world.guest, world.observer, world.uninvited):
        assert secret_hits(actor) == set(), actor.username
        assert found(actor, "bach duong") == [], actor.username
    assert ("conclusion", world.secret_item_id) in secret_hits(world.in_audience)


def test_the_page_groups_results_and_escapes_them(world: World, shared_db: Database) -> None:
    page = world.secretariat.get("/search", params={"q": "hai dang"})
    assert page.status_code == 200
    html = page.text
    for heading in ("Đề án trong chương trình công tác", "Nội dung phiên họp", "Kết luận", "Tài liệu"):
        assert heading in html
    assert "<mark>Hải</mark> <mark>Đăng</mark>" in html
    assert f'href="/documents/{world.secret_document_id}/read"' in html
    assert 'action="/search"' in world.outside.get("/").text  # the box in the header
    make_programme_item(shared_db, code="XSS-1", title='<script>alert("nghị định")</script>')
    html = world.secretariat.get("/search", params={"q": "alert nghi dinh"}).text
    assert "<script>alert" not in html
    assert "&lt;script&gt;<mark>alert</mark>" in html


# --- reindex, the demo and the migration ------------------------------------------------------------


def entries(db: Database) -> list[tuple[str, int, str, str]]:
    def load(s: Session) -> list[tuple[str, int, str, str]]:
        rows = s.exec(select(SearchEntry).order_by(col(SearchEntry.kind), col(SearchEntry.ref_id))).all()
        return [(r.kind, r.ref_id, r.title, r.body) for r in rows]

    return db.read_sync(load)


def test_reindex_extracts_missing_text_and_rebuilds(
    client: TestClient, db: Database, database_url: str, tmp_path: Path
) -> None:
    secretary = user_actor(client, db, "thuky", ["secretariat"])
    item = make_programme_item(db, title="Nghị quyết về phát triển năng lượng tái tạo")
    assert item.id
    data_dir = context_of(client).settings.data_dir
    pdf = make_pdf(1, heading="Điện gió ngoài khơi và điện mặt trời mái nhà")
    sha = store_original(data_dir, pdf)
    # A paper stored before search existed: no text yet.
    document = db.write_sync(
        lambda s: dossier.add_document(
            session=s,
            programme_item_id=item.id or 0,
            kind="annex",
            title="Phụ lục",
            sha256=sha,
            pages=1,
            size=len(pdf),
            note="",
            actor_id=None,
        )[0]
    )
    assert found(secretary, "dien gio ngoai khoi") == []
    db.write_sync(lambda s: s.execute(sa.delete(SearchEntry)))
    assert found(secretary, "tai tao") == []
    result = run_cli(["reindex"], data_dir=data_dir, database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert json_out(result) == {"extracted": 1, "entries": 2}
    assert kinds(found(secretary, "tai tao")) == {("programme_item", item.id)}
    assert kinds(found(secretary, "dien gio ngoai khoi")) == {("document", document.id)}
    again = run_cli(["reindex"], data_dir=data_dir, database_url=database_url)
    assert json_out(again) == {"extracted": 0, "entries": 2}


def test_the_demo_seed_ends_with_a_full_index(client: TestClient, db: Database) -> None:
    from agenda.demo import cast, demo

    data_dir = context_of(client).settings.data_dir
    db.write_sync(lambda s: demo.seed_demo(session=s, data_dir=data_dir, policy=DEFAULT_POLICY))
    seeded = entries(db)
    assert seeded
    count = db.write_sync(queries.rebuild)
    assert entries(db) == seeded and count == len(seeded)
    missing = db.read_sync(documents.versions_without_text)
    assert missing == []  # every demo paper came with its text
    secretary = login_as(client, "thuky", cast.SECRETARIAT_PASSWORD)
    results = found(secretary, "nghi dinh", limit=50)
    assert {r["type"] for r in results} >= {"programme_item", "document"}
    assert any("định" in r["snippet"].lower() for r in results if r["type"] == "document")


@pytest.mark.parametrize("engine", ENGINES)
def test_migrating_an_existing_database_fills_the_index(engine: str, tmp_path: Path) -> None:
    with fresh_database(engine, tmp_path) as url:
        sql_engine = make_engine(url, pool_size=0)
        try:
            upgrade(sql_engine, "0003")
            with sql_engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "INSERT INTO programme_item (code, title, kind, lead_agency, planned_month, status, "
                        "created_at, updated_at) VALUES ('ND-1', 'Nghị định về đăng kiểm', 'decree', "
                        "'Bộ Giao thông vận tải', '2026-12', 'planned', :now, :now)"
                    ),
                    {"now": "2026-11-01 00:00:00"},
                )
            upgrade(sql_engine)
            db = Database(sql_engine)
            rows = entries(db)
            assert rows == [("programme_item", 1, "nd 1 nghi dinh ve dang kiem", "bo giao thong van tai")]
            viewer = Viewer(user_id=1, roles=frozenset({"secretariat"}))
            hits = db.read_sync(
                lambda s: queries.search(session=s, viewer=viewer, q="dang kiem", can_read_programme=True)
            )
            assert [(h.type, h.id) for h in hits] == [("programme_item", 1)]
        finally:
            sql_engine.dispose()


# --- extraction stays in the sandbox ---------------------------------------------------------------


def text_bomb(repeat: int) -> bytes:
    """One page whose content draws one line of text `repeat` times: small on disk, huge as text."""
    content = b"BT /F1 12 Tf 72 700 Td " + b"(Nghi dinh ve chuyen doi so quoc gia) Tj " * repeat + b"ET"
    blob = zlib.compress(content, 9)
    return pdfs.raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            pdfs.stream(blob, b"/Filter /FlateDecode "),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def test_a_text_bomb_is_accepted_without_its_text_and_quickly(tmp_path: Path) -> None:
    path = tmp_path / "bomb.pdf"
    path.write_bytes(text_bomb(1_500_000))  # ~60 MB of page content, ~55 MB of text
    started = time.monotonic()
    facts = check_pdf(path)
    assert facts.pages == 1 and facts.text == ""
    assert time.monotonic() - started < 10  # well within the 12 s it could have spent reading


def test_extraction_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_check, "MAX_TEXT_CHARS", 500)
    text = pdf_check.extract_text(PdfReader(io.BytesIO(text_bomb(2_000))), until=time.monotonic() + 30)
    assert 0 < len(text) <= 500 and text.startswith("Nghi dinh")


def test_a_slow_page_is_cut_short_where_it_stands() -> None:
    slow = PdfReader(io.BytesIO(text_bomb(20_000)))  # under the content cap: about a second of work
    started = time.monotonic()
    assert pdf_check.extract_text(slow, until=time.monotonic() + 0.2) == ""
    assert time.monotonic() - started < 5
    many = PdfReader(io.BytesIO(make_pdf(40, heading="Trang")))
    assert pdf_check.extract_text(many, until=time.monotonic() - 1) == ""  # no time: no page read


def test_the_child_keeps_its_limits(tmp_path: Path) -> None:
    """Extraction runs inside the same sandbox, within a share of its time."""
    path = tmp_path / "slow.pdf"
    path.write_bytes(text_bomb(25_000))  # just under the content cap: about a second of reading
    whole = check_pdf(path)  # done in time
    assert whole.text.startswith("Nghi dinh") and len(whole.text) > 500_000
    assert check_pdf(path, text_seconds=0.3).text == ""  # cut short inside the child, and accepted
    with pytest.raises(BadPdf) as refused:
        check_pdf(path, timeout=0.05)  # the wall clock ends the child first
    assert refused.value.code == "pdf_too_complex"


def test_the_text_comes_back_clean(tmp_path: Path) -> None:
    path = tmp_path / "ok.pdf"
    path.write_bytes(make_pdf(2, heading="Nghị định số 1"))
    facts = check_pdf(path)
    assert facts.text.splitlines() == ["Nghị định số 1 – trang 1/2", "Nghị định số 1 – trang 2/2"]
    assert pdf_check.clean_text("a\x00b\ud800c\x1bd\ne") == "a bc d\ne"
    assert pdf_check.clean_text(None) == "" and pdf_check.clean_text(42) == ""
