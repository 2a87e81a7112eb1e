"""Who a signer is on their certificate: the name and title of the member an account sits for
(the chair: "Thủ tướng Chính phủ"), or the secretariat's office. And the demo's signers."""

from __future__ import annotations

from sqlmodel import Session, func, select

from agenda.errors import NotFound
from agenda.people.accounts import User
from agenda.people.members import Member

SECRETARIAT_TITLE = "Văn phòng Chính phủ"
# The demo accounts that get a key on first start (the chair signs resolutions, the secretary
# the minutes and ballot reports), all with the PIN that `make run` prints.
DEMO_SIGNERS = ("chutoa", "thuky")


def signer_subject(session: Session, username: str) -> tuple[int, str, str]:
    """(user id, common name, title) for the certificate of `username`; NotFound when unknown."""
    user = session.exec(select(User).where(func.lower(User.username) == username.strip().lower())).first()
    if user is None or user.id is None:
        raise NotFound()
    member = session.get(Member, user.member_id) if user.member_id else None
    if member is not None:
        return user.id, member.full_name, member.title
    return user.id, user.full_name.split(" (")[0], SECRETARIAT_TITLE if user.has("secretariat") else ""
