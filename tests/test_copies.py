"""Personal copies (docs/papers.md): one per person and version, a stamp that says who, what title,
when and which code, a file that can be rebuilt, and a code the secretariat resolves back to the
person, the version and the time."""

from __future__ import annotations

import io
import pickle
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlmodel import select
from starlette.testclient import TestClient

from agenda import clock
from agenda.db import Database
from agenda.errors import NotFound
from agenda.log.events import Event
from agenda.papers.copies import DocumentCopy, issue_copy, normalize_code, trace_copy
from agenda.papers.copy_files import build_copy, copy_path, stamp_for, title_of
from agenda.papers.documents import versions_of
from agenda.papers.stamp import StampText
from agenda.storage import original_path
from tests.conftest import context_of
from tests.support.factories import (
    Actor,
    add_agenda_item,
    error_of,
    login_as,
    make_document,
    make_meeting,
    make_member,
    make_pdf,
    make_programme_item,
    make_stored_document,
    make_user,
    publish_meeting,
)


def version_id_of(db: Database, document_id: int) -> int:
    [version] = db.read_sync(lambda s: versions_of(session=s, document_id=document_id))
    assert version.id is not None
    return version.id


# --- the stamp ----------------------------------------------------------------------------------


def test_the_stamp_names_the_person_their_title_the_local_time_and_the_code(db: Database) -> None:
    member = make_member(db, full_name="Hồ Đức Phớc", title="Phó Thủ tướng Chính phủ")
    user = make_user(db, "phoc", ["member"], member_id=member.id, full_name="Hồ Đức Phớc")
    item = make_programme_item(db)
    assert item.id and user.id
    document_id = make_document(db, item.id, "submission").id
    assert document_id
    clock.freeze(datetime(2026, 12, 3, 1, 15, tzinfo=UTC))  # 08:15 in Hà Nội
    copy = db.write_sync(
        lambda s: issue_copy(
            session=s, user_id=user.id or 0, document_version_id=version_id_of(db, document_id)
        )
    )
    stamp = db.read_sync(lambda s: stamp_for(session=s, copy=copy))
    assert stamp == StampText(
        full_name="Hồ Đức Phớc",
        title="Phó Thủ tướng Chính phủ",
        issued_at="08:15 03/12/2026",
        copy_code=copy.code,
    )


def test_titles_for_assistants_staff_and_guests(db: Database) -> None:
    member = make_member(db, title="Bộ trưởng Bộ Tài chính")
    assistant = make_user(db, "trolyly", ["assistant"], member_id=member.id)
    secretariat = make_user(db, "thuky", ["secretariat"])
    guest = make_user(db, "khach", ["guest"])
    chair = make_user(db, "chutoa", ["chair"])
    titles = db.read_sync(
        lambda s: [title_of(session=s, user=u) for u in (assistant, secretariat, guest, chair)]
    )
    assert titles == [
        "Bộ phận giúp việc Bộ trưởng Bộ Tài chính",  # never the member's own title
        "Thư ký (Văn phòng Chính phủ)",
        "Khách mời",
        "Chủ tọa",
    ]


def test_a_copy_is_issued_once_per_person_and_version(db: Database, client: TestClient) -> None:
    data_dir = context_of(client).settings.data_dir
    a = make_user(db, "thuky_a", ["secretariat"])
    b = make_user(db, "thuky_b", ["secretariat"])
    item = make_programme_item(db)
    assert item.id and a.id and b.id
    document = make_stored_document(db, data_dir, item.id, "submission")
    assert document.id
    version_id = version_id_of(db, document.id)
    first = db.write_sync(lambda s: issue_copy(session=s, user_id=a.id or 0, document_version_id=version_id))
    again = db.write_sync(lambda s: issue_copy(session=s, user_id=a.id or 0, document_version_id=version_id))
    other = db.write_sync(lambda s: issue_copy(session=s, user_id=b.id or 0, document_version_id=version_id))
    assert first.id == again.id and first.code == again.code
    assert other.code != first.code
    issued = db.read_sync(lambda s: s.exec(select(Event).where(Event.kind == "copy.issued")).all())
    assert len(issued) == 2
    assert copy_path(data_dir, first) == data_dir / "cache" / "copies" / str(version_id) / f"{first.code}.pdf"


def test_codes_are_read_back_however_they_are_typed() -> None:
    assert normalize_code("k7q2 m9xd") == "K7Q2-M9XD"
    assert normalize_code(" K7Q2-M9XD ") == "K7Q2-M9XD"
    assert normalize_code("k7q2—m9xd") == "K7Q2-M9XD"


def test_a_book_copy_lives_beside_the_document_copies(tmp_path: Path) -> None:
    copy = DocumentCopy(code="ABCD-EFGH", user_id=1, meeting_id=7, book_hash="f" * 64)
    assert copy_path(tmp_path, copy) == tmp_path / "cache" / "books" / "7" / "ABCD-EFGH.pdf"
    with pytest.raises(ValueError):
        copy_path(tmp_path, DocumentCopy(code="../../x", user_id=1, document_version_id=1))


def test_build_copy_runs_in_a_spawned_process_and_writes_atomically(tmp_path: Path) -> None:
    original = tmp_path / "original.pdf"
    original.write_bytes(make_pdf(4))
    target = tmp_path / "cache" / "copies" / "1" / "ABCD-EFGH.pdf"
    stamp = StampText("Nguyễn Thị Hoa", "Bộ trưởng", "08:15 03/12/2026", "ABCD-EFGH")
    assert pickle.loads(pickle.dumps((build_copy, stamp))) == (build_copy, stamp)
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        size = pool.submit(build_copy, str(original), str(target), stamp).result(timeout=120)
    assert target.stat().st_size == size
    assert [p.name for p in target.parent.iterdir()] == ["ABCD-EFGH.pdf"]  # no temporary file left
    reader = PdfReader(io.BytesIO(target.read_bytes()))
    assert len(reader.pages) == 4
    for page in reader.pages:
        text = page.extract_text()
        assert "Nguyễn Thị Hoa" in text and "ABCD-EFGH" in text and "08:15 03/12/2026" in text


def test_a_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 not really")
    target = tmp_path / "out" / "ABCD-EFGH.pdf"
    with pytest.raises(Exception):  # noqa: B017 (pypdf's error, whatever its class)
        build_copy(str(broken), str(target), StampText("A", "B", "C", "ABCD-EFGH"))
    assert not target.exists()
    assert not target.parent.exists() or list(target.parent.iterdir()) == []


# --- tracing a code -----------------------------------------------------------------------------


@dataclass
class Opened:
    code: str
    user_id: int
    document_id: int
    secretariat: Actor
    member: Actor


@pytest.fixture
def opened(client: TestClient, db: Database) -> Opened:
    """Member `a` has opened one document twice; the secretariat is logged in."""
    data_dir = context_of(client).settings.data_dir
    chair = make_member(db, full_name="Thủ tướng", precedence=1)
    a = make_user(db, "thanhvien_a", ["member"], full_name="Nguyễn Văn Ân")
    make_user(db, "thuky", ["secretariat"])
    assert chair.id and a.member_id
    item = make_programme_item(db, kind="other")
    assert item.id
    document = make_stored_document(db, data_dir, item.id, "appraisal", title="Báo cáo thẩm định Nghị định")
    meeting = make_meeting(db, chair_member_id=chair.id, invitee_member_ids=[chair.id, a.member_id])
    assert meeting.id and document.id
    add_agenda_item(db, meeting.id, programme_item_id=item.id, override_readiness=True)
    publish_meeting(db, meeting.id)
    clock.freeze(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))  # 09:00 in Hà Nội
    member = login_as(client, "thanhvien_a")
    url = f"/api/v1/documents/{document.id}/versions/1/file"
    assert member.get(url).status_code == 200
    clock.freeze(datetime(2026, 12, 1, 2, 45, tzinfo=UTC))  # within the session's idle time
    assert member.get(url).status_code == 200
    [copy] = db.read_sync(lambda s: s.exec(select(DocumentCopy)).all())
    assert a.id
    return Opened(copy.code, a.id, document.id, login_as(client, "thuky"), member)


def test_the_secretariat_resolves_a_code_to_person_version_and_time(opened: Opened) -> None:
    secretariat = opened.secretariat
    code = opened.code
    response = secretariat.get(f"/api/v1/copies/{code}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "code": code,
        "user": {"id": opened.user_id, "username": "thanhvien_a", "full_name": "Nguyễn Văn Ân"},
        "document": {"id": opened.document_id, "title": "Báo cáo thẩm định Nghị định", "kind": "appraisal"},
        "version": 1,
        "meeting_id": None,
        "issued_at": "2026-12-01T09:00:00+07:00",
        "opens": [{"at": "2026-12-01T09:00:00+07:00"}, {"at": "2026-12-01T09:45:00+07:00"}],
    }
    typed = code.lower().replace("-", " ")
    again = secretariat.get(f"/api/v1/copies/{typed}")
    assert again.status_code == 200 and again.json()["code"] == code


def test_unknown_codes_are_404_and_only_the_secretariat_may_ask(opened: Opened) -> None:
    secretariat, member = opened.secretariat, opened.member
    for bad in ("ZZZZ-ZZZZ", "x", "A" * 300, "%00", "..%2F..%2Fetc"):
        response = secretariat.get(f"/api/v1/copies/{bad}")
        assert response.status_code == 404, bad
        assert error_of(response)["code"] == "not_found"
    forbidden = member.get(f"/api/v1/copies/{opened.code}")
    assert forbidden.status_code == 403


def test_trace_copy_raises_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        db.read_sync(lambda s: trace_copy(session=s, code="ABCD-EFGH"))


def test_the_lookup_page(opened: Opened) -> None:
    secretariat, member = opened.secretariat, opened.member
    code = opened.code
    empty = secretariat.get("/copies")
    assert empty.status_code == 200
    assert 'name="code"' in empty.text
    found = secretariat.get("/copies", params={"code": code.lower()})
    assert found.status_code == 200
    assert "Nguyễn Văn Ân" in found.text and code in found.text
    assert "Báo cáo thẩm định Nghị định" in found.text
    assert "09:00 01/12/2026" in found.text and "09:45:00 01/12/2026" in found.text
    missing = secretariat.get("/copies", params={"code": "<script>x</script>"})
    assert missing.status_code == 404
    assert "<script>x" not in missing.text
    assert 'href="/copies"' in secretariat.get("/").text
    assert member.get("/copies").status_code == 403
    assert 'href="/copies"' not in member.get("/").text


def test_the_original_is_never_served(opened: Opened, client: TestClient, db: Database) -> None:
    member = opened.member
    [version] = db.read_sync(lambda s: versions_of(session=s, document_id=opened.document_id))
    original = original_path(context_of(client).settings.data_dir, version.sha256).read_bytes()
    served = member.get(f"/api/v1/documents/{opened.document_id}/versions/1/file").content
    assert served != original
    assert original not in served


def test_concurrent_first_opens_share_one_copy(db: Database, client: TestClient) -> None:
    """Many first requests at once (PostgreSQL runs them in parallel): one copy, one event."""
    data_dir = context_of(client).settings.data_dir
    user = make_user(db, "voiva", ["secretariat"])
    item = make_programme_item(db)
    assert item.id and user.id
    document = make_stored_document(db, data_dir, item.id, "submission")
    assert document.id
    version_id = version_id_of(db, document.id)
    barrier = threading.Barrier(8)

    def first_open() -> str:
        barrier.wait()
        return db.write_sync(
            lambda s: issue_copy(session=s, user_id=user.id or 0, document_version_id=version_id)
        ).code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = {f.result() for f in [pool.submit(first_open) for _ in range(8)]}
    assert len(codes) == 1
    assert len(db.read_sync(lambda s: s.exec(select(DocumentCopy)).all())) == 1
    assert len(db.read_sync(lambda s: s.exec(select(Event).where(Event.kind == "copy.issued")).all())) == 1
