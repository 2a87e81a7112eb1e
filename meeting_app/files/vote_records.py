"""Seal each closed vote's result record with the organisation's certificate, in the background.
See docs/signatures.md "Vote records".

`seal_votes(app, meeting_id)` takes the meeting's closed votes that have no sealed record yet
and, one at a time: draws the record in the PDF pool (agenda/record/vote_record_pdf.py), keeps
the unsigned bytes, signs them with the seal's key on a thread (no person and no session: the
seal's PIN comes from the deployment), stores the signed file by SHA-256, and records the
signature with its `record.signed` event in one transaction. Two rounds at once in one process
never sign the same record twice; a record sealed meanwhile by another process (the unique
version of its signed file) is left as it is, the signature made here dropped.

`VoteSealer` (held by the lifespan) runs it as a task after a vote closes, at adjournment and
when the minutes are viewed, so a command's answer never waits for it. One task per meeting at
a time; a meeting that is over with every record sealed is not looked at again. No seal
enrolled: nothing is done, and that is logged once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import anyio
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from agenda.clock import utcnow
from agenda.errors import Conflict
from agenda.log.events import canonical
from agenda.pdf import signature_block
from agenda.record import vote_record_pdf, vote_records
from agenda.signing import records, service
from agenda.signing.appearance import BOX_HEIGHT, BOX_WIDTH, Appearance
from agenda.signing.config import SigningConfig
from agenda.signing.keystore import BadPin, KeyMissing
from agenda.signing.pdf_sign import Placement, Signed
from agenda.signing.records import SigningIdentity
from agenda.storage import store_original
from meeting_app.context import AppContext
from meeting_app.files.pdf_pool import WorkerDied
from meeting_app.files.signing import keep

log = logging.getLogger("ecabinet.signing")

RENDER_TIMEOUT = 60.0
REASON = "Xác thực kết quả biểu quyết"


@dataclass(frozen=True)
class Round:
    sealed: int  # records sealed by this round
    complete: bool  # the meeting is over and every closed vote's record is sealed


def _pending(s: Session, meeting_id: int) -> tuple[bool, list[int], bool]:
    """(a seal is enrolled, the votes to seal, the meeting is over)."""
    enrolled = vote_records.seal_identity(s) is not None
    pending = vote_records.unsealed_votes(s, meeting_id) if enrolled else []
    return enrolled, pending, vote_records.meeting_over(s, meeting_id)


def _sign(config: SigningConfig, identity: SigningIdentity, job: service.SignJob) -> Signed:
    return service.sign(config, identity, config.seal_pin_value(), job)


async def _draw(app: AppContext, doc: dict[str, Any]) -> bytes:
    key = f"vote_record:{hashlib.sha256(canonical(doc)).hexdigest()}"
    data: bytes = await app.builds.run(key, app.pdf_pool, vote_record_pdf.render, doc, timeout=RENDER_TIMEOUT)
    return data


def _job(data: bytes, config: SigningConfig, identity: SigningIdentity, at: datetime) -> service.SignJob:
    x, y = signature_block.area_points(0, 1, BOX_WIDTH, BOX_HEIGHT)
    appearance = Appearance(
        signer_name=identity.common_name,
        title="",
        organisation=config.seal_organisation,
        signed_at=at,
        signature=False,
        seal=True,
    )
    placement = Placement(page=-1, x=x, y=y, visible=True)
    return service.SignJob(data, vote_records.FIELD_NAME, placement, appearance, reason=REASON)


async def _seal_one(app: AppContext, vote_id: int) -> bool | None:
    """Seal one vote's record: True when sealed here; False when another task of this process is
    sealing it or another process sealed it meanwhile; None when no seal is enrolled."""
    with app.vote_sealer.claim(vote_id) as mine:
        return await seal_record(app, vote_id) if mine else False


async def seal_record(app: AppContext, vote_id: int) -> bool | None:
    """Draw, sign and record one vote's record, unclaimed (as another process would): False when
    it was sealed meanwhile, None when no seal is enrolled."""
    plan = await app.db.read(lambda s: vote_records.plan_seal(s, vote_id, policy=app.policy))
    if plan is None:
        return None
    config = app.settings.signing()
    data_dir = app.settings.data_dir
    data = await _draw(app, plan.doc)
    source = await anyio.to_thread.run_sync(store_original, data_dir, data)
    at = utcnow()
    job = _job(data, config, plan.identity, at)
    signed = await anyio.to_thread.run_sync(partial(_sign, config, plan.identity, job), limiter=app.signings)
    new = records.NewSignature(
        record=vote_records.RECORD,
        subject_id=vote_id,
        meeting_id=plan.meeting_id,
        expected_sha256=None,
        source_sha256=source,
        identity=plan.identity,
        signer_id=None,
        slot=vote_records.SLOT,
        field_name=vote_records.FIELD_NAME,
        signed_at=at,
    )
    try:
        await keep(app, new, signed)
    except (Conflict, IntegrityError):  # another process sealed it first: theirs stands
        log.info("vote %s: its record was sealed meanwhile", vote_id)
        return False
    return True


# A round stops at these: the seal's token or the PDF pool fails every record alike.
STOPPERS = (BadPin, KeyMissing, TimeoutError, BrokenProcessPool, WorkerDied, RuntimeError)


async def seal_round(app: AppContext, meeting_id: int) -> Round:
    """Seal the meeting's records not sealed yet, one after the other. A record that fails for
    its own sake is logged and the round goes on with the next."""
    enrolled, pending, over = await app.db.read(lambda s: _pending(s, meeting_id))
    if not enrolled:
        app.vote_sealer.no_seal()
        return Round(0, False)
    sealed = 0
    for vote_id in pending:
        try:
            done = await _seal_one(app, vote_id)
        except STOPPERS:
            raise
        except Exception:
            log.exception("vote %s: its record could not be sealed", vote_id)
            continue
        if done is None:  # the seal was revoked meanwhile
            app.vote_sealer.no_seal()
            return Round(sealed, False)
        sealed += int(done)
    left = await app.db.read(lambda s: vote_records.unsealed_votes(s, meeting_id)) if over else pending
    return Round(sealed, over and not left)


async def seal_votes(app: AppContext, meeting_id: int) -> int:
    """Seal the records of the meeting's closed votes not sealed yet; how many were sealed here."""
    return (await seal_round(app, meeting_id)).sealed


class VoteSealer:
    """This process's sealing tasks, at most one per meeting; held by the lifespan (AppContext)."""

    def __init__(self) -> None:
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._again: set[int] = set()  # asked again while its task ran: one more round
        self._complete: set[int] = set()  # over, every record sealed: nothing more to do
        self._sealing: set[int] = set()  # votes whose record a task of this process is sealing
        self._told = False

    @contextmanager
    def claim(self, vote_id: int) -> Iterator[bool]:
        """True when no other task of this process is sealing the vote's record (then it is ours
        until the block ends): two rounds at once never sign the same record twice here."""
        if vote_id in self._sealing:
            yield False
            return
        self._sealing.add(vote_id)
        try:
            yield True
        finally:
            self._sealing.discard(vote_id)

    def no_seal(self) -> None:
        if not self._told:
            self._told = True
            log.info("no seal is enrolled: the vote records are not sealed (run.py signer enroll --seal)")

    def schedule(self, app: AppContext, meeting_id: int) -> None:
        """Seal the meeting's new vote records in the background; returns at once."""
        if meeting_id in self._complete:
            return
        running = self._tasks.get(meeting_id)
        if running is not None and not running.done():
            self._again.add(meeting_id)  # its round may have read the votes before this one closed
            return
        task = asyncio.get_running_loop().create_task(self._run(app, meeting_id))
        task.add_done_callback(partial(self._forget, meeting_id))
        self._tasks[meeting_id] = task

    def _forget(self, meeting_id: int, task: asyncio.Task[None]) -> None:
        if self._tasks.get(meeting_id) is task:
            del self._tasks[meeting_id]

    async def _run(self, app: AppContext, meeting_id: int) -> None:
        while True:
            self._again.discard(meeting_id)
            try:
                found = await seal_round(app, meeting_id)
            except (BadPin, KeyMissing):
                log.error("meeting %s: the seal's token refused its PIN or holds no key", meeting_id)
                return
            except (TimeoutError, BrokenProcessPool, WorkerDied, RuntimeError) as exc:
                log.warning("meeting %s: vote records not sealed now (%s)", meeting_id, exc)
                return
            except Exception:
                log.exception("meeting %s: sealing the vote records failed", meeting_id)
                return
            if found.complete:
                self._complete.add(meeting_id)
            if meeting_id not in self._again:
                return

    def _running(self) -> list[asyncio.Task[None]]:
        return [task for task in self._tasks.values() if not task.done()]

    async def settle(self) -> None:
        """Wait until no sealing task runs (for the tests)."""
        while running := self._running():
            await asyncio.gather(*running, return_exceptions=True)

    async def stop(self) -> None:
        """Cancel the tasks (at shutdown); a signature under way on its thread is finished first."""
        running = self._running()
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
