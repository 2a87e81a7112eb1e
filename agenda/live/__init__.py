"""A session in progress: presiding, the live state and who sees which event."""
