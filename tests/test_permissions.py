"""Who may do what: every JSON route of the app against every role and anonymous.

Anonymous gets 401, a wrong role 403, objects one may not see 404. The tables below are the
contract (../shared/API.md "who" columns); a route added without a row here fails the test. They are
written by hand on purpose, apart from the `who` of each endpoint's @operation (the OpenAPI
document), so that each checks the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session
from starlette.routing import Route
from starlette.testclient import TestClient

from agenda.agencies.registry import ensure_agency
from agenda.clock import local_today, utcnow
from agenda.db import Database
from agenda.meetings.speakers import Speaker
from agenda.papers.annotations import Annotation
from agenda.papers.copies import issue_copy
from agenda.papers.documents import versions_of
from agenda.people import notifications
from agenda.polls import poll_lifecycle
from agenda.polls.opinion_polls import PollCreate
from agenda.programme import postponements
from agenda.programme.postponements import PostponementCreate
from agenda.storage import store_original
from agenda.tasks import lifecycle
from agenda.tasks.lifecycle import ExtensionCreate, ReportCreate, TaskCreate
from agenda.votes.models import Vote
from tests.conftest import context_of
from tests.support.factories import (
    ROLES,
    Actor,
    add_agenda_item,
    login_as,
    make_meeting,
    make_member,
    make_pdf,
    make_programme_item,
    make_ready_item,
    make_stored_document,
    make_user,
)

# `agency` is a focal point of the fixture's items' lead agency (Bộ Tư pháp), which also leads the
# fixture's task; `agency_other` is one of another ministry: it gets 404 for what it may not see.
OTHER_AGENCY = "agency_other"
ALL_ROLES = (*ROLES, OTHER_AGENCY)
ANYONE = frozenset([*ALL_ROLES, "anonymous"])
USERS = frozenset(ALL_ROLES)
STAFF = frozenset({"secretariat"})
READERS = frozenset({"secretariat", "chair", "member"})
OWN_AGENCY = frozenset({"agency"})
TASK_READERS = frozenset({"secretariat", "chair", "member", "assistant", "agency", OTHER_AGENCY})
TASK_SEERS = frozenset({"secretariat", "chair", "member", "assistant", "agency"})
PRESIDING = frozenset({"secretariat", "chair"})
POLL_READERS = frozenset({"secretariat", "chair", "member", "assistant"})

# (method, path) -> roles allowed. Everyone else: 401 when anonymous, else 403.
WRITES: dict[tuple[str, str], frozenset[str]] = {
    ("POST", "/api/v1/auth/login"): ANYONE,
    ("POST", "/api/v1/auth/logout"): USERS,
    ("PATCH", "/api/v1/me"): USERS,
    ("POST", "/api/v1/users"): frozenset({"admin"}),
    ("PATCH", "/api/v1/users/{id}"): frozenset({"admin"}),
    ("POST", "/api/v1/members"): frozenset({"secretariat", "admin"}),
    ("PATCH", "/api/v1/members/{id}"): frozenset({"secretariat", "admin"}),
    ("POST", "/api/v1/programme-items"): STAFF,
    ("POST", "/api/v1/programme-items/import"): STAFF,
    ("PATCH", "/api/v1/programme-items/{id}"): STAFF,
    # The item's agency asks to postpone it, uploads its papers and submits it (the fixture's item
    # lacks papers: 422 `dossier_incomplete`, the role got through).
    ("POST", "/api/v1/programme-items/{id}/postponements"): frozenset({"secretariat", "member", "agency"}),
    ("POST", "/api/v1/programme-items/{id}/submit"): STAFF | OWN_AGENCY,
    ("POST", "/api/v1/postponements/{id}/decision"): STAFF,
    ("POST", "/api/v1/meetings"): STAFF,
    ("PATCH", "/api/v1/meetings/{id}"): STAFF,
    ("POST", "/api/v1/meetings/{id}/publish"): STAFF,
    ("POST", "/api/v1/meetings/{id}/agenda-items"): STAFF,
    ("PUT", "/api/v1/meetings/{id}/agenda-order"): STAFF,
    ("PATCH", "/api/v1/agenda-items/{id}"): STAFF,
    ("DELETE", "/api/v1/agenda-items/{id}"): STAFF,
    ("POST", "/api/v1/programme-items/{id}/documents"): STAFF | OWN_AGENCY,
    ("POST", "/api/v1/documents/{id}/versions"): STAFF | OWN_AGENCY,
    # Private notes: whoever reads the document, the item's agency included (its own dossier).
    ("PUT", "/api/v1/documents/{id}/notes/{page}"): frozenset({"secretariat", "chair", "agency"}),
    ("DELETE", "/api/v1/documents/{id}/notes/{page}"): frozenset({"secretariat", "chair", "agency"}),
    # Annotations (issue 17): whoever reads the document makes them (the empty body: 400); only
    # the author changes or deletes one: the fixture's is the actor's own when the actor may read
    # the document, else another user's (404 to the actor).
    ("POST", "/api/v1/documents/{id}/annotations"): frozenset({"secretariat", "chair", "agency"}),
    ("PATCH", "/api/v1/annotations/{id}"): frozenset({"secretariat", "chair", "agency"}),
    ("DELETE", "/api/v1/annotations/{id}"): frozenset({"secretariat", "chair", "agency"}),
    # The live session: the presiding side runs it (on the fixture's draft meeting most of these
    # answer 409 or 400, which the matrix accepts: the role got through).
    ("POST", "/api/v1/meetings/{id}/start"): PRESIDING,
    ("POST", "/api/v1/meetings/{id}/adjourn"): PRESIDING,
    ("PUT", "/api/v1/meetings/{id}/attendance/{member_id}"): PRESIDING,
    ("POST", "/api/v1/meetings/{id}/advance"): PRESIDING,
    ("POST", "/api/v1/meetings/{id}/consent/adopt"): PRESIDING,
    ("POST", "/api/v1/agenda-items/{id}/outcome"): PRESIDING,
    ("POST", "/api/v1/agenda-items/{id}/votes"): PRESIDING,
    ("POST", "/api/v1/votes/{id}/open"): PRESIDING,
    ("POST", "/api/v1/votes/{id}/close"): PRESIDING,
    ("POST", "/api/v1/speakers/{id}/start"): PRESIDING,
    ("POST", "/api/v1/speakers/{id}/stop"): PRESIDING,
    ("DELETE", "/api/v1/speakers/{id}"): PRESIDING,
    # Members and guests ask to speak for themselves; the draft meeting is not theirs to see.
    ("POST", "/api/v1/agenda-items/{id}/speakers"): frozenset(),
    # Only members vote; without an Idempotency-Key a member gets 400 (the role got through).
    ("POST", "/api/v1/votes/{id}/ballots"): frozenset({"member"}),
    # The minutes (issue 5): the secretariat writes them; on the draft meeting it gets 409.
    ("PUT", "/api/v1/meetings/{id}/minutes"): STAFF,
    ("POST", "/api/v1/meetings/{id}/minutes/finalize"): STAFF,
    # Members state their own pre-session positions; the empty body gets 400 (the role got through).
    ("PUT", "/api/v1/meetings/{id}/positions/{agenda_item_id}"): frozenset({"member"}),
    # Opinion ballots (issue 5): the secretariat runs them; a member answers for themself (the
    # empty body gets 400: the role got through); an assistant never answers.
    ("POST", "/api/v1/opinion-polls"): STAFF,
    ("POST", "/api/v1/opinion-polls/{id}/send"): STAFF,
    ("POST", "/api/v1/opinion-polls/{id}/close"): STAFF,
    ("POST", "/api/v1/opinion-polls/{id}/remind"): STAFF,
    ("PUT", "/api/v1/opinion-polls/{id}/response"): frozenset({"member"}),
    # The bell: everyone's own notifications (the fixture gives each actor one).
    ("POST", "/api/v1/notifications/{id}/read"): USERS,
    ("POST", "/api/v1/notifications/read-all"): USERS,
    # Follow-through (issue 15): the registry, tasks, their reports, extensions and cancelling.
    ("POST", "/api/v1/agencies"): frozenset({"secretariat", "admin"}),
    ("POST", "/api/v1/tasks"): PRESIDING,
    ("POST", "/api/v1/tasks/{id}/reports"): STAFF | OWN_AGENCY,
    ("POST", "/api/v1/tasks/{id}/extensions"): OWN_AGENCY,
    ("POST", "/api/v1/tasks/{id}/cancel"): STAFF,
    ("POST", "/api/v1/extensions/{id}/decision"): STAFF,
    # The monitoring board (issue 15): the secretariat attaches the monthly report (the empty
    # body gets 400: the role got through).
    ("POST", "/api/v1/monitoring/report/attach"): STAFF,
    # Verifying a signed PDF (issue 16): anyone signed in (the empty JSON body gets 415).
    ("POST", "/api/v1/signatures/verify"): USERS,
    # Signing (issue 16): the policy's minutes signers (the secretariat), the meeting's chair and
    # the secretariat for a ballot's report; on the fixture's draft meeting and open ballot, 409
    # (or 400 for the empty body): the role got through.
    ("POST", "/api/v1/meetings/{id}/minutes/signatures"): frozenset({"secretariat"}),
    ("POST", "/api/v1/meetings/{id}/resolution/signatures"): frozenset({"chair"}),
    ("POST", "/api/v1/opinion-polls/{id}/report/signatures"): frozenset({"secretariat"}),
    # A correction's new version: the secretariat (409 `not_signed` on the fixture).
    ("POST", "/api/v1/meetings/{id}/minutes/versions"): frozenset({"secretariat"}),
    ("POST", "/api/v1/meetings/{id}/resolution/versions"): frozenset({"secretariat"}),
    ("POST", "/api/v1/opinion-polls/{id}/report/versions"): frozenset({"secretariat"}),
    # Offline reading (issue 17): every user registers their own devices (the empty body is a
    # device without a label: 201); a device checks its key with no session at all (the empty
    # body gets 400).
    ("POST", "/api/v1/offline/devices"): USERS,
    ("POST", "/api/v1/offline/devices/check"): ANYONE,
}

# Writes that are refused by visibility rather than by role: the document of the fixture is on
# a draft agenda, so its readers are the secretariat and the chair; everyone else gets 404.
WRITE_DENIALS: dict[tuple[str, str], int | dict[str, int]] = {
    ("PUT", "/api/v1/documents/{id}/notes/{page}"): 404,
    ("DELETE", "/api/v1/documents/{id}/notes/{page}"): 404,
    ("POST", "/api/v1/documents/{id}/annotations"): 404,
    ("PATCH", "/api/v1/annotations/{id}"): 404,
    ("DELETE", "/api/v1/annotations/{id}"): 404,
    ("DELETE", "/api/v1/speakers/{id}"): 404,
    ("POST", "/api/v1/agenda-items/{id}/speakers"): {"member": 404, "guest": 404},
    # Another ministry's focal point does not know of the fixture's item, document or task.
    ("POST", "/api/v1/programme-items/{id}/postponements"): {OTHER_AGENCY: 404},
    ("POST", "/api/v1/programme-items/{id}/submit"): {OTHER_AGENCY: 404},
    ("POST", "/api/v1/programme-items/{id}/documents"): {OTHER_AGENCY: 404},
    ("POST", "/api/v1/documents/{id}/versions"): {OTHER_AGENCY: 404},
    ("POST", "/api/v1/tasks/{id}/reports"): {OTHER_AGENCY: 404},
    ("POST", "/api/v1/tasks/{id}/extensions"): {OTHER_AGENCY: 404},
    # A member may chair a meeting (and sign its resolution), but not one they cannot see.
    ("POST", "/api/v1/meetings/{id}/resolution/signatures"): {"member": 404},
}

# (method, path) -> (roles allowed, status for the other signed-in roles). The meeting in the
# fixture is a draft, which only the secretariat and the chair may see: 404 for everyone else.
READS: dict[tuple[str, str], tuple[frozenset[str], int]] = {
    ("GET", "/api/v1/me"): (USERS, 403),
    ("GET", "/api/v1/users"): (frozenset({"admin"}), 403),
    ("GET", "/api/v1/users/{id}"): (frozenset({"admin"}), 403),
    ("GET", "/api/v1/members"): (USERS, 403),
    ("GET", "/api/v1/members/{id}"): (USERS, 403),
    # An agency's focal point lists its own items (another ministry's gets an empty list).
    ("GET", "/api/v1/programme-items"): (READERS | {"agency", OTHER_AGENCY}, 403),
    ("GET", "/api/v1/programme-items/{id}"): (READERS | OWN_AGENCY, 403),
    ("GET", "/api/v1/postponements"): (STAFF, 403),
    ("GET", "/api/v1/meetings"): (USERS, 403),
    ("GET", "/api/v1/meetings/{id}"): (frozenset({"secretariat", "chair"}), 404),
    ("GET", "/api/v1/agenda-items/{id}"): (frozenset({"secretariat", "chair"}), 404),
    ("GET", "/api/v1/openapi.json"): (ANYONE, 403),
    # Papers follow the agenda: the fixture's items are on no published agenda, so staff only.
    # The item's agency reads its own dossier.
    ("GET", "/api/v1/programme-items/{id}/documents"): (PRESIDING | OWN_AGENCY, 404),
    ("GET", "/api/v1/documents/{id}"): (PRESIDING | OWN_AGENCY, 404),
    ("GET", "/api/v1/documents/{id}/notes"): (PRESIDING | OWN_AGENCY, 404),
    ("GET", "/api/v1/documents/{id}/annotations"): (PRESIDING | OWN_AGENCY, 404),
    ("GET", "/api/v1/documents/{id}/annotation-audience"): (PRESIDING | OWN_AGENCY, 404),
    # One's own annotations on a meeting's papers: whoever may see the (draft) meeting.
    ("GET", "/api/v1/meetings/{id}/annotations.pdf"): (PRESIDING, 404),
    # A draft meeting's book: staff only. Its first answer is 202: the build has started.
    ("GET", "/api/v1/meetings/{id}/book.pdf"): (frozenset({"secretariat", "chair"}), 404),
    ("GET", "/api/v1/documents/{id}/versions/{n}/file"): (PRESIDING | OWN_AGENCY, 404),
    # The diff between versions (issue 17) follows the document; the fixture's has one version: 409.
    ("GET", "/api/v1/documents/{id}/versions/{n}/diff"): (PRESIDING | OWN_AGENCY, 404),
    ("GET", "/api/v1/copies/{code}"): (STAFF, 403),
    ("GET", "/api/v1/meetings/{id}/reading"): (frozenset({"secretariat", "chair"}), 403),
    ("GET", "/api/v1/meetings/{id}/live"): (PRESIDING, 404),
    ("GET", "/api/v1/votes/{id}"): (PRESIDING, 404),
    # A vote's sealed result record (issue 16): the fixture's vote is not closed, so not sealed (409).
    ("GET", "/api/v1/votes/{id}/record.pdf"): (PRESIDING, 404),
    # Search: every signed-in user, each seeing only what they may see (tests/test_search.py).
    ("GET", "/api/v1/search"): (USERS, 403),
    # The minutes (issue 5): readers get 409 `not_adjourned` on the fixture's draft meeting,
    # which nobody else may see (404); the raw event log is the secretariat's alone.
    ("GET", "/api/v1/meetings/{id}/minutes"): (PRESIDING, 404),
    ("GET", "/api/v1/meetings/{id}/minutes.pdf"): (PRESIDING, 404),
    ("GET", "/api/v1/meetings/{id}/resolution.pdf"): (PRESIDING, 404),
    ("GET", "/api/v1/meetings/{id}/events"): (STAFF, 403),
    # The table of positions: staff; a member gets their own, but the draft is not theirs to see.
    ("GET", "/api/v1/meetings/{id}/positions"): (PRESIDING, 404),
    # Opinion ballots: the fixture's ballot was sent to every voting member, the member's and the
    # assistant's own members included; the synthesis report is for the secretariat and the chair.
    ("GET", "/api/v1/opinion-polls"): (POLL_READERS, 403),
    ("GET", "/api/v1/opinion-polls/{id}"): (POLL_READERS, 403),
    ("GET", "/api/v1/opinion-polls/{id}/report.pdf"): (PRESIDING, 403),
    ("GET", "/api/v1/notifications"): (USERS, 403),
    # The to-do list: everyone's own (docs/home.md).
    ("GET", "/api/v1/me/todo"): (USERS, 403),
    # Follow-through (issue 15). The fixture's task is led by the items' agency and not restricted.
    ("GET", "/api/v1/agencies"): (USERS, 403),
    ("GET", "/api/v1/tasks"): (TASK_READERS, 403),
    ("GET", "/api/v1/tasks/{id}"): (TASK_SEERS, 403),
    ("GET", "/api/v1/task-reports/{id}/file"): (TASK_SEERS, 403),
    # The monitoring board (issue 15, docs/monitoring.md): members read it; the monthly report
    # is for the secretariat and the chair.
    ("GET", "/api/v1/monitoring"): (READERS, 403),
    ("GET", "/api/v1/monitoring/tasks"): (READERS, 403),
    ("GET", "/api/v1/monitoring/programme"): (READERS, 403),
    ("GET", "/api/v1/monitoring/at-risk"): (READERS, 403),
    ("GET", "/api/v1/monitoring/report.pdf"): (PRESIDING, 403),
    # Offline reading (issue 17): each user's own list; a draft meeting is kept by nobody, the
    # staff included (404), and there is no role gate before that.
    ("GET", "/api/v1/offline/meetings"): (USERS, 403),
    ("GET", "/api/v1/offline/meetings/{id}"): (frozenset(), 404),
}
# Reads refused with another status for some roles than the table's.
READ_DENIALS: dict[tuple[str, str], dict[str, int]] = {
    ("GET", "/api/v1/programme-items/{id}"): {OTHER_AGENCY: 404},
    ("GET", "/api/v1/tasks/{id}"): {OTHER_AGENCY: 404},
    ("GET", "/api/v1/task-reports/{id}/file"): {OTHER_AGENCY: 404},
}
# Reads whose success is not (only) 200.
READ_OK: dict[tuple[str, str], tuple[int, ...]] = {
    ("GET", "/api/v1/meetings/{id}/book.pdf"): (200, 202),
    ("GET", "/api/v1/meetings/{id}/minutes"): (409,),
    ("GET", "/api/v1/meetings/{id}/minutes.pdf"): (409,),
    ("GET", "/api/v1/meetings/{id}/resolution.pdf"): (409,),
    ("GET", "/api/v1/votes/{id}/record.pdf"): (409,),
    ("GET", "/api/v1/documents/{id}/versions/{n}/diff"): (409,),
}

PUBLIC = {("GET", "/api/v1/openapi.json"), ("POST", "/api/v1/auth/login")}


def api_routes(client: TestClient) -> set[tuple[str, str]]:
    """(method, path) of every route of the app under /api/v1, `{id:int}` written `{id}`."""
    found: set[tuple[str, str]] = set()
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, Route) and route.path.startswith("/api/v1"):
            path = route.path.replace(":int}", "}")
            for method in route.methods or ():
                if method != "HEAD":
                    found.add((method, path))
    return found


def test_the_tables_cover_every_endpoint(client: TestClient) -> None:
    """A new endpoint needs a row in WRITES or READS (and, with a new kind of id, in World.url)."""
    mutating = {e for e in api_routes(client) if e[0] != "GET"}
    reading = {e for e in api_routes(client) if e[0] == "GET"}
    assert sorted(mutating - set(WRITES)) == [], "mutating endpoints without a row in WRITES"
    assert sorted(reading - set(READS)) == [], "reading endpoints without a row in READS"
    assert sorted(set(WRITES) - mutating) == [], "rows in WRITES for endpoints that no longer exist"
    assert sorted(set(READS) - reading) == [], "rows in READS for endpoints that no longer exist"


@dataclass
class World:
    ids: dict[str, int]
    actor: Actor | None
    code: str = ""  # a copy code, for /api/v1/copies/{code}

    def url(self, path: str) -> str:
        if path == "/api/v1/search":
            return f"{path}?q=nghi+dinh"
        path = path.replace("{code}", self.code).replace("{n}", "1")
        path = path.replace("{member_id}", str(self.ids["member"]))
        path = path.replace("{agenda_item_id}", str(self.ids["agenda_item"]))
        for prefix, key in (
            ("/api/v1/users/", "user"),
            ("/api/v1/members/", "member"),
            ("/api/v1/programme-items/", "programme_item"),
            ("/api/v1/postponements/", "postponement"),
            ("/api/v1/meetings/", "meeting"),
            ("/api/v1/agenda-items/", "agenda_item"),
            ("/api/v1/documents/", "document"),
            ("/api/v1/votes/", "vote"),
            ("/api/v1/speakers/", "speaker"),
            ("/api/v1/opinion-polls/", "opinion_poll"),
            ("/api/v1/notifications/", "notification"),
            ("/api/v1/tasks/", "task"),
            ("/api/v1/extensions/", "extension"),
            ("/api/v1/task-reports/", "task_report"),
            ("/api/v1/annotations/", "annotation"),
            ("/api/v1/offline/meetings/", "meeting"),
        ):
            if path.startswith(prefix) and "{id}" in path:
                return path.replace("{id}", str(self.ids[key])).replace("{page}", "1")
        return path


def build_world(client: TestClient, db: Database, role: str) -> World:
    chair_member = make_member(db, full_name="Thủ tướng", title="Thủ tướng Chính phủ", precedence=1)
    other = make_member(db, full_name="Bộ trưởng khác")
    actor: Actor | None = None
    user_id = None
    own_agency = db.write_sync(lambda s: ensure_agency(s, "Bộ Tư pháp", actor_id=None).id)
    other_agency = db.write_sync(lambda s: ensure_agency(s, "Bộ Khác", actor_id=None).id)
    if role != "anonymous":
        member_id = chair_member.id if role == "chair" else None
        agency_id = {"agency": own_agency, OTHER_AGENCY: other_agency}.get(role)
        roles = ["agency"] if role == OTHER_AGENCY else [role]
        user = make_user(db, f"user_{role}", roles, member_id=member_id, agency_id=agency_id)
        user_id = user.id
        actor = login_as(client, user.username)
    else:
        user_id = make_user(db, "someone", ["observer"]).id
    item = make_programme_item(db)
    ready = make_ready_item(db)
    assert item.id and ready.id and other.id and chair_member.id and user_id
    request = db.write_sync(
        lambda s: postponements.request_postponement(
            session=s, item_id=item.id or 0, data=PostponementCreate(reason="Chưa đủ hồ sơ"), actor_id=None
        )
    )
    meeting = make_meeting(db, chair_member_id=chair_member.id)
    assert meeting.id and request.id
    agenda_item = add_agenda_item(db, meeting.id, programme_item_id=ready.id)
    # A document whose original is stored, so that its watermarked copy can be served.
    document_id = make_stored_document(db, context_of(client).settings.data_dir, ready.id, "annex").id
    assert agenda_item.id and document_id
    version_id = db.read_sync(lambda s: versions_of(session=s, document_id=document_id or 0)[0].id)
    code = db.write_sync(
        lambda s: issue_copy(session=s, user_id=user_id or 0, document_version_id=version_id)
    ).code
    speaker_user = make_user(db, "speaker_elsewhere", ["guest"]).id or 0
    vote_id, speaker_id = _vote_and_speaker(db, meeting.id, agenda_item.id, speaker_user)
    poll_id, notification_id = _poll_and_notification(db, user_id)
    task_ids = _task(db, context_of(client).settings.data_dir)
    readers = {"secretariat", "chair", "agency"}
    author = user_id if role in readers else make_user(db, "annotator", ["secretariat"]).id
    annotation_id = _annotation(db, document_id, author or 0)
    ids = {
        **task_ids,
        "opinion_poll": poll_id,
        "notification": notification_id,
        "vote": vote_id,
        "speaker": speaker_id,
        "user": user_id,
        "member": other.id,
        "programme_item": item.id,
        "postponement": request.id,
        "meeting": meeting.id,
        "agenda_item": agenda_item.id,
        "document": document_id,
        "annotation": annotation_id,
    }
    return World(ids=ids, actor=actor, code=code)


def _annotation(db: Database, document_id: int, user_id: int) -> int:
    """A highlight on the fixture's document by `user_id` (a row: its quote is not checked)."""

    def add(s: Session) -> int:
        found = Annotation(
            user_id=user_id, document_id=document_id, version=1, kind="highlight", page=1, exact="Tài liệu"
        )
        s.add(found)
        s.flush()
        assert found.id
        return found.id

    return db.write_sync(add)


def _poll_and_notification(db: Database, user_id: int) -> tuple[int, int]:
    """An opinion ballot sent to every voting member, on an item of its own (so that its papers
    open to no one else's rows), and a notification of the actor's own."""
    polled = make_programme_item(db).id or 0
    deadline = utcnow() + timedelta(days=2)

    def add(s: Session) -> tuple[int, int]:
        poll = poll_lifecycle.create(
            session=s,
            data=PollCreate(programme_item_id=polled, question="Đồng ý?", deadline=deadline),
            actor_id=None,
        )
        poll_lifecycle.send(session=s, poll_id=poll.id or 0, actor_id=None)
        found = notifications.notify(
            s, user_id=user_id, kind="poll_sent", key="permissions", params={}, url="/opinion-polls"
        )
        assert poll.id and found and found.id
        return poll.id, found.id

    return db.write_sync(add)


def _task(db: Database, data_dir: Path) -> dict[str, int]:
    """A task of the items' agency (Bộ Tư pháp), with a pending extension request and a report
    whose PDF is stored."""
    pdf = make_pdf(1, heading="Báo cáo")
    sha256 = store_original(data_dir, pdf)

    def add(s: Session) -> dict[str, int]:
        data = TaskCreate(
            title="Nhiệm vụ", lead_agency="Bộ Tư pháp", due_on=local_today() + timedelta(days=30)
        )
        task = lifecycle.create_task(session=s, data=data, actor_id=None)
        extension = lifecycle.request_extension(
            session=s,
            task=task,
            data=ExtensionCreate(reason="Cần thêm thời gian", due_on=task.due_on + timedelta(days=30)),
            actor_id=None,
        )
        report = lifecycle.add_report(
            session=s,
            task=task,
            data=ReportCreate(text="Tiến độ"),
            actor_id=None,
            file={"sha256": sha256, "name": "Báo cáo", "size": len(pdf), "pages": 1},
        )
        assert task.id and extension.id and report.id
        return {"task": task.id, "extension": extension.id, "task_report": report.id}

    return db.write_sync(add)


def _vote_and_speaker(db: Database, meeting_id: int, agenda_item_id: int, user_id: int) -> tuple[int, int]:
    """A draft vote and a waiting request to speak on the draft meeting (rows only: the domain
    allows neither before publishing)."""

    def add(s: Session) -> tuple[int, int]:
        vote = Vote(meeting_id=meeting_id, agenda_item_id=agenda_item_id, question="Thông qua?")
        speaker = Speaker(meeting_id=meeting_id, agenda_item_id=agenda_item_id, user_id=user_id, name="Ai đó")
        s.add_all([vote, speaker])
        s.flush()
        assert vote.id and speaker.id
        return vote.id, speaker.id

    return db.write_sync(add)


def _rank(endpoint: tuple[str, str]) -> int:
    """Destructive calls last, so they do not spoil the calls after them."""
    method, path = endpoint
    if path == "/api/v1/auth/logout":
        return 3
    if method == "DELETE":
        return 2
    if path.endswith("/publish"):
        return 1
    return 0


def call(client: TestClient, world: World, method: str, path: str) -> int:
    # Every state change sends an empty JSON object: a route that reads a body refuses it with
    # 400 or 422 once the role got through, and a route without one ignores it.
    kwargs: dict[str, object] = {} if method == "GET" else {"json": {}}
    url = world.url(path)
    if world.actor is None:
        client.cookies.clear()
        return client.request(method, url, **kwargs).status_code  # type: ignore[arg-type]
    return world.actor.request(method, url, **kwargs).status_code  # type: ignore[arg-type]


@pytest.mark.parametrize("role", [*ALL_ROLES, "anonymous"])
def test_permission_matrix(client: TestClient, db: Database, role: str) -> None:
    world = build_world(client, db, role)
    wrong: list[str] = []
    for method, path in sorted(READS, key=_rank):
        allowed, denial = READS[(method, path)]
        status = call(client, world, method, path)
        if role in allowed:
            ok = status in READ_OK.get((method, path), (200,))
        elif role == "anonymous":
            ok = status == 401
        else:
            ok = status == READ_DENIALS.get((method, path), {}).get(role, denial)
        if not ok:
            wrong.append(f"{method} {path}: {status} for {role}")
    for method, path in sorted(WRITES, key=_rank):
        allowed = WRITES[(method, path)]
        status = call(client, world, method, path)
        if role in allowed:
            ok = status not in (401, 403, 404, 405) and status < 500
        elif role == "anonymous":
            ok = status == 401
        else:
            refusal = WRITE_DENIALS.get((method, path), 403)
            ok = status == (refusal.get(role, 403) if isinstance(refusal, dict) else refusal)
        if not ok:
            wrong.append(f"{method} {path}: {status} for {role}")
    assert wrong == []


def test_forbidden_answers_have_the_error_shape(client: TestClient, db: Database) -> None:
    guest = login_as(client, make_user(db, "khach", ["guest"]).username)
    response = guest.post("/api/v1/programme-items", json={})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    client.cookies.clear()
    anonymous = client.post("/api/v1/programme-items", json={})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthorized"


def test_role_check_comes_before_reading_the_body(client: TestClient, db: Database) -> None:
    """A wrong role learns nothing from validation errors."""
    member = login_as(client, make_user(db, "thanhvien", ["member"]).username)
    response = member.post(
        "/api/v1/meetings", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 403
