"""Signing the records (../shared/API.md "Signatures"): the minutes, the session resolution and
a closed ballot's synthesis report. Each takes `{pin}` and answers 201 `{signer, signed_at,
certificate_sha256, ...}`; a wrong PIN 403 `bad_pin`, too many 429 `pin_locked`. See
docs/signatures.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.meetings.meetings import get_meeting
from agenda.policy import Policy
from agenda.record import signatures
from meeting_app.api.common import ident, reply
from meeting_app.api.spec import operation
from meeting_app.auth import api_user
from meeting_app.context import ctx
from meeting_app.files.signing import MAX_PIN, sign_record
from meeting_app.inputs import read_json


class PinBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    pin: str = Field(min_length=1, max_length=MAX_PIN)


def signer_roles(record: str, policy: Policy) -> tuple[str, ...]:
    """The roles that may sign `record` at all (403 before the body is read); the meeting's own
    rules (its chair, its state) come after (agenda/record/signatures.py)."""
    if record == "minutes":
        return policy.minutes_signers
    return ("chair", "member") if record == "resolution" else ("secretariat",)


async def _sign(request: Request, record: str) -> Response:
    me = await api_user(request, *signer_roles(record, ctx(request).policy))
    app, subject_id = ctx(request), ident(request)
    if record != "poll_report":  # 404 for a meeting this viewer may not see, before the body
        await app.db.read(lambda s: get_meeting(session=s, meeting_id=subject_id, viewer=me.viewer))
    body = await read_json(request, PinBody)
    found = await sign_record(app, record=record, subject_id=subject_id, viewer=me.viewer, pin=body.pin)
    return reply(found, status_code=201)


@dataclass(frozen=True)
class Signable:
    record: str
    prefix: str  # the record's path, before /signatures and /versions
    summary: str
    refusals: str  # the 409s besides not_enrolled and already_signed
    who: str
    what: str  # in the correction's summary


SIGNABLE = (
    Signable(
        "minutes",
        "/api/v1/meetings/{id:int}/minutes",
        "Sign the finalized minutes (PAdES, the key in the signer's token)",
        "minutes_not_final before finalizing",
        "the policy's minutes signers (by default the secretariat)",
        "minutes",
    ),
    Signable(
        "resolution",
        "/api/v1/meetings/{id:int}/resolution",
        "Sign the session resolution once the meeting is adjourned",
        "not_adjourned",
        "the meeting's chair",
        "resolution",
    ),
    Signable(
        "poll_report",
        "/api/v1/opinion-polls/{id:int}/report",
        "Sign a closed opinion ballot's synthesis report",
        "poll_not_closed",
        "secretariat",
        "ballot report",
    ),
)


def _signing(signable: Signable) -> Any:
    @operation(
        signable.summary,
        description=f"`{{pin}}` → 201 `{{signer, signed_at, certificate_sha256, ...}}`. 403 bad_pin; "
        f"429 pin_locked after repeated wrong PINs; 409 {signable.refusals}, not_enrolled, already_signed.",
        who=signable.who,
        body=PinBody,
    )
    async def sign(request: Request) -> Response:
        return await _sign(request, signable.record)

    sign.__name__ = f"sign_{signable.record}"
    return sign


class CorrectionBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=2000)


async def _new_version(request: Request, record: str) -> Response:
    me = await api_user(request, "secretariat")
    body = await read_json(request, CorrectionBody)
    app, subject_id = ctx(request), ident(request)
    retired = await app.db.write(
        lambda s: signatures.new_version(
            s, record=record, subject_id=subject_id, viewer=me.viewer, reason=body.reason
        )
    )
    return reply({"retired_version": retired, "next_version": retired + 1}, status_code=201)


def _versions(signable: Signable) -> Any:
    record = signable.record

    @operation(
        f"Retire the signed {signable.what} for a correction: the next signature starts a new version",
        description="`{reason}` → 201 `{retired_version, next_version}`; the old file and its "
        "signatures stay. 409 not_signed when nothing is signed.",
        who="secretariat",
        body=CorrectionBody,
    )
    async def new_version(request: Request) -> Response:
        return await _new_version(request, record)

    new_version.__name__ = f"new_{record}_version"
    return new_version


routes = [
    *(Route(f"{s.prefix}/signatures", _signing(s), methods=["POST"]) for s in SIGNABLE),
    *(Route(f"{s.prefix}/versions", _versions(s), methods=["POST"]) for s in SIGNABLE),
]
