"""The onboarding state machine and the patient services, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sibot import onboarding, patients
from sibot.core import Core
from sibot.db import Database
from sibot.models import Checkin, Patient, Reminder, SafetyAnswer
from sibot.onboarding import Step
from sibot.safety import SCREEN, Question, Sign, Urgency
from sibot.schedule import EVERY_DAY, WEEKDAYS, weekdays_to_mask
from sibot.settings import load_settings
from tests.factories import onboarded_patient
from tests.harness import ManualClock

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
ANA = 41
NO: frozenset[Sign] = frozenset()


def _yes(question: Question) -> frozenset[Sign]:
    return frozenset(SCREEN[question])


def _contact(**overrides: object) -> patients.Contact:
    values: dict[str, object] = {"user_id": ANA, "first_name": "Ana", "language_code": "en"}
    values.update(overrides)
    return patients.Contact(**values)  # type: ignore[arg-type]


def _core(db: Database, now: datetime = NOW) -> Core:
    settings = load_settings(require_token=False, SIBOT_DEFAULT_TIMEZONE="Europe/Berlin")
    return Core(settings=settings, db=db, clock=ManualClock(now))


async def _meet(db: Database, contact: patients.Contact, now: datetime = NOW) -> patients.PatientView:
    return await patients.meet(_core(db, now), contact)


async def _row(db: Database, patient_id: int = ANA) -> Patient:
    async with db.transaction() as session:
        patient = await session.get(Patient, patient_id)
        assert patient is not None
        return patient


@pytest.mark.parametrize(
    ("payload", "cohort"),
    [
        ("clinic_a-2", "clinic_a-2"),
        (" trial7 ", "trial7"),
        ("x" * 64, "x" * 64),
        ("x" * 65, None),
        ("a b", None),
        ("<script>", None),
        ("", None),
        (None, None),
    ],
)
def test_only_a_short_plain_deep_link_code_becomes_a_cohort(payload: str | None, cohort: str | None) -> None:
    assert patients.cohort_from_payload(payload) == cohort


@pytest.mark.parametrize(("code", "language"), [("en", "en"), ("en-GB", "en"), ("de", "de"), ("de-AT", "de"), ("pt-BR", "en"), (None, "en")])
def test_language_is_the_closest_catalog(code: str | None, language: str) -> None:
    assert patients.language_for(code) == language


async def test_first_contact_creates_the_patient(database: Database) -> None:
    view = await _meet(database, _contact(language_code="en-US", is_start=True, start_payload="clinic_a"))

    assert view.onboarding_step == Step.DISCLAIMER
    row = await _row(database)
    assert (row.name, row.language, row.timezone, row.cohort) == ("Ana", "en", "Europe/Berlin", "clinic_a")
    assert row.created_at == row.last_seen_at == NOW


async def test_start_reactivates_and_last_seen_moves_once_a_minute(database: Database) -> None:
    await _meet(database, _contact())
    async with database.transaction() as session:
        (await session.get(Patient, ANA)).active = False  # type: ignore[union-attr]

    await _meet(database, _contact(), NOW + timedelta(seconds=30))
    row = await _row(database)
    assert row.active is False
    assert row.last_seen_at == NOW

    later = NOW + timedelta(minutes=5)
    view = await _meet(database, _contact(is_start=True, start_payload="late_cohort"), later)
    row = await _row(database)
    assert view.active and row.active
    assert row.last_seen_at == later
    assert row.cohort == "late_cohort"


async def test_first_contacts_at_once_create_one_patient(database: Database) -> None:
    """On PostgreSQL all but one insert fail on the key; each of those meets the one that stood."""
    core = _core(database)
    views = await asyncio.gather(*(patients.meet(core, _contact()) for _ in range(4)))
    assert {view.id for view in views} == {ANA}
    async with database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Patient)) == 1


async def _at_safety(db: Database) -> None:
    await _meet(db, _contact())
    async with db.transaction() as session:
        assert await onboarding.accept_disclaimer(session, ANA, NOW) is not None


async def test_accepting_twice_changes_nothing(database: Database) -> None:
    await _at_safety(database)
    async with database.transaction() as session:
        assert await onboarding.accept_disclaimer(session, ANA, NOW + timedelta(hours=1)) is None
    row = await _row(database)
    assert row.consented_at == NOW
    assert row.onboarding_step == Step.SAFETY


async def test_questions_come_one_at_a_time_in_order(database: Database) -> None:
    await _at_safety(database)
    async with database.transaction() as session:
        view = await patients.load_patient(session, ANA)
        assert view is not None
        assert await onboarding.position_of(session, view) == onboarding.Position(Step.SAFETY, Question.SADDLE_NUMBNESS)
        assert await onboarding.answer_question(session, ANA, Question.HISTORY, NO, NOW) is None
        assert await onboarding.answer_question(session, ANA, Question.SADDLE_NUMBNESS, NO, NOW) is not None
        assert await onboarding.answer_question(session, ANA, Question.SADDLE_NUMBNESS, _yes(Question.SADDLE_NUMBNESS), NOW) is None
        view = await patients.load_patient(session, ANA)
        assert view is not None
        assert await onboarding.position_of(session, view) == onboarding.Position(Step.SAFETY, Question.BLADDER_BOWEL)


async def _answer_before(session: AsyncSession, question: Question) -> None:
    """No to every question before `question`."""
    for earlier in Question:
        if earlier == question:
            break
        await onboarding.answer_question(session, ANA, earlier, NO, NOW)


@pytest.mark.parametrize(
    ("question", "yes"),
    [
        (Question.ONE_LEG_WEAK, {Sign.ONE_LEG_WEAK}),
        (Question.HISTORY, {Sign.CANCER}),
        (Question.HISTORY, {Sign.FEVER, Sign.OSTEOPOROSIS}),
    ],
)
async def test_a_yes_that_asks_for_a_doctor_waits_for_clearance(
    database: Database, question: Question, yes: set[Sign]
) -> None:
    await _at_safety(database)
    async with database.transaction() as session:
        await _answer_before(session, question)
        view = await onboarding.answer_question(session, ANA, question, frozenset(yes), NOW)
        assert view is not None
        assert view.onboarding_step == f"clearance:{question}" and view.advised_at is None
        # nothing moves on until the clearance is confirmed
        nxt = list(Question)[list(Question).index(question) + 1]
        assert await onboarding.answer_question(session, ANA, nxt, NO, NOW) is None
        assert await onboarding.confirm_clearance(session, ANA, nxt, NOW) is None
        cleared = await onboarding.confirm_clearance(session, ANA, question, NOW)
    assert cleared is not None
    assert cleared.onboarding_step == Step.SAFETY
    row = await _row(database)
    assert row.cleared_at == NOW
    async with database.transaction() as session:
        answers = {
            answer.question: answer.answer
            for answer in await session.scalars(select(SafetyAnswer).where(SafetyAnswer.patient_id == ANA))
        }
    assert answers == {**dict.fromkeys(answers, False), **dict.fromkeys(yes, True)}
    assert set(SCREEN[question]) <= set(answers)


@pytest.mark.parametrize("question", [Question.SADDLE_NUMBNESS, Question.BLADDER_BOWEL, Question.LEGS_WEAKER])
async def test_an_emergency_yes_holds_without_a_clearance_button(database: Database, question: Question) -> None:
    await _at_safety(database)
    async with database.transaction() as session:
        await _answer_before(session, question)
        view = await onboarding.answer_question(session, ANA, question, _yes(question), NOW)
        assert view is not None and view.advised_at == NOW
        position = await onboarding.position_of(session, view)
        assert position == onboarding.Position(Step.CLEARANCE, question, Urgency.EMERGENCY)
        # the "cleared" button of earlier versions does nothing: only the examined question ends it
        assert await onboarding.confirm_clearance(session, ANA, question, NOW + timedelta(hours=2)) is None


async def _through_safety(db: Database, *, pregnant: bool = False) -> patients.PatientView:
    await _at_safety(db)
    async with db.transaction() as session:
        view = None
        for question in Question:
            yes = _yes(question) if pregnant and question is Question.PREGNANCY else NO
            view = await onboarding.answer_question(session, ANA, question, yes, NOW)
    assert view is not None
    return view


async def test_pregnancy_is_stored_and_needs_no_clearance(database: Database) -> None:
    view = await _through_safety(database, pregnant=True)
    assert view.pregnant
    assert view.onboarding_step == Step.TIMEZONE
    assert view.awaiting == Step.TIMEZONE


async def test_the_whole_way_to_the_baseline(database: Database) -> None:
    await _through_safety(database)
    async with database.transaction() as session:
        assert await onboarding.choose_zone(session, ANA, "Mars/Olympus") is None
        assert (await onboarding.choose_zone(session, ANA, "Asia/Tokyo")) is not None
        assert (await onboarding.confirm_zone(session, ANA, False)).onboarding_step == Step.TIMEZONE  # type: ignore[union-attr]
        assert (await onboarding.choose_zone(session, ANA, "Europe/Lisbon")) is not None
        assert (await onboarding.confirm_zone(session, ANA, True)).awaiting == Step.REMINDER_TIME  # type: ignore[union-attr]
        assert await onboarding.record_baseline(session, ANA, 3, NOW) is None
        assert await onboarding.choose_reminder_time(session, ANA, time(7, 30), NOW) is not None
        assert await onboarding.choose_reminder_days(session, ANA, frozenset(), NOW) is None
        assert await onboarding.choose_reminder_days(session, ANA, WEEKDAYS, NOW) is not None
        finished = await onboarding.record_baseline(session, ANA, 9, NOW)
        assert finished is not None
        assert await onboarding.record_baseline(session, ANA, 2, NOW) is None

    assert finished.patient.onboarded
    assert finished.score == 9
    assert [flag.rule for flag in finished.flags] == ["severe_pain"]
    assert finished.offer_gentle and not finished.patient.gentle  # switched only when tapped
    row = await _row(database)
    assert (row.timezone, row.awaiting) == ("Europe/Lisbon", None)
    async with database.transaction() as session:
        reminder = await session.scalar(select(Reminder).where(Reminder.patient_id == ANA))
        checkins = list(await session.scalars(select(Checkin).where(Checkin.patient_id == ANA)))
    assert reminder is not None
    assert (reminder.local_time, reminder.weekdays) == (time(7, 30), weekdays_to_mask(WEEKDAYS))
    assert reminder.next_fire_at == datetime(2026, 3, 2, 7, 30, tzinfo=UTC)  # Lisbon is on UTC in March
    assert [(c.score, c.source) for c in checkins] == [(9, "baseline")]


async def test_each_reply_shows_the_next_screen_with_the_reminder_it_names(database: Database) -> None:
    core = _core(database)
    ana = await _through_safety(database)
    assert await onboarding.current_screen(core, ana) == onboarding.Screen(ana, onboarding.Position(Step.TIMEZONE))
    assert await onboarding.reply(core, ANA, onboarding.RecordBaseline(3)) is None  # not there yet
    await onboarding.reply(core, ANA, onboarding.ChooseZone("Europe/Lisbon"))
    await onboarding.reply(core, ANA, onboarding.ConfirmZone(True))
    days = await onboarding.reply(core, ANA, onboarding.ChooseReminderTime(time(7, 30)))
    assert days is not None and days.position == onboarding.Position(Step.REMINDER_DAYS)
    assert days.reminder is not None and days.reminder.local_time == time(7, 30)
    assert await onboarding.current_screen(core, days.patient) == days
    await onboarding.reply(core, ANA, onboarding.ChooseReminderDays(WEEKDAYS))
    summary = await onboarding.reply(core, ANA, onboarding.RecordBaseline(4))
    assert summary is not None and summary.position is None and summary.finished is not None
    assert summary.patient.onboarded and summary.finished.score == 4
    assert summary.reminder is not None and summary.reminder.weekdays == WEEKDAYS
    assert await onboarding.current_screen(core, summary.patient) is None


async def test_settings_keep_to_their_ranges(database: Database) -> None:
    await onboarded_patient(database, ANA, NOW, timezone="Europe/Berlin", reminder_at=time(8))
    async with database.transaction() as session:
        assert not await patients.set_hold_seconds(session, ANA, 4)
        assert not await patients.set_hold_seconds(session, ANA, 11)
        assert await patients.set_hold_seconds(session, ANA, 10)
        assert not await patients.set_repetitions(session, ANA, 0)
        assert not await patients.set_repetitions(session, ANA, 21)
        assert await patients.set_repetitions(session, ANA, 12)
        assert not await patients.set_language(session, ANA, "xx")
        assert not await patients.set_timezone(session, ANA, "Nowhere/Land", NOW)
        assert await patients.set_timezone(session, ANA, "America/New_York", NOW)
        reminder = await session.scalar(select(Reminder).where(Reminder.patient_id == ANA))
    row = await _row(database)
    assert (row.hold_seconds, row.repetitions, row.language, row.timezone) == (10, 12, "en", "America/New_York")
    assert reminder is not None
    # 08:00 in New York (UTC-5 until 8 March) is 13:00 UTC
    assert reminder.next_fire_at == datetime(2026, 3, 2, 13, 0, tzinfo=UTC)


async def test_a_reminder_change_keeps_the_time_or_the_days_it_does_not_name(database: Database) -> None:
    await onboarded_patient(database, ANA, NOW)
    core = _core(database)
    async with database.transaction() as session:
        ana = await patients.load_patient(session, ANA)
    assert ana is not None
    assert await patients.change_reminder(core, ana, None, frozenset({0})) is None
    assert await patients.open_settings(core, ANA, "settings_time") is None
    every_day = await patients.change_reminder(core, ana, time(8), None)
    assert every_day is not None and (every_day.local_time, every_day.weekdays) == (time(8), EVERY_DAY)
    mondays = await patients.change_reminder(core, ana, None, frozenset({0}))
    assert mondays is not None and (mondays.local_time, mondays.weekdays) == (time(8), frozenset({0}))
    later = await patients.change_reminder(core, ana, time(9), None)
    assert later is not None and (later.local_time, later.weekdays) == (time(9), frozenset({0}))
    assert (await _row(database)).awaiting is None
    assert await patients.open_settings(core, ANA) == later


async def test_pause_and_resume(database: Database) -> None:
    await onboarded_patient(database, ANA, NOW, reminder_at=time(8))
    async with database.transaction() as session:
        assert not await patients.resume(session, ANA, "UTC", NOW)
        until = await patients.pause(session, ANA, 3, NOW)
    assert until == NOW + timedelta(days=3)
    assert (await _row(database)).paused_until == until

    later = NOW + timedelta(days=1, hours=2)
    async with database.transaction() as session:
        assert await patients.resume(session, ANA, "UTC", later)
        reminder = await session.scalar(select(Reminder).where(Reminder.patient_id == ANA))
    assert (await _row(database)).paused_until is None
    assert reminder is not None and reminder.next_fire_at == datetime(2026, 3, 4, 8, 0, tzinfo=UTC)

    async with database.transaction() as session:
        forever = await patients.pause(session, ANA, None, later)
    assert patients.is_indefinite(forever)
    assert (await _row(database)).paused_until == forever
