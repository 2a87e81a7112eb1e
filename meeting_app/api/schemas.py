"""What the tablet-facing endpoints answer, as pydantic models (docs/api.md "The OpenAPI document").

The endpoints build their JSON as they always have (agenda/*.py `public_*` functions); these
models describe that JSON for the OpenAPI document, and tests/test_api_schemas.py validates real
answers against them. Every model forbids unknown fields, so a field added to an answer without
being added here fails that test. A field that only some viewers get (the staff's extras, a
member's own ballot) is optional and defaults to None.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, RootModel, WithJsonSchema

Time = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


class Public(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# --- errors -------------------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    """Some errors add fields (`fields` for invalid_fields, `rows` for an import, `present`,
    `required` and `total` for no_quorum)."""

    model_config = ConfigDict(extra="allow")

    code: str
    message: str


class Error(BaseModel):
    """Every 4xx and 5xx answer of the API."""

    error: ErrorDetail


# --- people -------------------------------------------------------------------------------------


class UserPublic(Public):
    id: int
    username: str
    full_name: str
    roles: list[str]
    member_id: int | None
    agency_id: int | None
    locale: str
    active: bool
    email: str | None


class UserList(Public):
    items: list[UserPublic]


class Me(Public):
    """The signed-in user and the CSRF token that state changes carry."""

    user: UserPublic
    csrf_token: str


# --- meetings and agenda ------------------------------------------------------------------------


class MeetingPublic(Public):
    id: int
    title: str
    kind: str
    state: str
    starts_at: Time
    ends_at: Time
    duration_minutes: int
    place: str
    chair_member_id: int | None
    agenda_version: int
    published_at: Time | None
    started_at: Time | None
    adjourned_at: Time | None
    current_item_id: int | None


class MeetingStarted(MeetingPublic):
    """The started meeting, with how many minutes off its scheduled time it started when that is
    more than the policy's tolerance (negative: early), else null."""

    off_schedule_minutes: int | None


class MeetingList(Public):
    items: list[MeetingPublic]


class Paper(Public):
    """The latest version of a document of an agenda item's dossier."""

    id: int
    kind: str
    title: str
    version: int
    pages: int


class AgendaItemPublic(Public):
    id: int
    position: int
    title: str
    minutes: int
    presenter: str
    restricted: bool
    consent: bool
    state: str
    outcome: str | None
    conclusion: str | None
    spent_seconds: int
    current_since: Time | None
    programme_item_id: int | None
    code: str | None
    programme_kind: str | None
    lead_agency: str | None
    documents: list[Paper]
    # The secretariat and the chair only.
    restricted_member_ids: list[int] | None = None
    missing_documents: list[str] | None = None
    readiness_overridden: bool | None = None


class RestrictedItem(Public):
    """A restricted item as seen from outside its audience."""

    id: int
    position: int
    restricted: Literal[True]
    state: str


AgendaEntry = AgendaItemPublic | RestrictedItem


class AgendaEntryPublic(RootModel[AgendaEntry]):
    """One agenda item, or its placeholder outside its audience."""


class Warning(Public):
    code: str
    message: str
    agenda_item_id: int | None = None


class MeetingDetail(MeetingPublic):
    """A meeting with its agenda as the viewer may see it; the staff also get the people, the
    total time and the builder's warnings."""

    agenda: list[AgendaEntry]
    invitee_member_ids: list[int] | None = None
    guest_user_ids: list[int] | None = None
    total_minutes: int | None = None
    warnings: list[Warning] | None = None


# --- papers and notes ---------------------------------------------------------------------------


class VersionPublic(Public):
    version: int
    pages: int
    size: int
    uploaded_at: Time
    note: str | None


class DocumentPublic(Public):
    id: int
    kind: str
    title: str
    programme_item_id: int
    versions: list[VersionPublic]
    latest: VersionPublic | None


class Dossier(Public):
    items: list[DocumentPublic]


class NotePublic(Public):
    """A private note on one page; `text: ""` and `updated_at: null` once deleted. `conflict: true`
    when an offline edit met a newer note and both were kept (docs/reader.md)."""

    page: int
    text: str
    updated_at: Time | None
    conflict: bool | None = None


class NoteList(Public):
    items: list[NotePublic]


# --- pre-session positions ----------------------------------------------------------------------


class PositionPublic(Public):
    meeting_id: int
    agenda_item_id: int
    member_id: int
    position: str
    comment: str | None
    stated_at: Time
    updated_at: Time | None


class PositionStated(PositionPublic):
    """A member's position as saved, with the item's consent flag after it."""

    consent: bool


class OwnPositions(Public):
    """A member's own positions."""

    items: list[PositionPublic]


class MemberName(Public):
    id: int
    full_name: str
    title: str


class TablePosition(Public):
    member_id: int
    full_name: str
    position: str
    comment: str | None
    stated_at: Time
    updated_at: Time | None


class TableRow(Public):
    agenda_item_id: int
    number: int
    title: str
    restricted: bool
    restricted_member_ids: list[int]
    consent: bool
    left_consent: bool
    positions: list[TablePosition]
    counts: dict[str, int]


class PositionTable(Public):
    """The table of every member's positions (the secretariat and the chair)."""

    meeting_id: int
    state: str
    open: bool
    members: list[MemberName]
    items: list[TableRow]


class Positions(RootModel[OwnPositions | PositionTable]):
    """A member's own positions, or the staff's table."""
