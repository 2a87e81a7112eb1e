"""Plain functions that put rows in the database through the domain, and log users in.

Setup goes through the same domain functions as the app, so every row comes with its event.
Nothing here is a mock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from fpdf import FPDF
from httpx2 import Response
from sqlmodel import Session
from starlette.testclient import TestClient

from agenda.clock import LOCAL_TZ
from agenda.db import Database
from agenda.live import presiding
from agenda.log import event_kinds, events
from agenda.meetings import agenda_edits, attendance, dossier, meetings, publishing
from agenda.meetings.agenda_items import AgendaItem, AgendaItemCreate
from agenda.meetings.attendance import AttendanceSet
from agenda.meetings.meetings import Meeting, MeetingCreate
from agenda.papers.documents import Document, DocumentVersion
from agenda.pdf.fonts import font_files
from agenda.people import accounts, members
from agenda.people.accounts import User, UserCreate
from agenda.people.members import Member, MemberCreate
from agenda.policy import DEFAULT_POLICY, Policy
from agenda.programme import programme
from agenda.programme.programme import ProgrammeItem, ProgrammeItemCreate
from agenda.storage import store_original
from meeting_app.auth import SESSION_COOKIE

PASSWORD = "mật-khẩu-đủ-dài-2026"
ROLES = accounts.ROLES
# Roles whose accounts must be linked to a Government member.
LINKED_ROLES = ("member", "assistant")

_counter = iter(range(1, 10**9))


def _next() -> int:
    return next(_counter)


# --- people -------------------------------------------------------------------------------------


def make_member(
    db: Database,
    *,
    full_name: str | None = None,
    title: str = "Bộ trưởng",
    agency: str = "Bộ Tư pháp",
    precedence: int = 100,
    votes: bool = True,
) -> Member:
    data = MemberCreate(
        full_name=full_name or f"Thành viên {_next()}",
        title=title,
        agency=agency,
        precedence=precedence,
        votes=votes,
    )
    return db.write_sync(lambda s: members.create_member(session=s, data=data, actor_id=None))


def password_hash(password: str) -> str:
    """An argon2id hash with the parameters accounts uses now, made once per password and cost
    (a test that ran an app with the default Settings leaves the process at the recommended
    cost until the next test's `cheap_hashes`: a hash cached then must not outlive it)."""
    return _password_hash(password, accounts.passwords.cost)


@cache
def _password_hash(password: str, cost: accounts.PasswordCost) -> str:
    assert accounts.passwords.cost == cost
    return accounts.hash_password(password)


def make_user(
    db: Database,
    username: str,
    roles: Sequence[str],
    member_id: int | None = None,
    password: str = PASSWORD,
    full_name: str | None = None,
    agency_id: int | None = None,
) -> User:
    """An account; a `member` or `assistant` without a member id gets a new member of its own."""
    if member_id is None and any(r in LINKED_ROLES for r in roles):
        member_id = make_member(db, full_name=full_name or f"Thành viên {username}").id
    return db.write_sync(
        lambda s: add_user(
            s,
            username,
            roles,
            member_id=member_id,
            password=password,
            full_name=full_name,
            agency_id=agency_id,
        )
    )


def add_user(
    session: Session,
    username: str,
    roles: Sequence[str],
    *,
    member_id: int | None = None,
    password: str = PASSWORD,
    full_name: str | None = None,
    agency_id: int | None = None,
) -> User:
    """`make_user` inside the caller's transaction (the member, if any, must exist)."""
    data = UserCreate(
        username=username,
        full_name=full_name or f"Người dùng {username}",
        password=password,
        roles=list(roles),
        member_id=member_id,
    )
    user = User(
        username=data.username,
        full_name=data.full_name,
        password_hash=password_hash(data.password),
        roles=data.roles,
        member_id=data.member_id,
        agency_id=agency_id,
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    events.append(
        session,
        event_kinds.UserCreated(
            user_id=user.id, username=user.username, roles=user.roles, member_id=user.member_id
        ),
        actor_id=None,
    )
    return user


# --- work programme and dossiers ----------------------------------------------------------------


def make_programme_item(
    db: Database,
    *,
    code: str | None = None,
    title: str | None = None,
    kind: str = "decree",
    lead_agency: str = "Bộ Tư pháp",
    planned_month: str = "2026-12",
) -> ProgrammeItem:
    number = _next()
    data = ProgrammeItemCreate(
        code=code or f"ND-{number}",
        title=title or f"Nghị định số {number} quy định chi tiết",
        kind=kind,
        lead_agency=lead_agency,
        planned_month=planned_month,
    )
    return db.write_sync(lambda s: programme.create_item(session=s, data=data, actor_id=None))


def make_document(
    db: Database,
    programme_item_id: int,
    kind: str,
    *,
    title: str | None = None,
    pages: int = 3,
    note: str = "",
) -> Document:
    """A document with its first version in an item's dossier (the file itself is not stored)."""
    title = title or f"Tài liệu {kind} {_next()}"
    sha256 = hashlib.sha256(f"{programme_item_id}:{kind}:{title}".encode()).hexdigest()

    def add(s: Any) -> Document:
        document, _version = dossier.add_document(
            session=s,
            programme_item_id=programme_item_id,
            kind=kind,
            title=title,
            sha256=sha256,
            pages=pages,
            size=1000 * pages,
            note=note,
            actor_id=None,
        )
        return document

    return db.write_sync(add)


def make_pdf(pages: int = 3, *, heading: str = "Tài liệu") -> bytes:
    """A small real PDF: one line of Vietnamese text per page, in DejaVu (agenda.pdf.fonts)."""
    regular, _bold = font_files()
    pdf = FPDF(unit="pt", format="A4")
    pdf.add_font("dejavu", "", str(regular))
    pdf.set_font("dejavu", size=14)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.text(72, 96, f"{heading} – trang {number}/{pages}")
    return bytes(pdf.output())


def make_stored_document(
    db: Database,
    data_dir: Path,
    programme_item_id: int,
    kind: str,
    *,
    title: str | None = None,
    pages: int = 3,
    note: str = "",
) -> Document:
    """A document whose first version is a real PDF stored under DATA_DIR/originals."""
    title = title or f"Tài liệu {kind} {_next()}"
    data = make_pdf(pages, heading=title)
    sha256 = store_original(data_dir, data)

    def add(s: Any) -> Document:
        document, _version = dossier.add_document(
            session=s,
            programme_item_id=programme_item_id,
            kind=kind,
            title=title,
            sha256=sha256,
            pages=pages,
            size=len(data),
            note=note,
            actor_id=None,
        )
        return document

    return db.write_sync(add)


def add_stored_version(
    db: Database, data_dir: Path, document_id: int, *, pages: int = 4, note: str = "Sửa theo ý kiến thẩm định"
) -> DocumentVersion:
    """The next version of a document, a real stored PDF."""
    data = make_pdf(pages, heading=f"Tài liệu {document_id}, bản sửa {_next()}")
    sha256 = store_original(data_dir, data)
    return db.write_sync(
        lambda s: dossier.add_version(
            session=s,
            document_id=document_id,
            sha256=sha256,
            pages=pages,
            size=len(data),
            note=note,
            actor_id=None,
        )
    )


def complete_dossier(db: Database, item: ProgrammeItem, policy: Policy = DEFAULT_POLICY) -> list[Document]:
    """Add every document kind the item's kind requires, so it is ready."""
    assert item.id is not None
    return [make_document(db, item.id, kind) for kind in policy.required_documents(item.kind)]


def make_ready_item(db: Database, **fields: Any) -> ProgrammeItem:
    item = make_programme_item(db, **fields)
    complete_dossier(db, item)
    return item


# --- meetings -----------------------------------------------------------------------------------


def local_time(year: int = 2026, month: int = 12, day: int = 3, hour: int = 8, minute: int = 30) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)


def make_meeting(
    db: Database,
    *,
    chair_member_id: int,
    title: str | None = None,
    kind: str = "regular",
    starts_at: datetime | None = None,
    duration_minutes: int = 240,
    place: str = "Phòng họp Chính phủ",
    invitee_member_ids: Iterable[int] | None = None,
    guest_user_ids: Iterable[int] | None = None,
) -> Meeting:
    data = MeetingCreate(
        title=title or f"Phiên họp Chính phủ thường kỳ số {_next()}",
        kind=kind,
        starts_at=starts_at or local_time(),
        duration_minutes=duration_minutes,
        place=place,
        chair_member_id=chair_member_id,
        invitee_member_ids=None if invitee_member_ids is None else list(invitee_member_ids),
        guest_user_ids=None if guest_user_ids is None else list(guest_user_ids),
    )
    return db.write_sync(lambda s: meetings.create_meeting(session=s, data=data, actor_id=None))


def add_agenda_item(
    db: Database,
    meeting_id: int,
    *,
    title: str | None = None,
    programme_item_id: int | None = None,
    minutes: int = 30,
    restricted_member_ids: list[int] | None = None,
    consent: bool = False,
    override_readiness: bool = False,
    reason: str | None = None,
) -> AgendaItem:
    data = AgendaItemCreate(
        programme_item_id=programme_item_id,
        title=title if title is not None or programme_item_id is not None else f"Mục thủ tục {_next()}",
        minutes=minutes,
        restricted_member_ids=restricted_member_ids,
        consent=consent,
        override_readiness=override_readiness,
        reason=reason,
    )
    return db.write_sync(
        lambda s: agenda_edits.add_item(
            session=s, meeting_id=meeting_id, data=data, actor_id=None, policy=DEFAULT_POLICY
        )
    )


def publish_meeting(db: Database, meeting_id: int) -> Meeting:
    return db.write_sync(lambda s: publishing.publish(session=s, meeting_id=meeting_id, actor_id=None))


def start_meeting(db: Database, meeting_id: int, *, policy: Policy = DEFAULT_POLICY) -> Meeting:
    """Mark every invited voting member present (a session starts only with quorum), then start."""

    def run(s: Session) -> Meeting:
        voters = {m.id for m in members.voting_members(session=s)}
        for member_id in meetings.invitee_ids(s, meeting_id):
            if member_id in voters:
                attendance.set_attendance(
                    session=s,
                    meeting_id=meeting_id,
                    member_id=member_id,
                    data=AttendanceSet(status="present"),
                    actor_id=None,
                    policy=policy,
                )
        return presiding.start(session=s, meeting_id=meeting_id, actor_id=None, policy=policy)

    return db.write_sync(run)


# --- logging in ---------------------------------------------------------------------------------


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log `client` in (the cookie lands in its jar) and return the CSRF token.

    The jar is emptied first so the login does not end another user's session.
    """
    client.cookies.clear()
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["csrf_token"]
    return token


class Actor:
    """Requests as one logged-in user, several of whom can share one TestClient.

    The session cookie and the CSRF token travel as explicit headers; the client's jar stays
    empty, so actors never see each other's cookies.
    """

    def __init__(self, client: TestClient, username: str, token: str, csrf: str) -> None:
        self.client = client
        self.username = username
        self.token = token
        self.csrf = csrf

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        found = {"Cookie": f"{SESSION_COOKIE}={self.token}", "X-CSRF-Token": self.csrf}
        found.update(extra or {})
        return found

    def request(
        self, method: str, url: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> Response:
        self.client.cookies.clear()
        response = self.client.request(method, url, headers=self.headers(headers), **kwargs)
        self.client.cookies.clear()
        return response

    def get(self, url: str, **kwargs: Any) -> Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Response:
        return self.request("DELETE", url, **kwargs)


def login_as(client: TestClient, username: str, password: str = PASSWORD) -> Actor:
    csrf = login(client, username, password)
    token = client.cookies.get(SESSION_COOKIE)
    assert token, "login set no session cookie"
    client.cookies.clear()
    return Actor(client, username, token, csrf)


def user_actor(client: TestClient, db: Database, username: str, roles: Sequence[str], **fields: Any) -> Actor:
    """Create an account and log it in."""
    make_user(db, username, roles, **fields)
    return login_as(client, username)


def error_of(response: Response) -> dict[str, Any]:
    """The `error` object of an error response, after checking the ../shared/API.md shape."""
    body = response.json()
    assert set(body) >= {"error"}, body
    error: dict[str, Any] = body["error"]
    assert isinstance(error.get("code"), str) and error["code"], body
    assert isinstance(error.get("message"), str) and error["message"], body
    return error
