"""Finding a quoted passage in a version's pages: the W3C Web Annotation `TextQuoteSelector`
(exact, prefix, suffix) with the page as a hint. See docs/annotations.md "Anchoring".

Plain data in and out (no database): it runs in the PDF pool when a new version re-anchors a
document's annotations, and in the request when a new annotation's quote is checked.

Both sides are normalised the same way (`normalise`: Unicode NFC, every run of whitespace one
space), the way the reader normalises pdf.js's text layer. A quote is looked for in passes, each
over the hint page first and then the others, nearest first:

1. exact: the quote as it is; among several places, the one whose surrounding text agrees most
   with the prefix and the suffix;
2. spacing-insensitive: the same without any whitespace (pypdf and pdf.js do not always break
   a line or space the words the same way);
3. diacritics-insensitive: also without Vietnamese diacritics and case (`fold`: đ -> d), so a
   quote taken from a text layer that lost its diacritics (or gained them) still anchors;
4. fuzzy: a window of the folded page whose difflib ratio with the folded quote is at least
   FUZZY_RATIO (a few words edited), for quotes of at least FUZZY_MIN characters and three
   words, among the windows that hold at least half of the quote's word pairs.

Not found anywhere: the annotation is orphaned (the caller keeps its old quote).
"""

from __future__ import annotations

import difflib
import itertools
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from agenda.papers.pdf_check import clean_text, extract_pages

CONTEXT = 32  # characters of prefix and suffix kept around a passage found again
FUZZY_RATIO = 0.85
FUZZY_MIN = 12  # characters (folded) a quote needs for a fuzzy match
FUZZY_SHINGLES = 0.5  # share of the quote's word pairs a window must hold to be compared
FUZZY_CANDIDATES = 3  # windows compared character by character, best first
MAX_PAGE_CHARS = 200_000  # of one page's text kept for anchoring
EXTRACT_SECONDS = 60.0
EXACT, SPACING, FOLDED, FUZZY = "exact", "spacing", "folded", "fuzzy"


def normalise(text: str) -> str:
    """NFC, whitespace runs collapsed to one space, trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def normalise_context(text: str) -> str:
    """A prefix or suffix normalised like the text, but keeping a space at either end (the
    space between the context and the quote matters to where it stands)."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text))


def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    return base.lower()


@dataclass(frozen=True)
class View:
    """A normalised text seen through a fold: `text` is the folded string and `origin[i]` the index
    in the normalised text of the character folded into `text[i]`."""

    text: str
    origin: list[int]

    @classmethod
    def of(cls, source: str, fold: Callable[[str], str]) -> View:
        out: list[str] = []
        origin: list[int] = []
        for index, ch in enumerate(source):
            for piece in fold(ch):
                out.append(piece)
                origin.append(index)
        return cls("".join(out), origin)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The normalised text's span of the folded span [start, end)."""
        return self.origin[start], self.origin[end - 1] + 1


def _same(ch: str) -> str:
    return ch


def _no_space(ch: str) -> str:
    return "" if ch.isspace() else ch


def _folded(ch: str) -> str:
    return "" if ch.isspace() else _fold_char(ch)


def fold(text: str) -> str:
    """`text` without whitespace, diacritics or case (the third pass's view), for tests and search."""
    return View.of(normalise(text), _folded).text


FOLDS: tuple[tuple[str, Callable[[str], str]], ...] = (
    (EXACT, _same),
    (SPACING, _no_space),
    (FOLDED, _folded),
)


@dataclass(frozen=True)
class Quote:
    exact: str
    prefix: str = ""
    suffix: str = ""
    page: int = 1  # 1-based hint


@dataclass(frozen=True)
class Anchor:
    page: int
    exact: str  # the passage as the page has it (normalised)
    prefix: str
    suffix: str
    method: str  # exact, spacing, folded, fuzzy


def _agreement(before: str, after: str, prefix: str, suffix: str) -> int:
    """How many characters of the prefix (from its end) and the suffix (from its start) agree."""
    score = 0
    for a, b in zip(reversed(before), reversed(prefix), strict=False):
        if a != b:
            break
        score += 1
    for a, b in zip(after, suffix, strict=False):
        if a != b:
            break
        score += 1
    return score


def _occurrences(haystack: str, needle: str) -> Iterable[int]:
    start = haystack.find(needle)
    while start != -1:
        yield start
        start = haystack.find(needle, start + 1)


def _anchor(page_number: int, page: str, start: int, end: int, method: str) -> Anchor:
    return Anchor(
        page=page_number,
        exact=page[start:end].strip(),
        prefix=page[max(0, start - CONTEXT) : start],
        suffix=page[end : end + CONTEXT],
        method=method,
    )


class Pages:
    """A version's page texts, normalised, with each page's folded views and words worked out
    once (a re-anchoring run looks for many quotes in the same pages)."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = [normalise(t)[:MAX_PAGE_CHARS] for t in texts]
        self._views: dict[tuple[str, int], View] = {}
        self._words: dict[int, list[tuple[str, int, int]]] = {}

    def __len__(self) -> int:
        return len(self.texts)

    def text(self, number: int) -> str:
        return self.texts[number - 1]

    def view(self, method: str, folding: Callable[[str], str], number: int) -> View:
        key = (method, number)
        if key not in self._views:
            self._views[key] = View.of(self.text(number), folding)
        return self._views[key]

    def words(self, number: int) -> list[tuple[str, int, int]]:
        """(folded word, start, end) of each word of the page's normalised text."""
        if number not in self._words:
            self._words[number] = [
                (fold(m.group()), m.start(), m.end()) for m in _WORD.finditer(self.text(number))
            ]
        return self._words[number]


_WORD = re.compile(r"\S+")


def _find_exact(view: View, quote: Quote, folding: Callable[[str], str]) -> tuple[int, int] | None:
    needle = View.of(normalise(quote.exact), folding).text
    if not needle:
        return None
    prefix = View.of(normalise_context(quote.prefix), folding).text
    suffix = View.of(normalise_context(quote.suffix), folding).text
    best: tuple[int, int] | None = None
    best_score = -1
    for start in _occurrences(view.text, needle):
        end = start + len(needle)
        score = _agreement(view.text[:start], view.text[end:], prefix, suffix)
        if score > best_score:
            best, best_score = view.span(start, end), score
    return best


def _best_window(haystack: str, needle: str) -> tuple[float, int, int] | None:
    """The window of `haystack` (a few words around a candidate) most like `needle`: its ratio
    and span, the ends refined a character at a time."""
    size = len(needle)
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(needle)
    best: tuple[float, int, int] | None = None
    step = max(1, size // 8)
    for start in range(0, max(1, len(haystack) - size + step), step):
        matcher.set_seq1(haystack[start : start + size])
        if matcher.real_quick_ratio() < FUZZY_RATIO or matcher.quick_ratio() < FUZZY_RATIO:
            continue
        ratio = matcher.ratio()
        if best is None or ratio > best[0]:
            best = (ratio, start, start + size)
    if best is None:
        return None
    ratio, start, end = best
    for _ in range(2):
        tries = [(s, end) for s in range(max(0, start - step), start + step)]
        tries += [(start, e) for e in range(end - step, min(len(haystack), end + step) + 1)]
        for new_start, new_end in tries:
            if new_end - new_start < 1:
                continue
            matcher.set_seq1(haystack[new_start:new_end])
            found = matcher.ratio()
            if found > ratio:
                ratio, start, end = found, new_start, new_end
    return (ratio, start, end) if ratio >= FUZZY_RATIO else None


def _find_fuzzy(pages: Pages, order: list[int], quote: Quote) -> tuple[int, int, int] | None:
    """(page, start, end) of the passage most like the quote, or None.

    Candidates first, cheaply: the window of the quote's length in words holding most of the
    quote's word pairs (folded), on each page; at least FUZZY_SHINGLES of them. Only the best
    few candidates are compared character by character (difflib), so a long document costs a
    pass over its words per quote, not a comparison at every position.
    """
    words = [fold(w) for w in normalise(quote.exact).split()]
    needle = "".join(words)
    if len(words) < 3 or len(needle) < FUZZY_MIN:
        return None
    pairs = set(itertools.pairwise(words))
    width = len(words) - 1
    need = FUZZY_SHINGLES * width
    candidates: list[tuple[int, int, int, int]] = []  # (-score, rank in order, page, first word)
    for rank, number in enumerate(order):
        found = [w for w, _s, _e in pages.words(number)]
        hits = [1 if (found[i], found[i + 1]) in pairs else 0 for i in range(len(found) - 1)]
        score = best_score = sum(hits[:width])
        best_at = 0
        for i in range(1, len(hits) - width + 1):
            score += hits[i + width - 1] - hits[i - 1]
            if score > best_score:
                best_score, best_at = score, i
        if hits and best_score >= need:
            candidates.append((-best_score, rank, number, best_at))
    for _score, _rank, number, first in sorted(candidates)[:FUZZY_CANDIDATES]:
        spans = pages.words(number)
        low = spans[max(0, first - 3)][1]
        high = spans[min(len(spans) - 1, first + len(words) + 3)][2]
        region = View.of(pages.text(number)[low:high], _folded)
        window = _best_window(region.text, needle)
        if window is not None:
            start, end = region.span(window[1], window[2])
            return number, low + start, low + end
    return None


def page_order(hint: int, count: int) -> list[int]:
    """1-based page numbers: the hint first, then the others, nearest first (the next before the
    previous)."""
    hint = min(max(1, hint), count) if count else 1
    others = sorted((p for p in range(1, count + 1) if p != hint), key=lambda p: (abs(p - hint), p < hint))
    return [hint, *others] if count else []


def find(
    pages: Sequence[str] | Pages, quote: Quote, *, fuzzy: bool = True, only_hint: bool = False
) -> Anchor | None:
    """Where `quote` stands in `pages` (each page's text, in order), or None.

    `only_hint`: look on the hint page alone (checking a new annotation's quote). `fuzzy`: allow
    the fourth pass.
    """
    found = pages if isinstance(pages, Pages) else Pages(pages)
    order = page_order(quote.page, len(found))
    if only_hint:
        order = [quote.page] if 1 <= quote.page <= len(found) else []
    for method, folding in FOLDS:
        for number in order:
            span = _find_exact(found.view(method, folding, number), quote, folding)
            if span is not None:
                return _anchor(number, found.text(number), *span, method)
    if not fuzzy:
        return None
    near = _find_fuzzy(found, order, quote)
    return None if near is None else _anchor(near[0], found.text(near[0]), near[1], near[2], FUZZY)


def reanchor_all(
    pages: Sequence[str], quotes: Sequence[tuple[int, Quote]]
) -> list[tuple[int, Anchor | None]]:
    """Each (id, quote) found again in `pages`: (id, anchor or None). For the PDF pool."""
    found = Pages(pages)
    return [(ident, find(found, quote)) for ident, quote in quotes]


def page_texts_of(path: Path) -> list[str]:
    """Each page's text of a stored original (already checked at upload), cleaned as search's
    text is (agenda/papers/pdf_check.py); for the PDF pool."""
    from pypdf import PdfReader

    until = time.monotonic() + EXTRACT_SECONDS
    reader = PdfReader(str(path), strict=False)
    texts = [clean_text(text)[:MAX_PAGE_CHARS] for text in extract_pages(reader, until=until)]
    count = len(reader.pages)
    return texts + [""] * (count - len(texts))  # pages past the time limit: no text
