"""Folding Vietnamese text for search, and snippets with their highlights. See docs/search.md.

`fold` is applied to the indexed text and to the query alike, so "nghi dinh", "Nghị định" and
"NGHỊ ĐỊNH" are the same two words. Snippets are cut from the original text, with its
diacritics: `Highlighter` finds the query's words there through character classes that
accept every letter folding to the same base letter, so the original never has to be folded
(a paper's text may be megabytes long).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache

from agenda.text import one_line

# Combining marks (the Vietnamese tones and vowel marks after NFKD, and their relatives).
MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_MARKS_RE = re.compile(f"[{MARKS}]+")
_LETTER_D = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})
WORD_RE = re.compile(r"[^\W_]+")  # what both index tokenizers treat as one word

MAX_QUERY_CHARS = 200
MAX_QUERY_TERMS = 12
MAX_TERM_CHARS = 64  # longer runs of letters (encoded blobs) are not words anyone searches for
# The indexed body of a long text: each word once, in order, within these bounds. PostgreSQL
# refuses a tsvector over 1 MB; this keeps any text far below it.
MAX_INDEX_WORDS = 30_000
MAX_INDEX_CHARS = 400_000
SNIPPET_CHARS = 220
SNIPPET_LEAD = 60  # how much text comes before the first match
MAX_SNIPPET_SCAN = 250_000  # characters of a text searched for a match; past them, its beginning


def fold(text: str) -> str:
    """`text` lowercased, without diacritics, with đ as d: NFKD, combining marks dropped."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return _MARKS_RE.sub("", decomposed).translate(_LETTER_D)


def words(folded: str) -> list[str]:
    return WORD_RE.findall(folded)


def index_body(text: str) -> str:
    """A long text as its index holds it: folded, each word once, within the bounds above."""
    seen: dict[str, None] = {}
    size = 0
    for word in WORD_RE.finditer(fold(text)):
        token = word.group()
        if len(token) > MAX_TERM_CHARS or token in seen:
            continue
        size += len(token) + 1
        if size > MAX_INDEX_CHARS or len(seen) >= MAX_INDEX_WORDS:
            break
        seen[token] = None
    return " ".join(seen)


def index_title(text: str) -> str:
    return " ".join(words(fold(text)))


def query_terms(query: str) -> list[str]:
    """The words of a query, folded, duplicates dropped, at most MAX_QUERY_TERMS."""
    found: dict[str, None] = {}
    for token in words(fold(query.replace("\x00", " "))):
        found.setdefault(token[:MAX_TERM_CHARS], None)
    return list(found)[:MAX_QUERY_TERMS]


# --- finding the words in the original text -------------------------------------------------------


@cache
def _letter_classes() -> dict[str, str]:
    """For each folded letter or digit, every character (Latin, Vietnamese, full-width) folding to it."""
    classes: dict[str, set[str]] = {}
    ranges = (range(0x30, 0x250), range(0x1E00, 0x1F00), range(0xFF10, 0xFF5B))
    for codepoint in (c for r in ranges for c in r):
        char = chr(codepoint)
        folded = fold(char)
        if len(folded) == 1 and folded.isalnum():
            found = classes.setdefault(folded, {folded})
            found.add(char)
            if len(folded.upper()) == 1:
                found.add(folded.upper())
    return {letter: "".join(sorted(chars)) for letter, chars in classes.items()}


def _term_pattern(term: str, *, prefix: bool) -> str:
    classes = _letter_classes()
    parts = []
    for char in term:
        chars = classes.get(char, char + char.upper())
        parts.append(f"[{re.escape(chars)}][{MARKS}]*")
    tail = "" if prefix else r"(?![^\W_])"
    return r"(?<![^\W_])" + "".join(parts) + tail


class Highlighter:
    """Where a query's words are in an original text, whatever its diacritics or case."""

    def __init__(self, terms: Iterable[str]) -> None:
        terms = list(terms)
        patterns = [_term_pattern(t, prefix=n == len(terms) - 1) for n, t in enumerate(terms)]
        self.any = re.compile("|".join(patterns), re.IGNORECASE) if patterns else None
        self.phrase = re.compile(r"[\W_]+".join(patterns), re.IGNORECASE) if len(patterns) > 1 else None

    def spans(self, text: str) -> list[tuple[int, int]]:
        if self.any is None:
            return []
        return [(m.start(), m.end()) for m in self.any.finditer(text)]

    def first(self, text: str) -> int | None:
        """Where the best place to cut a snippet starts: the words together, else the first one."""
        scanned = text[:MAX_SNIPPET_SCAN]
        for pattern in (self.phrase, self.any):
            if pattern is not None:
                found = pattern.search(scanned)
                if found is not None:
                    return found.start()
        return None


def tidy(text: str) -> str:
    """One line of plain text: control and bidi characters gone, whitespace collapsed."""
    return one_line(text)


def snippet(
    text: str, highlighter: Highlighter, *, width: int = SNIPPET_CHARS
) -> tuple[str, list[tuple[int, int]]]:
    """A short plain-text extract of `text` around the query's words, and where they are in it.

    The offsets are [start, end) in Unicode code points of the returned snippet.
    """
    if not text:
        return "", []
    at = highlighter.first(text)
    start = 0 if at is None else max(0, at - SNIPPET_LEAD)
    end = start + width + 2 * MAX_TERM_CHARS
    window = text[start:end]
    more = end < len(text)
    if start > 0:  # begin at a word, not inside one
        cut = re.search(r"\s", window[:SNIPPET_LEAD])
        if cut is not None:
            window = window[cut.end() :]
    shown = tidy(window)
    if len(shown) > width:
        cut_at = shown.rfind(" ", 0, width)
        shown = shown[: cut_at if cut_at > width // 2 else width]
        more = True
    if start > 0:
        shown = "… " + shown
    if more:
        shown = shown.rstrip() + " …"
    return shown, highlighter.spans(shown)
