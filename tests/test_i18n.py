"""Languages: the gettext pipeline, each catalog against the English source, locale formats, and
a patient in each language going through onboarding and a session on the emulated Telegram.

The pipeline tests fail with the pybabel command that brings the files up to date; the catalog
tests fail with what a translator still has to do (see "Languages" in the README).
"""

from __future__ import annotations

import io
import re
import string
import warnings
from collections import defaultdict
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from pypdf import PdfReader

from handlers.commands import COMMANDS
from handlers.render import local_now_label
from sibot import patients, texts
from sibot.charts import progress_chart
from sibot.checkins import Checkin, CheckinSource
from sibot.emulator import Emulator
from sibot.emulator.formatting import parse_html, utf16_length
from sibot.models import Patient
from sibot.report import ReportData, RoutineSettings, doctor_report_pdf
from sibot.texts import (
    DEFAULT_LANGUAGE,
    Plural,
    available_languages,
    catalog,
    format_date,
    format_datetime,
    format_day_month,
    format_decimal,
    format_time,
    language_name,
    plural,
    text,
)
from tests.factories import onboarded_patient
from tests.harness import BotHarness, ManualClock

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = texts.LOCALE_DIR / f"{texts.DOMAIN}.pot"
ENGLISH = catalog(DEFAULT_LANGUAGE)
TRANSLATED = [language for language in available_languages() if language != DEFAULT_LANGUAGE]
# The commands of "Languages" in the README.
EXTRACT = (
    "pybabel extract -F babel.cfg --add-location=file --project=sibot "
    "-o sibot/texts/locale/sibot.pot sibot/texts/en"
)
UPDATE = "pybabel update -i sibot/texts/locale/sibot.pot -d sibot/texts/locale -D sibot --ignore-obsolete"
COMPILE = "pybabel compile -d sibot/texts/locale -D sibot"

# Telegram's limits (Bot API): a message, a bot command's description. Button labels have no hard
# limit, but a label wider than this no longer fits a phone's button and is cut.
MESSAGE_LIMIT = 4096
COMMAND_DESCRIPTION_LIMIT = 256
LABEL_LIMIT = 40
# The keys whose texts are button labels.
LABEL_KEYS = [
    r"\.button\.",
    r"^settings\.action\.",
    r"^onboarding\.(accept|yes|no|cleared|start_first|none_apply|zone\.right|zone\.wrong)$",
    r"^safety\.sign\.",
    r"^settings\.(days\.(every_day|weekdays|choose|done)|day\.\d|pause\.\d|zone\.none_of_these)$",
    r"^session\.library\.(do|back)$",
    r"^routine\.\w+\.title$",
    r"^about\.\w+\.title$",
    r"^diary\.(location|symptom)\.",
    r"^diary\.(pain\.(done|none)_button|gentle\.button|delete\.(yes|no))$",
    r"^admin\.broadcast_(send|cancel)$",
]


def _po_path(language: str) -> Path:
    return texts.catalog_path(language)


def _read_po(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=language)


def _messages(template: Catalog) -> dict[str | None, object]:
    return {message.context: message.id for message in template if message.id}


def _extracted() -> Catalog:
    """The template `pybabel extract -F babel.cfg` builds from the English catalog today."""
    with (REPO / "babel.cfg").open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    template = Catalog()
    found = extract_from_dir(str(REPO / "sibot" / "texts" / "en"), method_map, options_map)
    for _filename, _line, message, comments, context in found:
        template.add(message, context=context, auto_comments=comments)
    return template


def _compiled(mo_file: IO[bytes]) -> dict[tuple[str | None, object], object]:
    """What a compiled catalog maps each message to (plural forms as tuples)."""
    frozen = {
        (message.context, tuple(message.id) if isinstance(message.id, list) else message.id): message.string
        for message in read_mo(mo_file)
    }
    return {key: tuple(value) if isinstance(value, list) else value for key, value in frozen.items()}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _forms(message: object) -> tuple[str, ...]:
    if isinstance(message, Plural):
        return (message.one, message.other)
    return message if isinstance(message, tuple) else (str(message),)


def _tags(template: str) -> list[str]:
    return sorted(re.findall(r"</?[a-z][a-z-]*>", template))


def _filled(template: str) -> str:
    """The template with every placeholder filled by a longish value, as the bot might."""
    return template.format_map(defaultdict(lambda: "x" * 24))


# ---- the Babel pipeline ---------------------------------------------------------------------


def test_extraction_reads_every_english_text() -> None:
    expected = {
        key: (value.one, value.other) if isinstance(value, Plural) else value
        for key, value in ENGLISH.items()
    }
    assert _messages(_extracted()) == expected


def test_the_template_is_up_to_date_with_the_english_catalog() -> None:
    committed, current = _messages(_read_po(TEMPLATE)), _messages(_extracted())
    changed = sorted(str(key) for key in committed.keys() ^ current.keys())
    changed += sorted(str(key) for key in committed.keys() & current.keys() if committed[key] != current[key])
    assert not changed, f"sibot.pot is out of date ({', '.join(changed[:10])}); run: {EXTRACT}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_catalog_is_updated_from_the_template(language: str) -> None:
    template, source = _messages(_read_po(TEMPLATE)), _messages(_read_po(_po_path(language), language))
    changed = sorted(str(key) for key in template.keys() ^ source.keys())
    changed += sorted(str(key) for key in template.keys() & source.keys() if template[key] != source[key])
    assert not changed, f"{language}: the .po lags the template ({', '.join(changed[:10])}); run: {UPDATE}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_compiled_catalog_is_compiled_from_its_source(language: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, _read_po(_po_path(language), language))
    compiled.seek(0)
    with texts.catalog_path(language, ".mo").open("rb") as committed:
        assert _compiled(committed) == _compiled(compiled), f"{language}: run: {COMPILE}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_catalog_has_its_languages_plural_rule(language: str) -> None:
    assert _read_po(_po_path(language), language).plural_forms == get_plural(language).plural_forms


# ---- the catalogs against English -----------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_english_message_is_translated(language: str) -> None:
    translated = catalog(language)
    missing = [key for key in ENGLISH if key not in translated]
    assert not missing, (
        f"{language}: {len(missing)} of {len(ENGLISH)} messages are not translated yet, or are "
        f"fuzzy after an English change: {', '.join(missing[:12])}, … Translate them in "
        f"{_po_path(language).relative_to(REPO)}, then run: {COMPILE}"
    )


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders_and_markup_of_english(language: str) -> None:
    wrong = []
    for key, translation in catalog(language).items():
        english = _forms(ENGLISH[key])
        for form in _forms(translation):
            if _fields(form) != _fields(english[-1]) or _tags(form) != _tags(english[-1]):
                wrong.append(f"{key}: {form!r}")
    assert not wrong, f"{language}: placeholders or HTML tags differ from English:\n" + "\n".join(wrong)


@pytest.mark.parametrize("language", TRANSLATED)
def test_plurals_have_every_form_the_language_needs(language: str) -> None:
    needed = get_plural(language).num_plurals
    plurals = {key: value for key, value in catalog(language).items() if isinstance(ENGLISH[key], Plural)}
    assert plurals, f"{language}: no plural is translated yet"
    assert {key: len(forms) for key, forms in plurals.items()} == dict.fromkeys(plurals, needed)


def test_every_label_pattern_names_english_keys() -> None:
    for pattern in LABEL_KEYS:
        assert any(re.search(pattern, key) for key in ENGLISH), pattern


@pytest.mark.parametrize("language", available_languages())
def test_no_text_exceeds_telegrams_limits(language: str) -> None:
    too_long = []
    for key, message in catalog(language).items():
        for form in _forms(message):
            shown = parse_html(_filled(form)).text  # also fails on markup Telegram would refuse
            is_label = any(re.search(pattern, key) for pattern in LABEL_KEYS)
            limit = LABEL_LIMIT if is_label else MESSAGE_LIMIT
            if key.startswith("settings.command."):
                limit = COMMAND_DESCRIPTION_LIMIT
            if utf16_length(shown) > limit:
                too_long.append(f"{key} ({utf16_length(shown)} > {limit}): {shown[:60]!r}")
    assert not too_long, f"{language}: too long for Telegram:\n" + "\n".join(too_long)


# ---- the runtime ----------------------------------------------------------------------------


def test_the_languages_are_english_and_every_compiled_catalog() -> None:
    assert available_languages() == ["en", "de", "es", "ru"]


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("es", "es"),
        ("es-MX", "es"),
        ("de-AT", "de"),
        ("de_CH", "de"),
        ("RU", "ru"),
        ("ru-RU", "ru"),
        ("en-US", "en"),
        ("pt-BR", "en"),
        ("zh-hans", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_the_language_follows_telegrams_code(code: str | None, language: str) -> None:
    assert patients.language_for(code) == language


def test_languages_are_named_in_their_own_language() -> None:
    names = {language: language_name(language) for language in available_languages()}
    assert names == {"en": "English", "de": "Deutsch", "es": "Español", "ru": "Русский"}


def test_a_translation_is_used_and_a_language_we_lack_gets_english() -> None:
    assert text("de", "onboarding.accept") == "Einverstanden"
    assert text("fr", "onboarding.accept") == text("en", "onboarding.accept") == "I agree"
    assert plural("fr", "diary.days", 2) == "2 days"


@pytest.mark.parametrize(
    ("language", "counts", "expected"),
    [
        ("en", (1, 2, 5, 21), ["1 day", "2 days", "5 days", "21 days"]),
        ("es", (1, 2, 5, 21), ["1 día", "2 días", "5 días", "21 días"]),
        ("de", (0, 1, 2, 21), ["0 Tage", "1 Tag", "2 Tage", "21 Tage"]),
        (
            "ru",
            (1, 2, 5, 11, 21, 22, 25, 111),
            ["1 день", "2 дня", "5 дней", "11 дней", "21 день", "22 дня", "25 дней", "111 дней"],
        ),
    ],
)
def test_plurals_take_the_form_the_count_needs(language: str, counts: tuple[int, ...], expected: list[str]) -> None:
    assert [plural(language, "diary.days", count) for count in counts] == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ("07:30", "02/03/2026", "2 Mar", "12/03/2026, 10:00", "3.5")),
        ("es", ("7:30", "2/3/26", "2 mar", "12/3/26, 10:00", "3,5")),
        ("de", ("07:30", "02.03.26", "2. März", "12.03.26, 10:00", "3,5")),
        ("ru", ("07:30", "02.03.2026", "2 мар.", "12.03.2026, 10:00", "3,5")),
    ],
)
def test_times_dates_and_numbers_follow_the_locale(language: str, expected: tuple[str, ...]) -> None:
    moment = datetime(2026, 3, 12, 9, tzinfo=UTC).astimezone(ZoneInfo("Europe/Berlin"))
    day = date(2026, 3, 2)
    shown = (
        format_time(language, time(7, 30)),
        format_date(language, day),
        format_day_month(language, day),
        format_datetime(language, moment),
        format_decimal(language, 3.5),
    )
    assert shown == expected


@pytest.mark.parametrize(
    ("language", "dates", "other_format", "zone", "streak"),
    [
        ("en", ("01/03/2026", "23/03/2026", "28/03/2026, 09:00"), "1 Mar 2026", "Moscow, Russia", "2 days"),
        ("de", ("01.03.26", "23.03.26", "28.03.26, 09:00"), "01.03.2026", "Moskau, Russland", "2 Tage"),
        ("es", ("1/3/26", "23/3/26", "28/3/26, 9:00"), "1 mar 2026", "Moscú, Rusia", "2 días"),
        ("ru", ("01.03.2026", "23.03.2026", "28.03.2026, 09:00"), "1 мар. 2026", "Москва, Россия", "2 дня"),
    ],
)
def test_the_doctors_report_and_chart_are_in_the_patients_language(
    language: str, dates: tuple[str, ...], other_format: str, zone: str, streak: str
) -> None:
    """One date format in the whole report: the period, the weeks and the events."""
    hurts = Checkin(at=datetime(2026, 3, 28, 6, tzinfo=UTC), score=4, source=CheckinSource.HURTS)
    report = ReportData(
        name="Анна Петрова",
        start=date(2026, 3, 1),
        end=date(2026, 3, 29),
        routine=RoutineSettings(10, 8, False, time(8, 30), 0b1111111, "Europe/Moscow", False),
        checkins=(hurts,),
        session_dates=(date(2026, 3, 28), date(2026, 3, 29)),
    )
    reader = PdfReader(io.BytesIO(doctor_report_pdf(report, language)))
    content = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) == 1
    assert "Анна Петрова" in content and streak in content
    assert all(shown in content for shown in dates), content
    assert other_format not in content
    assert f"{zone} (Europe/Moscow)" in content and f"({zone})" in content  # the period, the reminder
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns when its font lacks a glyph
        chart = progress_chart([], {date(2026, 3, 29): 1}, 2, date(2026, 3, 29), language)
    assert chart.startswith(b"\x89PNG")


# ---- end to end: a patient in each language -------------------------------------------------

# (Telegram's language code, the city the patient types, the zone it means, as it is shown)
PATIENTS = [
    ("es-MX", "Madrid", "Europe/Madrid", "Madrid, España (Europe/Madrid)"),
    ("de-AT", "Wien", "Europe/Vienna", "Wien, Österreich (Europe/Vienna)"),
    ("ru", "Москва", "Europe/Moscow", "Москва, Россия (Europe/Moscow)"),
]


def said(language: str, key: str, /, **values: object) -> str:
    """What the patient reads for `key`: translated (else the test names the key), HTML parsed."""
    assert key in catalog(language), f"{language}: {key} is not translated"
    return parse_html(text(language, key, **values)).text


def said_plural(language: str, key: str, count: int) -> str:
    assert key in catalog(language), f"{language}: {key} is not translated"
    return parse_html(plural(language, key, count)).text


@pytest.mark.slow
@pytest.mark.parametrize(("code", "city", "zone", "zone_shown"), PATIENTS)
async def test_onboarding_and_a_first_session_in_the_patients_language(
    bot: BotHarness, emulator: Emulator, code: str, city: str, zone: str, zone_shown: str
) -> None:
    language = patients.language_for(code)
    patient = emulator.patient(first_name="Ana", language_code=code)
    await patient.send("/start")
    welcome = await patient.next_message()
    assert said(language, "onboarding.welcome", name=", Ana") in welcome.text
    assert said(language, "onboarding.disclaimer") in welcome.text
    assert welcome.labels == [said(language, "onboarding.accept")]

    await patient.tap(said(language, "onboarding.accept"))
    first = await patient.expect(said(language, "onboarding.safety.intro"))
    assert said(language, "onboarding.question.saddle") in first.text
    assert first.labels == [said(language, "onboarding.yes"), said(language, "onboarding.no")]
    await patient.tap(said(language, "onboarding.no"))
    for number in range(2, 7):
        question = await patient.expect(said(language, "onboarding.safety.progress", number=number, count=6))
        none_apply = said(language, "onboarding.none_apply")
        await patient.tap(none_apply if none_apply in question.labels else said(language, "onboarding.no"))

    await patient.expect(said(language, "onboarding.zone.ask"))
    await patient.send(city)
    local_now = local_now_label(zone, bot.clock.now(), language)
    await patient.expect(said(language, "onboarding.zone.confirm", zone=zone_shown, local_now=local_now))
    await patient.tap(said(language, "onboarding.zone.right"))

    await patient.expect(said(language, "onboarding.time.ask"))
    await patient.send("7:30")
    await patient.expect(said(language, "onboarding.days.ask", time=format_time(language, time(7, 30))))
    await patient.tap(said(language, "settings.days.every_day"))
    await patient.expect(said(language, "onboarding.baseline.ask"))
    await patient.tap("4")
    summary = await patient.expect("4/10")
    assert said(language, "settings.reminder.every_day") in summary.text
    assert summary.labels == [said(language, "onboarding.start_first"), said(language, "function.button.open")]

    await patient.tap(said(language, "onboarding.start_first"))
    # the baseline of a moment ago is the pain before: not asked again
    known = said(language, "session.known_pain", minutes="", score=4, ago=said(language, "session.known_pain.now"))
    title = said(language, "routine.hip_adduction.title")
    intro = await patient.expect(known.split("\n")[1])
    assert said(language, "routine.intro", title=title, number=1, count=6) in intro.text
    assert said(language, "routine.needs", items=said(language, "routine.equipment.pillow")) in intro.text
    # the guided pace: the next setup step comes by itself
    step = await patient.expect(said(language, "routine.hip_adduction.step.knees"))
    assert said(language, "session.button.stop") in step.labels
    await patient.tap(said(language, "session.button.stop"))
    await patient.expect(said_plural(language, "session.stopped.done", 0))


@pytest.mark.parametrize("language", TRANSLATED)
async def test_a_whole_exercise_from_the_library_in_the_patients_language(
    bot: BotHarness, emulator: Emulator, clock: ManualClock, language: str
) -> None:
    patient = emulator.patient(language_code=language)
    await onboarded_patient(bot.core.db, patient.user_id, clock.now(), language=language, repetitions=1)
    await patient.send("/exercises")
    library = await patient.expect(said(language, "session.library").split("\n")[0])
    title = said(language, "routine.hip_adduction.title")
    assert title in library.labels
    await patient.answer_to(await patient.tap(title))
    card = await patient.next_message()  # with its picture, below the list
    assert said(language, "routine.hip_adduction.step.pillow") in card.text
    assert said(language, "routine.hip_adduction.picture") in card.text
    await patient.tap(said(language, "session.library.do"))
    await patient.expect(said(language, "session.pain_before", minutes="").split("\n")[1])
    await patient.tap("3")
    await patient.expect(said(language, "routine.intro", title=title, number=1, count=1))
    await patient.expect(said(language, "session.guided.tap_when_in_position"))
    await patient.tap(said(language, "session.button.in_position"))
    hold_text = said(language, "routine.hip_adduction.rep", duration=said_plural(language, "routine.seconds", 5))
    hold = await patient.next_message()
    assert hold_text in hold.text and said(language, "session.hold_tip") in hold.text
    # "Relax" by itself, with the last question, as the guided pace has it
    relax = await patient.expect(said(language, "routine.hip_adduction.relax"))
    assert said(language, "session.pain_after").split("\n")[0] in relax.text
    await patient.tap("2")
    summary = await patient.expect(said(language, "session.summary.title"))
    assert said_plural(language, "session.summary.done", 1) in summary.text
    assert said(language, "session.summary.pain", before=3, after=2) in summary.text
    assert said_plural(language, "session.summary.streak", 1) in summary.text


async def test_the_command_menu_is_set_in_every_language(bot: BotHarness, emulator: Emulator) -> None:
    for code in ("", *available_languages()):
        language = code or DEFAULT_LANGUAGE
        expected = [{"command": name, "description": text(language, f"settings.command.{name}")} for name in COMMANDS]
        assert emulator.commands(language_code=code) == expected, code
    assert emulator.commands(language_code="ru")[0]["description"] == said("ru", "settings.command.start")


MENU_VALUES = (
    "zone", "reminder", "hold", "repetitions", "pace", "rest", "pregnancy", "followup", "pictures",
    "language"
)


async def test_settings_switch_the_language_and_name_each_one_natively(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    patient = emulator.patient()
    await onboarded_patient(bot.core.db, patient.user_id, clock.now(), timezone="Europe/Berlin")
    await patient.send("/settings")
    menu = await patient.expect(said("en", "settings.menu", **dict.fromkeys(MENU_VALUES, "")).split("\n")[0])
    assert "Berlin, Germany (Europe/Berlin)" in menu.text
    await patient.tap(text("en", "settings.button.language"))
    choices = await patient.next_message()
    assert choices.labels == ["English", "Deutsch", "Español", "Русский"]
    await patient.tap("Español")
    await patient.expect(said("es", "settings.set.language", language="Español"))
    async with bot.core.db.transaction() as session:
        row = await session.get(Patient, patient.user_id)
        assert row is not None and row.language == "es"
    await patient.send("/help")
    await patient.expect(said("es", "settings.help").split("\n")[0])
    await patient.send("/settings")
    menu = await patient.expect(said("es", "settings.menu", **dict.fromkeys(MENU_VALUES, "")).split("\n")[0])
    assert "Berlín, Alemania (Europe/Berlin)" in menu.text

