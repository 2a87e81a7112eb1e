"""The annotation frames of `/ws/me` (docs/annotations.md "Live"): who is told that an annotation
was shared with them, changed or deleted, and nobody else.

`{"type": "annotation", "document_id", "annotation_id", "action": "shared"|"changed"|"deleted"}`
goes to each connected user the annotation is shared with (by user id, or the secretariat flag
to the secretariat), never to its author or anyone else, and only while they may read the
document (agenda/access/papers.py). A user taken off the sharing is told "deleted". The frame
names the annotation, never its note or its quote: the reader fetches what it may read.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from agenda.access.papers import get_visible_document
from agenda.errors import NotFound
from agenda.viewer import Viewer

KINDS = frozenset({"annotation.created", "annotation.changed", "annotation.deleted"})


def _action(kind: str, data: dict[str, Any], viewer: Viewer) -> str | None:
    """What this viewer is told of the event, or None: whether they read the annotation before
    and after it gives "shared", "changed" or "deleted"."""
    if viewer.user_id == int(data.get("user_id", 0)):
        return None  # the author's own tabs reload what they changed
    me, secretariat = viewer.user_id, viewer.has("secretariat")
    shared = set(data.get("shared_with") or [])
    now = me in shared or (secretariat and bool(data.get("secretariat")))
    if kind == "annotation.created":
        before, now = False, now
    elif kind == "annotation.deleted":
        before, now = now, False
    else:
        added, unshared = set(data.get("added") or []), set(data.get("unshared") or [])
        before = (me in shared and me not in added) or me in unshared
        before = before or (secretariat and bool(data.get("was_secretariat")))
    if now:
        return "changed" if before else "shared"
    return "deleted" if before else None


def frames(
    session: Session, items: list[tuple[str, dict[str, Any]]], viewers: dict[int, Viewer]
) -> list[tuple[int, str]]:
    """(user id, frame) for each annotation event and each connected viewer told of it."""
    out: list[tuple[int, str]] = []
    readable: dict[tuple[int, int], bool] = {}
    for kind, data in items:
        if kind not in KINDS:
            continue
        document_id = int(data["document_id"])
        for user_id, viewer in viewers.items():
            action = _action(kind, data, viewer)
            if action is None:
                continue
            key = (user_id, document_id)
            if key not in readable:
                try:
                    get_visible_document(session=session, document_id=document_id, viewer=viewer)
                    readable[key] = True
                except NotFound:
                    readable[key] = False
            if readable[key] or action == "deleted":
                frame = {
                    "type": "annotation",
                    "document_id": document_id,
                    "annotation_id": int(data["annotation_id"]),
                    "action": action,
                }
                out.append((user_id, json.dumps(frame)))
    return out
