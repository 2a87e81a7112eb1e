"""Sign a record: the one path the API, the pages and the console take. See docs/signatures.md.

1. `signatures.plan` (a transaction): may this user sign this record now, with PINs left?
2. The file: drawn in the PDF pool for a first signature (and its unsigned bytes kept), or the
   current signed bytes from DATA_DIR.
3. The token signs, on a thread (python-pkcs11 and pyHanko block): a wrong PIN is counted in its
   own transaction and answered 403 `bad_pin`; after too many, `plan` answers 429.
4. The signed bytes are stored by SHA-256 and the signature recorded with its `record.signed`
   event in one transaction; a signature that landed in between answers 409 and nothing is lost.
"""

from __future__ import annotations

import hashlib
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from functools import partial
from typing import Any

import anyio
from sqlmodel import Session

from agenda.clock import iso, utcnow
from agenda.errors import Conflict, Forbidden, InvalidInput, Unavailable
from agenda.log.events import canonical
from agenda.pdf import signature_block
from agenda.polls import poll_report
from agenda.record import minutes_pdf, signatures
from agenda.signing import records, service
from agenda.signing.appearance import BOX_HEIGHT, BOX_WIDTH, Appearance
from agenda.signing.config import SigningConfig
from agenda.signing.keystore import BadPin, KeyMissing
from agenda.signing.pdf_sign import Placement, Signed
from agenda.storage import original_path, store_original
from agenda.text import N_
from agenda.viewer import Viewer
from meeting_app.context import AppContext
from meeting_app.files.pdf_pool import WorkerDied

RENDER_TIMEOUT = 60.0
MAX_PIN = 64
DRAWERS: dict[str, Any] = {
    "minutes": minutes_pdf.render_minutes,
    "resolution": minutes_pdf.render_resolution,
    "poll_report": poll_report.render,
}


def checked_pin(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(N_("Vui lòng nhập mã PIN."), code="pin_required")
    if len(value) > MAX_PIN:
        raise InvalidInput(N_("Mã PIN quá dài."), code="pin_required")
    return value


def appearance_for(config: SigningConfig, plan: signatures.Plan, at: datetime) -> Appearance:
    """Decree 30/2020: the resolution carries the Government's seal over the chair's signature,
    a ballot report the Government Office's; the minutes carry signatures only."""
    identity = plan.identity
    seal = {"resolution": config.organisation, "poll_report": config.seal_organisation}.get(plan.record)
    return Appearance(
        signer_name=identity.common_name,
        title=identity.title,
        organisation=seal or identity.organisation,
        signed_at=at,
        seal=seal is not None,
    )


async def _draw(app: AppContext, record: str, doc: Any) -> bytes:
    draw = DRAWERS[record]
    key = f"sign:{record}:{hashlib.sha256(canonical({'doc': repr(doc)})).hexdigest()}"
    try:
        data: bytes = await app.builds.run(key, app.pdf_pool, draw, doc, timeout=RENDER_TIMEOUT)
    except (TimeoutError, BrokenProcessPool, WorkerDied, RuntimeError) as exc:
        raise Unavailable() from exc
    return data


def _placement(plan: signatures.Plan) -> Placement:
    x, y = signature_block.area_points(plan.column, plan.columns, BOX_WIDTH, BOX_HEIGHT)
    return Placement(page=-1, x=x, y=y, visible=plan.visible)


async def sign_record(
    app: AppContext, *, record: str, subject_id: int, viewer: Viewer, pin: object
) -> dict[str, Any]:
    """Add `viewer`'s signature to the record; the 201 body of ../shared/API.md "Signatures"."""
    secret = checked_pin(pin)
    config = app.settings.signing()
    plan = await app.db.write(
        lambda s: signatures.plan(s, record=record, subject_id=subject_id, viewer=viewer, policy=app.policy)
    )
    data_dir = app.settings.data_dir
    if plan.expected_sha256 is None:
        data = await _draw(app, record, plan.doc)
        source = await anyio.to_thread.run_sync(store_original, data_dir, data)
    else:
        path = original_path(data_dir, plan.expected_sha256)
        data = await anyio.to_thread.run_sync(path.read_bytes)
        source = plan.expected_sha256
    at = utcnow()
    job = service.SignJob(data, plan.field_name, _placement(plan), appearance_for(config, plan, at))
    try:
        signed: Signed = await anyio.to_thread.run_sync(
            partial(service.sign, config, plan.identity, secret, job), limiter=app.signings
        )
    except BadPin:
        await app.db.write(lambda s: records.pin_failed(s, viewer.user_id))
        raise Forbidden(N_("Mã PIN không đúng."), code="bad_pin") from None
    except KeyMissing:
        missing = N_("Không tìm thấy khóa ký của bạn trong thiết bị ký. Liên hệ quản trị hệ thống.")
        raise Conflict(missing, code="not_enrolled") from None
    new = records.NewSignature(
        record=record,
        subject_id=subject_id,
        meeting_id=plan.meeting_id,
        expected_sha256=plan.expected_sha256,
        source_sha256=source,
        identity=plan.identity,
        signer_id=viewer.user_id,
        slot=plan.slot,
        field_name=plan.field_name,
        signed_at=at,
    )
    digest, position = await keep(app, new, signed)
    return {
        "signer": plan.identity.common_name,
        "title": plan.identity.title,
        "signed_at": iso(at),
        "certificate_sha256": plan.identity.certificate_sha256,
        "level": signed.level,
        "time_source": signed.time_source,
        "sha256": digest,
        "position": position,
    }


async def keep(app: AppContext, new: records.NewSignature, signed: Signed) -> tuple[str, int]:
    """Store the signed bytes by SHA-256, then record the signature and its event in one
    transaction (a signer's wrong PINs are forgotten with it): (the file's SHA-256, the
    signature's position on it)."""
    digest = await anyio.to_thread.run_sync(store_original, app.settings.data_dir, signed.data)

    def record_it(s: Session) -> int:
        if new.signer_id is not None:
            records.pin_succeeded(s, new.signer_id)
        found = records.add_signature(
            s,
            new,
            signed_sha256=digest,
            size=len(signed.data),
            level=signed.level,
            time_source=signed.time_source,
        )
        return found.position

    return digest, await app.db.write(record_it)


async def signed_file(app: AppContext, record: str, subject_id: int, viewer: Viewer) -> bytes | None:
    """The signed file `viewer` gets, byte for byte as signed (the fetch logged), or None: not
    signed yet, or a reader who may not see all of it (they get their own unsigned copy)."""
    found = await app.db.read(lambda s: signatures.signed_copy(s, record, subject_id, viewer))
    if found is None:  # no write for the unsigned case: most downloads
        return None
    await app.db.write(lambda s: records.log_fetch(s, found, viewer.user_id))
    path = original_path(app.settings.data_dir, found.sha256)
    data: bytes = await anyio.to_thread.run_sync(path.read_bytes)
    return data
