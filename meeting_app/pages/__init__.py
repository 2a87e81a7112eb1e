"""Server-rendered pages (Jinja). One module per screen family; `routes` gathers them."""

from __future__ import annotations

from starlette.routing import BaseRoute

from meeting_app.pages import (
    admin,
    agency_home,
    agenda,
    auth,
    books,
    copies,
    documents,
    home,
    live,
    meetings,
    minutes,
    monitoring,
    offline,
    offline_devices,
    opinion_polls,
    positions,
    postponements,
    programme,
    reader,
    search,
    signatures,
    signing,
    task_bulk,
    task_page,
    tasks,
    version_changes,
)

routes: list[BaseRoute] = [
    *auth.routes,
    *home.routes,
    # /programme/import before /programme/{id:int} does not matter ({id:int} never matches "import").
    *programme.routes,
    *documents.routes,
    *postponements.routes,
    *meetings.routes,
    *live.routes,
    *minutes.routes,
    *signing.routes,
    *positions.routes,
    *opinion_polls.routes,
    *monitoring.routes,
    *books.routes,
    *agenda.routes,
    *reader.routes,
    *version_changes.routes,  # what changed between two versions (issue 17)
    *search.routes,
    *copies.routes,
    *signatures.routes,  # verification of signed PDFs (issue 16)
    *offline.routes,  # the service worker and the offline page (issue 17)
    *admin.routes,
    *offline_devices.routes,  # issue 17: a user's offline devices and the wipe order
    # Follow-through (issue 15): the agency's home, tasks, tasks from a meeting's conclusions.
    *agency_home.routes,
    *tasks.routes,
    *task_page.routes,
    *task_bulk.routes,
]
