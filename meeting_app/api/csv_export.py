"""CSV exports of lists (`?format=csv`), as the contract fixes them.

The standard library's `csv` module writes the rows; this module adds the three things the
contract asks for on top: UTF-8 with a byte-order mark (so that Excel opens Vietnamese text
correctly instead of guessing a legacy code page), a leading `'` on any cell that a spreadsheet
would run as a formula (`=`, `+`, `-`, `@`, and the tab and carriage return that some
spreadsheets also honour), and a download name.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def wants_csv(request: Request) -> bool:
    """True when the list was asked for as `?format=csv`."""
    return request.query_params.get("format") == "csv"


def cell(value: Any) -> str:
    """One cell as text, defused when a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The whole document: the BOM, the header row, then every row, with CRLF line ends."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(name) for name in header])
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return out.getvalue()


def csv_response(header: Sequence[str], rows: Iterable[Sequence[Any]], *, filename: str) -> Response:
    """A download of the rows as `filename` (ASCII fallback plus RFC 5987 for the real name)."""
    fallback = filename.encode("ascii", "replace").decode("ascii").replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    return Response(
        csv_text(header, rows).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )
