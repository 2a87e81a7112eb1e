"""The event kinds of anchored annotations (docs/annotations.md); agenda/log/event_kinds.py
re-exports them, and docs/events.md lists them.

Personal reading activity (the activity stream). They name the annotation, its document, its
author and who it is shared with (user ids, the secretariat flag), never its note or its quote.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agenda.log.events import EventData, event_kind


@event_kind
@dataclass(frozen=True)
class AnnotationCreated(EventData):
    """A user highlighted a passage or attached a note to it; `shared_with` are the users it is
    shared with, `secretariat` whether the secretariat reads it too."""

    kind = "annotation.created"
    activity = True
    annotation_id: int
    document_id: int
    version: int
    page: int
    user_id: int
    annotation_kind: str
    shared_with: list[int] = field(default_factory=list)
    secretariat: bool = False


@event_kind
@dataclass(frozen=True)
class AnnotationChanged(EventData):
    """The author changed an annotation's note or its sharing: `shared_with` and `secretariat`
    as they are now, `added` the users newly shared with, `unshared` those who no longer read
    it, `was_secretariat` the flag before."""

    kind = "annotation.changed"
    activity = True
    annotation_id: int
    document_id: int
    user_id: int
    text_changed: bool
    shared_with: list[int] = field(default_factory=list)
    secretariat: bool = False
    added: list[int] = field(default_factory=list)
    unshared: list[int] = field(default_factory=list)
    was_secretariat: bool = False


@event_kind
@dataclass(frozen=True)
class AnnotationDeleted(EventData):
    """The author deleted an annotation; `shared_with` and `secretariat` as they were."""

    kind = "annotation.deleted"
    activity = True
    annotation_id: int
    document_id: int
    user_id: int
    shared_with: list[int] = field(default_factory=list)
    secretariat: bool = False


@event_kind
@dataclass(frozen=True)
class AnnotationsReanchored(EventData):
    """A document's annotations were carried onto its new version: how many were found again
    (`carried`) and how many were not (`orphaned`, kept with their quote), over `users` authors."""

    kind = "annotation.reanchored"
    activity = True
    document_id: int
    to_version: int
    carried: int
    orphaned: int
    users: int
