"""What an `agency` account (cán bộ đầu mối) may reach of the work programme. See
docs/follow-through.md "Who sees what" and docs/api.md "The agency role".

An account that holds only the `agency` role (none of secretariat, chair or member) works for
its own agency: it sees the programme items whose lead agency is its own (less those on an
agenda item restricted from it), uploads their dossier documents, submits them and asks to
postpone them. Every other programme item is absent for it (404). The staff and the members keep
their own rules (agenda/meetings/agenda_items.py `hidden_programme_ids`); an account that holds
`agency` together with one of those roles is read by that role.
"""

from __future__ import annotations

from sqlmodel import Session

from agenda.errors import NotFound
from agenda.meetings.agenda_items import hidden_programme_ids
from agenda.programme.programme import ProgrammeItem
from agenda.viewer import Viewer

PROGRAMME_READERS = ("secretariat", "chair", "member")


def agency_only(viewer: Viewer) -> bool:
    """True for an account that reads the programme only as its agency's focal point."""
    return viewer.has("agency") and not viewer.has(*PROGRAMME_READERS)


def own_item(viewer: Viewer, item: ProgrammeItem) -> bool:
    """The item is led by the viewer's agency (an `agency` account linked to one)."""
    return viewer.has("agency") and viewer.agency_id is not None and item.lead_agency_id == viewer.agency_id


def visible_item_ids(*, session: Session, viewer: Viewer, items: list[ProgrammeItem]) -> list[int]:
    """Ids of `items` that `viewer` may see in the programme, in order."""
    hidden = hidden_programme_ids(session=session, viewer=viewer)
    shown = [i for i in items if i.id is not None and i.id not in hidden]
    if agency_only(viewer):
        shown = [i for i in shown if own_item(viewer, i)]
    return [i.id for i in shown if i.id is not None]


def visible_item(*, session: Session, viewer: Viewer, item_id: int) -> ProgrammeItem:
    """The programme item, or NotFound when it does not exist or `viewer` may not see it."""
    item = session.get(ProgrammeItem, item_id)
    if item is None or not visible_item_ids(session=session, viewer=viewer, items=[item]):
        raise NotFound()
    return item


def may_work_on(*, session: Session, viewer: Viewer, item_id: int) -> ProgrammeItem:
    """The item whose dossier `viewer` may upload to, submit or ask to postpone: any item for the
    secretariat (and members where a route lets them), the agency's own visible items for an
    `agency` account. NotFound for an item the agency may not see."""
    item = visible_item(session=session, viewer=viewer, item_id=item_id)
    if agency_only(viewer) and not own_item(viewer, item):
        raise NotFound()
    return item


def reads_own_dossier(*, session: Session, viewer: Viewer, item_id: int) -> bool:
    """The viewer is a focal point of the item's lead agency and the item is not hidden from it:
    it reads the item's papers whatever its other roles."""
    item = session.get(ProgrammeItem, item_id)
    if item is None or not own_item(viewer, item):
        return False
    return item_id not in hidden_programme_ids(session=session, viewer=viewer)
