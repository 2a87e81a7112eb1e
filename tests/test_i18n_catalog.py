"""Every user-facing string has an English translation, with the same `{placeholders}`.

Vietnamese is the source language. The msgids come from the templates (`{{ _("...") }}`, Jinja's
Babel extractor) and from the Python code (`N_("...")` and `_("...")`, Babel's Python extractor)
in agenda/ and meeting_app/.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "meeting_app" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def extracted() -> dict[str, list[str]]:
    """msgid -> where it was found ("path:line")."""
    found: dict[str, list[str]] = {}
    sources = [
        (ROOT / "templates", [("**.html", "jinja2.ext:babel_extract")], {"**.html": JINJA_OPTIONS}),
        (ROOT / "agenda", [("**.py", "python")], {}),
        (ROOT / "meeting_app", [("**.py", "python")], {}),
    ]
    for directory, method_map, options in sources:
        messages = extract_from_dir(
            directory,
            method_map=method_map,
            options_map=options,
            keywords={"N_": None, "_": None, "gettext": None},
            comment_tags=(),
            strip_comment_tags=True,
        )
        for filename, lineno, message, _comments, _context in messages:
            msgid = message if isinstance(message, str) else message[0]
            if msgid:
                found.setdefault(msgid, []).append(f"{directory.name}/{filename}:{lineno}")
    return found


def translations() -> dict[str, str]:
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    return {
        str(m.id): str(m.string)
        for m in catalog
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string and not m.fuzzy
    }


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_the_extractors_find_messages() -> None:
    found = extracted()
    assert "Đăng nhập" in found  # templates
    assert "Không tìm thấy." in found  # agenda/errors.py
    assert "Bạn cần đăng nhập." in found  # meeting_app/errors.py


def test_every_message_has_an_english_translation() -> None:
    english = translations()
    missing = {msgid: where[0] for msgid, where in extracted().items() if msgid not in english}
    assert not missing, "no English for:\n" + "\n".join(f"  {w}: {m!r}" for m, w in sorted(missing.items()))


def test_placeholders_match() -> None:
    english = translations()
    wrong = []
    for msgid in extracted():
        if msgid not in english:
            continue
        try:
            same = placeholders(msgid) == placeholders(english[msgid])
        except ValueError:  # an unbalanced brace
            same = PLACEHOLDER.findall(msgid) == PLACEHOLDER.findall(english[msgid])
        if not same:
            wrong.append(f"{msgid!r} -> {english[msgid]!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


@pytest.mark.parametrize("text", ["{name}", "Mục {position} còn thiếu: {missing}."])
def test_placeholder_parser(text: str) -> None:
    assert placeholders(text) == set(PLACEHOLDER.findall(text))
