"""The record of a session: minutes, the resolution, the audit of the log."""
