"""Hostile files, made here byte by byte: each one gets a fast, clean 4xx with the reason, nothing
is stored, and the server stays healthy (and still takes a good upload) afterwards.

The sandbox itself (agenda/papers/pdf_check.py) is tested directly too: its limits, its timeout, and a
child that dies or talks nonsense.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from agenda.db import Database
from agenda.errors import BadPdf
from agenda.papers import pdf_check
from agenda.papers.documents import Document
from agenda.papers.pdf_check import check_pdf, read_verdict
from tests.support import pdf_files as pdfs
from tests.support.factories import Actor, error_of, login_as, make_programme_item, make_user

FAST = 10.0  # seconds; each refusal takes well under one on this machine

HOSTILE: list[tuple[str, Callable[[], bytes], int, str]] = [
    ("flate_bomb", pdfs.flate_bomb, 422, "pdf_too_complex"),
    ("circular_xref", pdfs.circular_xref, 422, "pdf_unreadable"),
    ("cyclic_pages", pdfs.cyclic_pages, 422, "pdf_unreadable"),
    ("huge_length", pdfs.huge_length, 422, "pdf_too_complex"),
    ("html_as_pdf", pdfs.html_as_pdf, 422, "pdf_unreadable"),
    ("zero_bytes", lambda: b"", 422, "empty_file"),
    ("not_a_pdf", lambda: "<html><body>Tờ trình</body></html>".encode(), 422, "not_pdf"),
    ("truncated", pdfs.truncated, 422, "truncated"),
    ("encrypted", pdfs.encrypted, 422, "encrypted"),
    ("open_action_javascript", pdfs.open_action_javascript, 422, "javascript"),
    ("annotation_javascript", pdfs.hidden_javascript, 422, "javascript"),
    ("names_javascript", pdfs.names_javascript, 422, "javascript"),
    ("page_additional_action", pdfs.page_additional_action, 422, "javascript"),
    ("launch_action", pdfs.launch_action, 422, "launch_action"),
    ("no_pages", pdfs.no_pages, 422, "no_pages"),
    ("deep_nesting", pdfs.deep_nesting, 422, "pdf_too_complex"),
]


@pytest.fixture
def secretary(client: TestClient, db: Database) -> Actor:
    make_user(db, "thuky", ["secretariat"])
    return login_as(client, "thuky")


def post(
    actor: Actor, item_id: int, data: bytes, filename: str = "giay-to.pdf"
) -> tuple[int, dict[str, str], float]:
    started = time.monotonic()
    response = actor.post(
        f"/api/v1/programme-items/{item_id}/documents",
        files=pdfs.files(data, filename),
        data={"kind": "submission", "title": "Tờ trình"},
    )
    elapsed = time.monotonic() - started
    return (
        response.status_code,
        (error_of(response) if response.status_code >= 400 else response.json()),
        elapsed,
    )


@pytest.mark.parametrize(("name", "build", "status", "code"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_file_is_refused_cleanly(
    client: TestClient,
    secretary: Actor,
    db: Database,
    name: str,
    build: Callable[[], bytes],
    status: int,
    code: str,
) -> None:
    item = make_programme_item(db)
    assert item.id
    got, body, elapsed = post(secretary, item.id, build())
    assert (got, body["code"]) == (status, code), body
    assert body["message"] == pdf_check.REJECTIONS[code]
    assert elapsed < FAST, f"{name} took {elapsed:.1f} s"
    assert pdfs.stored_files(client) == []
    assert db.read_sync(lambda s: s.exec(select(Document)).all()) == []
    # still healthy, and still at work
    assert client.get("/healthz").status_code == 200
    assert post(secretary, item.id, pdfs.valid_pdf(2))[0] == 201


@pytest.mark.parametrize(
    "filename",
    [
        b"../../../../etc/cron.d/evil.pdf",
        b"..\\..\\windows\\system32\\evil.pdf",
        b"nul\x00byte.pdf",
        b"to-trinh\xe2\x80\xaefdp.exe",  # U+202E RIGHT-TO-LEFT OVERRIDE
        b".htaccess",
        b"",
    ],
    ids=["dot-dot-slash", "backslashes", "nul", "rtl-override", "dotfile", "empty"],
)
def test_the_clients_filename_is_never_used(
    client: TestClient, secretary: Actor, db: Database, filename: bytes
) -> None:
    item = make_programme_item(db)
    pdf = pdfs.valid_pdf(1, text=filename.decode("utf-8", "replace"))
    body, headers = pdfs.multipart(
        [("kind", "submission"), ("title", "Tờ trình")], (filename or b"x", pdf, b"application/pdf")
    )
    response = secretary.post(f"/api/v1/programme-items/{item.id}/documents", content=body, headers=headers)
    assert response.status_code == 201, response.text
    sha = hashlib.sha256(pdf).hexdigest()
    assert pdfs.stored_files(client) == [f"originals/{sha[:2]}/{sha}.pdf"]
    root = client.app_state["ctx"].settings.data_dir
    names = [p.name for p in Path(root).rglob("*")]
    assert not any(n in ("evil.pdf", ".htaccess") or "\u202e" in n or "fdp.exe" in n for n in names)


@pytest.mark.parametrize(
    ("filename", "status"),
    [(b"a\r\nb.pdf", 400), (b"a\rb.pdf", 400), (b"a\nb.pdf", 201)],
    ids=["crlf", "cr", "lf"],
)
def test_a_line_break_in_the_filename_is_a_clean_answer(
    client: TestClient, secretary: Actor, db: Database, filename: bytes, status: int
) -> None:
    """A raw CR ends the part's header line: the body is malformed (400). A lone LF does not,
    and the name is simply never used."""
    item = make_programme_item(db)
    pdf = pdfs.valid_pdf(1)
    body, headers = pdfs.multipart(
        [("kind", "submission"), ("title", "Tờ trình")], (filename, pdf, b"application/pdf")
    )
    response = secretary.post(f"/api/v1/programme-items/{item.id}/documents", content=body, headers=headers)
    assert response.status_code == status, response.text
    sha = hashlib.sha256(pdf).hexdigest()
    assert pdfs.stored_files(client) == ([f"originals/{sha[:2]}/{sha}.pdf"] if status == 201 else [])
    assert client.get("/healthz").status_code == 200
    # The same name through an ordinary client (which percent-escapes it) is just ignored.
    sent = secretary.post(
        f"/api/v1/programme-items/{item.id}/documents",
        files=pdfs.files(pdf, filename.decode()),
        data={"kind": "draft", "title": "Dự thảo"},
    )
    assert sent.status_code == 201
    assert (sent.json()["kind"], sent.json()["title"]) == ("draft", "Dự thảo")  # named by its title only


def test_a_hostile_title_is_shown_escaped(client: TestClient, secretary: Actor, db: Database) -> None:
    item = make_programme_item(db)
    assert item.id
    title = '<img src=x onerror="alert(1)">\u202eTờ trình'
    response = secretary.post(
        f"/api/v1/programme-items/{item.id}/documents",
        files=pdfs.files(pdfs.valid_pdf(1)),
        data={"kind": "submission", "title": title},
    )
    assert response.status_code == 201
    assert response.json()["title"] == '<img src=x onerror="alert(1)">Tờ trình'  # bidi override dropped
    html = secretary.get(f"/programme/{item.id}").text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;Tờ trình" in html
    assert "<img src=x" not in html


# --- the sandbox, directly ----------------------------------------------------------------------


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "upload.pdf"
    path.write_bytes(data)
    return path


def refusal(path: Path, **limits: float) -> str:
    with pytest.raises(BadPdf) as caught:
        check_pdf(path, **limits)  # type: ignore[arg-type]
    return caught.value.code


def test_a_good_file_gives_its_facts(tmp_path: Path) -> None:
    pdf = pdfs.valid_pdf(4, title="Báo cáo\u202e tổng hợp")
    facts = check_pdf(write(tmp_path, pdf))
    assert facts.pages == 4
    assert facts.size == len(pdf)
    assert facts.sha256 == hashlib.sha256(pdf).hexdigest()
    assert facts.title == "Báo cáo tổng hợp"


@pytest.fixture(scope="module")
def slow_pdf() -> bytes:
    """Sixty page streams of 60 MB each (inside pypdf's per-stream limit): about 15 s of work."""
    import zlib

    blob = zlib.compress(b" " * (60 * 1024 * 1024), 9)
    streams = [pdfs.stream(blob, b"/Filter /FlateDecode ") for _ in range(60)]
    refs = b" ".join(b"%d 0 R" % (4 + i) for i in range(60))
    return pdfs.raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents [" + refs + b"] >>",
            *streams,
        ]
    )


def test_the_wall_clock_limit_ends_a_slow_check(tmp_path: Path, slow_pdf: bytes) -> None:
    started = time.monotonic()
    assert refusal(write(tmp_path, slow_pdf), timeout=1) == "pdf_too_complex"
    assert time.monotonic() - started < 5


def test_the_memory_limit_ends_a_greedy_check(tmp_path: Path, slow_pdf: bytes) -> None:
    assert refusal(write(tmp_path, slow_pdf), memory_mb=100) == "pdf_too_complex"


def test_the_child_cannot_write_files(tmp_path: Path) -> None:
    probe = tmp_path / "probe"
    limited = (
        "from agenda.papers import pdf_check; pdf_check.set_limits(cpu_seconds=5, memory_bytes=512 * 1024 * 1024)"
    )
    done = subprocess.run(
        [sys.executable, "-c", f"{limited}\nwith open({str(probe)!r}, 'wb') as f: f.write(b'x' * 10)"],
        capture_output=True,
        check=False,
        env=pdf_check.child_environment(),
    )
    assert done.returncode != 0
    assert b"File too large" in done.stderr
    assert not probe.exists() or probe.stat().st_size == 0


LIMITS = {
    "RLIMIT_AS": (300 * 1024 * 1024, 300 * 1024 * 1024),
    "RLIMIT_CPU": (7, 8),
    "RLIMIT_FSIZE": (0, 0),
    "RLIMIT_NOFILE": (pdf_check.OPEN_FILES, pdf_check.OPEN_FILES),
    "RLIMIT_CORE": (0, 0),
}


def test_the_child_sets_its_limits_before_it_reads(tmp_path: Path) -> None:
    """The child's main() runs under the limits on its command line, set by itself: the parent
    starts it without a preexec_fn."""
    path = write(tmp_path, pdfs.valid_pdf(1))
    script = (
        "import json, resource, sys\n"
        "from agenda.papers import pdf_check\n"
        f"code = pdf_check.main(['pdf_check', {str(path)!r}, '5', '7', '{300 * 1024 * 1024}'])\n"
        f"print(json.dumps({{n: resource.getrlimit(getattr(resource, n)) for n in {list(LIMITS)!r}}}))\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, check=False, env=pdf_check.child_environment()
    )
    assert done.returncode == 0, done.stderr
    verdict, found = done.stdout.decode().splitlines()
    assert json.loads(verdict)["ok"] is True
    assert {name: tuple(value) for name, value in json.loads(found).items()} == LIMITS


def test_a_child_without_its_limits_reads_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, pdfs.valid_pdf(1))
    assert pdf_check.main(["pdf_check", str(path), "5"]) == 2
    assert read_verdict(2, b"") == {"ok": False, "code": "pdf_unreadable"}


def test_a_memory_limit_below_the_interpreter_refuses_a_good_file(tmp_path: Path) -> None:
    """1 MB: the child cannot even import pypdf, so the file is refused, whatever its merits."""
    assert refusal(write(tmp_path, pdfs.valid_pdf(1)), memory_mb=1) in ("pdf_too_complex", "pdf_unreadable")


def test_the_child_gets_no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "bí-mật")
    monkeypatch.setenv("DATABASE_URL", "postgresql://user:pw@db/x")
    environment = pdf_check.child_environment()
    assert "SECRET_KEY" not in environment and "DATABASE_URL" not in environment


@pytest.mark.parametrize(
    ("returncode", "stdout", "code"),
    [
        (-24, b"", "pdf_too_complex"),  # SIGXCPU
        (-9, b"", "pdf_too_complex"),  # SIGKILL
        (-11, b"", "pdf_unreadable"),  # SIGSEGV in a C extension
        (1, b'{"ok": true, "pages": 3}', "pdf_unreadable"),
        (0, b"", "pdf_unreadable"),
        (0, b"garbage\xff", "pdf_unreadable"),
        (0, b"[1, 2]", "pdf_unreadable"),
        (0, b'{"ok": true, "pages": 0}', "pdf_unreadable"),
        (0, b'{"ok": true, "pages": "3"}', "pdf_unreadable"),
        (0, b'{"ok": true, "pages": true}', "pdf_unreadable"),
        (0, b'{"ok": false, "code": "made_up"}', "pdf_unreadable"),
        (0, b'{"ok": false, "code": "javascript"}', "javascript"),
    ],
)
def test_only_a_well_formed_verdict_is_believed(returncode: int, stdout: bytes, code: str) -> None:
    verdict = read_verdict(returncode, stdout)
    assert verdict["ok"] is False and verdict["code"] == code


def test_a_well_formed_verdict_passes() -> None:
    assert read_verdict(0, b'noise\n{"ok": true, "pages": 3, "title": null}\n') == {
        "ok": True,
        "pages": 3,
        "title": None,
    }
