"""Signed records (issue 16; docs/signatures.md): the secretariat and the chair sign the finalized
minutes (two signatures on one file, both valid), the chair signs the resolution, the files are
served as signed to those who may read all of them, every signature is an event that `verify`
checks the stored file against, and PINs are checked by the token and rate-limited. Both engines.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pypdf import PdfReader
from sqlmodel import col, select
from starlette.testclient import TestClient

from agenda.db import Database
from agenda.log.events import Event
from agenda.signing.records import SignedFile, SignedFileFetch
from agenda.signing.verify import verify_pdf
from agenda.storage import original_path
from meeting_app.settings import Settings
from tests.conftest import settings_for
from tests.support.cli import json_out, run_cli
from tests.support.factories import error_of
from tests.support.live_setup import make_live
from tests.support.signers import PIN, enrol
from tests.test_minutes import CONCLUSION_A, Script, ok, run_session
from tests.test_opinion_polls import make_cast


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """The policy has the chair sign the minutes too (after the secretariat)."""
    (tmp_path / "policy.json").write_text(json.dumps({"minutes_signers": ["secretariat", "chair"]}))
    return settings_for(tmp_path, database_url=database_url)


@pytest.fixture
def script(client: TestClient, db: Database, settings: Settings) -> Script:
    found = run_session(make_live(client, db))
    enrol(db, settings, "sec", title="Văn phòng Chính phủ")
    enrol(db, settings, "chair", title="Thủ tướng Chính phủ")
    return found


def signed_events(db: Database, meeting_id: int) -> list[dict[str, Any]]:
    rows = db.read_sync(
        lambda s: s.exec(
            select(Event)
            .where(Event.stream == meeting_id, Event.kind == "record.signed")
            .order_by(col(Event.seq))
        ).all()
    )
    return [row.payload() for row in rows]


def signature_fields(data: bytes) -> list[str]:
    return [s.field_name for s in PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures]


def test_two_signers_on_the_minutes_and_the_chair_on_the_resolution(
    script: Script, settings: Settings
) -> None:
    live = script.live
    sec, chair = live.actors["sec"], live.actors["chair"]
    refused = sec.post(live.url("/minutes/signatures"), json={"pin": PIN})
    assert refused.status_code == 409 and error_of(refused)["code"] == "minutes_not_final"
    ok(sec.post(live.url("/minutes/finalize")))

    first = ok(sec.post(live.url("/minutes/signatures"), json={"pin": PIN}), 201)
    assert {"signer", "signed_at", "certificate_sha256"} <= first.keys()
    second = ok(chair.post(live.url("/minutes/signatures"), json={"pin": PIN}), 201)
    assert second["certificate_sha256"] != first["certificate_sha256"]
    again = chair.post(live.url("/minutes/signatures"), json={"pin": PIN})
    assert again.status_code == 409 and error_of(again)["code"] == "already_signed"

    data = sec.get(live.url("/minutes.pdf")).content
    if os.environ.get("DUMP_SIGNED"):  # for a look at the signed pages
        Path(os.environ["DUMP_SIGNED"]).write_bytes(data)
    trust = settings.signing().trust()
    report = verify_pdf(data, trust.roots, trust.crls)
    assert report["valid"] is True
    assert len(report["signatures"]) == 2
    assert all(s["intact"] and s["trusted"] for s in report["signatures"])
    # After the second signature only its validation data (PAdES-B-LT) was added; after the
    # first, the second signature's field.
    assert [s["modification_level"] for s in report["signatures"]] == ["form_filling", "lta_updates"]

    # The signed minutes' text still matches the record: its conclusion and the last event's hash.
    minutes = ok(sec.get(live.url("/minutes")))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    flat = " ".join(text.split())
    assert "Giao Bộ Kế hoạch và Đầu tư" in flat and CONCLUSION_A.split()[-1] in flat
    assert minutes["last_event"]["hash"][:16] in flat.replace(" ", "")
    listed = minutes["signatures"]["minutes"]
    assert [s["certificate_sha256"] for s in listed["signatures"]] == [
        first["certificate_sha256"],
        second["certificate_sha256"],
    ]
    assert listed["sha256"] == report["sha256"]

    # The resolution: the chair only, once adjourned.
    assert sec.post(live.url("/resolution/signatures"), json={"pin": PIN}).status_code == 403
    assert live.actors["m1"].post(live.url("/resolution/signatures"), json={"pin": PIN}).status_code == 403
    ok(chair.post(live.url("/resolution/signatures"), json={"pin": PIN}), 201)
    resolution = chair.get(live.url("/resolution.pdf")).content
    assert verify_pdf(resolution, trust.roots, trust.crls)["valid"] is True
    assert "NGHỊ QUYẾT PHIÊN HỌP" in PdfReader(io.BytesIO(resolution)).pages[0].extract_text()

    # Served as signed, byte for byte, to a reader who sees every item; the fetch is logged. A
    # member outside the restricted item's audience keeps their unsigned copy with the placeholder.
    assert live.actors["m1"].get(live.url("/minutes.pdf")).content == data
    assert signature_fields(live.actors["m2"].get(live.url("/minutes.pdf")).content) == []
    fetches = live.db.read_sync(lambda s: s.exec(select(SignedFileFetch)).all())
    assert len(fetches) >= 3

    # Every signature is an event with the signer's certificate and the file's digest.
    found = signed_events(live.db, live.meeting_id)
    assert [e["record"] for e in found][:3] == ["minutes", "minutes", "resolution"]
    assert found[1]["sha256"] == report["sha256"]
    assert found[0]["certificate_sha256"] == first["certificate_sha256"]

    # The minutes stay locked.
    edit = sec.put(live.url("/minutes"), json={"closing": "Sửa sau khi ký"})
    assert edit.status_code == 409

    # A correction is a new version with its own signatures; the old one stays, signed.
    assert chair.post(live.url("/resolution/versions"), json={"reason": "Bổ sung"}).status_code == 403
    bad = sec.post(live.url("/resolution/versions"), json={"reason": ""})
    assert bad.status_code in (400, 422)
    retired = ok(sec.post(live.url("/resolution/versions"), json={"reason": "Bổ sung nhiệm vụ"}), 201)
    assert retired == {"retired_version": 1, "next_version": 2}
    again = sec.post(live.url("/resolution/versions"), json={"reason": "Lần nữa"})
    assert again.status_code == 409 and error_of(again)["code"] == "not_signed"
    assert ok(sec.get(live.url("/minutes")))["signatures"]["resolution"]["superseded"] is True
    ok(chair.post(live.url("/resolution/signatures"), json={"pin": PIN}), 201)
    second_version = ok(sec.get(live.url("/minutes")))["signatures"]["resolution"]
    assert second_version["version"] == 2 and len(second_version["signatures"]) == 1
    assert verify_pdf(chair.get(live.url("/resolution.pdf")).content, trust.roots, trust.crls)["valid"]
    files = live.db.read_sync(
        lambda s: s.exec(select(SignedFile).where(SignedFile.record == "resolution")).all()
    )
    assert sorted(f.version for f in files) == [1, 2]
    assert all(original_path(settings.data_dir, f.sha256).exists() for f in files)
    kinds = [e.kind for e in live.db.read_sync(lambda s: s.exec(select(Event)).all())]
    assert "record.superseded" in kinds


def test_verify_fails_when_a_stored_signed_file_is_replaced(script: Script, settings: Settings) -> None:
    live = script.live
    ok(live.actors["chair"].post(live.url("/resolution/signatures"), json={"pin": PIN}), 201)
    clean = run_cli(["verify"], data_dir=settings.data_dir, database_url=settings.database_url)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert json_out(clean)["signatures_checked"] == 1

    current = live.db.read_sync(lambda s: s.exec(select(SignedFile)).one())
    path = original_path(settings.data_dir, current.sha256)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))
    result = run_cli(["verify"], data_dir=settings.data_dir, database_url=settings.database_url)
    assert result.returncode == 1
    summary = json_out(result)
    assert summary["signed_files_ok"] is False
    assert summary["bad_signed_files"][0]["reason"] == "replaced"


def test_a_wrong_pin_is_refused_by_the_token_and_repeated_ones_are_rate_limited(script: Script) -> None:
    live = script.live
    chair = live.actors["chair"]
    for _ in range(5):
        wrong = chair.post(live.url("/resolution/signatures"), json={"pin": "999999"})
        assert wrong.status_code == 403 and error_of(wrong)["code"] == "bad_pin"
        assert "PIN" in error_of(wrong)["message"]
    locked = chair.post(live.url("/resolution/signatures"), json={"pin": PIN})
    assert locked.status_code == 429
    assert live.db.read_sync(lambda s: s.exec(select(SignedFile)).all()) == []
    assert signed_events(live.db, live.meeting_id) == []


def test_bad_requests_get_a_clear_4xx(script: Script) -> None:
    live = script.live
    chair = live.actors["chair"]
    url = live.url("/resolution/signatures")
    for body in ({}, {"pin": ""}, {"pin": 123456}, {"pin": "x" * 200}, {"pin": PIN, "extra": 1}):
        response = chair.post(url, json=body)
        assert 400 <= response.status_code < 500 and response.status_code != 403, (body, response.text)
    assert (
        chair.post(url, content=b"not json", headers={"Content-Type": "application/json"}).status_code == 400
    )
    unenrolled = live.actors["m1"].post(live.url("/minutes/signatures"), json={"pin": PIN})
    assert unenrolled.status_code in (403, 409)
    assert live.actors["observer"].post(url, json={"pin": PIN}).status_code == 403
    assert chair.post("/api/v1/meetings/999999/resolution/signatures", json={"pin": PIN}).status_code == 404


def test_the_pages_sign_without_javascript(script: Script) -> None:
    """The minutes page offers each signer their form; a wrong PIN re-renders it with the token's
    refusal; the right one lists the signature; the console offers the chair the resolution."""
    live = script.live
    sec, chair = live.actors["sec"], live.actors["chair"]
    page = sec.get(live.url("/minutes").replace("/api/v1", ""))
    assert page.status_code == 200
    assert 'id="signatures"' in page.text and "sign-minutes-form" not in page.text  # not final yet
    ok(sec.post(live.url("/minutes/finalize")))
    page = sec.get(f"/meetings/{live.meeting_id}/minutes")
    assert "sign-minutes-form" in page.text and "sign-resolution-form" not in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"csrf_token": token.group(1), "pin": "000000"}
    wrong = sec.post(f"/meetings/{live.meeting_id}/minutes/sign", data=form)
    assert wrong.status_code == 403 and "Mã PIN không đúng" in wrong.text
    form["pin"] = PIN
    signed = sec.post(f"/meetings/{live.meeting_id}/minutes/sign", data=form, follow_redirects=False)
    assert signed.status_code == 303 and "ok=signed" in signed.headers["location"]
    page = sec.get(signed.headers["location"])
    assert "Đã ký số văn bản." in page.text and 'id="minutes-signatures" data-count="1"' in page.text
    assert "sign-minutes-form" not in page.text  # signed once

    console = chair.get(f"/meetings/{live.meeting_id}/console")
    assert 'id="console-sign"' in console.text and "console-sign-form" in console.text
    assert sec.patch("/api/v1/me", json={"locale": "en"}).status_code == 200
    english = sec.get(f"/meetings/{live.meeting_id}/minutes").text
    assert "Digital signatures" in english and "Download the signed minutes (PDF)" in english
    assert "Certificate (SHA-256):" in english and "Signed at" in english
    assert "console-sign" not in live.actors["m1"].get(f"/meetings/{live.meeting_id}/tablet").text


def test_the_secretariat_signs_a_closed_ballots_report(
    client: TestClient, db: Database, settings: Settings
) -> None:
    cast = make_cast(client, db)
    enrol(db, settings, "thuky", title="Văn phòng Chính phủ")
    poll_id = cast.create(datetime.now(UTC) + timedelta(days=2))
    assert cast.answer(0, poll_id, "agree").status_code == 200
    early = cast.sec.post(f"/api/v1/opinion-polls/{poll_id}/report/signatures", json={"pin": PIN})
    assert early.status_code == 409 and error_of(early)["code"] == "poll_not_closed"
    ok(cast.sec.post(f"/api/v1/opinion-polls/{poll_id}/close"))
    assert (
        cast.members[0]
        .post(f"/api/v1/opinion-polls/{poll_id}/report/signatures", json={"pin": PIN})
        .status_code
        == 403
    )
    ok(cast.sec.post(f"/api/v1/opinion-polls/{poll_id}/report/signatures", json={"pin": PIN}), 201)
    data = cast.sec.get(f"/api/v1/opinion-polls/{poll_id}/report.pdf").content
    trust = settings.signing().trust()
    report = verify_pdf(data, trust.roots, trust.crls)
    assert report["valid"] is True and len(report["signatures"]) == 1
    assert cast.sec.get(f"/api/v1/opinion-polls/{poll_id}/report.pdf").content == data  # the same bytes
    page = cast.sec.get(f"/opinion-polls/{poll_id}")
    assert 'id="report-signatures"' in page.text and 'data-count="1"' in page.text


def make_pkcs12(password: bytes) -> tuple[bytes, str]:
    """A key and a self-signed certificate from some other CA, as a PKCS#12, and its SHA-256."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Nguyễn Văn Ký")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        b"k", key, certificate, None, serialization.BestAvailableEncryption(password)
    )
    digest = hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()
    return data, digest


def test_signer_enroll_on_the_command_line(
    client: TestClient,
    db: Database,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from agenda.signing.records import SigningIdentity
    from meeting_app.ops import commands
    from tests.support.factories import make_user

    make_user(db, "kyso", ["secretariat"], full_name="Phan Ngọc Ánh")
    monkeypatch.setenv("SIGNING_TOKEN_PREFIX", settings.signing_token_prefix)

    def cli(args: list[str], stdin: str = "") -> Any:
        return run_cli(args, stdin=stdin, data_dir=settings.data_dir, database_url=settings.database_url)

    made = cli(["signer", "enroll", "--username", "kyso", "--pin-stdin"], f"{PIN}\n")
    assert made.returncode == 0, made.stderr
    fingerprint = json_out(made)["certificate_sha256"]
    identity = db.read_sync(lambda s: s.exec(select(SigningIdentity)).one())
    assert identity.certificate_sha256 == fingerprint and identity.store == "pkcs11"
    assert "BEGIN CERTIFICATE" in identity.certificate and identity.title == "Văn phòng Chính phủ"
    # The refusals, in process (the command's own function; a subprocess costs seconds each).
    for username, pin in (
        ("nobody", PIN),
        ("kyso", "12"),
        ("kyso", "999999"),
    ):  # unknown, short, not the token's
        refused = commands.signer_enroll(
            settings, username=username, pin=pin, seal=False, pkcs12=None, pkcs12_password=None
        )
        assert refused == 2, (username, pin)
    assert "error" in capsys.readouterr().err

    # A key and certificate issued elsewhere, imported into the token: the old identity retires.
    bundle, digest = make_pkcs12(b"p12-pass")
    (tmp_path / "ky.p12").write_bytes(bundle)
    imported = cli(
        [
            "signer",
            "enroll",
            "--username",
            "kyso",
            "--pin-stdin",
            "--pkcs12",
            str(tmp_path / "ky.p12"),
            "--pkcs12-password-stdin",
        ],
        f"{PIN}\np12-pass\n",
    )
    assert imported.returncode == 0, imported.stderr
    assert json_out(imported)["certificate_sha256"] == digest
    current = db.read_sync(
        lambda s: s.exec(select(SigningIdentity).where(col(SigningIdentity.revoked_at).is_(None))).all()
    )
    assert [i.certificate_sha256 for i in current] == [digest]
    assert (
        commands.signer_enroll(settings, username=None, pin="", seal=True, pkcs12=None, pkcs12_password=None)
        == 0
    )
    kinds = db.read_sync(
        lambda s: [
            e.payload()["identity_kind"]
            for e in s.exec(select(Event).where(Event.kind == "signer.enrolled")).all()
        ]
    )
    assert kinds == ["person", "person", "seal"]
