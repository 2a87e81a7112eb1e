"""Canaries for the fast paths built on other libraries' private APIs.

Each fast path falls back silently (and correctly, only slower) when the library changes under
it, so nothing else in the suite would notice. These tests fail instead, naming the private API
that changed. pyproject.toml caps each of these dependencies below the next release that may
change it; raise the cap once its canary passes on that release.
- pypdf: agenda/papers/overlay.py stamps a copy by splicing the stamp into the original's bytes, with
  `PdfReader.xref`, `PdfReader.xref_objStm` and `PdfWriter._add_object`; else pypdf rewrites
  every object (agenda/stamp.overlay_pdf's fallback, several times slower on a long paper).
- uvicorn: under `run.py serve` (websockets-sansio) the hub writes each frame straight to the
  socket's transport (meeting_app/live/connections.raw_writer reads the protocol object behind the
  ASGI `send`, its `transport` and its `conn`); else one writer task per socket.
- SQLAlchemy: agenda/bulk.insert_rows binds values with `TypeEngine._cached_bind_processor`.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from pypdf import PdfReader, PdfWriter
from pypdf.generic import IndirectObject, StreamObject
from sqlalchemy.types import TypeEngine
from sqlmodel import select

from agenda.clock import LOCAL_TZ
from agenda.db import Database, make_engine
from agenda.log.bulk import insert_rows, table_of
from agenda.log.events import Event
from agenda.papers.overlay import overlay_pdf, splice_stamp
from agenda.papers.stamp import StampText, stamp_page_pdf
from tests.support.cluster_setup import Server, seat
from tests.support.pdf_files import valid_pdf

STAMP = StampText("Nguyễn Văn An", "Bộ trưởng Bộ Tư pháp", "08:15 03/12/2026", "K7Q2-M9XD")
METRICS_TOKEN = "canary-metrics-token-0123456789abcdef"


def pypdf_changed(what: str) -> str:
    return f"pypdf changed {what}, which agenda/papers/overlay.py's splice path relies on"


def test_stamping_takes_the_pypdf_splice_path() -> None:
    source = valid_pdf(3)
    reader = PdfReader(io.BytesIO(source))
    xref = getattr(reader, "xref", None)
    assert isinstance(xref, dict), pypdf_changed("PdfReader.xref (generation -> {number: offset})")
    offsets = [offset for found in xref.values() for offset in found.values()]
    assert offsets and all(isinstance(o, int) for o in offsets), pypdf_changed("the shape of PdfReader.xref")
    assert isinstance(getattr(reader, "xref_objStm", None), dict), pypdf_changed("PdfReader.xref_objStm")
    writer = PdfWriter()
    assert callable(getattr(writer, "_add_object", None)), pypdf_changed("PdfWriter._add_object")
    ref = writer._add_object(StreamObject.initialize_from_dictionary({"__streamdata__": b"q\n"}))
    assert isinstance(ref, IndirectObject), pypdf_changed("what PdfWriter._add_object returns")
    stream = writer.get_object(ref.idnum)
    assert isinstance(stream, StreamObject) and stream.get_data() == b"q\n", pypdf_changed(
        "StreamObject.initialize_from_dictionary"
    )

    stamp = stamp_page_pdf(STAMP)
    spliced = splice_stamp(source, stamp)
    assert spliced is not None, pypdf_changed("something else (splice_stamp gave up on an ordinary PDF)")
    assert overlay_pdf(source, stamp) == spliced, "stamping no longer takes the splice path"


def test_bulk_insert_binds_through_the_sqlalchemy_bind_processor(database_url: str) -> None:
    changed = "SQLAlchemy changed TypeEngine._cached_bind_processor, which agenda/bulk.insert_rows binds with"
    assert hasattr(TypeEngine, "_cached_bind_processor"), changed
    engine = make_engine(database_url, pool_size=0)
    try:
        column = table_of(Event).c["at"].type
        cached = column._cached_bind_processor(engine.dialect)
        public = column.dialect_impl(engine.dialect).bind_processor(engine.dialect)
        moment = datetime(2026, 3, 12, 8, 15, 30, 123456, tzinfo=LOCAL_TZ)
        assert cached is not None and public is not None, changed
        assert cached(moment) == public(moment), changed

        db = Database(engine)
        columns = ("stream", "seq", "kind", "data", "actor_id", "at", "prev_hash", "hash")
        row = (987654, 1, "canary.row", "{}", None, moment, "0" * 64, "1" * 64)
        db.write_sync(lambda s: insert_rows(s, Event, columns, [row]))
        stored = db.read_sync(lambda s: s.exec(select(Event).where(Event.stream == 987654)).one())
        assert (stored.kind, stored.at) == ("canary.row", moment), changed
        # The column type's own check ran: insert_rows did not hand the value to the driver raw.
        naive = (987654, 2, "canary.row", "{}", None, moment.replace(tzinfo=None), "0" * 64, "1" * 64)
        with pytest.raises(ValueError, match="timezone"):
            db.write_sync(lambda s: insert_rows(s, Event, columns, [naive]))
    finally:
        engine.dispose()


@pytest.mark.slow  # starts a server process
def test_the_hub_writes_to_uvicorns_transport(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real `run.py serve`, one tablet on a meeting feed: its socket is on the fast path."""
    engine = make_engine(database_url, pool_size=0)
    try:
        seated = seat(Database(engine), 1)
    finally:
        engine.dispose()
    monkeypatch.setenv("METRICS_TOKEN", METRICS_TOKEN)  # the server inherits the environment
    server = Server(tmp_path / "server", database_url)
    try:
        server.wait_ready()
        tablet = server.tablet(seated.meeting_id, seated.chair)
        try:
            assert tablet.next()["type"] == "snapshot"  # written to the transport on the fast path
            with httpx.Client(base_url=server.base, trust_env=False, timeout=10) as client:
                scraped = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        finally:
            tablet.close()
    finally:
        server.stop()
    assert scraped.status_code == 200, scraped.text
    lines = dict(line.rsplit(" ", 1) for line in scraped.text.splitlines() if not line.startswith("#"))
    assert float(lines['ecabinet_open_sockets{feed="meeting"}']) == 1
    assert float(lines["ecabinet_fast_path_sockets"]) == 1, (
        f"uvicorn {uvicorn.__version__} changed what meeting_app/live/connections.raw_writer reads (the "
        "websockets-sansio protocol behind the ASGI send, its `transport` and its `conn`): the hub "
        "fell back to one writer task per socket"
    )
