"""The stamp splicer (agenda/papers/overlay.py): every page stamped, every other object copied as it is,
and the result a complete new file, on the shapes of PDF that uploads come in."""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable

import pytest
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, StreamObject

from agenda.papers.overlay import overlay_pdf, splice_stamp, stamp_pdf
from agenda.papers.stamp import StampText, stamp_page_pdf
from agenda.pdf.fonts import subset_font_files

STAMP = StampText("Nguyễn Văn An", "Bộ trưởng Bộ Tư pháp", "08:15 03/12/2026", "K7Q2-M9XD")
PAGES = 4


def original(pages: int = PAGES, *, size: str = "A4") -> bytes:
    regular, _bold = subset_font_files()
    pdf = FPDF(format=size)
    pdf.add_font("dejavu", "", str(regular))
    pdf.set_font("dejavu", "", 14)
    for page in range(1, pages + 1):
        pdf.add_page(orientation="L" if page == 2 else "P")  # two page sizes: two painters
        pdf.cell(text=f"Tờ trình Chính phủ – trang {page}")
    return bytes(pdf.output())


def rewrite(data: bytes, change: Callable[[PdfWriter], None]) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def inherited(data: bytes) -> bytes:
    """Resources and MediaBox on the page tree's root, none on the pages."""

    def change(writer: PdfWriter) -> None:
        first = writer.pages[0]
        tree = writer.root_object["/Pages"].get_object()
        assert isinstance(tree, DictionaryObject)
        tree[NameObject("/Resources")] = first["/Resources"]
        tree[NameObject("/MediaBox")] = first["/MediaBox"]
        box = list(first.mediabox)
        for page in writer.pages:
            del page[NameObject("/Resources")]
            if list(page.mediabox) == box:
                del page[NameObject("/MediaBox")]

    return rewrite(data, change)


def contents_arrays(data: bytes) -> bytes:
    def change(writer: PdfWriter) -> None:
        for page in writer.pages:
            extra = StreamObject.initialize_from_dictionary({"__streamdata__": b"0 g\n"})
            page[NameObject("/Contents")] = ArrayObject(
                [page.raw_get("/Contents"), writer._add_object(extra)]
            )

    return rewrite(data, change)


def incremental(data: bytes) -> bytes:
    writer = PdfWriter(io.BytesIO(data), incremental=True)
    writer.add_metadata({"/Title": "Bản sửa đổi"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def object_streams(data: bytes) -> bytes:
    """The same document with its dictionaries in an object stream and a cross-reference stream."""
    reader = PdfReader(io.BytesIO(data))
    numbers = sorted(n for n in reader.xref[0] if n > 0)
    size = max(numbers) + 1
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    entries: dict[int, tuple[int, int, int]] = {}
    packed: list[tuple[int, bytes]] = []
    for number in numbers:
        obj = reader.get_object(number)
        buffer = io.BytesIO()
        assert obj is not None
        obj.write_to_stream(buffer)
        if isinstance(obj, StreamObject):
            entries[number] = (1, len(out), 0)
            out += f"{number} 0 obj\n".encode() + buffer.getvalue() + b"\nendobj\n"
        else:
            packed.append((number, buffer.getvalue()))
    header = b""
    body = b""
    for index, (number, raw) in enumerate(packed):
        header += f"{number} {len(body)} ".encode()
        body += raw + b"\n"
        entries[number] = (2, size, index)
    stream = zlib.compress(header + body)
    entries[size] = (1, len(out), 0)
    out += (
        f"{size} 0 obj\n<< /Type /ObjStm /N {len(packed)} /First {len(header)} /Filter /FlateDecode "
        f"/Length {len(stream)} >>\nstream\n"
    ).encode()
    out += stream + b"\nendstream\nendobj\n"
    rows = [b"\x00\x00\x00\x00\x00\xff\xff"]
    for number in range(1, size + 2):
        kind, first, second = entries.get(number, (0, 0, 0))
        rows.append(bytes([kind]) + first.to_bytes(4, "big") + second.to_bytes(2, "big"))
    xref = zlib.compress(b"".join(rows))
    root = reader.trailer.raw_get("/Root")
    start = len(out)
    out += (
        f"{size + 1} 0 obj\n<< /Type /XRef /Size {size + 2} /W [1 4 2] /Root {root.idnum} 0 R "
        f"/Filter /FlateDecode /Length {len(xref)} >>\nstream\n"
    ).encode()
    out += xref + b"\nendstream\nendobj\n" + f"startxref\n{start}\n%%EOF\n".encode()
    return bytes(out)


SHAPES: dict[str, Callable[[bytes], bytes]] = {
    "fpdf2": lambda data: data,
    "pypdf": lambda data: rewrite(data, lambda writer: None),
    "inherited resources": inherited,
    "contents arrays": contents_arrays,
    "incremental update": incremental,
    "object streams": object_streams,
}


def check_stamped(data: bytes, pages: int = PAGES) -> None:
    reader = PdfReader(io.BytesIO(data), strict=True)
    assert len(reader.pages) == pages
    stamps = set()
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert f"Tờ trình Chính phủ – trang {number}" in text  # the page's own content
        assert "Nguyễn Văn An" in text and "K7Q2-M9XD" in text  # and the stamp over it
        resources = page["/Resources"]
        assert isinstance(resources, DictionaryObject)
        xobjects = resources["/XObject"]
        assert isinstance(xobjects, DictionaryObject)
        stamps.add(xobjects.raw_get("/ECabinetStamp").idnum)
    assert len(stamps) == 1  # ONE Form XObject for every page


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_shape_is_spliced_and_stamped(shape: str) -> None:
    source = SHAPES[shape](original())
    assert len(PdfReader(io.BytesIO(source)).pages) == PAGES
    spliced = splice_stamp(source, stamp_page_pdf(STAMP))
    assert spliced is not None, "the splicer gave up"
    check_stamped(spliced)
    assert not spliced.startswith(source[: len(source) - 64])  # a new file, not an update to cut back
    assert spliced.count(b"%%EOF") == 1


def test_the_untouched_objects_are_copied_byte_for_byte() -> None:
    source = original()
    spliced = splice_stamp(source, stamp_page_pdf(STAMP))
    assert spliced is not None
    reader = PdfReader(io.BytesIO(source))
    content = reader.pages[0].raw_get("/Contents")
    offset = reader.xref[0][content.idnum]
    end = source.index(b"endobj", offset) + len(b"endobj")
    assert source[offset:end] in spliced


def test_a_file_it_is_unsure_of_falls_back_to_pypdf() -> None:
    source = original()
    reader = PdfReader(io.BytesIO(source))
    content = reader.pages[0].raw_get("/Contents")
    at = source.index(b"/Length", reader.xref[0][content.idnum])
    length = source[at : source.index(b"\n", at)]
    broken = source.replace(length, b"/Length 3", 1)  # a wrong length that pypdf repairs
    assert splice_stamp(broken, stamp_page_pdf(STAMP)) is None
    check_stamped(overlay_pdf(broken, stamp_page_pdf(STAMP)))
    assert splice_stamp(b"not a pdf", stamp_page_pdf(STAMP)) is None


def test_stamp_pdf_keeps_its_contract() -> None:
    stamped = stamp_pdf(SHAPES["object streams"](original()), STAMP)
    check_stamped(stamped)
    assert stamped.startswith(b"%PDF-1.5")
    assert stamp_pdf(original(), STAMP).startswith(b"%PDF-1.4")  # transparency needs 1.4
