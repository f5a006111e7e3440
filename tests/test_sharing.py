"""Sharing's outbox on both databases: sent once, retried, never doubled by two bots, and a lease
that lapses makes a row due again. The renderer is the glue's own; Telegram is a recording fake."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from handlers.sharing import MESSAGES
from sibot import diary, sharing
from sibot.checkins import CheckinSource
from sibot.core import Core
from sibot.models import Patient, ShareDelivery
from sibot.ports import RecipientBlocked, TemporarySendFailure
from sibot.safety import Symptom
from sibot.sharing import Role, ShareOutbox
from tests.factories import onboarded_patient
from tests.test_dispatcher import RecordingSender

PATIENT, FOLLOWER = 1001, 2002
MONDAY_08_BERLIN = datetime(2026, 3, 9, 7, 0, tzinfo=UTC)


async def followed(core: Core, alerts: bool = False) -> int:
    """A patient and a follower in Berlin with both consents; the link's id."""
    await onboarded_patient(core.db, PATIENT, core.clock.now(), timezone="Europe/Berlin")
    await onboarded_patient(core.db, FOLLOWER, core.clock.now(), name="Bob")
    made = await sharing.invite(core, PATIENT, Role.CARER)
    assert not isinstance(await sharing.accept(core, made.code, FOLLOWER), sharing.Problem)
    await sharing.choose_zone(core, FOLLOWER, "Europe/Berlin")
    (line,) = await sharing.followers_of(core, PATIENT)
    assert await sharing.confirm(core, PATIENT, line.link_id, alerts=alerts) is not None
    return line.link_id


async def statuses(core: Core) -> dict[str, str]:
    async with core.db.transaction() as session:
        return dict((await session.execute(select(ShareDelivery.key, ShareDelivery.status))).all())


async def test_a_failed_summary_is_retried_and_sent_once(core, clock):
    await followed(core)
    sender = RecordingSender()
    outbox = ShareOutbox(core, sender, MESSAGES)
    await outbox.tick(clock.now())  # the notices of the consent
    sender.failures.append(TemporarySendFailure("network down"))
    clock.set(MONDAY_08_BERLIN)
    retry_at = await outbox.tick(clock.now())
    assert (await statuses(core))["week:2026-03-09"] == "pending"
    assert retry_at == MONDAY_08_BERLIN + timedelta(seconds=30)
    clock.set(retry_at)
    await outbox.tick(clock.now())
    await outbox.tick(clock.now() + timedelta(minutes=5))
    summaries = [m for chat, m, _ in sender.sent if chat == FOLLOWER and "week of" in m.text]
    assert len(summaries) == 1
    assert (await statuses(core))["week:2026-03-09"] == "sent"


async def test_two_bots_never_send_one_summary_twice(core, clock):
    await followed(core)
    sender = RecordingSender()
    first, second = ShareOutbox(core, sender, MESSAGES), ShareOutbox(core, sender, MESSAGES)
    await asyncio.gather(first.tick(clock.now()), second.tick(clock.now()))
    clock.set(MONDAY_08_BERLIN)
    await asyncio.gather(first.tick(clock.now()), second.tick(clock.now()))
    texts = [m.text for chat, m, _ in sender.sent if chat == FOLLOWER]
    assert sum("week of" in t for t in texts) == 1
    assert sum("confirmed" in t for t in texts) == 1


async def test_a_lapsed_lease_makes_the_row_due_again(core, clock):
    link_id = await followed(core)
    async with core.db.transaction() as session:
        # a bot claimed the "confirmed" notice and died before it sent it
        row = (
            await session.scalars(
                select(ShareDelivery).where(ShareDelivery.link_id == link_id, ShareDelivery.key == "confirmed")
            )
        ).one()
        row.claimed_by, row.lease_until = "dead", clock.now() + timedelta(seconds=10)
    sender = RecordingSender()
    outbox = ShareOutbox(core, sender, MESSAGES)
    assert await outbox.tick(clock.now()) == clock.now() + timedelta(seconds=10)
    assert sender.sent == []
    clock.advance(timedelta(seconds=10))
    await outbox.tick(clock.now())
    assert [chat for chat, _, _ in sender.sent] == [FOLLOWER]


async def test_an_emergency_rings_the_doorbell_and_a_crash_before_the_send_only_delays_it(core, clock):
    await followed(core, alerts=True)
    rings: list[str] = []
    core.doorbell.answer_with(lambda: rings.append("ring"))
    sender = RecordingSender()
    outbox = ShareOutbox(core, sender, MESSAGES)
    await outbox.tick(clock.now())  # the notices of the consent
    checkin = await diary.record(core, PATIENT, 4, CheckinSource.DIARY)
    assert await diary.detail(core, PATIENT, checkin.checkin_id, [], [Symptom.FEVER]) is not None
    assert rings == []  # a doctor today, not an emergency: nobody is alerted
    assert await diary.detail(core, PATIENT, checkin.checkin_id, [], [Symptom.SADDLE_NUMBNESS]) is not None
    assert rings == ["ring"]
    # the bot died before its dispatcher woke: the next one's ticks send the alert, once
    restarted = ShareOutbox(core, sender, MESSAGES)
    await restarted.tick(clock.now())
    await restarted.tick(clock.now() + timedelta(seconds=30))
    assert sum("Emergency signs" in text for text in sender.texts_to(FOLLOWER)) == 1
    assert sum("I've told Bob" in text for text in sender.texts_to(PATIENT)) == 1


async def test_a_follower_who_blocked_the_bot_is_not_tried_again_until_they_write(core, clock):
    await followed(core)
    sender = RecordingSender()
    outbox = ShareOutbox(core, sender, MESSAGES)
    await outbox.tick(clock.now())
    sender.failures.append(RecipientBlocked("Forbidden: bot was blocked by the user"))
    clock.set(MONDAY_08_BERLIN)
    await outbox.tick(clock.now())
    clock.set(MONDAY_08_BERLIN + timedelta(days=7))
    await outbox.tick(clock.now())
    assert [status for key, status in (await statuses(core)).items() if key.startswith("week:")] == ["failed"] * 2
    calls = sender.calls
    await outbox.tick(clock.now() + timedelta(hours=1))
    assert sender.calls == calls
    async with core.db.transaction() as session:
        assert await session.scalar(select(Patient.active).where(Patient.id == FOLLOWER)) is False
