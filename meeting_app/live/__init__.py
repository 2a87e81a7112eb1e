"""A session as it happens: the hub and the WebSocket feeds, the dispatcher and the listener that
bring them committed events, the ballot box, and the mailer behind the bell. See docs/live.md."""
