"""Compact callback data: `<feature>:<action>[:<arg>...]`, always within Telegram's 64 bytes.

Feature prefixes: ob onboarding, st settings, ss exercise session, lib exercise library,
rm reminder, pn pain diary, dl delete, ad operator commands.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_CALLBACK_BYTES = 64
SEPARATOR = ":"
# Every number a button carries fits a 32-bit INTEGER column (ids, tokens, scores, masks, days);
# a larger one is forged, and PostgreSQL would refuse it as a query parameter.
MAX_NUMBER = 2**31 - 1


def whole_number(value: str, maximum: int = MAX_NUMBER) -> int | None:
    """`value` as a number when it is ASCII digits only, up to `maximum`; None for anything else.

    str.isdigit() takes "²" (which int() refuses) and "٣"; int() takes "-1", "+3", " 3" and "1_0".
    """
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(maximum)):
        return None
    number = int(value)
    return number if number <= maximum else None


@dataclass(frozen=True, slots=True)
class CallbackData:
    """Parsed callback data; `args` are the strings after the action."""

    feature: str
    action: str
    args: tuple[str, ...] = ()

    def arg(self, index: int, default: str = "") -> str:
        return self.args[index] if index < len(self.args) else default

    def int_arg(self, index: int, maximum: int = MAX_NUMBER) -> int | None:
        """The argument as a number, or None when it is missing or not one (forged data)."""
        return whole_number(self.arg(index), maximum)


def callback(feature: str, action: str, *args: object) -> str:
    """Encode callback data; raises ValueError rather than let Telegram reject a keyboard."""
    data = SEPARATOR.join([feature, action, *map(str, args)])
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return data


def parse_callback(data: str | None) -> CallbackData | None:
    """Decode callback data; None for anything that is not ours."""
    if not data:
        return None
    parts = data.split(SEPARATOR)
    if len(parts) < 2 or not all(parts[:2]):
        return None
    return CallbackData(parts[0], parts[1], tuple(parts[2:]))


def feature_pattern(feature: str) -> str:
    """The CallbackQueryHandler pattern that matches one feature's buttons."""
    return f"^{feature}{SEPARATOR}"
