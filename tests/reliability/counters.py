"""The run's reliability figures, which tests add to and the terminal summary prints."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class Counts:
    faults_injected: int = 0
    restarts: int = 0
    updates_fuzzed: int = 0
    losses: int = 0
    ran: bool = False  # whether any reliability test counted anything

    def line(self) -> str:
        figures = (f.name for f in fields(self) if f.name != "ran")
        return ", ".join(f"{name.replace('_', ' ')}: {getattr(self, name)}" for name in figures)


COUNTS = Counts()


def add(other: Counts) -> None:
    """Add another process's figures (a parallel test worker's) to this one's."""
    for field in fields(Counts):
        if field.name != "ran":
            setattr(COUNTS, field.name, getattr(COUNTS, field.name) + getattr(other, field.name))
    COUNTS.ran = COUNTS.ran or other.ran


def faults(injected: int) -> None:
    COUNTS.faults_injected += injected
    COUNTS.ran = True


def restarts(count: int = 1) -> None:
    COUNTS.restarts += count
    COUNTS.ran = True


def fuzzed(count: int = 1) -> None:
    COUNTS.updates_fuzzed += count
    COUNTS.ran = True


def losses(count: int) -> int:
    """Record what a test found lost or doubled (it asserts 0 next); returns the count."""
    COUNTS.losses += count
    COUNTS.ran = True
    return count
