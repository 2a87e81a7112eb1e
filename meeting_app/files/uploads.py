"""Receiving a PDF upload: streamed to a private temporary file under a size cap, checked in a
sandbox, then stored under its sha256. See docs/uploads.md.

`receive(request, ...)` parses the multipart body as it arrives (python-multipart's streaming
parser over `request.stream()`): text fields are kept in memory up to a small cap, the `file`
part goes straight to DATA_DIR/tmp (mode 0700) and is counted byte by byte, and the upload is
refused with 413 the moment it passes MAX_UPLOAD_MB. The temporary file is removed on every way
out, unless `store` has moved it to its place under DATA_DIR/originals. The client's filename
is read and thrown away: nothing on disk is ever named after it.
"""

from __future__ import annotations

import codecs
import os
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO

import anyio.to_thread
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from agenda.errors import InvalidInput
from agenda.papers.pdf_check import PdfFacts, check_pdf
from agenda.storage import store_file
from agenda.text import N_
from meeting_app.context import ctx
from meeting_app.errors import TooLarge, UnsupportedType
from meeting_app.inputs import content_type

FILE_FIELD = "file"
MAX_FIELD_BYTES = 64 * 1024
MAX_PARTS = 20
SUFFIX = ".upload"
STALE_SECONDS = 6 * 3600  # a temporary upload file untouched this long was left by a crash
FLUSH_BYTES = 1024 * 1024  # file data is written to disk (in a worker thread) in slices this big
# What browsers and clients send for a PDF; the content itself is checked, not this header.
PDF_TYPES = frozenset({"application/pdf", "application/x-pdf", "application/octet-stream", ""})

FILE_REQUIRED = N_("Cần chọn một tệp PDF để tải lên (trường 'file').")
BAD_FORM = N_("Dữ liệu tải lên không đúng định dạng multipart.")


@dataclass
class Upload:
    """What a multipart upload carried: its text fields and, if one was sent, the file on disk."""

    fields: dict[str, str] = field(default_factory=dict)
    path: Path | None = None  # the temporary file; None when no file (or an empty, unnamed one)
    size: int = 0

    def text(self, name: str) -> str:
        """A text field, stripped; empty when absent. A NUL character is refused (400): no
        database may store it. Lengths are the domain's to check."""
        value = self.fields.get(name, "")
        if "\x00" in value:
            raise InvalidInput(
                N_("Dữ liệu không hợp lệ ở các trường: {names}."),
                code="invalid_fields",
                names=name,
                fields=[{"field": name, "problem": "nul_character"}],
            )
        return value.strip()

    def require_file(self) -> Path:
        if self.path is None:
            raise InvalidInput(FILE_REQUIRED, code="file_required")
        return self.path


def shown_size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{max(1, limit // 1024)} KB"


def tmp_dir(data_dir: Path) -> Path:
    """DATA_DIR/tmp, private to the server's user, swept of uploads a crash left behind."""
    folder = data_dir / "tmp"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    cutoff = time.time() - STALE_SECONDS
    for path in folder.glob(f"*{SUFFIX}"):
        try:
            if path.stat().st_mtime < cutoff:  # every write refreshes it: not an upload in flight
                path.unlink()
        except FileNotFoundError:
            pass
    return folder


class _Receiver:
    """The callbacks of python-multipart's parser; file data is queued here and written by
    `receive` between chunks, off the event loop."""

    def __init__(
        self, *, folder: Path, max_bytes: int, charset: str, on_file: Callable[[dict[str, str]], None] | None
    ) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.charset = charset
        self.on_file = on_file
        self.upload = Upload()
        self.handle: IO[bytes] | None = None
        self.pending = bytearray()
        self.parts = 0
        self.ended = False
        self.file_name: str | None = None  # as the client sent it: read, never used
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._disposition = b""
        self._part_type = b""
        self._name = ""
        self._is_file = False
        self._filename: str | None = None
        self._data = bytearray()

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_end": self.on_end,
        }

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise InvalidInput(BAD_FORM, code="bad_form")
        self._disposition, self._part_type, self._data = b"", b"", bytearray()
        self._name, self._is_file, self._filename = "", False, None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        name = bytes(self._header_name).lower()
        if name == b"content-disposition":
            self._disposition = bytes(self._header_value)
        elif name == b"content-type":
            self._part_type = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        if b"name" not in options:
            raise InvalidInput(BAD_FORM, code="bad_form")
        self._name = self.decode(options[b"name"])
        filename = options.get(b"filename")
        self._filename = None if filename is None else self.decode(filename)
        self._is_file = self._name == FILE_FIELD
        if not self._is_file:
            if self._filename is not None:
                raise InvalidInput(BAD_FORM, code="bad_form")  # a file under another name
            return
        if self.handle is not None or self.upload.path is not None:
            raise InvalidInput(N_("Chỉ được tải lên một tệp mỗi lần."), code="one_file_only")
        kind, _ = parse_options_header(self._part_type)
        if kind.decode("latin-1") not in PDF_TYPES:
            raise UnsupportedType(expected="application/pdf")
        self.file_name = self._filename
        if self.on_file is not None:
            self.on_file(dict(self.upload.fields))  # e.g. the CSRF check, before a byte is written
        path = self.folder / f"{secrets.token_hex(16)}{SUFFIX}"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        self.upload.path = path
        self.handle = os.fdopen(descriptor, "wb")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            self.upload.size += end - start
            if self.upload.size > self.max_bytes:
                raise TooLarge(limit=shown_size(self.max_bytes))
            self.pending += data[start:end]
        else:
            if len(self._data) + end - start > MAX_FIELD_BYTES:
                raise TooLarge(limit=f"{MAX_FIELD_BYTES // 1024} KB")
            self._data += data[start:end]

    def on_part_end(self) -> None:
        if not self._is_file:
            self.upload.fields.setdefault(self._name, self.decode(bytes(self._data)))

    def on_end(self) -> None:
        self.ended = True

    def decode(self, raw: bytes) -> str:
        try:
            return raw.decode(self.charset)
        except UnicodeDecodeError as exc:
            raise InvalidInput(BAD_FORM, code="bad_form") from exc

    async def flush(self, *, final: bool = False) -> None:
        if self.handle is None or not (self.pending and (final or len(self.pending) >= FLUSH_BYTES)):
            return
        data, self.pending = bytes(self.pending), bytearray()
        await anyio.to_thread.run_sync(self.handle.write, data)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def _boundary_and_charset(request: Request) -> tuple[bytes, str]:
    if content_type(request) != "multipart/form-data":
        raise UnsupportedType(expected="multipart/form-data")
    _, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if not boundary:
        raise InvalidInput(BAD_FORM, code="bad_form")
    charset = params.get(b"charset", b"utf-8").decode("latin-1")
    try:
        return boundary, codecs.lookup(charset).name
    except LookupError:
        return boundary, "utf-8"


@asynccontextmanager
async def receive(
    request: Request,
    *,
    on_file: Callable[[dict[str, str]], None] | None = None,
    data_dir: Path | None = None,
    max_bytes: int | None = None,
) -> AsyncIterator[Upload]:
    """Read the multipart upload of `request`; the temporary file is gone when the block ends.

    `on_file(fields)` runs when the file part begins, with the text fields sent before it; it
    may raise to refuse the upload before anything is written (the page forms check their CSRF
    token there). Raises 415 for a body that is not multipart or a file that is not sent as a
    PDF, 413 past `max_bytes` (MAX_UPLOAD_MB), 400 for a malformed body. `data_dir` and
    `max_bytes` default to the app's settings.
    """
    if data_dir is None or max_bytes is None:
        settings = ctx(request).settings
        data_dir = settings.data_dir if data_dir is None else data_dir
        max_bytes = settings.max_upload_mb * 1024 * 1024 if max_bytes is None else max_bytes
    boundary, charset = _boundary_and_charset(request)
    receiver = _Receiver(folder=tmp_dir(data_dir), max_bytes=max_bytes, charset=charset, on_file=on_file)
    try:
        try:
            parser = MultipartParser(boundary, receiver.callbacks())  # type: ignore[arg-type]
            async for chunk in request.stream():
                parser.write(chunk)
                await receiver.flush()
            parser.finalize()
        except FormParserError as exc:
            raise InvalidInput(BAD_FORM, code="bad_form") from exc
        if not receiver.ended:
            raise InvalidInput(N_("Dữ liệu tải lên bị ngắt giữa chừng."), code="incomplete_upload")
        await receiver.flush(final=True)
        receiver.close()
        upload = receiver.upload
        if upload.path is not None and upload.size == 0 and not receiver.file_name:
            upload.path.unlink()  # a form sent without choosing a file
            upload.path = None
        yield upload
    finally:
        receiver.close()
        if receiver.upload.path is not None:
            receiver.upload.path.unlink(missing_ok=True)


async def check_and_store(request: Request, upload: Upload) -> PdfFacts:
    """Check the uploaded file in the sandbox (at most a few at once, off the event loop) and
    move it to DATA_DIR/originals under its sha256. BadPdf (422) says why a file is refused."""
    app = ctx(request)
    path = upload.require_file()
    facts = await anyio.to_thread.run_sync(partial(check_pdf, path), limiter=app.pdf_checks)
    await anyio.to_thread.run_sync(store_file, app.settings.data_dir, path, facts.sha256)
    upload.path = None  # it lives under its sha256 now
    return facts
