"""Briefing books: what goes in (`briefing.py`), the plan (`plan.py`), its own pages
(`book_pages.py`) and the PDF assembly (`book_build.py`). See docs/papers.md.
"""
