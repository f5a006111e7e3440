"""The diary's use cases on real databases (SQLite and PostgreSQL): check-ins and their red flags,
the data behind /progress, /report and /export, the gentler routine, and erasing a patient."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from sibot import checkins, diary
from sibot.checkins import CheckinSource, Location, RedFlagRule, Symptom, Urgency
from sibot.core import Core
from sibot.db import Database
from sibot.diary import (
    REPEAT_WINDOW,
    add_details,
    delete_patient,
    export_data,
    progress,
    record_checkin,
    report_data,
    switch_to_gentle,
)
from sibot.models import Base, Checkin, ExerciseSession, Patient, RedFlag, Reminder
from tests.factories import onboarded_patient
from tests.harness import ManualClock

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
ANA, BEN = 1001, 1002


def exercise_session(
    patient_id: int, started: datetime, status: str = "completed", step_index: int = 0
) -> ExerciseSession:
    return ExerciseSession(
        patient_id=patient_id,
        status=status,
        source="command",
        exercise_keys=["knee_to_chest", "piriformis_stretch"],
        hold_seconds=5,
        repetitions=2,
        skipped_exercises=["piriformis_stretch"] if status == "completed" else [],
        step_index=step_index,
        pain_before=4,
        started_at=started,
        updated_at=started,
        ended_at=started + timedelta(minutes=10) if status == "completed" else None,
    )


async def two_patients(database: Database) -> None:
    await onboarded_patient(database, ANA, NOW, reminder_at=time(8, 30))
    await onboarded_patient(database, BEN, NOW, reminder_at=time(9, 0))


async def test_a_checkin_is_stored_with_its_time_source_and_details(database: Database) -> None:
    await two_patients(database)
    async with database.transaction() as session:
        result = await record_checkin(
            session,
            ANA,
            NOW,
            3,
            CheckinSource.REMINDER,
            locations=[Location.HIP, "lower_back"],
            symptoms=[Symptom.NUMBNESS_TINGLING],
        )
    assert result.flags == ()
    async with database.transaction() as session:
        row = await session.get(Checkin, result.checkin_id)
        assert row is not None
        assert (row.patient_id, row.at, row.score, row.source) == (ANA, NOW, 3, "reminder")
        assert row.locations == ["hip", "lower_back"]
        assert row.symptoms == ["numbness_tingling"]
        assert await session.scalar(select(func.count()).select_from(RedFlag)) == 0


async def test_every_red_flag_of_a_checkin_is_stored(database: Database) -> None:
    await two_patients(database)
    async with database.transaction() as session:
        result = await record_checkin(
            session, ANA, NOW, 9, "diary", symptoms=[Symptom.FEVER, Symptom.SADDLE_NUMBNESS]
        )
    assert [flag.rule for flag in result.flags] == [
        RedFlagRule.CAUDA_EQUINA,
        RedFlagRule.FEVER,
        RedFlagRule.SEVERE_PAIN,
    ]
    assert result.flags[0].urgency is Urgency.EMERGENCY
    async with database.transaction() as session:
        stored = (await session.scalars(select(RedFlag).order_by(RedFlag.id))).all()
    assert [(f.patient_id, f.rule, f.checkin_id, f.at) for f in stored] == [
        (ANA, "cauda_equina", result.checkin_id, NOW),
        (ANA, "fever", result.checkin_id, NOW),
        (ANA, "severe_pain", result.checkin_id, NOW),
    ]


async def test_details_added_later_raise_only_the_new_flags_once(database: Database) -> None:
    await two_patients(database)
    async with database.transaction() as session:
        first = await record_checkin(session, ANA, NOW, 8, "diary")
    later = NOW + timedelta(minutes=3)
    details = {"locations": ["groin"], "symptoms": [Symptom.BLADDER_BOWEL, "fever"]}
    async with database.transaction() as session:
        added = await add_details(session, ANA, first.checkin_id, later, **details)
        again = await add_details(session, ANA, first.checkin_id, later, **details)
    assert [flag.rule for flag in first.flags] == [RedFlagRule.SEVERE_PAIN]
    assert added is not None and [flag.rule for flag in added.flags] == [
        RedFlagRule.CAUDA_EQUINA,
        RedFlagRule.FEVER,
    ]
    assert again is not None and again.flags == ()
    async with database.transaction() as session:
        await add_details(session, ANA, first.checkin_id, later, locations=["hip"])
    async with database.transaction() as session:
        row = await session.get(Checkin, first.checkin_id)
        assert row is not None
        assert (row.locations, row.symptoms) == (["hip"], ["bladder_bowel", "fever"])
        rules = await session.scalars(select(RedFlag.rule).order_by(RedFlag.id))
        assert list(rules) == ["severe_pain", "cauda_equina", "fever"]


async def test_details_go_only_to_the_patients_own_recent_checkin(database: Database) -> None:
    await two_patients(database)
    async with database.transaction() as session:
        mine = await record_checkin(session, ANA, NOW, 4, "diary")
    no_details: dict[str, list[str]] = {"locations": [], "symptoms": []}
    async with database.transaction() as session:
        assert await add_details(session, BEN, mine.checkin_id, NOW, **no_details) is None
        assert await add_details(session, ANA, 424242, NOW, **no_details) is None
        too_late = NOW + timedelta(hours=3)
        assert await add_details(session, ANA, mine.checkin_id, too_late, **no_details) is None


async def test_rising_pain_is_judged_on_the_patients_own_stored_history(database: Database) -> None:
    await two_patients(database)
    async with database.transaction() as session:
        for day, score in enumerate([3, 3, 3, 3, 5, 5]):
            await record_checkin(session, ANA, NOW + timedelta(days=day), score, "diary")
            # Ben's high scores on the same days must not count for Ana.
            await record_checkin(session, BEN, NOW + timedelta(days=day, hours=1), 2, "diary")
        rising = await record_checkin(session, ANA, NOW + timedelta(days=6), 5, "diary")
        calm = await record_checkin(session, BEN, NOW + timedelta(days=6, hours=1), 2, "diary")
    assert [flag.rule for flag in rising.flags] == [RedFlagRule.RISING_PAIN]
    assert calm.flags == ()


async def test_a_session_rise_compares_with_the_same_sessions_before_score(
    database: Database,
) -> None:
    await two_patients(database)
    async with database.transaction() as session:
        run = exercise_session(ANA, NOW, status="active")
        session.add(run)
        await session.flush()
        await record_checkin(session, ANA, NOW, 3, "before_session", session_id=run.id)
        after = await record_checkin(
            session, ANA, NOW + timedelta(minutes=12), 5, "after_session", session_id=run.id
        )
    assert [flag.rule for flag in after.flags] == [RedFlagRule.SESSION_RISE]


@pytest.mark.parametrize(
    "bad",
    [
        {"score": 11},
        {"score": -1},
        {"source": "telepathy"},
        {"locations": ["elbow"]},
        {"symptoms": ["hiccups"]},
    ],
)
async def test_bad_values_store_nothing(database: Database, bad: dict[str, object]) -> None:
    await two_patients(database)
    values: dict[str, object] = {"score": 4, "source": "diary", **bad}
    score, source = values.pop("score"), values.pop("source")
    with pytest.raises(ValueError):
        async with database.transaction() as session:
            await record_checkin(
                session, ANA, NOW, score, source, **values  # type: ignore[arg-type]
            )
    async with database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Checkin)) == 0


async def test_progress_gathers_pain_sessions_streak_and_weeks(database: Database) -> None:
    await onboarded_patient(database, ANA, NOW, timezone="Europe/Berlin")
    zone = ZoneInfo("Europe/Berlin")
    today = NOW + timedelta(days=13)
    async with database.transaction() as session:
        for day in range(14):
            at = NOW + timedelta(days=day)
            await record_checkin(session, ANA, at, 6 if day < 7 else 4, "diary")
        session.add(exercise_session(ANA, today - timedelta(days=1)))
        session.add(exercise_session(ANA, today - timedelta(hours=1)))
        session.add(exercise_session(ANA, today, status="stopped"))
    async with database.transaction() as session:
        seen = await progress(session, ANA, today, zone)
    assert seen.today == today.date()
    assert len(seen.days) == 14 and seen.days[-1].standalone == 4
    assert sum(seen.sessions_by_date.values()) == 2
    assert seen.streak == 2
    assert seen.week is not None and (seen.week.previous, seen.week.current) == (6, 4)


async def test_progress_of_a_new_patient_is_empty(database: Database) -> None:
    await two_patients(database)
    async with database.transaction() as session:
        seen = await progress(session, ANA, NOW, ZoneInfo("UTC"))
    assert (seen.days, seen.sessions_by_date, seen.streak, seen.week) == ([], {}, 0, None)


async def test_report_data_has_the_name_period_routine_and_flags(database: Database) -> None:
    await onboarded_patient(database, ANA, NOW, name="Ana", reminder_at=time(8, 30))
    async with database.transaction() as session:
        await record_checkin(session, ANA, NOW - timedelta(days=40), 9, "diary")
        await record_checkin(session, ANA, NOW, 8, "diary")
        session.add(exercise_session(ANA, NOW))
    async with database.transaction() as session:
        report = await report_data(session, ANA, NOW + timedelta(hours=1))
        assert await report_data(session, 424242, NOW) is None
    assert report is not None
    assert (report.name, report.end, report.start) == (
        "Ana",
        NOW.date(),
        NOW.date() - timedelta(days=29),
    )
    assert [flag.rule for flag in report.red_flags] == [RedFlagRule.SEVERE_PAIN]
    assert [c.score for c in report.checkins] == [8]
    assert report.session_dates == (NOW.date(),)
    assert report.routine.reminder_time == time(8, 30)
    assert report.routine.reminder_weekdays == 0b1111111


async def test_export_data_holds_every_checkin_and_session(database: Database) -> None:
    await two_patients(database)
    async with database.transaction() as session:
        await record_checkin(session, ANA, NOW - timedelta(days=400), 2, "diary")
        await record_checkin(session, ANA, NOW, 3, "reminder")
        await record_checkin(session, BEN, NOW, 7, "diary")
        session.add(exercise_session(ANA, NOW))
        session.add(exercise_session(ANA, NOW + timedelta(hours=2), status="stopped"))
        # with 2 repetitions, knee_to_chest is steps 0-8: step 12 lies in the next exercise
        session.add(exercise_session(ANA, NOW + timedelta(hours=3), "stopped", step_index=12))
    async with database.transaction() as session:
        export = await export_data(session, ANA)
    assert [c.score for c in export.checkins] == [2, 3]
    done, stopped_early, stopped_later = export.sessions
    assert (done.status, done.exercises_done, done.exercises_skipped) == ("completed", 1, 1)
    assert (stopped_early.status, stopped_early.exercises_done) == ("stopped", 0)
    assert stopped_early.ended_at is None
    assert stopped_later.exercises_done == 1


async def test_the_gentler_routine_shortens_holds_and_repetitions(database: Database) -> None:
    await onboarded_patient(database, ANA, NOW, hold_seconds=10, repetitions=8)
    async with database.transaction() as session:
        gentle = await switch_to_gentle(session, ANA)
        assert await switch_to_gentle(session, 424242) is None
    assert gentle is not None and (gentle.hold_seconds, gentle.repetitions) == (5, 3)
    async with database.transaction() as session:
        patient = await session.get(Patient, ANA)
        assert patient is not None
        assert (patient.gentle, patient.hold_seconds, patient.repetitions) == (True, 5, 3)


# The column that names a person, in tables where it is not "patient_id".
# share_links names a follower too (follower_id): tests/test_sharing_flow.py deletes one.
PERSON_COLUMNS = {
    "patients": "id", "broadcasts": "admin_id", "followers": "id", "share_deliveries": "chat_id",
}
# Tables that hold nothing about anyone.
NOBODYS_TABLES = {"replica_heartbeats", "picture_files"}


async def rows_of(database: Database, patient_id: int) -> dict[str, int]:
    """How many rows of every table in the schema name the person; a table added later without
    a column this knows fails here, so /delete is never silently incomplete."""
    counts: dict[str, int] = {}
    async with database.transaction() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in NOBODYS_TABLES:
                continue
            column = table.c[PERSON_COLUMNS.get(table.name, "patient_id")]
            query = select(func.count()).select_from(table).where(column == patient_id)
            counts[table.name] = await session.scalar(query) or 0
    return counts


async def test_delete_patient_erases_every_row_and_returns_session_ids(database: Database) -> None:
    await two_patients(database)
    async with database.transaction() as session:
        runs = [exercise_session(ANA, NOW), exercise_session(ANA, NOW, status="active")]
        session.add_all(runs)
        session.add(exercise_session(BEN, NOW))
        await session.flush()
        await record_checkin(session, ANA, NOW, 9, "before_session", session_id=runs[1].id)
        await record_checkin(session, BEN, NOW, 9, "diary")
    before = await rows_of(database, ANA)
    for table in ("patients", "checkins", "red_flags", "exercise_sessions", "reminders"):
        assert before[table] > 0
    async with database.transaction() as session:
        session_ids = await delete_patient(session, ANA)
        assert await delete_patient(session, 424242) == []
    assert sorted(session_ids) == sorted(run.id for run in runs)
    assert set((await rows_of(database, ANA)).values()) == {0}
    ben = await rows_of(database, BEN)
    assert ben["patients"] == ben["checkins"] == ben["red_flags"] == ben["reminders"] == 1
    async with database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Reminder)) == 1


async def test_the_same_score_again_within_a_minute_is_the_same_checkin(database: Database) -> None:
    await two_patients(database)
    later = NOW + REPEAT_WINDOW - timedelta(seconds=1)
    async with database.transaction() as session:
        first = await record_checkin(session, ANA, NOW, 9, "diary")
        again = await record_checkin(session, ANA, later, 9, "diary")
    # the flags come again, for the answer that may have been lost, but are stored once
    assert again == first
    assert [flag.rule for flag in again.flags] == [RedFlagRule.SEVERE_PAIN]
    async with database.transaction() as session:
        assert (await session.scalars(select(Checkin.id))).all() == [first.checkin_id]
        assert await session.scalar(select(func.count()).select_from(RedFlag)) == 1


@pytest.mark.parametrize(
    ("after", "score", "source"),
    [
        (REPEAT_WINDOW, 4, "diary"),  # a minute later: a new check-in
        (timedelta(seconds=5), 5, "diary"),  # another score
        (timedelta(seconds=5), 4, "reminder"),  # asked for by something else
        (timedelta(seconds=5), 4, "hurts"),  # sessions guard their own steps
    ],
)
async def test_a_checkin_is_new_after_a_minute_or_with_another_score_or_source(
    database: Database, after: timedelta, score: int, source: str
) -> None:
    await two_patients(database)
    first_source = "hurts" if source == "hurts" else "diary"
    async with database.transaction() as session:
        await record_checkin(session, ANA, NOW, 4, first_source)
        await record_checkin(session, BEN, NOW + after, score, source)  # another patient's
        await record_checkin(session, ANA, NOW + after, score, source)
    async with database.transaction() as session:
        rows = (await session.execute(select(Checkin.patient_id, Checkin.score).order_by(Checkin.id))).all()
    assert [tuple(row) for row in rows] == [(ANA, 4), (BEN, score), (ANA, score)]


async def test_details_make_a_checkin_new_even_with_the_same_score(database: Database) -> None:
    await two_patients(database)
    async with database.transaction() as session:
        first = await record_checkin(session, ANA, NOW, 4, "diary")
        detailed = await record_checkin(session, ANA, NOW, 4, "diary", symptoms=[Symptom.FEVER])
    assert detailed.checkin_id != first.checkin_id
    assert [flag.rule for flag in detailed.flags] == [RedFlagRule.FEVER]


# --- the use cases ----------------------------------------------------------------------------


def test_only_a_pausing_flag_asks_for_a_pause_and_offers_the_gentler_routine() -> None:
    severe, fever = _flag_of(RedFlagRule.SEVERE_PAIN), _flag_of(RedFlagRule.FEVER)
    assert severe.urgency is Urgency.PAUSE_AND_CONTACT
    assert diary.advice([fever, severe], gentle=False) == diary.Advice((fever, severe), True, True)
    assert diary.advice([severe], gentle=True) == diary.Advice((severe,), True, False)
    assert diary.advice([fever], gentle=False) == diary.Advice((fever,), False, False)


def _flag_of(rule: RedFlagRule) -> checkins.RedFlag:
    return checkins.RedFlag(rule, checkins.RULE_URGENCY[rule], f"diary.flag.{rule.value}")


async def test_delete_erases_only_on_a_fresh_yes(core: Core, clock: ManualClock) -> None:
    await onboarded_patient(core.db, ANA, NOW)
    asked_at = NOW.timestamp()
    clock.advance(diary.DELETE_CONFIRM_WINDOW + timedelta(seconds=1))
    assert await diary.erase(core, ANA, asked_at) is None
    assert await diary.erase(core, ANA, clock.now().timestamp() + 3600) is None
    async with core.db.transaction() as session:
        assert await session.get(Patient, ANA) is not None
    clock.advance(timedelta(seconds=-1))
    assert await diary.erase(core, ANA, asked_at) == diary.Erased(())
    async with core.db.transaction() as session:
        assert await session.get(Patient, ANA) is None
