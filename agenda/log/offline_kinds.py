"""The event kinds of offline reading (docs/offline.md); agenda/log/event_kinds.py re-exports
them, and docs/events.md lists them. They go to the global stream and never carry a device's key
(nor its hash) or its label."""

from __future__ import annotations

from dataclasses import dataclass

from agenda.log.events import EventData, event_kind


@event_kind
@dataclass(frozen=True)
class OfflineDeviceRegistered(EventData):
    """A browser was registered as one of a user's offline reading devices."""

    kind = "offline.device_registered"
    device_id: int
    user_id: int


@event_kind
@dataclass(frozen=True)
class OfflineWipeOrdered(EventData):
    """The user's offline devices are to wipe what they keep at their next contact: the
    secretariat or an administrator ordered it, or the account was deactivated."""

    kind = "offline.wipe_ordered"
    user_id: int
    devices: int
    deactivated: bool


@event_kind
@dataclass(frozen=True)
class OfflineDeviceWiped(EventData):
    """A device was told to wipe what it keeps (its first contact after a wipe order or the
    account's deactivation), or said it wiped itself as its user logged out."""

    kind = "offline.device_wiped"
    device_id: int
    user_id: int
    deactivated: bool
    logout: bool = False  # the device wiped itself as its user logged out
