"""A session in progress: presiding, the live state built from the log and how each event applies to
it, and who sees which event. See docs/live.md.

The top of the session subsystems: presiding opens votes, stops speakers and drafts the minutes.
"""
