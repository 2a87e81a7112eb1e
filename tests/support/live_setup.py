"""A published meeting ready to run live, with its people logged in. Shared by the live tests.

Eight voting members make up the whole Government here (quorum 6, a decision needs 5 yes, a
4-4 split is the tie). The chair is one of them. Item B is restricted to member m1 (and the
chair); items C and D sit in the consent block. `outsider` is a non-voting member who is not
invited; `guest` is an invited guest; `observer` drives the room display.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.testclient import TestClient

from agenda.db import Database
from tests.support.factories import (
    Actor,
    add_agenda_item,
    login_as,
    make_meeting,
    make_member,
    make_user,
    publish_meeting,
)

ORIGIN = "http://testserver"
SECRET_TITLE = "Đề án mật về quốc phòng XK-77"


@dataclass
class Live:
    client: TestClient
    db: Database
    meeting_id: int
    member_ids: list[int]  # the eight voting members; member_ids[0] is the chair
    items: dict[str, int]  # A, B (restricted), C, D (consent)
    actors: dict[str, Actor] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"/api/v1/meetings/{self.meeting_id}{path}"

    def socket_headers(self, who: str, origin: str | None = ORIGIN) -> dict[str, str]:
        headers = {"cookie": f"ecab_session={self.actors[who].token}"}
        if origin is not None:
            headers["origin"] = origin
        return headers

    def present(self, count: int) -> None:
        """Mark the first `count` voting members present (the chair first)."""
        sec = self.actors["sec"]
        for member_id in self.member_ids[:count]:
            response = sec.put(self.url(f"/attendance/{member_id}"), json={"status": "present"})
            assert response.status_code == 200, response.text

    def start(self, present: int = 8) -> None:
        self.present(present)
        response = self.actors["chair"].post(self.url("/start"))
        assert response.status_code == 200, response.text

    def open_vote(self, item: str = "A", *, secret: bool = False, question: str = "Thông qua?") -> int:
        chair = self.actors["chair"]
        created = chair.post(
            f"/api/v1/agenda-items/{self.items[item]}/votes", json={"question": question, "secret": secret}
        )
        assert created.status_code == 201, created.text
        vote_id: int = created.json()["id"]
        opened = chair.post(f"/api/v1/votes/{vote_id}/open")
        assert opened.status_code == 200, opened.text
        return vote_id

    def ballot(self, who: str, vote_id: int, choice: str, key: str | None = None) -> Any:
        return self.actors[who].post(
            f"/api/v1/votes/{vote_id}/ballots",
            json={"choice": choice},
            headers={"Idempotency-Key": key or f"{who}-{vote_id}-{choice}"},
        )


class Logins(dict[str, Actor]):
    """The meeting's people, each logged in on first use: a login costs ~0.1 s of argon2, and most
    tests need only a few of the thirteen."""

    def __init__(self, client: TestClient) -> None:
        super().__init__()
        self.client = client

    def __missing__(self, who: str) -> Actor:
        actor = self[who] = login_as(self.client, who)
        return actor


def make_live(client: TestClient, db: Database, *, lazy: bool = False) -> Live:
    """The meeting of the live tests; its people logged in now, or on first use when `lazy`."""
    members = [make_member(db, full_name=f"Thành viên số {n}", precedence=n) for n in range(1, 9)]
    ids = [m.id for m in members if m.id is not None]
    chair_id = ids[0]
    make_user(db, "sec", ["secretariat"])
    make_user(db, "chair", ["chair", "member"], member_id=chair_id, full_name="Thủ tướng")
    for n, member_id in enumerate(ids[1:], start=1):
        make_user(db, f"m{n}", ["member"], member_id=member_id, full_name=f"Bộ trưởng {n}")
    outsider = make_member(db, full_name="Người ngoài", votes=False)
    make_user(db, "outsider", ["member"], member_id=outsider.id)
    guest = make_user(db, "guest", ["guest"], full_name="Khách mời")
    make_user(db, "sub", ["guest"], full_name="Thứ trưởng dự thay")
    make_user(db, "observer", ["observer"], full_name="Màn hình phòng họp")
    meeting = make_meeting(
        db, chair_member_id=chair_id, invitee_member_ids=ids, guest_user_ids=[guest.id or 0]
    )
    assert meeting.id is not None
    items = {
        "A": add_agenda_item(db, meeting.id, title="Báo cáo tình hình kinh tế - xã hội").id,
        "B": add_agenda_item(db, meeting.id, title=SECRET_TITLE, restricted_member_ids=[ids[1]]).id,
        "C": add_agenda_item(db, meeting.id, title="Nghị định về phí (thông qua chung)", consent=True).id,
        "D": add_agenda_item(db, meeting.id, title="Nghị quyết về lệ phí (thông qua chung)", consent=True).id,
    }
    publish_meeting(db, meeting.id)
    live = Live(
        client=client,
        db=db,
        meeting_id=meeting.id,
        member_ids=ids,
        items={k: v for k, v in items.items() if v is not None},
    )
    if lazy:
        live.actors = Logins(client)
        return live
    for who in (
        "sec",
        "chair",
        "m1",
        "m2",
        "m3",
        "m4",
        "m5",
        "m6",
        "m7",
        "outsider",
        "guest",
        "sub",
        "observer",
    ):
        live.actors[who] = login_as(client, who)
    return live
