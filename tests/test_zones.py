"""Turning what a patient types or shares into a time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers.render import local_now_label
from sibot.zones import (
    candidate_zones,
    is_valid_zone,
    match_zone,
    zone_for_language,
    zone_for_location,
    zone_for_utc_offset,
)
from sibot.texts import zone_name


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Berlin", "Europe/Berlin"),
        ("berlin", "Europe/Berlin"),
        ("Tokyo", "Asia/Tokyo"),
        ("São Paulo", "America/Sao_Paulo"),
        ("Sao Paulo", "America/Sao_Paulo"),
        ("europe/lisbon", "Europe/Lisbon"),
        ("Paris", "Europe/Paris"),
        ("London", "Europe/London"),
        ("Berln", "Europe/Berlin"),
        ("CET", "Europe/Berlin"),
        ("UTC+3", "Etc/GMT-3"),
        ("GMT-5", "Etc/GMT+5"),
        ("+05:30", "Asia/Kolkata"),
        ("Lord Howe", "Australia/Lord_Howe"),
    ],
)
def test_a_clear_answer_gives_one_zone(typed: str, zone: str) -> None:
    assert [match.zone for match in candidate_zones(typed)] == [zone]


def test_a_name_many_cities_share_offers_a_choice() -> None:
    zones = [match.zone for match in candidate_zones("Springfield")]
    assert len(zones) > 1
    assert "America/Chicago" in zones and "America/New_York" in zones


def test_typos_are_forgiven_with_the_intended_city_first() -> None:
    matches = candidate_zones("Berln")
    assert matches[0].zone == "Europe/Berlin"
    assert len(matches) <= 5


@pytest.mark.parametrize("typed", ["", "   ", "xqzzy", "Atlantis Prime", "UTC+15", "+3:75"])
def test_nonsense_gives_no_zone(typed: str) -> None:
    assert candidate_zones(typed) == []


def test_match_zone_names_a_city_only_where_the_zone_is_not_named_after_it() -> None:
    tokyo = match_zone("Tokyo")[0]
    assert zone_name("en", tokyo.zone, tokyo.city, tokyo.country_code) == "Tokyo, Japan (Asia/Tokyo)"
    portland = candidate_zones("Portland, Oregon") or match_zone("Portland")
    assert (portland[0].city, portland[0].country_code) == ("Portland", "US")
    assert zone_name("ru", portland[0].zone, portland[0].city, portland[0].country_code) == (
        f"Portland, Соединенные Штаты ({portland[0].zone})"
    )


@pytest.mark.parametrize(
    ("language", "name"),
    [
        ("en", "Berlin, Germany (Europe/Berlin)"),
        ("de", "Berlin, Deutschland (Europe/Berlin)"),
        ("es", "Berlín, Alemania (Europe/Berlin)"),
        ("ru", "Берлин, Германия (Europe/Berlin)"),
    ],
)
def test_a_zone_is_named_in_the_patients_language(language: str, name: str) -> None:
    assert zone_name(language, "Europe/Berlin") == name
    assert zone_name(language, "Europe/Kiev").endswith("(Europe/Kiev)")  # an old alias still named


@pytest.mark.parametrize(("zone", "label"), [("Etc/GMT-3", "UTC+3"), ("Etc/GMT+10", "UTC-10"), ("UTC", "UTC"), ("Etc/UTC", "Etc/UTC")])
def test_fixed_offsets_are_named_the_way_people_say_them(zone: str, label: str) -> None:
    assert zone_name("ru", zone) == label


def test_offsets_outside_the_earth_are_refused() -> None:
    assert zone_for_utc_offset("UTC+14") == "Etc/GMT-14"
    assert zone_for_utc_offset("UTC-13") is None
    assert zone_for_utc_offset("Berlin") is None


def test_a_shared_location_gives_its_zone_and_the_ocean_none() -> None:
    assert zone_for_location(52.52, 13.405) == "Europe/Berlin"
    assert zone_for_location(-33.87, 151.21) == "Australia/Sydney"
    assert zone_for_location(0.0, -30.0) is None
    with pytest.raises(ValueError):
        zone_for_location(95.0, 0.0)


@pytest.mark.parametrize(("code", "zone"), [("de", "Europe/Berlin"), ("pt-BR", "America/Sao_Paulo"), ("en", None), (None, None)])
def test_the_language_suggests_a_zone_only_where_it_is_a_fair_guess(code: str | None, zone: str | None) -> None:
    assert zone_for_language(code) == zone


def test_local_now_is_the_wall_clock_of_the_zone() -> None:
    now = datetime(2026, 3, 2, 7, 5, tzinfo=UTC)
    assert local_now_label("Asia/Tokyo", now) == "16:05, Monday"
    assert local_now_label("America/Los_Angeles", now) == "23:05, Sunday"
    assert is_valid_zone("Asia/Tokyo") and not is_valid_zone("asia/tokyo")
