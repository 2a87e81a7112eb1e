"""Votes in a session: `models.py` (tables, reads), `lifecycle.py` (create, open, close),
`ballots.py` (casting), `tally.py` (count, decide, recount). See docs/rules.md.
"""
