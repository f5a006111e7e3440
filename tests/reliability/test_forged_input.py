"""Forged button data and commands with junk arguments: never an error, never a changed row.

Every button route and every command gets arguments no keyboard makes and no patient means as a
number: digits that are not ASCII ("²", "٣", "１２"), signs, spaces, exponents, numbers past any
id, and text in other scripts. Each example comes from a new sender (so Telegram's one message a
second per chat never slows the run), an operator or not: a patient in a session (with a
reminder, a check-in and the gentle routine already on, so that the buttons without arguments,
which act whatever follows them, change nothing), or one half-way through onboarding. The
properties: the bot handles it without an error and without "Something went wrong", and every row
of every table stays as it was.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, update

from handlers.buttons import FEATURES
from handlers.commands import COMMANDS
from sibot import diary, sessions
from sibot.checkins import CheckinSource
from sibot.emulator import Emulator, TelegramUser
from sibot.models import Patient, SafetyAnswer
from sibot.onboarding import Step
from sibot.patients import load_patient
from sibot.routine import ROUTINE_KEYS
from sibot.texts import text
from tests.factories import onboarded_patient
from tests.harness import BotHarness, ManualClock
from tests.reliability.helpers import LogWatch, Snapshot, all_rows, bot_message_with_button, press, watching_logs

EXAMPLES = 100  # on each database
SOMETHING_WENT_WRONG = text("en", "common.error")
OPERATORS = range(5_000_000, 5_000_000 + EXAMPLES * 2)
# The onboarding steps without a button that acts whatever its arguments (the disclaimer's
# "I agree" and the zone confirmation's "that is not my zone" do); None: onboarded, in a session.
STEPS = [None, Step.SAFETY, Step.TIMEZONE, Step.REMINDER_TIME, Step.REMINDER_DAYS, Step.BASELINE]
# /exercise starts or interrupts a session and /broadcast drafts its text whatever follows them,
# and "/start <code>" records any code of letters, digits, "-" and "_" as the patient's clinic.
COMMANDS_THAT_WRITE = {"exercise", "broadcast", "start"}
# Every button route of the table: feature prefix and action.
ROUTES = [(feature.prefix, action) for feature in FEATURES for action in sorted(feature.actions)]

not_numbers = st.one_of(
    st.sampled_from(["²", "٣", "١٢", "१२", "１２", "𝟙", "½", "Ⅻ", "--5", "-1", "-0", "+3", " 3", "3 ",
                     "1_0", "1e9", "0x1f", "", "-", "٣:٠٠", "07٣٠"]),
    st.integers(10**5, 2**31 - 1).map(str),  # past any row, score, mask, choice or time code
    st.integers(2**31, 10**400).map(str),
    st.integers(-(2**70), -1).map(str),
)
junk = st.one_of(
    not_numbers,
    st.text(min_size=1, max_size=12).filter(lambda value: not value.isascii()),
    st.sampled_from(["../", "%s", "null", "{}", "\x00", "\u202e", "a b"]),
)
commands = st.builds(
    lambda name, args, bot_name: f"/{name}{'@sibot_bot' if bot_name else ''} {' '.join(args)}",
    st.sampled_from(sorted({*COMMANDS, "stats", "broadcast"} - COMMANDS_THAT_WRITE)),
    st.lists(junk, min_size=1, max_size=3),
    st.booleans(),
)


def _fits(data: str) -> bool:
    return 0 < len(data.encode()) <= 64


@dataclass(frozen=True)
class Sender:
    patient: TelegramUser
    session_id: int | None = None
    session_token: int | None = None
    checkin_id: int | None = None


def button_data(sender: Sender) -> st.SearchStrategy[str]:
    """Every route with junk arguments; a patient's own session and check-in buttons with junk
    where their numbers go."""
    strategies = [
        st.builds(lambda route, args: ":".join([*route, *args]), st.sampled_from(ROUTES), st.lists(junk, max_size=4)),
        st.builds(lambda args: ":".join(["pn", "score", *args]), st.lists(junk, min_size=1, max_size=2)),
    ]
    if sender.session_id is not None:
        ids = f"{sender.session_id}:{sender.session_token}"
        strategies += [
            st.builds(lambda action, args: ":".join(["ss", action, ids, *args]),
                      st.sampled_from(["pb", "pa", "hs"]), st.lists(junk, min_size=1, max_size=2)),
            st.builds(lambda score, sharp: f"ss:hk:{ids}:{score}:{sharp}", st.sampled_from(["3", "²", "٣"]), junk),
            st.builds(lambda action, args: ":".join(["pn", action, str(sender.checkin_id), *args]),
                      st.sampled_from(["loc", "where", "sym", "done"]), st.lists(junk, min_size=1, max_size=3)),
        ]
    return st.one_of(strategies).filter(_fits)


@dataclass(repr=False)
class Scene:
    bot: BotHarness
    emulator: Emulator
    watch: LogWatch
    operators: Iterator[int]

    async def new_sender(self, step: Step | None, operator: bool) -> Sender:
        patient = self.emulator.patient(first_name="Ben", user_id=next(self.operators) if operator else None)
        db, now = self.bot.core.db, self.bot.clock.now()
        await onboarded_patient(db, patient.user_id, now, reminder_at=time(9, 0))
        async with db.transaction() as session:
            if step is not None:
                awaiting = step.value if step in (Step.TIMEZONE, Step.REMINDER_TIME) else None
                await session.execute(update(Patient).where(Patient.id == patient.user_id)
                                      .values(onboarding_step=step.value, awaiting=awaiting))
                if step is Step.SAFETY:  # no question answered yet
                    await session.execute(delete(SafetyAnswer).where(SafetyAnswer.patient_id == patient.user_id))
                return Sender(patient)
            checkin = await diary.record_checkin(session, patient.user_id, now, 4, CheckinSource.DIARY)
            await diary.switch_to_gentle(session, patient.user_id)
            view = await load_patient(session, patient.user_id)
            assert view is not None
            state = await sessions.start_session(session, view, ROUTINE_KEYS, sessions.Source.COMMAND, now)
        return Sender(patient, state.id, state.step_token, checkin.checkin_id)


@pytest.fixture
def watch() -> Iterator[LogWatch]:
    with watching_logs() as watch:
        yield watch


@pytest.fixture
async def scene(
    any_database_url: str, emulator: Emulator, clock: ManualClock, watch: LogWatch
) -> AsyncIterator[Scene]:
    """The bot on each database: PostgreSQL refuses a number past 32 bits for an INTEGER id."""
    bot = BotHarness(emulator, any_database_url, clock, SIBOT_ADMIN_IDS=",".join(map(str, OPERATORS)))
    await bot.start()
    yield Scene(bot, emulator, watch, iter(OPERATORS))
    await bot.stop()


def changed_rows(before: Snapshot, after: Snapshot) -> list[tuple[str, set[tuple[object, ...]]]]:
    """The rows, table by table, that are in one snapshot and not in the other."""
    return [(table, set(before[table]) ^ set(after[table])) for table in before if before[table] != after[table]]


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_forged_buttons_and_junk_arguments_fail_nothing_and_change_nothing(
    scene: Scene, data: st.DataObject
) -> None:
    sender = await scene.new_sender(data.draw(st.sampled_from(STEPS)), operator=data.draw(st.booleans()))
    before = await all_rows(scene.bot.core.db)
    first_record, handled = len(scene.watch.records), len(scene.watch.handled())
    if data.draw(st.booleans()):
        forged = data.draw(button_data(sender))
        press(scene.emulator, sender.patient, forged, bot_message_with_button(sender.patient, forged))
    else:
        await sender.patient.send(data.draw(commands))
    await scene.watch.wait_handled(handled + 1)
    assert scene.watch.failures(since=first_record) == []
    assert not [m for m in sender.patient.messages if SOMETHING_WENT_WRONG in m.text]
    assert changed_rows(before, await all_rows(scene.bot.core.db)) == []
