"""What one session costs the patient and the bot, at each pace (issue 22).

A patient walks a default session (six exercises, 5 repetitions, 5 s holds) through the emulator
over HTTP, against the bot running in this process on a fast clock: SIBOT_HOLD_TIME_SCALE shortens
holds, rests and reading pauses, and the chat's send limit is raised as much, so a walk takes
seconds. The patient taps after the time the estimate allows for it (getting into position,
answering a question), and otherwise waits for what comes. Figures per session: messages sent,
taps, edits, bytes the bot sent (the JSON bodies of its send and edit calls), the longest run of
one sentence of four words or more (how many messages repeat it), the length on the patient's
clock (the walk's wall time over the scale) beside the "about N minutes" the bot announced, and
sessions a day one bot can serve at Telegram's 30 messages a second. The counts do not depend on
the clock or the machine. Baseline in the same run: the patient's own pace (Next at every step).
The bot runs in this process rather than as a child: the figures are counts, not timings.
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot import build_application
from handlers.ptb.lifecycle import polling
from sibot.emulator import Emulator, Message, TelegramUser
from sibot.routine import (
    OWN_PACE_REST_SECONDS,
    POSITION_SECONDS,
    QUESTION_SECONDS,
    READING_SECONDS,
    ROUTINE_KEYS,
    UNTIMED_REP_SECONDS,
    Pace,
    estimated_seconds,
)
from sibot.settings import load_settings
from sibot.texts import text

from benchmarks.report import Options, run, table
from benchmarks.stage import TOKEN, running_emulator, seed_patients

TELEGRAM_RATE = 30  # messages a second, for the whole bot
SECONDS_A_DAY = 86_400
SENTENCE_WORDS = 4  # a sentence this long or longer counts as an instruction that may repeat
# The targets for the guided pace at the defaults.
TARGET_TAPS = 20
TARGET_MESSAGES = 110
TARGET_REPEATS = 10
PAIN_ANSWER = "2"
SUMMARY = "Session done"
IN_POSITION = text("en", "session.button.in_position")
NEXT_EXERCISE = text("en", "session.button.next_exercise")
NEXT = text("en", "session.button.next")
HOLD_TIP = "tell you when to relax"
# The calls that put a message in the chat: text, and the exercise pictures with their captions.
SEND_METHODS = ("sendmessage", "sendanimation", "sendphoto")
# At their own pace, the patient reads a setup step and taps Next.
OWN_PACE_READING = READING_SECONDS["instruction"] + QUESTION_SECONDS
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True, slots=True)
class Size:
    hold_seconds: int
    repetitions: int
    scale: float  # of the session's clock: 0.05 makes a 12-minute session 36 s


def size_of(options: Options) -> Size:
    return Size(5, 2, 0.01) if options.tiny else Size(5, 5, 0.05)


@dataclass(frozen=True, slots=True)
class Walk:
    """One session as the patient went through it, and what the bot sent for it."""

    transcript: tuple[str, ...]
    taps: int
    messages: int
    edits: int
    sent_bytes: int
    seconds: float  # on the patient's clock
    announced_minutes: int

    @property
    def most_repeated(self) -> tuple[str, int]:
        """The sentence of four words or more that the most messages hold, and how many."""
        counts: Counter[str] = Counter()
        for message in self.transcript:
            counts.update(set(long_sentences(message)))
        return counts.most_common(1)[0] if counts else ("", 0)

    @property
    def sessions_a_day(self) -> int:
        return TELEGRAM_RATE * SECONDS_A_DAY // max(1, self.messages)

    def figures(self, estimate_seconds: int) -> dict[str, Any]:
        sentence, repeats = self.most_repeated
        return {
            "messages": self.messages,
            "taps": self.taps,
            "edits": self.edits,
            "bytes": self.sent_bytes,
            "most_repeated_sentence": sentence,
            "messages_repeating_it": repeats,
            "walk_minutes": round(self.seconds / 60, 1),
            "estimate_minutes": round(estimate_seconds / 60, 1),
            "announced_minutes": self.announced_minutes,
            "sessions_a_day": self.sessions_a_day,
        }


def long_sentences(message: str) -> list[str]:
    return [
        sentence.strip()
        for sentence in _SENTENCE_END.split(message)
        if len(sentence.split()) >= SENTENCE_WORDS
    ]


async def walk_session(emulator: Emulator, patient: TelegramUser, scale: float) -> Walk:
    """/exercise, then the whole session, tapping as a patient would."""
    loop = asyncio.get_running_loop()
    first_request = len(emulator.requests)
    await patient.send("/exercise")
    started, taps, transcript = loop.time(), 0, []
    announced = 0
    while True:
        message = await patient.next_message(timeout=60)
        transcript.append(message.text)
        if SUMMARY in message.text:
            break
        if not announced and (found := re.search(r"about (\d+) minute", message.text)):
            announced = int(found.group(1))
        tap = _tap_for(message)
        if tap is not None:
            label, seconds = tap
            await asyncio.sleep(seconds * scale)
            await patient.tap(label)
            taps += 1
    calls = [
        request for request in emulator.requests[first_request:]
        if request.chat_id == patient.user_id and request.status == 200
    ]
    sends = [call for call in calls if call.method.lower() in SEND_METHODS]
    edits = [call for call in calls if call.method.lower().startswith("editmessage")]
    return Walk(
        transcript=tuple(transcript),
        taps=taps,
        messages=len(sends),
        edits=len(edits),
        sent_bytes=sum(_size(call.payload) for call in sends + edits),
        seconds=(loop.time() - started) / scale,
        announced_minutes=announced,
    )


def _size(payload: dict[str, Any]) -> int:
    return len(json.dumps(payload, ensure_ascii=False).encode())


def _tap_for(message: Message) -> tuple[str, float] | None:
    """What the patient taps on this message, and how long they take first; None: they wait."""
    labels = message.labels
    if PAIN_ANSWER in labels:
        return PAIN_ANSWER, QUESTION_SECONDS
    for label in (IN_POSITION, NEXT_EXERCISE):
        if label in labels:
            return label, POSITION_SECONDS
    if NEXT not in labels:
        return None
    if message.text.startswith("Relax"):
        return NEXT, OWN_PACE_REST_SECONDS
    if "Rep " in message.text and HOLD_TIP not in message.text:
        return NEXT, UNTIMED_REP_SECONDS
    return NEXT, OWN_PACE_READING


class FastClock:
    """The patient's clock, running 1/scale times as fast as the wall clock from its start: the
    bot's timers, its flood limit and its timestamps all keep the same pace."""

    def __init__(self, scale: float) -> None:
        self._scale = scale
        self._start = datetime.now(UTC)
        self._started = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=(time.monotonic() - self._started) / self._scale)


@asynccontextmanager
async def guided_bot(emulator: Emulator, url: str, scale: float) -> AsyncIterator[None]:
    """sibot in this process on `url`, its session clock (and chat send limit) sped up."""
    settings = load_settings(
        require_token=False, DATABASE_URL=url, TELEGRAM_API_BASE_URL=emulator.base_url,
        SIBOT_HOLD_TIME_SCALE=scale,
    )
    application = build_application(
        settings, clock=FastClock(scale), token=TOKEN, chat_sends_per_second=1 / scale
    )
    async with polling(application, poll_timeout=1):
        yield


async def measure(options: Options) -> tuple[dict[str, Any], str]:
    size = size_of(options)
    pace_ids = {Pace.GUIDED: 910_000_001, Pace.OWN: 910_000_002}
    with tempfile.TemporaryDirectory(prefix="sibot-pace-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'sibot.db'}"
        async with (
            running_emulator(chat_rate=None) as emulator,
            guided_bot(emulator, url, size.scale),
        ):
            for pace, patient_id in pace_ids.items():
                await seed_patients(
                    url, [patient_id], None, hold_seconds=size.hold_seconds,
                    repetitions=size.repetitions, pace=pace.value,
                )
            patients = {pace: emulator.patient(user_id=pid) for pace, pid in pace_ids.items()}
            walks = await asyncio.gather(
                *(walk_session(emulator, patient, size.scale) for patient in patients.values())
            )
    figures: dict[str, Any] = {
        "hold_seconds": size.hold_seconds, "repetitions": size.repetitions, "scale": size.scale,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    for pace, walk in zip(pace_ids, walks, strict=True):
        estimate = estimated_seconds(ROUTINE_KEYS, size.hold_seconds, size.repetitions, pace=pace)
        figures[pace.value] = walk.figures(estimate)
    guided = figures[Pace.GUIDED.value]
    figures["meets_targets"] = (
        guided["taps"] <= TARGET_TAPS and guided["messages"] <= TARGET_MESSAGES
        and guided["messages_repeating_it"] <= TARGET_REPEATS
    )
    rows = [
        (
            pace.value, entry["messages"], entry["taps"], entry["edits"], entry["bytes"],
            entry["messages_repeating_it"], entry["walk_minutes"], entry["estimate_minutes"],
            entry["announced_minutes"], entry["sessions_a_day"],
        )
        for pace in pace_ids
        for entry in (figures[pace.value],)
    ]
    printed = table(
        f"One session: {size.hold_seconds} s holds, {size.repetitions} reps, six exercises "
        f"(targets for guided: taps <= {TARGET_TAPS}, messages <= {TARGET_MESSAGES}, "
        f"a sentence in <= {TARGET_REPEATS} messages; met: {figures['meets_targets']})",
        (
            "pace", "messages", "taps", "edits", "bytes", "max repeats", "walk min",
            "estimate min", "announced", "sessions/day",
        ),
        rows,
    )
    return figures, printed


if __name__ == "__main__":
    run("pace", measure)
