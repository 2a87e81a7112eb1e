"""Papers budget (../shared/DESIGN.md "Performance budget"): a 300-page book stamped for one recipient in
under 1 s, and stamping throughput within 3x of pikepdf/qpdf doing the same stamp in the same run.

Generates its own inputs with fpdf2 in a temporary folder: a meeting of 30 agenda items whose
papers (Vietnamese text, 1 to 4 per item) make a book of about 300 pages with its cover,
contents and dividers. No database and no server: it times the functions the PDF pool runs.
  (a) build   `agenda.books.briefing.build_book` for one recipient: cover, contents, dividers, the
              papers appended, bookmarks, page labels, the stamp, one write;
  (b) stamp   `agenda.papers.stamp.stamp_pdf` of the assembled, unstamped book for one recipient
              (a new name and copy code each time): drawing the stamp, one Form XObject
              over every page, one write. This is the per-recipient cost of the budget;
  (c) overlay the same stamp PDF over every page of the same unstamped book, then saved to
              bytes, by ours (`agenda.papers.overlay.overlay_pdf`) and by pikepdf (`Page.add_overlay`
              of one Form XObject made once, as ours does; qpdf underneath), alternating runs.
Each figure is the median of --runs timed runs after one warm-up run. It prints a table and
asserts nothing. pikepdf is a bench-only dependency: `pip install -e '.[bench]'`.

    .venv/bin/python bench/papers.py [--items 30] [--pages 300] [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pypdf  # noqa: E402
from fpdf import FPDF  # noqa: E402
from fpdf.enums import XPos, YPos  # noqa: E402

from agenda.books.book_build import assemble, build_book  # noqa: E402
from agenda.books.plan import BookDocument, BookItem, BookPlan  # noqa: E402
from agenda.papers.overlay import overlay_pdf, stamp_pdf  # noqa: E402
from agenda.papers.stamp import StampText, stamp_page_pdf  # noqa: E402
from agenda.pdf.fonts import subset_font_files  # noqa: E402
from agenda.storage import original_path, store_original  # noqa: E402

BUDGET_STAMP_S = 1.0
BUDGET_RATIO = 3.0
KINDS = (
    ("submission", "Tờ trình"),
    ("draft", "Dự thảo"),
    ("appraisal", "Báo cáo thẩm định"),
    ("annex", "Phụ lục"),
)
SENTENCES = (
    "Căn cứ Luật Tổ chức Chính phủ ngày 18 tháng 02 năm 2025;",
    "Theo đề nghị của Bộ trưởng Bộ Tư pháp, Chính phủ thảo luận và cho ý kiến về các nội dung sau đây.",
    "Dự thảo đã được gửi lấy ý kiến các bộ, cơ quan ngang bộ, Ủy ban nhân dân các tỉnh, thành phố.",
    "Cơ quan chủ trì soạn thảo đã nghiên cứu, tiếp thu, giải trình đầy đủ các ý kiến góp ý.",
    "Đề nghị Chính phủ xem xét, quyết định việc trình Quốc hội tại kỳ họp gần nhất.",
    "Về phạm vi điều chỉnh, đối tượng áp dụng và các chính sách lớn của dự án.",
    "Về nguồn lực, điều kiện bảo đảm cho việc thi hành và đánh giá tác động thủ tục hành chính.",
)


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
            pdf.cell(0, 6, rng.choice(SENTENCES), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_y(-18)
        pdf.set_font("dejavu", "", 8)
        pdf.cell(0, 5, f"Trang {page}/{pages}", align="C")
    return bytes(pdf.output())


def make_plan(data_dir: Path, items: int, pages: int) -> BookPlan:
    """`items` agenda items whose papers and generated pages add up to about `pages` pages."""
    rng = random.Random(2026)
    paper_pages = max(items, pages - items - 3)  # less a divider per item, the cover and contents
    per_item = [paper_pages // items + (1 if n < paper_pages % items else 0) for n in range(items)]
    book_items: list[BookItem] = []
    for n, count in enumerate(per_item, start=1):
        kinds = KINDS[: max(1, min(len(KINDS), count // 3))]
        split = [count // len(kinds) + (1 if k < count % len(kinds) else 0) for k in range(len(kinds))]
        documents = []
        for k, ((kind, label), size) in enumerate(zip(kinds, split, strict=True)):
            title = f"{label} dự án Luật số {n:02d} (sửa đổi, bổ sung)"
            sha = store_original(data_dir, paper(title, size, rng))
            documents.append(
                BookDocument(
                    document_id=n * 10 + k,
                    version_id=n * 10 + k,
                    version=1,
                    kind=kind,
                    kind_label=label,
                    title=title,
                    pages=size,
                    sha256=sha,
                    path=str(original_path(data_dir, sha)),
                )
            )
        book_items.append(
            BookItem(
                agenda_item_id=n,
                position=n,
                number=n,
                title=f"Dự án Luật số {n:02d} về quản lý, sử dụng tài sản công (sửa đổi)",
                code=f"L-{n:02d}",
                lead_agency="Bộ Tài chính",
                presenter="Bộ trưởng Bộ Tài chính",
                minutes=30,
                consent=n % 7 == 0,
                documents=tuple(documents),
            )
        )
    return BookPlan(
        meeting_id=1,
        title="Phiên họp Chính phủ thường kỳ tháng 12 năm 2026",
        kind="regular",
        kind_label="Phiên họp Chính phủ thường kỳ",
        starts_at="08:30, thứ Năm, ngày 03/12/2026",
        place="Phòng họp Chính phủ, số 1 Hoàng Hoa Thám, Hà Nội",
        chair_name="Thủ tướng Chính phủ",
        chair_title="Chủ tọa phiên họp",
        agenda_version=1,
        draft=False,
        recipient_id=7,
        recipient_name="Nguyễn Văn An",
        recipient_title="Bộ trưởng Bộ Tư pháp",
        items=tuple(book_items),
        plan_hash="0" * 64,
    )


def recipient(n: int) -> StampText:
    code = f"{'ABCDEFGHJK'[n % 10]}{n % 10}Q2-M9X{'DEFGH'[n % 5]}"
    return StampText(f"Thành viên Chính phủ số {n}", "Bộ trưởng Bộ Tư pháp", "08:15 03/12/2026", code)


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm-up: imports, fonts, caches
    found = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        found.append(time.perf_counter() - started)
    return found


def pikepdf_overlay(original: bytes, stamp: bytes) -> bytes:
    import pikepdf

    with pikepdf.open(io.BytesIO(original)) as pdf, pikepdf.open(io.BytesIO(stamp)) as source:
        form = pdf.copy_foreign(source.pages[0].as_form_xobject())  # one Form XObject for all pages
        for page in pdf.pages:
            page.add_overlay(form)
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    try:
        import pikepdf
    except ImportError:
        pikepdf = None  # type: ignore[assignment]

    with tempfile.TemporaryDirectory(prefix="ecabinet-bench-") as folder:
        data_dir = Path(folder)
        started = time.perf_counter()
        plan = make_plan(data_dir, args.items, args.pages)
        first = recipient(0)
        unstamped = io.BytesIO()
        assemble(plan, first).write(unstamped)
        book = unstamped.getvalue()
        pages = len(pypdf.PdfReader(io.BytesIO(book)).pages)
        stamp_page = stamp_page_pdf(first)
        print(
            f"inputs: {args.items} items, {sum(len(i.documents) for i in plan.items)} papers, "
            f"a book of {pages} pages ({len(book) / 1e6:.1f} MB unstamped), made in "
            f"{time.perf_counter() - started:.1f} s"
        )
        print(
            f"python {platform.python_version()}, pypdf {pypdf.__version__}, "
            f"pikepdf {pikepdf.__version__ if pikepdf else 'not installed'}, {os.cpu_count()} CPUs"
        )

        target, progress = data_dir / "book.pdf", data_dir / "book.progress.json"
        build = timed(lambda: build_book(plan, target, first, progress), args.runs)
        counter = iter(range(1, 10_000))
        stamp = timed(lambda: stamp_pdf(book, recipient(next(counter))), args.runs)
        ours: list[float] = []
        theirs: list[float] = []
        overlay_pdf(book, stamp_page)
        if pikepdf is not None:
            pikepdf_overlay(book, stamp_page)
        for _ in range(args.runs):  # alternating, so both see the same machine
            started = time.perf_counter()
            overlay_pdf(book, stamp_page)
            ours.append(time.perf_counter() - started)
            if pikepdf is not None:
                started = time.perf_counter()
                pikepdf_overlay(book, stamp_page)
                theirs.append(time.perf_counter() - started)

    def row(name: str, times: list[float], note: str = "") -> None:
        median = statistics.median(times)
        print(
            f"{name:<34} {median * 1000:>9.0f} {min(times) * 1000:>9.0f} {max(times) * 1000:>9.0f}"
            f" {pages / median:>9.0f}  {note}"
        )

    print()
    print(
        f"{'median of ' + str(args.runs) + ' runs':<34} {'ms':>9} {'min ms':>9} {'max ms':>9} {'pages/s':>9}"
    )
    row("(a) build the book, one recipient", build)
    verdict = "within" if statistics.median(stamp) < BUDGET_STAMP_S else "OVER"
    row("(b) stamp the book, one recipient", stamp, f"{verdict} the {BUDGET_STAMP_S:.0f} s budget")
    row("(c) overlay + save: ours", ours)
    if theirs:
        row("(c) overlay + save: pikepdf/qpdf", theirs)
        ratio = statistics.median(ours) / statistics.median(theirs)
        verdict = "within" if ratio <= BUDGET_RATIO else "OVER"
        print(f"\nratio ours/pikepdf (median times): {ratio:.2f}x, {verdict} the {BUDGET_RATIO:.0f}x budget")
    else:
        print("\npikepdf is not installed: pip install -e '.[bench]' for the baseline")


if __name__ == "__main__":
    main()
