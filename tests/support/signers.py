"""Signing keys for tests: enrol a user of the test app in the SoftHSM2 token of this process."""

from __future__ import annotations

from sqlmodel import select

from agenda.db import Database
from agenda.people.accounts import User
from agenda.signing import records, service
from agenda.signing.records import SigningIdentity
from meeting_app.settings import Settings

PIN = "246810"


def enrol(
    db: Database, settings: Settings, username: str, *, pin: str = PIN, title: str = ""
) -> SigningIdentity:
    user = db.read_sync(lambda s: s.exec(select(User).where(User.username == username)).one())
    identity = service.enrol(
        settings.signing(),
        user_id=user.id,
        username=username,
        pin=pin,
        common_name=user.full_name,
        title=title,
    )
    return db.write_sync(lambda s: records.add_identity(s, identity, actor_id=None))
