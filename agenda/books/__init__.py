"""Briefing books: what goes in, how the PDF is assembled, its own pages."""
