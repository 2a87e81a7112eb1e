"""Search. See docs/search.md.

Two layers in one package: `index.py` (the tables) is near the bottom, written by each subsystem
in its own transaction; `queries.py` is near the top, since it reads every subsystem it searches
and asks each one's visibility rules. `text_search.py` (folding, snippets) is kernel-level.
"""
