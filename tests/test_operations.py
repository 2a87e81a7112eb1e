"""Operations (issue 6): `GET /metrics` in the Prometheus text format, and `run.py backup` /
`run.py restore` on both engines (docs/deployment.md "Operations")."""

from __future__ import annotations

import asyncio
import io
import json
import re
import tarfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from httpx2 import Response
from sqlmodel import select
from starlette.testclient import TestClient

from agenda.db import Database, make_engine
from agenda.errors import WrongState
from agenda.log.events import EMPTY_LOG, log_epoch
from agenda.people.members import Member
from agenda.storage import original_path
from agenda.votes.models import Vote
from meeting_app.metrics import Ballots, Histogram
from meeting_app.ops import commands, monitoring
from meeting_app.ops.archive import MANIFEST
from meeting_app.settings import Settings
from tests.conftest import (
    TEST_DATABASE_URL,
    context_of,
    plain_postgres_url,
    running_client,
    settings_for,
    with_search_path,
)
from tests.support.cli import json_out, run_cli
from tests.support.factories import (
    error_of,
    login_as,
    make_member,
    make_programme_item,
    make_stored_document,
    make_user,
)
from tests.support.live_setup import Live, make_live

TOKEN = "metrics-token-for-the-tests-0123456789"

# --- a small parser of the text format 0.0.4 ------------------------------------------------------

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
SAMPLE = re.compile(rf"({NAME})(?:\{{((?:{LABEL})(?:,{LABEL})*)?\}})? (\S+)")
Key = tuple[str, tuple[tuple[str, str], ...]]


def parse(text: str) -> tuple[dict[str, str], dict[Key, float]]:
    """(family -> type, (sample name, labels) -> value), checking the line formats: HELP and TYPE
    once per family and before its samples, every sample of the family declared last."""
    assert text.endswith("\n")
    types: dict[str, str] = {}
    helps: set[str] = set()
    samples: dict[Key, float] = {}
    family = ""
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            assert re.fullmatch(NAME, name) and name not in helps, line
            helps.add(name)
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name in helps and name not in types, line
            assert kind in ("counter", "gauge", "histogram"), line
            types[name], family = kind, name
        else:
            match = SAMPLE.fullmatch(line)
            assert match is not None, f"not a sample line: {line!r}"
            name, raw_labels, raw_value = match.groups()
            allowed = {family} | (
                {f"{family}_bucket", f"{family}_sum", f"{family}_count"}
                if types[family] == "histogram"
                else set()
            )
            assert name in allowed, (name, family)
            labels = tuple(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', raw_labels or ""))
            value = float(raw_value)  # also "+Inf" and "NaN"
            assert (name, labels) not in samples, line
            samples[(name, labels)] = value
    return types, samples


def value(samples: dict[Key, float], name: str, **labels: str) -> float:
    return samples[(name, tuple(labels.items()))]


def buckets(samples: dict[Key, float], name: str) -> list[tuple[float, float]]:
    found = [(float(dict(labels)["le"]), v) for (n, labels), v in samples.items() if n == f"{name}_bucket"]
    return sorted(found)


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture
def ops_client(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    """The app with METRICS_TOKEN set."""
    settings = settings_for(tmp_path, database_url=database_url, metrics_token=TOKEN)
    from meeting_app.app import create_app

    with TestClient(create_app(settings), base_url="http://testserver") as test_client:
        yield test_client


def scrape(client: TestClient, headers: dict[str, str] | None = None) -> Response:
    client.cookies.clear()
    return client.get(
        "/metrics", headers=headers if headers is not None else {"Authorization": f"Bearer {TOKEN}"}
    )


def figures(client: TestClient) -> dict[Key, float]:
    response = scrape(client)
    assert response.status_code == 200, response.text
    return parse(response.text)[1]


def until(check: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# --- /metrics -------------------------------------------------------------------------------------


def test_the_text_format_and_every_figure(ops_client: TestClient) -> None:
    response = scrape(ops_client)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    types, samples = parse(response.text)
    expected = {
        "ecabinet_process_info": "gauge",
        "ecabinet_start_time_seconds": "gauge",
        "ecabinet_uptime_seconds": "gauge",
        "ecabinet_open_sockets": "gauge",
        "ecabinet_fast_path_sockets": "gauge",
        "ecabinet_meetings_followed": "gauge",
        "ecabinet_events_published_total": "counter",
        "ecabinet_events_delivered_total": "counter",
        "ecabinet_fanout_seconds": "histogram",
        "ecabinet_ballots_acknowledged_total": "counter",
        "ecabinet_ballots_refused_total": "counter",
        "ecabinet_pdf_pool_workers": "gauge",
        "ecabinet_pdf_jobs_in_flight": "gauge",
        "ecabinet_pdf_jobs_total": "counter",
        "ecabinet_pdf_checks_running": "gauge",
        "ecabinet_pdf_checks_waiting": "gauge",
    }
    assert expected.items() <= types.items()
    assert value(samples, "ecabinet_open_sockets", feed="meeting") == 0
    assert value(samples, "ecabinet_open_sockets", feed="me") == 0
    assert value(samples, "ecabinet_fast_path_sockets") == 0
    assert value(samples, "ecabinet_uptime_seconds") >= 0
    assert value(samples, "ecabinet_pdf_pool_workers") == context_of(ops_client).settings.pdf_workers
    # The histogram: cumulative buckets ending in +Inf, which equals _count; a _sum.
    found = buckets(samples, "ecabinet_fanout_seconds")
    assert len(found) >= 10 and found[-1][0] == float("inf")
    assert [count for _, count in found] == sorted(count for _, count in found)
    assert found[-1][1] == value(samples, "ecabinet_fanout_seconds_count")
    assert ("ecabinet_fanout_seconds_sum", ()) in samples


def test_access_is_for_an_admin_or_the_token(ops_client: TestClient) -> None:
    db = context_of(ops_client).db
    make_user(db, "quantri", ["admin"])
    make_user(db, "vanphong", ["secretariat"])
    make_user(db, "botruong", ["member"])
    anonymous = scrape(ops_client, headers={})
    assert anonymous.status_code == 401
    assert error_of(anonymous)["code"] == "unauthorized"  # the API's JSON, not the login redirect
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    for who in ("vanphong", "botruong"):
        refused = login_as(ops_client, who).get("/metrics")
        assert refused.status_code == 403
        assert error_of(refused)["code"] == "forbidden"
    admin = login_as(ops_client, "quantri")
    allowed = admin.get("/metrics")
    assert allowed.status_code == 200 and parse(allowed.text)[0]
    assert scrape(ops_client).status_code == 200  # the token alone, no session
    for header in (f"Bearer {TOKEN}x", "Bearer ", f"Basic {TOKEN}", TOKEN, "Bearer wrong"):
        wrong = scrape(ops_client, headers={"Authorization": header})
        assert wrong.status_code == 401, header
        assert error_of(wrong)["code"] == "bad_metrics_token"
    # A token, once sent, decides alone: a wrong one is refused even beside an admin's session.
    assert admin.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    # English on request, like the rest of the API.
    english = scrape(ops_client, headers={"Authorization": "Bearer wrong", "Accept-Language": "en"})
    assert error_of(english)["message"] == "The metrics access token is wrong."


def test_without_a_configured_token_no_token_is_accepted() -> None:
    assert not monitoring.token_ok("", "Bearer ")
    assert not monitoring.token_ok("", "Bearer anything")
    assert monitoring.token_ok("s3cret", "Bearer s3cret")
    assert monitoring.token_ok("s3cret", "bearer s3cret")
    assert not monitoring.token_ok("s3cret", "Bearer s3cre")
    assert not monitoring.token_ok("s3cret", None)


def _first_event(ws: Any, limit: int = 20) -> dict[str, Any]:
    for _ in range(limit):
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] == "event":
            return frame
    raise AssertionError("no event frame")


def test_sockets_events_and_fanout_are_counted(ops_client: TestClient) -> None:
    db = context_of(ops_client).db
    live: Live = make_live(ops_client, db)
    before = figures(ops_client)
    assert value(before, "ecabinet_open_sockets", feed="meeting") == 0
    url = f"/ws/meetings/{live.meeting_id}"
    with (
        ops_client.websocket_connect(url, headers=live.socket_headers("sec")) as staff,
        ops_client.websocket_connect(url, headers=live.socket_headers("m2")) as member,
        ops_client.websocket_connect("/ws/me", headers=live.socket_headers("m3")) as bell,
    ):
        assert staff.receive_json()["type"] == "snapshot"
        assert member.receive_json()["type"] == "snapshot"
        bell.receive_json()
        opened = figures(ops_client)
        assert value(opened, "ecabinet_open_sockets", feed="meeting") == 2
        assert value(opened, "ecabinet_open_sockets", feed="me") == 1
        assert value(opened, "ecabinet_fast_path_sockets") == 0  # the test client has no transport
        assert value(opened, "ecabinet_meetings_followed") == 1
        live.present(1)  # attendance.changed and quorum.changed, on the meeting's stream
        assert _first_event(staff)["seq"] == _first_event(member)["seq"]
        after = figures(ops_client)
    published = value(after, "ecabinet_events_published_total") - value(
        before, "ecabinet_events_published_total"
    )
    delivered = value(after, "ecabinet_events_delivered_total") - value(
        before, "ecabinet_events_delivered_total"
    )
    timed = value(after, "ecabinet_fanout_seconds_count") - value(before, "ecabinet_fanout_seconds_count")
    assert published >= 1 and delivered >= 1
    assert timed >= 1  # one observation per event delivered to the meeting's sockets
    assert value(after, "ecabinet_fanout_seconds_sum") > value(before, "ecabinet_fanout_seconds_sum")
    assert buckets(after, "ecabinet_fanout_seconds")[-1][1] == value(after, "ecabinet_fanout_seconds_count")

    def closed() -> bool:
        now = figures(ops_client)
        return (
            value(now, "ecabinet_open_sockets", feed="meeting") == 0
            and value(now, "ecabinet_open_sockets", feed="me") == 0
        )

    until(closed)


def test_ballots_and_the_pdf_queue_are_counted(ops_client: TestClient) -> None:
    app = context_of(ops_client)
    app.metrics.ballots.acknowledged.inc()  # as Ballots.counted does: one ballot acknowledged,
    app.metrics.ballots.refused.inc()  # and two refused by a rule
    app.metrics.ballots.refused.inc()
    counted = figures(ops_client)
    assert value(counted, "ecabinet_ballots_acknowledged_total") == 1
    assert value(counted, "ecabinet_ballots_refused_total") == 2
    job = app.pdf_pool.submit(time.sleep, 0.5)
    queued = figures(ops_client)
    assert value(queued, "ecabinet_pdf_jobs_in_flight") == 1
    assert value(queued, "ecabinet_pdf_jobs_total") == 1
    job.result(timeout=120)
    until(lambda: value(figures(ops_client), "ecabinet_pdf_jobs_in_flight") == 0)
    assert value(figures(ops_client), "ecabinet_pdf_jobs_total") == 1


def test_a_counted_ballot_is_acknowledged_or_refused() -> None:
    """`Ballots.counted` wraps the ballot box's answer in meeting_app/api/votes.py."""
    ballots = Ballots()

    async def answer() -> str:
        return "ok"

    async def refuse() -> str:
        raise WrongState()

    async def crash() -> str:
        raise RuntimeError("not a rule")

    assert asyncio.run(ballots.counted(answer())) == "ok"
    for failing, error in ((refuse, WrongState), (crash, RuntimeError)):
        with pytest.raises(error):
            asyncio.run(ballots.counted(failing()))
    assert (ballots.acknowledged.value, ballots.refused.value) == (1, 1)


def test_histogram_buckets_are_upper_bounds() -> None:
    found = Histogram((0.1, 1.0))
    for observed in (0.05, 0.1, 0.5, 1.0, 3.0):
        found.observe(observed)
    assert found.cumulative() == [(0.1, 2), (1.0, 4), (float("inf"), 5)]
    assert found.count == 5 and found.sum == pytest.approx(4.65)


# --- backup and restore ---------------------------------------------------------------------------


@contextmanager
def fresh_target(source_url: str, directory: Path, schema: str | None) -> Iterator[str]:
    """An empty database of the same engine: a new SQLite file, or a new PostgreSQL database
    whose search_path names the backed-up schema (which does not exist there yet)."""
    if source_url.startswith("sqlite"):
        yield f"sqlite:///{directory / 'ecabinet.sqlite3'}"
        return
    assert schema is not None
    base = plain_postgres_url(TEST_DATABASE_URL)
    name = f"restore_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_search_path(urlunsplit(urlsplit(base)._replace(path=f"/{name}")), schema)
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def count_rows(database_url: str, model: Any) -> int:
    engine = make_engine(database_url, pool_size=0)
    try:
        db = Database(engine)
        return len(db.read_sync(lambda s: s.exec(select(model)).all()))
    finally:
        engine.dispose()


def epoch_of(database_url: str) -> str:
    engine = make_engine(database_url, pool_size=0)
    try:
        return Database(engine).read_sync(log_epoch)
    finally:
        engine.dispose()


def seed(client: TestClient, db: Database, data_dir: Path) -> Live:
    """A meeting with a closed vote, two stored originals and a policy file."""
    live = make_live(client, db)
    live.start()
    vote_id = live.open_vote()
    for who in ("chair", "m1", "m2", "m3", "m4", "m5"):
        assert live.ballot(who, vote_id, "yes").status_code == 200
    assert live.actors["chair"].post(f"/api/v1/votes/{vote_id}/close").status_code == 200
    item = make_programme_item(db)
    assert item.id is not None
    make_stored_document(db, data_dir, item.id, "submission")
    make_stored_document(db, data_dir, item.id, "draft")
    (data_dir / "policy.json").write_text(json.dumps({"speaker_warning_seconds": 240}))
    return live


def test_backup_while_writing_then_restore_into_a_fresh_target(
    client: TestClient, db: Database, database_url: str, tmp_path: Path
) -> None:
    live = seed(client, db, tmp_path)
    archive = tmp_path.parent / f"{tmp_path.name}-backup.tar"
    before = count_rows(database_url, Member)
    stop = threading.Event()
    written: list[int] = []

    def keep_writing() -> None:
        while not stop.is_set():
            written.append(make_member(db, full_name=f"Thành viên thêm {len(written)}").id or 0)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        until(lambda: len(written) >= 3)
        during = len(written)
        made = run_cli(["backup", str(archive)], data_dir=tmp_path, database_url=database_url)
        until(lambda: len(written) >= during + 3)  # the writer went on meanwhile, never blocked
    finally:
        stop.set()
        writer.join()
    assert made.returncode == 0, made.stderr
    summary = json_out(made)
    assert summary["engine"] == ("sqlite" if database_url.startswith("sqlite") else "postgresql")
    assert summary["originals"] == 2 and summary["secret_key"] == "file"
    assert len(written) > during, "no write happened while the backup ran"

    restored_dir = tmp_path.parent / f"{tmp_path.name}-restored"
    restored_dir.mkdir()
    with fresh_target(database_url, restored_dir, summary.get("schema")) as target:
        done = run_cli(["restore", str(archive)], data_dir=restored_dir, database_url=target)
        assert done.returncode == 0, done.stderr
        assert json_out(done)["events"] == summary["events"]
        checked = run_cli(["verify"], data_dir=restored_dir, database_url=target)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        report = json_out(checked)
        assert report["intact"] and report["votes_ok"] and report["votes_recounted"] == 1
        assert report["events"] == summary["events"] + 1  # and the restore's own system.restored
        # The restore renamed the log: tablets resume with a snapshot, never a replay onto events
        # the backup does not hold.
        assert epoch_of(target) != db.read_sync(log_epoch) != EMPTY_LOG
        # Everything committed before the backup began is there, and more (the writes meanwhile).
        members = count_rows(target, Member)
        assert before + during <= members <= before + len(written)
        assert count_rows(target, Vote) == 1
        for original in (tmp_path / "originals").glob("*/*.pdf"):
            copy = original_path(restored_dir, original.stem)
            assert copy.read_bytes() == original.read_bytes()
        assert (restored_dir / "secret_key").read_text() == (tmp_path / "secret_key").read_text()
        assert (restored_dir / "policy.json").read_text() == (tmp_path / "policy.json").read_text()
        # A server on the restored data: the same session cookie works (the key came back) and
        # the closed vote reads as it did.
        with running_client(restored_dir, target) as restored:
            again = restored.get("/api/v1/me", headers=live.actors["sec"].headers())
            assert again.status_code == 200 and again.json()["user"]["username"] == "sec"
            votes = restored.get(f"/api/v1/meetings/{live.meeting_id}", headers=live.actors["sec"].headers())
            assert votes.status_code == 200
            assert votes.json()["id"] == live.meeting_id
            vote_id = db.read_sync(lambda s: s.exec(select(Vote.id)).one())
            url = f"/api/v1/votes/{vote_id}"
            vote = restored.get(url, headers=live.actors["sec"].headers()).json()
            assert vote == client.get(url, headers=live.actors["sec"].headers()).json()
            assert vote["state"] == "closed" and vote["result"]["yes"] == 6


def _restore(data_dir: Path, database_url: str, archive: Path, *, force: bool = False) -> int:
    return commands.restore(settings_for(data_dir, database_url=database_url), str(archive), force=force)


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    code: str = json.loads(err)["error"]["code"]
    assert json.loads(err)["error"]["message"]
    return code


def _copy_tar(source: Path, target: Path, *, extra: str | None = None, drop: str | None = None) -> None:
    with tarfile.open(source) as old, tarfile.open(target, "w") as new:
        for member in old:
            if member.name == drop:
                continue
            new.addfile(member, old.extractfile(member))
        if extra is not None:
            info = tarfile.TarInfo(extra)
            info.size = 4
            new.addfile(info, io.BytesIO(b"%PDF"))


def test_damaged_or_foreign_archives_are_refused(
    client: TestClient,
    db: Database,
    settings: Settings,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    item = make_programme_item(db)
    assert item.id is not None
    make_stored_document(db, tmp_path, item.id, "submission")
    archive = tmp_path.parent / f"{tmp_path.name}-backup.tar"
    assert commands.backup(settings, str(archive)) == 0
    summary = json.loads(capsys.readouterr().out)
    assert commands.backup(settings, str(archive)) == 1  # never overwritten
    assert _error(capsys) == "backup_exists"

    with tarfile.open(archive) as tar:
        original = next(m for m in tar if m.name.startswith("data/originals/"))
    flipped = tmp_path.parent / "flipped.tar"
    raw = bytearray(archive.read_bytes())
    raw[original.offset_data + 100] ^= 0xFF
    flipped.write_bytes(bytes(raw))
    truncated = tmp_path.parent / "truncated.tar"
    truncated.write_bytes(archive.read_bytes()[: len(raw) // 2])
    not_tar = tmp_path.parent / "not.tar"
    not_tar.write_bytes(b"this is not a tar file at all\n" * 100)
    no_manifest = tmp_path.parent / "no-manifest.tar"
    _copy_tar(archive, no_manifest, drop=MANIFEST)
    smuggled = tmp_path.parent / "smuggled.tar"
    _copy_tar(archive, smuggled, extra=f"data/originals/aa/{'a' * 64}.pdf")
    cases = {
        flipped: "backup_checksum",
        truncated: {"backup_unreadable", "backup_not_ecabinet"},
        not_tar: "backup_unreadable",
        no_manifest: "backup_not_ecabinet",
        smuggled: "backup_unexpected",
        tmp_path.parent / "missing.tar": "backup_missing",
    }
    target_dir = tmp_path.parent / f"{tmp_path.name}-target"
    target_dir.mkdir()
    with fresh_target(database_url, target_dir, summary.get("schema")) as target:
        for path, expected in cases.items():
            assert _restore(target_dir, target, path) == 1, path
            code = _error(capsys)
            assert code in expected if isinstance(expected, set) else code == expected, (path, code)
            assert not (target_dir / "originals").exists(), path  # nothing was touched
        # Another engine is refused before anything is read from the target.
        other = (
            "postgresql://nobody@127.0.0.1:1/none" if target.startswith("sqlite") else "sqlite:///x.sqlite3"
        )
        assert _restore(target_dir, other, archive) == 1
        assert _error(capsys) == "wrong_engine"
        # The intact archive still restores.
        assert _restore(target_dir, target, archive) == 0
        assert json.loads(capsys.readouterr().out)["events"] == summary["events"]


def test_a_target_that_holds_data_needs_force(
    client: TestClient,
    db: Database,
    settings: Settings,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    item = make_programme_item(db)
    assert item.id is not None
    make_stored_document(db, tmp_path, item.id, "submission")
    archive = tmp_path.parent / f"{tmp_path.name}-backup.tar.gz"  # compressed, by its name
    assert commands.backup(settings, str(archive)) == 0
    summary = json.loads(capsys.readouterr().out)
    target_dir = tmp_path.parent / f"{tmp_path.name}-target"
    target_dir.mkdir()
    with fresh_target(database_url, target_dir, summary.get("schema")) as target:
        assert _restore(target_dir, target, archive) == 0
        capsys.readouterr()
        extra = Database(make_engine(target, pool_size=0))
        try:
            make_member(extra, full_name="Thêm sau khôi phục")  # the target now holds more
        finally:
            extra.engine.dispose()
        assert _restore(target_dir, target, archive) == 1
        assert _error(capsys) == "target_not_empty"
        assert count_rows(target, Member) == count_rows(database_url, Member) + 1  # untouched
        refused = run_cli(["restore", str(archive)], data_dir=target_dir, database_url=target)
        assert refused.returncode == 1 and "Traceback" not in refused.stderr
        assert "--force" in json.loads(refused.stderr)["error"]["message"]
        forced = run_cli(["restore", "--force", str(archive)], data_dir=target_dir, database_url=target)
        assert forced.returncode == 0, forced.stderr
        assert count_rows(target, Member) == count_rows(database_url, Member)  # back to the backup
        checked = run_cli(["verify"], data_dir=target_dir, database_url=target)
        assert checked.returncode == 0, checked.stdout + checked.stderr
