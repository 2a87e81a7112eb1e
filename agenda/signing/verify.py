"""Validate every signature in a PDF: who signed, when, intact or not, trusted or not, what it
covers, and what was changed after it. Runs in the PDF pool's sandboxed process (the file may be
anyone's upload); takes and returns plain data. See docs/signatures.md "Verification".

pyHanko does the validation (the CMS signature, the chain against the configured roots, the
timestamp, and the difference analysis that classes later revisions as none, form filling,
annotations or other). `valid` is true only when the file is signed, every signature is intact,
cryptographically valid and trusted, and nothing beyond form filling (the later signatures'
own fields) was changed after any of them.

pyHanko logs what it could not prove (a path to no configured root, a suspicious revision) at
ERROR with a traceback; here that is an answer, not a fault, so its loggers are quiet while a
file is checked (`quiet_pyhanko`), in the PDF pool and on the command line alike.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel

from agenda.signing.pdf_sign import TrustData

LEVELS = {
    ModificationLevel.NONE: "none",
    ModificationLevel.LTA_UPDATES: "lta_updates",
    ModificationLevel.FORM_FILLING: "form_filling",
    ModificationLevel.ANNOTATIONS: "annotations",
    ModificationLevel.OTHER: "other",
}
ACCEPTABLE = {"none", "lta_updates", "form_filling"}
NOISY_LOGGERS = ("pyhanko", "pyhanko_certvalidator")
HEADER_WINDOW = 1024  # readers accept %PDF- within the first kilobyte


class NotAPdf(ValueError):
    """The bytes are not a PDF pyHanko can read. `reason` is the upload check's code for it
    (agenda/papers/pdf_check.py REJECTIONS, which has the message): "empty_file", "not_pdf"
    (no PDF header) or "pdf_unreadable" (a PDF header, but broken or truncated)."""

    def __init__(self, detail: str, reason: str = "pdf_unreadable") -> None:
        super().__init__(detail, reason)  # both in args: the error crosses the process pool pickled
        self.detail = detail
        self.reason = reason

    def __str__(self) -> str:
        return self.detail


def _reason(data: bytes) -> str:
    if not data:
        return "empty_file"
    return "pdf_unreadable" if b"%PDF-" in data[:HEADER_WINDOW] else "not_pdf"


@contextmanager
def quiet_pyhanko() -> Iterator[None]:
    """pyHanko's own loggers silenced (above CRITICAL) for the block, then restored."""
    loggers = [logging.getLogger(name) for name in NOISY_LOGGERS]
    levels = [found.level for found in loggers]
    for found in loggers:
        found.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for found, level in zip(loggers, levels, strict=True):
            found.setLevel(level)


def _name(status: PdfSignatureStatus) -> str:
    subject = status.signing_cert.subject.native
    return str(subject.get("common_name") or status.signing_cert.subject.human_friendly)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _one(embedded: Any, trust: TrustData) -> dict[str, Any]:
    try:
        status = validate_pdf_signature(embedded, trust.context())
    except (SignatureValidationError, ValueError, KeyError, TypeError, PdfError) as exc:
        return {
            "field": embedded.field_name,
            "signer": None,
            "intact": False,
            "valid": False,
            "trusted": False,
            "covers_whole_file": False,
            "modification_level": "other",
            "error": str(exc)[:300],
        }
    level = LEVELS.get(status.modification_level, "other") if status.modification_level else "none"
    stamp = status.timestamp_validity
    certificate = status.signing_cert
    return {
        "field": embedded.field_name,
        "signer": _name(status),
        "title": certificate.subject.native.get("title"),
        "organisation": certificate.subject.native.get("organization_name"),
        "certificate_sha256": hashlib.sha256(certificate.dump()).hexdigest(),
        "signed_at": _iso(stamp.timestamp if stamp is not None else status.signer_reported_dt),
        "time_source": "tsa" if stamp is not None else "signer_clock",
        "timestamp_trusted": bool(stamp.trusted) if stamp is not None else None,
        "intact": bool(status.intact),
        "valid": bool(status.valid),
        "trusted": bool(status.trusted),
        "covers_whole_file": status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        "coverage": "whole_file" if status.coverage == SignatureCoverageLevel.ENTIRE_FILE else "revision",
        "modification_level": level,
        "docmdp_ok": status.docmdp_ok,
        "has_validation_data": bool(embedded.reader.root.get("/DSS")),
    }


def verify_pdf(data: bytes, roots: tuple[bytes, ...], crls: tuple[bytes, ...] = ()) -> dict[str, Any]:
    """`{valid, signatures: [...], sha256}`. Raises NotAPdf for bytes that are not a readable PDF."""
    trust = TrustData(roots, crls)
    with quiet_pyhanko():
        try:
            reader = PdfFileReader(io.BytesIO(data), strict=False)
            embedded = list(reader.embedded_signatures)
        except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            raise NotAPdf(str(exc)[:300], _reason(data)) from exc
        signatures = [_one(signature, trust) for signature in embedded]
    valid = bool(signatures) and all(
        s["intact"] and s["valid"] and s["trusted"] and s["modification_level"] in ACCEPTABLE
        for s in signatures
    )
    return {"valid": valid, "signatures": signatures, "sha256": hashlib.sha256(data).hexdigest()}


def verify_file(path: Path, roots: tuple[bytes, ...], crls: tuple[bytes, ...] = ()) -> dict[str, Any]:
    """`verify_pdf` of the file at `path`: the PDF pool's job for an upload, and the command
    line's. Whatever pyHanko trips on in a file is the file's problem, not the caller's: any
    error while checking it is NotAPdf, with its detail."""
    data = path.read_bytes()
    try:
        return verify_pdf(data, roots, crls)
    except NotAPdf:
        raise
    except Exception as exc:  # RecursionError, NotImplementedError, ... on a crafted file
        raise NotAPdf(f"{type(exc).__name__}: {exc}"[:300], _reason(data)) from exc
