"""A version's page texts, and re-anchoring a document's annotations onto its new version, in
the PDF pool (docs/annotations.md "A new version").

The upload of a new version does not wait: it schedules the run (`Reanchoring.schedule`) and
answers. The run reads the new version's page texts (extracted once in the pool from the stored
original and kept, agenda/papers/page_text.py), matches every annotation left on an earlier
version (agenda/papers/anchoring.py, in the pool), and writes the results in one transaction
(agenda/papers/reanchor.py). Whoever asks for a document's annotations while some are still on
an earlier version waits for that run (or starts it: another process took the upload, or this
one restarted), so a reader never sees them half carried.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.exc import IntegrityError

from agenda.errors import Unavailable
from agenda.papers import anchoring, page_text, reanchor
from agenda.papers.documents import DocumentVersion
from agenda.storage import original_path
from meeting_app.files.pdf_pool import WorkerDied

if TYPE_CHECKING:
    from meeting_app.context import AppContext

log = logging.getLogger("ecabinet.reanchoring")

T = TypeVar("T")

EXTRACT_TIMEOUT = 90.0
MATCH_TIMEOUT = 120.0
SETTLE_TIMEOUT = 30.0  # a reader waits this long for a run before getting what is there
POOL_FAILURES = (TimeoutError, BrokenProcessPool, WorkerDied, RuntimeError)  # RuntimeError: pool shut down


async def _in_pool(app: AppContext, timeout: float, fn: partial[T]) -> T:
    future = app.pdf_pool.submit_within(timeout, fn)
    return await asyncio.wait_for(asyncio.wrap_future(future), timeout + 5)


async def page_texts(app: AppContext, version: DocumentVersion) -> list[str] | None:
    """The version's page texts: kept ones, or extracted now in the pool and kept. None when
    its original is not on disk. Unavailable (503) when the pool fails."""
    version_id = version.id
    assert version_id is not None
    found = await app.db.read(lambda s: page_text.page_texts(s, version_id))
    if found is not None:
        return found
    path = original_path(app.settings.data_dir, version.sha256)
    if not path.is_file():
        return None
    try:
        texts = await _in_pool(app, EXTRACT_TIMEOUT, partial(anchoring.page_texts_of, path))
    except POOL_FAILURES as exc:
        raise Unavailable() from exc
    except Exception:  # a file pypdf cannot read for text: pages without text
        log.warning("version %s: no page text could be read", version_id)
        texts = [""] * version.pages
    try:
        await app.db.write(lambda s: page_text.store_texts(s, version_id, texts))
    except IntegrityError:  # another process kept them first
        pass
    return [str(t) for t in texts]


async def run(app: AppContext, document_id: int) -> None:
    """One re-anchoring of the document's annotations left on earlier versions (if any)."""
    latest, found = await app.db.read(lambda s: reanchor.pending(s, document_id))
    if latest is None or not found:
        return
    texts = await page_texts(app, latest)
    if texts is None:
        return
    seen = {a.id or 0: a.version for a in found}
    results = await _in_pool(
        app, MATCH_TIMEOUT, partial(anchoring.reanchor_all, texts, reanchor.quotes(found))
    )
    to_version = latest.version
    await app.db.write(
        lambda s: reanchor.apply(
            s, document_id=document_id, to_version=to_version, seen=seen, results=results
        )
    )


class Reanchoring:
    """This process's re-anchoring runs, at most one per document; held by AppContext."""

    def __init__(self) -> None:
        self._tasks: dict[int, asyncio.Task[None]] = {}

    def schedule(self, app: AppContext, document_id: int) -> asyncio.Task[None]:
        """Start a run for the document (or return the one running); returns at once."""
        task = self._tasks.get(document_id)
        if task is None or task.done():
            task = asyncio.get_running_loop().create_task(self._run(app, document_id))
            self._tasks[document_id] = task
            task.add_done_callback(partial(self._forget, document_id))
        return task

    def _forget(self, document_id: int, task: asyncio.Task[None]) -> None:
        if self._tasks.get(document_id) is task:
            del self._tasks[document_id]

    async def _run(self, app: AppContext, document_id: int) -> None:
        try:
            await run(app, document_id)
        except (Unavailable, *POOL_FAILURES) as exc:
            log.warning("document %s: annotations not re-anchored now (%r)", document_id, exc)
        except Exception:
            log.exception("document %s: re-anchoring the annotations failed", document_id)

    async def settle(self, app: AppContext, document_id: int) -> None:
        """Wait (up to SETTLE_TIMEOUT) for the document's run, starting one if none is running."""
        task = self.schedule(app, document_id)
        try:
            await asyncio.wait_for(asyncio.shield(task), SETTLE_TIMEOUT)
        except TimeoutError:
            log.warning("document %s: re-anchoring still running after %ss", document_id, SETTLE_TIMEOUT)

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
