"""Everyday activities and the step offered, as use cases on real databases (SQLite and
PostgreSQL): naming and replacing activities, scoring them, when the weekly check is due, answering
a step, and /delete."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from sibot import function, progression
from sibot.core import Core
from sibot.dispatcher import Dispatcher
from sibot.diary import erase_patient
from sibot.function import MAX_ACTIVITIES, MAX_TYPED_LENGTH, WEEKLY, Card, Picker
from sibot.health import Heartbeat
from sibot.models import DoseChange, ExerciseSession, FunctionActivity, FunctionScore, Patient, ReminderDelivery
from sibot.ports import OutgoingMessage, Priority
from sibot.progression import Dose, Reason
from sibot.report import real_change
from tests.factories import onboarded_patient
from tests.harness import ManualClock

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
ANA = 2001


async def ana(core: Core, **fields: object) -> None:
    await onboarded_patient(core.db, ANA, NOW, reminder_at=time(9, 0), **fields)  # type: ignore[arg-type]


async def tracking(core: Core, *suggestions: str, score: int = 4) -> list[int]:
    ids = []
    for key in suggestions:
        added = await function.add_activity(core, ANA, suggestion=key)
        assert added.card is not None and added.card.asking is not None
        ids.append(added.card.asking.id)
        assert isinstance(await function.record_score(core, ANA, ids[-1], score, weekly=False), Picker)
    return ids


async def test_up_to_three_activities_each_suggestion_once(core: Core) -> None:
    await ana(core)
    await tracking(core, "stairs", "car")
    assert (await function.add_activity(core, ANA, suggestion="stairs")).card is None  # taken
    assert (await function.add_activity(core, ANA, suggestion="flying")).card is None  # forged
    await tracking(core, "walking_30")
    picker = await function.open_picker(core, ANA)
    assert picker.full and len(picker.activities) == MAX_ACTIVITIES
    assert (await function.add_activity(core, ANA, typed="putting on socks")).card is None


async def test_typed_words_are_cleaned_and_bounded(core: Core) -> None:
    await ana(core)
    assert (await function.add_activity(core, ANA, typed="x" * (MAX_TYPED_LENGTH + 1))).too_long
    assert (await function.add_activity(core, ANA, typed="   ")).card is None
    added = await function.add_activity(core, ANA, typed="  putting\non   socks ")
    assert added.card is not None and added.card.asking is not None
    assert added.card.asking.typed == "putting on socks"


async def test_replacing_an_activity_keeps_its_history(core: Core, clock: ManualClock) -> None:
    await ana(core)
    stairs, car = await tracking(core, "stairs", "car", score=3)
    clock.advance(timedelta(days=7))
    await function.record_score(core, ANA, stairs, 6, weekly=True)
    picker = await function.retire_activity(core, ANA, car)
    assert [a.id for a in picker.activities] == [stairs] and "car" in picker.suggestions
    assert await function.record_score(core, ANA, car, 5, weekly=True) is None  # retired
    history = await function.function_of(core, ANA, ZoneInfo("UTC"))
    assert [(h.activity.suggestion, h.retired, [s for _, s in h.scores]) for h in history.activities] == [
        ("stairs", False, [3, 6]),
        ("car", True, [3]),
    ]
    assert history.current[0].change == 3 and real_change(3) and not real_change(1)
    assert [mean for _, mean in history.weekly_average] == [3.0, 6.0]


async def test_a_weekly_round_asks_each_once_and_a_second_tap_corrects(core: Core, clock: ManualClock) -> None:
    await ana(core)
    stairs, car = await tracking(core, "stairs", "car")
    clock.advance(timedelta(days=7))
    first = await function.record_score(core, ANA, stairs, 5, weekly=True)
    assert isinstance(first, Card) and first.asking is not None and first.asking.id == car
    again = await function.record_score(core, ANA, stairs, 6, weekly=True)  # a correction
    assert isinstance(again, Card) and again.scored == ((stairs, 6),)
    done = await function.record_score(core, ANA, car, 7, weekly=True)
    assert isinstance(done, Card) and done.asking is None and done.history is not None
    assert done.offer is None  # no sessions: no step
    async with core.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(FunctionScore)) == 4


async def test_a_score_for_someone_elses_activity_changes_nothing(core: Core) -> None:
    await ana(core)
    await onboarded_patient(core.db, 2002, NOW)
    (stairs,) = await tracking(core, "stairs")
    assert await function.record_score(core, 2002, stairs, 9, weekly=True) is None
    assert await function.record_score(core, ANA, stairs, 11, weekly=True) is None


async def good_week(core: Core, until: datetime) -> None:
    async with core.db.transaction() as session:
        for day in range(1, 6):
            ended = until - timedelta(days=day)
            session.add(
                ExerciseSession(
                    patient_id=ANA, status="completed", source="command", exercise_keys=["x"],
                    hold_seconds=5, repetitions=5, started_at=ended, updated_at=ended, ended_at=ended,
                )
            )


async def dose(core: Core) -> tuple[int, int]:
    async with core.db.transaction() as session:
        row = await session.get(Patient, ANA)
        assert row is not None
        return row.hold_seconds, row.repetitions


async def test_a_step_changes_the_dose_only_on_yes_and_only_once(core: Core, clock: ManualClock) -> None:
    await ana(core, repetitions=5)
    clock.set(NOW + timedelta(days=7))
    await good_week(core, clock.now())
    declined = await progression.answer_offer(core, ANA, Dose(6, 5), accept=False)
    assert declined.offer is not None and await dose(core) == (5, 5)
    # declined: nothing more this week, a "Yes" on the old button included
    assert (await progression.answer_offer(core, ANA, Dose(6, 5), accept=True)).offer is None
    clock.advance(timedelta(days=7))
    await good_week(core, clock.now())
    assert (await progression.answer_offer(core, ANA, Dose(7, 5), accept=True)).offer is None  # forged
    accepted = await progression.answer_offer(core, ANA, Dose(6, 5), accept=True)
    assert accepted.offer is not None and accepted.offer.reason is Reason.GOOD_WEEK
    assert await dose(core) == (6, 5)
    assert (await progression.answer_offer(core, ANA, Dose(7, 5), accept=True)).offer is None
    async with core.db.transaction() as session:
        rows = (await session.scalars(select(DoseChange).order_by(DoseChange.at))).all()
    assert [(r.accepted, r.hold_from, r.hold_to, r.reason) for r in rows] == [
        (False, 5, 6, "good_week"), (True, 5, 6, "good_week"),
    ]


async def test_a_pregnant_patients_step_is_a_repetition(core: Core, clock: ManualClock) -> None:
    await ana(core, repetitions=5, pregnant=True)
    clock.set(NOW + timedelta(days=7))
    await good_week(core, clock.now())
    async with core.db.transaction() as session:
        offer = await progression.offer_for(session, ANA, clock.now())
    assert offer is not None and offer.proposed == Dose(5, 6)


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[tuple[int, OutgoingMessage]] = []

    async def send(self, chat_id: int, message: OutgoingMessage, *, priority: Priority) -> int:
        self.sent.append((chat_id, message))
        return len(self.sent)


class Messages:
    def reminder(self, language: str, minutes: int, ask_signs: bool) -> OutgoingMessage:
        return OutgoingMessage("reminder")

    def followup(self, language: str) -> OutgoingMessage:
        return OutgoingMessage("followup")

    def weekly(self, language: str, card: Card) -> OutgoingMessage:
        asking = "" if card.asking is None else f" {card.asking.suggestion}"
        return OutgoingMessage(f"weekly{asking}{' offer' if card.offer else ''}")


async def test_the_weekly_check_comes_a_week_after_the_start_then_weekly(
    core: Core, clock: ManualClock
) -> None:
    await ana(core, repetitions=5)
    await tracking(core, "stairs")
    sender = RecordingSender()
    dispatcher = Dispatcher(core.db, core.settings, Heartbeat(), sender, clock, Messages())
    seen = []
    for day in range(1, 16):
        clock.set(NOW + timedelta(days=day, hours=2))  # 09:00 UTC: the reminder is due
        await dispatcher.tick(clock.now())
        seen += [(day, message.text) for _, message in sender.sent]
        sender.sent.clear()
    assert [entry for entry in seen if entry[1] != "reminder"] == [(7, "weekly stairs"), (14, "weekly stairs")]
    assert await dose(core) == (5, 5)


async def test_no_weekly_check_with_nothing_to_ask_or_offer(core: Core, clock: ManualClock) -> None:
    await ana(core, repetitions=5)
    sender = RecordingSender()
    dispatcher = Dispatcher(core.db, core.settings, Heartbeat(), sender, clock, Messages())
    clock.set(NOW + timedelta(days=7, hours=2))
    await dispatcher.tick(clock.now())
    assert [m.text for _, m in sender.sent] == ["reminder"]
    await good_week(core, NOW + timedelta(days=8, hours=1))
    clock.set(NOW + timedelta(days=8, hours=2))
    await dispatcher.tick(clock.now())
    assert [m.text for _, m in sender.sent] == ["reminder", "reminder", "weekly offer"]
    assert await dose(core) == (5, 5)  # offered, not changed
    async with core.db.transaction() as session:
        kinds = await session.scalars(select(ReminderDelivery.kind).where(ReminderDelivery.kind == WEEKLY))
        assert len(kinds.all()) == 1


async def test_delete_erases_activities_scores_and_steps(core: Core, clock: ManualClock) -> None:
    await ana(core, repetitions=5)
    await tracking(core, "stairs")
    clock.set(NOW + timedelta(days=7))
    await good_week(core, clock.now())
    await progression.answer_offer(core, ANA, Dose(6, 5), accept=True)
    await erase_patient(core.db, ANA)
    async with core.db.transaction() as session:
        for model in (FunctionActivity, FunctionScore, DoseChange):
            assert await session.scalar(select(func.count()).select_from(model)) == 0
