"""Every event kind reads as a sentence in Vietnamese and in English (issue 14, defect 7): none
falls back to its code, none shows `key=value`, none leaves a `{placeholder}` unfilled. The audit
page shows them, with the code beside each for the specialist."""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from typing import Any

import pytest
from starlette.testclient import TestClient

from agenda.db import Database
from agenda.log.event_kinds import AgendaChanged
from agenda.log.events import REGISTRY, EventData
from meeting_app.i18n import use_locale
from meeting_app.pages.event_sentences import SENTENCES, Names, sentence, variant
from tests.support.live_setup import make_live

RAW = re.compile(r"\b[a-z_]+=\S|\{[a-z_]+\}|\b[a-z]+_[a-z_]+\b")
# The fields whose value chooses the sentence, and the values they take.
VARIANTS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "agenda.changed": ("action", ("added", "updated", "removed", "reordered")),
    "postponement.decided": ("approved", (True, False)),
    "quorum.changed": ("quorate", (True, False)),
    "item.outcome": ("consent", (True, False)),
    "vote.created": ("secret", (True, False)),
    "programme.submitted": ("late", (True, False)),
    "task.reported": ("done", (True, False)),
    "task.extension_decided": ("approved", (True, False)),
    "offline.wipe_ordered": ("deactivated", (True, False)),
    "offline.device_wiped": ("deactivated", (True, False)),
}
SAMPLES: dict[str, Any] = {
    "outcome": "adopted_with_changes",
    "status": "present",
    "position": "no_objection",
    "doc_kind": "appraisal",
    "meeting_kind": "regular",
    "old": "ready",
    "new": "scheduled",
    "roles": ["secretariat", "member"],
    "changes": {"title": "Mới", "restricted_member_ids": [1]},
    "fields": ["opening", "items"],
    "result": {"yes": 5, "no": 2, "abstain": 1, "adopted": True},
    "reason": "Bổ sung hồ sơ",
}


def sample(kind: str, cls: type[EventData]) -> list[dict[str, Any]]:
    hints = typing.get_type_hints(cls)
    data: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if isinstance(hint, types.UnionType):
            hint = next(a for a in typing.get_args(hint) if a is not type(None))
        origin = typing.get_origin(hint) or hint
        if f.name in SAMPLES:
            data[f.name] = SAMPLES[f.name]
        elif origin is bool:
            data[f.name] = False
        elif origin is int:
            data[f.name] = 3
        elif origin is str:
            data[f.name] = "2026-12-03T01:00:00.000000Z" if f.name.endswith("_at") else "Giá trị thử"
        elif origin is list:
            data[f.name] = [1, 2]
        else:
            data[f.name] = {"1": "yes"}
    if kind not in VARIANTS:
        return [data]
    name, values = VARIANTS[kind]
    return [{**data, name: value} for value in values]


# Variants chosen by a second field: a device that wiped itself at logout.
SECOND_VARIANTS: list[tuple[str, dict[str, Any]]] = [
    ("offline.device_wiped", {"device_id": 3, "user_id": 3, "deactivated": False, "logout": True}),
]
CASES = [
    (kind, data) for kind, cls in sorted(REGISTRY.items()) for data in sample(kind, cls)
] + SECOND_VARIANTS


@pytest.mark.parametrize(("kind", "data"), CASES, ids=[f"{k}-{variant(k, d)}" for k, d in CASES])
def test_every_event_kind_has_a_sentence_in_both_languages(kind: str, data: dict[str, Any]) -> None:
    names = Names(items={3: "2. Dự thảo Nghị định"}, members={3: "Bộ trưởng Một"}, votes={3: "Thông qua?"})
    assert variant(kind, data) in SENTENCES, f"{kind} has no sentence"
    with use_locale("vi"):
        vi = sentence(kind, data, names)
    with use_locale("en"):
        en = sentence(kind, data, names)
    for text in (vi, en):
        assert text != kind
        assert not RAW.search(text), (kind, text)
    assert vi != en, f"{kind}: no English sentence"


def test_every_sentence_is_used() -> None:
    used = {variant(kind, data) for kind, data in CASES}
    assert set(SENTENCES) == used


def test_the_sentence_of_an_added_item() -> None:
    data = AgendaChanged(meeting_id=1, action="added", agenda_version=1, agenda_item_id=7).as_data()
    names = Names(items={7: "1. Khai mạc"})
    with use_locale("vi"):
        assert sentence("agenda.changed", data, names) == "Nội dung 1. Khai mạc được thêm vào chương trình."
    with use_locale("en"):
        assert sentence("agenda.changed", data, names) == "Item 1. Khai mạc was added to the agenda."


def test_the_audit_page_shows_sentences_beside_the_codes(client: TestClient, db: Database) -> None:
    live = make_live(client, db, lazy=True)
    live.start()
    vote_id = live.open_vote("A")
    assert live.ballot("m1", vote_id, "yes").status_code == 200
    chair = live.actors["chair"]
    assert chair.post(f"/api/v1/votes/{vote_id}/close").status_code == 200
    assert chair.post(
        f"/api/v1/agenda-items/{live.items['A']}/outcome", json={"outcome": "adopted", "conclusion": "Đồng ý"}
    ).status_code in (200, 409)
    sec = live.actors["sec"]
    response = sec.get(f"/meetings/{live.meeting_id}/audit")
    assert response.status_code == 200
    html = response.text
    assert "action=added" not in html and "agenda_item_id=" not in html
    assert "được thêm vào chương trình" in html
    assert "Bắt đầu biểu quyết “Thông qua?”" in html
    assert "<code>agenda.changed</code>" in html
