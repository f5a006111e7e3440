"""Every user-visible string, in English and in the languages translated from it.

English is the source: the package `sibot.texts.en` has one module per feature, each holding
`MESSAGES`, a dict from a dotted key ("session.hold") to a `str.format` template, or to a `Plural`
for counted phrases; a key defined twice is an error at import. The other languages are standard
gettext catalogs kept with Babel in `locale/` (see "Languages" in the README): the key is the
msgctxt and the English text the msgid, so a translation whose English changed is not used until
a translator has looked at it again. Any message a language lacks is shown in English.

Code asks for texts only through `text()` and `plural()`, never by building sentences itself, and
for dates, times and numbers through the `format_*` helpers, which follow the language's locale.
"""

from __future__ import annotations

import gettext
import importlib
import pkgutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

from sibot.texts.formats import (
    format_date,
    format_datetime,
    format_day_month,
    format_decimal,
    format_time,
    language_name,
    zone_name,
)

DEFAULT_LANGUAGE = "en"
DOMAIN = "sibot"
LOCALE_DIR = Path(__file__).parent / "locale"


@dataclass(frozen=True, slots=True)
class Plural:
    """The English forms of a counted phrase. Translations have as many forms as their language's
    gettext Plural-Forms say (Russian: three), and gettext picks one for each count."""

    one: str
    other: str


# A language's message: a template, a Plural (English), or the gettext plural forms (translations).
Message = str | Plural | tuple[str, ...]


@cache
def _english() -> dict[str, str | Plural]:
    package = importlib.import_module(f"{__name__}.{DEFAULT_LANGUAGE}")
    merged: dict[str, str | Plural] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for key, value in getattr(module, "MESSAGES", {}).items():
            if key in merged:
                raise ValueError(f"text key {key!r} is defined twice in the English catalog")
            merged[key] = value
    return merged


def catalog_path(language: str, suffix: str = ".po") -> Path:
    """Where a language's catalog lives: its source (.po) or what the bot reads (.mo)."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


@cache
def _available() -> tuple[str, ...]:
    translated = sorted(
        entry.name
        for entry in LOCALE_DIR.iterdir()
        if entry.is_dir() and catalog_path(entry.name, ".mo").is_file()
    )
    return (DEFAULT_LANGUAGE, *translated)


def available_languages() -> list[str]:
    """English first, then every language with a compiled catalog."""
    return list(_available())


@cache
def _translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of `language`; for English (or an unknown language) no translation."""
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


@cache
def catalog(language: str) -> dict[str, Message]:
    """The messages of one language: for English all of them; for another, the ones its
    translators finished for the current English (fuzzy or partial ones are not). Unknown
    languages get English. The bot itself reads the compiled catalog, through gettext."""
    if language == DEFAULT_LANGUAGE or language not in _available():
        return dict(_english())
    with catalog_path(language).open("rb") as source_file:
        translated = read_po(source_file, locale=language)
    english = _english()
    messages: dict[str, Message] = {}
    for message in translated:
        source = english.get(message.context or "")
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if source is None or message.fuzzy or not all(forms):
            continue
        if isinstance(source, Plural) and message.id == (source.one, source.other):
            messages[message.context] = tuple(message.string)
        elif message.id == source:
            messages[message.context] = message.string
    return messages


def text(language: str, key: str, /, **values: object) -> str:
    """The text for `key` in `language` (English where the language lacks it), filled in."""
    english = _english()[key]
    if isinstance(english, Plural):
        raise TypeError(f"text key {key!r} is a plural; use plural()")
    template = _translations(language).pgettext(key, english)
    return template.format(**values) if values else template


def plural(language: str, key: str, count: int, /, **values: object) -> str:
    """The counted phrase for `key`, in the form `count` needs; `{count}` is filled in."""
    forms = _english()[key]
    if not isinstance(forms, Plural):
        raise TypeError(f"text key {key!r} is not a plural; use text()")
    template = _translations(language).npgettext(key, forms.one, forms.other, count)
    return template.format(count=count, **values)


__all__ = [
    "DEFAULT_LANGUAGE",
    "Message",
    "Plural",
    "available_languages",
    "catalog",
    "format_date",
    "format_datetime",
    "format_day_month",
    "format_decimal",
    "format_time",
    "language_name",
    "plural",
    "text",
    "zone_name",
]
