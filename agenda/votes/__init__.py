"""Votes in a session: opening and closing, ballots, the tally."""
