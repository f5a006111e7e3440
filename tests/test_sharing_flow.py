"""Sharing end to end: a patient, a clinician or carer, and a stranger on the emulator; the test
moves the clock and wakes the dispatcher, whose job runs sharing's outbox."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from handlers.buttons import SHARE
from handlers.reminders import wake_dispatcher
from sibot import checkins, function, sharing
from sibot.emulator import Emulator, Message, TelegramUser
from sibot.operators import stats_by_cohort, total
from sibot.models import Checkin, ExerciseSession, Patient, RedFlag, ShareDelivery, ShareLink
from sibot.sessions import Status
from sibot.texts import text
from tests.factories import onboarded_patient
from tests.test_diary_flow import answered, edited, pain_prompt, toggle
from tests.harness import BotHarness, ManualClock

# Telegram's pacing of one message a second a chat is not what these tests show: ten keep them quick.
pytestmark = pytest.mark.chat_rate(10)

BERLIN = "Europe/Berlin"
# The clock starts on Monday 2 March 2026, 07:00 UTC. Berlin moves to summer time on Sunday 29 March.
MONDAY_9_MARCH_08_BERLIN = datetime(2026, 3, 9, 7, 0, tzinfo=UTC)
MONDAY_30_MARCH_08_BERLIN = datetime(2026, 3, 30, 6, 0, tzinfo=UTC)  # CEST: UTC+2
INVITE_CLINICIAN = text("en", "sharing.button.invite_clinician")
ACCEPT = text("en", "sharing.button.accept")
YES_SHARE = text("en", "sharing.button.confirm")
YES_ALERTS = text("en", "sharing.button.confirm_alerts")
FULL_REPORT = text("en", "sharing.button.full_report")
CODE = re.compile(r"\?start=(share_[A-Za-z0-9_-]+)")


async def tap_and_read(user: TelegramUser, label: str) -> str:
    """Tap `label` and wait for the answer; the tapped message's text as the bot left it."""
    message = next(m for m in reversed(user.messages) if label in m.labels)
    await user.answer_to(await user.tap(label))
    return user.current(message.message_id).text


async def erase(user: TelegramUser) -> None:
    await user.send("/delete")
    question = await user.expect("Delete it all?")
    await user.tap(text("en", "diary.delete.yes"))
    erased = "Everything about you is erased"
    await user.chat.changes.wait_until(lambda: erased in user.current(question.message_id).text or None, 10)


async def at(bot: BotHarness, clock: ManualClock, instant: datetime) -> None:
    clock.set(instant)
    await wake_dispatcher(bot.application)  # type: ignore[arg-type]


async def invitation_code(patient: TelegramUser) -> str:
    await patient.send("/share")
    await patient.expect("Share with a clinician")
    await patient.tap(INVITE_CLINICIAN)
    invite = await patient.expect("t.me/sibot_bot?start=")
    assert "sessions done of those planned" in invite.text  # what the invitee will see
    found = CODE.search(invite.text)
    assert found is not None and len(found.group(1)) <= 64
    return found.group(1)


async def accepted_in_berlin(follower: TelegramUser, code: str) -> None:
    """The invitee opens the link, accepts, and types their zone."""
    await follower.send(f"/start {code}")
    invitation = await follower.expect("invites you to follow")
    assert "Ana" in invitation.text and "clinician" in invitation.text
    await follower.tap(ACCEPT)
    await follower.expect("Which time zone")
    await follower.send("Europe/Berlin")
    await follower.expect("Mondays at 08:00")


async def linked(
    bot: BotHarness, emulator: Emulator, clock: ManualClock, *, confirm: str = YES_SHARE, **fields: Any
) -> tuple[TelegramUser, TelegramUser]:
    """Ana (a patient in Berlin) and Dr Bob, who follows her with both consents."""
    ana = emulator.patient(first_name="Ana", language_code="en")
    await onboarded_patient(bot.core.db, ana.user_id, clock.now(), timezone=BERLIN, **fields)
    bob = emulator.patient(first_name="Bob", language_code="en")
    await accepted_in_berlin(bob, await invitation_code(ana))
    await at(bot, clock, clock.now())
    await ana.expect("Bob accepted your invitation")
    assert "Sharing with Bob has started" in await tap_and_read(ana, confirm)
    await at(bot, clock, clock.now())
    started = await bob.expect("Ana confirmed")
    assert "9 Mar" in started.text or "Mon" in started.text
    return ana, bob


async def summaries(bot: BotHarness, chat_id: int) -> int:
    async with bot.core.db.transaction() as session:
        return await session.scalar(
            select(func.count()).select_from(ShareDelivery).where(
                ShareDelivery.chat_id == chat_id, ShareDelivery.key.like("week:%"),
                ShareDelivery.status == "sent",
            )
        ) or 0


async def test_nothing_is_shared_before_both_said_yes(bot, emulator, clock):
    ana = emulator.patient(first_name="Ana", language_code="en")
    await onboarded_patient(bot.core.db, ana.user_id, clock.now(), timezone=BERLIN)
    bob = emulator.patient(first_name="Bob", language_code="en")
    code = await invitation_code(ana)
    await at(bot, clock, clock.now() + timedelta(hours=1))  # a Monday: an invitation alone sends nothing
    await bob.assert_silent()
    await accepted_in_berlin(bob, code)
    await at(bot, clock, clock.now())
    asked = await ana.expect("Bob accepted your invitation as your clinician. Start sharing?")
    assert YES_SHARE in asked.labels
    await at(bot, clock, datetime(2026, 3, 16, 7, 0, tzinfo=UTC))  # the next Monday, still unconfirmed
    await bob.assert_silent()
    assert await summaries(bot, bob.user_id) == 0
    async with bot.core.db.transaction() as session:
        assert (await session.scalars(select(ShareLink.code_hash))).one() != code  # stored hashed


async def test_the_weekly_summary_comes_monday_08_local_with_reports_figures_across_dst(bot, emulator, clock):
    ana, bob = await linked(bot, emulator, clock, reminder_at=time(9, 0), weekdays=0b0011111)
    await diary_of_two_weeks(bot, ana.user_id)
    # the first Monday after the clock change: 08:00 in Berlin is 06:00 UTC, not 07:00
    await at(bot, clock, datetime(2026, 3, 23, 7, 0, tzinfo=UTC))
    await bob.expect("week of")  # the summary of 16-22 March, at 07:00 UTC (still winter time)
    await at(bot, clock, MONDAY_30_MARCH_08_BERLIN - timedelta(minutes=1))
    await bob.assert_silent()
    await at(bot, clock, MONDAY_30_MARCH_08_BERLIN)
    summary = await bob.expect("week of")
    assert summary.photo is not None and summary.photo.startswith(b"\x89PNG")
    assert FULL_REPORT in summary.labels
    report = await function.report(bot.core, ana.user_id)
    assert report is not None
    zone = ZoneInfo(BERLIN)
    monday = date(2026, 3, 23)
    done = dict(checkins.adherence(report.session_dates, monday, monday + timedelta(days=6)))[monday]
    pain = dict(checkins.weekly_pain(report.checkins, zone, monday - timedelta(days=7), monday + timedelta(days=6)))
    assert f"Sessions: {done} of 5 planned" in summary.text  # reminders on weekdays
    assert f"Average pain: {pain[monday]:.1f} (the week before: {pain[monday - timedelta(days=7)]:.1f})" in summary.text
    assert "Red flags: none" in summary.text
    # retried and again: never doubled
    await at(bot, clock, MONDAY_30_MARCH_08_BERLIN + timedelta(minutes=5))
    await bob.assert_silent()
    assert await summaries(bot, bob.user_id) == 2
    await bob.tap(FULL_REPORT)
    pdf = await bob.expect("report of the last 30 days")
    assert pdf.document is not None and pdf.document.startswith(b"%PDF")


async def diary_of_two_weeks(bot: BotHarness, patient_id: int) -> None:
    """Resting pain each day from 16 to 29 March (falling), a session on five days of each week."""
    async with bot.core.db.transaction() as session:
        for n in range(14):
            at = datetime(2026, 3, 16, 17, 0, tzinfo=UTC) + timedelta(days=n)
            session.add(Checkin(patient_id=patient_id, at=at, score=7 - n // 3, source="diary"))
            if n % 7 < 5:
                session.add(
                    ExerciseSession(
                        patient_id=patient_id, status=Status.COMPLETED, source="command",
                        exercise_keys=[], hold_seconds=5, repetitions=2, started_at=at,
                        updated_at=at, ended_at=at + timedelta(minutes=10),
                    )
                )


async def test_revoke_stops_the_next_summary_and_tells_the_follower(bot, emulator, clock):
    ana, bob = await linked(bot, emulator, clock)
    await ana.send("/share")
    listing = await ana.expect("Sharing with")
    assert "Bob (clinician), since" in listing.text
    assert total(await stats_by_cohort(bot.core)).followed == 1  # /stats
    assert "Bob gets nothing more" in await tap_and_read(ana, text("en", "sharing.button.revoke", name="Bob"))
    assert total(await stats_by_cohort(bot.core)).followed == 0
    await at(bot, clock, clock.now())
    await bob.expect("Ana stopped sharing with you")
    await at(bot, clock, MONDAY_9_MARCH_08_BERLIN)
    await bob.assert_silent()
    await bob.send("/patients")
    await bob.expect("You follow nobody yet")


async def test_the_patients_delete_removes_every_link_and_the_followers_their_own(bot, emulator, clock):
    ana, bob = await linked(bot, emulator, clock)
    await erase(bob)
    await ana.send("/share")
    listing = await ana.expect("Share with a clinician")
    assert "Bob" not in listing.text
    await at(bot, clock, MONDAY_9_MARCH_08_BERLIN)
    await bob.assert_silent()
    # and the other way round: a new follower, then the patient deletes everything
    carol = emulator.patient(first_name="Carol", language_code="en")
    await accepted_in_berlin(carol, await invitation_code(ana))
    await at(bot, clock, clock.now())
    await ana.tap(YES_SHARE)
    await at(bot, clock, clock.now())
    await carol.expect("Ana confirmed")
    await erase(ana)
    await at(bot, clock, datetime(2026, 3, 16, 7, 0, tzinfo=UTC))
    await carol.assert_silent()
    async with bot.core.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(ShareLink)) == 0


async def test_a_forged_used_expired_or_withdrawn_code_does_nothing(bot, emulator, clock):
    ana = emulator.patient(first_name="Ana", language_code="en")
    await onboarded_patient(bot.core.db, ana.user_id, clock.now(), timezone=BERLIN)
    bob, carol = (emulator.patient(first_name=name, language_code="en") for name in ("Bob", "Carol"))
    await carol.send("/start share_" + "A" * 43)
    await carol.expect("not valid")
    code = await invitation_code(ana)
    await ana.send(f"/start {code}")
    await ana.expect("your own invitation")
    await accepted_in_berlin(bob, code)
    await carol.send(f"/start {code}")  # replayed
    await carol.expect("already been used")
    await at(bot, clock, clock.now())
    assert "nothing is shared with Bob" in await tap_and_read(ana, text("en", "sharing.button.decline"))
    await bob.send(f"/start {code}")
    await bob.expect("withdrawn")
    late = await invitation_code(ana)
    clock.advance(timedelta(days=7, seconds=1))
    await carol.send(f"/start {late}")
    await carol.expect("expired")
    await carol.send("/patients")
    await carol.expect("You follow nobody yet")


async def test_a_follower_reaches_only_the_patients_who_chose_them(bot, emulator, clock):
    ana, bob = await linked(bot, emulator, clock)
    async with bot.core.db.transaction() as session:
        link_id = (await session.scalars(select(ShareLink.id))).one()
    carol = emulator.patient(first_name="Carol", language_code="en")
    await carol.send("/patients")
    answer = await carol.expect("You follow nobody yet")
    for data in (
        SHARE.data("report", link_id), SHARE.data("unfollow", link_id), SHARE.data("revoke", link_id),
        SHARE.data("confirm", link_id, 1), SHARE.data("report", 999999), SHARE.data("report", "x"),
    ):
        await carol.tap_data(data, answer.message_id)
    # the follower cannot act as the patient either
    await bob.send("/patients")
    listing = await bob.expect("Whom you follow")
    await bob.tap_data(SHARE.data("revoke", link_id), listing.message_id)
    await bob.tap_data(SHARE.data("confirm", link_id, 1), listing.message_id)
    await carol.assert_silent()
    await bob.assert_silent()
    assert not any(m.document for m in carol.messages)
    async with bot.core.db.transaction() as session:
        link = await session.get(ShareLink, link_id)
        assert link is not None and link.revoked_at is None and link.alerts is False
    assert "Ana" in listing.text and "Last pain" in listing.text or "No pain score" in listing.text
    await bob.tap(text("en", "sharing.button.unfollow", name="Ana"))
    await bob.expect("You no longer follow Ana")


async def test_an_emergency_flag_reaches_the_follower_at_once_and_the_patient_sees_it(bot, emulator, clock):
    ana, bob = await linked(bot, emulator, clock, confirm=YES_ALERTS)
    async with bot.core.db.transaction() as session:
        session.add(RedFlag(patient_id=ana.user_id, at=clock.now(), rule="cauda_equina", urgency="emergency"))
    await at(bot, clock, clock.now() + timedelta(seconds=5))
    alert = await bob.expect("Emergency signs: Ana")
    assert FULL_REPORT in alert.labels
    await at(bot, clock, clock.now())
    await ana.expect("I've told Bob")
    await at(bot, clock, clock.now() + timedelta(minutes=1))
    await bob.assert_silent()


async def test_an_emergency_answer_reaches_the_follower_at_once_not_at_the_next_tick(bot, emulator, clock):
    ana, bob = await linked(bot, emulator, clock, confirm=YES_ALERTS)
    # the dispatcher's next tick is 30 s away, in real time; the clock does not move from here on
    prompt = await pain_prompt(ana)
    await ana.tap("9")
    await edited(ana, prompt.message_id, "Where")
    await ana.expect("Pain of 8 or more")
    await answered(ana, await ana.tap("Done"))
    await edited(ana, prompt.message_id, "Anything new")
    await toggle(ana, prompt.message_id, "🚨 Numb between the legs")
    await answered(ana, await ana.tap("Done"))

    alert = await bob.expect("Emergency signs: Ana", timeout=5)
    assert FULL_REPORT in alert.labels
    # her advice and "I've told Bob" come side by side, in either order
    wanted = ("emergency department straight away", "I've told Bob")
    both = await ana.chat.changes.wait_until(
        lambda: all(any(w in m.text for m in ana.messages) for w in wanted) or None, 5
    )
    assert both
    await at(bot, clock, clock.now() + timedelta(minutes=1))  # the next ticks send nothing again
    await bob.assert_silent()
    async with bot.core.db.transaction() as session:
        keys = (await session.scalars(
            select(ShareDelivery.key).where(ShareDelivery.key.like("flag:%") | ShareDelivery.key.like("told:%"))
        )).all()
    assert len(keys) == 2


async def test_a_clinician_sees_the_cohort_each_patient_came_through(bot, emulator, clock):
    ana = emulator.patient(first_name="Ana", language_code="en")
    await ana.send("/start clinic_north")
    await ana.expect("Hi, Ana")
    async with bot.core.db.transaction() as session:
        row = await session.get(Patient, ana.user_id)
        assert row is not None
        row.onboarding_step, row.timezone = None, BERLIN
    bob = emulator.patient(first_name="Bob", language_code="en")
    await accepted_in_berlin(bob, await invitation_code(ana))
    await at(bot, clock, clock.now())
    await ana.tap(YES_SHARE)
    await bob.send("/patients")
    listing: Message = await bob.expect("Whom you follow")
    assert "clinic link clinic_north" in listing.text
    async with bot.core.db.transaction() as session:
        bob_row = await session.get(Patient, bob.user_id)
        assert bob_row is not None and bob_row.cohort is None  # an invitation is not a cohort


async def test_a_patient_can_follow_another_and_keeps_their_own_routine(bot, emulator, clock):
    ana = emulator.patient(first_name="Ana", language_code="en")
    await onboarded_patient(bot.core.db, ana.user_id, clock.now(), timezone=BERLIN)
    bob = emulator.patient(first_name="Bob", language_code="en")
    await onboarded_patient(bot.core.db, bob.user_id, clock.now(), name="Bob", timezone="UTC")
    await bob.send(f"/start {await invitation_code(ana)}")
    await bob.expect("invites you to follow")
    await bob.tap(ACCEPT)
    asked = await bob.expect("Which time zone")
    await bob.tap(asked.labels[0])  # a button of the zone picker: Bob's own zone, UTC
    await bob.expect("Mondays at 08:00")
    await at(bot, clock, clock.now())
    await ana.tap(YES_SHARE)
    await at(bot, clock, clock.now())
    await bob.expect("Ana confirmed")
    await bob.send("/patients")
    await bob.expect("Whom you follow")
    await bob.send("/share")  # and he is still a patient with his own sharing
    own = await bob.expect("Share with a clinician")
    assert "Ana" not in own.text
    await at(bot, clock, datetime(2026, 3, 9, 8, 0, tzinfo=UTC))  # 08:00 in UTC, Bob's zone
    await bob.expect("week of")


async def test_a_follower_who_blocked_the_bot_gets_nothing_until_they_write_again(bot, emulator, clock):
    ana, bob = await linked(bot, emulator, clock, confirm=YES_ALERTS)
    bob.block_bot(bot_told=False)  # the bot missed Telegram's word: a 403 tells it
    before = len(emulator.requests)
    await at(bot, clock, MONDAY_9_MARCH_08_BERLIN)  # the summary meets a 403
    async with bot.core.db.transaction() as session:
        session.add(RedFlag(patient_id=ana.user_id, at=clock.now(), rule="cauda_equina", urgency="emergency"))
    await at(bot, clock, clock.now())  # the alert is not tried
    await at(bot, clock, datetime(2026, 3, 16, 7, 0, tzinfo=UTC))  # nor the next summary

    tries = [r for r in emulator.requests[before:] if r.method.startswith("send") and r.chat_id == bob.user_id]
    assert [r.status for r in tries] == [403]
    async with bot.core.db.transaction() as session:
        rows = (await session.execute(
            select(ShareDelivery.key, ShareDelivery.status, ShareDelivery.error, ShareDelivery.attempts)
            .where(ShareDelivery.chat_id == bob.user_id, ShareDelivery.key.not_in(["confirmed"]))
            .order_by(ShareDelivery.id)
        )).all()
        assert [(key.partition(":")[0], status, attempts) for key, status, _, attempts in rows] == [
            ("week", "failed", 1), ("flag", "failed", 0), ("week", "failed", 0),
        ]
        assert rows[1].error == sharing.BLOCKED
        assert await session.scalar(select(Patient.active).where(Patient.id == bob.user_id)) is False
    await ana.assert_silent()  # nobody was alerted, and she is not told so

    bob.unblock_bot(bot_told=False)
    await bob.send("hello again")  # not /start: anything brings a follower back
    await bob.next_message()
    await at(bot, clock, datetime(2026, 3, 23, 7, 0, tzinfo=UTC))
    await bob.expect("week of")
