"""Accounts, members and the bell (each user's notifications)."""
