"""The event log: the `Event` table and its hash chain (`events.py`), every typed event
(`event_kinds.py`, one concept, kept whole) and bulk appends (`bulk.py`). See docs/events.md.

Near the bottom of the domain: every subsystem appends here; it imports only the kernel.
"""
