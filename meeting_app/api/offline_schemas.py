"""What the offline reading endpoints answer (docs/offline.md), as pydantic models for the
OpenAPI document; tests/test_offline_api.py validates real answers against them."""

from __future__ import annotations

from typing import Literal

from meeting_app.api.schemas import Public, Time


class DeviceRegistered(Public):
    """The new device's key, shown this once: the server keeps only its SHA-256."""

    device_id: int
    key: str
    expiry_hours: int
    purge_days: int


class DeviceChecked(Public):
    """`wipe` true: delete every cache and the offline store now (`reason` says why)."""

    wipe: bool
    reason: Literal["deactivated", "ordered", "unknown", "logout"] | None
    expiry_hours: int
    purge_days: int
    server_time: Time


class KeptFilePublic(Public):
    url: str
    kind: Literal["page", "reader", "paper", "book", "notes"]
    bytes: int | None
    document_id: int | None
    version: int | None


class KeptMeetingPublic(Public):
    """`bytes` is the total to download, exact where the files are made already and guessed
    from the originals where not; `keep_until` is null until the meeting adjourns."""

    id: int
    title: str
    starts_at: Time | None
    state: str
    closed_at: Time | None
    keep_until: Time | None
    agenda_etag: str
    bytes: int
    files: list[KeptFilePublic]


class KeptList(Public):
    expiry_hours: int
    purge_days: int
    server_time: Time
    shell: list[str]
    meetings: list[KeptMeetingPublic]
