"""Offline reading (issue 17, docs/offline.md): how long it takes to make a 27-paper, 300-page
meeting available offline on loopback, and how much the browser's cache then holds against the
files' own size.

Seeds a fresh DATA_DIR with a published meeting of 9 agenda items with 3 papers each (27 PDFs of
300 pages in all, Vietnamese text drawn with fpdf2), starts the real server (uvicorn, its PDF pool),
and drives Debian Chromium through Playwright: log in as an invited member, open the meeting
page, click `[data-offline-download="<id>"]` and time until `[data-offline-state="ready"]`.

Each run is a fresh browser context (empty caches, a new device). The first run is "cold": the
server makes the member's 27 watermarked copies and their briefing book as they are asked for;
the next ones find them made ("warm"), which is what a member's second tablet, or a re-download
after a wipe, costs. Then it reports the cache: the sum of the cached response bodies (the
meeting's cache and the app shell apart), `navigator.storage.estimate()`, and the ratio to the
originals' total size. It prints a table and asserts nothing.

    .venv/bin/python bench/offline.py [--papers 27] [--pages 300] [--runs 4]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fpdf import FPDF  # noqa: E402
from fpdf.enums import XPos, YPos  # noqa: E402

from agenda.pdf.fonts import subset_font_files  # noqa: E402
from agenda.storage import store_original  # noqa: E402
from tests.support.browser_server import CHROMIUM, CHROMIUM_ARGS, migrated_database, running_server  # noqa: E402

PASSWORD = "bench-offline-pass-1"
KINDS = ("submission", "draft", "appraisal")
SENTENCES = (
    "Căn cứ Luật Tổ chức Chính phủ ngày 18 tháng 02 năm 2025;",
    "Theo đề nghị của Bộ trưởng Bộ Tư pháp, Chính phủ thảo luận và cho ý kiến về các nội dung sau đây.",
    "Dự thảo đã được gửi lấy ý kiến các bộ, cơ quan ngang bộ, Ủy ban nhân dân các tỉnh, thành phố.",
    "Cơ quan chủ trì soạn thảo đã nghiên cứu, tiếp thu, giải trình đầy đủ các ý kiến góp ý.",
    "Đề nghị Chính phủ xem xét, quyết định việc trình Quốc hội tại kỳ họp gần nhất.",
    "Về nguồn lực, điều kiện bảo đảm cho việc thi hành và đánh giá tác động thủ tục hành chính.",
)
CACHED_BYTES = """async () => {
  const found = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    let bytes = 0, count = 0, papers = 0, books = 0;
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      if (!response) continue;
      const size = (await response.blob()).size;
      bytes += size;
      count += 1;
      const path = new URL(request.url).pathname;
      if (/^\/api\/v1\/documents\/\d+\/versions\/\d+\/file$/.test(path)) papers += size;
      if (path.endsWith("/book.pdf")) books += size;
    }
    found[name] = {bytes, count, papers, books};
  }
  const estimate = await navigator.storage.estimate();
  return {caches: found, usage: estimate.usage || 0, quota: estimate.quota || 0};
}"""


def paper(title: str, pages: int, rng: random.Random) -> bytes:
    regular, bold = subset_font_files()
    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", "", str(regular))
    pdf.add_font("dejavu", "B", str(bold))
    pdf.set_auto_page_break(False)
    for page in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("dejavu", "B", 13)
        pdf.multi_cell(0, 7, title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(4)
        pdf.set_font("dejavu", "", 11)
        for _ in range(14):
            pdf.multi_cell(
                0, 6, " ".join(rng.choice(SENTENCES) for _ in range(2)), new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )
            pdf.ln(1)
        pdf.set_y(-20)
        pdf.cell(0, 6, f"Trang {page}/{pages}", align="C")
    return bytes(pdf.output())


def page_counts(papers: int, pages: int) -> list[int]:
    base, extra = divmod(pages, papers)
    return [base + (1 if i < extra else 0) for i in range(papers)]


def seed(data_dir: Path, papers: int, pages: int) -> tuple[int, int]:
    """The meeting's id and the originals' total size."""
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

    rng = random.Random(17)
    files = []
    for number, count in enumerate(page_counts(papers, pages), start=1):
        data = paper(f"Tài liệu số {number}: dự thảo Nghị định về quản lý văn bản", count, rng)
        files.append((store_original(data_dir, data), count, len(data)))
    total = sum(size for _sha, _count, size in files)

    def run(s: Any) -> int:
        def member(name: str) -> int:
            made = members.create_member(
                session=s, data=MemberCreate(full_name=name, title="Bộ trưởng"), actor_id=None
            )
            assert made.id is not None
            return made.id

        chair, minister = member("Thủ tướng"), member("Bộ trưởng Đọc Ngoại tuyến")
        create_user(
            session=s,
            data=UserCreate(
                username="bench-member",
                full_name="Bộ trưởng Đọc Ngoại tuyến",
                password=PASSWORD,
                roles=["member"],
                member_id=minister,
            ),
            actor_id=None,
        )
        meeting = meetings.create_meeting(
            session=s,
            data=MeetingCreate(
                title="Phiên họp Chính phủ (bench ngoại tuyến)",
                kind="regular",
                starts_at=utcnow() + timedelta(days=2),
                duration_minutes=240,
                chair_member_id=chair,
                invitee_member_ids=[chair, minister],
            ),
            actor_id=None,
        )
        assert meeting.id is not None
        per_item = len(KINDS)
        for start in range(0, len(files), per_item):
            item = programme.create_item(
                session=s,
                data=ProgrammeItemCreate(
                    code=f"BENCH-{start // per_item + 1}",
                    title=f"Đề án thử số {start // per_item + 1}",
                    kind="decree",
                    lead_agency="Bộ Tư pháp",
                    planned_month=utcnow().strftime("%Y-%m"),
                ),
                actor_id=None,
            )
            assert item.id is not None
            for kind, (sha256, count, size) in zip(KINDS, files[start : start + per_item], strict=False):
                dossier.add_document(
                    session=s,
                    programme_item_id=item.id,
                    kind=kind,
                    title=f"{kind} {start // per_item + 1}",
                    sha256=sha256,
                    pages=count,
                    size=size,
                    note="",
                    actor_id=None,
                )
            agenda_edits.add_item(
                session=s,
                meeting_id=meeting.id,
                data=AgendaItemCreate(
                    programme_item_id=item.id, minutes=20, override_readiness=True, reason="bench"
                ),
                actor_id=None,
                policy=Policy(),
            )
        publishing.publish(session=s, meeting_id=meeting.id, actor_id=None)
        return meeting.id

    with migrated_database(data_dir) as db:
        return db.write_sync(run), total


def one_run(browser: Any, url: str, meeting_id: int) -> tuple[float, dict[str, Any]]:
    context = browser.new_context(viewport={"width": 768, "height": 1024})
    try:
        page = context.new_page()
        page.set_default_timeout(600_000)
        page.goto(f"{url}/login")
        page.fill("#username", "bench-member")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.press("#password", "Enter")
        page.goto(f"{url}/meetings/{meeting_id}")
        button = f"[data-offline-download='{meeting_id}']"
        page.wait_for_selector(button, timeout=30_000)
        started = time.perf_counter()
        page.click(button)
        page.wait_for_selector("[data-offline-state='ready'], [data-offline-state='error']")
        elapsed = time.perf_counter() - started
        state = page.get_attribute("[data-offline-state]", "data-offline-state")
        if state != "ready":
            raise RuntimeError(f"the download ended in {state!r}")
        return elapsed, page.evaluate(CACHED_BYTES)
    finally:
        context.close()


def mb(value: float) -> str:
    return f"{value / 1_000_000:8.2f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=27)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--runs", type=int, default=4, help="runs in all, the first one cold")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-offline-") as folder:
        data_dir = Path(folder)
        started = time.perf_counter()
        meeting_id, originals = seed(data_dir, args.papers, args.pages)
        print(
            f"seeded {args.papers} papers, {args.pages} pages, {mb(originals).strip()}"
            f" in {time.perf_counter() - started:.1f} s"
        )
        times: list[float] = []
        cached: dict[str, Any] = {}
        with running_server(data_dir) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                for number in range(args.runs):
                    elapsed, cached = one_run(browser, url, meeting_id)
                    times.append(elapsed)
                    print(f"run {number + 1} ({'cold' if number == 0 else 'warm'}): {elapsed:6.2f} s")
            finally:
                browser.close()
    meeting = sum(v["bytes"] for k, v in cached["caches"].items() if k.startswith("meeting-"))
    shell = sum(v["bytes"] for k, v in cached["caches"].items() if not k.startswith("meeting-"))
    entries = sum(v["count"] for v in cached["caches"].values())
    papers = sum(v["papers"] for v in cached["caches"].values())
    books = sum(v["books"] for v in cached["caches"].values())
    warm = times[1:] or times
    print()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'available offline, cold (server makes the copies and the book)':<66} {times[0]:8.2f} s")
    print(
        f"{'available offline, warm (median of ' + str(len(warm)) + ')':<66} {statistics.median(warm):8.2f} s"
    )
    print(f"{'originals (the PDFs as uploaded)':<66} {mb(originals)}")
    print(f"{'cached: the meeting (copies, book, pages, notes)':<66} {mb(meeting)}")
    print(f"{'  of which the watermarked copies of the papers':<66} {mb(papers)}")
    print(f"{'  of which the briefing book':<66} {mb(books)}")
    print(f"{'cached: the app shell (css, js, pdf.js, fonts)':<66} {mb(shell)}")
    print(f"{'cached: entries':<66} {entries:8d}")
    print(f"{'navigator.storage.estimate().usage':<66} {mb(cached['usage'])}")
    print(f"{'ratio: meeting cache / originals':<66} {meeting / originals:8.2f}")
    print(f"{'ratio: the copies alone / originals':<66} {papers / originals:8.2f}")
    print(f"{'ratio: storage usage / originals':<66} {cached['usage'] / originals:8.2f}")


if __name__ == "__main__":
    main()
