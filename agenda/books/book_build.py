"""Building a briefing book, in the PDF process pool. See docs/papers.md.

The plan (`BookPlan`, made by agenda/books/briefing.py from the database) is plain, picklable data,
and `build_book` is a top-level function of it: this module imports no database code, so a
fresh pool worker starts quickly. The build draws the cover, the contents and the dividers
(agenda/books/book_pages.py), appends the originals, adds bookmarks (item → documents) and page
labels (i, ii, ... then 1, 2, ... from the first divider), puts the recipient's stamp over every
page as ONE shared Form XObject (agenda/papers/stamp.py), writes the book once, atomically, and reports
its progress (0..100 and a stage) in a small JSON file on the way.
"""

from __future__ import annotations

import io
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.constants import PageLabelStyle
from pypdf.errors import PyPdfError
from pypdf.generic import IndirectObject

from agenda.books import book_pages
from agenda.books.plan import BookDocument, BookItem, BookPlan
from agenda.papers.stamp import StampText, apply_stamp, stamp_page_pdf
from agenda.pdf import letterhead
from agenda.text import N_


@dataclass(frozen=True)
class BuildResult:
    path: str
    pages: int
    size: int
    seconds: float


class BookError(Exception):
    """A book that cannot be built. `message` is a Vietnamese template for the web layer to
    translate; `retry` says whether trying again later may help (a server problem) or not (a
    missing or unreadable original, which the secretariat must replace)."""

    def __init__(
        self, code: str, message: str, retry: bool = False, params: dict[str, Any] | None = None
    ) -> None:
        super().__init__(code, message, retry, params or {})  # args rebuild it after pickling
        self.code = code
        self.message = message
        self.retry = retry
        self.params: dict[str, Any] = params or {}

    def __str__(self) -> str:
        return self.message.format(**self.params)


# --- the build ------------------------------------------------------------------------------------


def write_progress(path: Path, percent: int, stage: str) -> None:
    """Best effort: a reader polling the file sees the old or the new content, never half."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        partial.write_text(json.dumps({"progress": percent, "stage": stage}), "utf-8")
        os.replace(partial, path)
    except OSError:
        pass


def read_progress(path: Path) -> dict[str, Any]:
    try:
        found = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {"progress": 0, "stage": "queued"}
    if not isinstance(found, dict) or not isinstance(found.get("progress"), int):
        return {"progress": 0, "stage": "queued"}
    return found


def _read_original(document: BookDocument) -> PdfReader:
    try:
        data = Path(document.path).read_bytes()
    except OSError as exc:
        raise BookError(
            "book_original_missing",
            N_("Không tìm thấy bản gốc của tài liệu «{title}»; cần tải lại tài liệu này."),
            params={"title": document.title},
        ) from exc
    try:
        reader = PdfReader(io.BytesIO(data))
        if len(reader.pages) < 1:
            raise PyPdfError("no pages")
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise BookError(
            "book_bad_original",
            N_("Không đọc được bản gốc của tài liệu «{title}»."),
            params={"title": document.title},
        ) from exc
    return reader


def _font_missing(exc: FileNotFoundError) -> BookError:
    return BookError(
        "font_missing",
        N_("Máy chủ chưa cài phông chữ DejaVu nên không tạo được sổ tài liệu họp ({detail})."),
        retry=True,
        params={"detail": str(exc)},
    )


def assemble(plan: BookPlan, stamp: StampText, progress: Path | None = None) -> PdfWriter:
    """The book without its stamp: cover, contents, then per item its divider and documents, with
    bookmarks and page labels. BookError when an original is missing or unreadable, or when no
    DejaVu font is installed (raised with the Vietnamese message and the English details)."""

    def report(percent: int, stage: str) -> None:
        if progress is not None:
            write_progress(progress, percent, stage)

    readers = [[_read_original(d) for d in item.documents] for item in plan.items]
    counts = [[len(r.pages) for r in item] for item in readers]
    layout = book_pages.Layout.of(counts)
    try:
        front = book_pages.render(plan, stamp, layout)
    except FileNotFoundError as exc:  # no DejaVu font on this server
        raise _font_missing(exc) from exc
    report(15, "pages")
    generated = PdfReader(io.BytesIO(front.pdf))
    writer = PdfWriter()
    for index in range(front.front_pages):
        writer.add_page(generated.pages[index])
    total_pages = max(1, sum(map(sum, counts)))
    done_pages = 0
    outline: list[tuple[BookItem, int, list[int]]] = []
    for n, item in enumerate(plan.items):
        item_start = len(writer.pages)
        writer.add_page(generated.pages[front.front_pages + n])
        starts: list[int] = []
        for reader in readers[n]:
            starts.append(len(writer.pages))
            writer.append(reader, import_outline=False)
            done_pages += len(reader.pages)
            report(15 + 60 * done_pages // total_pages, "documents")
        outline.append((item, item_start, starts))
    _outline(writer, outline)
    writer.set_page_label(0, front.front_pages - 1, style=PageLabelStyle.LOWERCASE_ROMAN, start=1)
    if len(writer.pages) > front.front_pages:
        writer.set_page_label(front.front_pages, len(writer.pages) - 1, style=PageLabelStyle.DECIMAL, start=1)
    writer.page_mode = "/UseOutlines"
    writer.add_metadata(
        {"/Title": f"Sổ tài liệu họp – {plan.title}", "/Producer": "eCabinet", "/Creator": "eCabinet"}
    )
    return writer


def build_book(
    plan: BookPlan, target_path: str | Path, stamp: StampText, progress_path: str | Path
) -> BuildResult:
    """Build `plan` as one PDF at `target_path`, stamped with `stamp` on every page, written once."""
    started = time.perf_counter()
    target, progress = Path(target_path), Path(progress_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_progress(progress, 2, "start")
    writer = assemble(plan, stamp, progress)
    write_progress(progress, 80, "stamp")
    try:
        apply_stamp(writer, stamp_page_pdf(stamp))
    except FileNotFoundError as exc:
        raise _font_missing(exc) from exc
    write_progress(progress, 90, "write")
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with partial.open("wb") as handle:
            writer.write(handle)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    write_progress(progress, 100, "done")
    return BuildResult(
        path=str(target),
        pages=len(writer.pages),
        size=target.stat().st_size,
        seconds=time.perf_counter() - started,
    )


def _outline(writer: PdfWriter, items: list[tuple[BookItem, int, list[int]]]) -> None:
    """Bookmarks: each item (at its divider) with its documents as children."""
    for item, divider, starts in items:
        parent: IndirectObject = writer.add_outline_item(
            title=f"{item.number}. {letterhead.clean(item.title)}", page_number=divider
        )
        for document, start in zip(item.documents, starts, strict=True):
            writer.add_outline_item(title=letterhead.clean(document.title), page_number=start, parent=parent)
