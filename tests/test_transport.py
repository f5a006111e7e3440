"""The priority rate limiter, driven directly through PTB's `process_request` contract."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeAlias

import pytest
from telegram import InlineKeyboardMarkup
from telegram.error import NetworkError, RetryAfter

from handlers.ptb.transport import PriorityRateLimiter, inline_keyboard
from sibot.ports import Button, Priority

# The limiter keeps time by the event loop's clock. Under looptime that clock moves only when
# every task waits, so the timings below are exact, however busy the machine is.
pytestmark = pytest.mark.looptime

MakeLimiter: TypeAlias = Callable[..., Awaitable[PriorityRateLimiter]]


@dataclass
class Sent:
    label: str
    chat_id: int | str | None
    at: float


@dataclass
class FakeApi:
    """Stands in for PTB's `_do_post`: records when each call reached Telegram."""

    limiter: PriorityRateLimiter
    sent: list[Sent] = field(default_factory=list)
    # label -> errors to raise on its next attempts, in order
    failures: dict[str, list[Exception]] = field(default_factory=dict)
    # label -> seconds between the grant and reaching Telegram (a busy machine)
    late: dict[str, float] = field(default_factory=dict)

    async def call(
        self,
        label: str,
        chat_id: int | str | None,
        priority: Priority | None = None,
        endpoint: str = "sendMessage",
    ) -> Any:
        async def post(endpoint: str, data: dict[str, Any]) -> dict[str, Any]:
            await asyncio.sleep(self.late.get(label, 0))
            self.sent.append(Sent(label, data.get("chat_id"), asyncio.get_running_loop().time()))
            await asyncio.sleep(0)  # a real request yields to the loop
            if self.failures.get(label):
                raise self.failures[label].pop(0)
            return {"label": label}

        data = {"chat_id": chat_id, "text": label}
        return await self.limiter.process_request(
            callback=post,
            args=(endpoint, data),
            kwargs={},
            endpoint=endpoint,
            data=data,
            rate_limit_args=None if priority is None else {"priority": priority},
        )

    def start(self, label: str, chat_id: int | str | None, **kwargs: Any) -> asyncio.Task[Any]:
        return asyncio.create_task(self.call(label, chat_id, **kwargs))

    def labels(self) -> list[str]:
        return [s.label for s in self.sent]

    def times(self, chat_id: int | str | None = None) -> list[float]:
        return [s.at for s in self.sent if chat_id is None or s.chat_id == chat_id]


@pytest.fixture(autouse=True)
def timedelta_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's timedelta periods, so building a `RetryAfter` warns about nothing."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def make_limiter() -> AsyncIterator[MakeLimiter]:
    made: list[PriorityRateLimiter] = []

    async def make(**settings: Any) -> PriorityRateLimiter:
        limiter = PriorityRateLimiter(**settings)
        await limiter.initialize()
        made.append(limiter)
        return limiter

    yield make
    for limiter in made:
        await limiter.shutdown()


# A timer that wakes late (a busy machine) lets the next call catch up: that is the token bucket
# working, so the measured spacing may come out short by one wake-up's lateness.
TIMER_JITTER = 0.02


def assert_within_rate(times: list[float], rate: float, burst: float) -> None:
    """No stretch of the calls holds more than the bucket allows, give or take a late wake-up."""
    for first in range(len(times)):
        for last in range(first, len(times)):
            allowed = burst + rate * (times[last] - times[first] + TIMER_JITTER)
            assert last - first + 1 <= allowed, (first, last, times[last] - times[first])


async def test_keeps_the_bot_wide_rate(make_limiter: MakeLimiter) -> None:
    api = FakeApi(await make_limiter(overall_per_second=200, chat_per_second=1000))
    await asyncio.gather(*(api.call(f"m{i}", chat_id=1000 + i) for i in range(60)))

    times = api.times()
    # a tenth of a second's worth (20) goes at once, the other 40 at 200/s
    assert times[-1] - times[0] >= 40 / 200 - TIMER_JITTER
    assert_within_rate(times, rate=200, burst=20)


async def test_never_sends_more_than_the_rate_in_one_second(make_limiter: MakeLimiter) -> None:
    api = FakeApi(await make_limiter(overall_per_second=20, chat_per_second=1000))
    await asyncio.gather(*(api.call(f"m{i}", chat_id=1000 + i) for i in range(21)))

    times = api.times()
    # the token bucket alone would let the 21st call go 0.95 s after the first
    assert times[20] - times[0] >= 1.0 - TIMER_JITTER


async def test_a_call_that_reaches_telegram_late_still_counts_in_its_second(make_limiter: MakeLimiter) -> None:
    api = FakeApi(await make_limiter(overall_per_second=20, chat_per_second=1000))
    api.late["m0"] = 0.3
    await asyncio.gather(*(api.call(f"m{i}", chat_id=1000 + i) for i in range(21)))

    arrival = {sent.label: sent.at for sent in api.sent}
    # counted from its answer, the late call keeps the 21st out of its own second at Telegram
    assert arrival["m20"] - arrival["m0"] >= 1.0 - TIMER_JITTER


async def test_keeps_the_private_chat_rate_with_a_small_burst(make_limiter: MakeLimiter) -> None:
    api = FakeApi(await make_limiter(overall_per_second=1000, chat_per_second=20, chat_burst=3))
    await asyncio.gather(*(api.call(f"m{i}", chat_id=7) for i in range(10)))

    assert api.labels() == [f"m{i}" for i in range(10)]
    times = api.times()
    assert times[-1] - times[0] >= 7 / 20 - TIMER_JITTER
    assert_within_rate(times, rate=20, burst=3)


async def test_a_chat_call_that_reaches_telegram_late_still_keeps_the_chat_rate(
    make_limiter: MakeLimiter,
) -> None:
    api = FakeApi(await make_limiter(overall_per_second=1000, chat_per_second=10, chat_burst=1))
    api.late["m0"] = 0.05
    await asyncio.gather(*(api.call(f"m{i}", chat_id=7) for i in range(2)))

    arrival = {sent.label: sent.at for sent in api.sent}
    # counted from its answer, the late call keeps the next a tenth of a second behind it
    assert arrival["m1"] - arrival["m0"] >= 0.1 - TIMER_JITTER


async def test_keeps_the_group_rate_without_a_burst(make_limiter: MakeLimiter) -> None:
    api = FakeApi(await make_limiter(overall_per_second=1000, group_per_minute=600))
    await asyncio.gather(
        *(api.call(f"g{i}", chat_id=-100123) for i in range(4)),
        *(api.call(f"c{i}", chat_id="@channel") for i in range(4)),
    )

    for chat_id in (-100123, "@channel"):
        times = api.times(chat_id)
        assert len(times) == 4
        assert_within_rate(times, rate=10, burst=1)


async def test_an_interactive_call_overtakes_queued_reminders(make_limiter: MakeLimiter) -> None:
    api = FakeApi(await make_limiter(overall_per_second=200, chat_per_second=1000))
    reminders = [api.start(f"r{i}", chat_id=1000 + i, priority=Priority.REMINDER) for i in range(50)]
    broadcast = api.start("bulk", chat_id=999, priority=Priority.BULK)
    await asyncio.sleep(0)  # every reminder is queued; the first burst of 20 has been let through
    answer = api.start("answer", chat_id=1)
    await asyncio.gather(*reminders, broadcast, answer)

    labels = api.labels()
    # the first burst (a tenth of a second's worth) left before the answer was queued
    assert labels.index("answer") <= 22
    assert labels[-1] == "bulk"
    assert [label for label in labels if label.startswith("r")] == [f"r{i}" for i in range(50)]


async def test_a_chat_keeps_its_order_and_lends_it_the_urgent_priority(
    make_limiter: MakeLimiter,
) -> None:
    api = FakeApi(await make_limiter(overall_per_second=200, chat_per_second=1000))
    others = [api.start(f"r{i}", chat_id=1000 + i, priority=Priority.REMINDER) for i in range(40)]
    await asyncio.sleep(0)
    first = api.start("first", chat_id=1, priority=Priority.BULK)
    second = api.start("second", chat_id=1, priority=Priority.REMINDER)
    urgent = api.start("urgent", chat_id=1)
    await asyncio.gather(*others, first, second, urgent)

    labels = api.labels()
    mine = [label for label in labels if label in ("first", "second", "urgent")]
    assert mine == ["first", "second", "urgent"]
    # the urgent call pulled the two ahead of it past the reminders to other chats
    assert labels.index("urgent") < labels.index("r39")


async def test_one_chat_stays_in_order_across_priorities(make_limiter: MakeLimiter) -> None:
    api = FakeApi(await make_limiter(overall_per_second=1000, chat_per_second=100))
    priorities = [Priority.BULK, Priority.INTERACTIVE, Priority.REMINDER] * 5
    await asyncio.gather(
        *(api.call(f"m{i}", chat_id=5, priority=p) for i, p in enumerate(priorities))
    )

    assert api.labels() == [f"m{i}" for i in range(15)]


async def test_a_429_holds_back_only_its_chat_then_the_call_succeeds(
    make_limiter: MakeLimiter,
) -> None:
    api = FakeApi(await make_limiter(overall_per_second=1000, chat_per_second=1000))
    api.failures["flooded"] = [RetryAfter(timedelta(milliseconds=150))] * 2
    flooded = api.start("flooded", chat_id=1)
    await asyncio.sleep(0.02)  # the first attempt has its 429
    after = api.start("after", chat_id=1)
    elsewhere = await api.call("elsewhere", chat_id=2)

    assert elsewhere == {"label": "elsewhere"}
    assert await flooded == {"label": "flooded"}
    await after
    assert api.labels() == ["flooded", "elsewhere", "flooded", "flooded", "after"]
    attempts = [s.at for s in api.sent if s.label == "flooded"]
    assert attempts[1] - attempts[0] >= 0.15 - TIMER_JITTER
    assert attempts[2] - attempts[1] >= 0.15 - TIMER_JITTER


async def test_a_429_past_the_retries_is_raised(make_limiter: MakeLimiter) -> None:
    api = FakeApi(await make_limiter(chat_per_second=1000, max_retries=2))
    api.failures["doomed"] = [RetryAfter(timedelta(milliseconds=20))] * 5

    with pytest.raises(RetryAfter):
        await api.call("doomed", chat_id=1)
    assert api.labels() == ["doomed"] * 3


async def test_429s_in_two_chats_pause_everything(make_limiter: MakeLimiter) -> None:
    api = FakeApi(await make_limiter(overall_per_second=1000, chat_per_second=1000))
    api.failures["a"] = [RetryAfter(timedelta(milliseconds=200))]
    api.failures["b"] = [RetryAfter(timedelta(milliseconds=200))]
    flooded = [api.start("a", chat_id=1), api.start("b", chat_id=2)]
    await asyncio.sleep(0.02)  # both had their 429
    await api.call("c", chat_id=3)
    await asyncio.gather(*flooded)

    first_429 = api.sent[0].at
    assert api.labels()[:2] == ["a", "b"]
    assert next(s.at for s in api.sent if s.label == "c") - first_429 >= 0.2 - TIMER_JITTER


async def test_no_burst_after_a_pause(make_limiter: MakeLimiter) -> None:
    api = FakeApi(await make_limiter(overall_per_second=1000, chat_per_second=20, chat_burst=3))
    api.failures["m0"] = [RetryAfter(timedelta(milliseconds=50))]
    await asyncio.gather(*(api.call(f"m{i}", chat_id=1) for i in range(4)))

    times = api.times()
    assert api.labels() == ["m0", "m0", "m1", "m2", "m3"]
    assert_within_rate(times[1:], rate=20, burst=1)


async def test_calls_that_send_nothing_are_not_queued(make_limiter: MakeLimiter) -> None:
    api = FakeApi(await make_limiter(overall_per_second=50, chat_per_second=1000))
    backlog = [api.start(f"r{i}", chat_id=1000 + i, priority=Priority.REMINDER) for i in range(100)]
    await asyncio.sleep(0)

    for endpoint in ("answerCallbackQuery", "getMe", "setMyCommands", "sendChatAction"):
        await asyncio.wait_for(api.call(endpoint, chat_id=1001, endpoint=endpoint), timeout=0.5)
    assert sum(1 for label in api.labels() if label.startswith("r")) < 50
    await api.limiter.shutdown()
    await asyncio.gather(*backlog, return_exceptions=True)


async def test_shutdown_fails_the_waiting_calls(make_limiter: MakeLimiter) -> None:
    limiter = await make_limiter(overall_per_second=100, chat_per_second=1000)
    api = FakeApi(limiter)
    waiting = [api.start(f"m{i}", chat_id=1000 + i) for i in range(50)]
    await asyncio.sleep(0.05)
    await limiter.shutdown()
    outcomes = await asyncio.gather(*waiting, return_exceptions=True)

    delivered = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if isinstance(o, NetworkError)]
    assert len(delivered) == len(api.sent)
    assert len(delivered) + len(refused) == 50
    assert refused
    with pytest.raises(NetworkError):
        await api.call("late", chat_id=1)

    await limiter.initialize()
    assert await api.call("again", chat_id=1) == {"label": "again"}


async def test_a_cancelled_call_does_not_block_its_chat(make_limiter: MakeLimiter) -> None:
    api = FakeApi(await make_limiter(overall_per_second=1000, chat_per_second=20, chat_burst=1))
    await api.call("first", chat_id=1)
    given_up = api.start("given up", chat_id=1)
    following = api.start("following", chat_id=1)
    await asyncio.sleep(0)
    given_up.cancel()

    assert await asyncio.wait_for(following, timeout=0.5) == {"label": "following"}
    assert api.labels() == ["first", "following"]


async def test_a_call_without_a_chat_is_still_sent(make_limiter: MakeLimiter) -> None:
    api = FakeApi(await make_limiter())

    result = await api.call("inline edit", chat_id=None, endpoint="editMessageText")
    assert result == {"label": "inline edit"}


def test_inline_keyboard_renders_rows_of_buttons() -> None:
    markup = inline_keyboard(
        ((Button("Start", "s:start"), Button("Later", "s:later")), (Button("Stop", "s:stop"),))
    )

    assert markup is not None
    rendered = [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard]
    assert rendered == [[("Start", "s:start"), ("Later", "s:later")], [("Stop", "s:stop")]]
    assert inline_keyboard(()) is None


def test_a_keyboard_built_once_is_sent_as_ptb_would_send_it() -> None:
    rows = ((Button("Start", "s:start"), Button("Later", "s:later")), (Button("Stop", "s:stop"),))
    markup = inline_keyboard(rows)
    assert markup is not None and inline_keyboard(rows) is markup

    plain = InlineKeyboardMarkup(markup.inline_keyboard)
    assert markup.to_dict() == plain.to_dict() and markup.to_json() == plain.to_json()
    markup.to_dict()["added"] = True  # what one caller does to its dict the next never sees
    assert markup.to_dict() == plain.to_dict()
