"""Accounts, members and the bell (each user's notifications). See docs/security.md.

The bell knows nothing of what rings it: the opinion ballots' messages are
agenda/polls/reminders.py, which builds on it, so people sit below polls.
"""
