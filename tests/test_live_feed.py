"""The live feed, /ws/meetings/{id}: the handshake, snapshots and replays, per-viewer filtering,
heartbeats, logout, and slow sockets (../shared/API.md "Live feed", docs/live.md)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from agenda.db import Database
from agenda.log.events import log_epoch
from agenda.viewer import Viewer
from meeting_app.app import create_app
from meeting_app.auth import SESSION_COOKIE
from meeting_app.live import connections
from meeting_app.live import hub as hub_module
from meeting_app.live.connections import Connection
from meeting_app.live.frames import Record, encode_frame
from meeting_app.live.hub import Channel, Hub
from meeting_app.settings import Settings
from tests.conftest import context_of
from tests.support.live_setup import SECRET_TITLE, Live, make_live

Frames = list[dict[str, Any]]


def _connect(live: Live, who: str, query: str = "", origin: str | None = "http://testserver") -> Any:
    return live.client.websocket_connect(
        f"/ws/meetings/{live.meeting_id}{query}", headers=live.socket_headers(who, origin)
    )


def _read(ws: Any, count: int) -> Frames:
    return [ws.receive_json() for _ in range(count)]


def _head(live: Live) -> int:
    response = live.actors["sec"].get(live.url("/live"))
    assert response.status_code == 200
    seq: int = response.json()["seq"]
    return seq


# --- the handshake ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "origin"),
    [
        ("m2", None),  # no Origin
        ("m2", "https://evil.example"),  # a foreign Origin
        ("m2", "null"),
        ("outsider", "http://testserver"),  # a member who is not invited
    ],
)
def test_handshake_refused(client: TestClient, db: Database, who: str, origin: str | None) -> None:
    live = make_live(client, db)
    with pytest.raises(WebSocketDisconnect) as refused, _connect(live, who, origin=origin):
        pass
    assert refused.value.code == 4403


def test_handshake_without_session_or_with_a_dead_one(client: TestClient, db: Database) -> None:
    live = make_live(client, db)
    url = f"/ws/meetings/{live.meeting_id}"
    for cookie in ("", "ecab_session=not-a-session"):
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            client.websocket_connect(url, headers={"origin": "http://testserver", "cookie": cookie}),
        ):
            pass
        assert refused.value.code == 4403
    with (
        pytest.raises(WebSocketDisconnect) as missing,
        client.websocket_connect("/ws/meetings/999999", headers=live.socket_headers("sec")),
    ):
        pass
    assert missing.value.code == 4403


def test_everyone_invited_gets_a_filtered_snapshot(client: TestClient, db: Database) -> None:
    live = make_live(client, db)
    for who in ("sec", "chair", "m1", "m2", "guest", "observer"):
        with _connect(live, who) as ws:
            first = ws.receive_json()
            assert first["type"] == "snapshot" and first["seq"] == _head(live)
            assert set(first["state"]) >= {"meeting", "agenda", "attendance", "quorum", "speakers", "votes"}
            sees_secret = SECRET_TITLE in json.dumps(first, ensure_ascii=False)
            assert sees_secret == (who in ("sec", "chair", "m1")), who


# --- resume -------------------------------------------------------------------------------------


def test_resume_replays_exactly_the_missed_events(client: TestClient, db: Database) -> None:
    live = make_live(client, db)
    live.start()
    chair = live.actors["chair"]
    with _connect(live, "m2") as ws:
        snapshot = ws.receive_json()
    seq, epoch = snapshot["seq"], snapshot["epoch"]
    for to in ("next", "next", "previous"):
        assert chair.post(live.url("/advance"), json={"to": to}).status_code == 200
    with _connect(live, "m2", f"?since={seq}&epoch={epoch}") as ws:
        replay = _read(ws, 3)
        assert [f["type"] for f in replay] == ["event"] * 3
        assert [f["seq"] for f in replay] == [seq + 1, seq + 2, seq + 3]
        assert [f["kind"] for f in replay] == ["agenda.advanced"] * 3
        # And the live events follow on without a gap.
        assert chair.post(live.url("/advance"), json={"to": "next"}).status_code == 200
        assert ws.receive_json()["seq"] == seq + 4


def test_resume_from_the_past_of_a_fresh_hub_reads_the_table(client: TestClient, db: Database) -> None:
    live = make_live(client, db)
    live.start()
    hub = context_of(client).hub
    with _connect(live, "m2") as ws:
        epoch = ws.receive_json()["epoch"]
    hub.channels[live.meeting_id].recent.clear()  # as after a restart: nothing in memory
    with _connect(live, "m2", f"?since=3&epoch={epoch}") as ws:
        frames = _read(ws, _head(live) - 3)
        assert [f["seq"] for f in frames] == list(range(4, _head(live) + 1))


def test_a_restarted_server_resumes_by_seq(client: TestClient, db: Database, settings: Settings) -> None:
    """The epoch names the event log, not the process: after a restart (or on another process of
    the same database) a tablet that sends its epoch gets a replay, not a snapshot."""
    live = make_live(client, db)
    live.start()
    with _connect(live, "m2") as ws:
        snapshot = ws.receive_json()
    assert snapshot["epoch"] == db.read_sync(log_epoch) != "empty"
    with TestClient(create_app(settings)) as other:  # a second process on the same database
        assert context_of(other).hub.epoch == snapshot["epoch"]
        assert live.actors["chair"].post(live.url("/advance"), json={"to": "next"}).status_code == 200
        other.cookies.set(SESSION_COOKIE, live.actors["m2"].token)
        query = f"?since={snapshot['seq']}&epoch={snapshot['epoch']}"
        with other.websocket_connect(
            f"/ws/meetings/{live.meeting_id}{query}", headers={"Origin": "http://testserver"}
        ) as ws:
            replay = ws.receive_json()
            assert (replay["type"], replay["seq"]) == ("event", snapshot["seq"] + 1)


@pytest.mark.parametrize(
    "query", ["?since={far}", "?since={ahead}", "?since={seq}&epoch=other", "?since=abc"]
)
def test_resume_gets_a_snapshot_when_it_cannot_replay(
    client: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    monkeypatch.setattr(hub_module, "REPLAY_LIMIT", 2)
    live = make_live(client, db)
    live.start()
    head = _head(live)
    with _connect(live, "m2", query.format(far=head - 5, ahead=head + 10, seq=head - 1)) as ws:
        first = ws.receive_json()
        assert first["type"] == "snapshot" and first["seq"] == head


# --- filtering ----------------------------------------------------------------------------------


OVERRIDE_REASON = "Lý do mật: đã biểu quyết bằng văn bản trước phiên họp"


def test_restricted_item_never_leaks_into_frames(client: TestClient, db: Database) -> None:
    live = make_live(client, db)
    live.start()
    chair = live.actors["chair"]
    restricted = live.items["B"]
    conclusion = "Kết luận mật: giao Bộ Quốc phòng chủ trì"
    with (
        _connect(live, "m2") as outsider,
        _connect(live, "observer") as room,
        _connect(live, "m1") as insider,
    ):
        starts = [ws.receive_json()["seq"] for ws in (outsider, room, insider)]
        assert chair.post(live.url("/advance"), json={"to": restricted}).status_code == 200
        assert live.actors["m1"].post(f"/api/v1/agenda-items/{restricted}/speakers").status_code == 201
        vote_id = live.open_vote("B", question="Biểu quyết đề án mật?")
        assert live.ballot("m1", vote_id, "yes").status_code == 200
        assert chair.post(f"/api/v1/votes/{vote_id}/close").status_code == 200
        # One yes of eight fails the vote: adopting it anyway takes an override, whose reason is
        # as secret as the conclusion.
        body = {"outcome": "adopted", "conclusion": conclusion, "override_reason": OVERRIDE_REASON}
        assert chair.post(f"/api/v1/agenda-items/{restricted}/outcome", json=body).status_code == 200
        count = _head(live) - starts[0]
        seen = {
            name: _read(ws, count) for name, ws in (("m2", outsider), ("observer", room), ("m1", insider))
        }
    for name, frames in seen.items():
        assert [f["seq"] for f in frames] == list(range(starts[0] + 1, starts[0] + count + 1)), name
        text = json.dumps(frames, ensure_ascii=False)
        if name == "m1":
            assert conclusion in text and OVERRIDE_REASON in text and "speaker.requested" in text
            continue
        assert OVERRIDE_REASON not in text
        assert conclusion not in text and SECRET_TITLE not in text and "Biểu quyết đề án mật" not in text
        kinds = [f["kind"] for f in frames]
        assert kinds[0] == "agenda.advanced"  # ids only: the room knows a restricted item is current
        assert set(kinds[1:]) == {"hidden"}
        assert all("data" not in f for f in frames if f["kind"] == "hidden")


def test_agenda_edits_reload_the_state_and_stay_filtered(client: TestClient, db: Database) -> None:
    live = make_live(client, db)
    sec = live.actors["sec"]
    with _connect(live, "m2") as ws, _connect(live, "m1") as insider:
        ws.receive_json()
        insider.receive_json()
        body = {"title": "Báo cáo tình hình kinh tế - xã hội (bản sửa)", "reason": "Sửa tên"}
        assert sec.patch(f"/api/v1/agenda-items/{live.items['A']}", json=body).status_code == 200
        edited = ws.receive_json()
        assert edited["kind"] == "agenda.changed"
        secret = {"title": SECRET_TITLE + " (bản sửa)", "reason": "Sửa tên"}
        assert sec.patch(f"/api/v1/agenda-items/{live.items['B']}", json=secret).status_code == 200
        hidden = ws.receive_json()
        assert hidden["kind"] == "hidden" and hidden["seq"] == edited["seq"] + 1
        insider.receive_json()
        assert insider.receive_json()["kind"] == "agenda.changed"
    with _connect(live, "m2") as ws:
        agenda = ws.receive_json()["state"]["agenda"]
        assert agenda[0]["title"].endswith("(bản sửa)")
        assert "title" not in agenda[1]


# --- heartbeats, logout, slow sockets -----------------------------------------------------------


def test_heartbeat_and_logout_closes_the_socket(client: TestClient, db: Database) -> None:
    live = make_live(client, db)
    hub = context_of(client).hub
    with _connect(live, "sec") as staff, _connect(live, "m2") as member:
        seq = staff.receive_json()["seq"]
        member.receive_json()
        assert live.actors["m2"].post("/api/v1/auth/logout").status_code == 204
        client.portal.call(hub.beat)  # type: ignore[union-attr]
        assert staff.receive_json() == {"type": "heartbeat", "seq": seq}
        with pytest.raises(WebSocketDisconnect) as closed:
            member.receive_json()
        assert closed.value.code == 4401


def test_a_socket_that_joins_during_the_heartbeat_is_not_closed() -> None:
    """The beat asks the database which sessions live; a tablet that joins while it waits was
    not in the question, so it is not told that its session ended (bench/fanout.py found this)."""

    async def scenario() -> tuple[int | None, int | None, int | None]:
        closes: dict[str, int] = {}

        async def ignore(_frame: str) -> None:
            return None

        def conn(session_id: str) -> Connection:
            async def record_close(code: int) -> None:
                closes[session_id] = code

            viewer = Viewer(user_id=1, roles=frozenset({"observer"}))
            return Connection(viewer=viewer, session_id=session_id, send=ignore, close=record_close)

        ended, kept, newcomer = conn("ended"), conn("kept"), conn("newcomer")
        state: dict[str, Any] = {"agenda": [], "votes": [], "speakers": [], "meeting": {}}
        channel = Channel(meeting_id=1, state=state, loaded=True, conns={ended, kept})

        class JoinsDuringTheRead:
            async def read(self, _fn: Any) -> set[str]:
                channel.conns.add(newcomer)  # connected while the beat waited for the database
                return {"kept"}

        hub = Hub(db=JoinsDuringTheRead(), policy=None)  # type: ignore[arg-type]
        hub.loop = asyncio.get_running_loop()
        hub.channels[1] = channel
        await hub.beat()
        await asyncio.sleep(0.01)
        return ended.close_code, kept.close_code, newcomer.close_code

    ended, kept, newcomer = asyncio.run(scenario())
    assert ended == 4401
    assert kept is None and newcomer is None


def test_a_slow_socket_is_closed_and_never_slows_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connections, "QUEUE_BYTES", 4000)  # about 30 frames

    async def scenario() -> tuple[list[str], int | None, bool]:
        hub = Hub(db=None, policy=None)  # type: ignore[arg-type]
        hub.loop = asyncio.get_running_loop()
        stuck = asyncio.Event()
        fast_frames: list[str] = []
        closes: list[int] = []

        async def never(_frame: str) -> None:
            await stuck.wait()

        async def collect(frame: str) -> None:
            fast_frames.append(frame)

        async def record_close(code: int) -> None:
            closes.append(code)

        viewer = Viewer(user_id=1, roles=frozenset({"observer"}))
        slow = Connection(viewer=viewer, session_id="a", send=never, close=record_close)
        fast = Connection(viewer=viewer, session_id="b", send=collect, close=record_close)
        state: dict[str, Any] = {"agenda": [], "votes": [], "speakers": [], "meeting": {}}
        channel = Channel(meeting_id=1, state=state, loaded=True, conns={slow, fast})
        hub.channels[1] = channel
        tasks = [asyncio.ensure_future(c.run()) for c in (slow, fast)]
        for n in range(1, 101):  # a steady stream: the fast socket keeps up, the stuck one fills up
            data = {"present": n, "total": 9, "required": 6, "quorate": False}
            hub.receive([(1, Record(seq=n, kind="quorum.changed", at="", data=data))])
            await asyncio.sleep(0)
        await asyncio.sleep(0.05)
        for task in tasks:
            task.cancel()
        return fast_frames, slow.close_code, slow in channel.conns

    fast_frames, code, still_there = asyncio.run(scenario())
    assert [json.loads(f)["seq"] for f in fast_frames] == list(range(1, 101))
    assert code == 1013 and not still_there


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 200_000])
def test_frames_encoded_once_parse_as_websocket_text_frames(size: int) -> None:
    from websockets.frames import Frame, Opcode
    from websockets.streams import StreamReader

    text = ("á" * size)[:size]
    reader = StreamReader()
    reader.feed_data(encode_frame(text))
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        frame = done.value
    assert frame.opcode is Opcode.TEXT and frame.fin
    assert frame.data.decode() == text
