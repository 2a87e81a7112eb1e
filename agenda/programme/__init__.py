"""The work programme: its items and the CSV import."""
