"""Verifying signed PDFs, for anyone signed in, and the deployment's root for anyone at all
(../shared/API.md "Signatures"). See docs/signatures.md "Verification".

- POST /api/v1/signatures/verify: multipart `file`, streamed to disk under MAX_UPLOAD_MB
  (meeting_app/files/uploads.py), validated in the PDF pool (agenda/signing/verify.py: the
  file may be anyone's, so it is parsed in a worker process under a time limit, never in the
  server). 400 `bad_pdf` for bytes that are not a readable PDF, 413 too large, 415 not sent as
  a PDF; never a 500 for what the file holds.
- GET /pki/root.pem and /pki/root.crl: the CA certificate and its current CRL, public, so that
  anyone can add this deployment's root to their own validator.
"""

from __future__ import annotations

import logging
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.errors import InvalidInput, Unavailable
from agenda.papers.pdf_check import REJECTIONS
from agenda.signing import pki
from agenda.signing.config import SigningConfig
from agenda.signing.pdf_sign import TrustData
from agenda.signing.verify import NotAPdf, verify_file
from meeting_app.api.common import reply
from meeting_app.api.signature_schemas import VerifyReport
from meeting_app.api.spec import Multipart, operation
from meeting_app.auth import api_user
from meeting_app.context import ctx
from meeting_app.files import uploads
from meeting_app.files.pdf_pool import WorkerDied

log = logging.getLogger("ecabinet")
VERIFY_TIMEOUT = 60.0  # seconds of a worker's time for one file; past it the file is "too complex"
PUBLIC_CACHE = "public, max-age=300"


def bad_pdf(rejection: str) -> InvalidInput:
    """400 `bad_pdf`, saying why in the words of the upload check (agenda/papers/pdf_check.py)."""
    return InvalidInput(REJECTIONS[rejection], code="bad_pdf")


async def trust_of(config: SigningConfig) -> TrustData:
    """The configured roots and CRLs (the deployment's CA is made on first use: off the loop)."""
    return await anyio.to_thread.run_sync(config.trust)


async def check_upload(request: Request, upload: uploads.Upload) -> dict[str, Any]:
    """The report of `agenda.signing.verify` on the uploaded file, checked in the PDF pool."""
    path = upload.require_file()
    if upload.size == 0:
        raise bad_pdf("empty_file")
    app = ctx(request)
    trust = await trust_of(app.settings.signing())
    try:
        report: dict[str, Any] = await app.builds.run(
            f"verify:{path.name}",
            app.pdf_pool,
            verify_file,
            path,
            trust.roots,
            trust.crls,
            timeout=VERIFY_TIMEOUT,
        )
    except NotAPdf as exc:
        if exc.reason == "pdf_unreadable":
            log.info("verify: an unreadable PDF (%s)", exc.detail)
        raise bad_pdf(exc.reason if exc.reason in REJECTIONS else "pdf_unreadable") from exc
    except (TimeoutError, WorkerDied) as exc:  # the worker ran out of time or memory on it
        raise bad_pdf("pdf_too_complex") from exc
    except (BrokenProcessPool, RuntimeError) as exc:  # RuntimeError: the pool is shut down
        raise Unavailable() from exc
    return report


@operation(
    "Validate every signature in a PDF (multipart `file`) against this deployment's trust roots",
    description="`{valid, signatures: [{signer, signed_at, intact, trusted, covers_whole_file, "
    "modification_level, ...}], sha256}`; `valid` only when the file is signed and every signature "
    "is intact and trusted with nothing beyond later signatures added after it. 400 `bad_pdf` "
    "(empty, not a PDF, unreadable, too complex), 413 too large, 415 not sent as a PDF.",
    who="user",
    body=Multipart(),
    responses={200: VerifyReport},
)
async def verify_signatures(request: Request) -> Response:
    await api_user(request)
    async with uploads.receive(request) as upload:
        report = await check_upload(request, upload)
    return reply(report)


def _root_pem(config: SigningConfig) -> bytes:
    return config.authority().certificate_pem()


def _root_crl(config: SigningConfig) -> bytes:
    return pki.current_crl(config.authority())


async def root_pem(request: Request) -> Response:
    """The deployment's root certificate (PEM), for anyone to trust."""
    data = await anyio.to_thread.run_sync(_root_pem, ctx(request).settings.signing())
    return Response(
        data,
        media_type="application/x-pem-file",
        headers={
            "Cache-Control": PUBLIC_CACHE,
            "Content-Disposition": 'attachment; filename="ecabinet-root.pem"',
        },
    )


async def root_crl(request: Request) -> Response:
    """The root's current certificate revocation list (DER)."""
    data = await anyio.to_thread.run_sync(_root_crl, ctx(request).settings.signing())
    return Response(
        data,
        media_type="application/pkix-crl",
        headers={
            "Cache-Control": PUBLIC_CACHE,
            "Content-Disposition": 'attachment; filename="ecabinet-root.crl"',
        },
    )


routes = [
    Route("/api/v1/signatures/verify", verify_signatures, methods=["POST"]),
    Route("/pki/root.pem", root_pem, methods=["GET"]),
    Route("/pki/root.crl", root_crl, methods=["GET"]),
]
