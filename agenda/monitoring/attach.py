"""Attaching the monthly report to the next regular session, in one step. See docs/monitoring.md
"Attaching the report".

The report becomes a programme item of kind `report` (lead agency: the Government Office),
planned in the session's month, whose dossier holds the PDF as its submission paper; the item is
then put on the session's agenda. Each step is the existing domain function with its own event
(programme_item.created, document.added, agenda.changed), all in the caller's transaction.
Attaching the same month again adds a new version of the paper instead of a second item (and
puts the item on the agenda if it is not there yet). 409 `no_upcoming_session` when no regular
session is still to come with an editable agenda.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from agenda.clock import to_local, utcnow
from agenda.errors import WrongState
from agenda.meetings.agenda_edits import add_item
from agenda.meetings.agenda_items import AgendaItem, AgendaItemCreate
from agenda.meetings.dossier import add_document, add_version
from agenda.meetings.meetings import EDITABLE_STATES, Meeting
from agenda.monitoring.report import report_title
from agenda.papers.documents import Document, DocumentVersion
from agenda.policy import Policy
from agenda.programme.programme import ProgrammeItem, ProgrammeItemCreate, create_item
from agenda.text import N_

GOVERNMENT_OFFICE = "Văn phòng Chính phủ"
REPORT_MINUTES = 15


@dataclass(frozen=True)
class StoredPdf:
    """The report's PDF, already stored under its sha256 by the caller."""

    sha256: str
    pages: int
    size: int
    text: str | None = None


def report_code(month: str) -> str:
    return f"BC-TDNV-{month}"


def next_regular_session(session: Session) -> Meeting:
    meeting = session.exec(
        select(Meeting)
        .where(
            Meeting.kind == "regular",
            col(Meeting.state).in_(EDITABLE_STATES),
            col(Meeting.starts_at) > utcnow(),
        )
        .order_by(col(Meeting.starts_at), col(Meeting.id))
    ).first()
    if meeting is None:
        raise WrongState(
            N_("Chưa có phiên họp thường kỳ sắp tới để đưa báo cáo vào chương trình."),
            code="no_upcoming_session",
        )
    return meeting


def attach_report(
    *, session: Session, month: str, pdf: StoredPdf, actor_id: int | None, policy: Policy
) -> dict[str, Any]:
    """Put the month's report on the next regular session's agenda with its paper:
    `{meeting_id, agenda_item_id, programme_item_id, document_id, version}`."""
    meeting = next_regular_session(session)
    assert meeting.id is not None
    title = report_title(month)
    item = session.exec(select(ProgrammeItem).where(ProgrammeItem.code == report_code(month))).first()
    if item is None:
        data = ProgrammeItemCreate(
            code=report_code(month),
            title=title,
            kind="report",
            lead_agency=GOVERNMENT_OFFICE,
            planned_month=to_local(meeting.starts_at).strftime("%Y-%m"),
        )
        item = create_item(session=session, data=data, actor_id=actor_id)
    assert item.id is not None
    document, version = _paper(session, item.id, title, pdf, actor_id)
    on_agenda = session.exec(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting.id, AgendaItem.programme_item_id == item.id)
    ).first()
    if on_agenda is None:
        on_agenda = add_item(
            session=session,
            meeting_id=meeting.id,
            data=AgendaItemCreate(
                programme_item_id=item.id, minutes=REPORT_MINUTES, presenter=GOVERNMENT_OFFICE
            ),
            actor_id=actor_id,
            policy=policy,
        )
    return {
        "meeting_id": meeting.id,
        "agenda_item_id": on_agenda.id,
        "programme_item_id": item.id,
        "document_id": document.id,
        "version": version.version,
    }


def _paper(
    session: Session, item_id: int, title: str, pdf: StoredPdf, actor_id: int | None
) -> tuple[Document, DocumentVersion]:
    """The item's submission paper: added, or given a new version (none when the file is the same)."""
    document = session.exec(
        select(Document).where(Document.programme_item_id == item_id, Document.kind == "submission")
    ).first()
    if document is None or document.id is None:
        return add_document(
            session=session,
            programme_item_id=item_id,
            kind="submission",
            title=title,
            sha256=pdf.sha256,
            pages=pdf.pages,
            size=pdf.size,
            note="",
            actor_id=actor_id,
            text=pdf.text,
        )
    current = session.exec(
        select(DocumentVersion)
        .where(DocumentVersion.document_id == document.id)
        .order_by(col(DocumentVersion.version).desc())
    ).first()
    if current is not None and current.sha256 == pdf.sha256:
        return document, current  # the same figures drawn again: nothing new to add
    version = add_version(
        session=session,
        document_id=document.id,
        sha256=pdf.sha256,
        pages=pdf.pages,
        size=pdf.size,
        note="Cập nhật số liệu",
        actor_id=actor_id,
        text=pdf.text,
    )
    return document, version
