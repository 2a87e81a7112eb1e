"""PDF files made in the tests: good ones (fpdf2, pypdf) and hostile ones, byte by byte.

`raw_pdf` writes objects and a correct cross-reference table, so a hostile file is broken only
in the one way it means to be.
"""

from __future__ import annotations

import io
import zlib
from functools import cache

from fpdf import FPDF
from pypdf import PdfWriter
from starlette.testclient import TestClient


def valid_pdf(pages: int = 3, *, title: str | None = None, text: str = "Tờ trình") -> bytes:
    """A small, ordinary PDF (fpdf2), `pages` long, with an optional metadata title."""
    pdf = FPDF()
    if title is not None:
        pdf.set_title(title)
    pdf.set_font("helvetica", size=12)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.cell(0, 10, f"{text.encode('ascii', 'replace').decode()} - page {number}")
    return bytes(pdf.output())


def raw_pdf(objects: list[bytes], *, root: int = 1, trailer: bytes = b"") -> bytes:
    """Objects 1..n with the given bodies, a valid xref table, a trailer and %%EOF."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R %s>>\n" % (len(objects) + 1, root, trailer)
    out += b"startxref\n%d\n%%%%EOF\n" % start
    return bytes(out)


def stream(data: bytes, extra: bytes = b"", *, length: int | None = None) -> bytes:
    return b"<< /Length %d %s>>\nstream\n%s\nendstream" % (
        len(data) if length is None else length,
        extra,
        data,
    )


def one_page(
    *, catalog: bytes = b"", page: bytes = b"", content: bytes = b"", more: tuple[bytes, ...] = ()
) -> bytes:
    """A one-page PDF (objects 1-4), with extra entries in the catalog or the page, or more objects (5...)."""
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R " + catalog + b">>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R " + page + b">>",
            content or stream(b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET"),
            *more,
        ]
    )


# --- hostile files ------------------------------------------------------------------------------


@cache
def flate_bomb() -> bytes:
    """A page whose content is FlateDecode twice over: 3 kB that inflate to 256 MB of zeros."""
    squeeze = zlib.compressobj(1)
    zeros = b"\0" * (1024 * 1024)
    inner = b"".join(squeeze.compress(zeros) for _ in range(256)) + squeeze.flush()
    return one_page(content=stream(zlib.compress(inner, 9), b"/Filter [/FlateDecode /FlateDecode] "))


def circular_xref() -> bytes:
    """Two cross-reference sections whose /Prev point at each other."""
    base = bytearray(one_page())
    first = len(base)
    section = b"xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 5 /Root 1 0 R /Prev %010d >>\n"
    second = first + len(section % 0)
    return bytes(base + section % second + section % first + b"startxref\n%d\n%%%%EOF\n" % second)


def cyclic_pages() -> bytes:
    """A page tree whose node has itself (through its child) as a kid."""
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >>",
        ]
    )


def huge_length() -> bytes:
    """A content stream that claims to be 100 GB long."""
    return one_page(content=stream(b"BT ET", length=100 * 1024**3))


def html_as_pdf() -> bytes:
    """An HTML page that starts with the PDF signature and even ends with %%EOF."""
    return b"%PDF-1.7\n<html><body><script>alert(1)</script></body></html>\n%%EOF\n"


def truncated() -> bytes:
    """A good PDF cut off in the middle."""
    whole = valid_pdf(8)
    return whole[: len(whole) // 2]


def encrypted() -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(valid_pdf(2)))
    writer.encrypt("mật-khẩu", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def open_action_javascript() -> bytes:
    return one_page(catalog=b"/OpenAction << /S /JavaScript /JS (app.alert('x')) >> ")


def hidden_javascript() -> bytes:
    """JavaScript in an annotation action, its names written with #-escapes."""
    return one_page(
        page=b"/Annots [5 0 R] ",
        more=(b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /J#61vaScript /J#53 (x) >> >>",),
    )


def names_javascript() -> bytes:
    """Document-level JavaScript in the catalog's /Names tree."""
    return one_page(
        catalog=b"/Names << /JavaScript 5 0 R >> ",
        more=(b"<< /Names [(init) << /S /JavaScript /JS (app.alert(1)) >>] >>",),
    )


def page_additional_action() -> bytes:
    """JavaScript run when a page opens (/AA on the page)."""
    return one_page(page=b"/AA << /O << /S /JavaScript /JS (this.print()) >> >> ")


def launch_action() -> bytes:
    return one_page(catalog=b"/OpenAction << /S /Launch /F (C:\\\\Windows\\\\System32\\\\calc.exe) >> ")


def no_pages() -> bytes:
    return raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])


def deep_nesting() -> bytes:
    """An array nested 100,000 deep in the catalog."""
    return one_page(catalog=b"/Deep " + b"[" * 100_000 + b"]" * 100_000 + b" ")


# --- uploading ----------------------------------------------------------------------------------


def multipart(
    fields: list[tuple[str, str]],
    file: tuple[bytes, bytes, bytes] | None,
    *,
    boundary: bytes = b"ecabinet-test-boundary",
    file_first: bool = False,
) -> tuple[bytes, dict[str, str]]:
    """A multipart body built by hand (so a filename can hold raw CR, LF or NUL bytes) and its
    Content-Type header. `file` is (raw filename, data, content type)."""
    parts = []
    for name, value in fields:
        parts.append(
            b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
            % (boundary, name.encode(), value.encode())
        )
    if file is not None:
        filename, data, kind = file
        part = (
            b'--%s\r\nContent-Disposition: form-data; name="file"; filename="%s"\r\nContent-Type: %s\r\n\r\n'
            % (boundary, filename, kind)
            + data
            + b"\r\n"
        )
        parts.insert(0, part) if file_first else parts.append(part)
    body = b"".join(parts) + b"--%s--\r\n" % boundary
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary.decode()}"}


def files(
    data: bytes, filename: str = "to-trinh.pdf", kind: str = "application/pdf"
) -> dict[str, tuple[str, bytes, str]]:
    return {"file": (filename, data, kind)}


def stored_files(client: TestClient) -> list[str]:
    """Every file under DATA_DIR/originals and DATA_DIR/tmp, as paths relative to DATA_DIR."""
    from tests.conftest import context_of

    root = context_of(client).settings.data_dir
    return sorted(
        str(path.relative_to(root))
        for folder in ("originals", "tmp")
        for path in (root / folder).rglob("*")
        if path.is_file()
    )
