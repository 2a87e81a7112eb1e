"""What one viewer may see of a live session: the state and each event, filtered by one rule.

The rule is the agenda's (agenda_items.can_see_item): a restricted item, and everything about
it (its title, papers, speakers, votes and outcome), is seen only by its audience, the chair
and the secretariat; members' pre-session positions (STAFF_ONLY_KINDS) reach only the last two.
Viewers who see the same restricted items form one audience class; the hub serializes each
frame once per class (`audience_key`). An item the state does not know yet is treated as
restricted until the state catches up.
"""

from __future__ import annotations

from typing import Any

from agenda.live.live_state import State
from agenda.viewer import Viewer

EVERYTHING = "everything"
STAFF_ONLY_KEYS = ("restricted_member_ids", "missing_documents", "readiness_overridden")
# Kinds only the secretariat and the chair receive: a member's pre-session position and its
# comment are for the table of positions, not for every tablet (docs/positions.md); a signature
# names its record by id, a vote's included, which may be a restricted item's (docs/signatures.md).
STAFF_ONLY_KINDS = frozenset({"position.stated", "record.signed", "record.superseded"})
AudienceKey = str | frozenset[int]


def _sees_restricted(viewer: Viewer, state: State, item: dict[str, Any]) -> bool:
    if viewer.member_id is None or not viewer.has("member", "assistant"):
        return False
    chair = state["meeting"].get("chair_member_id")
    return viewer.member_id in item.get("restricted_member_ids", []) or viewer.member_id == chair


def audience_key(state: State, viewer: Viewer) -> AudienceKey:
    """EVERYTHING for the secretariat and the chair; otherwise the restricted items `viewer` sees."""
    if viewer.is_staff:
        return EVERYTHING
    return frozenset(
        item["id"]
        for item in state["agenda"]
        if item.get("restricted") and _sees_restricted(viewer, state, item)
    )


def item_visible(state: State, key: AudienceKey, item_id: int) -> bool:
    if key == EVERYTHING:
        return True
    item = next((i for i in state["agenda"] if i["id"] == item_id), None)
    if item is None:
        return False
    return not item.get("restricted") or item_id in key


def event_item(state: State, kind: str, data: dict[str, Any]) -> int | None:
    """The agenda item an event is about, or None when it concerns the whole meeting. An event
    about a vote or a speaker the state does not know is about an unknown item (-1)."""
    if "agenda_item_id" in data and data["agenda_item_id"] is not None:
        return int(data["agenda_item_id"])
    if "vote_id" in data:
        vote = next((v for v in state["votes"] if v["id"] == data["vote_id"]), None)
        return int(vote["agenda_item_id"]) if vote else -1
    if "speaker_id" in data:
        speaker = next((s for s in state["speakers"] if s["id"] == data["speaker_id"]), None)
        return int(speaker["agenda_item_id"]) if speaker else -1
    return None


def event_visible(state: State, key: AudienceKey, kind: str, data: dict[str, Any]) -> bool:
    if kind in STAFF_ONLY_KINDS and key != EVERYTHING:
        return False
    item_id = event_item(state, kind, data)
    return item_id is None or item_visible(state, key, item_id)


def present_state(state: State, viewer: Viewer) -> State:
    """The state as `viewer` may see it: restricted items outside their audience become the
    placeholder of ../shared/API.md, and their speakers and votes are left out."""
    key = audience_key(state, viewer)
    staff = key == EVERYTHING
    agenda: list[dict[str, Any]] = []
    for item in state["agenda"]:
        if not item_visible(state, key, item["id"]):
            agenda.append(
                {"id": item["id"], "position": item["position"], "restricted": True, "state": item["state"]}
            )
        elif staff:
            agenda.append(item)
        else:
            agenda.append({name: value for name, value in item.items() if name not in STAFF_ONLY_KEYS})
    return {
        **state,
        "agenda": agenda,
        "speakers": [s for s in state["speakers"] if item_visible(state, key, s["agenda_item_id"])],
        "votes": [v for v in state["votes"] if item_visible(state, key, v["agenda_item_id"])],
    }
