"""Serving a document version as the reader's own watermarked copy (docs/papers.md): the stamp on
every page, one copy per person, byte ranges, the headers, who may fetch it, a rebuilt cache, and
read receipts counted per open rather than per range."""

from __future__ import annotations

import asyncio
import io
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from pypdf import PdfReader
from sqlmodel import col, func, select
from starlette.testclient import TestClient

from agenda import clock
from agenda.db import Database
from agenda.log.events import Event
from agenda.papers.copies import OPEN_WINDOW, DocumentCopy, ReadReceipt
from agenda.papers.copy_files import copy_path
from meeting_app.files.builds import Builds
from meeting_app.files.downloads import ByteRange, Unsatisfiable, content_disposition, parse_range
from tests.conftest import context_of
from tests.support.factories import (
    Actor,
    add_agenda_item,
    error_of,
    login_as,
    make_meeting,
    make_member,
    make_programme_item,
    make_stored_document,
    make_user,
    publish_meeting,
)

TITLE = 'Tờ trình về dự án Luật Đất đai (sửa đổi) "bản 2"/2026'


@dataclass
class Papers:
    db: Database
    data_dir: Path
    a: Actor  # invited member, in the restricted item's audience
    b: Actor  # invited member
    outsider: Actor  # invited, but not in the restricted item's audience
    stranger: Actor  # a member not invited at all
    secretariat: Actor
    a_name: str
    b_name: str
    document_id: int  # 3 pages, on the published agenda
    restricted_id: int  # on a restricted item (audience: a)
    draft_id: int  # on a draft meeting only

    def url(self, document_id: int | None = None, version: int = 1) -> str:
        return f"/api/v1/documents/{document_id or self.document_id}/versions/{version}/file"


@pytest.fixture
def papers(client: TestClient, db: Database) -> Papers:
    data_dir = context_of(client).settings.data_dir
    chair = make_member(db, full_name="Thủ tướng Chính phủ", precedence=1)
    a = make_user(db, "thanhvien_a", ["member"], full_name="Nguyễn Văn Ân")
    b = make_user(db, "thanhvien_b", ["member"], full_name="Trần Thị Bích")
    outsider = make_user(db, "thanhvien_c", ["member"], full_name="Lê Văn Cường")
    make_user(db, "nguoi_ngoai", ["member"])
    make_user(db, "thuky", ["secretariat"], full_name="Phạm Thư Ký")
    assert chair.id and a.member_id and b.member_id and outsider.member_id
    item = make_programme_item(db, kind="other")
    secret_item = make_programme_item(db, kind="other")
    draft_item = make_programme_item(db, kind="other")
    assert item.id and secret_item.id and draft_item.id
    document = make_stored_document(db, data_dir, item.id, "submission", title=TITLE, pages=3)
    restricted = make_stored_document(db, data_dir, secret_item.id, "submission", pages=2)
    draft_document = make_stored_document(db, data_dir, draft_item.id, "submission", pages=1)
    invited = [chair.id, a.member_id, b.member_id, outsider.member_id]
    meeting = make_meeting(db, chair_member_id=chair.id, invitee_member_ids=invited)
    draft = make_meeting(db, chair_member_id=chair.id, invitee_member_ids=invited)
    assert meeting.id and draft.id and document.id and restricted.id and draft_document.id
    add_agenda_item(db, meeting.id, programme_item_id=item.id)
    add_agenda_item(db, meeting.id, programme_item_id=secret_item.id, restricted_member_ids=[a.member_id])
    add_agenda_item(db, draft.id, programme_item_id=draft_item.id)
    publish_meeting(db, meeting.id)
    return Papers(
        db=db,
        data_dir=data_dir,
        a=login_as(client, "thanhvien_a"),
        b=login_as(client, "thanhvien_b"),
        outsider=login_as(client, "thanhvien_c"),
        stranger=login_as(client, "nguoi_ngoai"),
        secretariat=login_as(client, "thuky"),
        a_name=a.full_name,
        b_name=b.full_name,
        document_id=document.id,
        restricted_id=restricted.id,
        draft_id=draft_document.id,
    )


def disposition(value: str) -> tuple[str, dict[str, str]]:
    """An RFC 6266 Content-Disposition: its type and parameters, `filename*` decoded (RFC 5987)."""
    kind, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for name, raw in re.findall(r'\s*([\w*]+)=("(?:[^"\\]|\\.)*"|[^;]*)\s*;?', rest):
        if name.endswith("*"):
            charset, _, encoded = raw.partition("''")
            assert charset == "UTF-8"
            assert re.fullmatch(r"[A-Za-z0-9!#$&+\-.^_`|~%]+", encoded), encoded
            params[name] = unquote(encoded, errors="strict")
        else:
            assert raw.startswith('"') and raw.endswith('"'), raw
            params[name] = raw[1:-1]
    return kind.strip(), params


def copies_of(db: Database, user: str) -> list[DocumentCopy]:
    from agenda.people.accounts import User

    return list(
        db.read_sync(
            lambda s: s.exec(
                select(DocumentCopy)
                .join(User, col(User.id) == DocumentCopy.user_id)
                .where(User.username == user)
            ).all()
        )
    )


def pages_text(body: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(body)).pages]


def receipts(db: Database) -> int:
    return db.read_sync(lambda s: s.exec(select(func.count()).select_from(ReadReceipt)).one())


def opened_events(db: Database) -> int:
    return db.read_sync(lambda s: s.exec(select(func.count()).where(Event.kind == "copy.opened")).one())


# --- the copy -----------------------------------------------------------------------------------


def test_every_page_of_a_served_copy_carries_the_readers_name_and_code(papers: Papers) -> None:
    response = papers.a.get(papers.url())
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    [copy] = copies_of(papers.db, "thanhvien_a")
    texts = pages_text(response.content)
    assert len(texts) == 3
    for number, text in enumerate(texts, start=1):
        assert f"trang {number}/3" in text  # the page's own content is still there
        assert papers.a_name in text
        assert copy.code in text
        assert "Bộ trưởng" in text  # the title of the member the account is linked to
    assert response.content.startswith(b"%PDF-")


def test_two_readers_get_different_copies_of_the_same_pages(papers: Papers) -> None:
    first = papers.a.get(papers.url())
    second = papers.b.get(papers.url())
    assert first.status_code == second.status_code == 200
    assert first.content != second.content
    [code_a] = [c.code for c in copies_of(papers.db, "thanhvien_a")]
    [code_b] = [c.code for c in copies_of(papers.db, "thanhvien_b")]
    assert code_a != code_b
    for body, mine, theirs in ((first.content, code_a, code_b), (second.content, code_b, code_a)):
        reader = PdfReader(io.BytesIO(body))
        assert len(reader.pages) == 3
        for text in pages_text(body):
            assert mine in text and theirs not in text
    assert papers.b_name in pages_text(second.content)[0]
    assert papers.a_name not in pages_text(second.content)[0]


def test_the_same_reader_gets_the_same_copy_again(papers: Papers) -> None:
    first = papers.a.get(papers.url())
    again = papers.a.get(papers.url())
    assert first.content == again.content
    assert len(copies_of(papers.db, "thanhvien_a")) == 1


def test_a_deleted_cache_file_is_rebuilt_with_the_same_code(papers: Papers) -> None:
    first = papers.a.get(papers.url())
    [copy] = copies_of(papers.db, "thanhvien_a")
    path = copy_path(papers.data_dir, copy)
    assert path.is_file()
    path.unlink()
    again = papers.a.get(papers.url())
    assert again.status_code == 200
    assert path.is_file()
    assert copies_of(papers.db, "thanhvien_a") == [copy]
    assert all(copy.code in text for text in pages_text(again.content))
    assert again.content == first.content  # the stamp is deterministic: same text, same bytes


def test_an_empty_cache_file_counts_as_missing(papers: Papers) -> None:
    first = papers.a.get(papers.url())
    [copy] = copies_of(papers.db, "thanhvien_a")
    copy_path(papers.data_dir, copy).write_bytes(b"")
    again = papers.a.get(papers.url())
    assert again.status_code == 200 and again.content == first.content


def test_a_missing_original_is_a_clear_404(papers: Papers) -> None:
    from agenda.papers.documents import versions_of
    from agenda.storage import original_path

    [version] = papers.db.read_sync(lambda s: versions_of(session=s, document_id=papers.document_id))
    original_path(papers.data_dir, version.sha256).unlink()
    response = papers.a.get(papers.url())
    assert response.status_code == 404
    assert error_of(response)["code"] == "original_missing"


# --- ranges -------------------------------------------------------------------------------------


def test_ranges_return_exactly_the_slices_of_the_whole_file(papers: Papers) -> None:
    full = papers.a.get(papers.url()).content
    size = len(full)
    assert size > 3000
    asks = {
        "bytes=0-99": (0, 99),
        "bytes=100-1999": (100, 1999),
        f"bytes={size - 10}-{size - 1}": (size - 10, size - 1),
        "bytes=1234-": (1234, size - 1),
        "bytes=-500": (size - 500, size - 1),
        f"bytes=-{size + 100}": (0, size - 1),  # a suffix longer than the file: all of it
        f"bytes=50-{size + 1000}": (50, size - 1),  # an end past the file is cut to it
        "bytes=7-7": (7, 7),
        " bytes = 10 - 20 ": (10, 20),
    }
    for header, (start, end) in asks.items():
        response = papers.a.get(papers.url(), headers={"Range": header})
        assert response.status_code == 206, header
        assert response.content == full[start : end + 1], header
        assert response.headers["content-range"] == f"bytes {start}-{end}/{size}", header
        assert response.headers["content-length"] == str(end - start + 1), header
        assert response.headers["accept-ranges"] == "bytes"
        assert response.headers["content-type"] == "application/pdf"


def test_a_range_outside_the_file_is_416(papers: Papers) -> None:
    size = len(papers.a.get(papers.url()).content)
    for header in (f"bytes={size}-", f"bytes={size + 5}-{size + 10}", "bytes=-0", f"bytes={10**17}-"):
        response = papers.a.get(papers.url(), headers={"Range": header})
        assert response.status_code == 416, header
        assert response.headers["content-range"] == f"bytes */{size}"
        assert error_of(response)["code"] == "range_not_satisfiable"
        assert "private" in response.headers["cache-control"]


def test_malformed_and_multiple_ranges_are_ignored(papers: Papers) -> None:
    full = papers.a.get(papers.url()).content
    for header in (
        "bytes=abc",
        "items=0-10",
        "bytes=0-10,20-30",
        "bytes=10-5",
        "bytes=-",
        "bytes=1-2-3",
        "",
        "bytes=٣-٤".encode(),  # Unicode digits are not digits here
    ):
        response = papers.a.get(papers.url(), headers={"Range": header})
        assert response.status_code == 200, header
        assert response.content == full, header


def test_if_range_with_another_etag_sends_the_whole_file(papers: Papers) -> None:
    first = papers.a.get(papers.url())
    etag = first.headers["etag"]
    same = papers.a.get(papers.url(), headers={"Range": "bytes=0-9", "If-Range": etag})
    assert same.status_code == 206 and same.content == first.content[:10]
    other = papers.a.get(papers.url(), headers={"Range": "bytes=0-9", "If-Range": '"something-else"'})
    assert other.status_code == 200 and other.content == first.content


def test_parse_range_rules() -> None:
    assert parse_range(None, 100) is None
    assert parse_range("bytes=0-0", 100) == ByteRange(0, 0)
    assert parse_range("bytes=90-", 100) == ByteRange(90, 99)
    assert parse_range("bytes=-1", 100) == ByteRange(99, 99)
    assert parse_range("bytes=0-10,20-30", 100) is None
    assert parse_range("bytes=5-4", 100) is None
    assert parse_range("bytes=" + "9" * 40 + "-", 100) is None  # absurd numbers are garbage
    for header in ("bytes=100-", "bytes=-0"):
        with pytest.raises(Unsatisfiable):
            parse_range(header, 100)
    with pytest.raises(Unsatisfiable):
        parse_range("bytes=-5", 0)


# --- headers ------------------------------------------------------------------------------------


def test_headers_private_uncompressed_inline_with_a_vietnamese_filename(papers: Papers) -> None:
    response = papers.a.get(papers.url(), headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.status_code == 200
    headers = response.headers
    assert "content-encoding" not in headers
    assert headers["accept-ranges"] == "bytes"
    cache = [part.strip() for part in headers["cache-control"].split(",")]
    assert "private" in cache and "no-store" in cache
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["etag"].startswith('"') and headers["etag"].endswith('"')
    assert headers["content-length"] == str(len(response.content))
    value = headers["content-disposition"]
    assert value.startswith("inline;")
    assert "filename*=UTF-8''" in value
    kind, params = disposition(value)
    assert kind == "inline"
    assert params["filename*"] == "Tờ trình về dự án Luật Đất đai (sửa đổi) bản 2 2026.pdf"
    assert params["filename"] == "To trinh ve du an Luat Dat dai (sua doi) ban 2 2026.pdf"
    assert value.isascii()


def test_head_answers_the_headers_without_the_body(papers: Papers) -> None:
    size = len(papers.a.get(papers.url()).content)
    response = papers.a.request("HEAD", papers.url())
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(size)
    assert response.headers["accept-ranges"] == "bytes"


@pytest.mark.parametrize(
    ("title", "shown"),
    [
        ("Báo cáo\r\nX-Injected: 1", "Báo cáo X-Injected 1"),
        ("..\\..//etc/passwd", "etc passwd"),
        ("Tờ trình\u202egnp.exe", "Tờ trìnhgnp.exe"),
        ("Dự thảo\x00\x07\u200b\u2028 nghị định", "Dự thảo nghị định"),
        ('"\'"', ""),
        ("Đề án 100%; tiết kiệm", "Đề án 100 tiết kiệm"),
    ],
)
def test_content_disposition_strips_what_could_break_the_header_or_fool_the_reader(
    title: str, shown: str
) -> None:
    value = content_disposition(title)
    assert "\r" not in value and "\n" not in value and "\x00" not in value
    assert value.isascii()
    kind, params = disposition(value)
    assert kind == "inline" and set(params) == {"filename", "filename*"}
    assert params["filename*"] == (shown or "tai-lieu") + ".pdf"
    fallback = params["filename"]
    assert fallback.isascii() and fallback.endswith(".pdf")
    assert not set(fallback) & set('/\\;"%')


# --- who may fetch it ---------------------------------------------------------------------------


def test_a_restricted_items_papers_are_404_outside_its_audience(papers: Papers) -> None:
    hidden = papers.outsider.get(papers.url(papers.restricted_id))
    assert hidden.status_code == 404
    assert error_of(hidden)["code"] == "not_found"
    assert papers.a.get(papers.url(papers.restricted_id)).status_code == 200
    assert papers.secretariat.get(papers.url(papers.restricted_id)).status_code == 200
    assert copies_of(papers.db, "thanhvien_c") == []  # nothing was issued to the outsider


def test_papers_are_404_for_members_not_invited_and_on_drafts(papers: Papers) -> None:
    assert papers.stranger.get(papers.url()).status_code == 404
    assert papers.a.get(papers.url(papers.draft_id)).status_code == 404
    draft = papers.secretariat.get(papers.url(papers.draft_id))
    assert draft.status_code == 200
    assert draft.headers["content-type"] == "application/pdf"
    assert draft.content.startswith(b"%PDF-")


def test_unknown_versions_and_absurd_ids_are_404(papers: Papers, client: TestClient) -> None:
    assert papers.a.get(papers.url(version=2)).status_code == 404
    assert papers.a.get(papers.url(version=0)).status_code == 404
    assert papers.a.get(f"/api/v1/documents/{2**40}/versions/1/file").status_code == 404
    assert papers.a.get(f"/api/v1/documents/{papers.document_id}/versions/{2**70}/file").status_code == 404
    assert papers.a.get(f"/api/v1/documents/{papers.document_id}/versions/x/file").status_code == 404
    client.cookies.clear()
    assert client.get(papers.url()).status_code == 401


# --- read receipts ------------------------------------------------------------------------------


def test_one_read_receipt_per_open_not_per_range(papers: Papers) -> None:
    assert receipts(papers.db) == 0
    size = len(papers.a.get(papers.url()).content)  # the reader opens the file: 1
    assert receipts(papers.db) == 1
    for header in ("bytes=100-199", "bytes=2000-", f"bytes=-{size // 2}", "bytes=1-1"):
        assert papers.a.get(papers.url(), headers={"Range": header}).status_code == 206
    papers.a.request("HEAD", papers.url())
    papers.a.get(papers.url(), headers={"Range": f"bytes={size}-"})  # 416
    assert receipts(papers.db) == 1
    # pdf.js cancels its whole-file request and then fetches the first range: the same open.
    assert papers.a.get(papers.url(), headers={"Range": "bytes=0-65535"}).status_code == 206
    assert receipts(papers.db) == 1
    assert papers.b.get(papers.url()).status_code == 200  # b's first open: 2
    assert papers.a.get(papers.url()).status_code == 200  # a opens the file again: 3
    clock.freeze(datetime.now(UTC) + OPEN_WINDOW + timedelta(seconds=1))
    assert papers.a.get(papers.url(), headers={"Range": "bytes=0-99"}).status_code == 206  # later: 4
    assert receipts(papers.db) == 4
    assert opened_events(papers.db) == 4


def test_a_reader_that_only_asks_for_ranges_opens_once(papers: Papers) -> None:
    for header in ("bytes=0-1023", "bytes=-1024", "bytes=1024-2047", "bytes=0-99"):
        assert papers.a.get(papers.url(), headers={"Range": header}).status_code == 206
    assert receipts(papers.db) == 1


def test_the_first_request_may_be_a_head_or_a_range(papers: Papers) -> None:
    head = papers.a.request("HEAD", papers.url())
    assert head.status_code == 200
    assert receipts(papers.db) == 0
    middle = papers.b.get(papers.url(), headers={"Range": "bytes=100-200"})
    assert middle.status_code == 206 and len(middle.content) == 101
    assert receipts(papers.db) == 0
    assert len(copies_of(papers.db, "thanhvien_a")) == len(copies_of(papers.db, "thanhvien_b")) == 1


# --- one build per file -------------------------------------------------------------------------


def test_concurrent_builds_of_one_file_share_one_job() -> None:
    calls: list[str] = []
    lock = threading.Lock()

    def slow(name: str) -> str:
        with lock:
            calls.append(name)
        time.sleep(0.2)
        return f"built {name}"

    async def main() -> list[str]:
        builds = Builds()
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = await asyncio.gather(
                *(builds.run("same", pool, slow, "same", timeout=5) for _ in range(5)),
                builds.run("other", pool, slow, "other", timeout=5),
            )
            assert not builds.running("same")
            return list(results)

    results = asyncio.run(main())
    assert results == ["built same"] * 5 + ["built other"]
    assert sorted(calls) == ["other", "same"]


def test_a_waiter_that_gives_up_does_not_cancel_the_build_for_others() -> None:
    def slow() -> int:
        time.sleep(0.3)
        return 7

    async def main() -> int:
        builds = Builds()
        with ThreadPoolExecutor(max_workers=1) as pool:
            impatient = asyncio.create_task(builds.run("k", pool, slow, timeout=5))
            await asyncio.sleep(0.05)
            impatient.cancel()
            with pytest.raises(TimeoutError):
                await builds.run("k", pool, slow, timeout=0.01)
            return await builds.run("k", pool, slow, timeout=5)

    assert asyncio.run(main()) == 7
