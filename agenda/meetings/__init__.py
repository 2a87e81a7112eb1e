"""Meetings, their agenda items, attendance, speakers, positions and reading."""
