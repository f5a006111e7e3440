"""Every user-visible string, one catalog per language.

A catalog is a package `sibot.texts.<language>` whose modules each hold `MESSAGES`, a dict from a
dotted key ("session.hold") to a `str.format` template, or to a `Plural` for counted phrases. The
package merges them; a key defined twice is an error at import. Code asks for texts only through
`text()` and `plural()`, never by building sentences itself.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import cache
from types import ModuleType

DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True, slots=True)
class Plural:
    """The forms of a counted phrase; `one` and `other` are enough for English."""

    one: str
    other: str
    few: str | None = None
    many: str | None = None


def _load(language: str) -> dict[str, str | Plural]:
    package: ModuleType = importlib.import_module(f"{__name__}.{language}")
    merged: dict[str, str | Plural] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for key, value in getattr(module, "MESSAGES", {}).items():
            if key in merged:
                raise ValueError(f"text key {key!r} is defined twice in the {language} catalog")
            merged[key] = value
    return merged


@cache
def catalog(language: str) -> dict[str, str | Plural]:
    """The merged catalog of one language; unknown languages fall back to English."""
    try:
        return _load(language)
    except ModuleNotFoundError:
        return _load(DEFAULT_LANGUAGE)


def available_languages() -> list[str]:
    return sorted(info.name for info in pkgutil.iter_modules(__path__) if info.ispkg)


def text(language: str, key: str, /, **values: object) -> str:
    """The text for `key` in `language` (English where the language lacks it), filled in."""
    template = catalog(language).get(key) or catalog(DEFAULT_LANGUAGE)[key]
    if isinstance(template, Plural):
        raise TypeError(f"text key {key!r} is a plural; use plural()")
    return template.format(**values) if values else template


def plural(language: str, key: str, count: int, /, **values: object) -> str:
    """The counted phrase for `key`, in the form `count` needs; `{count}` is filled in."""
    forms = catalog(language).get(key) or catalog(DEFAULT_LANGUAGE)[key]
    if not isinstance(forms, Plural):
        raise TypeError(f"text key {key!r} is not a plural; use text()")
    template = forms.one if count == 1 else forms.other
    return template.format(count=count, **values)
