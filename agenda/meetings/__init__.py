"""Meetings and their agenda: the meeting, publishing, the agenda items (reads apart from writes),
attendance, speakers, positions, reading, the agenda cache, and adding papers to a dossier.
See docs/agenda.md.

`dossier.py` is here, not in papers/, because a new paper is logged on every meeting that lists
its item. `agenda_items.py` (reads) is below positions and speakers; `agenda_edits.py` (writes)
and `publishing.py` are above them, so no two modules import each other.
"""
