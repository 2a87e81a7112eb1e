"""Group commit for ballots: the ballots that arrive while one batch is being written are written
together in the next transaction, then each is acknowledged.

500 members voting at once on SQLite are then a handful of transactions instead of 500, each
waiting for the one before (a write transaction costs the same fsync however many ballots it
holds). A ballot is still acknowledged only after the commit that holds it, and each ballot is
checked and refused on its own (agenda.votes.ballots.cast_many).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import partial

from sqlmodel import Session

from agenda.db import Database
from agenda.errors import DomainError
from agenda.votes import ballots
from agenda.votes.ballots import BallotRequest
from agenda.votes.models import Answer

MAX_BATCH = 500


def _cast_many(session: Session, *, requests: list[BallotRequest], pepper: str) -> list[Answer | DomainError]:
    return ballots.cast_many(session=session, requests=requests, pepper=pepper)


@dataclass
class BallotBox:
    _waiting: list[tuple[BallotRequest, asyncio.Future[Answer]]] = field(default_factory=list)
    _writer: asyncio.Task[None] | None = None

    async def cast(self, db: Database, request: BallotRequest, pepper: str) -> Answer:
        """Queue the ballot, and wait until the transaction that holds it has committed."""
        done: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting.append((request, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(db, pepper))
        return await done

    async def _write_all(self, db: Database, pepper: str) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            requests = [request for request, _ in batch]
            try:
                answers = await db.write(partial(_cast_many, requests=requests, pepper=pepper))
            except Exception as failed:  # the whole transaction failed: nothing of it was stored
                for _, done in batch:
                    if not done.done():
                        done.set_exception(failed)
                continue
            for (_, done), answer in zip(batch, answers, strict=True):
                if done.done():
                    continue  # the request went away; its ballot stands
                if isinstance(answer, DomainError):
                    done.set_exception(answer)
                else:
                    done.set_result(answer)
