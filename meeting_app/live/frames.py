"""What the meeting feed sends: its JSON frames, and each one framed once for every socket. See
docs/live.md and ../shared/API.md "Live feed".

A frame is serialized once per audience class (agenda/live/live_view.py), and under uvicorn also
framed once (`encode_frame`): the bytes are the same for every socket of that class.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from agenda.clock import iso
from agenda.log import events as ev
from agenda.viewer import Viewer


@dataclass(frozen=True)
class Record:
    """One committed event of a meeting's stream, as the hub needs it."""

    seq: int
    kind: str
    at: str
    data: dict[str, Any]

    @classmethod
    def of(cls, event: ev.Event) -> Record:
        return cls(seq=event.seq, kind=event.kind, at=iso(event.at) or "", data=event.payload())


def event_frame(record: Record, visible: bool) -> str:
    if not visible:
        return json.dumps({"type": "event", "seq": record.seq, "kind": "hidden", "at": record.at})
    return json.dumps(
        {"type": "event", "seq": record.seq, "kind": record.kind, "at": record.at, "data": record.data},
        ensure_ascii=False,
    )


def snapshot_frame(*, seq: int, epoch: str, server_time: str, state: str) -> str:
    """The snapshot frame around `state`, the viewer's state already serialized (and cached)."""
    return (
        f'{{"type":"snapshot","seq":{seq},"epoch":"{epoch}","server_time":"{server_time}","state":{state}}}'
    )


def heartbeat_frame(seq: int) -> str:
    return json.dumps({"type": "heartbeat", "seq": seq})


def viewer_info(viewer: Viewer) -> dict[str, Any]:
    """The `viewer` part of a snapshot's state: who the socket is and what it may do."""
    return {
        "user_id": viewer.user_id,
        "member_id": viewer.member_id,
        "roles": sorted(viewer.roles),
        "can_preside": viewer.has("chair", "secretariat"),
        "can_vote": viewer.has("member") and viewer.member_id is not None,
    }


def encode_frame(text: str) -> bytes:
    """`text` as one unmasked, uncompressed WebSocket text frame (RFC 6455 5.2): what a server
    sends, identical for every socket, so it is framed once per audience class."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    if size < 1 << 16:
        return bytes((0x81, 126)) + size.to_bytes(2, "big") + payload
    return bytes((0x81, 127)) + size.to_bytes(8, "big") + payload
