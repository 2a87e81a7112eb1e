"""A stamp over every page of a PDF, rewriting only what changes. See docs/papers.md.

pypdf rewrites a file by parsing, cloning and serializing every object; for a 300-page paper
that is most of a second, nearly all of it spent on objects the stamp does not touch (fonts,
images, content streams). Here the output is a complete new file (new cross-reference table,
no trace of an incremental update, so no unstamped revision to cut back to) built from:
- every object of the original except the pages, copied byte for byte;
- each page dictionary, parsed by pypdf and written again with the stamp added: its resources
  gain the stamp Form XObject and its contents become [q, original contents..., Q + stamp];
- the stamp: ONE Form XObject (with its fonts) and the small streams that paint it.

`splice_stamp` returns None for anything it is not sure of (encryption, an object it cannot
delimit, a stream whose /Length is wrong, ...); `overlay_pdf` then falls back to pypdf. The
stamp itself is drawn in agenda/papers/stamp.py, which knows nothing of this module.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Callable
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
)

from agenda.papers.stamp import (
    STAMP_NAME,
    StampText,
    _form_xobject,
    _paint,
    _resources,
    apply_stamp,
    stamp_page_pdf,
)

_HEADER = re.compile(rb"%PDF-(\d)\.(\d)")
_OBJ = re.compile(rb"(\d+)\s+(\d+)\s+obj\b")
_END = re.compile(rb"endobj|>>\s*stream(?:\r\n|\n)")
_LENGTH = re.compile(rb"/Length\s+(\d+)(?:\s+(\d+)\s+R)?")
_TAIL = re.compile(rb"\s*endstream\s*endobj")
_XREF_TYPE = re.compile(rb"/Type\s*/XRef\b")


class _Unsure(Exception):
    """The file has something this splicer does not handle; pypdf will do it."""


def _raw_object(
    data: bytes, offset: int, number: int, resolve: Callable[[int, int], Any]
) -> tuple[bytes, bytes]:
    """The bytes of object `number` at `offset` ("N G obj ... endobj") and its dictionary part."""
    head = _OBJ.match(data, offset)
    if head is None or int(head.group(1)) != number:
        raise _Unsure(f"object {number} is not at {offset}")
    end = _END.search(data, head.end())
    if end is None:
        raise _Unsure(f"object {number} has no end")
    if end.group().startswith(b"endobj"):
        return data[offset : end.end()], data[head.end() : end.start()]
    dictionary = data[head.end() : end.start() + 2]
    found = _LENGTH.search(dictionary)
    if found is None:
        raise _Unsure(f"stream {number} has no /Length")
    length = int(found.group(1))
    if found.group(2) is not None:
        length = resolve(int(found.group(1)), int(found.group(2)))
        if not isinstance(length, int):
            raise _Unsure(f"stream {number} has a strange /Length")
    tail = _TAIL.match(data, end.end() + length)
    if tail is None:
        raise _Unsure(f"stream {number} has a wrong /Length")
    return data[offset : tail.end()], dictionary


def _serialize(number: int, generation: int, obj: PdfObject) -> bytes:
    out = io.BytesIO()
    out.write(f"{number} {generation} obj\n".encode())
    obj.write_to_stream(out)
    out.write(b"\nendobj\n")
    return out.getvalue()


def _renumber(obj: PdfObject, mapping: dict[int, int], owner: Any) -> PdfObject:
    """`obj` (of the scratch writer) with its references moved to the numbers of `mapping`."""
    if isinstance(obj, IndirectObject):
        return IndirectObject(mapping[obj.idnum], 0, owner)
    if isinstance(obj, DictionaryObject):  # streams too: their dictionary is rewritten in place
        for key, value in list(obj.items()):
            obj[key] = _renumber(value, mapping, owner)
        return obj
    if isinstance(obj, ArrayObject):
        for index, value in enumerate(obj):
            obj[index] = _renumber(value, mapping, owner)
        return obj
    return obj


def _reachable(writer: PdfWriter, roots: list[IndirectObject]) -> list[int]:
    seen: set[int] = set()
    order: list[int] = []
    todo: list[PdfObject] = list(roots)
    while todo:
        item = todo.pop()
        if isinstance(item, IndirectObject):
            if item.idnum in seen:
                continue
            seen.add(item.idnum)
            order.append(item.idnum)
            todo.append(writer.get_object(item.idnum))
        elif isinstance(item, DictionaryObject):
            todo.extend(item.values())
        elif isinstance(item, ArrayObject):
            todo.extend(item)
    return sorted(order)


def _xref_table(entries: dict[int, tuple[int, int, int]], size: int) -> bytes:
    lines = [b"xref\n", f"0 {size}\n".encode(), b"0000000000 65535 f \n"]
    for number in range(1, size):
        kind, offset, generation = entries.get(number, (0, 0, 0))
        if kind == 1:
            lines.append(f"{offset:010d} {generation:05d} n \n".encode())
        else:
            lines.append(b"0000000000 00000 f \n")
    return b"".join(lines)


def _xref_stream(entries: dict[int, tuple[int, int, int]], size: int, trailer: bytes) -> bytes:
    """A cross-reference stream (object `size`), needed when objects live in object streams."""
    rows = [b"\x00\x00\x00\x00\x00\xff\xff"]
    for number in range(1, size + 1):
        kind, first, second = entries.get(number, (0, 0, 0))
        rows.append(bytes([kind]) + first.to_bytes(4, "big") + second.to_bytes(2, "big"))
    data = zlib.compress(b"".join(rows))
    head = (
        f"{size} 0 obj\n<< /Type /XRef /Size {size + 1} /W [1 4 2] /Index [0 {size + 1}] "
        f"/Filter /FlateDecode /Length {len(data)} "
    ).encode()
    return head + trailer + b" >>\nstream\n" + data + b"\nendstream\nendobj\n"


def splice_stamp(original: bytes, stamp_page: bytes) -> bytes | None:
    """`original` with the first page of `stamp_page` over every page, or None when unsure."""
    try:
        reader = PdfReader(io.BytesIO(original))
        if reader.is_encrypted:
            return None
        version = _HEADER.match(original)
        if version is None:
            return None
        classic: dict[int, tuple[int, int]] = {}
        for generation, found in reader.xref.items():
            for number, offset in found.items():
                if number > 0:
                    classic[number] = (generation, offset)
        compressed: dict[int, tuple[int, int]] = {
            number: (stream, index) for number, (stream, index) in reader.xref_objStm.items()
        }
        pages = list(reader.pages)
        trailer = reader.trailer
        root = trailer.raw_get("/Root")
        if not pages or not isinstance(root, IndirectObject):
            return None
        page_refs: list[IndirectObject] = []
        for page in pages:
            ref = page.indirect_reference
            if ref is None:
                return None
            page_refs.append(ref)
        if len({r.idnum for r in page_refs}) != len(page_refs):
            return None
        size = max([int(trailer.get("/Size", 0)), *(n + 1 for n in classic), *(n + 1 for n in compressed)])

        # The stamp and its painters, made in a scratch writer and renumbered after the original.
        scratch = PdfWriter()
        form = _form_xobject(scratch, stamp_page)
        opener = StreamObject.initialize_from_dictionary({"__streamdata__": b"q\n"})
        opener_ref = scratch._add_object(opener)
        painters: dict[tuple[float, float, float, float], IndirectObject] = {}
        boxes: list[tuple[float, float, float, float]] = []
        for page in pages:
            box = tuple(float(v) for v in page.mediabox)
            key = (box[0], box[1], box[2], box[3])
            boxes.append(key)
            if key not in painters:
                painter = StreamObject.initialize_from_dictionary({"__streamdata__": _paint(key)})
                painters[key] = scratch._add_object(painter)
        new_numbers = _reachable(scratch, [form, opener_ref, *painters.values()])
        mapping = {old: size + n for n, old in enumerate(new_numbers)}
        size += len(new_numbers)

        def resolve(number: int, generation: int) -> Any:
            return reader.get_object(IndirectObject(number, generation, reader))

        page_numbers = {r.idnum for r in page_refs}
        out = bytearray()
        major, minor = int(version.group(1)), int(version.group(2))
        if (major, minor) < (1, 4):  # the stamp's transparency needs PDF 1.4
            major, minor = 1, 4
        if compressed and (major, minor) < (1, 5):
            major, minor = 1, 5
        out += f"%PDF-{major}.{minor}\n%\xe2\xe3\xcf\xd3\n".encode("latin-1")
        entries: dict[int, tuple[int, int, int]] = {}
        for number in sorted(classic):
            if number in page_numbers:
                continue
            generation, offset = classic[number]
            raw, dictionary = _raw_object(original, offset, number, resolve)
            if _XREF_TYPE.search(dictionary) or (offset < 1024 and b"/Linearized" in dictionary):
                continue  # the old cross-reference stream and linearization hints mean nothing here
            entries[number] = (1, len(out), generation)
            out += raw + b"\n"
        for number, (stream, index) in compressed.items():
            if number not in page_numbers and stream in entries:
                entries[number] = (2, stream, index)

        stamp_ref = IndirectObject(mapping[form.idnum], 0, reader)
        opener_out = IndirectObject(mapping[opener_ref.idnum], 0, reader)
        for page, ref, key in zip(pages, page_refs, boxes, strict=True):
            fresh = DictionaryObject(page)
            resources = _resources(page)
            xobjects = resources.get("/XObject")
            xobjects = DictionaryObject(xobjects.get_object()) if xobjects is not None else DictionaryObject()
            xobjects[STAMP_NAME] = stamp_ref
            resources[NameObject("/XObject")] = xobjects
            fresh[NameObject("/Resources")] = resources
            parts: list[PdfObject] = [opener_out]
            existing = page.get("/Contents")
            if existing is not None:
                existing = page.raw_get("/Contents")
                resolved = existing.get_object()
                parts.extend(resolved if isinstance(resolved, ArrayObject) else [existing])
            parts.append(IndirectObject(mapping[painters[key].idnum], 0, reader))
            fresh[NameObject("/Contents")] = ArrayObject(parts)
            entries[ref.idnum] = (1, len(out), ref.generation)
            out += _serialize(ref.idnum, ref.generation, fresh)
        for old in new_numbers:
            obj = _renumber(scratch.get_object(old), mapping, reader)
            entries[mapping[old]] = (1, len(out), 0)
            out += _serialize(mapping[old], 0, obj)

        tail = io.BytesIO()
        tail.write(f"/Root {root.idnum} {root.generation} R".encode())
        info = trailer.raw_get("/Info") if "/Info" in trailer else None
        if isinstance(info, IndirectObject) and info.idnum in entries:
            tail.write(f" /Info {info.idnum} {info.generation} R".encode())
        identifier = trailer.get("/ID")
        if isinstance(identifier, ArrayObject):
            tail.write(b" /ID ")
            identifier.write_to_stream(tail)
        start = len(out)
        if any(kind == 2 for kind, _a, _b in entries.values()):
            entries[size] = (1, start, 0)
            out += _xref_stream(entries, size, tail.getvalue())
        else:
            out += _xref_table(entries, size)
            out += b"trailer\n<< /Size " + str(size).encode() + b" " + tail.getvalue() + b" >>\n"
        out += f"startxref\n{start}\n%%EOF\n".encode()
        return bytes(out)
    except (_Unsure, PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OverflowError):
        return None


def overlay_pdf(original: bytes, stamp_page: bytes) -> bytes:
    """`original` with the first page of the PDF `stamp_page` over every page.

    The untouched objects are copied as they are (`splice_stamp`); a file that splicer is not
    sure of is rewritten whole by pypdf instead, with the same result on screen.
    """
    spliced = splice_stamp(original, stamp_page)
    if spliced is not None:
        return spliced
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(original)))
    apply_stamp(writer, stamp_page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def stamp_pdf(original: bytes, text: StampText) -> bytes:
    """`original` with the stamp of `text` over every page. Page count and content are unchanged."""
    return overlay_pdf(original, stamp_page_pdf(text))
