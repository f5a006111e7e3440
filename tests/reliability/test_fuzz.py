"""Property-based fuzzing of the update handlers through the real bot, polling the emulator.

Every example is one update from a new sender (an onboarded patient in a session, a patient
half-way through onboarding, a stranger, a group or a channel), so Telegram's per-chat limits
never slow the run. The properties: the bot handles every update without an error, and the rows
of two bystanders (one in a session with a reminder and a check-in, one in onboarding) stay as
they were.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from handlers.commands import COMMANDS
from sibot import sessions
from sibot.emulator import Emulator, TelegramUser
from sibot.emulator.world import unix_now
from sibot.models import Patient
from sibot.onboarding import Step
from sibot.patients import load_patient
from sibot.routine import ROUTINE_KEYS
from sibot.texts import text
from tests.factories import onboarded_patient
from tests.harness import BotHarness
from tests.reliability import counters
from tests.reliability.helpers import (
    LogWatch,
    Snapshot,
    bot_message_with_button,
    press,
    rows_of,
    watching_logs,
)

EXAMPLES = 300
ACTIONS = {
    "ob": ["accept", "clear", "zone", "zok", "pain", "answer"],
    "st": ["menu", "ask", "cancel", "time", "days", "pick", "zone", "rezone", "hold", "reps",
           "lang", "pause", "followups", "gentle"],
    "ss": ["start", "over", "pb", "next", "held", "pause", "go", "skip", "stop", "hurts", "hs",
           "hk", "pa"],
    "lib": ["list", "show", "do"],
    "rm": ["snooze", "skip"],
    "pn": ["score", "loc", "where", "sym", "done", "gentle"],
    "dl": ["yes", "no"],
    "ad": ["send", "cancel"],
}
SENDERS = ["onboarded", "onboarding", "settings_text", "stranger"]
_group_ids = itertools.count(-1_000_000_001, -1)


# --- what to send ------------------------------------------------------------------------------

emoji = st.sampled_from(
    ["👍", "🧘‍♀️", "🇩🇪", "❤️", "\u200d", "\ufeff", "🏳️‍🌈", "👩🏽‍⚕️", "\u202e", "ǅ", "𝔘"]
)
scripts = st.sampled_from(
    ["مرحبا بك", "你好，疼痛", "Привет", "שלום", "नमस्ते", "Ζ̸̢͔a̷̝l̶g̵o", "<b>x</b>&amp;", "\x00\t\r\n", " "]
)
texts = st.one_of(
    st.text(min_size=1, max_size=200),
    st.lists(st.one_of(emoji, scripts, st.text(max_size=8)), min_size=1, max_size=12).map("".join),
    st.builds(lambda piece, n: (piece * n)[:4096], st.text(min_size=1, max_size=12), st.integers(1, 4096)),
).filter(lambda value: value.strip() != "")
numbers = st.one_of(
    st.integers(-(2**70), 2**70), st.integers(-2, 12), st.sampled_from(["-", "", "0", "1", "+3", "٣", "1e9"])
).map(str)
words = st.one_of(
    numbers,
    st.sampled_from(["all", "reminder", "diary", "command", "menu", "onboarding", "Europe/Berlin",
                     "Mars/Olympus", "saddle", "en", "xx", "../", "%s", "null"]),
    st.text(max_size=10),
)
commands = st.builds(
    lambda name, args, bot_name: f"/{name}{'@sibot_bot' if bot_name else ''} {' '.join(args)}".rstrip(),
    st.one_of(st.sampled_from([*COMMANDS, "stats", "broadcast", "START", "pain"]),
              st.from_regex(r"[a-z_0-9]{1,40}", fullmatch=True)),
    st.lists(words, max_size=4),
    st.booleans(),
)


def _fits(data: str) -> bool:
    return 0 < len(data.encode()) <= 64


def forged_data(prefix: str) -> st.SearchStrategy[str]:
    """Callback data of one feature's prefix with a real or made-up action and junk arguments."""
    action = st.one_of(st.sampled_from(ACTIONS[prefix]), st.text(max_size=6))
    return st.builds(
        lambda a, args: ":".join([prefix, a, *args]), action, st.lists(words, max_size=4)
    ).filter(_fits)


any_data = st.one_of(
    st.sampled_from(list(ACTIONS)).flatmap(forged_data),
    st.text(min_size=1, max_size=64).filter(_fits),
)


@dataclass(frozen=True, repr=False)
class Bystanders:
    """Two patients the fuzzed updates must never touch, and the buttons they were shown."""

    ids: list[int]
    button_data: list[str]
    session_id: int
    session_token: int


@dataclass(repr=False)
class Fuzzing:
    bot: BotHarness
    emulator: Emulator
    watch: LogWatch
    bystanders: Bystanders
    before: Snapshot


# --- the bystanders ----------------------------------------------------------------------------


@pytest.fixture
def watch() -> Iterator[LogWatch]:
    with watching_logs() as watch:
        yield watch


@pytest.fixture
async def fuzzing(bot: BotHarness, emulator: Emulator, watch: LogWatch) -> AsyncIterator[Fuzzing]:
    ana = emulator.patient(first_name="Ana")
    # at her own pace: a guided session would move on by itself and change her rows
    await onboarded_patient(
        bot.core.db, ana.user_id, bot.clock.now(), reminder_at=time(9, 0), pace="own"
    )
    await ana.send("/pain 4")
    await ana.expect("Pain 4/10 saved")
    await ana.send("/exercises")
    await ana.expect("The exercises")
    await ana.send("/exercise")
    first = await ana.expect("Pain before: 4/10")  # the check-in of a moment ago
    assert "Hip adduction" in first.text
    ben = emulator.patient(first_name="Ben")
    await ben.send("/start")
    await ben.next_message()
    await ben.tap(text("en", "onboarding.accept"))
    await ben.next_message()
    async with bot.core.db.transaction() as session:
        state = await sessions.active_session(session, ana.user_id, bot.clock.now())
    assert state is not None
    bystanders = Bystanders(
        ids=[ana.user_id, ben.user_id],
        button_data=[d for p in (ana, ben) for m in p.messages for d in m.button_data.values()],
        session_id=state.id,
        session_token=state.step_token,
    )
    await watch.wait_handled(5)  # three updates of Ana, two of Ben
    yield Fuzzing(bot, emulator, watch, bystanders, await rows_of(bot.core.db, bystanders.ids))


# --- senders and updates -----------------------------------------------------------------------


async def new_sender(f: Fuzzing, kind: str, name: str, language: str | None) -> tuple[TelegramUser, int | None]:
    """A new user of the given kind, and their active session's id, if they have one."""
    patient = f.emulator.patient(first_name=name, language_code=language)
    db, now = f.bot.core.db, f.bot.clock.now()
    if kind == "stranger":
        return patient, None
    await onboarded_patient(db, patient.user_id, now, reminder_at=time(9, 0))
    async with db.transaction() as session:
        if kind == "onboarding":
            step = Step.TIMEZONE if patient.user_id % 2 else Step.REMINDER_TIME
            await session.execute(
                update(Patient).where(Patient.id == patient.user_id)
                .values(onboarding_step=step.value, awaiting=step.value)
            )
            return patient, None
        if kind == "settings_text":
            awaiting = "settings_zone" if patient.user_id % 2 else "settings_time"
            await session.execute(
                update(Patient).where(Patient.id == patient.user_id).values(awaiting=awaiting)
            )
            return patient, None
        view = await load_patient(session, patient.user_id)
        assert view is not None
        state = await sessions.start_session(session, view, ROUTINE_KEYS, sessions.Source.COMMAND, now)
    return patient, state.id


def group_chat(kind: str) -> dict[str, Any]:
    chat_id = next(_group_ids)
    if kind == "channel":
        return {"id": chat_id - 10**12, "type": "channel", "title": "SI news"}
    return {"id": chat_id, "type": kind, "title": "Back pain club"}


def other_content(draw: st.DrawFn) -> dict[str, Any]:
    file = {"file_id": "EMU-x-000001", "file_unique_id": "U000001"}
    return draw(st.sampled_from([
        {"photo": [{**file, "width": 90, "height": 90}], "caption": "my back"},
        {"sticker": {**file, "type": "regular", "width": 512, "height": 512,
                     "is_animated": False, "is_video": False, "emoji": "😀"}},
        {"document": {**file, "file_name": "scan.pdf"}},
        {"voice": {**file, "duration": 3}},
        {"contact": {"phone_number": "+100", "first_name": "Dr Who"}},
        {"dice": {"emoji": "🎲", "value": 4}},
        {"location": {"latitude": draw(st.floats(-90, 90)), "longitude": draw(st.floats(-180, 180))}},
    ]))


async def fuzz_one(f: Fuzzing, draw: st.DrawFn) -> None:
    """Send one drawn update, and wait until the bot has handled it."""
    kind = draw(st.sampled_from(SENDERS))
    name = draw(st.text(min_size=1, max_size=64).filter(lambda n: n.strip() != ""))
    language = draw(st.sampled_from(["en", "de", "pt-br", "zz", "", None]))
    patient, session_id = await new_sender(f, kind, name, language)
    handled = len(f.watch.handled())
    shape = draw(st.sampled_from(
        ["text", "command", "forged", "bystander", "session", "edited", "other", "group", "channel"]
    ))
    if shape == "text":
        await patient.send(draw(texts))
    elif shape == "command":
        await patient.send(draw(commands))
    elif shape in ("forged", "bystander", "session"):
        by = f.bystanders
        if shape == "forged":
            data = draw(any_data)
        elif shape == "bystander":
            data = draw(st.one_of(
                st.sampled_from(by.button_data),
                st.builds(lambda a, s: f"ss:{a}:{by.session_id}:{by.session_token}:{s}",
                          st.sampled_from(ACTIONS["ss"]), numbers),
            ).filter(_fits))
        else:
            own = session_id if session_id is not None else by.session_id
            data = draw(st.builds(lambda a, t, s: f"ss:{a}:{own}:{t}:{s}",
                                  st.sampled_from(ACTIONS["ss"]), st.integers(-1, 3), numbers).filter(_fits))
        press(f.emulator, patient, data, bot_message_with_button(patient, data))
    elif shape == "edited":
        body = {"message_id": patient.chat.next_message_id(), "from": patient.user,
                "chat": patient.chat.info, "date": unix_now(), "edit_date": unix_now(),
                "text": draw(st.one_of(texts, commands))}
        f.emulator.feed_update({"edited_message": body})
    elif shape == "other":
        await patient.send_content(other_content(draw))
    elif shape == "group":
        chat = group_chat(draw(st.sampled_from(["group", "supergroup"])))
        body = {"message_id": 1, "from": patient.user, "chat": chat, "date": unix_now(),
                "text": draw(st.one_of(texts, commands))}
        if draw(st.booleans()):
            f.emulator.feed_update({"message": body})
        else:
            press(f.emulator, patient, draw(any_data), {**body, "from": body["from"] | {"is_bot": False}})
    else:
        chat = group_chat("channel")
        body = {"message_id": 1, "chat": chat, "date": unix_now(), "text": draw(st.one_of(texts, commands))}
        field = draw(st.sampled_from(["channel_post", "edited_channel_post"]))
        f.emulator.feed_update({field: body | ({"edit_date": unix_now()} if field.startswith("edited") else {})})
    counters.fuzzed()
    await f.watch.wait_handled(handled + 1)


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_random_updates_never_fail_and_never_touch_other_patients(
    fuzzing: Fuzzing, data: st.DataObject
) -> None:
    first_record = len(fuzzing.watch.records)
    await fuzz_one(fuzzing, data.draw)
    assert fuzzing.watch.failures(since=first_record) == []
    assert await rows_of(fuzzing.bot.core.db, fuzzing.bystanders.ids) == fuzzing.before
