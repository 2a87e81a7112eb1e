"""What `POST /api/v1/signatures/verify` answers, as pydantic models for the OpenAPI document
(docs/signatures.md "Verification"). The answer is agenda/signing/verify.py's report as it is;
tests/test_signature_verify.py validates real answers against these models."""

from __future__ import annotations

from typing import Literal

from meeting_app.api.schemas import Public, Time

Level = Literal["none", "lta_updates", "form_filling", "annotations", "other"]


class SignatureCheck(Public):
    """One signature. A signature whose validation failed outright (its CMS data unreadable)
    has only `field`, `signer: null`, the booleans (all false), `modification_level: "other"`
    and `error`."""

    field: str | None
    signer: str | None
    intact: bool
    valid: bool  # the cryptographic check of the signature itself
    trusted: bool  # the signer's chain ends at a configured root
    covers_whole_file: bool
    modification_level: Level
    title: str | None = None
    organisation: str | None = None
    certificate_sha256: str | None = None
    signed_at: Time | None = None
    time_source: Literal["tsa", "signer_clock"] | None = None
    timestamp_trusted: bool | None = None
    coverage: Literal["whole_file", "revision"] | None = None
    docmdp_ok: bool | None = None
    has_validation_data: bool | None = None
    error: str | None = None


class VerifyReport(Public):
    """`valid` is true only when the file is signed and every signature is intact, valid and
    trusted, with nothing but later signatures (form filling) or validation data added after it."""

    valid: bool
    signatures: list[SignatureCheck]
    sha256: str
