"""The record of a session: what happened, the minutes and their workflow, the PDFs, and the audit of
the log. See docs/minutes.md.

Above votes and meetings, below live (presiding drafts the minutes when the session adjourns).
"""
