"""Translations: Vietnamese is the source language; English comes from a gettext catalog.

The catalog is `meeting_app/translations/en/LC_MESSAGES/messages.po`, read once with Babel.
The language of the current request lives in a context variable, so templates, error
messages and JSON all speak the viewer's language without passing it around.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from agenda.people.accounts import LOCALES

DEFAULT_LOCALE = "vi"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"

_locale: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)


@cache
def catalog(locale: str) -> Mapping[str, str | tuple[str, ...]]:
    """msgid -> msgstr for `locale`; empty for the source language."""
    path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    if locale == DEFAULT_LOCALE or not path.exists():
        return {}
    with path.open("rb") as handle:
        messages = read_po(handle, locale=locale)
    found: dict[str, str | tuple[str, ...]] = {}
    for message in messages:
        if not message.id or not message.string or message.fuzzy:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        found[key] = message.string if isinstance(message.string, str) else tuple(message.string)
    return found


def current_locale() -> str:
    return _locale.get()


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    token = _locale.set(locale if locale in LOCALES else DEFAULT_LOCALE)
    try:
        yield
    finally:
        _locale.reset(token)


def set_locale(locale: str) -> None:
    """Set the language for the rest of this request's context."""
    _locale.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def gettext(message: str) -> str:
    found = catalog(_locale.get()).get(message)
    if isinstance(found, str):
        return found
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    found = catalog(_locale.get()).get(singular)
    if isinstance(found, tuple) and len(found) >= 2:
        return found[0] if n == 1 else found[1]
    if isinstance(found, str):
        return found
    return singular if n == 1 else plural


def translate(message: str, params: Mapping[str, Any] | None = None) -> str:
    """Translate a marked message and fill in its `{name}` parameters."""
    text = gettext(message)
    if not params:
        return text
    shown = {k: ", ".join(map(str, v)) if isinstance(v, list | tuple) else v for k, v in params.items()}
    try:
        return text.format(**shown)
    except (KeyError, IndexError, ValueError):
        return text


def negotiate(accept_language: str | None) -> str:
    """The best supported language from an Accept-Language header; Vietnamese by default."""
    best, best_q = DEFAULT_LOCALE, 0.0
    for part in (accept_language or "").split(",")[:20]:
        piece = part.strip().split(";")
        tag = piece[0].strip().lower().split("-")[0]
        q = 1.0
        for param in piece[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag in LOCALES and q > best_q:
            best, best_q = tag, q
    return best
