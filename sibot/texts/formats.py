"""Dates, times, numbers and language names the way each language writes them (Babel, CLDR)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from functools import cache

from babel import Locale, UnknownLocaleError
from babel import dates, numbers
from babel.core import get_global

# sibot's English has always shown the 24-hour clock ("07:30") and day-month dates, as British
# English does; the other languages use their own CLDR locale.
_LOCALES = {"en": "en_GB"}
_FALLBACK = "en_GB"
_UNKNOWN_REGION = "ZZ"  # CLDR's territory of Etc/UTC and the like
_ETC_OFFSET = re.compile(r"Etc/GMT(?P<sign>[+-])(?P<hours>\d{1,2})")


@cache
def locale_of(language: str) -> Locale:
    try:
        return Locale.parse(_LOCALES.get(language, language))
    except (ValueError, UnknownLocaleError):
        return Locale.parse(_FALLBACK)


def format_time(language: str, moment: time) -> str:
    """A wall time: "07:30" in English, German and Russian, "7:30" in Spanish."""
    return dates.format_time(moment, "short", locale=locale_of(language))


def format_date(language: str, day: date) -> str:
    """A date, in the one format a language uses for a whole document, the same as the date of
    `format_datetime`: "02/03/2026", "02.03.26", "2/3/26", "02.03.2026"."""
    return dates.format_date(day, "short", locale=locale_of(language))


def format_day_month(language: str, day: date) -> str:
    """A short day and month, as under a chart: "2 Mar", "2. März", "2 мар."."""
    return dates.format_skeleton("MMMd", day, locale=locale_of(language))


def format_datetime(language: str, moment: datetime) -> str:
    """A short date and wall time, in the zone `moment` carries: "12/03/2026, 10:00"."""
    return dates.format_datetime(moment, "short", tzinfo=moment.tzinfo, locale=locale_of(language))


def format_decimal(language: str, number: float) -> str:
    """A number with exactly one decimal: "3.5" in English, "3,5" in German."""
    return numbers.format_decimal(number, "0.0", locale=locale_of(language))


def language_name(language: str) -> str:
    """The language's own name, as its speakers write it at the start of a line: "Español"."""
    name = Locale.parse(language).get_display_name(language) or language
    return name[:1].upper() + name[1:]


def zone_name(
    language: str, zone: str, city: str = "", country_code: str = "", *, with_id: bool = True
) -> str:
    """A zone as the patient reads it: its city and country in their language and its IANA name,
    "Берлин, Германия (Europe/Berlin)" (without it when not `with_id`); a fixed offset the way
    people say it, "UTC+3"; else the bare name. `city` and `country_code` name a typed city
    instead of the zone's own place."""
    fixed = _ETC_OFFSET.fullmatch(zone)
    if fixed is not None:
        # POSIX signs are backwards: Etc/GMT-3 is three hours east of UTC.
        return f"UTC{'+' if fixed['sign'] == '-' else '-'}{fixed['hours']}"
    locale = locale_of(language)
    canonical = get_global("zone_aliases").get(zone, zone)
    territory = country_code or get_global("zone_territories").get(canonical)
    if territory in (None, _UNKNOWN_REGION):
        return zone
    country = locale.territories.get(territory, territory)
    place = city or dates.get_timezone_location(canonical, locale=locale, return_city=True)
    return f"{place}, {country} ({zone})" if with_id else f"{place}, {country}"
