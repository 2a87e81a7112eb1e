"""Every table, imported in one place so that metadata (and Alembic) sees them all."""

from __future__ import annotations

from sqlmodel import SQLModel

from agenda.agencies.registry import Agency
from agenda.log.events import Event, StreamHead
from agenda.meetings.agenda_items import AgendaAudience, AgendaItem
from agenda.meetings.attendance import Attendance
from agenda.meetings.meetings import Meeting, MeetingGuest, MeetingInvitee
from agenda.meetings.positions import Position
from agenda.meetings.speakers import Speaker
from agenda.papers.annotations import Annotation, AnnotationShare
from agenda.papers.copies import DocumentCopy, ReadReceipt
from agenda.papers.documents import Document, DocumentVersion
from agenda.papers.notes import PageNote
from agenda.papers.page_text import DocumentPageText
from agenda.papers.reanchor import AnnotationCarry
from agenda.people.accounts import AuthSession, LoginFailure, User
from agenda.people.devices import OfflineDevice
from agenda.people.members import Member
from agenda.people.notifications import Notification
from agenda.polls.opinion_polls import OpinionPoll, PollRecipient, PollResponse
from agenda.programme.postponements import Postponement
from agenda.programme.programme import ProgrammeItem
from agenda.record.minutes import Minutes
from agenda.search.index import DocumentText, SearchEntry
from agenda.signing.records import FileSignature, PinFailure, SignedFile, SignedFileFetch, SigningIdentity
from agenda.tasks.models import Task, TaskAudience, TaskCooperator, TaskExtension, TaskReport
from agenda.votes.models import Ballot, BallotReceipt, IdempotencyRecord, SecretTally, Vote, VoteEligible

metadata = SQLModel.metadata

__all__ = [
    "Agency",
    "AgendaAudience",
    "AgendaItem",
    "Annotation",
    "AnnotationCarry",
    "AnnotationShare",
    "Attendance",
    "AuthSession",
    "Ballot",
    "BallotReceipt",
    "Document",
    "DocumentCopy",
    "DocumentPageText",
    "DocumentText",
    "DocumentVersion",
    "Event",
    "FileSignature",
    "IdempotencyRecord",
    "LoginFailure",
    "Meeting",
    "MeetingGuest",
    "MeetingInvitee",
    "Member",
    "Minutes",
    "Notification",
    "OfflineDevice",
    "OpinionPoll",
    "PageNote",
    "PinFailure",
    "PollRecipient",
    "PollResponse",
    "Position",
    "Postponement",
    "ProgrammeItem",
    "ReadReceipt",
    "SearchEntry",
    "SecretTally",
    "SignedFile",
    "SignedFileFetch",
    "SigningIdentity",
    "Speaker",
    "StreamHead",
    "Task",
    "TaskAudience",
    "TaskCooperator",
    "TaskExtension",
    "TaskReport",
    "User",
    "Vote",
    "VoteEligible",
    "metadata",
]
