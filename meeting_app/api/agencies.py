"""The registry of agencies (../shared/API.md "Agencies, tasks and monitoring"). See
agenda/agencies/registry.py and docs/api.md "Agencies"."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.agencies import registry
from agenda.agencies.registry import AgencyCreate
from meeting_app.api.common import listing, reply
from meeting_app.api.spec import operation
from meeting_app.api.task_schemas import AgencyList, AgencyPublic
from meeting_app.auth import api_user
from meeting_app.context import ctx
from meeting_app.inputs import read_json

WRITERS = ("secretariat", "admin")


@operation(
    "Ministries and agencies: {items: [{id, code, name, kind, active}]}; `active=1` hides the inactive",
    who="user",
    query={"active": str},
    responses={200: AgencyList},
)
async def list_agencies(request: Request) -> Response:
    await api_user(request)
    only_active = request.query_params.get("active") in ("1", "true")
    found = await ctx(request).db.read(
        lambda s: registry.list_agencies(session=s, include_inactive=not only_active)
    )
    return listing([registry.public_agency(a) for a in found])


@operation(
    "Add an agency: {code, name, kind?}; 409 `code_taken` or `name_taken`",
    who="secretariat, admin",
    body=AgencyCreate,
    responses={201: AgencyPublic},
)
async def create_agency(request: Request) -> Response:
    me = await api_user(request, *WRITERS)
    data = await read_json(request, AgencyCreate)
    agency = await ctx(request).db.write(
        lambda s: registry.create_agency(session=s, data=data, actor_id=me.viewer.user_id)
    )
    return reply(registry.public_agency(agency), 201)


routes = [
    Route("/api/v1/agencies", list_agencies, methods=["GET"]),
    Route("/api/v1/agencies", create_agency, methods=["POST"]),
]
