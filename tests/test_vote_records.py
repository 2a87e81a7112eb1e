"""Vote records (issue 16, point 4; docs/signatures.md "Vote records"): each closed vote's result
record is drawn, sealed with the organisation's certificate and attached to the minutes.

The scripted session of tests/test_minutes.py (a named vote on item A; a secret vote on item B,
restricted to m1 and the chair) is run, and: the sealing rounds that its closes and adjournment
start in the background seal nothing and fail on nothing while no seal is enrolled; with one,
each closed vote gets exactly one sealed file, also when rounds run at once, when another
process loses the race and when a round runs again; the file validates against the deployment's
CA with the seal as signer; it holds the question, the rule with its numbers, the electorate,
each member's choice for the named vote and only totals for the secret one, and the close
event's hash; the minutes list the records their reader may see, and a member outside the
restricted item's audience gets 404 for its record; `verify` passes, then fails once a stored
record is altered. Both engines.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Sequence
from typing import Any

import pytest
from pypdf import PdfReader
from sqlmodel import col, select
from starlette.testclient import TestClient

from agenda.db import Database
from agenda.log.events import Event
from agenda.record.minutes_pdf import CHOICES
from agenda.signing import records, service
from agenda.signing.records import SignedFile, SignedFileFetch, SigningIdentity
from agenda.signing.verify import verify_pdf
from agenda.storage import original_path
from meeting_app.context import AppContext
from meeting_app.files.vote_records import seal_record, seal_votes
from meeting_app.ops import commands
from meeting_app.settings import Settings
from tests.conftest import context_of
from tests.support.cli import json_out, run_cli
from tests.support.factories import error_of
from tests.support.live_setup import make_live
from tests.test_minutes import NAMED_QUESTION, SECRET_QUESTION, ok, run_session

SEAL_LOG = "no seal is enrolled"


def enrol_seal(db: Database, settings: Settings) -> SigningIdentity:
    identity = service.enrol_seal(settings.signing())
    return db.write_sync(lambda s: records.add_identity(s, identity, actor_id=None))


def settle(client: TestClient) -> None:
    """Wait for the background sealing tasks."""
    client.portal.call(context_of(client).vote_sealer.settle)  # type: ignore[union-attr]


def sealed_files(db: Database) -> list[SignedFile]:
    return list(
        db.read_sync(
            lambda s: s.exec(
                select(SignedFile)
                .where(SignedFile.record == "vote_record")
                .order_by(col(SignedFile.subject_id))
            ).all()
        )
    )


def close_event(db: Database, meeting_id: int, vote_id: int) -> Event:
    rows = db.read_sync(
        lambda s: s.exec(select(Event).where(Event.stream == meeting_id, Event.kind == "vote.closed")).all()
    )
    [found] = [row for row in rows if row.payload()["vote_id"] == vote_id]
    return found


def lines(data: bytes) -> list[str]:
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return [" ".join(line.split()) for line in text.splitlines()]


def twice_at_once(app: AppContext, meeting_id: int) -> Any:
    async def both() -> list[int]:
        return list(await asyncio.gather(seal_votes(app, meeting_id), seal_votes(app, meeting_id)))

    return both


def test_each_closed_vote_gets_one_sealed_record_attached_to_the_minutes(
    client: TestClient,
    db: Database,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.INFO, logger="ecabinet.signing")
    script = run_session(make_live(client, db))  # two closes and the adjournment: three rounds
    live, app = script.live, context_of(client)
    sec, m1, m2 = live.actors["sec"], live.actors["m1"], live.actors["m2"]
    named, secret = script.named_vote, script.secret_vote

    # No seal enrolled: the rounds the closes and the adjournment started in the background
    # sealed nothing, failed on nothing, and said so once.
    settle(client)
    assert sum(SEAL_LOG in r.getMessage() for r in caplog.records) == 1
    assert client.portal.call(seal_votes, app, live.meeting_id) == 0  # type: ignore[union-attr]
    assert sealed_files(db) == []
    assert sum(SEAL_LOG in r.getMessage() for r in caplog.records) == 1
    waiting = sec.get(f"/api/v1/votes/{named}/record.pdf")
    assert waiting.status_code == 409 and error_of(waiting)["code"] == "not_sealed"
    listed = ok(sec.get(live.url("/minutes")))["vote_records"]
    assert [(r["vote_id"], r["sealed"], r["sha256"]) for r in listed] == [
        (named, False, None),
        (secret, False, None),
    ]
    settle(client)

    # The seal enrolled: three rounds at once (the minutes' catch-up in the background and two
    # more) seal each record once; another process that took a vote for unsealed signs in vain;
    # a further round seals nothing.
    seal = enrol_seal(db, settings)
    ok(sec.get(live.url("/minutes")))
    assert sum(client.portal.call(twice_at_once(app, live.meeting_id))) <= 2  # type: ignore[union-attr]
    settle(client)
    assert client.portal.call(seal_record, app, named) is False  # type: ignore[union-attr]
    assert client.portal.call(seal_votes, app, live.meeting_id) == 0  # type: ignore[union-attr]
    files = sealed_files(db)
    assert [(f.subject_id, f.version, f.meeting_id) for f in files] == [
        (named, 1, live.meeting_id),
        (secret, 1, live.meeting_id),
    ]
    signed = db.read_sync(
        lambda s: s.exec(
            select(Event).where(Event.stream == live.meeting_id, Event.kind == "record.signed")
        ).all()
    )
    assert sorted((e.payload()["subject_id"], e.payload()["record"], e.actor_id) for e in signed) == [
        (named, "vote_record", None),
        (secret, "vote_record", None),
    ]

    # Served byte for byte as sealed, valid, the seal the signer; the fetch logged.
    trust = settings.signing().trust()
    data = {}
    for f in files:
        response = sec.get(f"/api/v1/votes/{f.subject_id}/record.pdf")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["cache-control"] == "private, no-store"
        assert response.headers["content-disposition"].startswith("inline; filename=")
        assert response.content == original_path(settings.data_dir, f.sha256).read_bytes()
        report = verify_pdf(response.content, trust.roots, trust.crls)
        assert report["valid"] is True, report
        [signature] = report["signatures"]
        assert (
            signature["signer"] == seal.common_name
            and signature["certificate_sha256"] == seal.certificate_sha256
        )
        data[f.subject_id] = response.content
    assert len(db.read_sync(lambda s: s.exec(select(SignedFileFetch)).all())) == 2

    # The named vote's record: the question, the rule with its numbers, every elector by name
    # with their choice, the result, the close event's hash.
    text = lines(data[named])
    whole = " ".join(text)
    assert "BIÊN BẢN KẾT QUẢ BIỂU QUYẾT" in whole and NAMED_QUESTION in whole
    assert "ít nhất 2/3 tổng số thành viên Chính phủ: 6 trên 8; khi mở biểu quyết có mặt 6" in whole
    assert "vượt quá một nửa (1/2) tổng số thành viên Chính phủ" in whole
    assert "ít nhất 5 phiếu tán thành trên 8" in whole
    assert "(4 – 4): bên có ý kiến của chủ tọa được chọn" in whole
    assert "Thành viên Chính phủ có quyền biểu quyết (6) Lựa chọn" in whole
    for n in range(6):  # the six present when it opened: m3 (Thành viên số 4) did not vote
        [row] = [line for line in text if line.startswith(f"{n + 1} Thành viên số {n + 1}")]
        assert row.endswith("Không bỏ phiếu" if n == 3 else CHOICES["yes"]), row
    assert "Thành viên số 7" not in whole and "Thành viên số 8" not in whole  # excused, absent
    assert "THÔNG QUA (5 phiếu tán thành trên tổng số 8" in whole
    assert close_event(db, live.meeting_id, named).hash in whole.replace(" ", "")

    # The secret vote's record: the electorate by name, totals only, no member's choice.
    text = lines(data[secret])
    whole = " ".join(text)
    assert SECRET_QUESTION in whole and "(biểu quyết kín)" in whole and "(nội dung hạn chế)" in whole
    assert "chỉ công bố tổng số phiếu, không ghi lựa chọn của từng thành viên" in whole
    assert "Lựa chọn" not in whole
    electors = [line for line in text if "Thành viên số" in line and not line.startswith("Chủ tọa")]
    assert electors == ["1 Thành viên số 1", "2 Thành viên số 2"]
    assert "Tán thành Không tán thành Không biểu quyết Không bỏ phiếu 1 1 0 0" in whole
    assert "KHÔNG THÔNG QUA (1 phiếu tán thành" in whole and "không được áp dụng" in whole
    assert close_event(db, live.meeting_id, secret).hash in whole.replace(" ", "")

    # Attached to the minutes, for those who see the vote's item; 404 for the others.
    by_sec = {r["vote_id"]: r for r in ok(sec.get(live.url("/minutes")))["vote_records"]}
    assert set(by_sec) == {named, secret}
    for f in files:
        entry = by_sec[f.subject_id]
        assert entry["sealed"] is True and entry["sha256"] == f.sha256 and entry["signed_at"]
        assert entry["url"] == f"/api/v1/votes/{f.subject_id}/record.pdf"
    assert (
        by_sec[secret]["question"] == SECRET_QUESTION and by_sec[secret]["agenda_item_id"] == live.items["B"]
    )
    assert [r["vote_id"] for r in ok(m1.get(live.url("/minutes")))["vote_records"]] == [named, secret]
    assert [r["vote_id"] for r in ok(m2.get(live.url("/minutes")))["vote_records"]] == [named]
    assert m1.get(f"/api/v1/votes/{secret}/record.pdf").content == data[secret]
    assert m2.get(f"/api/v1/votes/{secret}/record.pdf").status_code == 404
    assert m2.get(f"/api/v1/votes/{named}/record.pdf").status_code == 200
    assert live.actors["outsider"].get(f"/api/v1/votes/{named}/record.pdf").status_code == 404
    assert sec.get("/api/v1/votes/999999/record.pdf").status_code == 404
    page = sec.get(f"/meetings/{live.meeting_id}/minutes").text
    assert f'id="vote-record-{named}"' in page and f'href="/api/v1/votes/{secret}/record.pdf"' in page
    page = m2.get(f"/meetings/{live.meeting_id}/minutes").text
    assert f'id="vote-record-{named}"' in page and f"/api/v1/votes/{secret}/record.pdf" not in page

    # `verify` checks the sealed files: it passes (in process: the command's own function), then
    # the command names the one altered.
    assert commands.verify(settings) == 0
    clean = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (clean["signatures_checked"], clean["signed_files_ok"]) == (2, True)
    path = original_path(settings.data_dir, files[1].sha256)
    altered = bytearray(path.read_bytes())
    altered[len(altered) // 2] ^= 1
    path.write_bytes(bytes(altered))
    result = run_cli(["verify"], data_dir=settings.data_dir, database_url=settings.database_url)
    assert result.returncode == 1
    assert json_out(result)["bad_signed_files"] == [
        {"signed_file_id": files[1].id, "seq": signed_seq(signed, secret), "reason": "replaced"}
    ]


def signed_seq(rows: Sequence[Event], vote_id: int) -> int:
    [found] = [row.seq for row in rows if row.payload()["subject_id"] == vote_id]
    return found
