"""Checking an uploaded PDF before it is stored, in a sandboxed child process. See docs/uploads.md.

`check_pdf(path)` runs `python -m agenda.papers.pdf_check PATH ...` in a minimal environment, under a
wall-clock timeout. The child's `main()` first sets its own hard limits, passed on its command
line: address space, CPU seconds, no file writes, a handful of file descriptors, no core dumps.
(Not a `preexec_fn`: Python code between fork and exec can deadlock in a threaded server.)
Only then does it read the file: it parses it with pypdf, walks every object
for JavaScript and launch actions, decodes every page's content (a decompression bomb runs into
pypdf's limits or the memory limit), then extracts the text page by page for search (at most
MAX_TEXT_CHARS, within a share of the time limit: a text bomb is skipped or cut short, not
waited for), and prints one JSON line. Whatever else happens in the child (a crash, a limit, a timeout,
garbage on stdout) is a clean rejection, never an error of the server.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import resource
import signal
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agenda.errors import BadPdf
from agenda.text import N_, one_line

# Why a file is refused: code -> the message shown (Vietnamese source, translated by the web layer).
REJECTIONS: dict[str, str] = {
    "not_pdf": N_("Tệp tải lên không phải là tệp PDF."),
    "empty_file": N_("Tệp tải lên rỗng (0 byte)."),
    "truncated": N_("Tệp PDF bị cắt cụt, có thể do tải lên chưa trọn vẹn; hãy tải lại tệp đầy đủ."),
    "encrypted": N_("Tệp PDF được mã hóa hoặc đặt mật khẩu; hãy tải lên bản không mã hóa."),
    "javascript": N_("Tệp PDF có mã JavaScript; vì lý do an toàn không thể tải lên."),
    "launch_action": N_("Tệp PDF có lệnh mở chương trình khác (Launch); vì lý do an toàn không thể tải lên."),
    "no_pages": N_("Tệp PDF không có trang nào."),
    "pdf_unreadable": N_("Không đọc được tệp PDF: tệp bị hỏng hoặc sai cấu trúc."),
    "pdf_too_complex": N_(
        "Tệp PDF quá phức tạp để kiểm tra trong giới hạn thời gian và bộ nhớ; hãy xuất lại tệp rồi thử lại."
    ),
}

EOF_WINDOW = 1024  # %%EOF must appear within the last 1024 bytes, as PDF readers require
MAX_PAGES = 100_000
MAX_TITLE = 500
MAX_TEXT_CHARS = 2 * 1024 * 1024  # of extracted text kept per version (docs/search.md)
TEXT_SHARE = 0.6  # of the time limit, counted from the child's start, after which extraction stops
MAX_PAGE_CONTENT = 1024 * 1024  # bytes of decoded content; a page with more is not read for text
OPEN_FILES = 32  # the interpreter, pypdf's modules and the one PDF
ROOT = Path(__file__).resolve().parent.parent  # where `agenda` is importable from
# Filters pypdf decodes itself; streams with image codecs (DCT, JPX, JBIG2, CCITT) are left alone.
GENERIC_FILTERS = frozenset(
    {
        "/FlateDecode",
        "/Fl",
        "/LZWDecode",
        "/LZW",
        "/ASCII85Decode",
        "/A85",
        "/ASCIIHexDecode",
        "/AHx",
        "/RunLengthDecode",
        "/RL",
    }
)


@dataclass(frozen=True)
class PdfFacts:
    """What the check learned about an accepted file."""

    pages: int
    sha256: str
    size: int
    title: str | None  # from the document's metadata, cleaned; None when it has none
    text: str = ""  # the text of its pages, for search; empty when it has none


def reject(code: str) -> BadPdf:
    return BadPdf(REJECTIONS[code], code=code)


# --- the parent side ----------------------------------------------------------------------------


def check_pdf(
    path: Path, *, timeout: float = 20, memory_mb: int = 512, text_seconds: float | None = None
) -> PdfFacts:
    """Check the file at `path` in a sandboxed child; its facts, or BadPdf with the reason.

    The child reads the text until `text_seconds` after it starts (default: TEXT_SHARE of
    `timeout`). Blocking: the web layer runs it in a worker thread.
    """
    problem = sniff(path)  # cheap, and spares a process for the obvious cases
    if problem is not None:
        raise reject(problem)
    budget = f"{timeout * TEXT_SHARE if text_seconds is None else text_seconds:.3f}"
    limits = [str(max(1, int(timeout))), str(memory_mb * 1024 * 1024)]  # CPU seconds, address space
    command = [
        sys.executable,
        "-s",
        "-B",
        "-m",
        "agenda.papers.pdf_check",
        str(path.resolve()),
        budget,
        *limits,
    ]
    try:
        done = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=child_environment(),
            cwd="/",
            timeout=timeout,
            start_new_session=True,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:  # run() has killed the child
        raise reject("pdf_too_complex") from exc
    verdict = read_verdict(done.returncode, done.stdout)
    if not verdict.get("ok"):
        raise reject(str(verdict.get("code")))
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return PdfFacts(
        pages=int(verdict["pages"]),
        sha256=digest.hexdigest(),
        size=path.stat().st_size,
        title=clean_title(verdict.get("title")),
        text=clean_text(verdict.get("text")),
    )


def child_environment() -> dict[str, str]:
    """Only what the interpreter needs: no secrets, no database URL, no proxies."""
    return {
        "PATH": os.defpath,
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
    }


def set_limits(*, cpu_seconds: int, memory_bytes: int) -> None:
    """Lower this process's resource limits, soft and hard, for good: the child calls it first.

    A limit the process already has below the one asked for is kept (an unprivileged process
    cannot raise a hard limit). CPU seconds count from the process's start.
    """
    wanted = [
        (resource.RLIMIT_AS, memory_bytes, memory_bytes),
        (resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 1),  # SIGXCPU, then SIGKILL
        (resource.RLIMIT_FSIZE, 0, 0),  # may not write a byte to any file
        (resource.RLIMIT_NOFILE, OPEN_FILES, OPEN_FILES),
        (resource.RLIMIT_CORE, 0, 0),
    ]
    for which, soft, hard in wanted:
        current = resource.getrlimit(which)[1]
        if current != resource.RLIM_INFINITY:
            soft, hard = min(soft, current), min(hard, current)
        resource.setrlimit(which, (soft, hard))


def read_verdict(returncode: int, stdout: bytes) -> dict[str, Any]:
    """The child's answer; anything but one well-formed JSON verdict is a rejection."""
    if returncode != 0:
        # Killed by the CPU limit (SIGXCPU) or by the kernel for memory: too complex; any other
        # death (a crash in a C extension): unreadable.
        if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
            return {"ok": False, "code": "pdf_too_complex"}
        return {"ok": False, "code": "pdf_unreadable"}
    try:
        verdict = json.loads(stdout.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"ok": False, "code": "pdf_unreadable"}
    if not isinstance(verdict, dict):
        return {"ok": False, "code": "pdf_unreadable"}
    if verdict.get("ok") is True:
        pages = verdict.get("pages")
        if not isinstance(pages, int) or isinstance(pages, bool) or not 1 <= pages <= MAX_PAGES:
            return {"ok": False, "code": "pdf_unreadable"}
        return verdict
    if verdict.get("code") not in REJECTIONS:
        return {"ok": False, "code": "pdf_unreadable"}
    return verdict


def clean_title(value: object) -> str | None:
    """A metadata title fit to show: one line, no control or bidi characters, bounded."""
    if not isinstance(value, str):
        return None
    return one_line(value)[:MAX_TITLE].strip() or None


# Control characters but tab and newline; lone surrogates are dropped by clean_text's encoding.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]+")


def clean_text(value: object) -> str:
    """Extracted text fit to store: a string, NFC, no control characters or lone surrogates,
    at most MAX_TEXT_CHARS. The child's output is not trusted to be any of these."""
    if not isinstance(value, str):
        return ""
    value = value[:MAX_TEXT_CHARS].encode("utf-8", "ignore").decode("utf-8")
    return unicodedata.normalize("NFC", _CONTROLS.sub(" ", value))[:MAX_TEXT_CHARS]


def sniff(path: Path) -> str | None:
    """The checks that need only the first and last bytes: empty, not a PDF, cut short."""
    size = path.stat().st_size
    if size == 0:
        return "empty_file"
    with path.open("rb") as handle:
        if not handle.read(5) == b"%PDF-":
            return "not_pdf"
        handle.seek(max(0, size - EOF_WINDOW))
        tail = handle.read(EOF_WINDOW)
    if b"%%EOF" not in tail:
        return "truncated"
    return None


# --- the child side -----------------------------------------------------------------------------


def inspect(path: Path, *, text_until: float | None = None) -> dict[str, Any]:
    """Everything the child checks, as a verdict: {"ok": true, "pages", "title", "text"} or
    {"ok": false, "code"}. The text is extracted until `text_until` (time.monotonic())."""
    problem = sniff(path)
    if problem is not None:
        return {"ok": False, "code": problem}

    warnings = PypdfWarnings.install()

    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError

    try:
        # Not strict: pypdf's strict mode refuses common generator quirks (an xref offset a few
        # bytes off, /Prev 0) that every viewer repairs. The checks below do not depend on it.
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            return {"ok": False, "code": "encrypted"}
        if warnings.fatal:
            return {"ok": False, "code": "pdf_unreadable"}
        found = scan_objects(reader)
        if found is not None:
            return {"ok": False, "code": found}
        pages = decode_pages(reader)
        if pages == 0:
            return {"ok": False, "code": "no_pages"}
        title = metadata_title(reader)
        text = extract_text(reader, until=time.monotonic() + 10 if text_until is None else text_until)
        return {"ok": True, "pages": pages, "title": title, "text": text}
    except (FileNotDecryptedError, DependencyError):  # AES without a crypto library: still encrypted
        return {"ok": False, "code": "encrypted"}
    except (LimitReachedError, MemoryError, RecursionError):
        return {"ok": False, "code": "pdf_too_complex"}
    except Exception:  # every other way pypdf fails on a malformed file
        return {"ok": False, "code": "pdf_unreadable"}


class PypdfWarnings(logging.Handler):
    """pypdf repairs some structural damage with no more than a logged warning. A few of those
    repairs mean a file built to mislead (a cross-reference chain that loops back on itself),
    and such a file is refused. Every other warning is dropped: nothing is kept per message,
    so a file that makes pypdf warn a million times costs no memory."""

    FATAL = ("Circular xref chain",)

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.fatal = False

    def emit(self, record: logging.LogRecord) -> None:
        if str(record.msg).startswith(self.FATAL):
            self.fatal = True

    @classmethod
    def install(cls) -> PypdfWarnings:
        handler = cls()
        logger = logging.getLogger("pypdf")
        logger.handlers = [handler]
        logger.propagate = False
        logger.setLevel(logging.WARNING)
        return handler


def object_ids(reader: Any) -> Iterator[tuple[int, int]]:
    """Every object the cross-reference table names, including those inside object streams."""
    for generation, table in list(reader.xref.items()):
        for number in list(table):
            yield number, generation
    for number in list(reader.xref_objStm):
        yield number, 0


def scan_objects(reader: Any) -> str | None:
    """Walk every object of the file: "javascript" or "launch_action" when one is found.

    Each indirect object is read once, and its direct contents (nested dictionaries and
    arrays) are walked without following references: every referenced object is in the table
    too. Streams with generic filters are decoded along the way so a bomb in an image or a font
    hits the limits here. Names come decoded (`/J#61vaScript` is `/JavaScript`).
    """
    from pypdf.errors import LimitReachedError
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

    for number, generation in object_ids(reader):
        try:
            top = reader.get_object(IndirectObject(number, generation, reader))
        except LimitReachedError:
            raise
        except Exception:  # a broken object no reader can use either
            continue
        stack = [top]
        while stack:
            item = stack.pop()
            if isinstance(item, DictionaryObject):
                for key, value in item.items():
                    if key in ("/JS", "/JavaScript"):
                        return "javascript"
                    if key == "/S":
                        action = value.get_object() if isinstance(value, IndirectObject) else value
                        if action == "/JavaScript":
                            return "javascript"
                        if action == "/Launch":
                            return "launch_action"
                    if not isinstance(value, IndirectObject):
                        stack.append(value)
                if isinstance(item, StreamObject) and item is top:
                    decode_stream(item, required=False)
            elif isinstance(item, ArrayObject):
                stack.extend(v for v in item if not isinstance(v, IndirectObject))
    return None


def decode_stream(stream: Any, *, required: bool) -> None:
    """Decode `stream` and drop the result (pypdf would cache it). Limits always propagate;
    a broken stream fails the file only when `required` (page content)."""
    from pypdf.errors import LimitReachedError
    from pypdf.filters import decode_stream_data
    from pypdf.generic import ArrayObject, EncodedStreamObject

    try:
        if not isinstance(stream, EncodedStreamObject):
            stream.get_data()
            return
        filters = stream.get("/Filter", ())
        filters = filters.get_object() if hasattr(filters, "get_object") else filters
        names = list(filters) if isinstance(filters, ArrayObject) else [filters]
        if not required and not all(str(n) in GENERIC_FILTERS for n in names):
            return
        decode_stream_data(stream)
    except (LimitReachedError, MemoryError, RecursionError):
        raise
    except Exception:
        if required:
            raise


def decode_pages(reader: Any) -> int:
    """Count the pages and decode each page's content streams; the page count."""
    from pypdf.generic import ArrayObject, StreamObject

    count = 0
    for page in reader.pages:
        count += 1
        if count > MAX_PAGES:
            from pypdf.errors import LimitReachedError

            raise LimitReachedError("too many pages")
        contents = page.get("/Contents")
        contents = contents.get_object() if contents is not None else None
        parts = list(contents) if isinstance(contents, ArrayObject) else [contents]
        for part in parts:
            stream = part.get_object() if part is not None else None
            if isinstance(stream, StreamObject):
                decode_stream(stream, required=True)
    return count


def metadata_title(reader: Any) -> str | None:
    try:
        metadata = reader.metadata
        title = metadata.title if metadata is not None else None
    except Exception:
        return None
    return str(title)[: MAX_TITLE * 4] if title else None


class OutOfTime(BaseException):
    """Raised between two operators once extraction's time is up. Not an Exception: pypdf
    catches those."""


def extract_text(reader: Any, *, until: float) -> str:
    """The text of the pages in order, at most MAX_TEXT_CHARS, as much as is read by `until`
    (see `extract_pages`). For search only: the file has passed its checks already, and none of
    this refuses it."""
    parts: list[str] = []
    size = 0
    for found in extract_pages(reader, until=until):
        parts.append(found[: MAX_TEXT_CHARS - size])
        size += len(parts[-1]) + 1
        if size >= MAX_TEXT_CHARS:
            break
    return clean_text("\n".join(parts))


def extract_pages(reader: Any, *, until: float) -> Iterator[str]:
    """Each page's text in order ("" for a page that cannot be read), as long as `until` allows.

    The clock is checked before each page and before each operator of a page's content, so a
    slow page is cut short where it stands; a page whose decoded content passes
    MAX_PAGE_CONTENT (a detailed drawing, a text bomb) is skipped unread, and a page that
    exhausts the memory limit ends the extraction.
    """

    def in_time(*_ignored: Any) -> None:
        if time.monotonic() > until:
            raise OutOfTime

    try:
        for page in reader.pages:
            in_time()
            try:
                contents = page.get_contents()
                if contents is None or len(contents.get_data()) > MAX_PAGE_CONTENT:
                    yield ""
                    continue
                found = page.extract_text(visitor_operand_before=in_time) or ""
            except (MemoryError, RecursionError):
                raise
            except Exception:  # a page whose text cannot be read is empty
                found = ""
            yield found
    except (OutOfTime, MemoryError, RecursionError):
        return  # keep what was gathered


def trusted_text(data: bytes) -> str:
    """The text of a PDF this program drew itself (the demo's papers), extracted in-process.

    Never for an upload: those are read only in the sandboxed child.
    """
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return clean_text("\n".join(page.extract_text() or "" for page in reader.pages))


def main(argv: list[str]) -> int:
    """`PATH TEXT_SECONDS CPU_SECONDS MEMORY_BYTES`: the limits first, then the file."""
    started = time.monotonic()
    if len(argv) != 5:
        return 2
    try:
        set_limits(cpu_seconds=int(argv[3]), memory_bytes=int(argv[4]))
    except (ValueError, OSError):
        return 3  # the file is never read without its limits
    try:
        text_seconds = float(argv[2])
        verdict = inspect(Path(argv[1]), text_until=started + text_seconds)
        line = json.dumps(verdict, ensure_ascii=True)
    except (MemoryError, RecursionError):
        line = '{"ok": false, "code": "pdf_too_complex"}'
    except BaseException:
        line = '{"ok": false, "code": "pdf_unreadable"}'
    os.write(1, line.encode("ascii") + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
