"""Every button's callback data: one table of routes, one codec, within Telegram's 64 bytes.

The wire format is `<prefix>:<action>[:<arg>...]`. A feature's buttons share its prefix (the
`CallbackQueryHandler` pattern), and `FEATURES` below names every prefix and the actions each
takes: a button is built with `Feature.data`, which refuses an action not in the table and data
over 64 bytes, and read with `parse_callback`, which gives None for anything not in it. Old
buttons stay in patients' chats for months: change a prefix, an action or the order of its
arguments only with a route that still reads the old ones (tests/test_architecture.py holds
yesterday's buttons to that).

To add a button: add its action to its feature below, build it with `FEATURE.data(action, ...)`,
and answer it in that feature's button handler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sibot.checkins import PAIN_SCALE
from sibot.ports import Button
from sibot.sessions import Action

MAX_CALLBACK_BYTES = 64
SEPARATOR = ":"
# Every number a button carries fits a 32-bit INTEGER column (ids, tokens, scores, masks, days);
# a larger one is forged, and PostgreSQL would refuse it as a query parameter.
MAX_NUMBER = 2**31 - 1
SCORES_PER_ROW = 6

Rows = tuple[tuple[Button, ...], ...]


def whole_number(value: str, maximum: int = MAX_NUMBER) -> int | None:
    """`value` as a number when it is ASCII digits only, up to `maximum`; None for anything else.

    str.isdigit() takes "²" (which int() refuses) and "٣"; int() takes "-1", "+3", " 3" and "1_0".
    """
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(maximum)):
        return None
    number = int(value)
    return number if number <= maximum else None


@dataclass(frozen=True, slots=True)
class Feature:
    """A prefix and the actions its buttons carry."""

    prefix: str
    actions: frozenset[str]

    @property
    def pattern(self) -> str:
        """The CallbackQueryHandler pattern that matches this feature's buttons."""
        return f"^{self.prefix}{SEPARATOR}"

    def data(self, action: str, *args: object) -> str:
        """Encode a button's callback data; raises ValueError for a route not in the table or
        data Telegram would refuse, rather than send a keyboard that cannot work."""
        if action not in self.actions:
            raise ValueError(f"no route {self.prefix}{SEPARATOR}{action}")
        values = [str(arg) for arg in args]
        if any(SEPARATOR in value for value in values):
            raise ValueError(f"a button argument holds {SEPARATOR!r}: {values!r}")
        data = SEPARATOR.join([self.prefix, action, *values])
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
        return data


def _feature(prefix: str, *actions: str) -> Feature:
    return Feature(prefix, frozenset(actions))


# The route table: every button the bot makes, by feature.
# Settings' zone, time and day buttons are onboarding's too, each under its own prefix.
_REMINDER_CHOICES = ("zone", "rezone", "time", "days", "pick")
# ob:mark/marked:<question>:<mask> tick and confirm a checklist question of the safety screen;
# ob:seen:<0|1> answers "Has a clinician examined you since?" after an emergency.
ONBOARDING = _feature(
    "ob", "accept", "answer", "clear", "zok", "pain", "mark", "marked", "seen", *_REMINDER_CHOICES
)
SETTINGS = _feature(
    "st", "menu", "ask", "cancel", "hold", "reps", "rest", "pace", "preg", "follow", "lang", "pause",
    "pics",
    *_REMINDER_CHOICES,
)
# The actions a session step's button may carry; the hold timer's HOLD_DONE is not one of them.
STEP_ACTIONS = {action.value: action for action in Action if action is not Action.HOLD_DONE}
# ss:start:<source>[:gentle], ss:over:<session>:<token>:<what>, and a step's
# ss:<action>:<session>:<token>
SESSION = _feature("ss", "start", "over", *STEP_ACTIONS)
# ss:start's second argument: switch to the gentler routine, then start
GENTLE_START = "gentle"
LIBRARY = _feature("lib", "list", "show", "do")
REMINDER = _feature("rm", "snooze", "skip", "signs")
PAIN = _feature("pn", "score", "ask", "loc", "where", "sym", "done", "gentle")
# lr:check starts the inflammatory back pain check, lr:ans:<check>:<question>:<0|1> answers it
LEARN = _feature("lr", "open", "menu", "page", "check", "later", "ans", "stop")
DELETE = _feature("dl", "yes", "no")
FUNCTION = _feature("fn", "open", "add", "type", "drop", "done", "score")
PROGRESSION = _feature("pg", "yes", "no")
BROADCAST = _feature("ad", "send", "cancel")  # operators only
# sh:invite:<role>, sh:revoke:<link>, sh:confirm:<link>:<alerts 0|1>, sh:decline:<link> (the
# patient); sh:accept:<code>, sh:no, sh:zone:<zone>, sh:rezone, sh:report:<link>,
# sh:unfollow:<link> (the follower). Every link id is checked against the consent record.
SHARE = _feature(
    "sh", "invite", "revoke", "confirm", "decline", "accept", "no", "zone", "rezone", "report",
    "unfollow",
)
FEATURES = (
    ONBOARDING, SETTINGS, SESSION, LIBRARY, LEARN, REMINDER, PAIN, DELETE, FUNCTION, PROGRESSION,
    BROADCAST, SHARE,
)
_BY_PREFIX = {feature.prefix: feature for feature in FEATURES}


@dataclass(frozen=True, slots=True)
class CallbackData:
    """Parsed callback data of a route in the table; `args` are the strings after the action."""

    feature: Feature
    action: str
    args: tuple[str, ...] = ()

    def arg(self, index: int, default: str = "") -> str:
        return self.args[index] if index < len(self.args) else default

    def int_arg(self, index: int, maximum: int = MAX_NUMBER) -> int | None:
        """The argument as a number, or None when it is missing or not one (forged data)."""
        return whole_number(self.arg(index), maximum)


def feature_of(data: str | None) -> Feature | None:
    """The feature whose prefix `data` carries, whatever follows it; None for another prefix."""
    prefix, separator, _ = (data or "").partition(SEPARATOR)
    return _BY_PREFIX.get(prefix) if separator else None


def parse_callback(data: str | None) -> CallbackData | None:
    """Decode callback data; None for anything that is not a route of the table.

    The arguments stay text: each handler reads them as what its route carries (`int_arg` for
    numbers), and answers a forged one like an out-of-date button."""
    feature = feature_of(data)
    if feature is None:
        return None
    _, action, *args = (data or "").split(SEPARATOR)
    if action not in feature.actions:
        return None
    return CallbackData(feature, action, tuple(args))


def pain_scale(data_for: Callable[[int], str]) -> Rows:
    """The 0-10 pain scale as buttons, in rows of six; `data_for(score)` is each one's data."""
    buttons = [Button(str(score), data_for(score)) for score in PAIN_SCALE]
    return tuple(
        tuple(buttons[i : i + SCORES_PER_ROW]) for i in range(0, len(buttons), SCORES_PER_ROW)
    )
