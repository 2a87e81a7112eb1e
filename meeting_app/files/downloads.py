"""Serving private files (personal copies, briefing books): one byte range, an RFC 6266 filename,
never cached by a shared cache, never compressed. See docs/papers.md.

Range rules (RFC 9110 §14):
- `Range: bytes=a-b`, `bytes=a-` and `bytes=-n` are answered 206 with `Content-Range`; an end past
  the file is cut to the file, a suffix longer than the file is the whole file.
- A range that starts at or after the end, or a zero-length suffix, is unsatisfiable: 416 with
  `Content-Range: bytes */<size>`.
- A malformed header, another unit, or several ranges are ignored, as RFC 9110 allows, and the
  whole file is sent with 200. (No multipart/byteranges: pdf.js never asks for them, and a
  full answer is always correct.)
- `If-Range` with anything but the current ETag also gets the whole file.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Receive, Scope, Send


def open_complete(path: str) -> tuple[int, os.stat_result]:
    """An open descriptor on a complete (non-empty) built file and its stat; FileNotFoundError
    when it is absent or still empty."""
    fd = os.open(path, os.O_RDONLY)
    try:
        stat = os.fstat(fd)
        if stat.st_size == 0:
            raise FileNotFoundError(path)
    except BaseException:
        os.close(fd)
        raise
    return fd, stat


CHUNK = 256 * 1024
_SPEC = re.compile(r"^bytes=([0-9]{0,18})-([0-9]{0,18})$")
_UNSAFE_NAME = {'"', "'", "/", "\\", ":", "*", "?", "<", ">", "|", "%", ";", "\r", "\n"}


class Unsatisfiable(Exception):
    """The range lies outside the file (416)."""


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one range asked for, or None for the whole file (no header, or one we ignore).

    Raises Unsatisfiable for a well-formed range outside a file of `size` bytes.
    """
    if header is None:
        return None
    found = _SPEC.match(header.strip().replace(" ", ""))
    if found is None:
        return None  # another unit, several ranges, or garbage: ignored
    first, last = found.group(1), found.group(2)
    if not first:
        if not last:
            return None  # "bytes=-"
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable()
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None  # invalid syntax: ignored
    if start >= size:
        raise Unsatisfiable()
    return ByteRange(start, min(end, size - 1))


def clean_filename(title: str, *, limit: int = 150) -> str:
    """A title fit for a filename: no control, format (bidi, zero-width) or separator characters,
    no quotes or path separators, whitespace collapsed. May be empty."""
    kept: list[str] = []
    for ch in unicodedata.normalize("NFC", title):
        category = unicodedata.category(ch)
        if ch in _UNSAFE_NAME or category[0] in ("C", "Z"):
            # control, format (U+202E and friends), surrogate, private, unassigned; any space
            kept.append(" " if category[0] == "Z" or ch in "/\\:|\r\n" else "")
        else:
            kept.append(ch)
    name = " ".join("".join(kept).split())
    return name[:limit].strip(" .")


def ascii_fallback(name: str) -> str:
    """The name in plain ASCII for old clients: Vietnamese without its marks ("Tờ trình" → "To trinh")."""
    name = name.replace("đ", "d").replace("Đ", "D")
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r"[^A-Za-z0-9 ._()\-]", "_", plain)
    return " ".join(plain.split()).strip(" ._")


def content_disposition(title: str, *, suffix: str = ".pdf", default: str = "tai-lieu") -> str:
    """`inline; filename="<ascii>"; filename*=UTF-8''<percent-encoded>` (RFC 6266, RFC 5987)."""
    name = clean_filename(title) or default
    fallback = ascii_fallback(name) or default
    return f"inline; filename=\"{fallback}{suffix}\"; filename*=UTF-8''{quote(name + suffix, safe='')}"


def unsatisfiable(size: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"Content-Range": f"bytes */{size}", "Accept-Ranges": "bytes", **(extra or {})}


class FileSlice(Response):
    """The whole file or one range of it, read from an open descriptor.

    The descriptor was opened before the answer was chosen, so the file may be replaced or
    removed meanwhile (a rebuild, a cleared cache) and the bytes sent still all come from
    the same file. The descriptor is closed when the answer is sent or abandoned.
    """

    def __init__(
        self,
        fd: int,
        size: int,
        chosen: ByteRange | None,
        *,
        headers: dict[str, str],
        media_type: str = "application/pdf",
        head_only: bool = False,
    ) -> None:
        self.fd = fd
        self.head_only = head_only
        self.start = chosen.start if chosen is not None else 0
        self.length = chosen.length if chosen is not None else size
        headers = {**headers, "Accept-Ranges": "bytes", "Content-Length": str(self.length)}
        if chosen is not None:
            headers["Content-Range"] = f"bytes {chosen.start}-{chosen.end}/{size}"
        super().__init__(
            status_code=206 if chosen is not None else 200, headers=headers, media_type=media_type
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send(
                {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
            )
            if self.head_only or self.length == 0:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            position, remaining = self.start, self.length
            while remaining > 0:
                chunk = await anyio.to_thread.run_sync(os.pread, self.fd, min(CHUNK, remaining), position)
                if not chunk:
                    raise OSError("the file ended before its recorded size")
                position += len(chunk)
                remaining -= len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": remaining > 0})
        finally:
            os.close(self.fd)


def wants_range(headers: Headers, etag: str) -> str | None:
    """The Range header to honour: none when If-Range names another version of the file."""
    if_range = headers.get("if-range")
    if if_range is not None and if_range.strip() != etag:
        return None
    return headers.get("range")


def offline_download(headers: Headers) -> bool:
    """The request fetches the file to keep it for offline reading (`X-Offline-Download: 1`,
    docs/offline.md): not a reading, so no read receipt."""
    return headers.get("x-offline-download", "").strip() == "1"
