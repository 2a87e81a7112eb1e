"""Personal copies: a semi-transparent diagonal watermark over every page. See docs/papers.md.

The stamp (name, title, date-time, copy code) is drawn once with fpdf2 in a Unicode font and
turned into ONE Form XObject in the output. Every page gets a reference to it in its resources
and one shared content stream that paints it, scaled to the page: no per-page copy of the
stamp's fonts or drawing. The page's own content is wrapped in q/Q so its graphics state
cannot hide the stamp. Putting it over a whole file (`stamp_pdf`, `overlay_pdf`) is
agenda/papers/overlay.py, which builds on this module.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from fpdf import FPDF
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    PdfObject,
)

from agenda.pdf.fonts import fonts_for

STAMP_NAME = NameObject("/ECabinetStamp")
STAMP_WIDTH, STAMP_HEIGHT = 595.28, 841.89  # drawn on A4 portrait, scaled to each page


@dataclass(frozen=True)
class StampText:
    """What a personal copy says: who it is for, when it was made, and its copy code."""

    full_name: str
    title: str
    issued_at: str  # already formatted in local time, e.g. "08:15 03/12/2026"
    copy_code: str

    def lines(self) -> list[str]:
        return [self.full_name, self.title, f"{self.issued_at} · {self.copy_code}"]


def stamp_page_pdf(text: StampText) -> bytes:
    """A one-page PDF holding only the stamp: three diagonal lines, repeated, semi-transparent."""
    regular, bold = fonts_for("".join(text.lines()))
    pdf = FPDF(unit="pt", format=(STAMP_WIDTH, STAMP_HEIGHT))
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.add_font("stamp", "", str(regular))
    pdf.add_font("stamp", "B", str(bold))
    pdf.add_page()
    pdf.set_text_color(150, 20, 20)
    lines = text.lines()
    with pdf.local_context(fill_opacity=0.22, stroke_opacity=0.22):
        for cx, cy, size in (
            (STAMP_WIDTH / 2, STAMP_HEIGHT * 0.30, 20),
            (STAMP_WIDTH / 2, STAMP_HEIGHT * 0.72, 20),
        ):
            with pdf.rotation(angle=35, x=cx, y=cy):
                for n, line in enumerate(lines):
                    pdf.set_font("stamp", "B" if n == 0 else "", size if n == 0 else size - 5)
                    width = pdf.get_string_width(line)
                    pdf.text(cx - width / 2, cy + (n - 1) * (size + 2), line)
    return bytes(pdf.output())


def _form_xobject(writer: PdfWriter, stamp_pdf: bytes) -> IndirectObject:
    page = PdfReader(io.BytesIO(stamp_pdf)).pages[0]
    contents = page.get_contents()
    form = DecodedStreamObject()
    form.set_data(contents.get_data() if contents is not None else b"")
    resources = page["/Resources"].get_object()
    assert isinstance(resources, DictionaryObject)
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(
                [FloatObject(0), FloatObject(0), FloatObject(STAMP_WIDTH), FloatObject(STAMP_HEIGHT)]
            ),
            NameObject("/Resources"): resources.clone(writer),
        }
    )
    return writer._add_object(form.flate_encode())


def _paint(box: tuple[float, float, float, float]) -> bytes:
    """Close the page's own graphics state, then paint the stamp scaled and centred on `box`."""
    x0, y0, x1, y1 = box
    width, height = x1 - x0, y1 - y0
    scale = min(width / STAMP_WIDTH, height / STAMP_HEIGHT)
    dx = x0 + (width - STAMP_WIDTH * scale) / 2
    dy = y0 + (height - STAMP_HEIGHT * scale) / 2
    return f"\nQ\nq {scale:.5f} 0 0 {scale:.5f} {dx:.3f} {dy:.3f} cm {STAMP_NAME} Do Q\n".encode()


def _resources(page: DictionaryObject) -> DictionaryObject:
    """The page's resources, inherited ones included, as a fresh shallow dictionary."""
    node: PdfObject | None = page
    while node is not None:
        node = node.get_object()
        assert isinstance(node, DictionaryObject)
        found = node.get("/Resources")
        if found is not None:
            return DictionaryObject(found.get_object())
        node = node.get("/Parent")
    return DictionaryObject()


def apply_stamp(writer: PdfWriter, stamp_page: bytes) -> None:
    """Put the first page of `stamp_page` over every page of `writer`, as ONE shared Form XObject.

    Used on a clone of an original (`overlay_pdf`) and on an assembled briefing book, which is
    then written once.
    """
    form = _form_xobject(writer, stamp_page)
    opener = writer._add_object(DecodedStreamObject.initialize_from_dictionary({"__streamdata__": b"q\n"}))
    painters: dict[tuple[float, float, float, float], IndirectObject] = {}
    for page in writer.pages:
        box = tuple(float(v) for v in page.mediabox)
        key = (box[0], box[1], box[2], box[3])
        if key not in painters:
            stream = DecodedStreamObject()
            stream.set_data(_paint(key))
            painters[key] = writer._add_object(stream)
        resources = _resources(page)
        xobjects = resources.get("/XObject")
        xobjects = DictionaryObject(xobjects.get_object()) if xobjects is not None else DictionaryObject()
        xobjects[STAMP_NAME] = form
        resources[NameObject("/XObject")] = xobjects
        page[NameObject("/Resources")] = resources
        existing = page.get("/Contents")
        parts: list[PdfObject] = [opener]
        if existing is not None:
            resolved = existing.get_object()
            if isinstance(resolved, ArrayObject):
                parts.extend(resolved)
            else:
                parts.append(existing)
        parts.append(painters[key])
        page[NameObject("/Contents")] = ArrayObject(parts)
