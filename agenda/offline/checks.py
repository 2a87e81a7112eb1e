"""A device's contact with the server: must it wipe? See docs/offline.md, "Device keys".

`check_device` answers without a session (a device may check long after its session died):
the key alone names the device. It wipes when its user is deactivated (or gone), when a wipe
was ordered for that user after it registered, or when the key is unknown (a device deleted
on the server, or a key that never was one). The first answer "wipe" to a known device is
logged (offline.device_wiped); `last_seen_at` is written at most once a minute per device, so a
device checking in a loop costs reads, not writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session

from agenda.clock import utcnow
from agenda.log import events
from agenda.log import offline_kinds as k
from agenda.people.accounts import User
from agenda.people.devices import find_device

TOUCH_EVERY = timedelta(minutes=1)
REASONS = ("deactivated", "ordered", "unknown", "logout")


@dataclass(frozen=True)
class CheckResult:
    wipe: bool
    reason: str | None  # one of REASONS when `wipe`


def check_device(*, session: Session, key: str, leaving: bool = False) -> CheckResult:
    device = find_device(session=session, key=key)
    if device is None:
        return CheckResult(wipe=True, reason="unknown")
    assert device.id is not None
    now = utcnow()
    user = session.get(User, device.user_id)
    reason: str | None = None
    if user is None or not user.active:
        reason = "deactivated"
    elif device.wipe_ordered_at is not None:
        reason = "deactivated" if device.wipe_deactivated else "ordered"
    elif leaving or device.wiped_at is not None:
        reason = "logout"  # leaving now, or left before: its key is spent
    changed = False
    if reason is not None and device.wiped_at is None:
        device.wiped_at = now
        changed = True
        events.append(
            session,
            k.OfflineDeviceWiped(
                device_id=device.id,
                user_id=device.user_id,
                deactivated=reason == "deactivated",
                logout=reason == "logout",
            ),
            actor_id=None,
        )
    last = device.last_seen_at
    if last.tzinfo is None:
        last = last.replace(tzinfo=now.tzinfo)
    if now - last >= TOUCH_EVERY:
        device.last_seen_at = now
        changed = True
    if changed:
        session.add(device)
    return CheckResult(wipe=reason is not None, reason=reason)
