"""The WebSocket close codes eCabinet uses, in one place. See docs/live.md "Close codes".

Their values are part of the API contract (../shared/API.md "Live feed"): the tablets (static/js/live.js,
static/js/bell.js) act on them, so a value never changes.
"""

from __future__ import annotations

from enum import IntEnum


class CloseCode(IntEnum):
    POLICY = 1008  # the Host is not one of ALLOWED_HOSTS (security.TrustedHosts)
    RESTARTING = 1012  # the server is restarting: reconnect, maybe to another process
    TOO_SLOW = 1013  # the socket fell a full queue behind: reconnect and resume
    CLIENT_QUIET = 4000  # sent by the browser only: it drops a silent socket or reconnects on purpose
    SESSION_ENDED = 4401  # the login session ended (logout, expiry, deactivation): log in again
    REFUSED = 4403  # before accept: bad Origin, no session, or a meeting the viewer may not see
