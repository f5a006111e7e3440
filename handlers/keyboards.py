"""Compact callback data: `<feature>:<action>[:<arg>...]`, always within Telegram's 64 bytes.

Feature prefixes: ob onboarding, st settings, ss exercise session, lib exercise library,
rm reminder, pn pain diary, dl delete, ad operator commands.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_CALLBACK_BYTES = 64
SEPARATOR = ":"


@dataclass(frozen=True, slots=True)
class CallbackData:
    """Parsed callback data; `args` are the strings after the action."""

    feature: str
    action: str
    args: tuple[str, ...] = ()

    def arg(self, index: int, default: str = "") -> str:
        return self.args[index] if index < len(self.args) else default

    def int_arg(self, index: int) -> int | None:
        """The argument as an int, or None when it is missing or not a number (forged data)."""
        value = self.arg(index)
        return int(value) if value.lstrip("-").isdigit() else None


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
