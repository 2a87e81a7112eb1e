"""Offline reading devices and wipe orders. See docs/offline.md and docs/security.md.

A device is one browser in which a user chose to keep papers for offline reading. It holds a
random key; the server keeps only the key's SHA-256, so the database cannot be used to pose as
a device. When the device reaches the server it checks its key (agenda/offline/checks.py): a
wipe ordered for its user after it registered, the user's deactivation or an unknown key all
answer "wipe". A wipe order marks every device the user has then; a device registered later
(a fresh login after reactivation) is not touched by it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.clock import iso, utcnow
from agenda.log import events
from agenda.log import offline_kinds as k

KEY_BYTES = 32
LISTED_DEVICES = 20  # the admin page shows the most recent ones


class OfflineDevice(SQLModel, table=True):
    __tablename__ = "offline_device"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    key_hash: str = Field(max_length=64, unique=True)
    label: str = Field(default="", max_length=80)
    registered_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    # Set by a wipe order (or the deactivation of the account); `wiped_at` once the device was told.
    wipe_ordered_at: datetime | None = None
    wipe_deactivated: bool = False
    wiped_at: datetime | None = None


class DeviceCreate(BaseModel):
    """The body of `POST /api/v1/offline/devices`."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    label: str = PField(default="", max_length=80)


class DeviceCheck(BaseModel):
    """The body of `POST /api/v1/offline/devices/check`: the device's key as it was given."""

    model_config = ConfigDict(extra="forbid", strict=True)

    key: str = PField(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_\-]+=*$")
    # The device is leaving (its user logs out and it wipes itself): the server records the
    # wipe now, so the administrator's list does not show it as still holding papers.
    leaving: bool = False


@dataclass(frozen=True)
class Registered:
    device: OfflineDevice
    key: str  # shown once, to the device; never stored


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("ascii", "replace")).hexdigest()


def _clean_label(label: str) -> str:
    return " ".join("".join(ch if ch.isprintable() else " " for ch in label).split())[:80]


def register_device(*, session: Session, user_id: int, label: str = "") -> Registered:
    """A new device of `user_id` with a fresh key (32 random bytes, URL-safe base64)."""
    key = secrets.token_urlsafe(KEY_BYTES)
    device = OfflineDevice(user_id=user_id, key_hash=key_hash(key), label=_clean_label(label))
    session.add(device)
    session.flush()
    assert device.id is not None
    events.append(session, k.OfflineDeviceRegistered(device_id=device.id, user_id=user_id), actor_id=user_id)
    return Registered(device=device, key=key)


def find_device(*, session: Session, key: str) -> OfflineDevice | None:
    return session.exec(select(OfflineDevice).where(OfflineDevice.key_hash == key_hash(key))).first()


def order_wipe(*, session: Session, user_id: int, actor_id: int | None, deactivated: bool = False) -> int:
    """Order every device `user_id` has now to wipe at its next contact; how many were marked.
    Devices already ordered keep their first order. Logged even when there is none to mark, so
    the order itself is on the record."""
    now = utcnow()
    pending = session.exec(
        select(OfflineDevice).where(
            OfflineDevice.user_id == user_id, col(OfflineDevice.wipe_ordered_at).is_(None)
        )
    ).all()
    for device in pending:
        device.wipe_ordered_at = now
        device.wipe_deactivated = deactivated
        session.add(device)
    events.append(
        session,
        k.OfflineWipeOrdered(user_id=user_id, devices=len(pending), deactivated=deactivated),
        actor_id=actor_id,
    )
    return len(pending)


def list_devices(*, session: Session, user_id: int, limit: int = LISTED_DEVICES) -> list[OfflineDevice]:
    """The devices that may still hold papers first (not yet wiped), each group most recently
    seen first."""
    return list(
        session.exec(
            select(OfflineDevice)
            .where(OfflineDevice.user_id == user_id)
            .order_by(
                col(OfflineDevice.wiped_at).is_not(None),
                col(OfflineDevice.last_seen_at).desc(),
                col(OfflineDevice.id).desc(),
            )
            .limit(limit)
        ).all()
    )


def public_device(device: OfflineDevice) -> dict[str, Any]:
    """A device as its owner's administrator sees it: never its key or the key's hash."""
    return {
        "id": device.id,
        "label": device.label,
        "registered_at": iso(device.registered_at),
        "last_seen_at": iso(device.last_seen_at),
        "wipe_ordered_at": iso(device.wipe_ordered_at),
        "wiped_at": iso(device.wiped_at),
    }
