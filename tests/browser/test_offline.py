"""Offline reading in a real browser (issue 17 parts 1 and 2; docs/offline.md): Chromium with its
network cut by `context.set_offline(True)`, against a real server.

A published meeting holds two items: an open one with paper A, and one restricted to the
minister (and the chair) with paper B. The minister keeps the meeting on the tablet and then,
with no network: reads paper A page after page from the cache (pdf.js's range requests answered
by the service worker), writes notes that reach the server when the connection returns (one of
them in conflict with an edit made elsewhere: both kept). Logout empties the caches; a device
past the offline expiry is wiped as the app opens, before any paper; a deactivated account's
device wipes at its next contact; the outsider's cache never holds the restricted paper; and a
new version uploaded while the tablet is offline replaces the kept one when it reconnects.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser_server import (
    BrowserScreen,
    Served,
    check_layout,
    migrated_database,
    seeded_server,
)
from tests.support.page_checks import axe_violations

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent.parent
OUTPUT = ROOT / "test-output"
PASSWORD = "offline-test-pass-1"
TABLET = {"width": 768, "height": 1024}
DESKTOP = {"width": 1366, "height": 900}

# Conditions are functions: a bare expression would be eval'ed, which the CSP refuses.
CACHE_KEYS = """async () => {
  const found = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    found[name] = (await cache.keys()).map((r) => new URL(r.url).pathname + new URL(r.url).search);
  }
  return found;
}"""
DATABASES = "async () => (await indexedDB.databases()).map((d) => d.name)"
DEVICE_KEY = """async () => {
  const db = await new Promise((resolve, reject) => {
    const r = indexedDB.open('ecabinet-offline');
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const device = await new Promise((resolve, reject) => {
    const got = db.transaction('meta').objectStore('meta').get('device');
    got.onsuccess = () => resolve(got.result);
    got.onerror = () => reject(got.error);
  });
  db.close();
  return device.key;
}"""
CHECK_KEY = """async (key) => {
  const r = await fetch('/api/v1/offline/devices/check', {method: 'POST',
    headers: {'Content-Type': 'application/json'}, body: JSON.stringify({key})});
  const body = await r.json();
  return {wipe: body.wipe, reason: body.reason};
}"""
SET_LAST_CONTACT = """async (iso) => {
  const db = await new Promise((resolve, reject) => {
    const r = indexedDB.open('ecabinet-offline');
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  await new Promise((resolve, reject) => {
    const tx = db.transaction('meta', 'readwrite');
    tx.objectStore('meta').put(iso, 'last_contact');
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}"""
# The kept paper asked for by range, as pdf.js asks: 206 slices of the cached whole file.
RANGES = """async (url) => {
  const whole = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const asks = ['bytes=100-199', 'bytes=65536-', 'bytes=-50', 'bytes=999999999-'];
  const answers = [];
  for (const range of asks) {
    const response = await fetch(url, {headers: {Range: range}});
    const body = new Uint8Array(await response.arrayBuffer());
    const [, start] = /bytes (\\d+)-/.exec(response.headers.get('Content-Range') || 'bytes 0-') || [];
    const same = body.every((b, i) => b === whole[Number(start) + i]);
    answers.push({status: response.status, range: response.headers.get('Content-Range'),
                  length: body.length, same});
  }
  return {size: whole.length, answers};
}"""
UPLOAD = """async ([url, data, note]) => {
  const token = document.querySelector('meta[name=csrf-token]').content;
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const form = new FormData();
  form.append('note', note);
  form.append('file', new Blob([bytes], {type: 'application/pdf'}), 'ban-moi.pdf');
  const response = await fetch(url, {method: 'POST', headers: {'X-CSRF-Token': token}, body: form});
  return response.status;
}"""
API = """async ([method, url, body]) => {
  const token = document.querySelector('meta[name=csrf-token]').content;
  const response = await fetch(url, {
    method,
    headers: {'Content-Type': 'application/json', 'X-CSRF-Token': token, Accept: 'application/json'},
    body: body === null ? undefined : JSON.stringify(body),
  });
  return {status: response.status, body: response.status === 204 ? null : await response.json()};
}"""


@dataclass(frozen=True)
class Seeded:
    meeting_id: int
    open_document: int
    restricted_document: int
    pages: int
    minister_user: int
    outsider_user: int


def seed(data_dir: Path) -> Seeded:
    from agenda.clock import utcnow
    from agenda.meetings import agenda_edits, dossier, meetings, publishing
    from agenda.meetings.agenda_items import AgendaItemCreate
    from agenda.meetings.meetings import MeetingCreate
    from agenda.people import members
    from agenda.people.accounts import UserCreate, create_user
    from agenda.people.members import MemberCreate
    from agenda.policy import Policy
    from agenda.programme import programme
    from agenda.programme.programme import ProgrammeItemCreate
    from agenda.storage import store_original

    data, pages = paper()
    sha256 = store_original(data_dir, data)

    def run(s: Any) -> Seeded:
        def member(name: str) -> int:
            made = members.create_member(
                session=s, data=MemberCreate(full_name=name, title="Bộ trưởng"), actor_id=None
            )
            assert made.id is not None
            return made.id

        def user(username: str, name: str, roles: list[str], member_id: int | None = None) -> int:
            made = create_user(
                session=s,
                data=UserCreate(
                    username=username, full_name=name, password=PASSWORD, roles=roles, member_id=member_id
                ),
                actor_id=None,
            )
            assert made.id is not None
            return made.id

        chair = member("Chủ tọa Ngoại tuyến")
        minister = member("Bộ trưởng Ngoại tuyến")
        outsider = member("Bộ trưởng Ngoài")
        user("off-admin", "Quản trị Ngoại tuyến", ["admin"])
        user("off-thuky", "Thư ký Ngoại tuyến", ["secretariat"])
        minister_user = user("off-thanhvien", "Bộ trưởng Ngoại tuyến", ["member"], minister)
        outsider_user = user("off-ngoai", "Bộ trưởng Ngoài", ["member"], outsider)
        meeting = meetings.create_meeting(
            session=s,
            data=MeetingCreate(
                title="Phiên họp đọc ngoại tuyến",
                kind="regular",
                starts_at=utcnow() + timedelta(days=2),
                duration_minutes=90,
                place="Phòng họp thử",
                chair_member_id=chair,
                invitee_member_ids=[chair, minister, outsider],
            ),
            actor_id=None,
        )
        assert meeting.id is not None
        documents = []
        for code, title, audience in (
            ("OFF-1", "Nghị định đọc ngoại tuyến", None),
            ("OFF-2", "Đề án hạn chế", [minister]),
        ):
            item = programme.create_item(
                session=s,
                data=ProgrammeItemCreate(
                    code=code,
                    title=title,
                    kind="other",
                    lead_agency="Bộ Tư pháp",
                    planned_month=utcnow().strftime("%Y-%m"),
                ),
                actor_id=None,
            )
            assert item.id is not None
            document, _version = dossier.add_document(
                session=s,
                programme_item_id=item.id,
                kind="submission",
                title=f"Tờ trình {code}",
                sha256=sha256,
                pages=pages,
                size=len(data),
                note="",
                actor_id=None,
            )
            assert document.id is not None
            documents.append(document.id)
            agenda_edits.add_item(
                session=s,
                meeting_id=meeting.id,
                data=AgendaItemCreate(programme_item_id=item.id, minutes=30, restricted_member_ids=audience),
                actor_id=None,
                policy=Policy(),
            )
        publishing.publish(session=s, meeting_id=meeting.id, actor_id=None)
        return Seeded(
            meeting_id=meeting.id,
            open_document=documents[0],
            restricted_document=documents[1],
            pages=pages,
            minister_user=minister_user,
            outsider_user=outsider_user,
        )

    with migrated_database(data_dir) as db:
        return db.write_sync(run)


Server = Served[Seeded]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with seeded_server(tmp_path_factory, "offline-data", seed, reader=True) as served:
        yield served


class Device(BrowserScreen):
    """One tablet (a browser context of its own: its own caches and IndexedDB)."""

    def __init__(self, browser: Any, server: Server, viewport: dict[str, int] = TABLET) -> None:
        super().__init__(browser, server.url, viewport, password=PASSWORD, touch=True, timeout_ms=30_000)
        self.server = server

    def offline(self, value: bool) -> None:
        self.context.set_offline(value)

    def caches(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = self.page.evaluate(CACHE_KEYS)
        return found

    def api(self, method: str, url: str, body: Any = None) -> dict[str, Any]:
        found: dict[str, Any] = self.page.evaluate(API, [method, url, body])
        return found

    def keep_meeting(self) -> None:
        """Keep the meeting on the device with the meeting page's button, until it is ready."""
        meeting_id = self.server.seeded.meeting_id
        self.go(f"/meetings/{meeting_id}")
        button = f"[data-offline-download='{meeting_id}']"
        self.page.wait_for_selector(button)
        self.page.click(button)
        self.page.wait_for_selector("[data-offline-state='downloading']")
        done = "[data-offline-state='ready'], [data-offline-state='error']"
        self.page.wait_for_selector(done, timeout=120_000)
        state = self.page.get_attribute("[data-offline-state]", "data-offline-state")
        assert state == "ready", self.page.inner_text("[data-offline-text]")
        # The service worker controls the page: what follows may be served from the cache.
        self.page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    def wait_page(self, number: int) -> None:
        self.page.wait_for_selector(f"#sheet[data-page='{number}'] canvas")
        self.page.wait_for_function(f"() => document.getElementById('page-input').value === '{number}'")

    def syncs(self) -> int:
        return int(self.page.evaluate("() => Number(document.documentElement.dataset.offlineSyncs || 0)"))


@pytest.fixture
def device(browser: Any, server: Server) -> Iterator[Any]:
    opened: list[Device] = []

    def open_device(viewport: dict[str, int] = TABLET) -> Device:
        found = Device(browser, server, viewport)
        opened.append(found)
        return found

    yield open_device
    for found in opened:
        # Going offline makes the browser log failed requests; only script errors and CSP
        # violations count here.
        problems = [e for e in found.errors if "net::ERR_" not in e and "Failed to load resource" not in e]
        found.context.close()
        assert problems == [], problems


def paper(pages: int = 40) -> tuple[bytes, int]:
    """A paper big enough for pdf.js to read it by ranges (over 2 x 64 KiB): Vietnamese text on
    numbered pages, uncompressed; and its page count."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    from agenda.pdf.fonts import find_font

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_compression(False)
    pdf.add_font("DejaVu", "", str(find_font()))
    pdf.set_font("DejaVu", size=11)
    for number in range(1, pages + 1):
        pdf.add_page()
        title = f"Trang {number}. Dự thảo nghị định về đọc tài liệu ngoại tuyến."
        pdf.multi_cell(0, 9, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for line in range(28):
            text = f"Điều {number}.{line + 1}. Nội dung quy định chi tiết, dòng {line + 1}."
            pdf.multi_cell(0, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output()), pages


def second_version() -> bytes:
    """A short PDF with other words: the paper's new version."""
    from fpdf import FPDF

    from agenda.pdf.fonts import find_font

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", str(find_font()))
    pdf.set_font("DejaVu", size=14)
    for number in (1, 2):
        pdf.add_page()
        pdf.cell(0, 10, f"Bản sửa đổi theo ý kiến thẩm định, trang {number}.")
    return bytes(pdf.output())


def paper_urls(keys: dict[str, list[str]], document_id: int) -> list[str]:
    return [url for urls in keys.values() for url in urls if f"/documents/{document_id}/" in url]


def test_a_kept_paper_opens_and_pages_through_with_no_network(device: Any, server: Server) -> None:
    seeded = server.seeded
    tablet = device()
    page = tablet.page
    tablet.login("off-thanhvien")
    tablet.keep_meeting()
    text = page.inner_text("[data-offline-text]")
    assert "tệp" in text and ("MB" in text or "KB" in text), text
    assert page.get_attribute("[data-offline-text]", "role") == "status"
    check_layout(page, "meeting page with the offline card at 768x1024")
    assert axe_violations(page) == []
    OUTPUT.mkdir(exist_ok=True)
    page.locator(".offline-card").screenshot(path=str(OUTPUT / "offline-download-768.png"))
    page.screenshot(path=str(OUTPUT / "offline-meeting-768.png"))

    keys = tablet.caches()
    assert any(name.startswith("shell-") for name in keys), keys
    kept = keys[f"meeting-{seeded.meeting_id}"]
    assert f"/meetings/{seeded.meeting_id}" in kept
    assert f"/documents/{seeded.open_document}/read" in kept
    assert f"/api/v1/documents/{seeded.open_document}/versions/1/file" in kept
    assert f"/api/v1/documents/{seeded.open_document}/notes" in kept
    annotations = f"/api/v1/documents/{seeded.open_document}/annotations?version=1"
    assert annotations in kept

    # The offline page lists the meeting and the space it takes.
    tablet.go("/offline")
    page.wait_for_selector(f"[data-offline-meeting='{seeded.meeting_id}']")
    assert "Phiên họp đọc ngoại tuyến" in page.inner_text("#offline-list")
    assert "MB" in page.inner_text("#offline-total") or "KB" in page.inner_text("#offline-total")
    check_layout(page, "offline page at 768x1024")
    assert axe_violations(page) == []
    page.screenshot(path=str(OUTPUT / "offline-panel-768.png"))

    # No network: the meeting page, then the paper, page after page, from the cache (pdf.js
    # reads it by ranges, which the service worker cuts from the whole file).
    ranges: list[str] = []
    page.on("request", lambda r: ranges.append(r.headers["range"]) if "range" in r.headers else None)
    tablet.offline(True)
    tablet.go(f"/meetings/{seeded.meeting_id}")
    assert "Phiên họp đọc ngoại tuyến" in page.inner_text("h1")
    with page.expect_navigation():
        page.click(f"a.doc-read[href='/documents/{seeded.open_document}/read']")
    tablet.wait_page(1)
    page.click("#next-page")
    tablet.wait_page(2)
    page.fill("#page-input", str(seeded.pages))
    page.press("#page-input", "Enter")
    tablet.wait_page(seeded.pages)
    assert page.evaluate("() => navigator.onLine") is False
    assert ranges, "pdf.js asked for no range: the paper is too small to test the slicing"
    ranged = page.evaluate(RANGES, f"/api/v1/documents/{seeded.open_document}/versions/1/file")
    size = ranged["size"]
    assert size > 65536, size
    assert [a["status"] for a in ranged["answers"]] == [206, 206, 206, 416], ranged
    first, tail, suffix, beyond = ranged["answers"]
    assert first == {"status": 206, "range": f"bytes 100-199/{size}", "length": 100, "same": True}
    assert tail["range"] == f"bytes 65536-{size - 1}/{size}" and tail["length"] == size - 65536
    assert suffix["range"] == f"bytes {size - 50}-{size - 1}/{size}" and suffix["same"]
    assert beyond["range"] == f"bytes */{size}"
    # The reader's annotations answer is kept too (its very URL), so highlights draw offline.
    listed = page.evaluate(
        "async (url) => { const r = await fetch(url);"
        " return [r.status, Array.isArray((await r.json()).items)]; }",
        annotations,
    )
    assert listed == [200, True], listed

    # A page that is not kept: the offline page says so, with what is kept.
    page.goto(server.url + "/programme")
    page.wait_for_selector("#offline-not-kept:not([hidden])")
    assert page.is_visible(f"[data-offline-meeting='{seeded.meeting_id}']")

    # Back online, the member removes the meeting from the device.
    tablet.offline(False)
    tablet.go("/offline")
    page.wait_for_selector(f"[data-offline-meeting='{seeded.meeting_id}']")
    page.click(f"[data-offline-meeting='{seeded.meeting_id}'] [data-action='offline-remove']")
    page.wait_for_selector("#offline-empty:not([hidden])")
    assert "Đã xóa" in page.inner_text("#offline-announce")
    assert f"meeting-{seeded.meeting_id}" not in tablet.caches()


def test_the_controls_at_desktop_width(device: Any, server: Server) -> None:
    desk = device(DESKTOP)
    desk.login("off-thanhvien")
    desk.keep_meeting()
    check_layout(desk.page, "meeting page at 1366x900")
    desk.page.locator(".offline-card").screenshot(path=str(OUTPUT / "offline-download-1366.png"))
    desk.go("/offline")
    desk.page.wait_for_selector(f"[data-offline-meeting='{server.seeded.meeting_id}']")
    assert axe_violations(desk.page) == []
    desk.page.screenshot(path=str(OUTPUT / "offline-panel-1366.png"))


def test_notes_written_offline_arrive_after_reconnecting(device: Any, server: Server) -> None:
    seeded = server.seeded
    notes = f"/api/v1/documents/{seeded.open_document}/notes"
    tablet = device()
    page = tablet.page
    tablet.login("off-thanhvien")
    # A note on page 3 exists before the trip: it will be edited elsewhere meanwhile.
    assert tablet.api("PUT", f"{notes}/3", {"text": "Ghi chú trước chuyến đi."})["status"] == 200
    tablet.keep_meeting()

    tablet.offline(True)
    tablet.go(f"/documents/{seeded.open_document}/read#page=2")
    tablet.wait_page(2)
    page.click("#toggle-notes")
    page.wait_for_selector("#note-text:not([disabled])")
    page.fill("#note-text", "Viết trên máy bay: hỏi lại khoản 3.")
    page.wait_for_function("() => document.getElementById('note-status').textContent.includes('khi có mạng')")
    page.fill("#page-input", "3")
    page.press("#page-input", "Enter")
    tablet.wait_page(3)
    assert page.input_value("#note-text") == "Ghi chú trước chuyến đi."
    page.fill("#note-text", "Sửa khi ngoại tuyến.")
    page.wait_for_function("() => document.getElementById('note-status').textContent.includes('khi có mạng')")

    # Meanwhile, on another device, the same member changes the note of page 3.
    other = device()
    other.login("off-thanhvien")
    other.go("/")
    assert other.api("PUT", f"{notes}/3", {"text": "Sửa trên máy tính ở văn phòng."})["status"] == 200

    # The connection returns: the notes go, the conflict keeps both and is said.
    before = tablet.syncs()
    tablet.offline(False)
    page.wait_for_function(f"() => Number(document.documentElement.dataset.offlineSyncs || 0) > {before}")
    page.wait_for_function("() => document.getElementById('note-status').textContent.includes('cả hai bản')")
    stored = {item["page"]: item["text"] for item in other.api("GET", notes)["body"]["items"]}
    assert stored[2] == "Viết trên máy bay: hỏi lại khoản 3."
    assert "Sửa trên máy tính ở văn phòng." in stored[3] and "Sửa khi ngoại tuyến." in stored[3]
    assert stored[3].index("văn phòng") < stored[3].index("Sửa khi ngoại tuyến")
    assert page.input_value("#note-text") == stored[3]
    for number in (2, 3):  # leave no note for the other tests
        other.api("DELETE", f"{notes}/{number}")


def test_logout_empties_the_caches(device: Any, server: Server) -> None:
    tablet = device()
    tablet.login("off-thanhvien")
    tablet.keep_meeting()
    assert tablet.caches()
    key = tablet.page.evaluate(DEVICE_KEY)
    with tablet.page.expect_navigation():
        tablet.page.click("form[action='/logout'] button[type=submit]")
    tablet.page.wait_for_load_state()
    assert tablet.caches() == {}
    assert "ecabinet-offline" not in tablet.page.evaluate(DATABASES)
    # The device said it was leaving: the server has it wiped, and its key is spent.
    answer = tablet.page.evaluate(CHECK_KEY, key)
    assert answer == {"wipe": True, "reason": "logout"}, answer


def test_past_the_expiry_the_papers_are_wiped_before_any_is_shown(device: Any, server: Server) -> None:
    seeded = server.seeded
    tablet = device()
    page = tablet.page
    tablet.login("off-thanhvien")
    tablet.keep_meeting()
    # The last contact with the server, 73 hours ago (the policy says 72).
    page.evaluate(SET_LAST_CONTACT, "2000-01-01T00:00:00.000Z")
    tablet.offline(True)
    page.goto(f"{server.url}/documents/{seeded.open_document}/read")
    page.wait_for_selector("#offline-live.is-alarm")
    assert "72 giờ" in page.inner_text("#offline-live")
    assert page.locator("#sheet").count() == 0  # the paper is not shown
    keys = tablet.caches()
    assert not [name for name in keys if name.startswith("meeting-")], keys
    assert paper_urls(keys, seeded.open_document) == []


def test_a_deactivated_accounts_device_wipes_at_its_next_contact(
    device: Any, browser: Any, server: Server
) -> None:
    tablet = device()
    tablet.login("off-ngoai")
    tablet.keep_meeting()
    assert paper_urls(tablet.caches(), server.seeded.open_document)

    admin = device(DESKTOP)
    admin.login("off-admin")
    admin.go("/")
    changed = admin.api("PATCH", f"/api/v1/users/{server.seeded.outsider_user}", {"active": False})
    assert changed["status"] == 200, changed

    # The tablet's next contact: its session is gone (the login page), its device is checked.
    tablet.page.goto(f"{server.url}/meetings/{server.seeded.meeting_id}")
    tablet.page.wait_for_selector("#offline-live.is-alarm")
    assert "khóa" in tablet.page.inner_text("#offline-live")
    assert tablet.caches() == {}
    assert "ecabinet-offline" not in tablet.page.evaluate(DATABASES)
    admin.api("PATCH", f"/api/v1/users/{server.seeded.outsider_user}", {"active": True})


def test_a_restricted_paper_is_never_in_an_outsiders_cache(device: Any, server: Server) -> None:
    seeded = server.seeded
    minister = device()
    minister.login("off-thanhvien")
    minister.keep_meeting()
    assert paper_urls(minister.caches(), seeded.restricted_document)  # the audience keeps it

    outsider = device()
    outsider.login("off-ngoai")
    outsider.keep_meeting()
    keys = outsider.caches()
    assert paper_urls(keys, seeded.open_document)
    assert paper_urls(keys, seeded.restricted_document) == [], keys
    everything = " ".join(url for urls in keys.values() for url in urls)
    assert f"/documents/{seeded.restricted_document}" not in everything


def test_a_new_version_replaces_the_kept_one_when_the_connection_returns(device: Any, server: Server) -> None:
    import base64

    seeded = server.seeded
    tablet = device()
    page = tablet.page
    tablet.login("off-thanhvien")
    tablet.keep_meeting()
    first = f"/api/v1/documents/{seeded.open_document}/versions/1/file"
    assert first in tablet.caches()[f"meeting-{seeded.meeting_id}"]
    tablet.offline(True)

    # While the tablet is offline, the secretariat uploads a new version of paper A.
    staff = device(DESKTOP)
    staff.login("off-thuky")
    staff.go("/")
    data = base64.b64encode(second_version()).decode()
    url = f"/api/v1/documents/{seeded.open_document}/versions"
    assert staff.page.evaluate(UPLOAD, [url, data, "Sửa theo ý kiến thẩm định"]) == 201

    # Back online: the kept meeting is downloaded again, and the member is told.
    before = tablet.syncs()
    tablet.offline(False)
    page.wait_for_function(f"() => Number(document.documentElement.dataset.offlineSyncs || 0) > {before}")
    told = "() => document.getElementById('offline-live').textContent.includes('Đã cập nhật')"
    page.wait_for_function(told)
    assert "Phiên họp đọc ngoại tuyến" in page.inner_text("#offline-live")
    kept = tablet.caches()[f"meeting-{seeded.meeting_id}"]
    assert f"/api/v1/documents/{seeded.open_document}/versions/2/file" in kept
    assert first not in kept


SET_KEEP_UNTIL = """async ([id, iso]) => {
  const db = await new Promise((resolve, reject) => {
    const r = indexedDB.open('ecabinet-offline');
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  await new Promise((resolve, reject) => {
    const tx = db.transaction('meetings', 'readwrite');
    const store = tx.objectStore('meetings');
    const got = store.get(id);
    got.onsuccess = () => store.put({ ...got.result, keep_until: iso });
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}"""


def test_a_meeting_past_its_keep_until_leaves_the_cache(device: Any, server: Server) -> None:
    seeded = server.seeded
    tablet = device()
    tablet.login("off-thanhvien")
    tablet.keep_meeting()
    assert f"meeting-{seeded.meeting_id}" in tablet.caches()
    # The meeting closed more than the policy's days ago: its keep_until has passed. Offline, so
    # that no fresh list from the server can put it back before the check.
    tablet.page.evaluate(SET_KEEP_UNTIL, [seeded.meeting_id, "2000-01-01T00:00:00.000Z"])
    tablet.offline(True)
    tablet.page.goto(f"{server.url}/documents/{seeded.open_document}/read")
    keys = tablet.caches()
    assert f"meeting-{seeded.meeting_id}" not in keys, keys
    assert paper_urls(keys, seeded.open_document) == []
    assert tablet.page.locator("#sheet").count() == 0  # no paper is shown from a purged meeting


def test_the_secretariat_wipes_a_members_devices_which_wipe_at_their_next_contact(
    device: Any, server: Server
) -> None:
    seeded = server.seeded
    tablet = device()
    tablet.login("off-thanhvien")
    tablet.keep_meeting()
    assert paper_urls(tablet.caches(), seeded.open_document)

    # The secretariat, at a desk: the member's devices, the confirmation, the dialog.
    staff = device(DESKTOP)
    staff.login("off-thuky")
    staff.go(f"/admin/users/{seeded.minister_user}/devices")
    page = staff.page
    assert page.locator("#device-list tbody tr").count() >= 1
    page.click("#wipe-devices")
    page.wait_for_selector("#wipe-dialog[open]")
    page.click("#wipe-dialog button[value=cancel]")  # changing one's mind orders nothing
    assert page.locator("#wipe-dialog[open]").count() == 0
    assert "Chờ thiết bị kết nối" not in page.inner_text("#device-list")
    page.click("#wipe-devices")
    page.wait_for_selector("#wipe-dialog[open]")
    with page.expect_navigation():
        page.click("#wipe-yes")
    assert "Chờ thiết bị kết nối" in page.inner_text("#device-list")
    check_layout(page, "the member's devices with a wipe ordered at 1366x900")
    assert axe_violations(page) == []
    page.screenshot(path=str(OUTPUT / "offline-devices-1366.png"))

    # The tablet's next contact: it is told, and wipes everything it kept.
    tablet.page.goto(f"{server.url}/meetings/{seeded.meeting_id}")
    tablet.page.wait_for_selector("#offline-live.is-alarm")
    assert tablet.caches() == {}
    assert "ecabinet-offline" not in tablet.page.evaluate(DATABASES)

    staff.go(f"/admin/users/{seeded.minister_user}/devices")
    assert "Đã xóa lúc" in page.inner_text("#device-list")
    page.set_viewport_size(TABLET)
    check_layout(page, "the member's devices at 768x1024")
    page.screenshot(path=str(OUTPUT / "offline-devices-768.png"), full_page=True)

    # An administrator has the same control on the account's own page.
    admin = device(DESKTOP)
    admin.login("off-admin")
    admin.go(f"/admin/users/{seeded.minister_user}")
    screen = admin.page
    screen.click("#wipe-devices")
    screen.wait_for_selector("#wipe-dialog[open]")
    screen.click("#wipe-dialog button[value=cancel]")
    screen.click("#wipe-devices")
    screen.wait_for_selector("#wipe-dialog[open]")
    with screen.expect_navigation():
        screen.click("#wipe-yes")
    assert "/admin/users/" in screen.url
    assert screen.locator(".flash, [role=status], .notice").count() >= 1
