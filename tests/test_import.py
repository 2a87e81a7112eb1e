"""CSV import of the work programme: all or nothing, with line-numbered errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from httpx2 import Response
from sqlmodel import Session, func, select
from starlette.testclient import TestClient

from agenda.db import Database
from agenda.log.events import Event
from agenda.programme.programme import ProgrammeItem
from tests.support.factories import Actor, error_of, login_as, make_programme_item, make_user

DEMO_CSV = Path(__file__).parent / "data" / "work-programme.csv"
HEADER = "code,title,kind,lead_agency,planned_month\n"


@pytest.fixture
def secretary(client: TestClient, db: Database) -> Actor:
    make_user(db, "thuky", ["secretariat"])
    return login_as(client, "thuky")


def upload(actor: Actor, raw: bytes, *, name: str = "ct.csv", lang: str | None = None) -> Response:
    headers = {"Accept-Language": lang} if lang else None
    return actor.post(
        "/api/v1/programme-items/import", files={"file": (name, raw, "text/csv")}, headers=headers
    )


def counts(db: Database) -> tuple[int, int]:
    """(programme items, events): neither may move when an import fails."""

    def count(s: Session) -> tuple[int, int]:
        items = s.exec(select(func.count()).select_from(ProgrammeItem)).one()
        # The import's own events; a new lead agency also joins the registry with an event of its own.
        events = s.exec(select(func.count()).select_from(Event).where(Event.kind != "agency.created")).one()
        return items, events

    found: tuple[int, int] = db.read_sync(count)
    return found


def test_the_demo_file_imports_42_items(secretary: Actor, db: Database) -> None:
    items_before, events_before = counts(db)
    response = upload(secretary, DEMO_CSV.read_bytes())
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == 42
    listed = secretary.get("/api/v1/programme-items").json()["items"]
    assert len(listed) == 42
    first = next(i for i in listed if i["code"] == "L-2026-01")
    assert first["title"] == "Dự án Luật Đất đai (sửa đổi)"
    assert first["kind"] == "law"
    assert first["lead_agency"] == "Bộ Tài nguyên và Môi trường"
    assert first["planned_month"] == "2026-12"
    assert first["status"] == "planned"
    items_after, events_after = counts(db)
    assert items_after == items_before + 42
    assert events_after == events_before + 1  # one event for the whole import
    event = db.read_sync(lambda s: s.exec(select(Event).where(Event.kind == "programme.imported")).one())
    assert event.payload()["count"] == 42
    assert len(event.payload()["programme_item_ids"]) == 42


def test_importing_the_same_file_twice_is_refused_whole(secretary: Actor, db: Database) -> None:
    assert upload(secretary, DEMO_CSV.read_bytes()).status_code == 200
    before = counts(db)
    response = upload(secretary, DEMO_CSV.read_bytes())
    assert response.status_code == 422
    assert len(response.json()["rows"]) == 42
    assert counts(db) == before


def test_bom_and_crlf_are_accepted(secretary: Actor) -> None:
    raw = ("\ufeff" + HEADER + "ND-1,Nghị định một,decree,Bộ Tư pháp,2026-12\r\n").encode()
    response = upload(secretary, raw.replace(b"\n", b"\r\n"))
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == 1


def test_quoted_fields_keep_commas_and_diacritics(secretary: Actor) -> None:
    raw = (
        HEADER
        + 'ND-2,"Nghị định về đầu tư, kinh doanh ""đặc biệt""",decree,"Bộ Kế hoạch và Đầu tư",2026-12\n'
    )
    assert upload(secretary, raw.encode()).status_code == 200
    item = secretary.get("/api/v1/programme-items").json()["items"][0]
    assert item["title"] == 'Nghị định về đầu tư, kinh doanh "đặc biệt"'


BAD_FILE = (
    HEADER
    + "OK-1,Nghị định tốt,decree,Bộ Tư pháp,2026-12\n"  # line 2: fine
    + "BAD-1,Loại sai,edict,Bộ Tư pháp,2026-12\n"  # line 3: bad kind
    + "BAD-2,Tháng sai,law,Bộ Tư pháp,2026-13\n"  # line 4: bad month
    + "OK-1,Trùng mã trong tệp,law,Bộ Tư pháp,2026-12\n"  # line 5: duplicate of line 2
    + "OLD-1,Mã đã có,law,Bộ Tư pháp,2026-12\n"  # line 6: code already in the programme
    + "BAD-3,Thiếu cột,law,Bộ Tư pháp\n"  # line 7: four columns
    + "\n"  # line 8: blank, skipped
    + "BAD-4,Thừa cột,law,Bộ Tư pháp,2026-12,extra\n"  # line 9: six columns
    + '"BAD-5","Tên có\nxuống dòng",law,"",2026-12\n'  # lines 10-11: no lead agency
)


def test_bad_rows_are_422_with_line_numbers_and_nothing_changes(secretary: Actor, db: Database) -> None:
    make_programme_item(db, code="OLD-1")
    before = counts(db)
    response = upload(secretary, BAD_FILE.encode())
    assert response.status_code == 422, response.text
    body = response.json()
    assert error_of(response)["code"] == "import_failed"
    lines = [row["line"] for row in body["rows"]]
    assert lines == [3, 4, 5, 6, 7, 9, 11]
    assert all(isinstance(row["message"], str) and row["message"] for row in body["rows"])
    by_line = {row["line"]: row["message"] for row in body["rows"]}
    assert "OK-1" in by_line[5] and "2" in by_line[5]  # names the code and the first line
    assert "OLD-1" in by_line[6]
    assert "4" in by_line[7] and "5" in by_line[7]
    assert counts(db) == before
    codes = [i["code"] for i in secretary.get("/api/v1/programme-items").json()["items"]]
    assert codes == ["OLD-1"]


def test_import_error_message_follows_the_language(secretary: Actor, db: Database) -> None:
    raw = (HEADER + "BAD-1,Loại sai,edict,Bộ Tư pháp,2026-12\n").encode()
    vietnamese = upload(secretary, raw, lang="vi")
    english = upload(secretary, raw, lang="en")
    assert vietnamese.status_code == english.status_code == 422
    assert vietnamese.json()["error"]["message"] != english.json()["error"]["message"]


def message_of(response: Response) -> str:
    message: str = error_of(response)["message"]
    return message


UNREADABLE: dict[str, tuple[bytes, str]] = {
    "legacy-8bit": (
        HEADER.encode() + b"ND-1,Ngh\xf2 \xf0\xecnh,decree,B\xf4\xf2 T\xfd ph\xe1p,2026-12\n",
        "bad_encoding",
    ),
    "utf16": ((HEADER + "ND-1,Nghị định,decree,Bộ Tư pháp,2026-12\n").encode("utf-16"), "bad_encoding"),
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "bad_encoding"),
    "nul": (b"%PDF-1.7\n\x00binary", "not_csv"),
    "empty": (b"", "bad_header"),
    "blank-lines": (b"\n\n", "bad_header"),
    "header-only": (HEADER.encode(), "empty_file"),
    "wrong-header": (b"ma,ten,loai,co_quan,thang\nND-1,X,decree,Bo,2026-12\n", "bad_header"),
    "short-header": (b"code,title,kind,lead_agency\nND-1,X,decree,Bo\n", "bad_header"),
}


def test_unreadable_files_are_400_with_a_clear_message(secretary: Actor, db: Database) -> None:
    before = counts(db)
    for name, (raw, code) in UNREADABLE.items():
        response = upload(secretary, raw)
        assert response.status_code == 400, (name, response.text)
        error = error_of(response)
        assert error["code"] == code, name
        assert len(error["message"]) > 10
    assert counts(db) == before


def test_wrong_header_message_names_the_header(secretary: Actor) -> None:
    response = upload(secretary, b"a,b\n1,2\n", lang="en")
    assert response.status_code == 400
    assert "code,title,kind,lead_agency,planned_month" in message_of(response)


def test_unreadable_file_message_follows_the_language(secretary: Actor) -> None:
    raw = "tiêu đề".encode("utf-16")
    vietnamese = upload(secretary, raw, lang="vi")
    english = upload(secretary, raw, lang="en")
    assert vietnamese.status_code == english.status_code == 400
    assert message_of(vietnamese) != message_of(english)


def test_no_file_field_is_400(secretary: Actor) -> None:
    response = secretary.post("/api/v1/programme-items/import", files={"other": ("x.csv", b"a", "text/csv")})
    assert response.status_code == 400
    assert error_of(response)["code"] == "file_required"
    response = secretary.post("/api/v1/programme-items/import", data={"file": "not a file"})
    assert response.status_code == 400


def test_json_instead_of_multipart_is_415(secretary: Actor) -> None:
    response = secretary.post("/api/v1/programme-items/import", json={"file": HEADER})
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_two_files_are_refused(secretary: Actor, db: Database) -> None:
    raw = (HEADER + "ND-1,Nghị định,decree,Bộ Tư pháp,2026-12\n").encode()
    before = counts(db)
    response = secretary.post(
        "/api/v1/programme-items/import",
        files=[("file", ("a.csv", raw, "text/csv")), ("file", ("b.csv", raw, "text/csv"))],
    )
    assert response.status_code == 400
    assert counts(db) == before


def test_a_10_mb_file_is_413_and_changes_nothing(secretary: Actor, db: Database) -> None:
    row = "ND-{},Nghị định,decree,Bộ Tư pháp,2026-12\n"
    raw = (HEADER + "".join(row.format(i) for i in range(250_000))).encode()
    assert len(raw) > 10 * 1024 * 1024
    before = counts(db)
    response = upload(secretary, raw)
    assert response.status_code == 413, response.text[:300]
    assert error_of(response)["code"].endswith("too_large")
    assert counts(db) == before


def test_a_10_mb_text_field_on_the_import_is_413(secretary: Actor, db: Database) -> None:
    before = counts(db)
    response = secretary.post(
        "/api/v1/programme-items/import",
        data={"note": "x" * (10 * 1024 * 1024)},
        files={"file": ("ct.csv", HEADER.encode(), "text/csv")},
    )
    assert response.status_code == 413, response.text[:300]
    assert counts(db) == before


def test_1001_form_fields_are_400(secretary: Actor, db: Database) -> None:
    fields = {f"f{i}": "x" for i in range(1001)}
    response = secretary.post(
        "/api/v1/programme-items/import", data=fields, files={"file": ("ct.csv", HEADER.encode(), "text/csv")}
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_form"


def test_too_many_rows_is_400(secretary: Actor, db: Database) -> None:
    row = "ND-{},Nghị định,decree,Bộ Tư pháp,2026-12\n"
    raw = (HEADER + "".join(row.format(i) for i in range(5001))).encode()
    response = upload(secretary, raw)
    assert response.status_code == 400
    assert error_of(response)["code"] == "too_many_rows"
