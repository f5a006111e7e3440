"""Texts for showing a patient the time in a zone."""

MESSAGES = {
    "zones.local_now": "{time}, {weekday}",
    "zones.weekday.0": "Monday",
    "zones.weekday.1": "Tuesday",
    "zones.weekday.2": "Wednesday",
    "zones.weekday.3": "Thursday",
    "zones.weekday.4": "Friday",
    "zones.weekday.5": "Saturday",
    "zones.weekday.6": "Sunday",
}
