"""The sealed result record of a closed vote (docs/signatures.md "Vote records"); the minutes list
them (meeting_app/api/minutes.py `vote_records_of`).

- GET /api/v1/votes/{id}/record.pdf: the file byte for byte as sealed, the fetch logged, for
  whoever reads the meeting's minutes and sees the vote's agenda item (404 otherwise; 403 for a
  role that reads no minutes); 409 `not_sealed` until the seal is on it.
"""

from __future__ import annotations

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenda.record import vote_records
from agenda.storage import original_path
from meeting_app.api.common import ident
from meeting_app.api.minutes import pdf_response
from meeting_app.api.spec import PDF, operation
from meeting_app.auth import api_user
from meeting_app.context import ctx

QUESTION_IN_NAME = 80  # characters of the question in the file's name


@operation(
    "A closed vote's result record as sealed with the organisation's certificate (application/pdf)",
    description="The question and the rule, the electorate, named ballots for a named vote and totals "
    "only for a secret one, the result and the hash of the vote's close event; served byte for byte "
    "as signed, the fetch logged. 404 when the vote's agenda item is not visible to the caller; "
    "409 not_sealed until the seal is on it.",
    who="secretariat, chair, invited members who see the vote's agenda item",
    responses={200: PDF},
)
async def vote_record_pdf(request: Request) -> Response:
    me = await api_user(request)
    app, vote_id = ctx(request), ident(request)
    found, vote = await app.db.write(lambda s: vote_records.readable_record(s, vote_id, me.viewer))
    data: bytes = await anyio.to_thread.run_sync(
        original_path(app.settings.data_dir, found.sha256).read_bytes
    )
    name = f"Biên bản kết quả biểu quyết – {vote.question[:QUESTION_IN_NAME]}"
    return pdf_response(data, name, "bien-ban-bieu-quyet")


routes = [Route("/api/v1/votes/{id:int}/record.pdf", vote_record_pdf, methods=["GET"])]
