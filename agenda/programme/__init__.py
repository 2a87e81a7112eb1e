"""The work programme: its items and their status (`programme.py`), postponements and the CSV
import. See docs/programme.md.

Above the papers: an item's readiness reads which kinds its dossier holds. Adding a paper needs the
item and tells the meetings, so that lives in agenda/meetings/dossier.py.
"""
