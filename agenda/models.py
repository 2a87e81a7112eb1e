"""Every table, imported in one place so that metadata (and Alembic) sees them all."""

from __future__ import annotations

from sqlmodel import SQLModel

from agenda.accounts import AuthSession, LoginFailure, User
from agenda.agenda_items import AgendaAudience, AgendaItem
from agenda.attendance import Attendance
from agenda.copies import DocumentCopy, ReadReceipt
from agenda.documents import Document, DocumentVersion
from agenda.events import Event, StreamHead
from agenda.meetings import Meeting, MeetingGuest, MeetingInvitee
from agenda.members import Member
from agenda.minutes import Minutes
from agenda.notes import PageNote
from agenda.notifications import Notification
from agenda.opinion_polls import OpinionPoll, PollRecipient, PollResponse
from agenda.positions import Position
from agenda.programme import Postponement, ProgrammeItem
from agenda.search import DocumentText, SearchEntry
from agenda.speakers import Speaker
from agenda.votes import Ballot, BallotReceipt, IdempotencyRecord, SecretTally, Vote, VoteEligible

metadata = SQLModel.metadata

__all__ = [
    "AgendaAudience",
    "AgendaItem",
    "Attendance",
    "AuthSession",
    "Ballot",
    "BallotReceipt",
    "Document",
    "DocumentCopy",
    "DocumentText",
    "DocumentVersion",
    "Event",
    "IdempotencyRecord",
    "LoginFailure",
    "Meeting",
    "MeetingGuest",
    "MeetingInvitee",
    "Member",
    "Minutes",
    "Notification",
    "OpinionPoll",
    "PageNote",
    "PollRecipient",
    "PollResponse",
    "Position",
    "Postponement",
    "ProgrammeItem",
    "ReadReceipt",
    "SearchEntry",
    "SecretTally",
    "Speaker",
    "StreamHead",
    "User",
    "Vote",
    "VoteEligible",
    "metadata",
]
