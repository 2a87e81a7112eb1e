"""What changed between two versions of a paper, passage by passage, with the pages of both
(issue 17, part 4: the reader's diff beside the secretariat's change note).

Runs in the PDF pool on two stored originals (`diff_files`, plain data in and out); the caller
caches the result per pair of versions. Each page's text is read with the same guarded
extraction as search (agenda/papers/pdf_check.py `extract_pages`), split into passages (the
text's lines, whitespace collapsed), and the two sequences of passages are aligned with
difflib's SequenceMatcher over the whole document, so that a passage pushed onto another page
(text inserted or removed before it) is matched where it went, with both page numbers, rather
than reported twice. A passage moved out of order is not detected as a move: it shows as removed
where it was and added where it went. A changed passage also carries a word-level diff, for the
reader to mark the words.

difflib (the standard library) does the alignment: it is the well-kept tool for sequences of
lines; PDF-level comparers (diff-pdf, pdf-diff) compare rendered pixels or need external
programs, and give no text the reader can show beside the note.
"""

from __future__ import annotations

import difflib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agenda.papers.pdf_check import extract_pages

KINDS = {"replace": "changed", "delete": "removed", "insert": "added"}
WORD_DIFF_LIMIT = 4000  # characters a side; longer changed passages get no word-level diff
DIFF_SECONDS = 30.0


@dataclass(frozen=True)
class Passage:
    page: int  # 1-based
    text: str


def passages(pages: list[str]) -> list[Passage]:
    """The non-empty lines of each page, whitespace collapsed, in order."""
    found: list[Passage] = []
    for number, text in enumerate(pages, start=1):
        for line in text.splitlines():
            clean = " ".join(line.split())
            if clean:
                found.append(Passage(number, clean))
    return found


def _side(items: list[Passage]) -> dict[str, Any] | None:
    if not items:
        return None
    return {"pages": sorted({p.page for p in items}), "text": "\n".join(p.text for p in items)}


def _anchor(items: list[Passage], index: int) -> int:
    """The page where a passage missing on this side would stand: the page of the passage it
    comes before (or after, at the end); 1 for an empty document."""
    if index < len(items):
        return items[index].page
    return items[-1].page if items else 1


def _words(old: str, new: str) -> list[dict[str, str]]:
    a, b = old.split(), new.split()
    segments: list[dict[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            segments.append({"op": "equal", "text": " ".join(a[i1:i2])})
            continue
        if i2 > i1:
            segments.append({"op": "delete", "text": " ".join(a[i1:i2])})
        if j2 > j1:
            segments.append({"op": "insert", "text": " ".join(b[j1:j2])})
    return segments


def diff_pages(old_pages: list[str], new_pages: list[str]) -> dict[str, Any]:
    """`{old_pages, new_pages, changes: [{kind, old, new, old_page, new_page, words?}]}`: `old` and
    `new` are `{pages, text}` or None (added, removed); `old_page` / `new_page` say where on each
    side the change stands (for an added passage, where it would have been in the old version)."""
    a, b = passages(old_pages), passages(new_pages)
    matcher = difflib.SequenceMatcher(a=[p.text for p in a], b=[p.text for p in b], autojunk=False)
    changes: list[dict[str, Any]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        change: dict[str, Any] = {
            "kind": KINDS[tag],
            "old": _side(a[i1:i2]),
            "new": _side(b[j1:j2]),
            "old_page": _anchor(a, i1),
            "new_page": _anchor(b, j1),
        }
        if tag == "replace":
            old_text, new_text = change["old"]["text"], change["new"]["text"]
            if len(old_text) <= WORD_DIFF_LIMIT and len(new_text) <= WORD_DIFF_LIMIT:
                change["words"] = _words(old_text, new_text)
        changes.append(change)
    return {"old_pages": len(old_pages), "new_pages": len(new_pages), "changes": changes}


def _pages_of(path: Path, until: float) -> list[str]:
    from pypdf import PdfReader

    return list(extract_pages(PdfReader(str(path), strict=False), until=until))


def diff_files(old_path: Path, new_path: Path) -> dict[str, Any]:
    """`diff_pages` of two stored originals (already checked at upload), in the PDF pool."""
    until = time.monotonic() + DIFF_SECONDS
    return diff_pages(_pages_of(old_path, until), _pages_of(new_path, until))
