"""The exercise pictures in a session, end to end: uploaded once, then sent by file id."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from sibot.emulator import Emulator, Message, TelegramUser
from sibot.models import PictureFile
from sibot.pictures import picture_file
from sibot.routine import ROUTINE
from sibot.texts import text
from tests.factories import onboarded_patient
from tests.harness import BotHarness, ManualClock

NEXT, SKIP_SCORE = text("en", "session.button.next"), text("en", "session.button.skip_question")
HOLD_TIP = "tell you when to relax"
PAIN_AFTER = "How much does it hurt now"


async def _patient(
    bot: BotHarness, emulator: Emulator, clock: ManualClock, *, pictures: bool = True, pace: str = "own"
) -> TelegramUser:
    """A patient at my pace unless told: a walk taps Next at every step."""
    patient = emulator.patient()
    await onboarded_patient(
        bot.core.db, patient.user_id, clock.now(), repetitions=1, pace=pace, pictures=pictures
    )
    return patient


async def _start_from_the_library(patient: TelegramUser, title: str) -> Message:
    """Open the exercise's card in /exercises, start it, skip the pain question: its first message."""
    await patient.send("/exercises")
    await patient.expect("The exercises")
    await patient.answer_to(await patient.tap(title))
    await patient.tap(text("en", "session.library.do"))
    await patient.expect("how much does it hurt")
    await patient.tap(SKIP_SCORE)
    return await patient.expect(f"{title} (1 of 1)")


async def _whole_session(patient: TelegramUser, title: str) -> tuple[list[Message], int]:
    """A session of one exercise through to the last question: every message sent, and the taps."""
    messages, taps = [await _start_from_the_library(patient, title)], 3
    while PAIN_AFTER not in messages[-1].text:
        if HOLD_TIP in messages[-1].text:
            messages.append(await patient.next_message())  # the relax comes by itself
        await patient.tap(NEXT)
        taps += 1
        messages.append(await patient.next_message())
    return messages, taps


async def test_each_exercise_starts_with_its_first_sides_animation(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    titles = [text("en", entry.title_key) for entry in ROUTINE]
    patients = [await _patient(bot, emulator, clock, pace="guided") for _ in ROUTINE]
    starts = await asyncio.gather(*map(_start_from_the_library, patients, titles))
    first_sides = [f"{entry.key}.right" if entry.per_side else entry.key for entry in ROUTINE]
    for start, entry, name in zip(starts, ROUTINE, first_sides, strict=True):
        assert start.animation == picture_file(f"{name}.animation")
        assert start.text.endswith(text("en", entry.picture_key()))  # told in words, too
    # each first side's animation, and each library card's still
    assert emulator.world.uploaded_bytes == sum(
        len(picture_file(f"{name}.{kind}"))
        for name in first_sides
        for kind in ("animation", "still")
    )


async def test_the_second_side_comes_as_its_animation_uploaded_once_or_as_text_pictures_off(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    """At my pace the switch to the second side is a message of its own: it comes as that side's
    animation, the switch its caption with the picture told in words. The first whole session
    uploads each picture once, the next one nothing; with pictures off the same session has the
    same messages and taps, only without the pictures."""
    title, key = text("en", "routine.knee_to_chest.title"), "knee_to_chest"
    await _whole_session(await _patient(bot, emulator, clock), title)
    uploaded = emulator.world.uploaded_bytes
    assert uploaded == sum(
        len(picture_file(name))
        for name in (f"{key}.right.animation", f"{key}.left.animation", f"{key}.right.still")
    )
    (shown, shown_taps), (plain, plain_taps) = await asyncio.gather(
        _whole_session(await _patient(bot, emulator, clock), title),
        _whole_session(await _patient(bot, emulator, clock, pictures=False), title),
    )
    assert emulator.world.uploaded_bytes == uploaded
    assert (len(shown), shown_taps) == (len(plain), plain_taps)
    assert not any(message.animation or message.photo for message in plain)
    switch = next(
        index for index, message in enumerate(plain)
        if message.text.startswith(text("en", f"routine.{key}.side.left"))
    )
    assert [index for index, message in enumerate(shown) if message.animation] == [0, switch]
    assert shown[0].animation == picture_file(f"{key}.right.animation")
    assert shown[switch].animation == picture_file(f"{key}.left.animation")
    assert shown[switch].text.endswith(text("en", f"routine.{key}.picture.left"))
    for pictured, alone in zip(shown, plain, strict=True):
        assert pictured.text == alone.text or pictured.text.startswith(alone.text + "\n")
        assert pictured.labels == alone.labels


async def test_a_refused_file_id_is_uploaded_once_more_and_replaced(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    name = "hip_adduction.animation"
    bot_id = emulator.api.bot_user["id"]
    async with bot.core.db.transaction() as session:
        session.add(PictureFile(bot_id=bot_id, picture=name, file_id="EMU-animations-999999",
                                stored_at=clock.now()))
    patient = await _patient(bot, emulator, clock)
    await patient.send("/exercise")
    await patient.expect("how much does it hurt")
    await patient.tap(SKIP_SCORE)
    start = await patient.expect("Hip adduction (1 of 6)")
    assert start.animation == picture_file(name)
    assert emulator.world.uploaded_bytes == len(picture_file(name))
    await patient.tap(NEXT)
    await patient.expect("Step 1 of 3")  # the upload's handler is done, its new id stored
    async with bot.core.db.transaction() as session:
        [row] = (await session.execute(select(PictureFile))).scalars().all()
    assert row.file_id != "EMU-animations-999999" and row.file_id in emulator.world.files


async def test_a_picture_telegram_refuses_to_take_leaves_its_caption_as_text_and_the_session_going_on(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    emulator.faults.add("400", method="sendAnimation", description="Bad Request: IMAGE_PROCESS_FAILED")
    patient = await _patient(bot, emulator, clock)
    await patient.send("/exercise")
    await patient.expect("how much does it hurt")
    await patient.tap(SKIP_SCORE)
    start = await patient.expect("Hip adduction (1 of 6)")
    assert start.animation is None and start.text.endswith(text("en", "routine.hip_adduction.picture"))
    assert NEXT in start.labels
    await patient.tap(NEXT)
    await patient.expect("Step 1 of 3")
    async with bot.core.db.transaction() as session:
        assert (await session.execute(select(PictureFile))).scalars().all() == []


async def test_a_library_card_comes_with_its_still_or_with_pictures_off_in_place_of_the_list(
    bot: BotHarness, emulator: Emulator, clock: ManualClock
) -> None:
    title = text("en", "routine.piriformis_stretch.title")
    shown, plain = await _patient(bot, emulator, clock), await _patient(bot, emulator, clock, pictures=False)
    for patient in (shown, plain):
        await patient.send("/exercises")
        await patient.expect("The exercises")
        await patient.answer_to(await patient.tap(title))
    card = await shown.next_message()
    assert card.photo == picture_file("piriformis_stretch.right.still")
    assert card.text.endswith(text("en", "routine.piriformis_stretch.picture"))
    assert card.labels == [text("en", "session.library.do")]
    [library] = [message for message in plain.messages if message.edited]
    assert library.photo is None and library.text.startswith(title)
    assert library.labels == [text("en", "session.library.do"), text("en", "session.library.back")]
    uploaded = emulator.world.uploaded_bytes
    another = await _patient(bot, emulator, clock)
    await another.send("/exercises")
    await another.expect("The exercises")
    await another.answer_to(await another.tap(title))
    assert (await another.next_message()).photo == card.photo
    assert emulator.world.uploaded_bytes == uploaded
