"""The verification page, for every signed-in user: choose (or drop) a signed PDF, see who signed
it, when, and whether each signature still holds. See docs/signatures.md "Verification".

The form is multipart and read as a stream (meeting_app.files.uploads), its CSRF token checked
before a byte of the file is written; the file is checked in the PDF pool exactly as by
POST /api/v1/signatures/verify (meeting_app.api.signatures). A refused file re-renders the page
with the reason, in the viewer's language, and its 4xx status.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.errors import DomainError
from agenda.signing.verify import ACCEPTABLE
from agenda.text import N_
from meeting_app.api.signatures import check_upload
from meeting_app.auth import page_user, upload_user
from meeting_app.context import ctx
from meeting_app.errors import CsrfFailed
from meeting_app.files import uploads
from meeting_app.pages.common import failed, page

TEMPLATE = "signatures/verify.html"
FIELDS = {"file": N_("Tệp PDF")}
# The refusals that are about the chosen file: the file input gets aria-invalid.
FILE_ERRORS = {code: "file" for code in ("bad_pdf", "file_required", "too_large", "unsupported_media_type")}


def holds(signature: dict[str, Any]) -> bool:
    """Intact, cryptographically valid, and nothing but later signatures added after it."""
    return bool(signature["intact"] and signature["valid"] and signature["modification_level"] in ACCEPTABLE)


def verdict(report: dict[str, Any]) -> str:
    """The overall verdict: `valid`; `unsigned`; `untrusted` (every signature holds, but some
    signer's certificate leads to no configured root); or `invalid`."""
    signatures = report["signatures"]
    if report["valid"]:
        return "valid"
    if not signatures:
        return "unsigned"
    return "untrusted" if all(holds(s) for s in signatures) else "invalid"


def shown(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each signature with what the page says of it: `holds` and `ok` (holds and trusted)."""
    return [{**s, "holds": holds(s), "ok": holds(s) and bool(s["trusted"])} for s in report["signatures"]]


def context_for(request: Request, report: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "report": report,
        "verdict": verdict(report) if report is not None else None,
        "signatures": shown(report) if report is not None else [],
        "max_upload_mb": ctx(request).settings.max_upload_mb,
    }


async def verify_page(request: Request) -> Response:
    await page_user(request)
    return page(request, TEMPLATE, context_for(request))


async def verify_form(request: Request) -> Response:
    _me, check_token = await upload_user(request)
    try:
        async with uploads.receive(request, on_file=check_token) as upload:
            check_token(upload.fields)  # also when no file came
            report = await check_upload(request, upload)
    except CsrfFailed:
        raise
    except DomainError as exc:
        return failed(request, TEMPLATE, context_for(request), exc, FIELDS, FILE_ERRORS)
    return page(request, TEMPLATE, context_for(request, report))


routes = [
    Route("/signatures/verify", verify_page, methods=["GET"], name="verify_signatures"),
    Route("/signatures/verify", verify_form, methods=["POST"]),
]
