"""Every table, imported in one place so that metadata (and Alembic) sees them all."""

from __future__ import annotations

from sqlmodel import SQLModel

from agenda.accounts import AuthSession, LoginFailure, User
from agenda.agenda_items import AgendaAudience, AgendaItem
from agenda.copies import DocumentCopy, ReadReceipt
from agenda.documents import Document, DocumentVersion
from agenda.events import Event, StreamHead
from agenda.meetings import Meeting, MeetingGuest, MeetingInvitee
from agenda.members import Member
from agenda.notes import PageNote
from agenda.programme import Postponement, ProgrammeItem

metadata = SQLModel.metadata

__all__ = [
    "AgendaAudience",
    "AgendaItem",
    "AuthSession",
    "Document",
    "DocumentCopy",
    "DocumentVersion",
    "Event",
    "LoginFailure",
    "Meeting",
    "MeetingGuest",
    "MeetingInvitee",
    "Member",
    "PageNote",
    "Postponement",
    "ProgrammeItem",
    "ReadReceipt",
    "StreamHead",
    "User",
    "metadata",
]
