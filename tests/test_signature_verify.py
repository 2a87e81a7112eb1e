"""Verifying signed PDFs, for anyone signed in (issue 16, point 2; docs/signatures.md
"Verification"): POST /api/v1/signatures/verify, the page /signatures/verify, `run.py
verify-pdf`, and the public root and CRL under /pki.

The files are signed once per module by the real core (tests/support/signed_pdfs.py): two
signers of the app's own demo CA on one file, that file with a byte changed or a page added,
a file of another demo CA, and an unsigned one. The app runs with MAX_UPLOAD_MB=1, so that
"too large" costs little.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from httpx2 import Response
from starlette.testclient import TestClient

import run
from meeting_app.api.signature_schemas import VerifyReport
from meeting_app.app import create_app
from meeting_app.ops import commands
from tests.conftest import ENGINES, Templates, context_of, migrated_database, settings_for
from tests.support import pdf_files as pdfs
from tests.support.factories import Actor, error_of, login_as, make_user
from tests.support.signed_pdfs import SignedPdfs, make_signed_pdfs

URL = "/api/v1/signatures/verify"
PAGE = "/signatures/verify"
FAST = 10.0  # seconds for any one file; each takes well under one


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> SignedPdfs:
    return make_signed_pdfs(tmp_path_factory.mktemp("verify-data"), tmp_path_factory.mktemp("other-ca"))


@pytest.fixture(scope="module", params=ENGINES)
def client(
    request: pytest.FixtureRequest,
    files: SignedPdfs,
    tmp_path_factory: pytest.TempPathFactory,
    templates: Templates,
) -> Iterator[TestClient]:
    """An app on the DATA_DIR whose demo CA issued the two signers' certificates."""
    with migrated_database(request.param, tmp_path_factory.mktemp("verify-db"), templates) as url:
        settings = settings_for(files.data_dir, database_url=url, max_upload_mb=1)
        with TestClient(create_app(settings), base_url="http://testserver") as test_client:
            yield test_client


@pytest.fixture(scope="module")
def member(client: TestClient) -> Actor:
    make_user(context_of(client).db, "thanhvien", ["member"])
    return login_as(client, "thanhvien")


@pytest.fixture(scope="module")
def english(client: TestClient) -> Actor:
    """A user who chose English (pages follow the saved language)."""
    make_user(context_of(client).db, "quansat", ["observer"])
    actor = login_as(client, "quansat")
    assert actor.patch("/api/v1/me", json={"locale": "en"}).status_code == 200
    return actor


def verify(actor: Actor, data: bytes, *, name: str = "ban.pdf", **headers: str) -> Response:
    return actor.post(URL, files={"file": (name, data, "application/pdf")}, headers=headers)


def report(actor: Actor, data: bytes) -> dict[str, Any]:
    response = verify(actor, data)
    assert response.status_code == 200, response.text
    VerifyReport.model_validate_json(response.text)
    found: dict[str, Any] = response.json()
    return found


def page_post(actor: Actor, data: bytes, *, token: str | None = None, name: str = "ban.pdf") -> Response:
    return actor.post(
        PAGE,
        data={"csrf_token": actor.csrf if token is None else token},
        files={"file": (name, data, "application/pdf")},
        headers={"Accept": "text/html"},
    )


# --- the API ------------------------------------------------------------------------------------


def test_two_signers_both_valid(member: Actor, files: SignedPdfs) -> None:
    found = report(member, files.two)
    assert found["valid"] is True
    first, second = found["signatures"]
    assert [first["signer"], second["signer"]] == list(files.signers)
    assert [first["title"], second["title"]] == ["Bộ trưởng", "Thứ trưởng"]
    assert (first["certificate_sha256"], second["certificate_sha256"]) == files.fingerprints
    for signature in (first, second):
        assert signature["intact"] and signature["valid"] and signature["trusted"]
        assert signature["signed_at"] is not None and "T" in signature["signed_at"]
    assert (first["time_source"], second["time_source"]) == ("tsa", "signer_clock")
    assert first["covers_whole_file"] is False and first["modification_level"] == "form_filling"
    assert second["modification_level"] in ("none", "lta_updates")


def test_one_changed_byte_is_not_valid(member: Actor, files: SignedPdfs) -> None:
    found = report(member, files.tampered)
    assert found["valid"] is False
    assert [s["intact"] for s in found["signatures"]] == [False, False]


def test_a_signature_of_a_ca_not_configured_is_not_trusted(member: Actor, files: SignedPdfs) -> None:
    found = report(member, files.foreign)
    assert found["valid"] is False
    (signature,) = found["signatures"]
    assert signature["signer"] == "Người Lạ"
    assert signature["intact"] is True and signature["trusted"] is False


def test_a_page_added_after_signing_is_another_change(member: Actor, files: SignedPdfs) -> None:
    found = report(member, files.page_added)
    assert found["valid"] is False
    assert [s["modification_level"] for s in found["signatures"]] == ["other", "other"]
    assert all(s["intact"] and not s["covers_whole_file"] for s in found["signatures"])


def test_an_unsigned_pdf_has_no_signatures(member: Actor, files: SignedPdfs) -> None:
    found = report(member, files.plain)
    assert found["valid"] is False and found["signatures"] == []


BAD = {
    "not a PDF": (b"Hello, this is plain text.\n", "Tệp tải lên không phải là tệp PDF.", "not a PDF"),
    "empty": (b"", "Tệp tải lên rỗng (0 byte).", "empty"),
    "truncated": (None, "Không đọc được tệp PDF", "cannot be read"),
    "garbage after a header": (b"%PDF-1.7\n" + b"\x00\xff" * 500, "Không đọc được tệp PDF", "cannot be read"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_files_get_a_clear_400_in_the_users_language(member: Actor, files: SignedPdfs, case: str) -> None:
    data, vietnamese, english = BAD[case]
    data = files.two[: len(files.two) // 2] if data is None else data
    error = error_of(verify(member, data))
    assert error["code"] == "bad_pdf" and vietnamese in error["message"]
    response = verify(member, data, **{"Accept-Language": "en"})
    assert response.status_code == 400
    assert english in error_of(response)["message"]


HOSTILE = [
    "circular_xref",
    "cyclic_pages",
    "huge_length",
    "html_as_pdf",
    "truncated",
    "encrypted",
    "open_action_javascript",
    "launch_action",
    "no_pages",
    "deep_nesting",
    "flate_bomb",
]


def test_hostile_files_get_an_answer_never_a_500(member: Actor) -> None:
    """The upload check's hostile corpus (tests/test_hostile_pdfs.py): each is a report (an
    unsigned file) or a 400, fast, and the server still verifies a good file afterwards."""
    answers = {}
    for name in HOSTILE:
        started = time.monotonic()
        response = verify(member, getattr(pdfs, name)())
        assert time.monotonic() - started < FAST, name
        answers[name] = response.status_code
        if response.status_code == 200:
            assert response.json()["valid"] is False, name
        else:
            assert error_of(response)["code"] == "bad_pdf", name
    assert set(answers.values()) <= {200, 400}, answers
    assert report(member, pdfs.valid_pdf(1))["signatures"] == []


def test_too_large_or_not_sent_as_a_pdf(member: Actor, files: SignedPdfs) -> None:
    huge = files.plain + b"%" + b"x" * (1024 * 1024) + b"\n%%EOF\n"
    declared = verify(member, huge)
    assert declared.status_code == 413 and error_of(declared)["code"] == "too_large"
    body = b"".join(
        [
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n',
            b"Content-Type: application/pdf\r\n\r\n",
            huge,
            b"\r\n--b--\r\n",
        ]
    )

    def chunks() -> Iterator[bytes]:  # no Content-Length: the reader finds the limit itself
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    streamed = member.post(URL, content=chunks(), headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert streamed.status_code == 413
    assert "1 MB" in error_of(streamed)["message"]
    text = member.post(URL, files={"file": ("a.txt", b"hello", "text/plain")})
    assert text.status_code == 415
    nothing = member.post(URL, files={"other": ("a.pdf", files.plain, "application/pdf")})
    assert nothing.status_code == 400
    json_body = member.post(URL, json={})
    assert json_body.status_code == 415


def test_anonymous_401_and_a_wrong_csrf_token_403(
    client: TestClient, member: Actor, files: SignedPdfs
) -> None:
    client.cookies.clear()
    anonymous = client.post(URL, files={"file": ("a.pdf", files.two, "application/pdf")})
    assert anonymous.status_code == 401 and error_of(anonymous)["code"] == "unauthorized"
    assert client.get(PAGE, follow_redirects=False).status_code == 303  # to the login page
    no_token = member.post(
        URL, files={"file": ("a.pdf", files.two, "application/pdf")}, headers={"X-CSRF-Token": "wrong"}
    )
    assert no_token.status_code == 403


# --- the page -----------------------------------------------------------------------------------


def test_the_page_is_in_the_navigation_and_shows_a_valid_file(member: Actor, files: SignedPdfs) -> None:
    home = member.get("/")
    assert f'href="{PAGE}"' in home.text
    form = member.get(PAGE)
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.text and 'name="csrf_token"' in form.text
    assert 'href="/pki/root.pem"' in form.text and 'href="/pki/root.crl"' in form.text
    response = page_post(member, files.two)
    assert response.status_code == 200, response.text[:500]
    html = response.text
    assert "verdict-valid" in html and "Kết quả: Hợp lệ" in html
    for name, fingerprint in zip(files.signers, files.fingerprints, strict=True):
        assert name in html
        assert "".join(f"<span>{fingerprint[i : i + 8]}</span>" for i in range(0, 64, 8)) in html
    assert "(giờ Việt Nam)" in html
    assert "Theo dấu thời gian của đơn vị cấp dấu thời gian (TSA)" in html
    assert "Theo đồng hồ máy của người ký" in html
    assert "Chỉ có các chữ ký tiếp theo (điền biểu mẫu): được phép." in html


def test_the_page_says_what_is_wrong(member: Actor, files: SignedPdfs) -> None:
    tampered = page_post(member, files.tampered).text
    assert "verdict-invalid" in tampered and "Không: nội dung được ký đã bị sửa" in tampered
    foreign = page_post(member, files.foreign).text
    assert "verdict-untrusted" in foreign and "không dẫn về chứng thư gốc nào" in foreign
    added = page_post(member, files.page_added).text
    assert "verdict-invalid" in added and "ví dụ thêm trang" in added
    plain = page_post(member, files.plain).text
    assert "verdict-unsigned" in plain and "Không tìm thấy chữ ký số nào" in plain


def test_bad_input_on_the_page_is_a_4xx_with_the_reason(
    member: Actor, english: Actor, files: SignedPdfs
) -> None:
    refused = page_post(member, b"not a pdf")
    assert refused.status_code == 400
    assert "Tệp tải lên không phải là tệp PDF." in refused.text and 'aria-invalid="true"' in refused.text
    empty = page_post(member, b"")
    assert empty.status_code == 400 and "Tệp tải lên rỗng (0 byte)." in empty.text
    in_english = page_post(english, b"not a pdf")
    assert in_english.status_code == 400
    assert "The uploaded file is not a PDF." in in_english.text
    valid_in_english = page_post(english, files.two).text
    assert "Result: Valid" in valid_in_english and "(Vietnam time)" in valid_in_english
    assert "Kết quả" not in valid_in_english
    assert page_post(member, files.two, token="wrong").status_code == 403


# --- the public root ----------------------------------------------------------------------------


def test_the_root_and_its_crl_are_public(client: TestClient, files: SignedPdfs) -> None:
    client.cookies.clear()
    pem = client.get("/pki/root.pem")
    assert pem.status_code == 200 and pem.headers["content-type"].startswith("application/x-pem-file")
    root = x509.load_pem_x509_certificate(pem.content)
    assert root.subject == root.issuer
    assert pem.content == (files.data_dir / "signing" / "ca" / "root.pem").read_bytes()
    crl = client.get("/pki/root.crl")
    assert crl.status_code == 200 and crl.headers["content-type"] == "application/pkix-crl"
    assert x509.load_der_x509_crl(crl.content).issuer == root.subject


# --- the command line ---------------------------------------------------------------------------


def test_verify_pdf_exit_codes(
    files: SignedPdfs, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(files.data_dir)
    for name, data, code in (
        ("two.pdf", files.two, 0),
        ("tampered.pdf", files.tampered, 1),
        ("foreign.pdf", files.foreign, 1),
        ("plain.pdf", files.plain, 1),
        ("text.pdf", b"plain text", 2),
        ("truncated.pdf", files.two[:1000], 2),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        assert commands.verify_pdf(settings, str(path)) == code, name
        out, err = capsys.readouterr()
        if code == 2:
            assert out == "" and json.loads(err)["error"]["code"] == "bad_pdf"
        else:
            assert json.loads(out)["valid"] is (code == 0) and err == ""
    assert commands.verify_pdf(settings, str(tmp_path / "missing.pdf")) == 2
    assert "không có tệp này" in json.loads(capsys.readouterr().err)["error"]["message"]
    # The same through run.py's command line.
    monkeypatch.setenv("DATA_DIR", str(files.data_dir))
    assert run.main(["verify-pdf", str(tmp_path / "two.pdf")]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [s["signer"] for s in printed["signatures"]] == list(files.signers)
